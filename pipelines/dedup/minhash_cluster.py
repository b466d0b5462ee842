"""MinHash stage 3 for books: candidate pairs from datatrove's buckets, verified on the whole signature, clustered.

datatrove's own ``MinhashDedupCluster`` keeps an arbitrary member of each cluster and trusts every bucket
collision. This step keeps the copy chosen by ``keep`` (best OCR quality by default) and, with
``min_similarity`` > 0, keeps only the pairs whose full signatures agree in at least that fraction of values,
so that bands can be short (many candidates at low similarity) without merging books that merely share a bucket.
With ``min_length_ratio`` > 0, a pair whose shingle counts differ more than that ratio is not a near-duplicate
(a tale and the collection holding it can reach the similarity of two noisy scans; containment judges them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import MinhashConfig

from pipelines.dedup.arrays import distinct
from pipelines.dedup.clustering import choose_survivors, flatten, groups_from_pairs, write_cluster_report
from pipelines.dedup.records import read_doc_infos, survivor_key

PAIR_DTYPE = np.dtype([("f1", "<u4"), ("d1", "<u4"), ("f2", "<u4"), ("d2", "<u4")])


def read_candidate_pairs(dups_folder, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct candidate pairs (global indexes, a < b) from every ``.dups`` file of the bucket step."""
    parts = []
    for name in dups_folder.list_files(glob_pattern="*.dups"):
        with dups_folder.open(name, "rb") as f:
            parts.append(np.frombuffer(f.read(), dtype=PAIR_DTYPE))
    rec = np.concatenate(parts) if parts else np.empty(0, dtype=PAIR_DTYPE)
    a = offsets[rec["f1"].astype(np.int64)] + rec["d1"]
    b = offsets[rec["f2"].astype(np.int64)] + rec["d2"]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    n = int(offsets[-1])
    keys = distinct(lo * n + hi)
    return keys // max(n, 1), keys % max(n, 1)


def read_signatures(sigs_folder, config: MinhashConfig, offsets: np.ndarray) -> np.ndarray:
    """The full signature of every book (rows of books without shingles stay all-ones, matching nothing)."""
    r = config.hashes_per_bucket
    dtype = np.dtype([("h", "<u8", (r,)), ("doc", "<u4")])
    sig = np.full((int(offsets[-1]), config.num_buckets * r), np.iinfo(np.uint64).max, dtype=np.uint64)
    for b in range(config.num_buckets):
        for rank in range(len(offsets) - 1):
            name = f"bucket_{b:03d}/{rank:05d}.minhash.sig"
            with sigs_folder.open(name, "rb") as f:
                rec = np.frombuffer(f.read(), dtype=dtype)
            sig[offsets[rank] + rec["doc"].astype(np.int64), b * r : (b + 1) * r] = rec["h"]
    return sig


class BookMinhashCluster(PipelineStep):
    """Writes ``clustering.npz`` (cluster id, size and kept copy of every book) and ``clusters.jsonl``."""

    type = "🫂 - DEDUP"
    name = "🎯 book MinHash clusters"

    def __init__(
        self,
        dups_folder: DataFolderLike,
        sigs_folder: DataFolderLike,
        docs_folder: DataFolderLike,
        output_folder: DataFolderLike,
        report_path: str,
        config: MinhashConfig,
        input_tasks: int,
        min_similarity: float = 0.0,
        min_length_ratio: float = 0.0,
        keep: str = "best_quality",
        quality_higher_is_better: bool = True,
        quality_fallback: float | None = None,
    ):
        super().__init__()
        self.dups_folder = get_datafolder(dups_folder)
        self.sigs_folder = get_datafolder(sigs_folder)
        self.docs_folder = get_datafolder(docs_folder)
        self.output_folder = get_datafolder(output_folder)
        self.report_path = report_path
        self.config = config
        self.input_tasks = input_tasks
        self.min_similarity = min_similarity
        self.min_length_ratio = min_length_ratio
        self.key = survivor_key(keep, quality_higher_is_better, quality_fallback)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        assert world_size == 1, "the clustering step runs as one task"
        with self.track_time():
            flat, offsets = flatten(read_doc_infos(self.docs_folder, self.input_tasks))
            n = len(flat)
            a, b = read_candidate_pairs(self.dups_folder, offsets)
            self.stat_update("candidate_pairs", value=len(a))
            sims = np.ones(len(a))
            if self.min_similarity > 0 and len(a):
                sig = read_signatures(self.sigs_folder, self.config, offsets)
                sims = np.concatenate(
                    [np.mean(sig[a[i : i + 8192]] == sig[b[i : i + 8192]], axis=1) for i in range(0, len(a), 8192)]
                )
                ok = sims >= self.min_similarity
                self.stat_update("rejected_pairs", value=int((~ok).sum()))
                a, b, sims = a[ok], b[ok], sims[ok]
            if self.min_length_ratio > 0 and len(a):
                size = np.array([d.extra.get("n_shingles", 0) for d in flat], dtype=np.float64)
                ok = np.minimum(size[a], size[b]) >= self.min_length_ratio * np.maximum(size[a], size[b])
                self.stat_update("rejected_length_pairs", value=int((~ok).sum()))
                a, b, sims = a[ok], b[ok], sims[ok]
            self.stat_update("duplicate_pairs", value=len(a))
            clusters = choose_survivors(groups_from_pairs(n, a, b), flat, self.key)
            cluster_id = np.full(n, -1, dtype=np.int64)
            size = np.ones(n, dtype=np.int64)
            kept = np.arange(n, dtype=np.int64)
            lowest = {}
            for x, y, s in zip(a.tolist(), b.tolist(), sims.tolist(), strict=True):
                lowest[x] = min(lowest.get(x, 1.0), s)
                lowest[y] = min(lowest.get(y, 1.0), s)
            for c in clusters:
                cluster_id[c.members], size[c.members], kept[c.members] = c.id, len(c.members), c.kept
                c.info["min_similarity"] = round(min(lowest[m] for m in c.members), 4)
                self.stat_update("clusters")
                self.stat_update("cluster_members", value=len(c.members))
            with self.output_folder.open("clustering.npz", "wb") as f:
                np.savez(f, offsets=offsets, cluster=cluster_id, size=size, kept=kept)
            write_cluster_report(Path(self.report_path), clusters, flat)
