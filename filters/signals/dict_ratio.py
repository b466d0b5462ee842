"""Dictionary-word ratio: the share of a page's words that are words of the book's language."""

from __future__ import annotations

from functools import partial

from datatrove.data import Document

from filters.signals.base import OcrSignal, PageScore, page_code_sum, page_token_counts
from filters.signals.words import (
    book_language,
    has_letter,
    in_dictionary_parts,
    normalise,
    wordlist,
    wordlist_language,
)
from filters.textview import TextView

_MEMO_LIMIT = 500_000
SHIFT = 32  # a page has fewer than 2**32 tokens
COUNTED = 1 << SHIFT


class DictRatioSignal(OcrSignal):
    """``dict_ratio``: words found in the language's word list / words with letters (numbers are not counted).

    The language is ``metadata["language"]`` when set (and listed, when ``languages`` is given), else detected
    (py3langid) among ``languages`` (empty, the default: every language py3langid knows) and recorded there.
    Word lists come from the ``wordfreq`` package (its "best" lists, about 40 languages; words at or above
    ``min_zipf``); tokens are normalised first (``filters.signals.words``): long s and ligatures modernised, case
    and edge punctuation removed. A book in a language without a word list (Latin, for one) is not measured: the
    signal abstains (value None, reason in ``metadata["ocr_signals_abstained"]["dict_ratio"]``).
    """

    name = "📖 dictionary-word ratio"
    signal = "dict_ratio"
    bad_side = "low"

    def __init__(self, languages: tuple[str, ...] = (), min_zipf: float = 1.0):
        super().__init__()
        self.languages = list(languages)
        self.min_zipf = min_zipf
        self._memo: dict[str, dict[str, int]] = {}  # per language: printed token -> code (see ``classify``)

    @staticmethod
    def classify(token: str, words: frozenset[str]) -> int:
        """``COUNTED + 1`` for a word of ``words``, ``COUNTED`` for another token with letters, 0 for a token
        without letters (not counted): summed over a page, the low 32 bits count its words, the next ones the
        tokens counted."""
        return DictRatioSignal.word_code(normalise(token), words)

    @staticmethod
    def word_code(word: str, words: frozenset[str]) -> int:
        """``classify`` of a token whose ``normalise`` form is ``word``."""
        if not has_letter(word):
            return 0
        return COUNTED + 1 if word in words or in_dictionary_parts(word, words) else COUNTED

    def language(self, doc: Document, view: TextView) -> str:
        """The book's language, recorded in ``metadata["language"]`` when detected."""
        lang = book_language(view.text, doc.metadata, self.languages)
        doc.metadata.setdefault("language", lang)  # detected, when the source did not say
        return lang

    def abstention(self, doc: Document, view: TextView) -> str | None:
        lang = self.language(doc, view)
        return None if wordlist_language(lang) else f"no word list for language {lang!r}"

    def words(self, lang: str) -> frozenset[str]:
        """The word list of ``lang`` (one the book language has, see ``abstention``)."""
        code = wordlist_language(lang)
        if code is None:
            raise ValueError(f"wordfreq has no word list for language {lang!r}")
        return wordlist(code, self.min_zipf)

    def memo(self, lang: str) -> dict[str, int]:
        """Printed token -> ``classify`` code, for ``lang`` (emptied when it grows too big)."""
        memo = self._memo.setdefault(lang, {})
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        return memo

    @staticmethod
    def scores_from_sums(sums: list[int]) -> list[PageScore]:
        """Page scores from each page's sum of ``classify`` codes."""
        out: list[PageScore] = []
        for packed in sums:
            known, counted = packed & (COUNTED - 1), packed >> SHIFT
            out.append((known / counted if counted else None, counted))
        return out

    def page_scores(self, doc: Document, view: TextView) -> list[PageScore]:
        lang = self.language(doc, view)
        memo = self.memo(lang)
        classify = partial(self.classify, words=self.words(lang))
        # each distinct token classified once (until the memo is emptied), one lookup per page it is on
        return self.scores_from_sums([page_code_sum(c, memo, classify) for c in page_token_counts(view)])
