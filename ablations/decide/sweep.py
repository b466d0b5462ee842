"""A candidate's variants decided together: the decision records of a sweep, and which variant joins the recipe.

Every variant of a sweep is the same recipe plus one value (one grid point) of the candidate, trained beside the
others against the same runs of that recipe (ablations/decide/loop.py). Its interval has the confidence
``1 - (1 - confidence) / (looks x variants)`` (Bonferroni over the looks that buy seeds and over the variants), so
the chance that any variant of the sweep is kept or dropped falsely stays within ``1 - confidence``. The best
variant is the one with the largest delta among those whose interval is above 0: it alone is ``keep`` and joins
the recipe; the others above 0 are ``outranked``. When no interval is above 0, no variant joins.

The winner's curse, reported, not corrected: the kept variant is the one whose delta came out largest, so its
delta overstates its effect. The kept record's ``winner_bias`` estimates what choosing the largest adds on average:
``E[max_j se_j Z_j]`` with independent standard normal ``Z_j`` at the variants' standard errors (whatever their true
effects, the winner's noise is at most the largest of the noises; the variants share the recipe's runs, which
correlates their estimates positively and only lowers that expectation). It is an estimate: the standard errors
come from few seeds. A keep near the detection limit overstates more, since it is kept because its noise was
favourable (as any keep is; BENCHMARKS.md, "Null verdicts"): the interval's lower end is the safe reading. The
interval itself needs no correction: the intervals are simultaneous over the variants (Bonferroni), so the chosen
one's covers its effect at the stated confidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import integrate
from scipy import stats as sps

if TYPE_CHECKING:
    from ablations.decide.stats import Verdict
    from ablations.recipe.candidates import CandidateSpec, CandidateVariant


def winner_bias(ses: list[float]) -> float:
    """``E[max_j se_j Z_j]`` for independent standard normal ``Z_j``: what choosing the largest of estimates with
    standard errors ``ses`` adds to it on average, at most (0 for one)."""
    if len(ses) < 2:
        return 0.0

    def cdf(x: float) -> float:
        return float(np.prod([sps.norm.cdf(x / s) if s > 0 else float(x >= 0) for s in ses]))

    top = 10 * max(ses)
    above = integrate.quad(lambda x: 1 - cdf(x), 0, top, limit=200)[0]
    below = integrate.quad(cdf, -top, 0, limit=200)[0]
    return above - below


def best_variant(verdicts: dict[str, Verdict]) -> str | None:
    """The kept variant with the largest delta (ties: the first in config order), or None when none is kept."""
    kept = [vid for vid, v in verdicts.items() if v.verdict == "keep"]
    return max(kept, key=lambda vid: verdicts[vid].delta) if kept else None


def sweep_records(
    cand: CandidateSpec,
    variants: list[CandidateVariant],
    base: str,
    prepared: dict[str, tuple[CandidateVariant, Any]],
    verdicts: dict[str, Verdict],
    records: dict[str, dict],
    confidence: float,
) -> str | None:
    """Complete ``records`` (variant id -> record; untrained ones are already whole) with the trained variants'
    verdicts, mark each with its sweep, and return the id of the variant that joins the recipe (or None)."""
    best = best_variant(verdicts)
    for vid, verdict in verdicts.items():
        cv, variant = prepared[vid]
        record = {
            "candidate": vid,
            "section": cv.section,
            "baseline": base,
            "variant": variant.name,
            "confidence": confidence,
            **verdict.as_dict(),
        }
        if verdict.verdict == "keep" and vid != best:
            record["verdict"] = "outranked"
        if vid == best and len(verdicts) > 1:  # chosen as the largest of several: the winner's curse
            record["winner_bias"] = winner_bias([v.se for v in verdicts.values()])
        records[vid] = record | records[vid]  # the removal marks of its preparation
    for cv in variants:
        records[cv.id] |= {"sweep": cand.id if cand.sweep else None, "values": cv.values, "variants": len(variants)}
    return best


def sweep_line(records: list[dict[str, Any]]) -> str | None:
    """``sweep ocr_quality_filter (3 variants): keeps ocr_quality_filter[max.ocr_cer_estimate=0.1]`` (None for a
    candidate without a sweep)."""
    if not records or not records[0].get("sweep"):
        return None
    kept = [r for r in records if r["verdict"] == "keep"]
    said = f"keeps {kept[0]['candidate']}" if kept else "no variant kept"
    if kept and kept[0].get("winner_bias") is not None:
        said += f" (the largest delta: selection adds about {kept[0]['winner_bias']:+.4f} on average)"
    each = f"each at {100 * records[0]['confidence']:.2f}% confidence"
    return f"sweep {records[0]['sweep']} ({len(records)} variants, {each}): {said}"
