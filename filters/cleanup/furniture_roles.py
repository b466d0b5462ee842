"""Page furniture by layout role: the lines a book's ``page_layout`` (``filters/layout.py``) tags as furniture.

Used by ``page_furniture`` with ``by_role="auto"``. A page is decided by role when its layout is present and
describes the page text (``layout_problem``); every other page falls back to the repetition heuristic, counted by
reason. After lines are deleted, ``page_layout`` and ``page_regions`` are moved to the lines that remain.
"""

from __future__ import annotations

from datatrove.data import Document

from filters.layout import has_roles, layout_problem, line_roles, line_shift, remap_regions, remove_lines


def role_stat(role: str) -> str:
    """Stats key of a role's removed lines: ``role_running_title``."""
    return "role_" + role.replace("-", "_")


def furniture_by_role(doc: Document, pages: list[str], furniture: tuple[str, ...]) -> tuple[dict, dict[str, int]]:
    """({page: {line index: stats key}} for the pages decided by role (an empty dict for a page with no
    furniture), {fallback reason: pages}) of a book. A book without ``page_layout`` gives ({}, {})."""
    layouts = doc.metadata.get("page_layout")
    if not layouts:
        return {}, {}
    if not isinstance(layouts, list) or len(layouts) != len(pages):
        return {}, {"page_count_mismatch": len(pages)}
    if not has_roles(layouts):
        return {}, {"only_text_roles": len(pages)}
    decided: dict[int, dict[int, str]] = {}
    fallback: dict[str, int] = {}
    for p, (layout, page) in enumerate(zip(layouts, pages, strict=True)):
        why = "no_layout" if layout is None else layout_problem(layout, page)
        if why is not None:
            fallback[why] = fallback.get(why, 0) + 1
            continue
        decided[p] = {i: role_stat(r) for i, r in line_roles(layout, page).items() if r in furniture}
    return decided, fallback


def update_layout(doc: Document, old_pages: list[str], gone: dict[int, set[int]]) -> dict[str, int]:
    """Move ``page_layout`` and ``page_regions`` of the pages that lost lines (``gone``: {page: line indices});
    returns counts: ``layout_lines_dropped``, ``regions_dropped``, ``layout_dropped_<reason>`` (a page whose layout
    did not describe its text loses it: None)."""
    counts: dict[str, int] = {}
    layouts = doc.metadata.get("page_layout")
    regions = doc.metadata.get("page_regions")
    for p, lines in gone.items():
        shift = line_shift(old_pages[p], lines)
        if isinstance(layouts, list) and len(layouts) == len(old_pages) and layouts[p] is not None:
            why = layout_problem(layouts[p], old_pages[p])
            if why is None:
                new = remove_lines(layouts[p], shift)
                _add(counts, "layout_lines_dropped", len(layouts[p]["start"]) - len(new["start"]))
                layouts[p] = new
            else:
                _add(counts, f"layout_dropped_{why}", 1)
                layouts[p] = None
        if isinstance(regions, list) and len(regions) == len(old_pages) and regions[p]:
            regions[p], dropped = remap_regions(regions[p], shift)
            _add(counts, "regions_dropped", dropped)
    return counts


def _add(counts: dict[str, int], key: str, n: int) -> None:
    if n:
        counts[key] = counts.get(key, 0) + n
