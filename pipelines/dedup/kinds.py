"""The built-in dedup kinds: their parameters (with pinned defaults and allowed ranges) and their steps.

``minhash``: near-duplicate books, and containment of one book in another; ``exact``: identical books;
``repeated_paragraphs``: paragraphs found in many books, removed from all of them. The steps themselves are built
in ``pipelines/dedup/steps.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from pipelines.config import ExecutorConfig
from pipelines.dedup.config import DedupKind
from pipelines.dedup.steps import (
    Step,
    exact_steps,
    minhash_decision_steps,
    minhash_shared_steps,
    minhash_steps,
    paragraph_steps,
)

Keep = Annotated[
    Literal["best_quality", "first"],
    Field(description="best_quality: the copy with the best quality_key; first: the first in input order"),
]
QualityKey = Annotated[str, Field(description="metadata key of the OCR-quality signal that ranks copies")]
QualityFallback = Annotated[
    float | None,
    Field(description="quality of a book without the key (or a non-number); null ranks it below every scored book"),
]
Normalize = Annotated[bool, Field(description="compare normalised words (case, punctuation, digits ignored)")]


class SurvivorChoice(DedupKind):
    """Which copy of a cluster of duplicates is kept (``keep``, ``quality_*``)."""

    def __init__(
        self,
        keep: Keep = "best_quality",
        quality_key: QualityKey = "word_confidence",
        quality_higher_is_better: bool = True,
        quality_fallback: QualityFallback = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.keep = keep
        self.quality_key = quality_key
        self.quality_higher_is_better = quality_higher_is_better
        self.quality_fallback = quality_fallback


class MinhashDedup(SurvivorChoice):
    """Near-duplicate books by MinHash LSH, verified on the whole signature; containment found on sampled shingles."""

    def __init__(  # long: one documented parameter per recipe key, a short body
        self,
        keep: Keep = "best_quality",
        quality_key: QualityKey = "word_confidence",
        quality_higher_is_better: bool = True,
        quality_fallback: QualityFallback = None,
        unit: Annotated[Literal["char", "word"], Field(description="n-grams of characters or of words")] = "char",
        n_grams: Annotated[int, Field(ge=1, le=64)] = 12,
        normalize: Annotated[
            bool, Field(description="NFKD, no diacritics, lower case, letters only (ſ -> s, no digits)")
        ] = True,
        num_buckets: Annotated[int, Field(ge=1, description="LSH bands (b); one datatrove bucket each")] = 64,
        hashes_per_bucket: Annotated[
            int, Field(ge=1, description="rows per band (r); the signature has b x r values")
        ] = 2,
        seed: int = 1,
        min_similarity: Annotated[
            float,
            Field(
                ge=0,
                le=1,
                description="a pair sharing a bucket is a duplicate only if its signatures agree in this fraction of "
                "values (estimated Jaccard of the shingle sets); 0 trusts every bucket collision, as datatrove does",
            ),
        ] = 0.3,
        min_length_ratio: Annotated[
            float,
            Field(
                ge=0,
                le=1,
                description="a duplicate pair's shingle counts must be within this ratio (smaller / larger); a "
                "shorter book is judged by containment instead (a tale vs the collected works holding it)",
            ),
        ] = 0.6,
        tasks_per_bucket: Annotated[int, Field(ge=1, description="datatrove bucket-stage workers per bucket")] = 1,
        containment: Annotated[
            Literal["off", "report", "drop"],
            Field(description="find books contained in larger ones (works inside collected works); drop: remove them"),
        ] = "report",
        containment_threshold: Annotated[
            float, Field(gt=0, le=1, description="share of the smaller book's sampled shingles found in the larger")
        ] = 0.7,
        containment_sample: Annotated[
            int, Field(ge=1, description="1 in N shingles (by hash) is indexed for containment")
        ] = 32,
        containment_min_shingles: Annotated[
            int, Field(ge=1, description="sampled shingles the smaller book needs to be judged (shorter: not)")
        ] = 50,
        containment_max_books: Annotated[
            int, Field(ge=2, description="a sampled shingle in more distinct works than this is boilerplate, ignored")
        ] = 20,
        containment_shards: Annotated[int, Field(ge=1, description="tasks of the containment index (by hash)")] = 4,
        **kwargs,
    ):
        super().__init__(keep, quality_key, quality_higher_is_better, quality_fallback, **kwargs)
        if num_buckets * hashes_per_bucket < 16:
            raise ValueError("num_buckets * hashes_per_bucket must be at least 16 (one-permutation MinHash bins)")
        self.unit = unit
        self.n_grams = n_grams
        self.normalize = normalize
        self.num_buckets = num_buckets
        self.hashes_per_bucket = hashes_per_bucket
        self.seed = seed
        self.min_similarity = min_similarity
        self.min_length_ratio = min_length_ratio
        self.tasks_per_bucket = tasks_per_bucket
        self.containment = containment
        self.containment_threshold = containment_threshold
        self.containment_sample = containment_sample
        self.containment_min_shingles = containment_min_shingles
        self.containment_max_books = containment_max_books
        self.containment_shards = containment_shards

    def steps(self, input_folder: Path, folder: Path, executor: ExecutorConfig) -> list[Step]:
        return minhash_steps(self, input_folder, folder, executor)

    def shared_key(self) -> dict:
        """Signatures and LSH buckets depend on the shingling, the hashing and what is sampled for containment."""
        contain = self.containment != "off"
        keys = ("unit", "n_grams", "normalize", "num_buckets", "hashes_per_bucket", "seed", "tasks_per_bucket")
        return {k: getattr(self, k) for k in keys} | {
            "kind": "minhash",
            "quality_key": self.quality_key,
            "containment_sample": self.containment_sample if contain else 0,
            "containment_shards": self.containment_shards,
        }

    def shared_steps(self, input_folder: Path, shared: Path, executor: ExecutorConfig) -> list[Step]:
        return minhash_shared_steps(self, input_folder, shared, executor)

    def steps_after_shared(self, input_folder: Path, shared: Path, folder: Path, executor: ExecutorConfig) -> list:
        return minhash_decision_steps(self, input_folder, shared, folder, executor)


class ExactDedup(SurvivorChoice):
    """Identical books: same text (after normalisation, when on)."""

    def __init__(
        self,
        keep: Keep = "best_quality",
        quality_key: QualityKey = "word_confidence",
        quality_higher_is_better: bool = True,
        quality_fallback: QualityFallback = None,
        normalize: Normalize = True,
        **kwargs,
    ):
        super().__init__(keep, quality_key, quality_higher_is_better, quality_fallback, **kwargs)
        self.normalize = normalize

    def steps(self, input_folder: Path, folder: Path, executor: ExecutorConfig) -> list[Step]:
        return exact_steps(self, input_folder, folder, executor)


class RepeatedParagraphs(DedupKind):
    """Paragraphs that occur in many books (advertisements, series prefaces) are removed from every book."""

    def __init__(
        self,
        min_books: Annotated[int, Field(ge=2, description="a paragraph in at least this many books is removed")] = 10,
        min_chars: Annotated[
            int, Field(ge=1, description="shorter paragraphs (normalised) are never counted or removed")
        ] = 80,
        normalize: Normalize = True,
        shards: Annotated[int, Field(ge=1, description="tasks of the counting step (by hash range)")] = 4,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.min_books = min_books
        self.min_chars = min_chars
        self.normalize = normalize
        self.shards = shards

    def steps(self, input_folder: Path, folder: Path, executor: ExecutorConfig) -> list[Step]:
        return paragraph_steps(self, input_folder, folder, executor)
