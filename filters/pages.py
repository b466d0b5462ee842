"""Page boundaries inside a book Document (the convention shared by readers and blocks).

A book is one Document. Its pages are joined with ``PAGE_SEPARATOR`` (a form feed on a line of its own) and
``metadata["page_offsets"]`` holds the character offset where each page starts, so page-level blocks can split
the text back into pages and statistics can be per page.
"""

from __future__ import annotations

import re

PAGE_SEPARATOR = "\n\f\n"


def join_pages(pages: list[str], separator: str = PAGE_SEPARATOR) -> tuple[str, list[int]]:
    """Join page texts into one book text; return the text and the start offset of every page."""
    offsets: list[int] = []
    pos = 0
    for i, page in enumerate(pages):
        if i:
            pos += len(separator)
        offsets.append(pos)
        pos += len(page)
    return separator.join(pages), offsets


def split_pages(text: str, offsets: list[int] | None, separator: str = PAGE_SEPARATOR) -> list[str]:
    """Split a book text back into pages, by offsets when they are present, else by the separator."""
    if not offsets:
        return text.split(separator)
    ends = [o - len(separator) for o in offsets[1:]] + [len(text)]
    return [text[start:end] for start, end in zip(offsets, ends, strict=True)]


_NUM = re.compile(r"(\d+)")


def natural_key(name: str) -> list:
    """Sort key that orders ``page_2`` before ``page_10``."""
    return [int(p) if p.isdigit() else p.lower() for p in _NUM.split(name)]


def set_pages(doc, pages: list[str], separator: str = PAGE_SEPARATOR) -> None:
    """Rewrite a book Document from its pages, keeping ``page_offsets`` and ``n_pages`` true to the new text.

    Blocks that rewrite text page by page use this, so page boundaries survive every block.
    """
    doc.text, offsets = join_pages(pages, separator)
    doc.metadata["page_offsets"] = offsets
    doc.metadata["n_pages"] = len(pages)
