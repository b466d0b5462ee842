"""One pass of line, word and page splitting per document, shared by every block that reads them.

Blocks call ``text_view(doc)`` instead of splitting ``doc.text`` themselves. The view is cached on the identity
of the text string: while no block rewrites the text, every block gets the same view (lines and words are
computed at most once); a block that rewrites ``doc.text`` makes a new string, and the next ``text_view`` call
splits the new text. Documents are datatrove slotted dataclasses, so the cache lives here, keyed by the text
object (kept alive by the cache itself, so ids are never reused while cached).
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cached_property

from datatrove.data import Document

from filters.pages import PAGE_SEPARATOR


class TextView:
    """Lazily computed splits of one text. Treat every list as read-only: it is shared between blocks."""

    def __init__(self, text: str, page_offsets: list[int] | None = None, page_separator: str = PAGE_SEPARATOR):
        self.text = text
        self.page_offsets = page_offsets
        self.page_separator = page_separator

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @cached_property
    def words(self) -> list[str]:
        """Whitespace-separated tokens, punctuation attached (as printed)."""
        return self.text.split()

    @cached_property
    def pages(self) -> list[str]:
        if self.page_offsets:
            ends = [o - len(self.page_separator) for o in self.page_offsets[1:]] + [len(self.text)]
            return [self.text[s:e] for s, e in zip(self.page_offsets, ends, strict=True)]
        return self.text.split(self.page_separator)

    @cached_property
    def page_words(self) -> list[list[str]]:
        return [p.split() for p in self.pages]

    @cached_property
    def page_lines(self) -> list[list[str]]:
        """Lines of every page (split at ``\\n``), for blocks that work on page layout."""
        return [p.split("\n") for p in self.pages]


_CACHE: OrderedDict[int, TextView] = OrderedDict()
_CACHE_SIZE = 16


def text_view(doc: Document) -> TextView:
    """The shared view of ``doc.text`` (new when the text object changed since the last call)."""
    key = id(doc.text)
    view = _CACHE.get(key)
    if view is not None and view.text is doc.text:
        _CACHE.move_to_end(key)
        return view
    view = TextView(doc.text, doc.metadata.get("page_offsets"))
    _CACHE[key] = view
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return view
