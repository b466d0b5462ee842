"""The process stage: readers -> clean/filter blocks -> JSONL output, run by a datatrove executor
(``pipelines/executors.py``: local, Ray, or a SLURM array).

The stage folder is named by a hash of everything that decides its output (sources and their listing
fingerprints, blocks with all parameters, number of tasks), so a changed recipe gets a new folder and a
finished one is reused. Inside, datatrove's per-task completion markers make a killed run resumable: a rerun
redoes only unfinished tasks, whose output files (one per task) are rewritten from scratch, so no document is
written twice or lost. ``manifest.json`` is written last and marks the stage complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.config import BlockSpec, DataConfig, ExecutorConfig
from pipelines.readers.base import SourceUnavailable
from pipelines.stages import finish, finished, stage_folder
from pipelines.stages import start as start_stage
from pipelines.stats import BookCounter, account, counter_step, counter_total, counts, merged_stats, prefixed

INPUT_COUNTER = "input"
OUTPUT_COUNTER = "kept"


@dataclass
class StageResult:
    folder: Path
    summary: dict[str, Any]
    reused: bool


def source_fingerprints(data: DataConfig) -> dict[str, Any]:
    """What each source will read, from the reader's own listing; a source with nothing to read is an error."""
    return {s.name: s.build().input_fingerprint() for s in data.sources}


def check_sources(data: DataConfig) -> None:
    """Fail before anything runs when a local source folder is missing, saying what to set."""
    problems = []
    for i, s in enumerate(data.sources):
        why = s.check_available()
        if why:
            problems.append(f"data.sources.{i} ({s.name}): {why}")
    if problems:
        raise SourceUnavailable(
            "input data cannot be read:\n  " + "\n  ".join(problems) + "\nPoint the recipe at data you can reach: "
            "set FINEBOOKS_SHARED_DATA to the folder holding the shared data (configs/quickstart.yaml reads "
            "$FINEBOOKS_SHARED_DATA/ocr_pages/old_books/... and .../alto/...; default ../shared/data), or "
            "override a source with --set data.sources.N.path=/your/folder (or --set data.sources.N.repo=... "
            "for a Hub dataset)"
        )


def stage_key(data: DataConfig, blocks: list[BlockSpec], executor: ExecutorConfig) -> dict[str, Any]:
    import datatrove

    return {
        "data": data.model_dump(mode="json"),
        "inputs": source_fingerprints(data),
        "blocks": [b.model_dump(mode="json") for b in blocks],
        "tasks": executor.tasks,
        "datatrove": datatrove.__version__ if hasattr(datatrove, "__version__") else "unknown",
    }


def _labelled(step, label: str):
    """Suffix a step's name (and its stats' name) with ``[label]`` so two blocks of one class stay apart."""
    step.name = f"{step.name} [{label}]"
    step.stats.name = str(step)
    return step


def build_pipeline(data: DataConfig, blocks: list[BlockSpec], folder: Path, progress: bool = False) -> list:
    """The datatrove steps of the stage, writing into ``folder``."""
    from datatrove.pipeline.writers import JsonlWriter

    from filters.registry import build_block

    steps: list = []
    for s in data.sources:
        reader = s.build(
            page_separator=data.page_separator, skip_log=str(folder / "skipped" / s.name), progress=progress
        )
        steps.append(_labelled(reader, s.name))
    steps.append(BookCounter(INPUT_COUNTER))
    for b in blocks:
        extra = {}
        if b.keep_dropped:
            extra["exclusion_writer"] = JsonlWriter(str(folder / "excluded" / b.id), output_filename="${rank}.jsonl")
        steps.append(_labelled(build_block(b.block, b.params, **extra), b.id))
    steps.append(BookCounter(OUTPUT_COUNTER))
    steps.append(JsonlWriter(str(folder / "output"), output_filename="${rank}.jsonl"))
    return steps


def summarize(stats, data: DataConfig, blocks: list[BlockSpec]) -> dict[str, Any]:
    """Documents, pages and bytes in and kept; drops per block and reason; skips per source and reason."""
    by_name = {s.name: s for s in stats.stats}

    def find(suffix: str):
        return next(s for name, s in by_name.items() if name.endswith(suffix))

    summary: dict[str, Any] = {
        "in": counts(counter_step(stats, INPUT_COUNTER)),
        "kept": counts(counter_step(stats, OUTPUT_COUNTER)),
        "dropped": {},
        "skipped": {},
    }
    for s in data.sources:
        if skipped := prefixed(find(f"[{s.name}]").stats, "skipped_"):
            summary["skipped"][s.name] = skipped
    for b in blocks:
        metrics = find(f"[{b.id}]").stats
        reasons = prefixed(metrics, "dropped_")
        total = counter_total(metrics["dropped"]) if "dropped" in metrics else 0
        if total > sum(reasons.values()):
            reasons["unspecified"] = total - sum(reasons.values())
        if total:
            summary["dropped"][b.id] = reasons
    return account(summary)


def run_process_stage(
    data: DataConfig, blocks: list[BlockSpec], executor: ExecutorConfig, stages_dir: Path, progress: bool = True
) -> StageResult:
    """Run (or reuse, or resume) the process stage under ``stages_dir``.

    With ``executor.kind: slurm`` this runs inside a SLURM job (the array was submitted by ``submit_process_stage``):
    the tasks it finished are skipped, and what is left runs on the job's CPUs."""
    from pipelines.executors import run_pipeline

    check_sources(data)
    key = stage_key(data, blocks, executor)
    folder = stage_folder(stages_dir, "process", key)
    if done := finished(folder):
        return StageResult(folder, done["summary"], reused=True)
    start_stage(folder, key)  # not fresh: datatrove's completion markers resume a killed stage task by task
    start = time.time()
    run_pipeline(
        build_pipeline(data, blocks, folder, progress=progress and executor.tasks == 1),
        executor.tasks,
        executor.workers,
        folder / "logs",
        executor,
    )
    stats = merged_stats(folder / "logs", executor.tasks)
    (folder / "stats.json").write_text(stats.to_json())
    summary = summarize(stats, data, blocks)
    finish(folder, {"stage": "process", "key": key, "summary": summary, "seconds": round(time.time() - start, 2)})
    return StageResult(folder, summary, reused=False)


def process_stage_folder(
    data: DataConfig, blocks: list[BlockSpec], executor: ExecutorConfig, stages_dir: Path
) -> Path:
    """The folder the process stage of ``blocks`` has (or will have), without running anything."""
    return stage_folder(stages_dir, "process", stage_key(data, blocks, executor))


def submit_process_stage(
    data: DataConfig, blocks: list[BlockSpec], executor: ExecutorConfig, stages_dir: Path, job_name: str
) -> str | None:
    """Submit the unfinished tasks of the process stage as a SLURM array (datatrove's SlurmPipelineExecutor); the
    job id, or None when there is nothing to run. The manifest is written by the job that reads the output next
    (``run_process_stage`` finds every task complete and only merges the stats)."""
    from pipelines.executors import submit_pipeline

    check_sources(data)
    key = stage_key(data, blocks, executor)
    folder = stage_folder(stages_dir, "process", key)
    if finished(folder):
        return None
    start_stage(folder, key)
    return submit_pipeline(build_pipeline(data, blocks, folder), executor.tasks, folder / "logs", executor, job_name)
