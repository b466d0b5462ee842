"""Last step of the minhash and exact stages: keep or drop each book as the clustering step decided."""

from __future__ import annotations

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from pipelines.dedup.records import read_decisions


class ApplyDedupDecisions(BaseFilter):
    """Writes ``<prefix>_cluster`` and ``<prefix>_cluster_size`` on every book (-1 and 1 outside a cluster).

    A dropped book also gets ``<prefix>_kept`` (id of the copy that was kept) and the drop reason
    (``near_duplicate``, ``exact_duplicate`` or ``contained``; the latter with ``<prefix>_contained_in`` and
    ``<prefix>_containment``). Decisions are looked up by position in the task's input, and the book id is
    checked against the one the signature step saw.
    """

    name = "🫂 apply dedup decisions"

    def __init__(self, decisions_folder: DataFolderLike, prefix: str, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.decisions_folder = get_datafolder(decisions_folder)
        self.prefix = prefix
        self._decisions: dict[int, dict] = {}
        self._idx = -1

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._decisions = read_decisions(self.decisions_folder, rank)
        self._idx = -1
        yield from super().run(data, rank, world_size)
        if self._idx + 1 < max(self._decisions, default=-1) + 1:
            raise RuntimeError(
                f"rank {rank}: decisions name book #{max(self._decisions)} but the input had {self._idx + 1} books"
            )

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        self._idx += 1
        p = self.prefix
        d = self._decisions.get(self._idx)
        if d is None:
            doc.metadata[f"{p}_cluster"], doc.metadata[f"{p}_cluster_size"] = -1, 1
            return True
        if d["id"] != doc.id:
            raise RuntimeError(
                f"book #{self._idx} of this task is {doc.id!r} but the signature step saw {d['id']!r}: the input "
                "changed between the steps of the dedup stage; delete the stage folder and run again"
            )
        doc.metadata[f"{p}_cluster"], doc.metadata[f"{p}_cluster_size"] = d["cluster"], d["size"]
        if d.get("drop") is None:
            return True
        if d.get("kept") is not None:
            doc.metadata[f"{p}_kept"] = d["kept"]
        if d.get("container") is not None:
            doc.metadata[f"{p}_contained_in"] = d["container"]
            doc.metadata[f"{p}_containment"] = d["containment"]
        self.stat_update(f"chars_dropped_{d['drop']}", value=len(doc.text))
        return False, d["drop"]
