"""Processing = the process stage (read, clean, filter), then each dedup stage of the recipe in order.

``processing_stages`` builds the stage objects of one variant's processing (each dedup stage reads the output of
the one before, and its key names that stage's folder); ``run_chain`` runs (or reuses, or resumes) them in order.
The result's folder is the last stage's (its ``output/`` holds the final books) and its summary counts books
through all of them: ``in`` as read, ``kept`` after the last stage, drops per block and per dedup stage and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.config import BlockSpec, DataConfig, ExecutorConfig
from pipelines.dedup.config import DedupSpec
from pipelines.dedup.stage import DedupStage
from pipelines.markdown.config import OutputConfig
from pipelines.process import ProcessStage
from pipelines.stages import Stage, StageResult
from pipelines.stats import chain_summaries


@dataclass
class ChainResult:
    folder: Path  # the last stage's
    summary: dict[str, Any]
    reused: bool  # every stage was finished before
    stages: dict[str, StageResult] = field(default_factory=dict)  # by stage name: "process", "dedup <id>", ...


def processing_stages(
    data: DataConfig,
    blocks: list[BlockSpec],
    dedup: list[DedupSpec],
    executor: ExecutorConfig,
    root: Path,
    progress: bool = True,
    output: OutputConfig | None = None,
) -> list[Stage]:
    """The process stage of ``blocks`` (writing ``output``, default JSONL) and each dedup stage after it; nothing
    runs."""
    stages: list[Stage] = [ProcessStage(data, blocks, executor, root, progress, output or OutputConfig())]
    for spec in dedup:
        stages.append(DedupStage(spec, stages[-1].folder, executor, root))
    return stages


def run_chain(stages: list[Stage], about: str = "") -> ChainResult:
    """Run (or reuse, or resume) the process stage and then every dedup stage (``about``: the variant they run for,
    named in their console lines)."""
    first, *dedup = results = [s.run(about) for s in stages]
    summary = chain_summaries(first.summary, [(s.spec.id, r.summary) for s, r in zip(stages[1:], dedup, strict=True)])
    if dedup:
        summary["stages"] = [{"stage": "process", "folder": str(first.folder), "reused": first.reused}] + [
            {"stage": r.manifest["stage"], "folder": str(r.folder), "reused": r.reused, **r.summary} for r in dedup
        ]
    last = dedup[-1] if dedup else first
    named = {s.label: r for s, r in zip(stages, results, strict=True)}
    return ChainResult(last.folder, summary, all(r.reused for r in results), named)


def run_processing(
    data: DataConfig,
    blocks: list[BlockSpec],
    dedup: list[DedupSpec],
    executor: ExecutorConfig,
    root: Path,
    progress: bool = True,
    output: OutputConfig | None = None,
) -> ChainResult:
    """``run_chain(processing_stages(...))``: the whole processing of one recipe (releases, tests)."""
    return run_chain(processing_stages(data, blocks, dedup, executor, root, progress, output))
