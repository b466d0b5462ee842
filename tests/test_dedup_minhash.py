"""The minhash dedup stage end to end on real books: OCR vs gold pairs, survivor choice, containment, resume."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from dedup_util import read, write_input

from pipelines.config import ExecutorConfig
from pipelines.dedup.config import DedupSpec
from pipelines.dedup.stage import DedupStage

REPO = Path(__file__).resolve().parents[1]
ICDAR_DOCS = [1, 2, 3, 4, 5, 6, 100, 200]
SMALL = {"num_buckets": 16, "hashes_per_bucket": 2, "containment_shards": 2}  # 32 values: quick, still accurate


def icdar_pair(shared_data: Path, n: int) -> tuple[str, str]:
    """Raw OCR and gold text (alignment gaps and no-gold marks deleted) of an ICDAR2017 English monograph."""
    path = shared_data / f"ocr_gold/icdar2017/Full_12M/eng_monograph/{n}.txt"
    ocr, _, gold = path.read_text(encoding="utf-8").split("\n")[:3]
    gold = gold.removeprefix("[ GS_aligned] ").replace("@", "").replace("#", "")
    return ocr.removeprefix("[OCR_toInput] "), gold


@pytest.fixture
def corpus(tmp_path: Path, shared_data: Path) -> Path:
    docs = []
    for n in ICDAR_DOCS:  # the raw OCR first, with a worse word confidence than the gold text
        ocr, gold = icdar_pair(shared_data, n)
        docs.append({"id": f"icdar/{n}/ocr", "text": ocr, "metadata": {"word_confidence": 0.7}})
        docs.append({"id": f"icdar/{n}/gold", "text": gold, "metadata": {"word_confidence": 0.95}})
    poe = shared_data / "clean_books/gutenberg/Poe, Edgar Allan"
    for name in ("The Fall of the House of Usher", "The Works of Edgar Allan Poe — Volume 2"):
        docs.append({"id": f"poe/{name}", "text": (poe / f"{name}.txt").read_text(encoding="utf-8")})
    return write_input(tmp_path / "input", docs)


@pytest.mark.slow
def test_ocr_and_gold_copies_cluster_and_the_best_quality_copy_is_kept(tmp_path, corpus):
    res = DedupStage(
        DedupSpec(kind="minhash", **SMALL), corpus, ExecutorConfig(tasks=2, workers=1), tmp_path / "stages"
    ).run()
    s = res.summary
    assert s["in"]["documents"] == 18 and s["dropped"] == {"near_duplicate": 8}
    assert s["kept"]["documents"] == 10 and s["unaccounted"] == 0
    kept, excluded = read(res.folder / "output"), read(res.folder / "excluded")
    assert set(kept) == {f"icdar/{n}/gold" for n in ICDAR_DOCS} | {
        "poe/The Fall of the House of Usher",
        "poe/The Works of Edgar Allan Poe — Volume 2",
    }
    for n in ICDAR_DOCS:
        gold, ocr = kept[f"icdar/{n}/gold"]["metadata"], excluded[f"icdar/{n}/ocr"]["metadata"]
        assert gold["minhash_cluster"] == ocr["minhash_cluster"] >= 0 and gold["minhash_cluster_size"] == 2
        assert ocr["filter_reason"] == "near_duplicate" and ocr["minhash_kept"] == f"icdar/{n}/gold"
    assert kept["poe/The Fall of the House of Usher"]["metadata"]["minhash_cluster"] == -1
    clusters = [json.loads(line) for line in (res.folder / "clusters.jsonl").read_text().splitlines()]
    assert len(clusters) == 8 and all(c["kept"].endswith("/gold") and c["quality"] == [0.7, 0.95] for c in clusters)
    # the tale inside the collected works is reported, not dropped
    report = [json.loads(line) for line in (res.folder / "containment.jsonl").read_text().splitlines()]
    assert report[0]["contained"] == "poe/The Fall of the House of Usher"
    assert report[0]["container"] == "poe/The Works of Edgar Allan Poe — Volume 2"
    assert report[0]["containment"] > 0.9 and report[0]["dropped"] is False
    assert all(r["containment"] >= 0.7 for r in report)


@pytest.mark.slow
def test_keep_first_lower_is_better_and_containment_drop(tmp_path, corpus):
    spec = DedupSpec(kind="minhash", **SMALL, containment="drop", quality_higher_is_better=False)
    res = DedupStage(spec, corpus, ExecutorConfig(tasks=2, workers=1), tmp_path / "stages").run()
    assert res.summary["dropped"] == {"near_duplicate": 8, "contained": 1}
    kept, excluded = read(res.folder / "output"), read(res.folder / "excluded")
    assert {k for k in kept if k.startswith("icdar/")} == {f"icdar/{n}/ocr" for n in ICDAR_DOCS}  # 0.7 < 0.95
    usher = excluded["poe/The Fall of the House of Usher"]["metadata"]
    assert usher["filter_reason"] == "contained" and usher["minhash_containment"] > 0.9
    assert usher["minhash_contained_in"] == "poe/The Works of Edgar Allan Poe — Volume 2"
    first = DedupStage(
        DedupSpec(kind="minhash", **SMALL, keep="first"),
        corpus,
        ExecutorConfig(tasks=2, workers=1),
        tmp_path / "stages",
    ).run()
    kept = read(first.folder / "output")
    assert {k for k in kept if k.startswith("icdar/")} == {f"icdar/{n}/ocr" for n in ICDAR_DOCS}  # input order


@pytest.mark.slow
def test_finished_stage_is_reused_and_an_interrupted_one_resumes_task_by_task(tmp_path, corpus):
    spec, executor = DedupSpec(kind="minhash", **SMALL), ExecutorConfig(tasks=2, workers=1)
    first = DedupStage(spec, corpus, executor, tmp_path / "stages").run()
    expected = read(first.folder / "output")
    assert DedupStage(spec, corpus, executor, tmp_path / "stages").run().reused
    # as if killed while writing task 1 of the last step: no manifest, no completion marker, a partial output
    folder = first.folder
    (folder / "manifest.json").unlink()
    (folder / "logs/apply/completions/00001").unlink()
    with gzip.open(folder / "output/00001.jsonl.gz", "wt") as f:
        f.write('{"id": "half-written", "text": "x"}\n')
    shared = DedupStage(spec, corpus, executor, tmp_path / "stages").shared.folder  # signatures, buckets
    signatures_done = (shared / "logs/signatures/completions/00000").stat().st_mtime_ns
    again = DedupStage(spec, corpus, executor, tmp_path / "stages").run()
    assert not again.reused and again.folder == folder
    assert read(folder / "output") == expected
    assert (shared / "logs/signatures/completions/00000").stat().st_mtime_ns == signatures_done  # not redone


@pytest.mark.slow
def test_recipe_dedup_section_runs_after_the_process_stage_from_the_command_line(tmp_path, shared_data):
    books = tmp_path / "books"
    books.mkdir()
    for n in ICDAR_DOCS[:4]:
        ocr, gold = icdar_pair(shared_data, n)
        (books / f"{n}_ocr.txt").write_text(ocr)
        (books / f"{n}_gold.txt").write_text(gold)
    (books / "1_copy.txt").write_text(icdar_pair(shared_data, 1)[0])  # byte-identical to 1_ocr
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"experiment: {{name: d, output_dir: {tmp_path / 'runs'}}}\n"
        f"data: {{sources: [{{name: icdar, format: text, path: {books}}}]}}\n"
        "filter: [{block: book_length, params: {min_words: 10}}]\n"
        "dedup:\n  - {kind: exact, keep: first}\n  - {kind: minhash, num_buckets: 16, containment: 'off'}\n"
        "executor: {tasks: 2, workers: 1}\n"
    )
    cmd = [sys.executable, str(REPO / "run_ablation.py"), str(recipe), "--stage", "process"]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "dropped by exact: exact_duplicate 1" in res.stdout and "dropped by minhash: near_duplicate 4" in res.stdout
    summary = json.loads((tmp_path / "runs/d/summary.json").read_text())
    docs = summary["documents"]
    assert docs["in"]["documents"] == 9 and docs["kept"]["documents"] == 4 and docs["unaccounted"] == 0
    assert [s["stage"] for s in docs["stages"]] == ["process", "dedup exact", "dedup minhash"]
    final = Path(summary["output"])
    assert final.parent.name.startswith("dedup-minhash-") and len(read(final)) == 4
    names = {k: Path(s["folder"]).name for k, s in summary["stages"].items()}  # each stage under its own name
    assert list(names) == ["process", "dedup exact", "dedup minhash"]
    assert names["process"].startswith("process-") and names["dedup exact"].startswith("dedup-exact-")
    assert f"  stage process: {final.parent.parent / names['process']}\n" in res.stdout  # was the dedup folder
    assert f"  stage dedup minhash: {final.parent}\n" in res.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert again.returncode == 0 and "(reused)" in again.stdout
