"""The parts of a run record made from what the ablation loop holds (ablations/decide/loop.py ``Variant`` objects
and their runs' train manifests); ``finish_ablation`` in ablations/experiment.py puts them together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ablations.record.run import Checkpoint, DocumentSummary, TrainRun, VariantRecord


def variant_record(v: Any, token_count: int) -> VariantRecord:
    """A prepared ``Variant``: its blocks, processing stage folders (process, then each dedup stage) and tokens."""
    stages = [Path(s["folder"]).name for s in v.summary.get("stages", [])] or [v.process.name]
    return VariantRecord(
        name=v.name,
        clean=v.clean,
        filter=v.filter,
        data=v.data,
        dedup=v.dedup,
        processing=stages,
        tokens=v.tokens.name,
        token_count=token_count,
        summary=DocumentSummary.model_validate(v.summary),
    )


def checkpoint(ev: dict[str, Any]) -> Checkpoint:
    """One evaluated checkpoint of a train manifest: per task, the mean of every metric over its items."""
    scores = {
        t: {k: sum(r[k] for r in items) / len(items) for k in items[0] if k != "id"}
        for t, items in ev["tasks"].items()
    }
    return Checkpoint(
        step=ev["step"],
        tokens=ev["tokens"],
        loss=ev.get("loss"),
        scores=scores,
        items={t: len(items) for t, items in ev["tasks"].items()},
    )


def train_run(variant: str, seed: int, folder: Path, manifest: dict[str, Any]) -> TrainRun:
    """A finished training run from its stage folder and manifest (the loop's ``Variant.runs[seed]``)."""
    return TrainRun(
        variant=variant,
        seed=seed,
        folder=folder.name,
        steps=manifest["steps"],
        tokens=manifest["tokens"],
        available_tokens=manifest["available_tokens"],
        epochs=manifest["epochs"],
        checkpoints=[checkpoint(ev) for ev in manifest["evals"]],
    )
