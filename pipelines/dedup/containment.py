"""Containment of one book in another (a single work inside a collected-works volume), on sampled shingles.

A near-duplicate test compares whole books, so a 40-page tale inside a 600-page volume looks unrelated (Jaccard
well under 0.1). Here every book kept by the clustering step indexes the shingles whose hash is in the lowest
1/N of the range (the same shingles in every book, so shared samples estimate shared shingles). Per hash shard,
records are sorted by hash and every pair of books sharing a sample is counted; a sample found in more than
``max_books`` distinct works is boilerplate (licences, series adverts) and is not counted. The containment of
the smaller book in the larger is shared / (its samples - its boilerplate samples).
"""

from __future__ import annotations

import itertools

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from pipelines.dedup.arrays import distinct, distinct_counts, distinct_inverse
from pipelines.dedup.signature import SAMPLE_DTYPE


def load_clustering(folder) -> dict[str, np.ndarray]:
    with folder.open("clustering.npz", "rb") as f:
        data = np.load(f)
        return {k: data[k] for k in data.files}


def shared_pairs(hashes: np.ndarray, docs: np.ndarray, n: int, max_books: int):
    """Pairs of books sharing samples and how many, plus per-book counts of samples and of boilerplate samples.

    ``hashes``/``docs``: one record per (sample, book), each book's samples distinct.
    """
    order = np.lexsort((docs, hashes))
    h, d = hashes[order], docs[order]
    samples = np.bincount(d, minlength=n)
    boiler = np.zeros(n, dtype=np.int64)
    if not len(h):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), samples, boiler
    starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
    sizes = np.diff(np.r_[starts, len(h)])
    big = np.repeat(sizes > max_books, sizes)
    boiler = np.bincount(d[big], minlength=n)
    keys = []
    for size in distinct(sizes[(sizes >= 2) & (sizes <= max_books)]).tolist():
        rows = d[starts[sizes == size][:, None] + np.arange(size)]  # one row per sample, books ascending
        for i, j in itertools.combinations(range(size), 2):
            keys.append(rows[:, i] * n + rows[:, j])
    if not keys:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), samples, boiler
    pair_keys, counts = distinct_counts(np.concatenate(keys))
    return pair_keys, counts, samples, boiler


class ContainmentIndex(PipelineStep):
    """One task per shard: reads ``shard_XXX/*.bin`` samples of kept books, writes ``shard_XXX.npz`` pair counts."""

    type = "🫂 - DEDUP"
    name = "🧩 containment index"

    def __init__(
        self,
        samples_folder: DataFolderLike,
        clustering_folder: DataFolderLike,
        output_folder: DataFolderLike,
        max_books: int = 20,
    ):
        super().__init__()
        self.samples_folder = get_datafolder(samples_folder)
        self.clustering_folder = get_datafolder(clustering_folder)
        self.output_folder = get_datafolder(output_folder)
        self.max_books = max_books

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        with self.track_time():
            cl = load_clustering(self.clustering_folder)
            offsets, kept = cl["offsets"], cl["kept"]
            n = len(kept)
            hashes, docs = [], []
            for name in self.samples_folder.list_files(subdirectory=f"shard_{rank:03d}", glob_pattern="*.bin"):
                source = int(name.rsplit("/", 1)[-1].removesuffix(".bin"))
                with self.samples_folder.open(name, "rb") as f:
                    rec = np.frombuffer(f.read(), dtype=SAMPLE_DTYPE)
                g = offsets[source] + rec["doc"].astype(np.int64)
                own = kept[g] == g  # near-duplicate copies are represented by their kept copy
                hashes.append(rec["hash"][own])
                docs.append(g[own])
            h = np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64)
            d = np.concatenate(docs) if docs else np.empty(0, dtype=np.int64)
            self.stat_update("samples", value=len(h))
            keys, counts, samples, boiler = shared_pairs(h, d, n, self.max_books)
            self.stat_update("boilerplate_samples", value=int(boiler.sum()))
            self.stat_update("pairs_sharing_samples", value=len(keys))
            with self.output_folder.open(f"shard_{rank:03d}.npz", "wb") as f:
                np.savez(f, keys=keys, counts=counts, samples=samples, boiler=boiler)


def containment_pairs(folder, shards: int, n: int, min_samples: int, threshold: float) -> list[dict]:
    """Sum the shards and return every pair whose smaller book is contained at ``threshold`` or more.

    Each pair: global indexes of the contained and the container, the score and the sample counts.
    """
    keys, counts = [], []
    samples = np.zeros(n, dtype=np.int64)
    boiler = np.zeros(n, dtype=np.int64)
    for s in range(shards):
        with folder.open(f"shard_{s:03d}.npz", "rb") as f:
            part = np.load(f)
            keys.append(part["keys"])
            counts.append(part["counts"])
            samples += part["samples"]
            boiler += part["boiler"]
    if not keys or not sum(len(k) for k in keys):
        return []
    uniq, inverse = distinct_inverse(np.concatenate(keys))
    shared = np.bincount(inverse, weights=np.concatenate(counts)).astype(np.int64)
    a, b = uniq // n, uniq % n
    useful = samples - boiler
    # the smaller book (fewer useful samples; the later one on a tie) is the contained one
    a_small = (useful[a] < useful[b]) | ((useful[a] == useful[b]) & (a > b))
    small, large = np.where(a_small, a, b), np.where(a_small, b, a)
    score = shared / np.maximum(useful[small], 1)
    hit = (useful[small] >= min_samples) & (score >= threshold)
    order = np.flatnonzero(hit)[np.argsort(-score[hit], kind="stable")]
    return [
        {
            "contained": int(small[i]),
            "container": int(large[i]),
            "containment": round(float(min(score[i], 1.0)), 4),
            "shared_samples": int(shared[i]),
            "contained_samples": int(useful[small[i]]),
            "container_samples": int(useful[large[i]]),
        }
        for i in order
    ]
