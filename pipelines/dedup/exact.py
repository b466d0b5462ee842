"""Exact duplicates: books with the same text (normalised words by default), one kept per group."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from pipelines.dedup.clustering import choose_survivors, decision_rows, flatten, write_cluster_report
from pipelines.dedup.records import DocInfoWriter, read_doc_infos, survivor_key, write_decisions
from pipelines.dedup.shingles import normalized_words


def content_hash(text: str, normalize: bool) -> str:
    content = " ".join(normalized_words(text)) if normalize else text
    return hashlib.blake2b(content.encode("utf-8"), digest_size=16).hexdigest()


class ExactSignature(PipelineStep):
    """Writes ``<docs_folder>/<rank>.jsonl``: id, quality, size and content hash of every book, in input order."""

    type = "🫂 - DEDUP"
    name = "💥 exact signatures"

    def __init__(self, docs_folder: DataFolderLike, normalize: bool = True, quality_key: str = "word_confidence"):
        super().__init__()
        self.docs_folder = get_datafolder(docs_folder)
        self.normalize = normalize
        self.quality_key = quality_key

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> None:
        with DocInfoWriter(self.docs_folder, rank) as info:
            for doc in data:
                with self.track_time():
                    self.stat_update("documents")
                    info.write(doc, self.quality_key, h=content_hash(doc.text, self.normalize))


class ExactCluster(PipelineStep):
    """Groups books by content hash; writes decisions (``exact_duplicate``) and ``clusters.jsonl``."""

    type = "🫂 - DEDUP"
    name = "💥 exact clusters"

    def __init__(
        self,
        docs_folder: DataFolderLike,
        decisions_folder: DataFolderLike,
        report_path: str,
        input_tasks: int,
        keep: str = "best_quality",
        quality_higher_is_better: bool = True,
        quality_fallback: float | None = None,
    ):
        super().__init__()
        self.docs_folder = get_datafolder(docs_folder)
        self.decisions_folder = get_datafolder(decisions_folder)
        self.report_path = report_path
        self.input_tasks = input_tasks
        self.key = survivor_key(keep, quality_higher_is_better, quality_fallback)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        assert world_size == 1, "the clustering step runs as one task"
        with self.track_time():
            flat, _ = flatten(read_doc_infos(self.docs_folder, self.input_tasks))
            by_hash: dict[str, list[int]] = defaultdict(list)
            for g, d in enumerate(flat):
                by_hash[d.extra["h"]].append(g)
            groups = sorted(g for g in by_hash.values() if len(g) > 1)
            clusters = choose_survivors(groups, flat, self.key)
            for c in clusters:
                self.stat_update("clusters")
                self.stat_update("cluster_members", value=len(c.members))
            rows = decision_rows(clusters, flat, "exact_duplicate")
            write_decisions(self.decisions_folder, {r: list(v.values()) for r, v in rows.items()}, self.input_tasks)
            write_cluster_report(Path(self.report_path), clusters, flat)
