"""Pooled error rates with bootstrap intervals over pages, and paired comparisons of two systems on the same pages.

A rate is pooled, not averaged: the errors of all pages of a group divided by the length of their gold, so a long
page weighs as much as its characters (as dinglehopper's and ocrevalUAtion's collection totals do). Intervals are
percentile intervals of the pooled rate over ``samples`` resamples of the group's pages with replacement; a paired
comparison resamples the pages both systems ran and reports the difference of their pooled rates. Seeds are derived
from the benchmark seed and the group's name, so the same config gives the same intervals.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Rate:
    """A pooled error rate and its interval (None when the gold of the group is empty)."""

    value: float | None
    low: float | None
    high: float | None
    pages: int

    def fmt(self, percent: bool = True) -> str:
        if self.value is None:
            return "–"
        scale, unit = (100.0, "") if percent else (1.0, "")
        if self.low is None or self.pages < 2:
            return f"{self.value * scale:.2f}{unit}"
        return f"{self.value * scale:.2f} [{self.low * scale:.2f}, {self.high * scale:.2f}]"


@dataclass(frozen=True)
class Paired:
    """Rate of system a minus rate of system b on the pages both ran, with its interval; ``better`` names the system
    with the lower rate when the interval excludes 0, else None."""

    a: str
    b: str
    pages: int
    diff: float | None
    low: float | None
    high: float | None
    better: str | None


def rng_for(seed: int, *names: str) -> np.random.Generator:
    """A generator seeded by the benchmark seed and a group's names (stable across processes, unlike hash())."""
    return np.random.default_rng([seed, zlib.crc32("\x1f".join(names).encode())])


def _resample(count: int, samples: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, count, size=(samples, count))


def pooled_rate(
    errors: np.ndarray, lengths: np.ndarray, samples: int, confidence: float, rng: np.random.Generator
) -> Rate:
    """Pooled rate sum(errors) / sum(lengths) with a percentile bootstrap interval over pages."""
    errors, lengths = np.asarray(errors, dtype=float), np.asarray(lengths, dtype=float)
    pages = len(errors)
    if pages == 0 or lengths.sum() == 0:
        return Rate(None, None, None, pages)
    value = float(errors.sum() / lengths.sum())
    if pages < 2:
        return Rate(value, None, None, pages)
    idx = _resample(pages, samples, rng)
    n = lengths[idx].sum(axis=1)
    boot = errors[idx].sum(axis=1) / np.where(n > 0, n, np.nan)
    alpha = (1 - confidence) / 2
    low, high = np.nanquantile(boot, [alpha, 1 - alpha])
    return Rate(value, float(low), float(high), pages)


def paired_difference(
    a: str,
    b: str,
    errors_a: np.ndarray,
    errors_b: np.ndarray,
    lengths: np.ndarray,
    samples: int,
    confidence: float,
    rng: np.random.Generator,
) -> Paired:
    """Pooled rate of ``a`` minus that of ``b`` on the same pages (same gold lengths), resampled in pairs."""
    errors_a, errors_b = np.asarray(errors_a, dtype=float), np.asarray(errors_b, dtype=float)
    lengths = np.asarray(lengths, dtype=float)
    pages = len(lengths)
    if pages == 0 or lengths.sum() == 0:
        return Paired(a, b, pages, None, None, None, None)
    diff = float((errors_a.sum() - errors_b.sum()) / lengths.sum())
    if pages < 2:
        return Paired(a, b, pages, diff, None, None, None)
    idx = _resample(pages, samples, rng)
    n = lengths[idx].sum(axis=1)
    boot = (errors_a[idx].sum(axis=1) - errors_b[idx].sum(axis=1)) / np.where(n > 0, n, np.nan)
    alpha = (1 - confidence) / 2
    low, high = (float(x) for x in np.nanquantile(boot, [alpha, 1 - alpha]))
    better = a if high < 0 else b if low > 0 else None
    return Paired(a, b, pages, diff, low, high, better)
