"""Line layout of book pages (the convention shared by readers and blocks): every line's role and region.

A reader that knows the layout (ALTO tags, PAGE region types) writes ``metadata["page_layout"]``: one entry per
page of the book (``None`` for a page without layout), each a dict of parallel lists, one item per line in reading
order::

    {"length": 1834,                          # len(page text) when the layout was made: a cheap consistency check
     "start": [0, 12, 15, ...],               # page_text[start[i]:end[i]] is line i (a whole line, no "\\n")
     "end": [11, 14, 60, ...],
     "role": ["running-title", "page-number", "text", ...],  # a role of ROLES
     "region": ["r1", "r2", "r3", ...],       # id of the line's block/region (None when it has none)
     # optional, present when some line of the page has a value (ALTO):
     "box": [[0.30, 0.08, 0.49, 0.11], ...],  # x0, y0, x1, y1 relative to the page size (0..1), or None
     "font_size": [12.0, None, ...],          # from ALTO Styles/TextStyle FONTSIZE
     "font_style": ["bold", None, ...]}       # FONTSTYLE (bold, italics, smallcaps, ...), space-separated

Offsets are relative to the page's text, which starts at ``page_offsets[p]`` in the book. Lines of the page text
without a record (blank lines between blocks) have no role. A source without roles leaves ``page_layout`` out.
Blocks that delete lines call ``remove_lines`` so that the records of the remaining lines stay true.
"""

from __future__ import annotations

ROLES = (
    "text",  # running text of the main zone
    "heading",  # headings and titles inside the text
    "title-page",  # text of a title page
    "running-title",  # running head or foot
    "page-number",  # page or folio number
    "signature",  # printed signature mark (quire mark)
    "catchword",  # catchword at the foot of a page
    "marginalia",  # marginal notes
    "footnote",  # footnotes (and their continuations)
    "drop-capital",  # a drop capital, a line of its own
    "table",  # text of a table
    "figure",  # text inside a graphic, and captions
    "stamp",  # library stamps, printed privilege notices tagged as stamps
    "artefact",  # digitisation artefacts (colour charts, rulers, scanner notes)
    "other",  # a label the vocabulary does not know
)
FURNITURE = ("running-title", "page-number", "signature", "catchword", "stamp", "artefact")
MAIN_TEXT = ("text", "heading", "title-page", "footnote", "marginalia", "drop-capital", "table", "figure", "other")
_KEYS = ("start", "end", "role", "region")
_OPTIONAL = ("box", "font_size", "font_style")


def layout_problem(layout: object, page: str) -> str | None:
    """Why ``layout`` does not describe ``page`` (a short snake_case reason), or None when it does."""
    if not isinstance(layout, dict) or any(not isinstance(layout.get(k), list) for k in _KEYS):
        return "malformed"
    n = len(layout["start"])
    if any(len(layout[k]) != n for k in (*_KEYS, *(k for k in _OPTIONAL if k in layout))):
        return "malformed"
    if layout.get("length") != len(page):
        return "length_mismatch"
    prev = 0
    for s, e, role in zip(layout["start"], layout["end"], layout["role"], strict=True):
        if not (isinstance(s, int) and isinstance(e, int) and prev <= s <= e <= len(page)):
            return "offsets_out_of_order"
        if (s and page[s - 1] != "\n") or (e < len(page) and page[e] != "\n") or "\n" in page[s:e]:
            return "offsets_not_lines"
        if role is not None and role not in ROLES:
            return "unknown_role"
        prev = e
    return None


def has_roles(layouts: list | None) -> bool:
    """True when some page's layout has a line with a role other than "text" (a source that says something)."""
    pages = [lay for lay in layouts or () if isinstance(lay, dict)]
    return any(r not in (None, "text") for lay in pages for r in lay.get("role", ()))


def line_roles(layout: dict, page: str) -> dict[int, str]:
    """{line index in ``page.split("\\n")``: role} of the lines that have a record (``layout`` checked first)."""
    starts = {0: 0}
    pos = 0
    for i, line in enumerate(page.split("\n")):
        starts[pos] = i
        pos += len(line) + 1
    return {starts[s]: r for s, r in zip(layout["start"], layout["role"], strict=True) if r is not None}


def line_shift(page: str, gone: set[int]) -> dict[int, tuple[int, int]]:
    """{old start: (new start, length)} of the lines of ``page`` kept when the lines at indices ``gone`` (of
    ``page.split("\\n")``) are deleted and the rest joined by "\\n"."""
    shift: dict[int, tuple[int, int]] = {}
    pos = new = 0
    for i, line in enumerate(page.split("\n")):
        if i not in gone:
            shift[pos] = (new, len(line))
            new += len(line) + 1
        pos += len(line) + 1
    return shift


def remove_lines(layout: dict, shift: dict[int, tuple[int, int]]) -> dict:
    """The layout once lines are deleted (``shift`` from ``line_shift``): records of deleted lines go, the others
    move."""
    keep = [j for j, s in enumerate(layout["start"]) if s in shift]
    out = {k: [v[j] for j in keep] for k, v in layout.items() if isinstance(v, list)}
    out["start"] = [shift[layout["start"][j]][0] for j in keep]
    out["end"] = [shift[layout["start"][j]][0] + layout["end"][j] - layout["start"][j] for j in keep]
    out["length"] = max((n + k for n, k in shift.values()), default=0)
    return out


def remap_regions(regions: list[dict], shift: dict[int, tuple[int, int]]) -> tuple[list[dict], int]:
    """Regions (``page_regions`` of one page) moved to the lines kept (``shift`` from ``line_shift``) and the
    number dropped because none of their lines remain."""
    out = []
    starts = sorted(shift)
    for region in regions:
        kept = [shift[s] for s in starts if region["start"] <= s < max(region["end"], region["start"] + 1)]
        if kept:
            out.append(region | {"start": kept[0][0], "end": kept[-1][0] + kept[-1][1]})
    return out, len(regions) - len(out)
