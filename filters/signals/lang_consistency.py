"""Language consistency: the share of short segments identified as the book's main language."""

from __future__ import annotations

from collections import Counter

from datatrove.data import Document

from filters.signals.base import OcrSignal, PageScore
from filters.signals.words import detect_language
from filters.textview import TextView


class LangConsistencySignal(OcrSignal):
    """``lang_consistency``: segments of ``segment_words`` words in the book's majority language / all segments.

    Each segment is identified offline with py3langid (its model ships in the package), among ``languages``
    (empty = all 97 it knows). OCR debris is identified as a random language, so bad pages score low; a truly
    bilingual book scores low too, so calibrate before filtering on it. At most ``max_segments_per_page``
    evenly spaced segments of a page are identified (speed).
    """

    name = "🌐 language consistency"
    signal = "lang_consistency"
    bad_side = "low"

    def __init__(self, segment_words: int = 20, languages: tuple[str, ...] = (), max_segments_per_page: int = 20):
        super().__init__()
        self.segment_words = segment_words
        self.languages = list(languages)
        self.max_segments_per_page = max_segments_per_page

    def page_segments(self, words: list[str]) -> list[str]:
        k = self.segment_words
        starts = list(range(0, max(len(words) - k // 2, 0), k)) or ([0] if words else [])
        if len(starts) > self.max_segments_per_page:
            step = len(starts) / self.max_segments_per_page
            starts = [starts[int(i * step)] for i in range(self.max_segments_per_page)]
        return [" ".join(words[s : s + k]) for s in starts]

    def identify(self, text: str) -> str:
        return detect_language(text, self.languages)

    def page_scores(self, doc: Document, view: TextView) -> list[PageScore]:
        page_langs = [[self.identify(s) for s in self.page_segments(words)] for words in view.page_words]
        counts = Counter(lang for langs in page_langs for lang in langs)
        if not counts:
            return [(None, 0)] * len(page_langs)
        main = counts.most_common(1)[0][0]
        doc.metadata.setdefault("language", main)
        return [
            (sum(lang == main for lang in langs) / len(langs), len(langs)) if langs else (None, 0)
            for langs in page_langs
        ]
