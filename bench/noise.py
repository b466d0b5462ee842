"""Noise of the decisions of finished runs: the minimum detectable effect at equal compute, several aggregations.

  .venv/bin/python bench/noise.py RUN_DIR [RUN_DIR ...] [--seeds 3] [--last 1 2 4] [--json out.json]

For every decision of each run folder (its ``decisions.json`` and the manifests of its training runs), the
decision is made again on the first ``--seeds`` seed pairs (equal compute across runs) with the item scores of the
last checkpoint, or averaged over the last ``k`` checkpoints (``--last``), and its delta, interval and minimum
detectable effect are printed; also the seed-to-seed standard deviation of each task's paired difference.
Comparing two run folders of the same config that differ in one setting (e.g. ``training.data_order``) shows what
that setting does to the noise. Nothing is trained.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ablations.decide.power import load_runs  # noqa: E402
from ablations.decide.stats import average_checkpoints, decide  # noqa: E402


def averaged(evals: list[dict], k: int) -> dict[str, list[dict]]:
    """Item scores averaged over the last ``k`` checkpoints of a run (what ``ablation.average_checkpoints`` does)."""
    return average_checkpoints(evals, k)


def task_sd(b: list[dict], v: list[dict]) -> dict[str, float]:
    """Per task: the standard deviation over seeds of the mean paired difference (variant - baseline)."""
    out = {}
    for task in b[0]:
        diffs = [
            np.mean([r["score"] for r in vv[task]]) - np.mean([r["score"] for r in bb[task]])
            for bb, vv in zip(b, v, strict=True)
        ]
        out[task] = float(np.std(diffs, ddof=1)) if len(diffs) > 1 else float("nan")
    return out


def analyse(run_dir: Path, seeds: int, lasts: list[int]) -> list[dict]:
    import yaml

    runs = load_runs(run_dir)
    cfg = yaml.safe_load((run_dir / "config.resolved.yaml").read_text())
    weights = {t["name"]: t.get("weight", 1.0) for t in cfg["evaluation"]["tasks"]}
    rows = []
    for d in json.loads((run_dir / "decisions.json").read_text()):
        paired = sorted(s for (v, s) in runs if v == d["variant"] and (d["baseline"], s) in runs)[:seeds]
        if len(paired) < 2:
            continue
        for k in lasts:
            b = [averaged(runs[(d["baseline"], s)]["evals"], k) for s in paired]
            v = [averaged(runs[(d["variant"], s)]["evals"], k) for s in paired]
            r = decide(b, v, weights, d["confidence"], 1000, 0)
            rows.append({"run": str(run_dir), "candidate": d["candidate"], "seeds": len(paired), "last": k,
                         "verdict": r.verdict, "delta": r.delta, "low": r.low, "high": r.high, "mde": r.mde,
                         "task_sd": task_sd(b, v)})  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--last", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = [r for run in args.runs for r in analyse(run, args.seeds, args.last)]
    for r in rows:
        sd = ", ".join(f"{t} {x:.4f}" for t, x in r["task_sd"].items())
        print(f"{r['run']} {r['candidate']} seeds {r['seeds']} last {r['last']}: {r['verdict']} {r['delta']:+.4f} "
              f"[{r['low']:+.4f}, {r['high']:+.4f}] mde {r['mde']:.4f}; seed sd of task deltas: {sd}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
