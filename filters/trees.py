"""Gradient-boosted trees as plain arrays: scikit-learn's ``HistGradientBoosting*`` fitted trees, predicted with NumPy.

The project's learned models (the CER estimator, the line-role classifier) are trained by scikit-learn and kept as
arrays (``Trees.arrays``, written by ``filters/model_file.py``): nothing in a model file is code, so loading one runs
nothing. ``Trees.from_sklearn`` takes the nodes of every fitted tree (``est._predictors``: feature, threshold, the
side of missing values, children, leaf values) and the baseline; ``Trees.raw`` walks all trees of a block of rows
at once and adds their leaf values in scikit-learn's order (baseline, then iteration by iteration), so a prediction
equals scikit-learn's. Numeric features only (categorical splits are refused when exporting).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

KINDS = ("regression", "binary", "multiclass")  # identity link; logistic; softmax
NODE_ARRAYS = ("feature", "threshold", "missing_left", "left", "right", "leaf", "value")
_TYPES = {"baseline": np.float64, "roots": np.int64, "feature": np.int64, "threshold": np.float64,
          "missing_left": bool, "left": np.int64, "right": np.int64, "leaf": bool, "value": np.float64}  # fmt: skip
_CELLS = 1 << 18  # rows times trees walked at once


@dataclass(frozen=True)
class Trees:
    """``roots[t]`` is the first node of tree ``t`` (iteration ``t // K``, output ``t % K``); children are indices
    into the node arrays of all trees; ``baseline`` (K values) starts every raw prediction."""

    kind: str
    n_features: int
    baseline: np.ndarray
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray

    @classmethod
    def from_sklearn(cls, est) -> Trees:
        """The trees of a fitted ``HistGradientBoostingRegressor`` (squared error) or ``...Classifier``."""
        name = type(est).__name__
        if name == "HistGradientBoostingRegressor" and est.loss == "squared_error":
            kind = "regression"
        elif name == "HistGradientBoostingClassifier":
            kind = "binary" if est.n_trees_per_iteration_ == 1 else "multiclass"
        else:
            raise ValueError(f"cannot export {name} (loss {getattr(est, 'loss', None)!r}) as trees")
        nodes, roots = [], []
        for iteration in est._predictors:
            for predictor in iteration:
                n = predictor.nodes
                if n["is_categorical"].any():
                    raise ValueError("cannot export trees with categorical splits")
                roots.append(sum(len(x) for x in nodes))
                nodes.append(n)
        offsets = np.repeat(roots, [len(n) for n in nodes])
        n = np.concatenate(nodes)
        leaf = n["is_leaf"].astype(bool)
        return cls(
            kind=kind,
            n_features=int(est.n_features_in_),
            baseline=np.asarray(est._baseline_prediction, dtype=np.float64).ravel(),
            roots=np.asarray(roots, dtype=np.int64),
            feature=np.where(leaf, 0, n["feature_idx"]).astype(np.int64),
            threshold=n["num_threshold"].astype(np.float64),
            missing_left=n["missing_go_to_left"].astype(bool),
            left=np.where(leaf, 0, n["left"].astype(np.int64) + offsets),
            right=np.where(leaf, 0, n["right"].astype(np.int64) + offsets),
            leaf=leaf,
            value=n["value"].astype(np.float64),
        )

    def header(self) -> dict:
        return {"kind": self.kind, "n_features": self.n_features}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"baseline": self.baseline, "roots": self.roots, **{k: getattr(self, k) for k in NODE_ARRAYS}}

    @classmethod
    def from_arrays(cls, header: dict, arrays: dict[str, np.ndarray]) -> Trees:
        """Trees from ``header`` and ``arrays`` as written; ``ValueError`` saying what is wrong when they do not
        make trees."""
        kind, n_features = header.get("kind"), header.get("n_features")
        if kind not in KINDS or not isinstance(n_features, int) or n_features < 1:
            raise ValueError(f"trees of kind {kind!r} over {n_features!r} features")
        missing = [k for k in ("baseline", "roots", *NODE_ARRAYS) if k not in arrays]
        if missing:
            raise ValueError(f"no arrays {missing}")
        try:
            a = {k: np.asarray(arrays[k]).astype(t, casting="safe") for k, t in _TYPES.items()}
        except TypeError as e:
            raise ValueError(f"arrays of the wrong type ({e})") from e
        trees = cls(kind=kind, n_features=n_features, **a)
        trees.check()
        return trees

    def check(self) -> None:
        """``ValueError`` when the arrays do not make trees: shapes, indices or features out of range, shared nodes."""
        n = len(self.value)
        k = len(self.baseline)
        if any(getattr(self, f).shape != (n,) for f in NODE_ARRAYS) or self.roots.ndim != 1 or self.baseline.ndim != 1:
            raise ValueError("node arrays of different lengths")
        if (k == 1) == (self.kind == "multiclass") or len(self.roots) == 0 or len(self.roots) % k:
            raise ValueError(f"{len(self.roots)} trees for {k} outputs of kind {self.kind}")
        inner = ~self.leaf
        for name, idx, high in (
            ("roots", self.roots, n),
            ("left", self.left[inner], n),
            ("right", self.right[inner], n),
            ("feature", self.feature[inner], self.n_features),
        ):
            if idx.size and (idx.min() < 0 or idx.max() >= high):
                raise ValueError(f"{name} out of range")
        reached = np.concatenate([self.roots, self.left[inner], self.right[inner]])
        if len(np.unique(reached)) < len(reached):  # trees: every node has one parent (a root, none)
            raise ValueError("not trees: a node is reached twice")
        _ = self.depths

    @cached_property
    def depths(self) -> np.ndarray:
        """Every tree's depth: the most splits from its root to a leaf."""
        depths = np.zeros(len(self.roots), dtype=np.int64)
        nodes, tree, depth = self.roots, np.arange(len(self.roots)), 0
        while (inner := ~self.leaf[nodes]).any():
            depth += 1
            depths[tree[inner]] = depth
            nodes = np.concatenate([self.left[nodes[inner]], self.right[nodes[inner]]])
            tree = np.concatenate([tree[inner], tree[inner]])
        return depths

    @cached_property
    def _children(self) -> np.ndarray:
        """Node ``i``'s left child at ``2 i``, its right one at ``2 i + 1``; a leaf's children are itself."""
        idx = np.arange(len(self.value))
        return np.stack([np.where(self.leaf, idx, self.left), np.where(self.leaf, idx, self.right)], axis=1).ravel()

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """The leaf (node index) each row reaches in each tree (rows x trees). Trees are walked together, those of
        one depth for that many levels (the work is each tree's depth, not the deepest tree's, for every tree)."""
        flat, base = X.ravel(), (np.arange(len(X)) * self.n_features)[:, None]
        out = np.empty((len(X), len(self.roots)), dtype=np.intp)
        for depth in np.unique(self.depths):
            trees = np.flatnonzero(self.depths == depth)
            node = np.broadcast_to(self.roots[trees], (len(X), len(trees)))
            for _ in range(depth):
                x = np.take(flat, base + np.take(self.feature, node))
                go_right = ~(x <= np.take(self.threshold, node))  # missing (NaN) goes right...
                nan = np.isnan(x)
                if nan.any():  # ...unless its node sends it left
                    go_right[nan] = ~np.take(self.missing_left, node[nan])
                node = np.take(self._children, 2 * node + go_right)
            out[:, trees] = node
        return out

    def raw(self, rows) -> np.ndarray:
        """The raw predictions (rows x outputs): the baseline plus every tree's leaf value, in scikit-learn's order."""
        X = np.asarray(rows, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"rows of shape {X.shape}, the trees take {self.n_features} features")
        k, n_trees = len(self.baseline), len(self.roots)
        out = np.zeros((len(X), k)) + self.baseline
        step = max(1, _CELLS // n_trees)  # rows at a time: their arrays (rows x trees) stay in the cache
        for start in range(0, len(X), step):
            values = np.take(self.value, self.leaves(X[start : start + step])).reshape(-1, n_trees // k, k)
            block = out[start : start + step]
            for i in range(n_trees // k):  # iteration by iteration, as scikit-learn adds them
                block += values[:, i, :]
        return out

    def predict(self, rows) -> np.ndarray:
        """A regression's predictions (one per row)."""
        if self.kind != "regression":
            raise ValueError(f"predict of {self.kind} trees: use predict_proba")
        return self.raw(rows)[:, 0]

    def predict_proba(self, rows) -> np.ndarray:
        """A classifier's class probabilities (rows x classes), as scikit-learn's ``predict_proba``."""
        raw = self.raw(rows)
        if self.kind == "binary":
            p = 1.0 / (1.0 + np.exp(-raw[:, 0]))
            return np.column_stack([1 - p, p])
        if self.kind != "multiclass":
            raise ValueError("predict_proba of a regression: use predict")
        raw -= raw.max(axis=1, keepdims=True)
        np.exp(raw, out=raw)
        raw /= raw.sum(axis=1, keepdims=True)
        return raw
