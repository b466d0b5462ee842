"""Exact dedup and repeated-paragraph removal stages, on small books written here; decisions are checked by id."""

from __future__ import annotations

import json

import pytest
from datatrove.data import Document
from dedup_util import read, write_input

from filters.pages import join_pages, split_pages
from pipelines.config import ExecutorConfig
from pipelines.dedup.apply import ApplyDedupDecisions
from pipelines.dedup.config import DedupSpec
from pipelines.dedup.records import write_decisions
from pipelines.dedup.stage import DedupStage

ADVERT = (
    "NEW BOOKS PUBLISHED BY MESSRS. SMITH, ELDER AND CO. The Works of Thackeray in twelve volumes, "
    "crown octavo, cloth, price five shillings each volume."
)
PREFACE = "This series of English classics is edited for the use of schools, with notes and an introduction each."


def book(i: int, pages: list[str], **meta) -> dict:
    text, offsets = join_pages(pages)
    return {"id": f"b{i}", "text": text, "metadata": {"page_offsets": offsets, "n_pages": len(pages), **meta}}


def story(i: int) -> str:
    return f"Chapter the first of story {'abcdefghijklmnop'[i]}. " + " ".join(f"w{i}x{k}" for k in range(60))


def test_exact_stage_drops_copies_that_differ_only_in_case_and_punctuation(tmp_path):
    text = "It was a dark and stormy night; the rain fell in torrents. " * 20
    docs = [
        {"id": "a", "text": text, "metadata": {"word_confidence": 0.5}},
        {"id": "b", "text": text.upper().replace(";", ","), "metadata": {"word_confidence": 0.9}},
        {"id": "c", "text": text + " The end.", "metadata": {"word_confidence": 0.99}},
        {"id": "d", "text": text, "metadata": {}},
    ]
    folder = write_input(tmp_path / "input", docs)
    res = DedupStage(DedupSpec(kind="exact"), folder, ExecutorConfig(tasks=2, workers=1), tmp_path / "stages").run()
    assert res.summary["dropped"] == {"exact_duplicate": 2} and res.summary["kept"]["documents"] == 2
    kept, excluded = read(res.folder / "output"), read(res.folder / "excluded")
    assert set(kept) == {"b", "c"} and kept["b"]["metadata"]["exact_cluster_size"] == 3
    assert {excluded[i]["metadata"]["exact_kept"] for i in ("a", "d")} == {"b"}
    raw = DedupStage(
        DedupSpec(kind="exact", normalize=False), folder, ExecutorConfig(tasks=2, workers=1), tmp_path / "s2"
    ).run()
    assert raw.summary["dropped"] == {"exact_duplicate": 1}  # only a and d are byte-identical


def test_paragraphs_in_enough_books_are_removed_and_page_offsets_stay_true(tmp_path):
    docs = []
    for i in range(12):  # the advert closes every book; the preface opens 9 of them (below min_books=10)
        first = f"{PREFACE}\n\n{story(i)}" if i < 9 else story(i)
        docs.append(book(i, [first, f"{story(i)} continued.\n\n  \n{ADVERT}", "THE END"]))
    docs.append(book(12, [ADVERT]))  # a book that is nothing but the advert
    folder = write_input(tmp_path / "input", docs)
    spec = DedupSpec(kind="repeated_paragraphs", min_books=10, min_chars=40, shards=2)
    res = DedupStage(spec, folder, ExecutorConfig(tasks=2, workers=1), tmp_path / "stages").run()
    s = res.summary
    assert s["dropped"] == {"only_repeated_paragraphs": 1} and s["kept"]["documents"] == 12
    assert s["details"]["paragraphs_removed"] == 13 and s["details"]["counts.repeated_paragraphs"] == 1
    kept = read(res.folder / "output")
    for i in range(12):
        d = kept[f"b{i}"]
        pages = split_pages(d["text"], d["metadata"]["page_offsets"])
        first = f"{PREFACE}\n\n{story(i)}" if i < 9 else story(i)
        assert pages == [first, f"{story(i)} continued.", "THE END"] and d["metadata"]["n_pages"] == 3
        assert d["metadata"]["repeated_paragraphs_removed"] == 1
    assert read(res.folder / "excluded")["b12"]["metadata"]["filter_reason"] == "only_repeated_paragraphs"
    removed = [json.loads(line) for f in (res.folder / "removed_paragraphs").glob("*.jsonl") for line in open(f)]
    assert {r["text"] for r in removed} == {ADVERT} and {r["books"] for r in removed} == {13}


def test_apply_step_refuses_decisions_made_for_other_books(tmp_path):
    from datatrove.io import get_datafolder

    write_decisions(get_datafolder(str(tmp_path)), {0: [{"i": 0, "id": "x", "cluster": 0, "size": 2}]}, 1)
    step = ApplyDedupDecisions(str(tmp_path), "minhash")
    with pytest.raises(RuntimeError, match="book #0 of this task is 'y' but the signature step saw 'x'"):
        list(step.run(iter([Document(text="t", id="y")]), rank=0, world_size=1))


STAGES = [DedupSpec(kind="minhash", num_buckets=8), DedupSpec(kind="exact"), DedupSpec(kind="repeated_paragraphs")]


@pytest.mark.parametrize("spec", STAGES, ids=lambda s: s.kind)
def test_stages_finish_when_tasks_or_the_whole_input_have_no_books(tmp_path, spec):
    text = "a book long enough to have shingles, told twice over for the test " * 20
    docs = [{"id": "a", "text": text}, {"id": "b", "text": text}]
    fewer = write_input(tmp_path / "two_files", docs, files=2)  # three tasks, two files: task 2 reads nothing
    res = DedupStage(spec, fewer, ExecutorConfig(tasks=3, workers=1), tmp_path / "stages").run()
    assert res.summary["in"]["documents"] == 2 and res.summary["unaccounted"] == 0
    assert res.summary["kept"]["documents"] == (2 if spec.kind == "repeated_paragraphs" else 1)
    (tmp_path / "empty/output").mkdir(parents=True)  # every book was dropped before this stage
    res = DedupStage(spec, tmp_path / "empty", ExecutorConfig(tasks=2, workers=1), tmp_path / "stages").run()
    assert res.summary["in"]["documents"] == 0 and res.summary["kept"]["documents"] == 0
    assert (res.folder / "manifest.json").exists() and (res.folder / "output").is_dir()
