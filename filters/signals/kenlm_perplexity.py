"""Character n-gram perplexity of a page under a KenLM model trained on clean text
(``filters.signals.train_kenlm``)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from datatrove.data import Document

from filters.extras import require
from filters.signals.base import ModelSignal, PageScore, model_abstention
from filters.textview import TextView

BOUNDARY = "▁"  # the word-boundary token (whitespace runs)
CHUNK_CHARS = 200  # text is scored (and trained) in pieces of about this many characters, cut at spaces


def char_sentences(text: str, chunk_chars: int = CHUNK_CHARS) -> Iterator[str]:
    """KenLM "sentences" of ``text``: characters as space-separated tokens, ``▁`` between words."""
    words = text.split()
    start = 0
    while start < len(words):
        size, end = 0, start
        while end < len(words) and size < chunk_chars:
            size += len(words[end]) + 1
            end += 1
        yield f" {BOUNDARY} ".join(" ".join(w) for w in words[start:end])
        start = end


class KenlmPerplexitySignal(ModelSignal):
    """``kenlm_perplexity``: per-character perplexity of a page under a character n-gram model (lower = cleaner).

    ``model`` is an ARPA or KenLM binary file made by ``python -m filters.signals.train_kenlm`` (default:
    ``$FINEBOOKS_CACHE/models/kenlm-char5.binary``). The book value is the geometric mean of the page values
    weighted by characters scored (i.e. the book's own perplexity). With ``languages`` (those the model was
    trained on) it abstains on a book in another language.
    """

    name = "🧮 KenLM char perplexity"
    signal = "kenlm_perplexity"
    bad_side = "high"
    default_file = "kenlm-char5.binary"
    model_kind = "KenLM model"
    train_command = "python -m filters.signals.train_kenlm --corpus <clean text folder> --out {path}"

    def __init__(self, model: str = "", chunk_chars: int = CHUNK_CHARS, languages: tuple[str, ...] = ()):
        require("kenlm", "block kenlm_perplexity")
        super().__init__(model)
        self.languages = tuple(languages)  # the languages the model was trained on (empty: any)
        self.chunk_chars = chunk_chars

    def load_model(self, path: str):
        import kenlm

        return kenlm.Model(path)

    def score_text(self, text: str) -> tuple[float, int]:
        """(log10 probability, tokens scored) of ``text``."""
        model = self.model
        logp = 0.0
        n = 0
        for sentence in char_sentences(text, self.chunk_chars):
            logp += model.score(sentence, bos=True, eos=True)
            n += sentence.count(" ") + 2  # tokens + </s>
        return logp, n

    def abstention(self, doc: Document, view: TextView) -> str | None:
        return model_abstention(doc, view, self.languages)

    def page_scores(self, doc: Document, view: TextView) -> list[PageScore]:
        out: list[PageScore] = []
        for page in view.pages:
            logp, n = self.score_text(page)
            out.append((10 ** (-logp / n) if n else None, n))
        return out

    @classmethod
    def aggregate(cls, values: list[float | None], weights: list[int]) -> float | None:
        total = sum(w for v, w in zip(values, weights, strict=True) if v is not None)
        if not total:
            return None
        return 10 ** (sum(math.log10(v) * w for v, w in zip(values, weights, strict=True) if v is not None) / total)


default_model = KenlmPerplexitySignal.default_model
