"""Remove the Project Gutenberg header, licence and footer from a book, keeping the body."""

from __future__ import annotations

import re

from datatrove.data import Document

from filters.cleanup.base import PageRewriter
from filters.textview import TextView

# "*** START OF THIS PROJECT GUTENBERG EBOOK EMMA ***" (may wrap onto a second line ending in "***")
_START = re.compile(r"^[ \t]*\*{3}[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG([^\n]*)", re.I | re.M)
# older files end their header with the small print: "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver...*END*"
_SMALL_PRINT_END = re.compile(r"^[ \t]*\*END\*?[ \t]*THE SMALL PRINT![^\n]*", re.I | re.M)
_END = re.compile(
    r"^[ \t]*(?:\*{3}[ \t]*END OF (?:THE|THIS) PROJECT GUTENBERG"
    r"|End of (?:the |this )?Project Gutenberg\b"
    r"|\*{3}[ \t]*START\**[ \t]*THE SMALL PRINT)",
    re.I | re.M,
)
_CREDITS = re.compile(
    r"\s*(?:Produced by|This (?:e-?book|e-?text|etext) (?:was|is) (?:produced|prepared) by|E-?text prepared by"
    r"|Transcribed (?:from|by)|Prepared by)[^\n]*"
    r"(?:\n[^\S\n]*\S[^\n]*)*",
    re.I,
)


class GutenbergBoilerplate(PageRewriter):
    """Cut everything before the ``*** START OF ... PROJECT GUTENBERG ...`` marker (or, in older files, before
    the end of the header's ``*END*THE SMALL PRINT!``) and from the first ``*** END OF ...`` / ``End of the
    Project Gutenberg EBook of ...`` line on (the licence follows it). With ``drop_credits`` the producer credit
    paragraph right after the start marker (``Produced by ...``) goes too. A book without markers is unchanged.
    Pages outside the body become empty pages, so the page count stays.

    Stats: ``gutenberg_header_removed``, ``gutenberg_footer_removed``, ``gutenberg_chars_removed``,
    ``gutenberg_credits_removed``, ``no_gutenberg_markers``.
    """

    name = "📚 gutenberg boilerplate"

    def __init__(self, drop_credits: bool = True):
        super().__init__()
        self.drop_credits = drop_credits

    def body_span(self, text: str) -> tuple[int, int]:
        """Start and end offsets of the body in ``text`` (0 and len(text) where no marker is found)."""
        start = 0
        m = _START.search(text)
        if m is None:
            m = _SMALL_PRINT_END.search(text)
            if m is not None and m.start() > len(text) // 2:
                m = None  # a small print at the end of the file is a footer
        if m is not None:
            start = m.end()
            if m.re is _START and "***" not in m.group(1):  # the marker wraps: end at the line closing it
                pos = start
                for _ in range(2):
                    nl = text.find("\n", pos + 1)
                    pos = len(text) if nl < 0 else nl
                    if "***" in text[start:pos]:
                        start = pos
                        break
            if self.drop_credits:
                c = _CREDITS.match(text, start)
                if c is not None:
                    start = c.end()
                    self.stat_update("gutenberg_credits_removed")
        end = len(text)
        e = _END.search(text, start)
        if e is not None:
            end = e.start()
        return start, end

    def rewrite(self, doc: Document, view: TextView) -> list[str] | None:
        text = view.text
        # every header and footer variant names the project; three plain scans spare the regexes elsewhere
        if "Gutenberg" not in text and "GUTENBERG" not in text and "gutenberg" not in text:
            self.stat_update("no_gutenberg_markers")
            return None
        start, end = self.body_span(text)
        if start == 0 and end == len(text):
            self.stat_update("no_gutenberg_markers")
            return None
        if start:
            self.stat_update("gutenberg_header_removed")
        if end < len(text):
            self.stat_update("gutenberg_footer_removed")
        new = []
        s = 0
        for page in view.pages:
            lo, hi = max(start - s, 0), min(end - s, len(page))
            new.append(page[lo:hi].strip("\n") if lo < hi else "")
            s += len(page) + len(view.page_separator)
        self.stat_update("gutenberg_chars_removed", value=len(text) - sum(map(len, new)))
        return new
