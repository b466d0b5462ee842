"""MinHash stage 1 for books: signatures in datatrove's bucket format, plus doc info and containment samples."""

from __future__ import annotations

import contextlib

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature

from pipelines.dedup.records import DocInfoWriter
from pipelines.dedup.shingles import OnePermutationMinhash, shingle_hashes

SAMPLE_DTYPE = np.dtype([("hash", "<u8"), ("doc", "<u4")])


def sample_shard(hashes: np.ndarray, shards: int) -> np.ndarray:
    """Shard of each sampled shingle hash (middle bits: the low ones pick MinHash bins, the high ones sample)."""
    return ((hashes >> np.uint64(24)) % np.uint64(shards)).astype(np.int64)


class BookMinhashSignature(MinhashDedupSignature):
    """datatrove's signature step with book shingles (``pipelines/dedup/shingles.py``) and one-permutation MinHash.

    It writes the same sorted ``bucket_XXX/<rank>.minhash.sig`` files, so datatrove's ``MinhashDedupBuckets``
    reads them unchanged. It also writes ``<docs_folder>/<rank>.jsonl`` (id, quality, size and shingle counts of
    every book, in input order) and, when ``containment_sample`` > 0, ``<samples_folder>/shard_XXX/<rank>.bin``:
    the shingles whose hash is in the lowest 1/``containment_sample`` of the range, as (hash, position) records.
    """

    name = "🎯 book MinHash signatures"

    def __init__(
        self,
        output_folder: DataFolderLike,
        docs_folder: DataFolderLike,
        config: MinhashConfig,
        unit: str = "char",
        normalize: bool = True,
        quality_key: str = "word_confidence",
        samples_folder: DataFolderLike | None = None,
        containment_sample: int = 0,
        containment_shards: int = 1,
    ):
        super().__init__(output_folder, config=config)
        self.docs_folder = get_datafolder(docs_folder)
        self.samples_folder = get_datafolder(samples_folder) if samples_folder and containment_sample else None
        self.unit = unit
        self.normalize = normalize
        self.quality_key = quality_key
        self.containment_sample = containment_sample
        self.containment_shards = containment_shards
        self.oph = OnePermutationMinhash(config.num_buckets * config.hashes_per_bucket, seed=config.seed)
        self._sample_max = np.uint64((1 << 64) // max(containment_sample, 1) - 1)
        self._idx = 0
        self._counts = {"n_shingles": 0, "n_sampled": 0}
        self._sample_files: list = []

    def get_shingles(self, text: str) -> np.ndarray:
        shingles = shingle_hashes(text, self.unit, self.config.n_grams, self.normalize, self.config.seed)
        self._counts["n_shingles"] = len(shingles)
        if self._sample_files:
            sampled = shingles[shingles <= self._sample_max]
            self._counts["n_sampled"] = len(sampled)
            shard = sample_shard(sampled, self.containment_shards)
            for s, f in enumerate(self._sample_files):
                part = sampled[shard == s]
                if len(part):
                    rec = np.empty(len(part), dtype=SAMPLE_DTYPE)
                    rec["hash"], rec["doc"] = part, self._idx
                    f.write(rec.tobytes())
        return shingles

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        return self.oph.signature(shingles).reshape(self.config.num_buckets, -1).tolist()

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1):
        with contextlib.ExitStack() as stack:
            info = stack.enter_context(DocInfoWriter(self.docs_folder, rank))
            if self.samples_folder is not None:
                self._sample_files = [
                    stack.enter_context(self.samples_folder.open(f"shard_{s:03d}/{rank:05d}.bin", "wb"))
                    for s in range(self.containment_shards)
                ]

            def tap():
                # the parent's loop calls get_shingles on each book it receives; its doc info line follows
                for doc in data:
                    self._idx, self._counts = info.idx, {"n_shingles": 0, "n_sampled": 0}
                    yield doc
                    info.write(doc, self.quality_key, **self._counts)

            super().run(tap(), rank, world_size)
            self._sample_files = []
