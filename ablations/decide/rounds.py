"""Seed rounds: a candidate's variants trained and decided against the current recipe with paired seeds, buying
one seed pair at a time while their verdicts are inconclusive (ablations/decide/loop.py, ``Ablation.seed_rounds``).

Every round is a look at the same comparisons; the confidence the loop passes in is already corrected for the
number of looks (ablations/decide/family.py), so buying seeds does not raise the chance of a false keep or drop.
"""

from __future__ import annotations

from typing import Any

from ablations.decide.pending import Pending
from ablations.decide.stats import Verdict, decide

# the loop's Ablation and Variant (ablations/decide/loop.py, which imports this module) are typed Any here
Ablation = Variant = Any


def seed_rounds(
    ab: Ablation,
    current: Variant,
    variants: dict[str, tuple[Any, Variant]],
    seeds: list[int],
    confidence: float,
    records: dict[str, dict],
) -> dict[str, Verdict]:
    """Train and decide ``variants`` (id -> (candidate variant, prepared variant)) against ``current`` with paired
    ``seeds``: while no variant is kept, the inconclusive ones buy one more seed pair at a time, up to
    ``max_seeds``. A variant whose training raises is recorded as failed in ``records``. The last verdict of each
    variant."""
    cfg, abc = ab.cfg, ab.cfg.ablation
    weights = {t.name: t.weight for t in cfg.evaluation.tasks}
    seeds, verdicts, open_ = list(seeds), {}, list(variants)
    while open_:
        before, after = ab.final_results(current, seeds), {}
        for vid in open_:
            try:
                after[vid] = ab.final_results(variants[vid][1], seeds)
            except Pending:
                raise
            except Exception as e:  # recorded as failed; the sweep's other variants go on
                records[vid] = ab.failed(variants[vid][0], current, e)
                verdicts.pop(vid, None)
        if ab.plan is not None:
            ab.plan.check()  # raises Pending with everything these decisions still need
        for vid, results in after.items():
            verdicts[vid] = decide(before, results, weights, confidence, abc.bootstrap_samples, cfg.experiment.seed)
        open_ = [vid for vid in after if verdicts[vid].verdict == "inconclusive"]
        if len(seeds) >= abc.max_seeds or any(v.verdict == "keep" for v in verdicts.values()):
            break
        seeds.append(cfg.experiment.seed + len(seeds))
    return verdicts
