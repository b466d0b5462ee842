"""A candidate's variants decided together: the decision records of a sweep, and which variant joins the recipe.

Every variant of a sweep is the same recipe plus one value (one grid point) of the candidate, trained beside the
others against the same runs of that recipe (ablations/decide/loop.py). Its interval has the confidence
``1 - (1 - confidence) / (looks x variants)`` (Bonferroni over the looks that buy seeds and over the variants), so
the chance that any variant of the sweep is kept or dropped falsely stays within ``1 - confidence``. The best
variant is the one with the largest delta among those whose interval is above 0: it alone is ``keep`` and joins
the recipe; the others above 0 are ``outranked``. When no interval is above 0, no variant joins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ablations.decide.stats import Verdict
    from ablations.recipe.candidates import CandidateSpec, CandidateVariant


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
        records[vid] = record | records[vid]  # the removal marks of its preparation
    for cv in variants:
        records[cv.id] |= {"sweep": cand.id if cand.sweep else None, "values": cv.values, "variants": len(variants)}
    return best


def sweep_line(records: list[dict[str, Any]]) -> str | None:
    """``sweep ocr_quality_filter (3 variants): keeps ocr_quality_filter[max.ocr_cer_estimate=0.1]`` (None for a
    candidate without a sweep)."""
    if not records or not records[0].get("sweep"):
        return None
    kept = [r["candidate"] for r in records if r["verdict"] == "keep"]
    said = f"keeps {kept[0]}" if kept else "no variant kept"
    each = f"each at {100 * records[0]['confidence']:.2f}% confidence"
    return f"sweep {records[0]['sweep']} ({len(records)} variants, {each}): {said}"
