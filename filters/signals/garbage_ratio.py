"""Garbage-token ratio: the share of a page's tokens that look like OCR debris rather than print."""

from __future__ import annotations

import re

from datatrove.data import Document

from filters.signals.base import OcrSignal, PageScore, page_code_sum, page_token_counts
from filters.signals.words import VOWELS, core_form, has_letter
from filters.textview import TextView

_MEMO_LIMIT = 500_000
# numbers with letters that print does use: ordinals, book formats (8vo, 12mo), 2d, 1er, 2e, 3ème
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th|d|mo|vo|to|fo|o|e|er|re|ère|ème|me|eme|es|a|°|s|l|'s)$", re.IGNORECASE)
_ROMAN = re.compile(r"^[ivxlcdm]+$", re.IGNORECASE)
# inside a word: anything but letters, digits and the punctuation print glues between words
_SYMBOLS = re.compile(r"[^\w'’\-–—.,;:!?&/()\[\]\"“”]")
# a capital after a small letter that ends the word, is followed by a capital, or is U between small letters
# ("aU", "shaU", "tHE", "caUed": ll read as U); "sonOf" (two words glued by a lost line break) is not garbage
_MIXED_CASE = re.compile(r"[a-zß-öø-ÿ](?:[A-ZÀ-ÖØ-Þ](?![a-zß-öø-ÿ])|U(?=[a-z]))")
_ASCII_DIGIT = re.compile("[0-9]").search
_TRIPLE = re.compile(r"([^\W\d_])\1\1", re.IGNORECASE)
_PUNCT_RUN = re.compile(r"[^\w\s]{3,}")
_ALLOWED_RUNS = frozenset(
    {"...", "…", "---", "——", "***", "* * *", ".--", ",--", ";--", "!--", "?--", "--", '."', "?'"}
)


class GarbageRatioSignal(OcrSignal):
    """``garbage_ratio``: garbage tokens / whitespace tokens of a page.

    A token is garbage when, after stripping edge punctuation, it: mixes letters and digits (ordinals and book
    formats such as ``2d``, ``8vo`` excepted); has a symbol inside a word (``th^t``, ``w•rd``); is a letters-only
    word of ``min_no_vowel_len`` or more letters with no vowel (roman numerals excepted); mixes case inside a
    word (``tHe``); repeats one letter three times (``eee``, roman numerals excepted); is a run of 3+
    punctuation marks other than ellipses and dashes; or is a single letter that is not a one-letter word
    (``single_letter_words``) nor an initial followed by a period (a broken word).
    """

    name = "🗑 garbage-token ratio"
    signal = "garbage_ratio"
    bad_side = "high"

    def __init__(self, min_no_vowel_len: int = 5, single_letter_words: str = "aAiIoOàÀyY&"):
        super().__init__()
        self.min_no_vowel_len = min_no_vowel_len
        self.single_letter_words = frozenset(single_letter_words)
        self._memo: dict[str, int] = {}  # printed token -> 1 (garbage) or 0

    def is_garbage(self, token: str) -> bool:
        return self.core_is_garbage(token, core_form(token))

    def core_is_garbage(self, token: str, core: str) -> bool:
        """``is_garbage(token)``, given ``core = core_form(token)``."""
        if core.isalpha() and len(core) > 1:  # the common case: a word of letters only
            if not (core.islower() or core.isupper() or core.istitle()) and _MIXED_CASE.search(core):
                return not (core[:2] == "Mc" or core[:3] == "Mac")
            if len(core) >= self.min_no_vowel_len and VOWELS.isdisjoint(core):
                return not _ROMAN.match(core)
            return bool(_TRIPLE.search(core)) and not _ROMAN.match(core)
        if not core:
            runs = _PUNCT_RUN.findall(token)
            return any(r not in _ALLOWED_RUNS and set(r) - set(".-—*") for r in runs)
        if not has_letter(core):
            return False  # numbers, dates, prices
        if _ASCII_DIGIT(core) if core.isascii() else any(map(str.isdigit, core)):  # ASCII digits are 0-9
            return not _ORDINAL.match(core)
        if _SYMBOLS.search(core):
            return True
        if len(core) == 1:
            # "J." is an initial, "'s" / "'d" a contraction split off by a tokenizer
            return core not in self.single_letter_words and not token.endswith(".") and token[0] not in "'’"
        if _MIXED_CASE.search(core) and not (core[:2] == "Mc" or core[:3] == "Mac"):
            return True
        letters = core.replace("'", "").replace("-", "")
        if _ROMAN.match(letters):
            return False
        if len(letters) >= self.min_no_vowel_len and letters.isalpha() and VOWELS.isdisjoint(letters):
            return True
        return bool(_TRIPLE.search(core))

    def memo(self) -> dict[str, int]:
        """Printed token -> 1 (garbage) or 0 (emptied when it grows too big)."""
        if len(self._memo) > _MEMO_LIMIT:
            self._memo.clear()
        return self._memo

    @staticmethod
    def scores_from_sums(view: TextView, sums: list[int]) -> list[PageScore]:
        """Page scores from each page's count of garbage tokens."""
        return [
            (bad / len(tokens) if tokens else None, len(tokens))
            for tokens, bad in zip(view.page_words, sums, strict=True)
        ]

    def page_scores(self, doc: Document, view: TextView) -> list[PageScore]:
        memo, code = self.memo(), self._code
        # each distinct token classified once (until the memo is emptied), one lookup per page it is on
        return self.scores_from_sums(view, [page_code_sum(c, memo, code) for c in page_token_counts(view)])

    def _code(self, token: str) -> int:
        return int(self.is_garbage(token))
