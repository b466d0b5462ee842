"""Join words broken at a line-end hyphen, when the joined form is a word; keep real compounds hyphenated."""

from __future__ import annotations

import re
from typing import Literal

from datatrove.data import Document

from filters.cleanup.base import PageRewriter
from filters.cleanup.lexicon import HYPHENS, HyphenJudge, book_vocabulary
from filters.textview import TextView

_LINE_END_HYPHEN = re.compile(f"[{HYPHENS}][ \\t]*\\n")


class Dehyphenate(PageRewriter):
    """``in-\\nvestigate`` -> ``investigate``, ``well-\\nknown`` -> ``well-known``, on every page.

    The rest of the broken word moves up to the end of the first line (the next line keeps its other words, and
    disappears when it had none), so line structure survives for ``unwrap_lines``. A word is joined when the
    book itself uses the joined form more than the hyphenated one, or else when the joined form is in the
    ``language`` dictionary (wordfreq, Zipf >= ``min_zipf``); it keeps its hyphen when the book uses the
    hyphenated form, when the part after the hyphen is capitalised, or when both parts are words and the joined
    form is not; anything else follows ``unknown``. With ``skip_blank_line`` a single blank line between the
    two halves (an OCR artefact) is removed. Words are not joined across pages: ``remove_page_separators``
    does that on output.

    Stats: ``hyphens_joined``, ``hyphens_kept`` and one ``hyphen_<joined|kept>_<reason>`` counter per reason
    (``book``, ``dictionary``, ``capital``, ``soft_hyphen``, ``unknown``).
    """

    name = "🔗 dehyphenate"

    def __init__(
        self,
        language: str = "en",
        min_zipf: float = 2.0,
        unknown: Literal["keep", "join"] = "keep",
        skip_blank_line: bool = True,
    ):
        super().__init__()
        self.language = language
        self.min_zipf = min_zipf
        self.unknown = unknown
        self.skip_blank_line = skip_blank_line
        self.judge = HyphenJudge(language, min_zipf, unknown)

    def rewrite(self, doc: Document, view: TextView) -> list[str] | None:
        if not _LINE_END_HYPHEN.search(view.text):
            return None
        vocab = None
        new_pages: list[str] | None = None
        for p, lines in enumerate(view.page_lines):
            if not _LINE_END_HYPHEN.search(view.pages[p]):
                continue
            if vocab is None:
                vocab = book_vocabulary(view.words)
            out = self.fix_lines(lines, vocab)
            if out is not None:
                if new_pages is None:
                    new_pages = list(view.pages)
                new_pages[p] = "\n".join(out)
        return new_pages

    def fix_lines(self, lines: list[str], vocab) -> list[str] | None:
        """The page's lines with line-end hyphens resolved, or None when none was."""
        out: list[str | None] = list(lines)
        n = len(out)
        changed = False
        i = 0
        while i < n - 1:
            line = out[i]
            if line is None:
                i += 1
                continue
            rs = line.rstrip()
            if len(rs) < 2 or rs[-1] not in HYPHENS or not rs[-2].isalpha():
                i += 1
                continue
            j = i + 1
            if self.skip_blank_line and not out[j].strip() and j + 1 < n:
                j += 1
            ns = out[j].lstrip() if out[j] is not None else ""
            if not ns or not ns[0].isalpha():
                i += 1
                continue
            cut = rs.rfind(" ") + 1
            head = rs[cut:-1]
            end = ns.find(" ")
            tail = ns if end < 0 else ns[:end]
            verdict = self.judge.decide(head, tail, rs[-1], vocab)
            if verdict is None:
                i += 1
                continue
            join, reason = verdict
            self.stat_update("hyphens_joined" if join else "hyphens_kept")
            self.stat_update(f"hyphen_{'joined' if join else 'kept'}_{reason}")
            out[i] = rs[:cut] + head + ("" if join else "-") + tail
            rest = "" if end < 0 else ns[end:].lstrip()
            if j == i + 2:
                out[i + 1] = None
            out[j] = rest if rest else None
            changed = True
            i = j if rest else j + 1
        if not changed:
            return None
        return [line for line in out if line is not None]
