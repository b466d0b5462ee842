"""Planning from a pilot (ablations/decide/power.py, ``run_ablation.py plan``)."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats as sps

from ablations.decide.power import Z80, format_plan, plan, seeds_needed, tokens_needed


@pytest.mark.parametrize("n", [2, 3, 5, 12])
def test_seeds_needed_inverts_the_minimum_detectable_effect(n):
    """A pilot of n seeds whose minimum detectable effect is E needs n seeds for E, and more for E/2."""
    se, conf = 0.02, 0.95
    mde = (float(sps.t.ppf(0.5 + conf / 2, n - 1)) + Z80) * se
    sd = se * math.sqrt(n)
    assert seeds_needed(sd, mde * 1.0001, conf) == n
    assert seeds_needed(sd, mde * 0.9999, conf) == n + 1
    assert seeds_needed(sd, mde / 2, conf) > n + 1 or n == 2  # with 2 seeds, t(1 df) = 12.7 alone halves at 3
    assert seeds_needed(sd, 1e-9, conf) is None  # more than the cap


def test_tokens_needed_follows_the_fitted_power_law():
    """se = 0.1 * (tokens / 1000) ** -0.5: the tokens for an effect follow from the law, not from a guess."""
    curve = [(t, 0.1 * (t / 1000) ** -0.5) for t in (1000, 2000, 4000, 8000)]
    crit = float(sps.t.ppf(0.975, 2)) + Z80
    effect = crit * 0.1 * (64000 / 1000) ** -0.5  # reached at 64,000 tokens
    out = tokens_needed(curve, effect, 0.95, seeds=3)
    assert out["slope"] == pytest.approx(-0.5)
    assert out["tokens"] == pytest.approx(64000, rel=1e-3)
    flat = tokens_needed([(1000, 0.1), (2000, 0.1), (4000, 0.12)], effect, 0.95, seeds=3)
    assert flat["slope"] > 0 and flat["tokens"] is None  # noise that does not fall with tokens: no extrapolation


def _pilot(tmp_path, deltas_by_seed: list[float], noise_by_checkpoint: list[float]):
    """A run folder with one decision and its paired runs: item scores built so that the decision is known."""
    run = tmp_path / "run"
    items = 30
    for variant in ("baseline", "baseline+x"):
        for seed, delta in enumerate(deltas_by_seed):
            evals = []
            for k, noise in enumerate(noise_by_checkpoint):
                shift = (delta + noise * (seed - 1)) if variant != "baseline" else 0.0
                rows = [{"id": str(i), "score": (i % 7) / 7 + shift} for i in range(items)]
                evals.append({"step": k + 1, "tokens": 1000 * 2**k, "tasks": {"t": rows}})
            folder = run / "stages" / f"train-{variant}-{seed}"
            folder.mkdir(parents=True)
            manifest = {"variant": variant, "seed": seed, "tokens": 1000 * 2 ** (len(evals) - 1), "evals": evals,
                        "seconds": 10.0}  # fmt: skip
            (folder / "manifest.json").write_text(json.dumps(manifest))
    from ablations.decide.stats import decide

    last = [{"t": [{"id": str(i), "score": (i % 7) / 7} for i in range(items)]} for _ in deltas_by_seed]
    final = decide(last, [json.loads((run / "stages" / f"train-baseline+x-{s}" / "manifest.json").read_text())
                          ["evals"][-1]["tasks"] for s in range(len(deltas_by_seed))], {"t": 1.0})  # fmt: skip
    decision = {"candidate": "x", "baseline": "baseline", "variant": "baseline+x", "confidence": 0.95,
                "reason": None, **final.as_dict()}  # fmt: skip
    (run / "decisions.json").write_text(json.dumps([decision]))
    return run, final


def test_plan_of_a_pilot_names_seeds_tokens_and_time(tmp_path):
    run, final = _pilot(tmp_path, [0.05, 0.05, 0.05], noise_by_checkpoint=[0.4, 0.2, 0.1, 0.05])
    out = plan(run, {"t": 1.0}, effect=final.mde / 2, gpu_tokens_per_second=1000.0)
    row = out["candidates"][0]
    assert row["seeds_at_pilot_tokens"] > 3  # half the pilot's detectable effect needs more seeds
    assert row["noise_slope"] == pytest.approx(-1.0, abs=0.05)  # the noise halves with each doubling of tokens
    assert 8000 < row["tokens_at_pilot_seeds"] < 8000 * 2.5  # about twice the tokens (slope -1) for half the effect
    assert row["cpu_seconds"] == pytest.approx(2 * row["seeds_at_pilot_tokens"] * 10.0)  # 10 s per 8,000-token run
    assert row["gpu_training_seconds"] == pytest.approx(2 * row["seeds_at_pilot_tokens"] * 8000 / 1000.0)
    text = format_plan(out)
    assert f"needs {row['seeds_at_pilot_tokens']} seeds at 8,000 tokens" in text


def test_plan_without_a_finished_pilot_is_a_data_error(tmp_path, capsys):
    from ablations.decide.power import main

    cfg = tmp_path / "c.yaml"
    cfg.write_text("experiment: {name: none, output_dir: " + str(tmp_path) + "}\ndata: {sources: []}\n")
    code = main([str(cfg)])
    err = capsys.readouterr().err
    assert code in (2, 3), err
    if code == 3:
        assert "run the pilot first" in err
