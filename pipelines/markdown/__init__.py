"""Books as Markdown: a structure-aware writer driven by the layout roles (``page_layout``), with today's
heuristic (``heuristic.py``) as the fallback; used by the release and by the process stage's ``output.format``."""
