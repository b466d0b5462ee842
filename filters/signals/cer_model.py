"""The CER estimator's model: page features -> estimated character error rate (0 to 1), learned from gold.

A gradient-boosted tree ensemble (scikit-learn's ``HistGradientBoostingRegressor``, which takes missing values) fitted
on ``filters.signals.cer_features`` of OCR pages with their true CER (``filters.signals.cer_gold``), predicting the
square root of the CER (so that errors on clean pages count as much as on bad ones). Collections are weighted
by one over the square root of their size, so one large subset does not decide alone; a share of the rows is
repeated with the language features blanked, so the model still estimates for a language without resources. Gold
transcriptions, as pages of CER 0, weigh 0.3 of an OCR page (``gold_weight``; chosen on the leave-one-subset-out
bench: weight 1 lowers the estimates too far, 0 lets historic spelling pass for OCR errors, BENCHMARKS.md).

Kept as trees of plain arrays (``filters/trees.py``: predictions equal scikit-learn's, and loading runs no code),
saved as one model file (``filters/model_file.py``, ``.npz``) with the feature names and the training record, the
record also written beside it as ``<file>.json`` for people and run records. Loading checks the format and the
features.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from filters.model_file import ModelFileError, group_weights, load_model_file, save_model_file
from filters.signals.cer_features import DIRECTION, FEATURES, LANGUAGE_FEATURES, PageFeatures
from filters.signals.cer_gold import GoldPage
from filters.signals.words import book_language, wordlist_language
from filters.trees import Trees

FORMAT = "finebooks-cer-estimator/2"  # /1: a joblib pickle
PARAMS: dict = {
    "max_iter": 300, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 20,
    "l2_regularization": 1.0, "blank_fraction": 0.25, "monotonic": True, "collection_weights": True,
    "gold_weight": 0.3,
}  # fmt: skip


def resource_language(lang: str | None) -> str | None:
    """The wordfreq code of a detected language (None when wordfreq has no list for it)."""
    return wordlist_language(lang) if lang else None


def detect(text: str) -> str:
    """The language of a page, among every language py3langid knows."""
    return book_language(text, {})


def featurize(pages: list[GoldPage], extractor: PageFeatures | None = None) -> tuple[np.ndarray, list[str]]:
    """Feature rows of gold pages (each page's language detected on its own text) and the languages."""
    from collections import Counter

    extractor = extractor or PageFeatures()
    rows, langs = [], []
    for page in pages:
        lang = detect(page.text)
        langs.append(lang)
        rows.append(extractor.features(Counter(page.text.split()), resource_language(lang)))
    return np.asarray(rows, dtype=float), langs


@dataclass
class CerModel:
    trees: Trees
    features: tuple[str, ...] = FEATURES
    record: dict = field(default_factory=dict)

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """Estimated CER (0 to 1) of feature rows."""
        if len(rows) == 0:
            return np.zeros(0)
        root = self.trees.predict(np.asarray(rows, dtype=float))
        return np.clip(root, 0.0, 1.0) ** 2

    def save(self, path: str | Path) -> str:
        """Write the model file and ``<file>.json``; return the file's sha256."""
        header = {"format": FORMAT, "features": list(self.features), "trees": self.trees.header()}
        return save_model_file(path, header, self.trees.arrays(), self.record)


def fit(  # noqa: PLR0913 (the training data and its options)
    rows: np.ndarray,
    cer: list[float],
    collections: list[str],
    seed: int = 0,
    params: dict | None = None,
    sides: list[str] | None = None,
) -> CerModel:
    """A fitted ``CerModel`` (no record yet) on feature rows and their true CER; rows whose side is ``gold`` (gold
    transcriptions as pages of CER 0) weigh ``params["gold_weight"]`` each."""
    return CerModel(Trees.from_sklearn(fit_estimator(rows, cer, collections, seed, params, sides)))


def fit_estimator(  # noqa: PLR0913 (the training data and its options)
    rows: np.ndarray,
    cer: list[float],
    collections: list[str],
    seed: int = 0,
    params: dict | None = None,
    sides: list[str] | None = None,
):
    """The fitted scikit-learn estimator of ``fit`` (its trees are what the model keeps)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    params = {**PARAMS, **(params or {})}
    y = np.sqrt(np.clip(np.asarray(cer, dtype=float), 0.0, 1.0))
    w = group_weights(collections) if params["collection_weights"] else np.ones(len(rows))
    if sides is not None:
        w = w * np.where(np.asarray(sides) == "gold", params["gold_weight"], 1.0)
    rng = np.random.default_rng(seed)
    blank = rng.random(len(rows)) < params["blank_fraction"]
    extra = rows[blank].copy()
    lang_cols = [FEATURES.index(f) for f in LANGUAGE_FEATURES]
    extra[:, lang_cols] = np.nan
    X = np.vstack([rows, extra])
    est = HistGradientBoostingRegressor(
        loss="squared_error", max_iter=params["max_iter"], learning_rate=params["learning_rate"],
        max_leaf_nodes=params["max_leaf_nodes"], min_samples_leaf=params["min_samples_leaf"],
        l2_regularization=params["l2_regularization"], random_state=seed,
        monotonic_cst=[DIRECTION.get(f, 0) for f in FEATURES] if params["monotonic"] else None,
    )  # fmt: skip
    est.fit(X, np.concatenate([y, y[blank]]), sample_weight=np.concatenate([w, w[blank]]))
    return est


TRAIN = "python -m filters.signals.train_cer --gold icdar:<OCR/gold folder> --out {path}"


def load_model(path: str | Path) -> CerModel:
    path = Path(path).expanduser()
    header, arrays = load_model_file(path, FORMAT, "CER estimator model", TRAIN)
    if header.get("features") != list(FEATURES):
        raise ModelFileError(
            f"{path}: trained on features {header.get('features')}, this version computes {list(FEATURES)}: retrain "
            f"it with: {TRAIN.format(path=path)}"
        )
    try:
        trees = Trees.from_arrays(header.get("trees") or {}, arrays)
    except ValueError as e:
        raise ModelFileError(f"{path}: not a CER estimator model file (its trees: {e})") from e
    if trees.kind != "regression" or trees.n_features != len(FEATURES):
        raise ModelFileError(f"{path}: not a CER estimator model file ({trees.kind} trees on {trees.n_features})")
    return CerModel(trees, FEATURES, header.get("record", {}))
