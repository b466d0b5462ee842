"""``dict_ratio`` and ``garbage_ratio`` measured together, in one pass over each page's distinct tokens.

Each signal alone keeps a memo (printed token -> code) and looks every distinct token of a page up in it. The
lookups dominate once the memo is large (a rare token is a cache miss), so measuring both signals costs two
passes. Here one memo holds both codes packed in one integer, so one lookup per distinct token serves both, and
a new token's core form (``core_form``) is computed once for both. The page scores are exactly those of the two
signals measured one after the other: the same integer counts, split back out of the packed sums.
``OcrQualityFilter`` uses this when it computes both signals itself (its default).
"""

from __future__ import annotations

from datatrove.data import Document

from filters.signals.base import PageScore, page_code_sum, page_token_counts
from filters.signals.dict_ratio import SHIFT, DictRatioSignal
from filters.signals.garbage_ratio import GarbageRatioSignal
from filters.signals.words import core_form
from filters.textview import text_view

# a token's packed code: bit 0 a word of the list, bit FIELD counted (has letters), bit 2 * FIELD garbage; summed
# over a page of fewer than 2**FIELD tokens, the three counts do not carry into each other and the sum stays below
# 2**63 (CPython's fast integer path in sum); a bigger page is counted field by field
FIELD = 21
_MEMO_LIMIT = 500_000


class WordSignals:
    """Page scores of a ``DictRatioSignal`` and a ``GarbageRatioSignal`` (their own parameters), computed at once."""

    def __init__(self, dict_signal: DictRatioSignal, garbage_signal: GarbageRatioSignal):
        self.dict_signal = dict_signal
        self.garbage_signal = garbage_signal
        self._memo: dict[str, dict[str, int]] = {}  # per language: printed token -> packed code

    def page_scores(self, doc: Document) -> dict[str, list[PageScore]]:
        """``{"dict_ratio": ..., "garbage_ratio": ...}``; records the detected language as ``dict_ratio`` does.

        Without ``"dict_ratio"`` when that signal abstains (no word list for the book's language)."""
        view = text_view(doc)
        lang = self.dict_signal.language(doc, view)
        if self.dict_signal.abstention(doc, view):  # no word list: garbage_ratio alone (the caller records why)
            return {GarbageRatioSignal.signal: self.garbage_signal.page_scores(doc, view)}
        words = self.dict_signal.words(lang)
        memo = self._memo.setdefault(lang, {})
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        word_code, core_is_garbage = self.dict_signal.word_code, self.garbage_signal.core_is_garbage
        field = FIELD

        def code(token: str) -> int:  # both signals' codes from one core form (normalise = core_form + lower)
            core = core_form(token)
            d = word_code(core.lower(), words)  # COUNTED + 1, COUNTED or 0
            return (d & 1) | ((d >> SHIFT) << field) | (core_is_garbage(token, core) << 2 * field)

        dict_sums, garbage_sums = [], []
        mask = (1 << field) - 1
        for tokens, counts in zip(view.page_words, page_token_counts(view), strict=True):
            packed = page_code_sum(counts, memo, code)  # also puts every token of the page in the memo
            if len(tokens) >> field:
                known, counted, garbage = (
                    sum(n for token, n in counts.items() if memo[token] >> shift & 1)
                    for shift in (0, field, 2 * field)
                )
            else:
                known, counted, garbage = packed & mask, packed >> field & mask, packed >> 2 * field
            dict_sums.append(known + (counted << SHIFT))
            garbage_sums.append(garbage)
        return {
            DictRatioSignal.signal: self.dict_signal.scores_from_sums(dict_sums),
            GarbageRatioSignal.signal: self.garbage_signal.scores_from_sums(view, garbage_sums),
        }
