"""The line-role classifier: a line's features (``filters/cleanup/line_features.py``) -> its layout role.

For OCR without layout (plain text, hOCR): learned from books whose reader gave every line a role (ALTO SegmOnto
tags, PAGE region types; ``metadata.page_layout``), trained by ``python -m pipelines.train_line_roles`` and used by
``page_furniture`` with ``line_model``. A gradient-boosted tree ensemble (scikit-learn's
``HistGradientBoostingClassifier``, which takes missing values) over the classes of ``CLASSES``: the furniture
roles and the roles that matter to the running text (``heading``, ``footnote``, ``marginalia``); the other
main-text roles (title page, drop capital, table, figure) count as ``text``. A line is furniture when the
probabilities of the furniture classes add up to ``threshold`` or more. Books (sets) are weighted by one over the
square root of their lines, so one large set does not decide alone, and furniture classes by one over the square
root of their lines (relative to text), so the rare ones (signatures: a few dozen lines) are not drowned by text.
Furniture lines of more than ``max_furniture_words`` words are left out of training: in these sets they are body
text in a zone tagged as furniture (lat_cremma: 40 lines of text in a ``RunningTitle`` block), a gold error the
model should not learn.

Kept as trees of plain arrays (``filters/trees.py``: probabilities equal scikit-learn's, and loading runs no code),
saved as one model file (``filters/model_file.py``, ``.npz``) with its classes, the feature names with their
fingerprint and the training record (also written beside it as ``<file>.json``). Loading checks the format and the
fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from filters.cleanup.line_features import FEATURES, book_features
from filters.layout import FURNITURE, layout_problem, line_roles
from filters.model_file import ModelFileError, group_weights, load_model_file, save_model_file
from filters.trees import Trees

FORMAT = "finebooks-line-roles/2"  # /1: a joblib pickle
CLASSES = ("text", "heading", "footnote", "marginalia", *FURNITURE)
_AS_TEXT = ("title-page", "drop-capital", "table", "figure", "other")
PARAMS: dict = {
    "max_iter": 200, "learning_rate": 0.08, "max_leaf_nodes": 15, "min_samples_leaf": 10, "l2_regularization": 1.0,
    "threshold": 0.5, "class_weights": True, "max_furniture_words": 4,
}  # fmt: skip


def fingerprint() -> str:
    """sha256 (first 16 hex digits) of the format, the feature names and the classes: a model is usable when equal."""
    return hashlib.sha256(json.dumps([FORMAT, FEATURES, CLASSES]).encode()).hexdigest()[:16]


def label(role: str | None) -> str | None:
    """The class of a gold role (None: not a training line)."""
    if role is None:
        return None
    return "text" if role in _AS_TEXT else role if role in CLASSES else None


def book_examples(page_lines: list[list[str]], layouts: list, heuristic: dict) -> tuple[list, list[str], list]:
    """Feature rows, classes and (page, line index) of the non-blank lines with a role, on the pages whose layout
    describes their text; the features of every line still see the whole book."""
    rows, labels, where = [], [], []
    for p, (idx, feats) in enumerate(book_features(page_lines, heuristic)):
        layout = layouts[p] if p < len(layouts) else None
        page = "\n".join(page_lines[p])
        if layout is None or layout_problem(layout, page) is not None:
            continue
        roles = line_roles(layout, page)
        for i, row in zip(idx, feats, strict=True):
            if (c := label(roles.get(i))) is not None:
                rows.append(row)
                labels.append(c)
                where.append((p, i))
    return rows, labels, where


@dataclass
class LineModel:
    trees: Trees
    classes: tuple[str, ...]
    threshold: float = PARAMS["threshold"]
    record: dict = field(default_factory=dict)

    def proba(self, rows) -> np.ndarray:
        return self.trees.predict_proba(np.asarray(rows, dtype=float))

    def predict(self, rows) -> tuple[list[str], np.ndarray]:
        """(most likely class, probability of furniture) of every row."""
        if len(rows) == 0:
            return [], np.zeros(0)
        p = self.proba(rows)
        furn = [j for j, c in enumerate(self.classes) if c in FURNITURE]
        return [self.classes[j] for j in p.argmax(axis=1)], p[:, furn].sum(axis=1)

    def book_roles(self, page_lines: list[list[str]], heuristic: dict, pages: set[int]) -> dict[int, dict[int, str]]:
        """{page: {line index: class}} of the non-blank lines of ``pages``; a furniture line's class is its most
        likely furniture class, a main-text line's its most likely class."""
        feats = book_features(page_lines, heuristic)
        keys = [(p, i) for p in sorted(pages) for i in feats[p][0]]
        rows = [r for p in sorted(pages) for r in feats[p][1]]
        if not rows:
            return {p: {} for p in pages}
        prob = self.proba(rows)
        furn = np.array([c in FURNITURE for c in self.classes])
        out: dict[int, dict[int, str]] = {p: {} for p in pages}
        for (p, i), pr in zip(keys, prob, strict=True):
            is_furniture = pr[furn].sum() >= self.threshold
            pick = np.where(furn == is_furniture, pr, -1.0).argmax()
            out[p][i] = self.classes[pick]
        return out

    def save(self, path: str | Path) -> str:
        """Write the model file and ``<file>.json``; return the file's sha256."""
        header = {
            "format": FORMAT,
            "fingerprint": fingerprint(),
            "features": list(FEATURES),
            "classes": list(self.classes),
            "threshold": self.threshold,
            "trees": self.trees.header(),
        }
        return save_model_file(path, header, self.trees.arrays(), self.record)


def fit(rows, labels: list[str], groups: list[str], seed: int = 0, params: dict | None = None) -> LineModel:
    """A fitted ``LineModel`` (no record yet) on feature rows, their classes and their set (for weights)."""
    params = {**PARAMS, **(params or {})}
    est, dropped = fit_estimator(rows, labels, groups, seed, params)
    model = LineModel(Trees.from_sklearn(est), tuple(str(c) for c in est.classes_), params["threshold"])
    model.record = {"dropped_long_furniture": dropped}
    return model


def fit_estimator(rows, labels: list[str], groups: list[str], seed: int = 0, params: dict | None = None):
    """The fitted scikit-learn estimator of ``fit`` (its trees are what the model keeps) and the number of long
    furniture lines left out."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    params = {**PARAMS, **(params or {})}
    rows = np.asarray(rows, dtype=float)
    labels = np.asarray(labels)
    keep = ~(np.isin(labels, FURNITURE) & (rows[:, FEATURES.index("words")] > params["max_furniture_words"]))
    rows, labels, groups = rows[keep], labels[keep], np.asarray(groups)[keep]
    w = group_weights(list(groups))
    if params["class_weights"]:  # furniture classes by one over the square root of their lines, relative to text
        n = {c: int((labels == c).sum()) for c in set(labels)}
        w = w * np.array([math.sqrt(n.get("text", n[c]) / n[c]) if c in FURNITURE else 1.0 for c in labels])
    est = HistGradientBoostingClassifier(
        max_iter=params["max_iter"], learning_rate=params["learning_rate"], max_leaf_nodes=params["max_leaf_nodes"],
        min_samples_leaf=params["min_samples_leaf"], l2_regularization=params["l2_regularization"],
        random_state=seed,
    )  # fmt: skip
    est.fit(rows, labels, sample_weight=w / w.mean())
    return est, int((~keep).sum())


class LineModelError(ModelFileError):
    """A line-role model file that cannot be used, naming it."""


def load_model(path: str | Path, key: str = "line_model") -> LineModel:
    """The model in ``path`` (named by the parameter ``key`` in errors)."""
    path = Path(path).expanduser()
    train = "python -m pipelines.train_line_roles --out {path} --train alto:<folder of role-tagged ALTO> ..."
    try:
        header, arrays = load_model_file(path, FORMAT, "line-role model", train, prefix=f"{key}: ")
    except ModelFileError as e:
        raise LineModelError(str(e)) from e
    if header.get("fingerprint") != fingerprint():
        raise LineModelError(
            f"{key}: {path}: trained on features {header.get('features')} (fingerprint {header.get('fingerprint')}), "
            f"this version computes {list(FEATURES)} (fingerprint {fingerprint()}): retrain it with: "
            f"{train.format(path=path)}"
        )
    try:
        trees, classes, threshold = _checked(header, arrays)
    except ValueError as e:
        raise LineModelError(f"{key}: {path}: not a line-role model file ({e})") from e
    return LineModel(trees, classes, threshold, header.get("record", {}))


def _checked(header: dict, arrays: dict) -> tuple[Trees, tuple[str, ...], float]:
    """The trees, classes and threshold of a model file; ``ValueError`` when they do not fit together."""
    classes, threshold = header.get("classes"), header.get("threshold")
    if not (isinstance(classes, list) and 2 <= len(classes) and set(classes) <= set(CLASSES)):
        raise ValueError(f"classes {classes!r}")
    if not isinstance(threshold, float):
        raise ValueError(f"threshold {threshold!r}")
    trees = Trees.from_arrays(header.get("trees") or {}, arrays)
    outputs = 1 if len(classes) == 2 else len(classes)
    if trees.kind == "regression" or trees.n_features != len(FEATURES) or len(trees.baseline) != outputs:
        raise ValueError(f"{trees.kind} trees with {len(trees.baseline)} outputs on {trees.n_features} features")
    return trees, tuple(classes), threshold
