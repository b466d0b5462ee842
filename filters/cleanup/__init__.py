"""Clean-up blocks: datatrove steps that rewrite a book's text page by page and keep ``page_offsets`` true.

Each block is a ``PageRewriter`` (``base.py``): it reads the shared ``text_view(doc)``, returns new pages (or
None when nothing changes) and counts what it did in its own stats. Order them as in
``configs/blocks/cleanup.yaml``: boilerplate and unicode first, page furniture while lines and pages are as
printed, then dehyphenation, then line unwrapping; ``remove_page_separators`` last, on output.
"""
