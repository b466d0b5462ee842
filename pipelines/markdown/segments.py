"""Segments of a page for the Markdown writer: runs of lines that become one paragraph, heading or note.

A segment is a run of consecutive lines of one kind with one paragraph key (``lines.py``). Kinds by role:

- ``body``: running text (``text``, no role, ``table``, ``figure``, ``other``);
- ``heading``: ``heading`` and ``title-page``, and body runs set in a font at least ``heading_size_ratio`` times
  the book's median text size (the level: ``heading_levels``);
- ``footnote`` (split into notes at lines that start with a note mark such as ``*)``, ``1)``, ``(2)``, ``†``)
  and ``marginalia``;
- furniture roles (``FURNITURE``) are left out; a ``drop-capital`` line is joined, without a space, to the next
  line of body or heading text (the word it begins).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from filters.layout import FURNITURE
from pipelines.markdown.lines import Line

BODY_ROLES = (None, "text", "table", "figure", "other")
HEADING_ROLES = ("heading", "title-page")
NOTE_MARK = re.compile(r"^(\*+\)?|\(?\d{1,3}\)|\(\*+\)|[a-z]\)|[¹²³⁴⁵⁶⁷⁸⁹⁰]+|[†‡§])\s")


@dataclass
class Segment:
    kind: str  # body, heading, footnote, marginalia
    role: str | None
    lines: list[str]
    sizes: list[float] = field(default_factory=list)
    level: int = 2
    continued: bool = False  # a footnote region typed as the continuation of the page before's last note


def kind_of(role: str | None) -> str | None:
    if role in FURNITURE:
        return None
    if role in HEADING_ROLES:
        return "heading"
    if role in ("footnote", "marginalia", "drop-capital"):
        return role
    return "body"


def page_segments(lines: list[Line], counts: Counter, held: list[str]) -> list[Segment]:
    """The segments of one page; ``held`` carries a drop capital not yet joined over to the next page."""
    out: list[Segment] = []
    last_key = None
    for line in lines:
        kind = kind_of(line.role)
        if kind is None:
            counts[f"furniture_{line.role}"] += 1
            continue
        if kind == "drop-capital":
            held.append(line.text)
            counts["drop_capitals"] += 1
            continue
        text = line.text
        if held and kind in ("body", "heading"):
            text = "".join(held) + text
            held.clear()
        key = (kind, line.role if kind == "heading" else None, line.key)
        new_note = kind == "footnote" and NOTE_MARK.match(text) is not None
        if out and key == last_key and not new_note:
            out[-1].lines.append(text)
        else:
            out.append(Segment(kind, line.role, [text], continued=line.continued))
        if line.size is not None:
            out[-1].sizes.append(line.size)
        last_key = key
    return out


def heading_levels(pages: list[list[Segment]], ratio: float, max_chars: int) -> None:
    """Set ``kind``/``level`` from roles and font sizes: ``title-page`` 1 (a long title-page run stays a paragraph),
    ``heading`` 2; where sizes are known, headings (and body runs promoted by size) get levels 1-6 by their size
    rank, biggest first."""
    body = [s for page in pages for seg in page if seg.kind == "body" for s in seg.sizes]
    median = statistics.median(body) if body else None
    sized: list[Segment] = []
    for page in pages:
        for seg in page:
            size = max(seg.sizes) if seg.sizes and len(seg.sizes) == len(seg.lines) else None
            short = len(" ".join(seg.lines)) <= max_chars
            if seg.kind == "body" and median and size and min(seg.sizes) >= ratio * median and short:
                seg.kind = "heading"
            if seg.kind != "heading":
                continue
            if seg.role == "title-page":
                seg.level = 1
                if not short:
                    seg.kind = "body"
            elif size is not None:
                sized.append(seg)
    ranks = sorted({max(seg.sizes) for seg in sized}, reverse=True)
    for seg in sized:
        seg.level = min(6, 1 + ranks.index(max(seg.sizes)))
