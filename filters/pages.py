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


_LAST_NUMBER = re.compile(r"^(.*?)(\d+)(\D*)$")


def _file_number(path: str) -> tuple[str, int] | None:
    """(the file name with its last number taken out, that number), or None for a name without a number."""
    m = _LAST_NUMBER.match(path.rsplit("/", 1)[-1])
    return (m.group(1) + "#" + m.group(3), int(m.group(2))) if m else None


def consecutive_pages(meta: dict, n: int) -> list[bool]:
    """For each of the ``n - 1`` page breaks of a book: does the next page directly follow the page before it?

    A break is a gap (False) when the metadata say so: ``page_numbers`` (the pages' indices in the book as read,
    kept by blocks that drop pages) differ by more than one, or the ``page_files`` of the two pages are named alike
    but for their last number (``a006.txt``, ``a013.txt``) and those numbers differ by more than one (sampled
    pages). Without such evidence (no metadata, lists of another length, names unlike) pages count as consecutive.
    """
    out = [True] * max(n - 1, 0)
    numbers = meta.get("page_numbers")
    if isinstance(numbers, list) and len(numbers) == n and all(isinstance(x, int) for x in numbers):
        for i in range(n - 1):
            out[i] = numbers[i + 1] - numbers[i] == 1
    files = meta.get("page_files")
    if isinstance(files, list) and len(files) == n and all(isinstance(f, str) for f in files):
        found = [_file_number(f) for f in files]
        for i, (a, b) in enumerate(zip(found, found[1:], strict=False)):
            if a and b and a[0] == b[0] and b[1] - a[1] != 1:
                out[i] = False
    return out
