"""Dictionary-word ratio: the share of a page's words that are words of the book's language."""

from __future__ import annotations

from datatrove.data import Document

from filters.signals.base import OcrSignal, PageScore, page_token_counts
from filters.signals.words import book_language, has_letter, in_dictionary, normalise, wordlist
from filters.textview import TextView

_MEMO_LIMIT = 500_000


class DictRatioSignal(OcrSignal):
    """``dict_ratio``: words found in the language's word list / words with letters (numbers are not counted).

    The language is ``metadata["language"]`` when set and listed, else detected (py3langid) among ``languages``
    and recorded there.
    Word lists come from the ``wordfreq`` package (words at or above ``min_zipf``); tokens are normalised first
    (``filters.signals.words``): long s and ligatures modernised, case and edge punctuation removed.
    """

    name = "📖 dictionary-word ratio"
    signal = "dict_ratio"

    def __init__(self, languages: tuple[str, ...] = ("en", "fr", "de", "es", "it", "nl", "pt"), min_zipf: float = 1.0):
        super().__init__()
        self.languages = list(languages)
        self.min_zipf = min_zipf
        self._memo: dict[str, dict[str, int]] = {}

    def page_scores(self, doc: Document, view: TextView) -> list[PageScore]:
        lang = book_language(view.text, doc.metadata, self.languages)
        doc.metadata.setdefault("language", lang)  # detected, when the source did not say
        words = wordlist(lang, self.min_zipf)
        memo = self._memo.setdefault(lang, {})
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        out: list[PageScore] = []
        for counts in page_token_counts(view):
            known = counted = 0
            for tok, n in counts.items():  # each distinct token once (C-speed counting)
                hit = memo.get(tok)
                if hit is None:  # 1 = a word of the list, 0 = not, -1 = no letters (not counted)
                    word = normalise(tok)
                    hit = int(in_dictionary(word, words)) if has_letter(word) else -1
                    memo[tok] = hit
                if hit >= 0:
                    counted += n
                    known += hit * n
            out.append((known / counted if counted else None, counted))
        return out
