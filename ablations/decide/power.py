"""Planning from a pilot: the seeds and tokens per run that a decision at a given effect size needs, and the time.

``run_ablation.py plan CONFIG --effect E`` reads the finished run of CONFIG (its ``decisions.json`` and the
manifests of its training runs) and, for each candidate trained:

- **seeds at the pilot's tokens**: the seed-to-seed standard deviation of the paired difference is
  ``se * sqrt(seeds)``; a decision at effect ``E`` (80% power, the candidate's interval confidence) needs the
  smallest ``n`` with ``(t_{n-1} + z_0.8) * sd / sqrt(n) <= E``, as ``stats.decide`` computes its minimum
  detectable effect.
- **tokens at the pilot's seeds**: the standard error at every checkpoint of the pilot's runs (the same decision
  made on each checkpoint's scores) against the tokens seen gives a power law ``se ~ tokens^b``; extrapolated to
  where ``(t + z_0.8) * se <= E``. Only when ``b < 0`` (noise falls with tokens in this pilot); an extrapolation,
  labelled as such.
- **time**: seconds per run measured in the pilot (training and evaluation), scaled by tokens, for the runs a
  decision needs (a baseline and a variant run per seed; baselines are shared by the candidates decided on the same
  recipe, so the sum over candidates is an upper bound); and the training time on a GPU of a given throughput
  (``--gpu-tokens-per-second``; evaluation not included).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from scipy import stats as sps

from ablations.decide.stats import decide

Z80 = float(sps.norm.ppf(0.8))
MAX_SEEDS = 1000


def seeds_needed(sd_seed: float, effect: float, confidence: float) -> int | None:
    """Smallest number of seeds (>= 2) whose minimum detectable effect is at most ``effect``; None above 1000."""
    for n in range(2, MAX_SEEDS + 1):
        t = float(sps.t.ppf(0.5 + confidence / 2, n - 1))
        if (t + Z80) * sd_seed / math.sqrt(n) <= effect:
            return n
    return None


def load_runs(run_dir: Path) -> dict[tuple[str, int], dict]:
    """(variant, seed) -> manifest of every finished training run of the run folder."""
    runs = {}
    for path in sorted((run_dir / "stages").glob("train-*/manifest.json")):
        m = json.loads(path.read_text())
        runs[(m["variant"], int(m["seed"]))] = m
    return runs


def noise_by_tokens(d: dict, runs: dict, weights: dict[str, float]) -> list[tuple[int, float]]:
    """(tokens seen, standard error of the decision) at every checkpoint the pilot's paired runs share."""
    seeds = [s for (v, s) in runs if v == d["variant"] and (d["baseline"], s) in runs][: d["seeds"]]
    if len(seeds) < 2:
        return []
    pairs = [(runs[(d["baseline"], s)]["evals"], runs[(d["variant"], s)]["evals"]) for s in seeds]
    out = []
    for k in range(min(len(e) for pair in pairs for e in pair)):
        v = decide([b[k]["tasks"] for b, _ in pairs], [a[k]["tasks"] for _, a in pairs], weights, d["confidence"])
        out.append((int(pairs[0][0][k]["tokens"]), v.se))
    return out


def tokens_needed(curve: list[tuple[int, float]], effect: float, confidence: float, seeds: int) -> dict:
    """The power-law fit of standard error against tokens, and the tokens per run it predicts for ``effect``."""
    pts = [(t, se) for t, se in curve if t > 0 and se > 0]
    if len(pts) < 2:
        return {"slope": None, "tokens": None}
    slope, _ = np.polyfit(np.log([t for t, _ in pts]), np.log([se for _, se in pts]), 1)
    t_last, se_last = pts[-1]
    crit = float(sps.t.ppf(0.5 + confidence / 2, max(1, seeds - 1))) + Z80
    if slope >= 0:
        return {"slope": float(slope), "tokens": None}
    ratio = effect / (crit * se_last)
    return {"slope": float(slope), "tokens": int(t_last * ratio ** (1 / slope)) if ratio < 1 else t_last}


def plan(run_dir: Path, weights: dict[str, float], effect: float, gpu_tokens_per_second: float | None) -> dict:
    """The plan of every trained candidate of a finished pilot (see the module docstring)."""
    decisions_path = run_dir / "decisions.json"
    if not decisions_path.exists():
        raise FileNotFoundError(f"{decisions_path} does not exist: run the pilot first (run_ablation.py CONFIG)")
    runs = load_runs(run_dir)
    if not runs:
        raise FileNotFoundError(f"{run_dir / 'stages'}: no finished training run to plan from")
    seconds = [m["seconds"] for m in runs.values() if m.get("seconds")]
    tokens = [m["tokens"] for m in runs.values()]
    sec_per_token = float(np.sum(seconds) / np.sum(tokens)) if seconds else None
    rows = []
    for d in json.loads(decisions_path.read_text()):
        if d.get("reason") or not d.get("seeds") or d["seeds"] < 2 or not d.get("se"):
            rows.append({"candidate": d["candidate"], "verdict": d["verdict"], "skipped": d.get("reason") or "no se"})
            continue
        pilot_tokens = int(np.median([m["tokens"] for (v, _), m in runs.items() if v == d["variant"]]))
        n = seeds_needed(d["se"] * math.sqrt(d["seeds"]), effect, d["confidence"])
        by_tokens = tokens_needed(noise_by_tokens(d, runs, weights), effect, d["confidence"], d["seeds"])
        row = {
            "candidate": d["candidate"],
            "verdict": d["verdict"],
            "pilot": {"seeds": d["seeds"], "tokens": pilot_tokens, "mde": d["mde"], "se": d["se"]},
            "seeds_at_pilot_tokens": n,
            "noise_slope": by_tokens["slope"],
            "tokens_at_pilot_seeds": by_tokens["tokens"],
        }
        if n is not None and sec_per_token:
            row["cpu_seconds"] = 2 * n * pilot_tokens * sec_per_token
        if n is not None and gpu_tokens_per_second:
            row["gpu_training_seconds"] = 2 * n * pilot_tokens / gpu_tokens_per_second
        rows.append(row)
    return {"effect": effect, "seconds_per_token": sec_per_token, "gpu_tokens_per_second": gpu_tokens_per_second,
            "candidates": rows}  # fmt: skip


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def format_plan(p: dict) -> str:
    """The plan as lines a person reads: one per candidate."""
    lines = [f"plan for a decision at effect {p['effect']} (baseline item sd, 80% power):"]
    for r in p["candidates"]:
        if "skipped" in r:
            lines.append(f"  {r['candidate']}: {r['verdict']}, not planned ({r['skipped']})")
            continue
        pilot = r["pilot"]
        seeds = r["seeds_at_pilot_tokens"] or f"more than {MAX_SEEDS}"
        if r["tokens_at_pilot_seeds"]:
            tokens = f"{r['tokens_at_pilot_seeds']:,} tokens per run at {pilot['seeds']} seeds (extrapolated)"
        else:
            tokens = "more tokens do not lower the noise in this pilot"
        gpu = f", GPU training {_time(r['gpu_training_seconds'])}" if "gpu_training_seconds" in r else ""
        lines.append(
            f"  {r['candidate']}: pilot {r['verdict']} (mde {pilot['mde']:.4f} at {pilot['seeds']} seeds, "
            f"{pilot['tokens']:,} tokens); needs {seeds} seeds at {pilot['tokens']:,} tokens "
            f"(this machine {_time(r.get('cpu_seconds'))}{gpu}), or {tokens}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """``run_ablation.py plan CONFIG [--set K=V] [--effect E] [--gpu-tokens-per-second N]``: exit 0, 2 config error,
    3 no finished pilot."""
    import argparse
    import sys

    from ablations.recipe.loader import ConfigError, load_recipe
    from ablations.run_context import run_dir_of
    from pipelines.stages import write_json

    p = argparse.ArgumentParser(prog="run_ablation.py plan", description=__doc__.split("\n\n")[0])
    p.add_argument("config", help="the pilot's recipe YAML (its run folder must hold a finished run)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    p.add_argument("--effect", type=float, default=0.05, help="effect to detect, in baseline item sd (0.05)")
    p.add_argument("--gpu-tokens-per-second", type=float, default=None, help="a GPU's training throughput")
    args = p.parse_args(argv)
    if args.effect <= 0:
        p.error("--effect must be positive")
    try:
        cfg = load_recipe(args.config, args.overrides)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    run_dir = run_dir_of(cfg)
    resolved = run_dir / "config.resolved.yaml"
    if resolved.exists() and load_recipe(resolved).model_dump() != cfg.model_dump():
        print(f"note: {resolved} differs from {args.config}: planning from the run folder's results", file=sys.stderr)
    weights = {t.name: t.weight for t in cfg.evaluation.tasks}
    try:
        result = plan(run_dir, weights, args.effect, args.gpu_tokens_per_second)
    except FileNotFoundError as e:
        print(f"data error: {e}", file=sys.stderr)
        return 3
    write_json(run_dir / "plan.json", result)
    print(format_plan(result))
    print(f"written: {run_dir / 'plan.json'}")
    return 0
