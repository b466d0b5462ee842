"""Base class of the book readers: deterministic units, sharding by task, counted skips with reasons."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger
from tqdm import tqdm

from filters.pages import PAGE_SEPARATOR, join_pages
from pipelines.fingerprint import listing_fingerprint


class BadInput(Exception):
    """A file or record that cannot be read. ``reason`` is a short snake_case string counted in the stats."""

    def __init__(self, reason: str, path: str, detail: str = ""):
        super().__init__(f"{path}: {reason}{': ' + detail if detail else ''}")
        self.reason = reason
        self.path = path
        self.detail = detail


class SourceUnavailable(RuntimeError):
    """A data source that cannot be reached at all (no network, missing folder): a configuration problem."""


@dataclass
class PageText:
    """Text of one readable page and the confidences (0..1) of its words that have one.

    ``regions`` (PAGE XML only so far): the page's text regions in reading order, each a dict with ``id``, ``type``
    (layout role, e.g. "heading", "page-number", "footnote"; None when unknown) and ``start``/``end`` character
    offsets in ``text`` (see ``pipelines/readers/page.py``). ``layout``: the page's line records with their roles
    (``filters/layout.py``), None when the source has no roles. ``unknown_types``: labels the role vocabulary does
    not know (``pipelines/readers/layout.py: unknown_label``; read as "other") and how many regions carry them.
    """

    text: str
    confidences: list[float] = field(default_factory=list)
    version: str | None = None
    regions: list[dict] = field(default_factory=list)
    layout: dict | None = None
    unknown_types: Counter = field(default_factory=Counter)  # region types (ALTO: tags) the roles do not know


def mean(values: list[float]) -> float | None:
    """Arithmetic mean, None for no values."""
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class BookRef:
    """One unit of input: a book made of page files, or a file of records (``records=True``)."""

    id: str
    paths: tuple[str, ...]
    extra: dict = field(default_factory=dict, compare=False, hash=False)


class BookReader(PipelineStep):
    """Reads books. Subclasses list their units and turn one unit into documents.

    Units are listed in a fixed order and task ``rank`` reads units ``rank, rank + world_size, ...``, so the same
    config gives the same shards. ``limit`` caps the number of documents over the whole run (all tasks together).
    A unit or record that cannot be read is skipped, counted as ``skipped_<reason>`` in the stats and, when
    ``skip_log`` is set, written with its path and reason to ``skip_log/<rank>.jsonl``.

    A recipe's data source names a reader (``format``, ``pipelines/readers/registry.py``) and sets the parameters of
    its ``__init__`` as keys beside ``name`` and ``limit``; the arguments of this base class are set by the framework.
    """

    type = "📖 - READER"
    records_per_unit = False  # True when one unit (a JSONL/Parquet file) holds many books

    def __init__(
        self,
        data_folder: DataFolderLike,
        source: str = "books",
        limit: int = -1,
        page_separator: str = PAGE_SEPARATOR,
        default_metadata: dict | None = None,
        skip_log: DataFolderLike | None = None,
        progress: bool = False,
    ):
        super().__init__()
        self.location = data_folder if isinstance(data_folder, str) else None  # as configured, for messages
        self.data_folder = get_datafolder(data_folder)
        self.source = source
        self.limit = limit
        self.page_separator = page_separator
        self.default_metadata = default_metadata or {}
        self.skip_log = get_datafolder(skip_log) if skip_log is not None else None
        self.progress = progress
        self._skip_file = None
        self._rank = 0

    def check_available(self) -> str | None:
        """Why this source cannot be read, or None; asked before a run. Only a local folder is checked here."""
        from fsspec.implementations.local import LocalFileSystem

        if not isinstance(self.data_folder.fs, LocalFileSystem) or Path(self.data_folder.path).is_dir():
            return None
        return f"folder {self.location or self.data_folder.path!r} does not exist"

    def input_fingerprint(self) -> dict[str, Any]:
        """What this source will read (names the process stage folder); a source with nothing to read is an error."""
        files = sorted({p for unit in self.list_units() for p in unit.paths})
        if not files:
            raise SourceUnavailable(
                f"data source {self.source!r}: no input files in {self.location or self.data_folder.path!r} "
                "match its glob_pattern / book_pattern"
            )
        return listing_fingerprint(self.data_folder, files)

    @abstractmethod
    def list_units(self) -> list[BookRef]:
        """All units of this source, in a deterministic order."""

    @abstractmethod
    def read_unit(self, unit: BookRef) -> Iterator[Document | BadInput]:
        """Documents of one unit. Yield a ``BadInput`` for a bad record; raise it when the whole unit is bad."""

    def make_book(self, book_id: str, pages: list[str], metadata: dict) -> Document:
        """A Document for a book whose pages are given in reading order."""
        text, offsets = join_pages(pages, self.page_separator)
        meta = self.default_metadata | {"source": self.source, "n_pages": len(pages), "page_offsets": offsets}
        return Document(text=text, id=f"{self.source}/{book_id}", metadata=meta | metadata)

    def book_from_pages(
        self, book_id: str, where: str, pages: list[tuple[str, PageText | BadInput]], metadata: dict
    ) -> Document:
        """A Document from pages read in order: bad pages are counted, logged and listed, the rest joined.

        A book of one page that cannot be read is skipped with that page's own reason. When some page has
        ``regions``, ``metadata["page_regions"]`` holds one list per kept page (offsets relative to the page's text,
        which starts at ``page_offsets[i]`` in the book); likewise ``metadata["page_layout"]`` (line roles,
        ``filters/layout.py``) when some page has a layout. Region types the roles do not know are counted
        (``unknown_region_type_<name>``, per region) and listed in ``metadata["unknown_region_types"]``.
        """
        if len(pages) == 1 and isinstance(pages[0][1], BadInput):
            raise pages[0][1]
        texts, files, confs, bad, regions, layouts = [], [], [], [], [], []
        all_conf: list[float] = []
        unknown: Counter = Counter()
        for path, page in pages:
            if isinstance(page, BadInput):
                self.record_skip(page, self._rank, page_level=True)
                bad.append({"file": path, "reason": page.reason})
                continue
            texts.append(page.text)
            files.append(path)
            confs.append(mean(page.confidences))
            regions.append(page.regions)
            layouts.append(page.layout)
            all_conf.extend(page.confidences)
            unknown.update(page.unknown_types)
        if not texts:
            reasons = {b["reason"] for b in bad}
            raise BadInput("empty" if reasons == {"empty"} else "no_readable_pages", where, f"{len(bad)} bad pages")
        if not any(t.strip() for t in texts):
            raise BadInput("empty", where, f"{len(texts)} pages without text")
        meta = {"page_files": files, "page_word_confidence": confs, "word_confidence": mean(all_conf)}
        if bad:
            meta["bad_pages"] = bad
        if any(regions):
            meta["page_regions"] = regions
        if any(layouts):
            meta["page_layout"] = layouts
        if unknown:
            meta["unknown_region_types"] = dict(sorted(unknown.items()))
            for name, n in unknown.items():
                self.stat_update(f"unknown_region_type_{name}", value=n)
        return self.make_book(book_id, texts, meta | metadata)

    def record_skip(self, bad: BadInput, rank: int, page_level: bool = False) -> None:
        """Count a skipped book, record or file (``skipped_<reason>``) or page (``skipped_pages_<reason>``)."""
        self.stat_update(f"skipped_pages_{bad.reason}" if page_level else f"skipped_{bad.reason}")
        logger.warning(f"[{self.source}] skipped {'page ' if page_level else ''}{bad}")
        if self.skip_log is not None:
            if self._skip_file is None:
                self._skip_file = self.skip_log.open(f"{rank:05d}.jsonl", "wt")
            row = {
                "source": self.source,
                "level": "page" if page_level else "book",
                "path": bad.path,
                "reason": bad.reason,
                "detail": bad.detail[:500],
            }
            self._skip_file.write(json.dumps(row, ensure_ascii=False) + "\n")
            self._skip_file.flush()

    def checked(self, items: Iterator[Document | BadInput], rank: int, log_skips: bool = True) -> Iterator[Document]:
        """Pass documents through; count and log bad records, bad units and empty books."""
        try:
            for item in items:
                if isinstance(item, BadInput):
                    if log_skips:
                        self.record_skip(item, rank)
                elif not item.text.strip():
                    if log_skips:
                        self.record_skip(BadInput("empty", item.id), rank)
                else:
                    yield item
        except BadInput as bad:
            if log_skips:
                self.record_skip(bad, rank)

    def _documents(self, unit: BookRef, rank: int, log_skips: bool = True) -> Iterator[Document]:
        yield from self.checked(self.read_unit(unit), rank, log_skips)

    def _shard(self, rank: int, world_size: int) -> Iterator[Document]:
        units = self.list_units()
        if not units:
            raise SourceUnavailable(f"[{self.source}] no input files found in {self.data_folder.path}")
        if not self.records_per_unit:
            if self.limit >= 0:
                units = units[: self.limit]
            for unit in units[rank::world_size]:
                yield from self._documents(unit, rank)
            return
        if self.limit < 0:
            for unit in units[rank::world_size]:
                yield from self._documents(unit, rank)
            return
        # a global limit over files of records: read in order, deal record k to task k % world_size
        k = 0
        for unit in units:
            for doc in self._documents(unit, rank, log_skips=rank == 0):
                if k >= self.limit:
                    return
                if k % world_size == rank:
                    yield doc
                k += 1

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        self._rank = rank
        try:
            with tqdm(desc=f"reading {self.source}", unit="book", disable=not self.progress) as bar:
                for doc in self._shard(rank, world_size):
                    self.stat_update("documents")
                    self.update_doc_stats(doc)
                    bar.update()
                    yield doc
        finally:
            if self._skip_file is not None:
                self._skip_file.close()
                self._skip_file = None
