"""The base of every OCR-quality signal step: measure each page, aggregate to the book, store both."""

from __future__ import annotations

import os
import weakref
from abc import abstractmethod
from collections import Counter
from collections.abc import Callable
from itertools import compress, repeat
from operator import eq, mul
from typing import Any, ClassVar

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from filters.textview import TextView, text_view

BOOK_KEY = "ocr_signals"
PAGE_KEY = "ocr_page_signals"
ABSTAIN_KEY = "ocr_signals_abstained"  # signal name -> why it gave no value (filters/signals/__init__.py)

PageScore = tuple[float | None, int]  # (value, weight); value None when the page has nothing to measure


_COUNTS: weakref.WeakKeyDictionary[TextView, list[Counter]] = weakref.WeakKeyDictionary()


def page_token_counts(view: TextView) -> list[Counter]:
    """Distinct whitespace tokens of each page with their counts, computed once per text view and shared by the
    token-level signals (each then looks at a distinct token once)."""
    counts = _COUNTS.get(view)
    if counts is None:
        counts = _COUNTS[view] = [Counter(words) for words in view.page_words]
    return counts


_NEW = -1  # code of a token not classified yet


def page_code_sum(counts: Counter, memo: dict[str, int], classify: Callable[[str], int]) -> int:
    """Sum over a page's tokens (repeats counted) of their integer codes: ``memo[token]``, or ``classify(token)``
    (stored in ``memo``) for a token seen for the first time. One dictionary lookup per distinct token, at C
    speed; Python runs only for new tokens. A signal packs several counts in one code (e.g. ``1 << 32``)."""
    codes = list(map(memo.get, counts, repeat(_NEW)))
    total = sum(map(mul, counts.values(), codes))
    if _NEW in codes:
        for token in compress(counts, map(eq, codes, repeat(_NEW))):
            code = memo[token] = classify(token)
            total += (code - _NEW) * counts[token]
    return total


def weighted_mean(values: list[float | None], weights: list[int]) -> float | None:
    total = sum(w for v, w in zip(values, weights, strict=True) if v is not None)
    if not total:
        return None
    return sum(v * w for v, w in zip(values, weights, strict=True) if v is not None) / total


def model_abstention(doc: Document, view: TextView, languages: tuple[str, ...]) -> str | None:
    """Why a model trained on ``languages`` (empty: any) cannot score ``doc``: its language is not one of them."""
    if not languages:
        return None
    from filters.signals.words import book_language

    lang = book_language(view.text, doc.metadata)
    doc.metadata.setdefault("language", lang)
    return None if lang in languages else f"model not trained for language {lang!r}"


class OcrSignal(PipelineStep):
    """Computes one signal (``signal``) for every page of a book and for the whole book, into metadata.

    Subclasses implement ``page_scores`` (value and weight per page). The book value is ``aggregate`` of the page
    values, a weighted mean unless a subclass says otherwise. Documents pass through unchanged otherwise.
    """

    type = "📐 - SIGNAL"
    signal: str = ""
    bad_side: str = "low"  # which side is bad OCR: "low" (drop below a minimum) or "high" (above a maximum)

    def page_scores(self, doc: Document, view: TextView) -> list[PageScore]:
        """(value, weight) for each page of ``view.pages``."""
        raise NotImplementedError

    @classmethod
    def aggregate(cls, values: list[float | None], weights: list[int]) -> float | None:
        return weighted_mean(values, weights)

    @classmethod
    def model_files(cls, params: dict) -> list[str]:
        """Files (trained models) that decide this signal's values given its block ``params``: the process stage's
        key records their sha256, so a retrained model makes a new stage. None for a training-free signal."""
        return []

    def abstention(self, doc: Document, view: TextView) -> str | None:
        """Why this signal cannot measure ``doc`` (no resource for its language), or None when it can."""
        return None

    def measure(self, doc: Document) -> float | None:
        """Compute and store the signal on ``doc`` (or its abstention); return the book value."""
        view = text_view(doc)
        reason = self.abstention(doc, view)
        if reason:
            return self.abstain(doc, len(view.pages), reason)
        return self.record(doc, self.page_scores(doc, view))

    def abstain(self, doc: Document, n_pages: int, reason: str) -> None:
        """Store no value for the book and its pages, and ``reason`` in ``metadata["ocr_signals_abstained"]``."""
        self.record(doc, [(None, 0)] * n_pages)
        doc.metadata.setdefault(ABSTAIN_KEY, {})[self.signal] = reason

    def record(self, doc: Document, scores: list[PageScore]) -> float | None:
        """Store page scores and their book aggregate on ``doc``; return the book value."""
        values = [v for v, _ in scores]
        weights = [w for _, w in scores]
        book = self.aggregate(values, weights)
        doc.metadata.setdefault(BOOK_KEY, {})[self.signal] = book
        doc.metadata.setdefault(PAGE_KEY, {})[self.signal] = {"values": values, "n": weights}
        doc.metadata.get(ABSTAIN_KEY, {}).pop(self.signal, None)  # measured now: an earlier abstention is stale
        return book

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                value = self.measure(doc)
            abstained = doc.metadata.get(ABSTAIN_KEY, {}).get(self.signal)
            self.stat_update("measured" if value is not None else "abstained" if abstained else "not_measured")
            if abstained:
                self.stat_update(f"abstained_{doc.metadata.get('language', 'unknown')}")
            if value is not None:
                self.stat_update(self.signal, value=value)
            yield doc

    @abstractmethod
    def __init__(self):
        super().__init__()


class ModelSignal(OcrSignal):
    """A signal scored by a trained model file: the block parameter ``model`` (default ``default_model()``, the
    file ``default_file`` in ``$FINEBOOKS_CACHE/models``), loaded by ``load_model`` on first use (in the worker,
    not when the pipeline is built or pickled). Its sha256 enters the process stage's key (``model_files``)."""

    default_file: ClassVar[str] = ""
    model_kind: ClassVar[str] = "model"  # named in the error for a missing file, with the command that trains one
    train_command: ClassVar[str] = ""  # ``{path}``: the missing file

    def __init__(self, model: str = ""):
        super().__init__()
        self.model_path = os.path.expanduser(model or self.default_model())
        self._model: Any = None

    @classmethod
    def default_model(cls) -> str:
        from filters.model_file import cached_model

        return cached_model(cls.default_file)

    @classmethod
    def model_files(cls, params: dict) -> list[str]:
        return [os.path.expanduser(params.get("model") or cls.default_model())]

    @property
    def model(self) -> Any:
        if self._model is None:
            if not os.path.isfile(self.model_path):
                raise FileNotFoundError(
                    f"{self.model_kind} {self.model_path!r} not found; train one with: "
                    f"{self.train_command.format(path=self.model_path)}"
                )
            self._model = self.load_model(self.model_path)
        return self._model

    def load_model(self, path: str) -> Any:
        """The model in the existing file ``path``; an unusable one is an error naming it."""
        raise NotImplementedError
