"""The lines of a book with their layout roles, as the Markdown writer reads them (``filters/layout.py``).

``book_lines`` turns a book's text and ``page_layout`` into pages of ``Line``: one per non-blank line of the page
text, in reading order, with its role (None: running text without a record), its paragraph key (the region id
and the blank-line group it lies in: a new key starts a new paragraph), font size and box. A page whose layout is
missing or does not describe its text (``layout_problem``) is read as the heuristic reads it (every line running
text, paragraphs at blank lines, headings by the capitalisation rules) and counted by reason; a book whose layout
cannot be used at all (none, not one entry per page, no usable page) gives None and the reason, and is written by
the heuristic alone.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from filters.layout import layout_problem
from pipelines.markdown.heuristic import book_pages, is_caps_heading, is_title_heading


@dataclass
class Line:
    text: str
    role: str | None
    key: tuple  # (region, blank-line group): lines of one paragraph share it
    page: int
    size: float | None = None
    box: list | None = None
    continued: bool = False  # in a region typed as a footnote's continuation (PAGE ``footnote-continued``)


@dataclass
class BookLines:
    pages: list[list[Line]]
    fallback_pages: Counter  # reason -> pages read by the heuristic


def _pages_and_layouts(text: str, meta: dict) -> tuple[list[str], list] | str:
    layouts = meta.get("page_layout")
    if layouts is None:
        return "no_layout"
    if not isinstance(layouts, list):
        return "malformed_layout"
    offsets = meta.get("page_offsets")
    pages = book_pages(text, offsets if isinstance(offsets, list) else None)
    if len(layouts) != len(pages):
        return "page_count_mismatch"
    return pages, layouts


def book_lines(text: str, meta: dict, max_chars: int = 80, max_words: int = 12) -> BookLines | str:
    """The book's pages of lines, or the reason its layout cannot be used (see the module docstring)."""
    found = _pages_and_layouts(text, meta)
    if isinstance(found, str):
        return found
    pages, layouts = found
    regions = meta.get("page_regions")
    regions = regions if isinstance(regions, list) and len(regions) == len(pages) else [None] * len(pages)
    out: list[list[Line]] = []
    fallback: Counter = Counter()
    for p, (page, layout) in enumerate(zip(pages, layouts, strict=True)):
        page = page.replace("\f", "")
        why = "no_layout" if layout is None else layout_problem(layout, page)
        if why is None:
            out.append(layout_lines(page, layout, p, continuation_regions(regions[p])))
        else:
            fallback[why] += 1
            out.append(heuristic_lines(page, p, max_chars, max_words))
    if fallback and sum(fallback.values()) == len(pages):
        return "no_usable_page"
    return BookLines(out, fallback)


def _column(layout: dict, key: str, i: int):
    values = layout.get(key)
    return values[i] if isinstance(values, list) else None


def continuation_regions(regions: object) -> set:
    """Ids of a page's regions (``page_regions``) whose type says they continue a footnote of the page before."""
    if not isinstance(regions, list):
        return set()
    return {
        r.get("id")
        for r in regions
        if isinstance(r, dict) and re.sub(r"[-_\s]", "", str(r.get("type") or "").lower()) == "footnotecontinued"
    }


def layout_lines(page: str, layout: dict, p: int, continued: set = frozenset()) -> list[Line]:
    """Lines of a page whose layout describes it (``layout_problem`` is None); lines without a record are text;
    lines of the ``continued`` regions are marked as a footnote's continuation."""
    records = {s: i for i, s in enumerate(layout["start"])}
    out, pos, group = [], 0, 0
    for raw in page.split("\n"):
        if not raw.strip():
            group += 1
        elif (i := records.get(pos)) is not None:
            size = _column(layout, "font_size", i)
            key = (layout["region"][i], group)
            region = layout["region"][i]
            box = _column(layout, "box", i)
            out.append(Line(raw.strip(), layout["role"][i], key, p, size, box, region in continued))
        else:
            out.append(Line(raw.strip(), None, (None, group), p))
        pos += len(raw) + 1
    return out


def heuristic_lines(page: str, p: int, max_chars: int, max_words: int) -> list[Line]:
    """Lines of a page without usable layout: running text, paragraphs at blank lines, headings as the heuristic
    finds them (an ALL CAPS first line of a paragraph, a Title Case paragraph of one line)."""
    groups: list[list[str]] = [[]]
    for raw in page.split("\n"):
        if raw.strip():
            groups[-1].append(raw.strip())
        elif groups[-1]:
            groups.append([])
    out = []
    for g, lines in enumerate(groups):
        for j, line in enumerate(lines):
            heading = j == 0 and (
                is_caps_heading(line, max_chars, max_words)
                or (len(lines) == 1 and is_title_heading(line, max_chars, max_words))
            )
            out.append(Line(line, "heading" if heading else None, ("~heuristic", g, heading), p))
    return out
