"""Estimated character error rate of a page and a book, from the OCR text alone, by a model learned from gold
(``filters.signals.train_cer``; features ``filters.signals.cer_features``, model ``filters.signals.cer_model``)."""

from __future__ import annotations

from datatrove.data import Document

from filters.signals.base import ModelSignal, PageScore, page_token_counts
from filters.textview import TextView

NOTE_KEY = "ocr_signals_notes"  # signal name -> a note on how it measured (filters/signals/__init__.py)


class CerEstimateSignal(ModelSignal):
    """``ocr_cer_estimate``: the estimated character error rate (0 to 1) of each page and of the book (higher =
    worse OCR), so that a filter reads in CER units: ``ocr_quality_filter`` with ``max: {ocr_cer_estimate: 0.1}``.

    ``model`` is a file made by ``python -m filters.signals.train_cer`` (default:
    ``$FINEBOOKS_CACHE/models/cer-estimator.npz``), loaded on first use. The book language is
    ``metadata["language"]`` or detected once per book (every language py3langid knows); its wordfreq list and
    character model feed the language features. A language without them is still estimated, from the
    language-independent features (the model was trained with language features blanked on part of its rows):
    the signal does not abstain, and ``metadata["ocr_signals_notes"]["ocr_cer_estimate"]`` says so. A page's
    weight is its characters (in whitespace tokens); the book value is the weighted mean of its pages.
    """

    name = "🎯 estimated CER"
    signal = "ocr_cer_estimate"
    bad_side = "high"
    default_file = "cer-estimator.npz"
    model_kind = "CER estimator model"
    train_command = "python -m filters.signals.train_cer --gold icdar:<OCR/gold folder> --out {path}"

    def __init__(self, model: str = ""):
        super().__init__(model)
        self._features = None

    def load_model(self, path: str):
        from filters.signals.cer_model import load_model

        return load_model(path)  # an unusable file is an error naming it

    def language(self, doc: Document, view: TextView) -> str | None:
        """The book's wordfreq language (None when it has no resources), noting a language without them."""
        from filters.signals.cer_model import resource_language
        from filters.signals.words import book_language

        lang = book_language(view.text, doc.metadata)
        doc.metadata.setdefault("language", lang)
        code = resource_language(lang)
        notes = doc.metadata.get(NOTE_KEY, {})
        if code is None:
            notes = doc.metadata.setdefault(NOTE_KEY, {})
            notes[self.signal] = f"no word list for language {lang!r}: estimated without language features"
        else:
            notes.pop(self.signal, None)
        return code

    def page_scores(self, doc: Document, view: TextView) -> list[PageScore]:
        if self._features is None:
            from filters.signals.cer_features import PageFeatures

            self._features = PageFeatures()
        model = self.model
        lang = self.language(doc, view)
        counts = page_token_counts(view)
        weights = [sum(len(t) * n for t, n in c.items()) for c in counts]
        measured = [i for i, c in enumerate(counts) if c]
        rows = [self._features.features(counts[i], lang) for i in measured]
        estimates = model.predict(rows) if rows else []  # one OpenMP thread (CerModel.predict)
        out: list[PageScore] = [(None, 0)] * len(counts)
        for i, value in zip(measured, estimates, strict=True):
            out[i] = (float(value), weights[i])
        return out


default_model = CerEstimateSignal.default_model
