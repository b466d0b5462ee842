"""Config models of the recipe's ``dedup:`` section: dedup stages run in order on the process stage's output.

Each item is one stage, told apart by ``kind``: ``minhash`` (near-duplicate books, and containment of one book in
another), ``exact`` (identical books) or ``repeated_paragraphs`` (paragraphs found in many books, removed from
all of them). Every parameter has a pinned default, written out in the resolved config.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from pipelines.config import Strict


class DedupBase(Strict):
    kind: str = Field(description="minhash, exact or repeated_paragraphs")
    id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="stage name in summaries, folders and metadata keys (<id>_cluster, ...); defaults to the kind",
    )
    keep_dropped: bool = Field(True, description="write the books this stage drops to its excluded/ folder")

    @model_validator(mode="after")
    def _default_id(self):
        if self.id is None:
            self.id = self.kind
        return self


class SurvivorChoice(DedupBase):
    """Which copy of a cluster of duplicates is kept."""

    keep: Literal["best_quality", "first"] = Field(
        "best_quality", description="best_quality: the copy with the best quality_key; first: the first in input order"
    )
    quality_key: str = Field("word_confidence", description="metadata key of the OCR-quality signal that ranks copies")
    quality_higher_is_better: bool = True
    quality_fallback: float | None = Field(
        None, description="quality of a book without the key (or a non-number); null ranks it below every scored book"
    )


class MinhashDedup(SurvivorChoice):
    """Near-duplicate books by MinHash LSH, verified on the whole signature; containment found on sampled shingles."""

    kind: Literal["minhash"] = "minhash"
    unit: Literal["char", "word"] = Field("char", description="shingles are n-grams of characters or of words")
    n_grams: int = Field(12, ge=1, le=64)
    normalize: bool = Field(True, description="NFKD, no diacritics, lower case, letters only (ſ -> s, no digits)")
    num_buckets: int = Field(64, ge=1, description="LSH bands (b); one datatrove bucket each")
    hashes_per_bucket: int = Field(2, ge=1, description="rows per band (r); the signature has b x r values")
    seed: int = 1
    min_similarity: float = Field(
        0.3,
        ge=0,
        le=1,
        description="a pair sharing a bucket is a duplicate only if its signatures agree in this fraction of "
        "values (estimated Jaccard of the shingle sets); 0 trusts every bucket collision, as datatrove does",
    )
    min_length_ratio: float = Field(
        0.6,
        ge=0,
        le=1,
        description="a duplicate pair's shingle counts must be within this ratio (smaller / larger); a shorter "
        "book is judged by containment instead (a tale vs the collected works holding it)",
    )
    tasks_per_bucket: int = Field(1, ge=1, description="datatrove bucket-stage workers per bucket")
    containment: Literal["off", "report", "drop"] = Field(
        "report", description="find books contained in larger ones (a work inside collected works); drop: remove them"
    )
    containment_threshold: float = Field(
        0.7, gt=0, le=1, description="share of the smaller book's sampled shingles found in the larger one"
    )
    containment_sample: int = Field(32, ge=1, description="1 in N shingles (by hash) is indexed for containment")
    containment_min_shingles: int = Field(
        50, ge=1, description="sampled shingles the smaller book needs to be judged (shorter books are not)"
    )
    containment_max_books: int = Field(
        20, ge=2, description="a sampled shingle in more distinct works than this is boilerplate and is ignored"
    )
    containment_shards: int = Field(4, ge=1, description="tasks of the containment index (by hash range)")

    @model_validator(mode="after")
    def _enough_bins(self) -> MinhashDedup:
        if self.num_buckets * self.hashes_per_bucket < 16:
            raise ValueError("num_buckets * hashes_per_bucket must be at least 16 (one-permutation MinHash bins)")
        return self


class ExactDedup(SurvivorChoice):
    """Identical books: same text (after normalisation, when on)."""

    kind: Literal["exact"] = "exact"
    normalize: bool = Field(True, description="compare normalised words (case, punctuation, digits ignored)")


class RepeatedParagraphs(DedupBase):
    """Paragraphs that occur in many books (advertisements, series prefaces) are removed from every book."""

    kind: Literal["repeated_paragraphs"] = "repeated_paragraphs"
    min_books: int = Field(10, ge=2, description="a paragraph found in at least this many books is removed")
    min_chars: int = Field(80, ge=1, description="shorter paragraphs (normalised) are never counted or removed")
    normalize: bool = Field(True, description="compare normalised words (case, punctuation, digits ignored)")
    shards: int = Field(4, ge=1, description="tasks of the counting step (by hash range)")


DedupSpec = Annotated[MinhashDedup | ExactDedup | RepeatedParagraphs, Field(discriminator="kind")]
DEDUP_KINDS = ("minhash", "exact", "repeated_paragraphs")
