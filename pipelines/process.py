"""The process stage: readers -> clean/filter blocks -> JSONL output, run by a datatrove executor
(``pipelines/executors.py``: local, Ray, or a SLURM array).

The stage folder is named by a hash of everything that decides its output (sources and the content
fingerprints of their files, blocks with all parameters, the code version of every block and reader, trained model
files, datatrove's version, number of tasks), so a changed recipe, file or block gets a new folder and a finished one
is reused. Inside, datatrove's per-task completion markers make a killed run resumable: a rerun
redoes only unfinished tasks, whose output files (one per task) are rewritten from scratch, so no document is
written twice or lost. ``manifest.json`` is written last and marks the stage complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from datatrove.utils.logging import logger

from pipelines.code_closure import code_fingerprint
from pipelines.config import BlockSpec, DataConfig, ExecutorConfig
from pipelines.fingerprint import library_versions
from pipelines.markdown.config import OutputConfig
from pipelines.readers.base import SourceUnavailable
from pipelines.stages import Stage, StageResult
from pipelines.stages import start as start_stage
from pipelines.stats import (
    BookCounter,
    account,
    counter_step,
    counter_total,
    counts,
    merged_stats,
    prefixed,
    silent_signal_warnings,
)

INPUT_COUNTER = "input"
OUTPUT_COUNTER = "kept"


def source_fingerprints(data: DataConfig) -> dict[str, Any]:
    """What each source will read, from the reader's own listing; a source with nothing to read is an error."""
    return {s.name: s.build().input_fingerprint() for s in data.sources}


def code_fingerprints(data: DataConfig, blocks: list[BlockSpec]) -> dict[str, dict[str, Any]]:
    """The code version (package version, sha256 of the source) of every block by id and of every source's reader
    class by name: part of the stage key, so a fix in a block's code makes a new stage."""
    from filters.registry import resolve_block

    readers = {f"source:{s.name}": code_fingerprint(s.registry().resolve(s.format)) for s in data.sources}
    return {**readers, **{b.id: code_fingerprint(resolve_block(b.block)) for b in blocks}}


def model_fingerprints(blocks: list[BlockSpec]) -> dict[str, list[dict[str, Any]]]:
    """The trained model files each block reads (``model_files`` of its class) with their sha256 (None when
    missing), by block id: part of the stage key, so a retrained model makes a new stage."""
    from filters.registry import resolve_block
    from pipelines.fingerprint import file_sha256

    out = {}
    for b in blocks:
        files = getattr(resolve_block(b.block), "model_files", None)
        if files is not None and (paths := files(b.params)):
            out[b.id] = [{"path": str(p), "sha256": file_sha256(p)} for p in paths]
    return out


def check_models(blocks: list[BlockSpec]) -> None:
    """Fail before anything runs when a block's trained model file is missing, naming the block and the file."""
    missing = [
        f"block {block_id!r} reads model file {m['path']}, which does not exist: train it first "
        "(python -m filters.signals.train_cer, train_kenlm or train_fasttext, see the README's signal table; "
        "python -m pipelines.train_line_roles for page_furniture's line_model)"
        for block_id, models in model_fingerprints(blocks).items()
        for m in models
        if m["sha256"] is None
    ]
    if missing:
        raise SourceUnavailable("; ".join(missing))


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


def _labelled(step, label: str):
    """Suffix a step's name (and its stats' name) with ``[label]`` so two blocks of one class stay apart."""
    step.name = f"{step.name} [{label}]"
    step.stats.name = str(step)
    return step


def build_pipeline(
    data: DataConfig, blocks: list[BlockSpec], folder: Path, progress: bool = False, output: OutputConfig | None = None
) -> list:
    """The datatrove steps of the stage, writing into ``folder`` (the text as Markdown with
    ``output.format: markdown``, ``pipelines/markdown/step.py``)."""
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
    if output is not None and output.format == "markdown":
        from pipelines.markdown.step import MarkdownText

        steps.append(_labelled(MarkdownText(output.markdown), "output"))
    steps.append(JsonlWriter(str(folder / "output"), output_filename="${rank}.jsonl"))
    return steps


def output_key(output: OutputConfig) -> dict[str, Any]:
    """The stage-key entries of a non-default output: its config and the sha256 of the Markdown writer's modules."""
    from pipelines.fingerprint import file_sha256
    from pipelines.markdown import heuristic, lines, render, segments, step, writer

    modules = (heuristic, lines, segments, render, writer, step)
    return {
        "output": output.model_dump(mode="json"),
        "output_code": {m.__name__: file_sha256(Path(m.__file__)) for m in modules},
    }


UNKNOWN_TYPE = "unknown_region_type_"  # reader counter: regions of a type the layout roles do not know


def unknown_types_warning(source: str, unknown: dict[str, int]) -> str:
    """The warning for regions of unknown types in a source (read as main text, role "other")."""
    names = ", ".join(f"{name} {n}" for name, n in sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0])))
    return (
        f"{source}: {sum(unknown.values())} regions of types the layout roles do not know ({names}): read as main "
        "text (role 'other'); map them in pipelines/readers/layout.py (LABEL_ROLES) if they are not"
    )


def summarize(stats, data: DataConfig, blocks: list[BlockSpec]) -> dict[str, Any]:
    """Documents, pages and bytes in and kept; drops per block and reason; skips per source and reason; regions of
    unknown layout types per source and type (``unknown_region_types``); warnings (logged too) for those and for
    OCR-quality signals that had no say on some books, with counts per language."""
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
        reader = find(f"[{s.name}]").stats
        if skipped := prefixed(reader, "skipped_"):
            summary["skipped"][s.name] = skipped
        if unknown := prefixed(reader, UNKNOWN_TYPE):
            summary.setdefault("unknown_region_types", {})[s.name] = unknown
            warning = unknown_types_warning(s.name, unknown)
            logger.warning(warning)
            summary.setdefault("warnings", []).append(warning)
    for b in blocks:
        metrics = find(f"[{b.id}]").stats
        reasons = prefixed(metrics, "dropped_")
        total = counter_total(metrics["dropped"]) if "dropped" in metrics else 0
        if total > sum(reasons.values()):
            reasons["unspecified"] = total - sum(reasons.values())
        if total:
            summary["dropped"][b.id] = reasons
        for warning in silent_signal_warnings(b.id, metrics):
            logger.warning(warning)
            summary.setdefault("warnings", []).append(warning)
    if markdown := [s for name, s in by_name.items() if name.endswith("markdown [output]")]:
        summary["markdown"] = {k: counter_total(v) for k, v in markdown[0].stats.items()}
    return account(summary)


@dataclass
class ProcessStage(Stage):
    """The process stage of ``blocks`` over ``data``, in ``<root>/process-<hash>``.

    With ``executor.kind: slurm``, ``submit`` sends its tasks as a SLURM array, and ``run`` (in the job that reads
    the output next) finds them complete and only merges the stats."""

    data: DataConfig
    blocks: list[BlockSpec]
    executor: ExecutorConfig
    root: Path
    progress: bool = True  # a progress bar (one task only); not part of the key
    output: OutputConfig = field(default_factory=OutputConfig)  # in the key only when it is not plain JSONL
    kind: ClassVar[str] = "process"

    @cached_property
    def key(self) -> dict[str, Any]:
        return {
            "data": self.data.model_dump(mode="json"),
            "inputs": source_fingerprints(self.data),
            "blocks": [b.model_dump(mode="json") for b in self.blocks],
            "code": code_fingerprints(self.data, self.blocks),
            "stage": code_fingerprint(ProcessStage),
            "tasks": self.executor.tasks,
            **({"models": models} if (models := model_fingerprints(self.blocks)) else {}),
            **(output_key(self.output) if self.output.format != "jsonl" else {}),
            "versions": library_versions("datatrove"),
        }

    def run(self, about: str = "") -> StageResult:
        check_sources(self.data)
        check_models(self.blocks)
        return super().run(about)  # not fresh: datatrove's completion markers resume a killed stage task by task

    def compute(self) -> dict[str, Any]:
        from pipelines.executors import run_pipeline

        ex = self.executor
        progress = self.progress and ex.tasks == 1
        steps = build_pipeline(self.data, self.blocks, self.folder, progress=progress, output=self.output)
        run_pipeline(steps, ex.tasks, ex.workers, self.folder / "logs", ex)
        stats = merged_stats(self.folder / "logs", ex.tasks)
        (self.folder / "stats.json").write_text(stats.to_json())
        return {"summary": summarize(stats, self.data, self.blocks)}

    def submit(self, job_name: str) -> str | None:
        """Submit the unfinished tasks as a SLURM array (datatrove's SlurmPipelineExecutor); the job id, or None when
        the stage is finished. The manifest is written by the job that reads the output next (``run``)."""
        from pipelines.executors import submit_pipeline

        check_sources(self.data)
        check_models(self.blocks)
        if self.finished():
            return None
        start_stage(self.folder, self.key)
        steps = build_pipeline(self.data, self.blocks, self.folder, output=self.output)
        return submit_pipeline(steps, self.executor.tasks, self.folder / "logs", self.executor, job_name)
