"""Releases: Markdown text, Parquet rows and metadata columns, dataset card, hashes, reproduce, Hub push flag."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from ablations.publish import cli
from ablations.publish.card import card_recipe
from ablations.publish.markdown import to_markdown
from ablations.publish.release import COLUMNS, ReleaseError, book_row, sha256_file
from filters.pages import join_pages

REPO = Path(__file__).resolve().parents[1]


# ---------- Markdown ----------


def test_markdown_keeps_paragraphs_marks_headings_and_drops_page_separators() -> None:
    pages = [
        "CHAPTER I.\nIt was a dark and\nstormy night; the rain\n\nfell in tor-\nrents, except",
        "at occasional intervals.\n\nThe Second Part\n\nHe said so.",
        "37\n\nTHE END",
    ]
    text, offsets = join_pages(pages)
    md = to_markdown(text, offsets)
    assert "\f" not in md
    assert md.split("\n\n") == [
        "## CHAPTER I.",
        "It was a dark and stormy night; the rain",
        "fell in tor-rents, except at occasional intervals.",  # runs over the page break: no sentence end
        "## The Second Part",
        "He said so.",
        "37",  # a page number is not a heading
        "## THE END",
    ]


def test_markdown_page_ending_a_sentence_ends_the_paragraph_and_hash_is_escaped() -> None:
    text, offsets = join_pages(["the end of a sentence.", "# not a heading, said he, and went on"])
    assert to_markdown(text, offsets) == "the end of a sentence.\n\n\\# not a heading, said he, and went on"


def test_markdown_ordinary_lines_are_not_headings() -> None:
    md = to_markdown("The Lord said unto Moses, speak\n\nand the people listened to him")
    assert "##" not in md


# ---------- rows ----------


def test_book_row_fills_every_column_with_nulls_for_what_is_missing() -> None:
    row = book_row({"id": "s/b", "text": "Some text.", "metadata": {"source": "s"}})
    assert list(row) == list(COLUMNS)
    assert row["id"] == "s/b" and row["source"] == "s" and row["text"] == "Some text."
    assert all(row[c] is None for c in COLUMNS if c not in {"id", "source", "text"})


def test_book_row_reads_title_year_signals_and_dedup_clusters() -> None:
    meta = {
        "source": "hub",
        "title": "A History",
        "date": "printed 1752?",
        "language": "en",
        "n_pages": 3,
        "ocr_signals": {"dict_ratio": 0.91, "garbage_ratio": 0.02, "word_confidence": None},
        "word_confidence": 0.88,
        "cer": 0.05,
        "pages_dropped_fraction": 0.25,
        "minhash_cluster": 7,
        "minhash_cluster_size": 3,
        "exact_cluster": -1,
        "exact_cluster_size": 1,
    }
    row = book_row({"id": "hub/x", "text": "x", "metadata": meta})
    assert (row["title"], row["year"], row["language"], row["n_pages"]) == ("A History", 1752, "en", 3)
    assert (row["ocr_dict_ratio"], row["ocr_garbage_ratio"]) == (0.91, 0.02)
    assert row["ocr_word_confidence"] == 0.88  # the reader's value when no signal block measured it
    assert (row["ocr_cer"], row["pages_dropped_fraction"]) == (0.05, 0.25)
    assert (row["dedup_cluster"], row["dedup_cluster_size"]) == ("minhash:7", 3)


# ---------- a real release (one process run shared by the tests below) ----------


def release_recipe(tmp: Path, shared: Path) -> Path:
    """The same 10 books as Tesseract text and OCRopus hOCR (duplicates for minhash), 4 ICDAR documents (gold CER),
    a page-level OCR filter."""
    books = shared / "ocr_pages" / "old_books"
    cfg = f"""\
experiment: {{name: tinyrelease, output_dir: {tmp / "runs"}, seed: 0}}
data:
  sources:
    - {{name: tess, format: text, path: {books / "tesseract_otsu_txt"}, glob_pattern: "*.txt",
       book_pattern: '^([a-z]+)\\d+'}}
    - {{name: ocropus, format: hocr, path: {books / "ocropus_otsu_hocr"}, book_pattern: '^([a-z]+)\\d+'}}
    - {{name: icdar, format: icdar2017, path: {shared / "ocr_gold/icdar2017/Full_12M/eng_monograph"}, limit: 4}}
filter:
  - {{block: ocr_quality_filter, keep_dropped: true, params: {{level: page, min: {{dict_ratio: 0.9}}}}}}
dedup:
  - {{kind: minhash}}
executor: {{tasks: 2, workers: 1}}
tracking: {{wandb: disabled}}
"""
    path = tmp / "release.yaml"
    path.write_text(cfg)
    return path


@pytest.fixture(scope="module")
def released(tmp_path_factory, shared_data: Path) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("release")
    recipe = release_recipe(tmp, shared_data)
    out = tmp / "release"
    rc = cli.main(
        ["release", str(recipe), "--out", str(out), "--work", str(tmp / "stages"), "--license", "pddl"], REPO
    )
    assert rc == 0
    return recipe, out


@pytest.mark.slow
def test_release_loads_with_datasets_with_every_metadata_column(released, tmp_path) -> None:
    import datasets

    _, out = released
    ds = datasets.load_dataset(
        "parquet", data_files=str(out / "data" / "*.parquet"), split="train", cache_dir=str(tmp_path)
    )
    assert ds.column_names == list(COLUMNS)
    assert ds["id"] == sorted(ds["id"])  # rows in id order
    rows = {r["id"]: r for r in ds}
    assert {i.split("/")[0] for i in rows} == {"tess", "icdar"}  # each OCRopus copy is a near-duplicate of its scan
    assert all(r["language"] == "en" and r["ocr_dict_ratio"] is not None for r in rows.values())
    assert all(r["ocr_cer"] is not None for i, r in rows.items() if i.startswith("icdar/"))
    assert all(r["ocr_cer"] is None for i, r in rows.items() if i.startswith("tess/"))
    clustered = [r for r in rows.values() if r["dedup_cluster"]]
    assert clustered and all(
        r["dedup_cluster"].startswith("minhash:") and r["dedup_cluster_size"] >= 2 for r in clustered
    )
    assert any(r["pages_dropped_fraction"] for r in rows.values())  # the page-level filter dropped pages somewhere
    assert all("\f" not in r["text"] for r in rows.values())
    assert sum(r["text"].count("## ") for r in rows.values()) > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"] == len(ds) == manifest["processing"]["kept"]["documents"]
    assert manifest["processing"]["dropped"]["minhash"]["near_duplicate"] >= 1


@pytest.mark.slow
def test_release_manifest_hashes_every_parquet_file_and_card_states_recipe(released) -> None:
    recipe, out = released
    manifest = json.loads((out / "manifest.json").read_text())
    files = sorted(p.relative_to(out).as_posix() for p in (out / "data").glob("*.parquet"))
    assert [f["path"] for f in manifest["files"]] == files
    for f in manifest["files"]:
        assert sha256_file(out / f["path"]) == f["sha256"]
        meta = pq.ParquetFile(out / f["path"]).metadata
        assert meta.num_rows == f["rows"] and set(meta.metadata) == {b"ARROW:schema"}  # no pandas/timestamp metadata
    assert (out / "SHA256SUMS").read_text() == "".join(f"{f['sha256']}  {f['path']}\n" for f in manifest["files"])

    card = (out / "README.md").read_text()
    assert card.startswith("---\n")
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["license"] == "pddl" and front["language"] == ["en"] and front["size_categories"] == ["n<1K"]
    assert front["configs"][0]["data_files"][0]["path"] == "data/train-*.parquet"
    assert "original" in front["source_datasets"]
    stated = yaml.safe_load(card_recipe(card))
    assert stated == yaml.safe_load((out / "recipe.yaml").read_text())
    assert [b["id"] for b in stated["filter"]] == ["ocr_quality_filter"] and stated["dedup"][0]["kind"] == "minhash"
    assert "near_duplicate" in card and "too_few_pages_kept" in card  # the processing summary, with drop reasons


@pytest.mark.slow
def test_same_recipe_and_input_give_bit_identical_files_whatever_the_task_count(released, tmp_path) -> None:
    recipe, out = released
    again = tmp_path / "again"
    rc = cli.main(
        ["release", str(recipe), "--out", str(again), "--work", str(tmp_path / "st"), "--set", "executor.tasks=1"],
        REPO,
    )
    assert rc == 0
    assert (again / "SHA256SUMS").read_text() == (out / "SHA256SUMS").read_text()


@pytest.mark.slow
def test_reproduce_verifies_hashes_and_names_the_files_that_differ(released, tmp_path, capsys) -> None:
    _, out = released
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    assert cli.main(["reproduce", str(copy)], REPO) == 0
    assert "reproduced: every Parquet file is bit-identical" in capsys.readouterr().out

    # other input (one ICDAR document fewer): the rerun's file differs, and is named
    assert cli.main(["reproduce", str(copy), "--set", "data.sources.2.limit=3"], REPO) == 1
    report = capsys.readouterr().out
    assert "NOT reproduced" in report and "differs: data/train-00000-of-00001.parquet" in report

    # a release file changed after it was written
    path = copy / "data" / "train-00000-of-00001.parquet"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    assert cli.main(["reproduce", str(copy)], REPO) == 1
    assert "modified in the release folder since it was written: data/train-00000-of-00001.parquet" in (
        capsys.readouterr().out
    )


def test_reproduce_refuses_a_card_whose_recipe_disagrees_with_recipe_yaml(tmp_path, capsys) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"files": [], "inputs": {}, "layout": {}}))
    (tmp_path / "README.md").write_text("<!-- finebooks:recipe -->\n```yaml\nexperiment: {name: a}\n```\n")
    (tmp_path / "recipe.yaml").write_text("experiment: {name: b}\n")
    assert cli.main(["reproduce", str(tmp_path)], REPO) == 2
    assert "differ" in capsys.readouterr().err


# ---------- the Hub ----------


@pytest.mark.slow
def test_release_without_push_flag_never_touches_the_hub(released, tmp_path, monkeypatch) -> None:
    import huggingface_hub
    import huggingface_hub.constants

    class NoHub:
        def __init__(self, *a, **k):
            raise AssertionError("HfApi used without --push-to-hub")

    monkeypatch.setattr(huggingface_hub, "HfApi", NoHub)
    recipe, out = released
    args = ["release", str(recipe), "--out", str(tmp_path / "r"), "--work", str(tmp_path / "st")]
    assert cli.main(args, REPO) == 0


@pytest.mark.slow
def test_push_to_hub_offline_fails_clearly_after_writing_the_release(released, tmp_path, monkeypatch, capsys) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    recipe, out = released
    target = tmp_path / "r"
    args = ["release", str(recipe), "--out", str(target), "--work", str(tmp_path / "st")]
    assert cli.main([*args, "--push-to-hub", "someone/books"], REPO) == 4
    err = capsys.readouterr().err
    assert "cannot push to the Hub dataset 'someone/books': HF_HUB_OFFLINE is set" in err
    assert (target / "SHA256SUMS").read_text() == (out / "SHA256SUMS").read_text()  # the local release is complete


def test_push_to_hub_offline_raises_before_any_request(tmp_path, monkeypatch) -> None:
    import huggingface_hub.constants

    from ablations.publish.hub import push_to_hub

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ReleaseError, match="HF_HUB_OFFLINE is set"):
        push_to_hub(tmp_path, "someone/books")


def test_push_to_hub_creates_the_dataset_repo_and_uploads_the_folder(tmp_path, monkeypatch) -> None:
    import huggingface_hub
    import huggingface_hub.constants

    from ablations.publish.hub import push_to_hub

    calls = []

    class FakeApi:
        def __init__(self, token=None):
            calls.append(("init", token))

        def create_repo(self, repo_id, **kw):
            calls.append(("create_repo", repo_id, kw))

        def upload_folder(self, **kw):
            calls.append(("upload_folder", kw))
            url = "https://huggingface.co/datasets/someone/books/commit/1"
            return huggingface_hub.CommitInfo(commit_url=url, commit_message="m", commit_description="", oid="1")

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    assert (
        push_to_hub(tmp_path, "someone/books", private=True)
        == "https://huggingface.co/datasets/someone/books/commit/1"
    )
    assert calls[1] == ("create_repo", "someone/books", {"repo_type": "dataset", "private": True, "exist_ok": True})
    up = calls[2][1]
    assert (up["folder_path"], up["repo_id"], up["repo_type"]) == (str(tmp_path), "someone/books", "dataset")


def test_push_to_hub_failure_names_the_repo_and_what_to_check(tmp_path, monkeypatch) -> None:
    import huggingface_hub
    import huggingface_hub.constants

    from ablations.publish.hub import push_to_hub

    class Unauthorized:
        def __init__(self, token=None):
            pass

        def create_repo(self, repo_id, **kw):
            raise PermissionError("401 Unauthorized")

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub, "HfApi", Unauthorized)
    with pytest.raises(ReleaseError, match=r"push to the Hub dataset 'someone/books' failed: PermissionError: 401.*"
                       r"hf auth login"):  # fmt: skip
        push_to_hub(tmp_path, "someone/books")


def test_release_refuses_an_output_folder_that_is_not_a_release(tmp_path, shared_data, capsys) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    rc = cli.main(["release", str(release_recipe(tmp_path, shared_data)), "--out", str(out)], REPO)
    assert rc == 4 and "is not a release folder" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"
