"""The decision statistics on synthetic per-item scores with known answers."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from ablations.decide.stats import decide, signal_checks


def runs(seeds: int, items: int, shift: float, seed_sd: float, item_sd: float, rng) -> list[dict]:
    """Per seed, task -> item rows; items have fixed difficulties shared by all runs (as real items do)."""
    difficulty = np.random.default_rng(123).normal(0, item_sd, items)
    out = []
    for _ in range(seeds):
        seed_effect = rng.normal(0, seed_sd)
        noise = rng.normal(0, 0.1 * item_sd, items)
        scores = difficulty + shift + seed_effect + noise
        out.append({"t": [{"id": str(i), "score": float(s)} for i, s in enumerate(scores)]})
    return out


def test_identical_runs_are_inconclusive_with_zero_delta():
    rng = np.random.default_rng(0)
    base = runs(3, 200, 0.0, 0.05, 1.0, rng)
    v = decide(base, base, {"t": 1.0})
    assert v.verdict == "inconclusive" and v.delta == 0 and v.low <= 0 <= v.high


def test_clear_gain_is_kept_and_clear_loss_dropped():
    rng = np.random.default_rng(1)
    base = runs(3, 300, 0.0, 0.02, 1.0, rng)
    assert decide(base, runs(3, 300, 0.5, 0.02, 1.0, rng), {"t": 1.0}).verdict == "keep"
    assert decide(base, runs(3, 300, -0.5, 0.02, 1.0, rng), {"t": 1.0}).verdict == "drop"


def test_seed_noise_larger_than_the_gain_is_inconclusive_and_mde_says_why():
    """A true gain of 0.05 item sd under seed noise of 0.3 item sd: 3 seeds can only see effects of about 0.35 (t with
    2 degrees of freedom + z at 80% power, times the standard error), so the verdict is inconclusive, and the observed
    delta (-0.020 with these seeds) would take 901 seeds to detect."""
    rng = np.random.default_rng(2)
    base = runs(3, 300, 0.0, 0.3, 1.0, rng)
    v = decide(base, runs(3, 300, 0.05, 0.3, 1.0, rng), {"t": 1.0})
    assert v.verdict == "inconclusive" and v.low < 0 < v.high
    t, z = sps.t.ppf(0.975, 2), sps.norm.ppf(0.8)
    assert v.mde == pytest.approx((t + z) * v.se) and v.mde > 0.3 > 0.05  # far above the true gain
    assert v.delta == pytest.approx(-0.0205, abs=1e-4)
    assert v.seeds_for_observed == math.ceil(((t + z) * v.se * math.sqrt(3) / abs(v.delta)) ** 2) == 901


def test_false_verdict_rate_under_the_null_is_about_five_percent():
    """Two variants with no true difference: keep/drop verdicts at the nominal 5% rate. With 600 trials the
    binomial standard error of a 5% rate is 0.9%, so the bound allows two standard errors of sampling noise."""
    rng = np.random.default_rng(3)
    verdicts = []
    for k in range(600):
        base, var = runs(3, 50, 0.0, 0.2, 1.0, rng), runs(3, 50, 0.0, 0.2, 1.0, rng)
        verdicts.append(decide(base, var, {"t": 1.0}, samples=200, seed=k).verdict)
    rate = sum(v != "inconclusive" for v in verdicts) / len(verdicts)
    assert rate <= 0.05 + 2 * 0.009, rate


def test_signal_checks():
    curves = [[(1, 0.1), (2, 0.2), (3, 0.3)], [(1, 0.12), (2, 0.21), (3, 0.33)]]
    chk = signal_checks(curves, [0.7, 0.72], chance=0.5)
    assert chk["monotonicity"] == 1.0 and chk["above_chance"] is True and chk["snr"] > 10
    flat = signal_checks([[(1, 0.3), (2, 0.1), (3, 0.2)]] * 2, [0.5, 0.5], chance=0.5)
    assert flat["above_chance"] is False


def test_looks_at_one_comparison_share_the_error_rate():
    from ablations.decide.loop import per_look_confidence

    assert per_look_confidence(0.95, 3, 3) == 0.95
    assert abs(per_look_confidence(0.95, 3, 5) - (1 - 0.05 / 3)) < 1e-12


def test_average_checkpoints_means_each_items_score_over_the_last_k():
    from ablations.decide.stats import average_checkpoints

    def ckpt(step: int, scores: dict[str, float]) -> dict:
        return {"step": step, "tasks": {"t": [{"id": i, "score": s, "acc": step} for i, s in scores.items()]}}

    evals = [ckpt(1, {"a": 0.0, "b": 9.0}), ckpt(2, {"a": 1.0, "b": 2.0}), ckpt(3, {"a": 3.0, "b": 4.0})]
    assert average_checkpoints(evals, 1) == evals[-1]["tasks"]
    two = average_checkpoints(evals, 2)["t"]
    assert [(r["id"], r["score"], r["acc"]) for r in two] == [("a", 2.0, 3), ("b", 3.0, 3)]
    assert [r["score"] for r in average_checkpoints(evals, 10)["t"]] == [4 / 3, 5.0]  # fewer checkpoints: all
    assert evals[-1]["tasks"]["t"][0]["score"] == 3.0  # the run's own record is left as it was
