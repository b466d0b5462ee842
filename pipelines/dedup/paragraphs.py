"""Paragraphs repeated across many books (publishers' advertisements, series prefaces), removed from every book.

A paragraph is a run of text between blank lines inside one page. Three steps: each book lists the hashes of its
distinct paragraphs (normalised, at least ``min_chars`` long), sharded by hash; per shard, the hashes found in at
least ``min_books`` books are kept; then every book is rewritten without those paragraphs, page by page, so page
offsets stay true (``filters.pages.set_pages``). A book left with no text is dropped (``only_repeated_paragraphs``).
"""

from __future__ import annotations

import json
import re

import numpy as np
import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from filters.pages import set_pages
from filters.textview import text_view
from pipelines.dedup.arrays import distinct_counts
from pipelines.dedup.shingles import normalized_words

_BLANK_LINES = re.compile(r"(\n[ \t]*\n\s*)")
COUNT_DTYPE = np.dtype([("hash", "<u8"), ("books", "<u4")])


def paragraph_key(paragraph: str, normalize: bool, min_chars: int) -> int | None:
    """64-bit hash of a paragraph, or None when it is too short to count."""
    content = " ".join(normalized_words(paragraph, normalize))
    return xxhash.xxh64_intdigest(content) if len(content) >= min_chars else None


def split_paragraphs(page: str) -> list[str]:
    """Paragraphs and the blank-line runs between them, alternating (``"".join`` gives the page back)."""
    return _BLANK_LINES.split(page)


def _shard(h: int | np.ndarray, shards: int):
    return (h >> 24) % shards


class ParagraphSignature(PipelineStep):
    """Writes ``shard_XXX/<rank>.bin``: the distinct paragraph hashes of each book (uint64), split by hash."""

    type = "🫂 - DEDUP"
    name = "📑 paragraph hashes"

    def __init__(self, output_folder: DataFolderLike, shards: int, min_chars: int = 80, normalize: bool = True):
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.shards = shards
        self.min_chars = min_chars
        self.normalize = normalize

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> None:
        files = [self.output_folder.open(f"shard_{s:03d}/{rank:05d}.bin", "wb") for s in range(self.shards)]
        try:
            for doc in data:
                with self.track_time():
                    keys = set()
                    for page in text_view(doc).pages:
                        for part in split_paragraphs(page)[::2]:
                            k = paragraph_key(part, self.normalize, self.min_chars)
                            if k is not None:
                                keys.add(k)
                    self.stat_update("documents")
                    self.stat_update("paragraphs", value=len(keys))
                    arr = np.fromiter(keys, dtype=np.uint64, count=len(keys))
                    shard = _shard(arr, np.uint64(self.shards))
                    for s, f in enumerate(files):
                        part = arr[shard == s]
                        if len(part):
                            f.write(part.tobytes())
        finally:
            for f in files:
                f.close()


class ParagraphCount(PipelineStep):
    """One task per shard: writes ``shard_XXX.bin``, the (hash, books) of paragraphs in >= ``min_books`` books."""

    type = "🫂 - DEDUP"
    name = "📑 paragraph counts"

    def __init__(self, hashes_folder: DataFolderLike, output_folder: DataFolderLike, min_books: int = 10):
        super().__init__()
        self.hashes_folder = get_datafolder(hashes_folder)
        self.output_folder = get_datafolder(output_folder)
        self.min_books = min_books

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        with self.track_time():
            parts = []
            for name in self.hashes_folder.list_files(subdirectory=f"shard_{rank:03d}", glob_pattern="*.bin"):
                with self.hashes_folder.open(name, "rb") as f:
                    parts.append(np.frombuffer(f.read(), dtype=np.uint64))
            hashes = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
            uniq, counts = distinct_counts(hashes)
            frequent = counts >= self.min_books
            rec = np.empty(int(frequent.sum()), dtype=COUNT_DTYPE)
            rec["hash"], rec["books"] = uniq[frequent], counts[frequent]
            self.stat_update("distinct_paragraphs", value=len(uniq))
            self.stat_update("repeated_paragraphs", value=len(rec))
            with self.output_folder.open(f"shard_{rank:03d}.bin", "wb") as f:
                f.write(rec.tobytes())


class RemoveRepeatedParagraphs(BaseFilter):
    """Removes the counted paragraphs from every page; records ``repeated_paragraphs_removed`` (count) and
    ``repeated_paragraphs_chars`` in metadata; writes each removed paragraph once per task to
    ``<removed_folder>/<rank>.jsonl`` (hash, number of books, first book seen, text) for inspection."""

    name = "📑 remove repeated paragraphs"

    def __init__(
        self,
        counts_folder: DataFolderLike,
        removed_folder: DataFolderLike,
        shards: int,
        min_chars: int = 80,
        normalize: bool = True,
        exclusion_writer: DiskWriter | None = None,
    ):
        super().__init__(exclusion_writer)
        self.counts_folder = get_datafolder(counts_folder)
        self.removed_folder = get_datafolder(removed_folder)
        self.shards = shards
        self.min_chars = min_chars
        self.normalize = normalize
        self._books: dict[int, int] = {}
        self._seen: set[int] = set()
        self._removed_file = None

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._books = {}
        for s in range(self.shards):
            with self.counts_folder.open(f"shard_{s:03d}.bin", "rb") as f:
                rec = np.frombuffer(f.read(), dtype=COUNT_DTYPE)
            self._books.update(zip(rec["hash"].tolist(), rec["books"].tolist(), strict=True))
        self._seen = set()
        with self.removed_folder.open(f"{rank:05d}.jsonl", "wt") as self._removed_file:
            yield from super().run(data, rank, world_size)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        pages, removed, chars = [], 0, 0
        for page in text_view(doc).pages if self._books else []:
            parts = split_paragraphs(page)
            kept: list[str] = []
            page_removed = 0
            for i in range(0, len(parts), 2):
                k = paragraph_key(parts[i], self.normalize, self.min_chars)
                if k is not None and k in self._books:
                    page_removed += 1
                    chars += len(parts[i])
                    self._log_removed(k, doc.id, parts[i])
                    continue
                if kept:
                    kept.append(parts[i - 1])  # the blank lines that preceded this paragraph
                kept.append(parts[i])
            removed += page_removed
            pages.append("".join(kept) if page_removed else page)
        if not removed:
            doc.metadata["repeated_paragraphs_removed"] = 0
            doc.metadata["repeated_paragraphs_chars"] = 0
            return True
        set_pages(doc, pages)
        doc.metadata["repeated_paragraphs_removed"] = removed
        doc.metadata["repeated_paragraphs_chars"] = chars
        self.stat_update("paragraphs_removed", value=removed)
        self.stat_update("chars_removed", value=chars)
        self.stat_update("books_changed")
        if not doc.text.strip():
            return False, "only_repeated_paragraphs"
        return True

    def _log_removed(self, key: int, doc_id: str, text: str) -> None:
        if key in self._seen:
            return
        self._seen.add(key)
        row = {"hash": f"{key:016x}", "books": self._books[key], "first_seen_in": doc_id, "text": text[:2000]}
        self._removed_file.write(json.dumps(row, ensure_ascii=False) + "\n")
