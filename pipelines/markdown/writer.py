"""A book as Markdown that keeps its structure: ``book_markdown(text, metadata, options)``.

With a usable ``page_layout`` (``filters/layout.py``) the roles decide: furniture is left out, headings get ``#``
levels from the role and the font size, paragraphs run over line breaks and over page breaks between consecutive
pages (``filters.pages.consecutive_pages``), footnotes (continued ones merged) become Markdown
footnotes at the end of their paragraph or page, marginalia are dropped, inlined or made notes
(``MarkdownOptions.marginalia``), a drop capital is joined to its word (``segments.py``, ``render.py``). Pages
whose layout is missing or does not describe their text are read by the heuristic's rules, and a book without a
usable layout (none, not one entry per page, no usable page) is read by them throughout (``heuristic.py``: blank
lines end paragraphs, ALL CAPS / Title Case lines are ``##`` headings); either way the reason is counted in the
returned info, never an error. Optional: page markers ``<!-- page N -->`` and a YAML front matter.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from filters.pages import consecutive_pages
from pipelines.markdown.config import MarkdownOptions
from pipelines.markdown.heuristic import book_pages
from pipelines.markdown.lines import BookLines, book_lines, heuristic_lines
from pipelines.markdown.render import MarkdownBlocks
from pipelines.markdown.segments import heading_levels, page_segments

# besides id and source, when the metadata has them (readers of METS/MODS or Dublin Core fill them all)
FRONT_MATTER_KEYS = ("title", "author", "year", "date", "language", "identifiers", "license")
_ALIASES = {"author": ("author", "creator"), "year": ("year", "date")}


def front_matter(doc_id: str | None, meta: dict) -> str:
    """YAML front matter (``---`` lines around it): id, then title/author/year/date/language/identifiers/license
    where known (``date`` only when it says more than ``year``), source."""
    data: dict[str, Any] = {"id": doc_id} if doc_id else {}
    for key in FRONT_MATTER_KEYS:
        value = next((meta[k] for k in _ALIASES.get(key, (key,)) if meta.get(k) not in (None, "", {})), None)
        if value is None or (key == "date" and str(value) == str(data.get("year"))):
            continue
        if isinstance(value, dict):
            data[key] = {str(k): str(v) for k, v in value.items()}
        else:
            data[key] = value if isinstance(value, (int, float, str)) else str(value)
    if meta.get("source"):
        data["source"] = str(meta["source"])
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
    return f"---\n{body}---\n"


def book_markdown(
    text: str, meta: dict | None, options: MarkdownOptions = MarkdownOptions(), doc_id: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The book as Markdown and what the writer did: ``{"layout": "roles" | "heuristic", "fallback": reason or
    None, "pages_fallback": {reason: pages}, "counts": {...}}``."""
    meta = meta if isinstance(meta, dict) else {}
    o = options
    found = book_lines(text, meta, o.max_heading_chars, o.max_heading_words)
    info: dict[str, Any] = {"layout": "roles", "fallback": None, "pages_fallback": {}}
    if isinstance(found, str):
        info.update(layout="heuristic", fallback=found)
        offsets = meta.get("page_offsets")
        pages = book_pages(text, offsets if isinstance(offsets, list) else None)
        found = BookLines(
            [
                heuristic_lines(page.replace("\f", ""), p, o.max_heading_chars, o.max_heading_words)
                for p, page in enumerate(pages)
            ],
            Counter(),
        )
    info["pages_fallback"] = dict(found.fallback_pages)
    counts: Counter = Counter()
    held: list[str] = []
    segments = [page_segments(lines, counts, held) for lines in found.pages]
    heading_levels(segments, o.heading_size_ratio, o.max_heading_chars)
    blocks = MarkdownBlocks(o.marginalia, o.page_markers, counts)
    follows = [True, *consecutive_pages(meta, len(segments))]
    for p, page in enumerate(segments):
        blocks.page(p, page, follows[p])
    body = blocks.finish(held)
    info["counts"] = dict(counts)
    if o.front_matter:
        return front_matter(doc_id, meta) + ("\n" + body if body else ""), info
    return body, info
