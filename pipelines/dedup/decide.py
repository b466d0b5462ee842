"""The decisions of the minhash stage: near-duplicate clusters, then containment; one file per input task."""

from __future__ import annotations

import json
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from pipelines.dedup.clustering import flatten
from pipelines.dedup.containment import containment_pairs, load_clustering
from pipelines.dedup.records import read_doc_infos, write_decisions


class MinhashDecide(PipelineStep):
    """Writes ``<decisions_folder>/<rank>.jsonl`` and the containment report (``containment.jsonl``).

    A book in a cluster of near-duplicates other than its kept copy is dropped as ``near_duplicate``. With
    ``containment`` = ``drop``, a kept book contained in another kept book is dropped as ``contained``; with
    ``report`` it is only listed in the report.
    """

    type = "🫂 - DEDUP"
    name = "⚖️ dedup decisions"

    def __init__(
        self,
        docs_folder: DataFolderLike,
        clustering_folder: DataFolderLike,
        decisions_folder: DataFolderLike,
        input_tasks: int,
        containment: str = "report",
        containment_folder: DataFolderLike | None = None,
        containment_shards: int = 1,
        containment_min_shingles: int = 50,
        containment_threshold: float = 0.7,
        report_path: str | None = None,
    ):
        super().__init__()
        self.docs_folder = get_datafolder(docs_folder)
        self.clustering_folder = get_datafolder(clustering_folder)
        self.decisions_folder = get_datafolder(decisions_folder)
        self.containment_folder = get_datafolder(containment_folder) if containment_folder else None
        self.input_tasks = input_tasks
        self.containment = containment
        self.containment_shards = containment_shards
        self.containment_min_shingles = containment_min_shingles
        self.containment_threshold = containment_threshold
        self.report_path = report_path

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        assert world_size == 1, "the decision step runs as one task"
        with self.track_time():
            flat, _ = flatten(read_doc_infos(self.docs_folder, self.input_tasks))
            cl = load_clustering(self.clustering_folder)
            rows: dict[int, dict[int, dict]] = {}
            for g in (cl["cluster"] >= 0).nonzero()[0].tolist():
                d = flat[g]
                row = {"i": d.idx, "id": d.id, "cluster": int(cl["cluster"][g]), "size": int(cl["size"][g])}
                row["drop"] = None if cl["kept"][g] == g else "near_duplicate"
                if row["drop"]:
                    row["kept"] = flat[int(cl["kept"][g])].id
                rows.setdefault(d.rank, {})[d.idx] = row
            if self.containment != "off" and self.containment_folder is not None:
                pairs = containment_pairs(
                    self.containment_folder,
                    self.containment_shards,
                    len(flat),
                    self.containment_min_shingles,
                    self.containment_threshold,
                )
                self._containment(pairs, flat, cl, rows)
            write_decisions(self.decisions_folder, {r: list(v.values()) for r, v in rows.items()}, self.input_tasks)

    def _containment(self, pairs: list[dict], flat: list, cl: dict, rows: dict) -> None:
        dropped = set()
        report = []
        for p in pairs:  # highest containment first: a book dropped once keeps its best container
            small, large = flat[p["contained"]], flat[p["container"]]
            drop = self.containment == "drop" and p["contained"] not in dropped
            self.stat_update("containment_pairs")
            report.append(
                {
                    "contained": small.id,
                    "container": large.id,
                    **{k: v for k, v in p.items() if k not in ("contained", "container")},
                    "contained_chars": small.size,
                    "container_chars": large.size,
                    "dropped": drop,
                }
            )
            if drop:
                dropped.add(p["contained"])
                self.stat_update("contained_dropped")
                g = p["contained"]
                row = rows.setdefault(small.rank, {}).get(small.idx) or {
                    "i": small.idx,
                    "id": small.id,
                    "cluster": int(cl["cluster"][g]),
                    "size": int(cl["size"][g]),
                }
                row |= {"drop": "contained", "container": large.id, "containment": p["containment"]}
                rows[small.rank][small.idx] = row
        if self.report_path:
            with open(Path(self.report_path), "w", encoding="utf-8") as f:
                for r in report:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
