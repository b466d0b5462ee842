"""The shape of a dataset release: file names, the Parquet columns and the settings that decide its bytes.

Shared by the writer (``release.py``), the dataset card (``card.py``) and the reproducer (``reproduce.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from filters.signals import SIGNALS

EVIDENCE_FILE = "recipe_evidence.md"
FORMAT = "finebooks-release-1"
DATA_DIR = "data"
RECIPE_FILE = "recipe.yaml"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"

# column -> (arrow type name, description); the order is the Parquet schema's
COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("string", "`<source>/<book id>`, unique within the release"),
    "source": ("string", "the recipe's name of the data source"),
    "title": ("string", "title, when the source gives one (metadata `title`; ALTO/PAGE: the METS's MODS or DC)"),
    "author": ("string", "author(s), `; `-separated, when the source gives them (metadata `author` or `creator`)"),
    "year": ("int32", "year of publication, when the source gives one (metadata `year` or `date`, first 4 digits)"),
    "language": (
        "string",
        "language code: from the source (METS: ISO 639-1 where it has one), or detected by the `dict_ratio` signal",
    ),
    "identifiers": (
        "string",
        "the source's identifiers as a JSON object `{type: value}` (METS: URN, PURL, VD16, ...)",
    ),
    "license": ("string", "the source's licence or use statement (METS: MODS `accessCondition`, DC `rights`)"),
    "text": ("string", "the book as Markdown: paragraphs, `#` headings, footnotes `[^n]`, no page separators"),
    "n_pages": ("int32", "pages of the book as read (after page-level filters)"),
    **{
        f"ocr_{name}": ("float64", f"OCR-quality signal `{name}` of the book (null when not measured)")
        for name in SIGNALS
    },
    "ocr_cer": ("float64", "true character error rate against gold text, for sources that have gold (ICDAR2017)"),
    "pages_dropped_fraction": ("float64", "share of the book's pages dropped by a page-level filter"),
    "dedup_cluster": (
        "string",
        "`<dedup stage>:<n>` for each dedup stage that put the book in a cluster of duplicates; clusters numbered "
        "in the order of their first book id in the release",
    ),
    "dedup_cluster_size": ("int64", "size of the largest such cluster (1: no duplicate; null: no dedup stage)"),
}


class ReleaseError(RuntimeError):
    """A release that cannot be written or pushed; the message says why and what to do."""


@dataclass(frozen=True)
class Layout:
    """Everything besides data and recipe that decides the bytes of the Parquet files (recorded in the manifest)."""

    file_bytes: int = 256_000_000  # a new file starts once this many bytes of text are in the current one
    row_group_rows: int = 64
    compression: str = "zstd"
    compression_level: int = 9
