"""Books stored as records: JSONL and Parquet files (local or remote) and Hugging Face Hub datasets.

One record is one book. A field mapping names the source fields: ``text_field`` (the whole book), or
``pages_field`` (a list of page texts, joined with the page separator), ``id_field``, and the fields kept as
metadata (``metadata_fields``: a list, or a mapping ``{our_name: source_field}``; ``None`` keeps all others).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from datatrove.data import Document
from datatrove.io import DataFolderLike

from filters.pages import natural_key
from pipelines.readers.base import BadInput, BookReader, BookRef, SourceUnavailable

MetadataFields = list[str] | dict[str, str] | None


class RecordBookReader(BookReader):
    """Shared field mapping of the record readers. Subclasses list the mapping in their own signature (a recipe
    sets exactly the parameters of the reader's ``__init__``)."""

    records_per_unit = True

    def __init__(
        self,
        path: DataFolderLike,
        glob_pattern: str = "**/*",
        text_field: str = "text",
        pages_field: str | None = None,
        id_field: str | None = "id",
        metadata_fields: MetadataFields = None,
        **kwargs,
    ):
        super().__init__(path, **kwargs)
        self.glob_pattern = glob_pattern
        self.text_field = text_field
        self.pages_field = pages_field
        self.id_field = id_field
        if isinstance(metadata_fields, list):
            metadata_fields = {f: f for f in metadata_fields}
        self.metadata_fields = metadata_fields

    def list_units(self) -> list[BookRef]:
        files = sorted(self.data_folder.list_files(glob_pattern=self.glob_pattern), key=natural_key)
        return [BookRef(id=f, paths=(f,)) for f in files]

    def record_to_document(self, record: dict, where: str) -> Document | BadInput:
        """Map one record to a book Document, or a BadInput naming what is wrong with it."""
        if not isinstance(record, dict):
            return BadInput("not_an_object", where)
        if self.pages_field:
            pages = record.get(self.pages_field)
            if not isinstance(pages, list) or not all(isinstance(p, str) for p in pages):
                return BadInput("missing_field", where, f"field {self.pages_field!r} is not a list of strings")
        else:
            text = record.get(self.text_field)
            if not isinstance(text, str):
                fields = sorted(record)[:20]
                return BadInput("missing_field", where, f"no string field {self.text_field!r}; fields: {fields}")
            pages = [text]
        book_id = record.get(self.id_field) if self.id_field else None
        book_id = str(book_id) if book_id not in (None, "") else where
        if self.metadata_fields is None:
            skip = {self.text_field, self.pages_field, self.id_field}
            meta = {k: v for k, v in record.items() if k not in skip}
        else:
            meta = {ours: record.get(theirs) for ours, theirs in self.metadata_fields.items()}
        return self.make_book(book_id, pages, meta)


class JsonlBookReader(RecordBookReader):
    """JSON Lines (optionally compressed: .gz, .zst, ... by extension). A bad line is skipped, not the file."""

    name = "📄 jsonl books"

    def __init__(
        self,
        path: DataFolderLike,
        glob_pattern: str = "**/*.jsonl*",
        text_field: str = "text",
        pages_field: str | None = None,
        id_field: str | None = "id",
        metadata_fields: MetadataFields = None,
        **kwargs,
    ):
        super().__init__(path, glob_pattern, text_field, pages_field, id_field, metadata_fields, **kwargs)

    def read_unit(self, unit: BookRef) -> Iterator[Document | BadInput]:
        path = unit.paths[0]
        try:
            with self.data_folder.open(path, "rb", compression="infer") as f:
                for lineno, raw in enumerate(f, start=1):
                    where = f"{path}:{lineno}"
                    if not raw.strip():
                        continue
                    try:
                        record = json.loads(raw.decode("utf-8"))
                    except UnicodeDecodeError as e:
                        yield BadInput("invalid_encoding", where, str(e))
                        continue
                    except json.JSONDecodeError as e:
                        yield BadInput("invalid_json", where, str(e))
                        continue
                    yield self.record_to_document(record, where)
        except (OSError, EOFError) as e:
            raise BadInput("unreadable_file", path, str(e)) from e


class ParquetBookReader(RecordBookReader):
    """Parquet files, read in record batches. A file without the text (or pages) column is skipped whole."""

    name = "📄 parquet books"

    def __init__(
        self,
        path: DataFolderLike,
        glob_pattern: str = "**/*.parquet",
        text_field: str = "text",
        pages_field: str | None = None,
        id_field: str | None = "id",
        metadata_fields: MetadataFields = None,
        batch_size: int = 64,
        **kwargs,
    ):
        super().__init__(path, glob_pattern, text_field, pages_field, id_field, metadata_fields, **kwargs)
        self.batch_size = batch_size

    def read_unit(self, unit: BookRef) -> Iterator[Document | BadInput]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = unit.paths[0]
        try:
            with self.data_folder.open(path, "rb") as f:
                pf = pq.ParquetFile(f)
                needed = self.pages_field or self.text_field
                if needed not in pf.schema_arrow.names:
                    raise BadInput("missing_field", path, f"no column {needed!r}; columns: {pf.schema_arrow.names}")
                row = 0
                for batch in pf.iter_batches(batch_size=self.batch_size):
                    for record in batch.to_pylist():
                        yield self.record_to_document(record, f"{path}#{row}")
                        row += 1
        except (OSError, pa.ArrowException) as e:
            raise BadInput("unreadable_file", path, str(e)) from e


class HubBookReader(RecordBookReader):
    """A Hugging Face Hub dataset, streamed with ``datasets`` (e.g. ``storytracer/LoC-PD-Books``).

    Without a limit the stream is split across tasks with ``split_dataset_by_node``; with one, the first
    ``limit`` records are dealt to the tasks in turn.
    """

    name = "🤗 hub books"

    def __init__(
        self,
        repo: str,
        subset: str | None = None,
        split: str = "train",
        revision: str | None = None,
        text_field: str = "text",
        pages_field: str | None = None,
        id_field: str | None = "id",
        metadata_fields: MetadataFields = None,
        **kwargs,
    ):
        super().__init__(".", "**/*", text_field, pages_field, id_field, metadata_fields, **kwargs)
        self.repo = repo
        self.subset = subset
        self.split = split
        self.revision = revision

    def list_units(self) -> list[BookRef]:
        return [BookRef(id=self.repo, paths=(self.repo,))]

    def check_available(self) -> str | None:
        """Ask the Hub for the dataset (one quick request) so that an offline run fails at once, not after retries."""
        if Path(self.repo).is_dir():
            return None  # a local dataset folder, loaded by the same datasets code
        from huggingface_hub import HfApi, constants

        if constants.HF_HUB_OFFLINE:
            return f"Hub dataset {self.repo!r} cannot be read: HF_HUB_OFFLINE is set"
        try:
            HfApi().dataset_info(self.repo, revision=self.revision, timeout=10)
        except Exception as e:  # network errors, missing or gated repos: all mean "cannot read it from here"
            return f"cannot reach Hub dataset {self.repo!r}: {type(e).__name__}: {str(e)[:200]}"
        return None

    def input_fingerprint(self) -> dict[str, Any]:
        """The dataset's coordinates (a stream has no file listing to fingerprint)."""
        return {"repo": self.repo, "revision": self.revision, "subset": self.subset, "split": self.split}

    def open_stream(self):
        """The dataset as a streaming IterableDataset; raises SourceUnavailable when the Hub cannot be reached."""
        from datasets import load_dataset

        try:
            return load_dataset(self.repo, self.subset, split=self.split, revision=self.revision, streaming=True)
        except Exception as e:  # datasets raises many types for offline / missing repos
            raise SourceUnavailable(
                f"[{self.source}] cannot open Hub dataset {self.repo!r} (split {self.split!r}): "
                f"{type(e).__name__}: {str(e)[:300]}"
            ) from e

    def read_unit(self, unit: BookRef) -> Iterator[Document | BadInput]:
        raise NotImplementedError  # _shard streams directly

    def _shard(self, rank: int, world_size: int) -> Iterator[Document]:
        stream = self.open_stream()
        if self.limit < 0 and world_size > 1:
            from datasets.distributed import split_dataset_by_node

            stream = split_dataset_by_node(stream, rank=rank, world_size=world_size)
        yield from self.checked(self._mapped(stream, rank, world_size), rank)

    def _mapped(self, stream, rank: int, world_size: int) -> Iterator[Document | BadInput]:
        for k, record in enumerate(stream):
            if 0 <= self.limit <= k:
                return
            if self.limit < 0 or k % world_size == rank:
                yield self.record_to_document(record, f"{self.repo}#{k}")
