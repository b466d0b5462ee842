"""Sort-based distinct values and counts: numpy 2.4's ``np.unique`` takes a hash path that is ~100x slower on
large uint64 arrays than sorting (0.8 s vs 5 ms for 0.9 M values)."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values."""
    s = np.sort(values)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def distinct_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and how often each occurs."""
    s = np.sort(values)
    if not len(s):
        return s, np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return s[starts], np.diff(np.r_[starts, len(s)])


def distinct_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and, for each input value, the index of its distinct value."""
    order = np.argsort(values, kind="stable")
    s = values[order]
    if not len(s):
        return s, np.empty(0, dtype=np.int64)
    new = np.r_[True, s[1:] != s[:-1]]
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return s[new], inverse
