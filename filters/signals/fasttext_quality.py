"""P(page is clean text, not raw OCR) under a fastText classifier trained by ``filters.signals.train_fasttext``."""

from __future__ import annotations

from datatrove.data import Document

from filters.extras import require
from filters.signals.base import ModelSignal, PageScore, model_abstention
from filters.textview import TextView

CLEAN_LABEL = "__label__clean"
OCR_LABEL = "__label__ocr"


class FasttextQualitySignal(ModelSignal):
    """``fasttext_quality``: P(clean) of each page under a clean-vs-raw-OCR fastText classifier (higher = cleaner).

    ``model`` is made by ``python -m filters.signals.train_fasttext`` (default
    ``$FINEBOOKS_CACHE/models/fasttext-ocr-quality.bin``). Pages are weighted by their word count.
    With ``languages`` (those the model was trained on) it abstains on a book in another language.
    """

    name = "🏷 fastText OCR quality"
    signal = "fasttext_quality"
    bad_side = "low"
    default_file = "fasttext-ocr-quality.bin"
    model_kind = "fastText model"
    train_command = (
        "python -m filters.signals.train_fasttext --clean <clean text folder> --raw <raw OCR folder> --out {path}"
    )

    def __init__(self, model: str = "", max_words: int = 2000, languages: tuple[str, ...] = ()):
        require("fasttext", "block fasttext_quality")
        super().__init__(model)
        self.languages = tuple(languages)  # the languages the model was trained on (empty: any)
        self.max_words = max_words

    def load_model(self, path: str):
        import fasttext

        return fasttext.load_model(path)

    def p_clean(self, words: list[str]) -> float:
        labels, probs = self.model.predict(" ".join(words[: self.max_words]), k=2)
        return float(dict(zip(labels, probs, strict=True)).get(CLEAN_LABEL, 0.0))

    def abstention(self, doc: Document, view: TextView) -> str | None:
        return model_abstention(doc, view, self.languages)

    def page_scores(self, doc: Document, view: TextView) -> list[PageScore]:
        return [(self.p_clean(words), len(words)) if words else (None, 0) for words in view.page_words]


default_model = FasttextQualitySignal.default_model
