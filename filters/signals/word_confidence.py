"""Mean OCR word confidence, from the ALTO (``WC``) or hOCR (``x_wconf``) source when it has one."""

from __future__ import annotations

from datatrove.data import Document

from filters.signals.base import OcrSignal, PageScore
from filters.textview import TextView


class WordConfidenceSignal(OcrSignal):
    """``word_confidence``: the OCR engine's mean word confidence (0..1), per page and for the book.

    The readers put it in ``metadata["page_word_confidence"]`` (one value or None per page) and
    ``metadata["word_confidence"]``. Sources without confidences (plain text, line-level hOCR) give None:
    a filter then has no opinion on this signal. Pages are weighted by their word count.
    """

    name = "🎯 word confidence"
    signal = "word_confidence"
    bad_side = "low"

    def __init__(self):
        super().__init__()

    def page_scores(self, doc: Document, view: TextView) -> list[PageScore]:
        confs = doc.metadata.get("page_word_confidence")
        n_pages = len(view.pages)
        if not isinstance(confs, list) or len(confs) != n_pages:
            book = doc.metadata.get("word_confidence")
            if book is None:
                return [(None, 0)] * n_pages
            confs = [book] * n_pages  # only a book value: every page gets it
        return [
            (float(c), len(words)) if c is not None else (None, 0)
            for c, words in zip(confs, view.page_words, strict=True)
        ]
