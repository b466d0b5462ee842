"""The decision: is a candidate block better than the current recipe, given the seed noise?

Runs are paired by seed (same initialisation seed and data-order seed for baseline and variant). For each task
the item-level ``score`` (continuous: normalised gold log-probability, or -bits per byte) is averaged; the task
difference (variant - baseline) is divided by the baseline's item standard deviation so that tasks add up in one
unit, and the aggregate is the weighted mean over tasks, at the last checkpoint (or averaged over the last
``ablation.average_checkpoints``: ``average_checkpoints``).

Interval: a bootstrap over seeds (paired) and items (shared across seeds) gives the standard error of the
aggregate difference; with only a few seeds a percentile bootstrap is too narrow, so the interval uses a
Student-t critical value with (seeds - 1) degrees of freedom. Verdict: keep if the interval is above 0, drop if
below, else inconclusive. The minimum detectable effect (80% power) at this compute is (t + z_0.8) x SE.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps


@dataclass
class Verdict:
    verdict: str  # keep | drop | inconclusive
    delta: float  # aggregate difference, in baseline item standard deviations
    low: float
    high: float
    se: float
    seeds: int
    mde: float  # minimum detectable effect at 80% power with these seeds
    seeds_for_observed: int | None  # seeds needed to detect the observed delta at 80% power
    per_task: dict[str, dict]

    def as_dict(self) -> dict:
        return asdict(self)


def average_checkpoints(evals: list[dict], k: int) -> dict[str, list[dict]]:
    """Each task's item rows of a run's last checkpoint, ``score`` averaged over its last ``k`` checkpoints (a
    checkpoint's scores are noisy on their own; BENCHMARKS.md, "Less noise per run")."""
    last = evals[-k:]
    if len(last) == 1:
        return last[0]["tasks"]
    out = {}
    for task, rows in last[-1]["tasks"].items():
        scores = [{r["id"]: r["score"] for r in e["tasks"][task]} for e in last]
        out[task] = [r | {"score": sum(c[r["id"]] for c in scores) / len(scores)} for r in rows]
    return out


def aggregation(k: int, checkpoints: int, weights: dict[str, float]) -> str:
    """How a decision aggregates scores, in words (report.md, recipe docs): ``k`` = ``ablation.average_checkpoints``
    of a run's ``checkpoints``, ``weights`` per task."""
    k = min(k, checkpoints)
    per_run = "each item's score at each run's last checkpoint"
    if k > 1:
        which = f"the last {k} of each run's" if k < checkpoints else "each run's"
        per_run = f"each item's score averaged over {which} {checkpoints} evaluated checkpoints"
    decided = ", ".join(f"{t} {w:g}" for t, w in weights.items() if w > 0)
    reported = ", ".join(t for t, w in weights.items() if w <= 0)
    return (
        f"{per_run}; per task, the mean item difference (variant - current recipe) in baseline item standard "
        f"deviations; the aggregate is their weighted mean (weights: {decided}"
        + (f"; reported, not decided on: {reported}" if reported else "")
        + ")"
    )


def _matrix(runs: list[dict[str, list[dict]]], task: str, ids: list[str]) -> np.ndarray:
    """seeds x items matrix of scores of one task."""
    out = []
    for run in runs:
        by_id = {r["id"]: r["score"] for r in run[task]}
        out.append([by_id[i] for i in ids])
    return np.asarray(out, dtype=float)


def decide(
    baseline: list[dict[str, list[dict]]],
    variant: list[dict[str, list[dict]]],
    weights: dict[str, float],
    confidence: float = 0.95,
    samples: int = 1000,
    seed: int = 0,
) -> Verdict:
    """``baseline[i]`` and ``variant[i]`` are the final-checkpoint results of seed i: task -> item rows."""
    n = min(len(baseline), len(variant))
    baseline, variant = baseline[:n], variant[:n]
    rng = np.random.default_rng(seed)
    tasks = sorted(t for t, wt in weights.items() if wt > 0)  # weight 0: reported, not decided on
    w = np.array([weights[t] for t in tasks]) / sum(weights[t] for t in tasks)
    diffs, per_task = [], {}
    for t in sorted(weights):
        ids = sorted(r["id"] for r in baseline[0][t])
        b, v = _matrix(baseline, t, ids), _matrix(variant, t, ids)
        scale = float(b.std(ddof=1)) if b.size > 1 and b.std() > 0 else 1.0
        per_task[t] = {
            "baseline": float(b.mean()),
            "variant": float(v.mean()),
            "delta": float((v - b).mean()),
            "delta_std_units": float(((v - b) / scale).mean()),
            "weight": float(weights[t]),
        }
        if t in tasks:
            diffs.append((v - b) / scale)  # seeds x items, in baseline item-sd units
    point = float(sum(wi * d.mean() for wi, d in zip(w, diffs, strict=True)))
    boot = np.empty(samples)
    for k in range(samples):
        s_idx = rng.integers(0, n, n)
        boot[k] = sum(
            wi * d[s_idx][:, rng.integers(0, d.shape[1], d.shape[1])].mean() for wi, d in zip(w, diffs, strict=True)
        )
    se = float(boot.std(ddof=1)) * (np.sqrt(n / (n - 1)) if n > 1 else 1.0)
    df = max(1, n - 1)
    t_crit = float(sps.t.ppf(0.5 + confidence / 2, df))
    low, high = point - t_crit * se, point + t_crit * se
    verdict = "keep" if low > 0 else "drop" if high < 0 else "inconclusive"
    z80 = float(sps.norm.ppf(0.8))
    mde = (t_crit + z80) * se
    seeds_needed = None
    if point != 0 and se > 0:
        sd_seed = se * np.sqrt(n)
        seeds_needed = int(np.ceil(((t_crit + z80) * sd_seed / abs(point)) ** 2))
    return Verdict(verdict, point, low, high, se, n, mde, seeds_needed, per_task)


def signal_checks(curves: list[list[tuple[int, float]]], final_acc: list[float], chance: float) -> dict:
    """FineWeb2's task-selection checks for one task on one variant.

    ``curves``: per seed, (step, mean score) at each checkpoint. Monotonicity: Spearman correlation of score with
    step (mean over seeds). Signal-to-noise: mean final score over its std across seeds (|mean| / std).
    Above chance: mean final accuracy minus chance, in units of its standard error across seeds.
    """
    rhos = []
    for c in curves:
        if len(c) >= 3:
            rho = sps.spearmanr([s for s, _ in c], [v for _, v in c]).statistic
            if not np.isnan(rho):
                rhos.append(rho)
    finals = np.array([c[-1][1] for c in curves])
    snr = float(abs(finals.mean()) / finals.std(ddof=1)) if len(finals) > 1 and finals.std() > 0 else None
    acc = np.array(final_acc)
    se = acc.std(ddof=1) / np.sqrt(len(acc)) if len(acc) > 1 else 0.0
    return {
        "monotonicity": float(np.mean(rhos)) if rhos else None,
        "snr": snr,
        "accuracy": float(acc.mean()) if len(acc) else None,
        "chance": chance,
        "above_chance": bool(acc.mean() - chance > 2 * se) if len(acc) and chance > 0 else None,
    }
