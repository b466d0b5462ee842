"""One dedup stage (a recipe ``dedup:`` item) on the output of the stage before it.

Each stage has its own folder, ``dedup-<id>-<hash>``, named by a hash of its parameters, its input stage folder
(itself named by a hash of everything upstream) and the task count. Inside, every step is a datatrove
executor run (``pipelines/executors.py``: local or Ray) with its own ``logs/<step>/`` and completion markers, so a
killed stage resumes task by task; ``manifest.json`` is written last and marks the stage finished (a rerun reuses it).

    signatures/ buckets/ ...   working files of the steps (minhash's signatures, docs, samples and buckets are in
                               its shared stage, ``dedup-shared-<hash>``, keyed only by the parameters that decide
                               them: stages that differ in thresholds alone compute them once)
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
from functools import cached_property
from pathlib import Path
from typing import Any

from pipelines.code_closure import stage_code
from pipelines.config import ExecutorConfig
from pipelines.dedup.config import DedupSpec
from pipelines.dedup.steps import INPUT_COUNTER, OUTPUT_COUNTER
from pipelines.stages import Stage
from pipelines.stats import account, counter_step, counter_total, counts, merged_stats

ZERO = {"documents": 0, "pages": 0, "bytes": 0}


@dataclass
class DedupStage(Stage):
    """Dedup ``spec`` over ``input_folder/output`` (a stage folder, itself named by a hash of everything upstream)."""

    spec: DedupSpec
    input_folder: Path
    executor: ExecutorConfig
    root: Path

    @property
    def kind(self) -> str:
        return f"dedup-{self.spec.id}"

    @property
    def label(self) -> str:
        return f"dedup {self.spec.id}"

    @cached_property
    def key(self) -> dict[str, Any]:
        import datatrove

        return {
            "stage": "dedup",
            "spec": self.spec.model_dump(mode="json"),
            "input": self.input_folder.name,
            "tasks": self.executor.tasks,
            "datatrove": getattr(datatrove, "__version__", "unknown"),
            "code": stage_code(DedupStage, type(self.spec.build())),  # a user's kind edited on disk: a new stage
            "shared": self.shared.folder.name if self.shared else None,
        }

    @cached_property
    def shared(self) -> SharedDedupStage | None:
        """The stage of the kind's shared first steps (minhash: signatures and buckets), or None."""
        shared_key = self.spec.build().shared_key()
        if shared_key is None:
            return None
        return SharedDedupStage(self.spec, shared_key, self.input_folder, self.executor, self.root)

    def steps(self) -> list:
        """The steps this stage runs itself (after the shared stage's, when the kind has one)."""
        if self.shared is None:
            return self.spec.steps(self.input_folder, self.folder, self.executor)
        return self.spec.build().steps_after_shared(self.input_folder, self.shared.folder, self.folder, self.executor)

    def compute(self) -> dict[str, Any]:
        """Every step of the dedup kind, each a datatrove executor run with its own logs and completion markers (not
        fresh: a killed stage resumes step by step, task by task)."""
        from datatrove.utils.stats import PipelineStats

        from pipelines.executors import run_pipeline

        if not any((self.input_folder / "output").glob("*.jsonl*")):  # every book was dropped upstream
            (self.folder / "output").mkdir(exist_ok=True)
            summary = {"in": dict(ZERO), "kept": dict(ZERO), "dropped": {}, "details": {}, "unaccounted": 0}
            return {"summary": summary, "step_seconds": {}}
        step_stats, timings = {}, {}
        if self.shared is not None:  # reused when another stage (another threshold) computed it
            shared = self.shared.run()
            step_stats |= self.shared.step_stats()
            timings |= {f"shared.{k}": v for k, v in shared.manifest.get("step_seconds", {}).items()}
        for step in self.steps():
            t0 = time.time()
            logs = self.folder / "logs" / step.name
            run_pipeline(step.pipeline, step.tasks, step.workers, logs, self.executor)  # SLURM: in the prepare job
            step_stats[step.name] = merged_stats(logs, step.tasks)
            timings[step.name] = round(time.time() - t0, 2)
        all_steps = PipelineStats([s for stats in step_stats.values() for s in stats.stats])
        (self.folder / "stats.json").write_text(all_steps.to_json())
        return {"summary": summarize_dedup(step_stats, self.spec), "step_seconds": timings}


@dataclass
class SharedDedupStage(Stage):
    """A dedup kind's first steps that fewer parameters decide (``DedupKind.shared_key``: minhash signatures and LSH
    buckets), shared by the dedup stages that differ only in other parameters (thresholds)."""

    spec: DedupSpec
    shared_key: dict[str, Any]
    input_folder: Path
    executor: ExecutorConfig
    root: Path

    kind = "dedup-shared"

    @cached_property
    def key(self) -> dict[str, Any]:
        import datatrove

        return {
            "stage": "dedup-shared",
            "shared": self.shared_key,
            "input": self.input_folder.name,
            "tasks": self.executor.tasks,
            "datatrove": getattr(datatrove, "__version__", "unknown"),
            "code": stage_code(SharedDedupStage, type(self.spec.build())),
        }

    def steps(self) -> list:
        return self.spec.build().shared_steps(self.input_folder, self.folder, self.executor)

    def step_stats(self) -> dict[str, Any]:
        return {step.name: merged_stats(self.folder / "logs" / step.name, step.tasks) for step in self.steps()}

    def compute(self) -> dict[str, Any]:
        from pipelines.executors import run_pipeline

        timings = {}
        for step in self.steps():
            t0 = time.time()
            run_pipeline(step.pipeline, step.tasks, step.workers, self.folder / "logs" / step.name, self.executor)
            timings[step.name] = round(time.time() - t0, 2)
        return {"step_seconds": timings}


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
