"""Run one dedup stage (a recipe ``dedup:`` item) on the output of the stage before it.

Each stage has its own folder, ``dedup-<id>-<hash>``, named by a hash of its parameters, its input stage folder
(itself named by a hash of everything upstream) and the task count. Inside, every step is a datatrove
executor run (``pipelines/executors.py``: local or Ray) with its own ``logs/<step>/`` and completion markers, so a
killed stage resumes task by task; ``manifest.json`` is written last and marks the stage finished (a rerun reuses it).

    signatures/ buckets/ ...   working files of the steps
    output/<rank>.jsonl.gz     the kept books (input of the next stage)
    excluded/<rank>.jsonl.gz   dropped books, with metadata.filter_reason (when keep_dropped)
    clusters.jsonl             minhash/exact: every cluster, its kept book and members
    containment.jsonl          minhash: pairs (contained, container, score), best first
    removed_paragraphs/        repeated_paragraphs: each removed paragraph once per task, with its book count
    stats.json, manifest.json
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.config import ExecutorConfig
from pipelines.dedup.config import DedupSpec
from pipelines.dedup.steps import INPUT_COUNTER, OUTPUT_COUNTER
from pipelines.stages import finish, finished, stage_folder
from pipelines.stages import start as start_stage
from pipelines.stats import account, counter_step, counter_total, counts, merged_stats

# bump when a code change alters what a dedup stage writes, so old stage folders are not reused
DEDUP_CODE_VERSION = 1


@dataclass
class DedupResult:
    folder: Path
    summary: dict[str, Any]
    reused: bool


def dedup_stage_key(spec: DedupSpec, input_folder: Path, executor: ExecutorConfig) -> dict[str, Any]:
    import datatrove

    return {
        "stage": "dedup",
        "spec": spec.model_dump(mode="json"),
        "input": input_folder.name,
        "tasks": executor.tasks,
        "datatrove": getattr(datatrove, "__version__", "unknown"),
        "code": DEDUP_CODE_VERSION,
    }


def dedup_stage_folder(spec: DedupSpec, input_folder: Path, executor: ExecutorConfig, stages_dir: Path) -> Path:
    return stage_folder(stages_dir, f"dedup-{spec.id}", dedup_stage_key(spec, input_folder, executor))


def summarize_dedup(step_stats: dict[str, Any], spec: DedupSpec) -> dict[str, Any]:
    """in / kept (books, pages, bytes), drops per reason, and the counters of every step."""
    apply = step_stats["apply"]

    dropped: dict[str, int] = {}
    details: dict[str, int] = {}
    for s in apply.stats:
        for k, v in s.stats.items():
            if k.startswith("dropped_"):
                dropped[k.removeprefix("dropped_")] = counter_total(v)
            elif k in ("paragraphs_removed", "chars_removed", "books_changed") or k.startswith("chars_dropped_"):
                details[k] = counter_total(v)
    for name, stats in step_stats.items():
        if name == "apply":
            continue
        for s in stats.stats:
            for k, v in s.stats.items():
                if k not in ("total", "forwarded") and not k.startswith("doc_len"):
                    details[f"{name}.{k}"] = counter_total(v)
    summary = {
        "in": counts(counter_step(apply, INPUT_COUNTER)),
        "kept": counts(counter_step(apply, OUTPUT_COUNTER)),
        "dropped": dropped,
        "details": details,
    }
    return account(summary)


def run_dedup_stage(spec: DedupSpec, input_folder: Path, executor: ExecutorConfig, stages_dir: Path) -> DedupResult:
    """Run (or reuse, or resume) one dedup stage reading ``input_folder/output``."""
    from pipelines.executors import run_pipeline

    key = dedup_stage_key(spec, input_folder, executor)
    folder = stage_folder(stages_dir, f"dedup-{spec.id}", key)
    if done := finished(folder):
        return DedupResult(folder, done["summary"], reused=True)
    start_stage(folder, key)  # not fresh: each step resumes from datatrove's completion markers
    start = time.time()
    step_stats = {}
    timings = {}
    if not any((input_folder / "output").glob("*.jsonl*")):  # every book was dropped upstream: nothing to read
        (folder / "output").mkdir(exist_ok=True)
        zero = {"documents": 0, "pages": 0, "bytes": 0}
        summary = {"in": zero, "kept": zero, "dropped": {}, "details": {}, "unaccounted": 0}
        return _finish(folder, key, spec, summary, start, timings)
    for step in spec.steps(input_folder, folder, executor):
        t0 = time.time()
        logs = folder / "logs" / step.name
        run_pipeline(step.pipeline, step.tasks, step.workers, logs, executor)  # SLURM: inside the prepare job
        step_stats[step.name] = merged_stats(logs, step.tasks)
        timings[step.name] = round(time.time() - t0, 2)
    from datatrove.utils.stats import PipelineStats

    all_steps = PipelineStats([s for stats in step_stats.values() for s in stats.stats])
    (folder / "stats.json").write_text(all_steps.to_json())
    summary = summarize_dedup(step_stats, spec)
    return _finish(folder, key, spec, summary, start, timings)


def _finish(folder: Path, key: dict, spec: DedupSpec, summary: dict, start: float, timings: dict) -> DedupResult:
    """Write ``manifest.json`` last (atomically): it marks the stage finished."""
    record = {
        "stage": f"dedup {spec.id}",
        "key": key,
        "summary": summary,
        "seconds": round(time.time() - start, 2),
        "step_seconds": timings,
    }
    finish(folder, record)
    return DedupResult(folder, summary, reused=False)
