"""The datatrove steps of each built-in dedup kind (``pipelines/dedup/kinds.py``): what runs, in which order, with
how many tasks and workers. ``spec`` is the kind, with its parameters, ``id`` and ``keep_dropped``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import ExecutorConfig
from pipelines.dedup.config import DedupKind

INPUT_COUNTER = "dedup input"
OUTPUT_COUNTER = "dedup kept"


@dataclass
class Step:
    name: str
    pipeline: list
    tasks: int
    workers: int


def _workers(executor: ExecutorConfig, tasks: int, many: bool = False) -> int:
    """Workers of a step: the executor's; for steps with one task per bucket/shard, at most the CPU count."""
    if executor.workers > 0:
        return min(executor.workers, tasks)
    return min(tasks, os.cpu_count() or 1) if many else tasks


def _apply_steps(input_folder: Path, folder: Path, spec: DedupKind, middle: list, executor: ExecutorConfig) -> Step:
    """The last step: read the input again, count, apply, count, write kept books."""
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from pipelines.stats import BookCounter

    reader = JsonlReader(str(input_folder / "output"), glob_pattern="*.jsonl*", add_file_path=False)
    pipeline = [reader, BookCounter(INPUT_COUNTER), *middle, BookCounter(OUTPUT_COUNTER)]
    pipeline.append(JsonlWriter(str(folder / "output"), output_filename="${rank}.jsonl"))
    return Step("apply", pipeline, executor.tasks, _workers(executor, executor.tasks))


def _exclusion(spec: DedupKind, folder: Path):
    from datatrove.pipeline.writers import JsonlWriter

    return JsonlWriter(str(folder / "excluded"), output_filename="${rank}.jsonl") if spec.keep_dropped else None


def minhash_config(spec: DedupKind):
    from datatrove.pipeline.dedup.minhash import MinhashConfig

    return MinhashConfig(
        n_grams=spec.n_grams, num_buckets=spec.num_buckets, hashes_per_bucket=spec.hashes_per_bucket, seed=spec.seed
    )


def minhash_steps(spec: DedupKind, input_folder: Path, folder: Path, executor: ExecutorConfig) -> list[Step]:
    """signatures -> buckets -> clusters -> (containment) -> decisions -> apply, all in ``folder``."""
    return minhash_shared_steps(spec, input_folder, folder, executor) + minhash_decision_steps(
        spec, input_folder, folder, folder, executor
    )


def minhash_shared_steps(spec: DedupKind, input_folder: Path, shared: Path, executor: ExecutorConfig) -> list[Step]:
    """signatures -> buckets, in ``shared``: decided by the shingling and LSH parameters only (not the thresholds),
    so stages that differ in thresholds alone share them (``MinhashDedup.shared_key``)."""
    from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets

    cfg = minhash_config(spec)
    bucket_tasks = spec.num_buckets * spec.tasks_per_bucket
    buckets = MinhashDedupBuckets(str(shared / "signatures"), str(shared / "buckets"), config=cfg)
    return [
        _minhash_signatures(spec, cfg, input_folder, shared, executor),
        Step("buckets", [buckets], bucket_tasks, _workers(executor, bucket_tasks, many=True)),
    ]


def minhash_decision_steps(
    spec: DedupKind, input_folder: Path, shared: Path, folder: Path, executor: ExecutorConfig
) -> list[Step]:
    """clusters -> (containment) -> decisions -> apply in ``folder``, reading signatures and buckets in ``shared``."""
    from pipelines.dedup.apply import ApplyDedupDecisions
    from pipelines.dedup.containment import ContainmentIndex

    cfg = minhash_config(spec)
    steps = [Step("clusters", [_minhash_clusters(spec, cfg, shared, folder, executor.tasks)], 1, 1)]
    if spec.containment != "off":
        shards = spec.containment_shards
        samples, clustering = str(shared / "samples"), str(folder / "clustering")
        index = ContainmentIndex(samples, clustering, str(folder / "containment"), spec.containment_max_books)
        steps.append(Step("containment", [index], shards, _workers(executor, shards, True)))
    steps.append(Step("decisions", [_minhash_decide(spec, shared, folder, executor.tasks)], 1, 1))
    apply = ApplyDedupDecisions(str(folder / "decisions"), spec.id, exclusion_writer=_exclusion(spec, folder))
    steps.append(_apply_steps(input_folder, folder, spec, [apply], executor))
    return steps


def _minhash_signatures(spec: DedupKind, cfg, input_folder: Path, folder: Path, executor: ExecutorConfig) -> Step:
    from datatrove.pipeline.readers import JsonlReader

    from pipelines.dedup.signature import BookMinhashSignature

    contain = spec.containment != "off"
    reader = JsonlReader(str(input_folder / "output"), glob_pattern="*.jsonl*", add_file_path=False)
    sig = BookMinhashSignature(
        str(folder / "signatures"),
        str(folder / "docs"),
        cfg,
        unit=spec.unit,
        normalize=spec.normalize,
        quality_key=spec.quality_key,
        samples_folder=str(folder / "samples") if contain else None,
        containment_sample=spec.containment_sample if contain else 0,
        containment_shards=spec.containment_shards,
    )
    return Step("signatures", [reader, sig], executor.tasks, _workers(executor, executor.tasks))


def _minhash_clusters(spec: DedupKind, cfg, shared: Path, folder: Path, input_tasks: int):
    from pipelines.dedup.minhash_cluster import BookMinhashCluster

    return BookMinhashCluster(
        str(shared / "buckets"),
        str(shared / "signatures"),
        str(shared / "docs"),
        str(folder / "clustering"),
        str(folder / "clusters.jsonl"),
        cfg,
        input_tasks=input_tasks,
        min_similarity=spec.min_similarity,
        min_length_ratio=spec.min_length_ratio,
        keep=spec.keep,
        quality_higher_is_better=spec.quality_higher_is_better,
        quality_fallback=spec.quality_fallback,
    )


def _minhash_decide(spec: DedupKind, shared: Path, folder: Path, input_tasks: int):
    from pipelines.dedup.decide import MinhashDecide

    contain = spec.containment != "off"
    return MinhashDecide(
        str(shared / "docs"),
        str(folder / "clustering"),
        str(folder / "decisions"),
        input_tasks=input_tasks,
        containment=spec.containment,
        containment_folder=str(folder / "containment") if contain else None,
        containment_shards=spec.containment_shards,
        containment_min_shingles=spec.containment_min_shingles,
        containment_threshold=spec.containment_threshold,
        report_path=str(folder / "containment.jsonl") if contain else None,
    )


def exact_steps(spec: DedupKind, input_folder: Path, folder: Path, executor: ExecutorConfig) -> list[Step]:
    from datatrove.pipeline.readers import JsonlReader

    from pipelines.dedup.apply import ApplyDedupDecisions
    from pipelines.dedup.exact import ExactCluster, ExactSignature

    t = executor.tasks
    reader = JsonlReader(str(input_folder / "output"), glob_pattern="*.jsonl*", add_file_path=False)
    cluster = ExactCluster(
        str(folder / "docs"),
        str(folder / "decisions"),
        str(folder / "clusters.jsonl"),
        input_tasks=t,
        keep=spec.keep,
        quality_higher_is_better=spec.quality_higher_is_better,
        quality_fallback=spec.quality_fallback,
    )
    apply = ApplyDedupDecisions(str(folder / "decisions"), spec.id, exclusion_writer=_exclusion(spec, folder))
    return [
        Step(
            "signatures",
            [reader, ExactSignature(str(folder / "docs"), spec.normalize, spec.quality_key)],
            t,
            _workers(executor, t),
        ),
        Step("clusters", [cluster], 1, 1),
        _apply_steps(input_folder, folder, spec, [apply], executor),
    ]


def paragraph_steps(spec: DedupKind, input_folder: Path, folder: Path, executor: ExecutorConfig) -> list:
    from datatrove.pipeline.readers import JsonlReader

    from pipelines.dedup.paragraphs import ParagraphCount, ParagraphSignature, RemoveRepeatedParagraphs

    t = executor.tasks
    reader = JsonlReader(str(input_folder / "output"), glob_pattern="*.jsonl*", add_file_path=False)
    hashes = ParagraphSignature(str(folder / "paragraphs"), spec.shards, spec.min_chars, spec.normalize)
    count = ParagraphCount(str(folder / "paragraphs"), str(folder / "repeated"), spec.min_books)
    remove = RemoveRepeatedParagraphs(
        str(folder / "repeated"),
        str(folder / "removed_paragraphs"),
        spec.shards,
        spec.min_chars,
        spec.normalize,
        exclusion_writer=_exclusion(spec, folder),
    )
    return [
        Step("signatures", [reader, hashes], t, _workers(executor, t)),
        Step("counts", [count], spec.shards, _workers(executor, spec.shards, many=True)),
        _apply_steps(input_folder, folder, spec, [remove], executor),
    ]
