"""Processing = the process stage (read, clean, filter), then each dedup stage of the recipe in order.

Each stage reads the output of the one before and has its own hash-named, resumable folder. The result's folder
is the last stage's (its ``output/`` holds the final books) and its summary counts books through all of them:
``in`` as read, ``kept`` after the last stage, drops per block and per dedup stage and reason.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.config import BlockSpec, DataConfig, ExecutorConfig
from pipelines.dedup.config import DedupSpec
from pipelines.dedup.stage import dedup_stage_folder, run_dedup_stage
from pipelines.process import StageResult, process_stage_folder, run_process_stage
from pipelines.stats import chain_summaries


def processing_folders(
    data: DataConfig, blocks: list[BlockSpec], dedup: list[DedupSpec], executor: ExecutorConfig, stages_dir: Path
) -> list[Path]:
    """The folders of the process stage and of each dedup stage after it, named without running anything."""
    folders = [process_stage_folder(data, blocks, executor, stages_dir)]
    for spec in dedup:
        folders.append(dedup_stage_folder(spec, folders[-1], executor, stages_dir))
    return folders


def run_processing(
    data: DataConfig,
    blocks: list[BlockSpec],
    dedup: list[DedupSpec],
    executor: ExecutorConfig,
    stages_dir: Path,
    progress: bool = True,
) -> StageResult:
    """Run (or reuse, or resume) the process stage and then every dedup stage."""
    result = run_process_stage(data, blocks, executor, stages_dir, progress=progress)
    stages = [{"stage": "process", "folder": str(result.folder), "reused": result.reused}]
    folder, reused, done = result.folder, result.reused, []
    for spec in dedup:
        d = run_dedup_stage(spec, folder, executor, stages_dir)
        stages.append({"stage": f"dedup {spec.id}", "folder": str(d.folder), "reused": d.reused, **d.summary})
        done.append((spec.id, d.summary))
        folder, reused = d.folder, reused and d.reused
    summary = chain_summaries(result.summary, done)
    if dedup:
        summary["stages"] = stages
    return StageResult(folder, summary, reused)
