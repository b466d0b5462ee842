"""OCR-quality signals: steps that measure a book and store the measurement, page by page and for the book.

Metadata scheme (one for every signal):

- ``metadata["ocr_signals"][name]``: the book's value (float, or None when it cannot be measured);
- ``metadata["ocr_page_signals"][name] = {"values": [...], "n": [...]}``: one value per page (None for a page
  with nothing to measure) and its weight (words, tokens or segments measured on that page). The book value is
  the signal's ``aggregate`` of the page values and weights, so a page-level filter that drops pages recomputes
  it exactly from what is left.
- ``metadata["ocr_signals_abstained"][name] = reason``: a signal that needs a resource for the book's language
  (a word list, a KenLM or fastText model trained on given languages) and has none abstains: book and page
  values None (weights 0) and the reason here, e.g. ``{"dict_ratio": "no word list for language 'la'"}``.
  The language is ``metadata["language"]``, detected among every language py3langid knows when not given.
- ``metadata["ocr_signals_notes"][name] = note``: a signal that measured but without part of its resources says
  so here, e.g. ``ocr_cer_estimate`` on a language without a word list (estimated from language-independent
  features only; it does not abstain).

A signal with a trained model (KenLM, fastText, the CER estimator) is a ``ModelSignal`` (``base.py``): its
``model`` parameter (default: a file in ``$FINEBOOKS_CACHE/models``) is loaded on first use, and named through
``model_files``, so the process stage's key records the file's sha256 (``pipelines/process.py``) and a retrained
model makes a new stage.

``SIGNALS`` maps signal names to their step classes (``filters.signals.<module>:<Class>``), loaded lazily so
that a signal's optional dependency (kenlm, fasttext, py3langid) is imported only when the signal is used.
"""

from __future__ import annotations

import importlib

SIGNALS: dict[str, str] = {
    "dict_ratio": "filters.signals.dict_ratio:DictRatioSignal",
    "garbage_ratio": "filters.signals.garbage_ratio:GarbageRatioSignal",
    "word_confidence": "filters.signals.word_confidence:WordConfidenceSignal",
    "kenlm_perplexity": "filters.signals.kenlm_perplexity:KenlmPerplexitySignal",
    "fasttext_quality": "filters.signals.fasttext_quality:FasttextQualitySignal",
    "lang_consistency": "filters.signals.lang_consistency:LangConsistencySignal",
    "ocr_cer_estimate": "filters.signals.cer_estimate:CerEstimateSignal",
}
# signals that need no trained model: the default ocr_quality_filter computes these itself when missing
TRAINING_FREE = ("dict_ratio", "garbage_ratio", "word_confidence")


def signal_class(name: str) -> type:
    if name not in SIGNALS:
        raise KeyError(f"unknown OCR-quality signal {name!r}; known: {', '.join(SIGNALS)}")
    module, _, attr = SIGNALS[name].partition(":")
    return getattr(importlib.import_module(module), attr)
