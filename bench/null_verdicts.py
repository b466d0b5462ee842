"""False verdicts of the ablation loop, per candidate and per recipe, with and without ``ablation.multiplicity``
(issue #26, item 2). A SIMULATION from measured noise: no processing, no training.

  .venv/bin/python bench/null_verdicts.py --recipes 200 --out /tmp/finebooks-null

What is real: the greedy loop (ablations/decide/loop.py: seed rounds, the recipe's error rate shared among its
candidates, sweeps) and the decision statistics (ablations/decide/stats.py: paired bootstrap, Student-t). What is
simulated: each run's per-item scores. For item i of a run of variant v at seed s,

    score = difficulty_i + shared_si + effect(v) + u_vs + e_vsi

``difficulty`` ~ N(0, 1) (fixed items; the unit of every delta is the baseline's item sd); ``shared`` what all
variants at one seed have in common (the paired initialisation and data order; it cancels in a paired difference);
``u`` ~ N(0, seed_sd / sqrt 2) a run's own seed effect and ``e`` ~ N(0, ITEM_NOISE / sqrt 2) its own item noise, so
the paired difference of two variants has seed-to-seed sd ``seed_sd``. Measured seed_sd of the paired delta
(BENCHMARKS.md, "Verdicts across scales and learning rates", bpb_gold): 0.023 item sd at the quickstart's scale,
0.21 at 10x its compute; both are simulated. One task of 300 items.

Scenarios (each recipe a fresh draw; every candidate is the recipe so far plus one block):
- ``null``: 5 candidates, none with any effect (same data, other order): every keep or drop is false.
- ``after_keep``: a first candidate with a real effect (2.5 standard errors at 3 seeds), then 4 null ones: the
  kept variant's runs become the base of the next comparisons, chosen because they came out high; every keep or
  drop of the 4 is false, and so is a drop of the first.
- ``sweep``: one candidate of 3 variants with the same real effect: how much the kept (largest) delta overstates
  it, against the bound the record reports (``winner_bias``, ablations/decide/sweep.py).
- ``one_seed``: ``decide`` called directly with one seed per side (the loop now refuses it), 5 null candidates.
Seeds: 3, buying up to 5 (the default), and 6 at one look (the quickstart's).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
import time
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's packages, not an installed copy

from ablations.decide.loop import Ablation, Variant
from ablations.decide.stats import decide
from ablations.decide.sweep import winner_bias
from ablations.recipe.schema import RecipeConfig

ITEMS = 300
ITEM_NOISE = 0.1  # per run, item sd units (as tests/test_decide.py)
SEED_SDS = (0.023, 0.21)
CANDIDATES = 5
START = 0  # --start: the first recipe's draw (another start: other recipes)
WORK = Path("/tmp/finebooks-null")  # --out: the loop writes its verdicts.json there
SAMPLES = (
    200  # bootstrap samples per decision (the recipe default is 1000; the interval's t and SE do not depend on it)
)


def recipe(candidates: list[dict], seeds: int, max_seeds: int, multiplicity: str) -> RecipeConfig:
    return RecipeConfig.model_validate(
        {
            "experiment": {"name": "null", "output_dir": "/nonexistent", "seed": 0},
            "data": {"sources": [{"name": "books", "format": "text", "path": "/nonexistent"}]},
            "evaluation": {"tasks": [{"name": "t", "kind": "blimp"}]},
            "ablation": {
                "seeds": seeds,
                "max_seeds": max_seeds,
                "multiplicity": multiplicity,
                "bootstrap_samples": SAMPLES,
                "candidates": candidates,
            },
        }
    )


def null_candidates(k: int) -> list[dict]:
    return [{"block": "sampler", "id": f"c{j}", "params": {"rate": 1.0, "seed": j}} for j in range(k)]


class Simulated(Ablation):
    """The real loop; a run's scores are drawn from the noise model (module docstring) for recipe ``draw``."""

    def __init__(self, cfg: RecipeConfig, draw: int, seed_sd: float, effects: dict[str, float]):
        super().__init__(SimpleNamespace(cfg=cfg, folder=WORK), None, WORK, progress=False)
        self.draw, self.seed_sd, self.effects = draw, seed_sd, effects

    def run(self) -> Variant:
        with contextlib.redirect_stdout(io.StringIO()):  # the verdict lines of thousands of decisions
            return super().run()

    def prepare(self, v: Variant) -> Variant:
        v.summary = {"in": {"documents": 10}, "kept": {"documents": 10}}
        self.variants.append(v)
        return v

    def train(self, v: Variant, seed: int) -> dict:
        if seed not in v.runs:
            difficulty = np.random.default_rng(123).normal(0, 1, ITEMS)
            shared = np.random.default_rng([self.draw, seed, 1]).normal(0, 0.1, ITEMS)
            own = np.random.default_rng([self.draw, seed, 2, zlib.crc32(v.name.encode())])
            effect = sum(self.effects.get(part, 0.0) for part in v.name.split("+")[1:])
            noise = own.normal(0, self.seed_sd / math.sqrt(2)) + own.normal(0, ITEM_NOISE / math.sqrt(2), ITEMS)
            scores = difficulty + shared + effect + noise
            v.runs[seed] = {"evals": [{"tasks": {"t": [{"id": str(i), "score": x} for i, x in enumerate(scores)]}}]}
        return v.runs[seed]

    def failed(self, cand, current, error):  # a simulation has nothing to fail: show the error
        raise error


def se_at(seed_sd: float, seeds: int) -> float:
    """The standard error of a paired delta at ``seeds`` seeds under the noise model."""
    return math.sqrt(seed_sd**2 + ITEM_NOISE**2 / ITEMS) / math.sqrt(seeds)


def rate(hits: int, n: int) -> dict[str, Any]:
    """A rate with its Wilson 95% interval."""
    if n == 0:
        return {"rate": None, "n": 0}
    p, z = hits / n, 1.96
    mid, half = (
        (p + z * z / (2 * n)) / (1 + z * z / n),
        z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n),
    )
    return {"hits": hits, "n": n, "rate": p, "low": max(0.0, mid - half), "high": min(1.0, mid + half)}


def false_verdicts(decisions: list[dict], truth: dict[str, float]) -> list[bool]:
    """Per trained decision: whether its verdict is false (keep of an effect <= 0, drop of one >= 0)."""
    out = []
    for d in decisions:
        if d["seeds"] == 0:
            continue
        effect = truth.get(d["candidate"], 0.0)
        out.append((d["verdict"] == "keep" and effect <= 0) or (d["verdict"] == "drop" and effect >= 0))
    return out


def run_scenario(name: str, recipes: int, seed_sd: float, seeds: int, max_seeds: int, multiplicity: str) -> dict:
    per_candidate, per_recipe, first = [], [], []
    real = 2.5 * se_at(seed_sd, 3)
    for r in range(START, START + recipes):
        effects = {"c0": real} if name == "after_keep" else {}
        cfg = recipe(null_candidates(CANDIDATES), seeds, max_seeds, multiplicity)
        loop = Simulated(cfg, r, seed_sd, effects)
        loop.run()
        wrong = false_verdicts(loop.decisions, effects)
        if name == "after_keep":
            first.append(loop.decisions[0]["verdict"])
            wrong = wrong[1:]  # the null candidates after the real one
        per_candidate += wrong
        per_recipe.append(any(wrong))
    out = {
        "per_candidate": rate(sum(per_candidate), len(per_candidate)),
        "per_recipe": rate(sum(per_recipe), len(per_recipe)),
    }
    if first:
        out["first_kept"] = first.count("keep") / len(first)
    return out


def run_sweep(recipes: int, seed_sd: float, multiplicity: str) -> dict:
    """3 variants with the same real effect: the kept delta against the truth, and the bound the record gives."""
    effect = 2.5 * se_at(seed_sd, 3)
    sweep = {"block": "sampler", "params": {"seed": 1}, "sweep": {"rate": [0.25, 0.5, 1.0]}}
    over, bounds, largest = [], [], []
    for r in range(START, START + recipes):
        cfg = recipe([sweep], 3, 5, multiplicity)
        loop = Simulated(cfg, r, seed_sd, {f"sampler[rate={x}]": effect for x in (0.25, 0.5, 1.0)})
        loop.run()
        largest.append(max(d["delta"] for d in loop.decisions) - effect)
        kept = [d for d in loop.decisions if d["verdict"] == "keep"]
        if kept:
            over.append(kept[0]["delta"] - effect)
            bounds.append(kept[0]["winner_bias"])
    return {
        "effect": effect,
        "bound_at_true_se": winner_bias([se_at(seed_sd, 3)] * 3),  # what the bound would be, knowing the true SE
        "kept": len(over) / recipes,
        "largest_delta_overstates_by": float(np.mean(largest)),
        "kept_delta_overstates_by": float(np.mean(over)) if over else None,
        "reported_bound": float(np.mean(bounds)) if bounds else None,
    }


def run_one_seed(recipes: int, seed_sd: float) -> dict:
    wrong, per_recipe = [], []
    for r in range(START, START + recipes):
        loop = Simulated(recipe([], 2, 2, "none"), r, seed_sd, {})
        base = [loop.train(Variant("baseline", [], []), 0)["evals"][0]["tasks"]]
        these = []
        for j in range(CANDIDATES):
            runs = [loop.train(Variant(f"baseline+c{j}", [], []), 0)["evals"][0]["tasks"]]
            these.append(decide(base, runs, {"t": 1.0}, 0.95, SAMPLES, r).verdict != "inconclusive")
        wrong += these
        per_recipe.append(any(these))
    return {"per_candidate": rate(sum(wrong), len(wrong)), "per_recipe": rate(sum(per_recipe), len(per_recipe))}


def fmt(r: dict) -> str:
    return f"{r['rate']:.3f} [{r['low']:.3f}, {r['high']:.3f}]"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recipes", type=int, default=200, help="recipes drawn per scenario and setting")
    ap.add_argument("--out", type=Path, default=Path("/tmp/finebooks-null"))
    ap.add_argument("--start", type=int, default=0, help="the first recipe's draw (another start: other recipes)")
    ap.add_argument("--seed-sds", type=float, nargs="+", default=list(SEED_SDS))
    ap.add_argument("--settings", nargs="+", default=["one_seed", "null:3-5", "null:6-6", "after_keep:3-5", "sweep"])
    args = ap.parse_args(argv)
    global WORK, START
    WORK, START = args.out, args.start
    args.out.mkdir(parents=True, exist_ok=True)
    t0, rows, lines = time.time(), [], []
    lines += ["| scenario | seed sd | seeds | multiplicity | false verdicts per candidate | per recipe (any) |"]
    lines += ["|---|---|---|---|---|---|"]
    for seed_sd in args.seed_sds:
        if "one_seed" in args.settings:
            one = run_one_seed(args.recipes, seed_sd)
            rows.append({"scenario": "one_seed", "seed_sd": seed_sd, **one})
            lines.append(
                f"| one_seed (refused now) | {seed_sd} | 1 | none | {fmt(one['per_candidate'])} | "
                f"{fmt(one['per_recipe'])} |"
            )
        for setting in [s for s in args.settings if ":" in s]:
            name, (seeds, max_seeds) = setting.split(":")[0], map(int, setting.split(":")[1].split("-"))
            for mult in ("none", "bonferroni"):
                res = run_scenario(name, args.recipes, seed_sd, seeds, max_seeds, mult)
                rows.append(
                    {
                        "scenario": name,
                        "seed_sd": seed_sd,
                        "seeds": f"{seeds}-{max_seeds}",
                        "multiplicity": mult,
                        **res,
                    }
                )
                extra = f" (first kept {res['first_kept']:.0%})" if "first_kept" in res else ""
                lines.append(
                    f"| {name}{extra} | {seed_sd} | {seeds}-{max_seeds} | {mult} | {fmt(res['per_candidate'])} | "
                    f"{fmt(res['per_recipe'])} |"
                )
                print(lines[-1], flush=True)
        if "sweep" in args.settings:
            sw = run_sweep(args.recipes, seed_sd, "bonferroni")  # one candidate: the same with none
            rows.append({"scenario": "sweep", "seed_sd": seed_sd, **sw})
            print(f"sweep seed_sd {seed_sd}: {sw}", flush=True)
    minutes = (time.time() - t0) / 60
    (args.out / "null_verdicts.json").write_text(json.dumps({"rows": rows, "minutes": minutes}, indent=2))
    print("\n".join(lines))
    print(f"{minutes:.1f} min; {args.out / 'null_verdicts.json'}")


if __name__ == "__main__":
    main()
