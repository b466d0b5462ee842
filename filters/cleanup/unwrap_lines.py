"""Unwrap printed lines into paragraphs, page by page (page separators stay)."""

from __future__ import annotations

from datatrove.data import Document

from filters.cleanup.base import PageRewriter
from filters.textview import TextView

_DASHES = "-\u2010\u00ad\u00ac\u2e17\u2013\u2014"  # hyphens (lexicon.HYPHENS) and en/em dashes


def _indent(line: str) -> int:
    if line[:1] not in (" ", "\t"):
        return 0
    n = len(line) - len(line.lstrip())
    return n + 3 * line[:n].count("\t")


class UnwrapLines(PageRewriter):
    """Join the lines of each paragraph with spaces; paragraphs are separated by ``paragraph_separator``.

    A paragraph ends at a blank line, before a line indented at least ``indent`` more than the page's least
    indented line, and after a short line: shorter than ``short_line_ratio`` times the page's typical line
    length (the 75th percentile of its line lengths; pages of fewer than ``min_lines`` lines have no short
    lines). A line ending in a dash or hyphen attached to its word (``completed—``, ``1909-``, ``Ver¬``: ``-``,
    U+2010, the soft hyphen, ``¬``, ``⸗``, en and em dash) is joined to the next without a space when
    ``join_dashes`` is on. Leading and trailing spaces of lines are dropped.

    Stats: ``lines_joined`` (line breaks turned into spaces), ``paragraphs``.
    """

    name = "📜 unwrap lines"

    def __init__(
        self,
        short_line_ratio: float = 0.6,
        indent: int = 2,
        min_lines: int = 4,
        join_dashes: bool = True,
        paragraph_separator: str = "\n\n",
    ):
        super().__init__()
        if "\f" in paragraph_separator:
            raise ValueError("paragraph_separator may not contain a form feed (it marks pages)")
        self.short_line_ratio = short_line_ratio
        self.indent = indent
        self.min_lines = min_lines
        self.join_dashes = join_dashes
        self.paragraph_separator = paragraph_separator

    def rewrite(self, doc: Document, view: TextView) -> list[str] | None:
        pages = [self.unwrap(lines) for lines in view.page_lines]
        return None if pages == view.pages else pages

    def unwrap(self, lines: list[str]) -> str:
        stripped = [line.strip() for line in lines]
        lengths = sorted(len(s) for s in stripped if s)
        if not lengths:
            return ""
        short = 0.0
        if len(lengths) >= self.min_lines:
            short = self.short_line_ratio * lengths[(3 * len(lengths)) // 4]
        indented = [_indent(line) for line, s in zip(lines, stripped, strict=True) if s and line[:1] in (" ", "\t")]
        base = min(indented) if len(indented) == len(lengths) else 0
        paragraphs: list[str] = []
        parts: list[str] = []
        joined = 0
        for line, s in zip(lines, stripped, strict=True):
            if not s:
                if parts:
                    paragraphs.append("".join(parts))
                    parts = []
                continue
            if parts and line[:1] in (" ", "\t") and _indent(line) >= base + self.indent:
                paragraphs.append("".join(parts))
                parts = []
            if parts:
                prev = parts[-1]
                if not (self.join_dashes and prev[-1] in _DASHES and len(prev) > 1 and prev[-2] != " "):
                    parts.append(" ")
                joined += 1
            parts.append(s)
            if len(s) < short:
                paragraphs.append("".join(parts))
                parts = []
        if parts:
            paragraphs.append("".join(parts))
        self.stat_update("lines_joined", value=joined)
        self.stat_update("paragraphs", value=len(paragraphs))
        return self.paragraph_separator.join(paragraphs)
