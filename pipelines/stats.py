"""Counting books through a pipeline and summarising what every stage kept, dropped and skipped.

One module for the arithmetic every stage shares: the pass-through ``BookCounter`` step, merging the per-task
datatrove stats of a (possibly resumed) run, reading counters, and the ``in = kept + dropped + unaccounted`` check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

COUNTS = ("documents", "pages", "bytes")


class BookCounter(PipelineStep):
    """Counts ``documents``, ``pages`` and ``bytes`` (UTF-8) of the books flowing through it."""

    type = "🔢 - COUNTER"

    def __init__(self, label: str):
        self.label = label
        self.name = f"count {label}"
        super().__init__()  # names the stats after self.name

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update("documents")
            self.stat_update("pages", value=doc.metadata.get("n_pages", 1))
            self.stat_update("bytes", value=len(doc.text.encode("utf-8")))
            yield doc


def merged_stats(logs: Path, tasks: int):
    """Stats of all tasks, including those finished by an earlier (interrupted) run.

    datatrove's own ``stats.json`` only sums the tasks run by the last invocation, so after a resume it would
    miss the tasks finished before the kill; every task's own ``stats/<rank>.json`` is complete.
    """
    from datatrove.utils.stats import PipelineStats

    missing = [r for r in range(tasks) if not (logs / "completions" / f"{r:05d}").exists()]
    if missing:
        raise RuntimeError(
            f"{len(missing)} of {tasks} tasks did not finish (ranks {missing[:10]}); see "
            f"{logs}/logs/task_<rank>.log, then run again to resume"
        )
    parts = [PipelineStats.from_json(json.loads((logs / "stats" / f"{r:05d}.json").read_text())) for r in range(tasks)]
    return sum(parts, start=PipelineStats())


def counter_total(metric) -> int:
    """A counter's total. Stats loaded from JSON keep datatrove's serialised form (a bare number, or a dict with
    "total") until they are added to other stats, which turns them into MetricStats."""
    if isinstance(metric, (int, float)):
        return int(metric)
    return int(metric["total"] if isinstance(metric, dict) else metric.total)


def counts(step) -> dict[str, int]:
    """Books, pages and bytes counted by a ``BookCounter`` step's stats."""
    return {k: counter_total(step.stats[k]) for k in COUNTS if k in step.stats}


def counter_step(stats, label: str):
    """The stats of the ``BookCounter(label)`` step among a pipeline's stats."""
    return next(s for s in stats.stats if s.name.endswith(f"count {label}"))


def prefixed(metrics, prefix: str) -> dict[str, int]:
    """Counters named ``<prefix><reason>``, by reason."""
    return {k.removeprefix(prefix): counter_total(v) for k, v in metrics.items() if k.startswith(prefix)}


def account(summary: dict[str, Any]) -> dict[str, Any]:
    """Set ``summary["unaccounted"]``: books in, less those kept and those dropped with a reason (0 when nothing is
    lost). ``dropped`` is ``{reason: n}`` or ``{block: {reason: n}}``."""
    dropped = sum(sum(v.values()) if isinstance(v, dict) else v for v in summary["dropped"].values())
    summary["unaccounted"] = summary["in"].get("documents", 0) - summary["kept"].get("documents", 0) - dropped
    return summary


def chain_summaries(process: dict[str, Any], dedup: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The process summary with each dedup stage's drops added and ``kept`` taken from the last stage."""
    out = {**process, "dropped": dict(process["dropped"])}
    for stage_id, s in dedup:
        if s["dropped"]:
            out["dropped"][stage_id] = dict(s["dropped"])
        out["kept"] = s["kept"]
    return account(out)


SILENT = {  # counter prefix -> why the signal had no say (filters/ocr_quality_filter.py)
    "abstained_": "no resource (word list, model) for the language",
    "uncalibrated_": "no threshold set for the language",
}


def silent_signal_warnings(block: str, metrics) -> list[str]:
    """Warnings for the OCR-quality signals that had no say on some books (``abstained_<signal>_<language>`` and
    ``uncalibrated_<signal>_<language>`` counters), e.g. ``ocr_quality: dict_ratio abstained on 63 books (la: 63):
    no resource (word list, model) for the language; they were not judged on it``."""
    out = []
    for prefix, why in SILENT.items():
        by_signal: dict[str, dict[str, int]] = {}
        for key, n in prefixed(metrics, prefix).items():
            signal, _, lang = key.rpartition("_")
            by_signal.setdefault(signal, {})[lang] = n
        for signal, langs in by_signal.items():
            detail = ", ".join(f"{lang}: {n}" for lang, n in sorted(langs.items(), key=lambda kv: -kv[1]))
            out.append(
                f"{block}: {signal} {prefix.rstrip('_')} on {sum(langs.values())} books ({detail}): {why}; "
                "they were not judged on it"
            )
    return out
