"""JSONL, Parquet and Hub (datasets) readers: field mapping, limits, bad records and files."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import counter, read_all

from filters.pages import split_pages
from pipelines.readers.base import SourceUnavailable
from pipelines.readers.records import HubBookReader, JsonlBookReader, ParquetBookReader

LOC_FIELDS = {"title": "title", "author": "author", "year": "year", "page_count": "page_count"}


def loc_record(i: int) -> dict:
    """A record shaped like storytracer/LoC-PD-Books."""
    return {
        "lccn": f"lccn{i:03d}",
        "title": f"Book {i}",
        "author": "Anon",
        "year": 1800 + i,
        "page_count": 3,
        "text": f"The text of book {i}. " * 20,
    }


def test_jsonl_field_mapping_and_bad_lines(tmp_path):
    lines = [json.dumps(loc_record(i)) for i in range(3)]
    lines.insert(1, "{not json")
    lines.insert(2, json.dumps({"lccn": "x", "body": "wrong field"}))
    lines.append(json.dumps({"lccn": "e", "text": "  "}))
    raw = "\n".join(lines).encode() + b'\n{"lccn": "bad", "text": "\xff"}\n'
    (tmp_path / "part.jsonl.gz").write_bytes(gzip.compress(raw))
    reader = JsonlBookReader(str(tmp_path), id_field="lccn", metadata_fields=LOC_FIELDS, source="loc")
    docs = read_all(reader)
    assert [d.id for d in docs] == ["loc/lccn000", "loc/lccn001", "loc/lccn002"]
    assert docs[1].metadata["year"] == 1801 and docs[1].metadata["title"] == "Book 1"
    assert "text" not in docs[0].metadata and docs[0].metadata["n_pages"] == 1
    assert counter(reader, "skipped_invalid_json") == 1
    assert counter(reader, "skipped_missing_field") == 1
    assert counter(reader, "skipped_invalid_encoding") == 1
    assert counter(reader, "skipped_empty") == 1


def test_pages_field_keeps_page_boundaries(tmp_path):
    rec = {"id": "b1", "pages": ["p one", "p two", "p three"]}
    (tmp_path / "a.jsonl").write_text(json.dumps(rec) + "\n")
    doc = read_all(JsonlBookReader(str(tmp_path), pages_field="pages"))[0]
    assert split_pages(doc.text, doc.metadata["page_offsets"]) == rec["pages"]


def test_global_limit_over_files_of_records(tmp_path):
    for f in range(3):
        (tmp_path / f"{f}.jsonl").write_text("".join(json.dumps(loc_record(10 * f + i)) + "\n" for i in range(4)))
    reader = JsonlBookReader(str(tmp_path), id_field="lccn", limit=6)
    docs = read_all(reader, world_size=4)
    assert sorted(d.id for d in docs) == sorted(f"books/lccn{i:03d}" for i in (0, 1, 2, 3, 10, 11))
    unlimited = JsonlBookReader(str(tmp_path), id_field="lccn")
    ids = [d.id for d in read_all(unlimited, world_size=2)]
    assert len(ids) == len(set(ids)) == 12


def test_parquet_reader_and_bad_files(tmp_path):
    table = pa.Table.from_pylist([loc_record(i) for i in range(5)])
    pq.write_table(table, tmp_path / "good.parquet")
    pq.write_table(pa.Table.from_pylist([{"lccn": "x", "body": "no text column"}]), tmp_path / "schema.parquet")
    (tmp_path / "corrupt.parquet").write_bytes(b"PAR1 this is not a parquet file")
    reader = ParquetBookReader(
        str(tmp_path),
        id_field="lccn",
        metadata_fields=list(LOC_FIELDS),
        batch_size=2,
        skip_log=str(tmp_path / "skips"),
    )
    docs = read_all(reader)
    assert [d.id for d in docs] == [f"books/lccn{i:03d}" for i in range(5)]
    assert docs[4].metadata["page_count"] == 3
    assert counter(reader, "skipped_missing_field") == 1
    assert counter(reader, "skipped_unreadable_file") == 1
    log = (tmp_path / "skips" / "00000.jsonl").read_text()
    assert "schema.parquet" in log and "corrupt.parquet" in log


def test_hub_reader_loads_a_dataset_with_the_datasets_library(tmp_path, monkeypatch):
    # the real loading path (datasets.load_dataset, streaming) on a dataset folder we make: no network here
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(loc_record(i)) + "\n" for i in range(7)))
    reader = HubBookReader(
        str(tmp_path), split="train", id_field="lccn", metadata_fields=LOC_FIELDS, source="loc", limit=5
    )
    docs = read_all(reader, world_size=2)
    assert sorted(d.id for d in docs) == [f"loc/lccn{i:03d}" for i in range(5)]
    assert read_all(HubBookReader(str(tmp_path), id_field="lccn"), world_size=1)[6].metadata["year"] == 1806


def test_unreachable_hub_dataset_says_so(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import, so patch the constant
    reader = HubBookReader("storytracer/LoC-PD-Books", source="loc", limit=2)
    with pytest.raises(SourceUnavailable, match="cannot open Hub dataset 'storytracer/LoC-PD-Books'"):
        read_all(reader)


def test_hub_source_preflight_fails_fast_without_network(monkeypatch):
    import huggingface_hub.constants

    from pipelines.config import SourceSpec

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    why = SourceSpec(name="loc", format="hub", repo="storytracer/LoC-PD-Books").check_available()
    assert "storytracer/LoC-PD-Books" in why and "HF_HUB_OFFLINE" in why
