"""Decisions at several learning rates (``ablation.learning_rates``, issue #16 item 4).

Recipe rankings of small proxy models can flip with the learning rate ("Can Small Training Runs Reliably Guide Data
Curation?", ICLR 2026). With ``ablation.learning_rates`` set, every candidate trained by the loop is also decided at
each listed rate other than ``training.learning_rate``: the current recipe and the candidate's variant are trained
at that rate (a variant named ``<variant>@lr=<rate>``, sharing the prepared data; its training runs are stages of
their own, since the training config is part of their key), paired by seed, with the same seed buying as the main
decision. The record keeps the main rate's delta and interval and lists every rate's verdict under
``learning_rates``. With ``ablation.require_all_learning_rates`` the verdict is the one every rate reached, else
inconclusive: an intersection test, so it needs no further correction of the confidence.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ablations.recipe.schema import RecipeConfig

# the loop's Ablation and Variant (ablations/decide/loop.py, which imports this module) are typed Any here
Ablation = Variant = Any

BRIEF = ("verdict", "delta", "low", "high", "seeds", "mde")  # what the record keeps of each rate's decision


def at_rate(cfg: RecipeConfig, rate: float | None) -> RecipeConfig:
    """The recipe trained at peak learning rate ``rate`` (None: its own)."""
    if rate is None or rate == cfg.training.learning_rate:
        return cfg
    return cfg.model_copy(update={"training": cfg.training.model_copy(update={"learning_rate": rate})})


def other_rates(cfg: RecipeConfig) -> list[float]:
    """The rates of ``ablation.learning_rates`` other than ``training.learning_rate``, in their order."""
    return [r for r in cfg.ablation.learning_rates if r != cfg.training.learning_rate]


def rate_variant(ab: Ablation, v: Variant, rate: float) -> Variant:
    """``v`` trained at ``rate``: the loop's variant of that name if it has one (its runs are reused), else a new
    one on the same prepared data, added to the loop's variants (so its runs are in the run record)."""
    name = f"{v.name}@lr={rate:g}"
    for known in ab.variants:
        if known.name == name:
            return known
    out = replace(v, name=name, runs={}, learning_rate=rate)
    ab.variants.append(out)
    return out


def combined_verdict(verdicts: list[str], require_all: bool) -> str:
    """The verdict of a candidate decided at several rates (the first is the main rate's)."""
    if not require_all:
        return verdicts[0]
    return verdicts[0] if len(set(verdicts)) == 1 else "inconclusive"


def decide_at_rates(
    ab: Ablation,
    current: Variant,
    prepared: dict[str, tuple[Any, Variant]],
    verdicts: dict[str, Any],
    confidence: float,
    records: dict[str, dict],
) -> dict[str, Any]:
    """The loop's ``verdicts`` (at ``training.learning_rate``, variant id -> Verdict) with each trained variant also
    decided at the other rates (``seed_rounds`` against ``current`` at the same rate): every rate's decision goes
    to its record under ``learning_rates``, and each verdict becomes the combined one."""
    cfg = ab.cfg
    per_rate = {
        vid: {f"{cfg.training.learning_rate:g}": {k: getattr(v, k) for k in BRIEF}} for vid, v in verdicts.items()
    }
    for rate in other_rates(cfg):
        at = {vid: (prepared[vid][0], rate_variant(ab, prepared[vid][1], rate)) for vid in verdicts}
        for vid, v in ab.seed_rounds(rate_variant(ab, current, rate), at, confidence, records).items():
            per_rate[vid][f"{rate:g}"] = {k: getattr(v, k) for k in BRIEF}
    out = {}
    for vid, v in verdicts.items():
        records[vid]["learning_rates"] = per_rate[vid]
        if records[vid].get("reason"):  # its training failed at another rate: recorded as failed, not decided
            continue
        said = [d["verdict"] for d in per_rate[vid].values()]
        out[vid] = replace(v, verdict=combined_verdict(said, cfg.ablation.require_all_learning_rates))
    return out
