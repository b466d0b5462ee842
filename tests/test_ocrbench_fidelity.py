"""OCR benchmark tables that cannot mislead (issue #27 item 1), on real pages of ../shared/data: raw CER equal to
dinglehopper's command line on files with CR LF line ends and a BOM."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import run_ablation

OLD_OCR = "ocr_pages/old_books/tesseract_otsu_txt"
EN_PAGES = ("a006", "a013", "a014")


def windows_file(text: str, path: Path) -> None:
    """``text`` written as a Windows editor writes it: UTF-8 with a BOM, CR LF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


def windows_pages(shared: Path, root: Path, stems=EN_PAGES) -> Path:
    """en_oldbooks pages (image, gold) and the library's Tesseract text of each, gold and OCR rewritten with a BOM
    and CR LF; returns the pages.csv listing them (gold in ``gt/``, OCR in ``ocr/``, same file names)."""
    src = shared / "ocr_images" / "en_oldbooks" / "a"
    rows = []
    for stem in stems:
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / f"{stem}.png", root / f"{stem}.png")
        windows_file((src / f"{stem}.txt").read_text(encoding="utf-8"), root / "gt" / f"{stem}.txt")
        windows_file((shared / OLD_OCR / f"{stem}.tess.txt").read_text(encoding="utf-8"), root / "ocr" / f"{stem}.txt")
        rows.append({"set": "win", "book": "a", "image": f"{stem}.png", "gold": f"gt/{stem}.txt", "language": "eng"})
    with open(root / "pages.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root / "pages.csv"


def existing_config(listing: Path, out: Path, ocr: Path) -> dict:
    return {
        "name": "win",
        "output_dir": str(out),
        "gold": {"pages_csv": str(listing)},
        "systems": [{"id": "library", "engine": "existing", "path": str(ocr), "pattern": "{stem}.txt"}],
        "stats": {"bootstrap_samples": 100, "worst_pages": 0},
        "progress": False,
    }


def dinglehopper_cli(gt: Path, ocr: Path, reports: Path) -> dict[str, dict]:
    """dinglehopper's command line on two folders of files with the same names: {file: its JSON report}."""
    exe = Path(sys.executable).parent / "dinglehopper"
    subprocess.run([str(exe), str(gt), str(ocr), "report", str(reports)], check=True, capture_output=True)
    return {p.name.removesuffix("-report.json"): json.loads(p.read_text()) for p in reports.glob("*-report.json")}


def test_raw_cer_equals_dinglehopper_cli_on_files_with_crlf_and_bom(tmp_path, shared_data):
    root = tmp_path / "win"
    listing = windows_pages(shared_data, root)
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(existing_config(listing, tmp_path / "runs", root / "ocr")), encoding="utf-8")
    assert run_ablation.main(["ocr-bench", str(path)]) == 0
    df = pd.read_parquet(tmp_path / "runs" / "win" / "results.parquet").set_index("page")
    cli = dinglehopper_cli(root / "gt", root / "ocr", tmp_path / "reports")
    assert len(cli) == len(df) == 3
    for stem in EN_PAGES:
        row, report = df.loc[f"win/a/{stem}"], cli[f"{stem}.txt"]
        assert row.cer_raw_n == report["n_characters"] and row.wer_raw_n == report["n_words"]
        assert row.cer_raw_errors / row.cer_raw_n == report["cer"], stem
        assert row.wer_raw_errors / row.wer_raw_n == report["wer"], stem


def run_bench(tmp_path: Path, shared: Path, extra_systems=(), **changes) -> Path:
    """The BOM/CR LF pages benchmarked with the library's OCR and ``extra_systems``; returns the output folder."""
    root = tmp_path / "win"
    listing = windows_pages(shared, root)
    data = existing_config(listing, tmp_path / "runs", root / "ocr")
    data["systems"] += list(extra_systems)
    data.update(changes)
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert run_ablation.main(["ocr-bench", str(path)]) == 0
    return tmp_path / "runs" / "win"


def test_each_leaderboard_ranks_systems_on_the_same_pages(tmp_path, shared_data, capsys):
    # "gold" reads the gold itself (no error) on 2 of the 3 pages: it must not rank above "library" on 3 pages
    perfect = {
        "id": "gold",
        "engine": "existing",
        "path": str(tmp_path / "win" / "gt"),
        "pattern": "{stem}.txt",
        "scope": {"id": ["win/a/a006", "win/a/a013"]},
    }
    out = run_bench(tmp_path, shared_data, [perfect])
    boards = json.loads((out / "summary.json").read_text())["leaderboards"]
    assert [(b["pages"], [e["system"] for e in b["entries"]]) for b in boards] == [
        (3, ["library"]),
        (2, ["gold", "library"]),
    ]
    for board in boards:
        assert {e["pages"] for e in board["entries"]} == {board["pages"]}
    assert boards[1]["entries"][0]["cer_raw"]["value"] == 0.0
    report = (out / "report.md").read_text()
    assert "### 3 pages (win 3): 1 system(s)" in report and "### 2 pages (win 2): 2 system(s)" in report
    printed = capsys.readouterr().out
    assert "on the same 3 pages (win 3):" in printed and "on the same 2 pages (win 2):" in printed


def rows_for(system: str, language: str, errors: np.ndarray, lengths: np.ndarray, start: int) -> list[dict]:
    """Result rows of one system on pages ``start``... of one language (every metric with the same counts)."""
    counts = {f"{m}_{k}_{c}": 0 for m in ("cer", "wer", "bow") for k in ("raw", "norm") for c in ("errors", "n")}
    out = []
    for i, (e, n) in enumerate(zip(errors, lengths, strict=True)):
        row = {"system": system, "page": f"c/b/p{start + i}", "collection": "c", "book": "b", "century": "18"}
        row |= {"language": language, "script": "Fraktur", "failed": False, "error": None, "seconds": 1.0}
        out.append(row | {k: int(e if k.endswith("errors") else n) for k in counts})
    return out


def test_paired_comparisons_per_language_show_what_the_pooled_one_hides():
    from ablations.ocrbench.aggregate import summarize
    from ablations.ocrbench.config import StatsConfig

    rng = np.random.default_rng(3)
    lengths = rng.integers(800, 2000, size=30)
    good, bad = rng.binomial(lengths, 0.02), rng.binomial(lengths, 0.05)
    rows = rows_for("frk", "deu", good, lengths, 0) + rows_for("Fraktur", "deu", bad, lengths, 0)
    rows += rows_for("frk", "lat", bad, lengths, 100) + rows_for("Fraktur", "lat", good, lengths, 100)
    summary = summarize(pd.DataFrame(rows), StatsConfig(bootstrap_samples=500), {})
    (pooled,) = summary["paired"]
    assert pooled.pages == 60 and pooled.better is None  # the same errors both ways: undecided pooled
    by_language = {value: pairs[0] for value, pairs in summary["paired_groups"]["language"].items()}
    assert by_language["deu"].better == "frk" and by_language["lat"].better == "Fraktur"
    assert by_language["deu"].pages == by_language["lat"].pages == 30
    assert set(summary["paired_groups"]) == {"language"}  # one century, one script: the pooled comparison
    assert [(d["value"], d["better"], d["pooled"]) for d in summary["disagreements"]] == [
        ("deu", "frk", None),
        ("lat", "Fraktur", None),
    ]
    from ablations.ocrbench.report import disagreements_md, paired_md

    table = "\n".join(paired_md(summary["paired_groups"]["language"], "language"))
    assert "| language | a | b |" in table and "| deu | Fraktur | frk | 30 |" in table
    assert "- Fraktur vs frk: pooled undecided; language lat (30 pages): Fraktur better" in "\n".join(
        disagreements_md(summary["disagreements"])
    )


SILENT = [sys.executable, "-c", "pass", "{image}"]  # exits 0 and prints nothing: an empty output, not a failure


def test_missing_files_and_empty_outputs_are_counted_and_reported_never_fatal(tmp_path, shared_data, capsys):
    root = tmp_path / "win"
    windows_pages(shared_data, root, stems=("a006", "a013", "a014", "a015"))
    (root / "gt" / "a014.txt").unlink()
    (root / "a015.png").unlink()
    data = existing_config(root / "pages.csv", tmp_path / "runs", root / "ocr")
    data["systems"].append({"id": "silent", "engine": "command", "command": SILENT})
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert run_ablation.main(["ocr-bench", str(path)]) == 0
    out = tmp_path / "runs" / "win"
    summary = json.loads((out / "summary.json").read_text())
    assert [(s["page"], s["reason"]) for s in summary["skipped_pages"]] == [
        ("win/a/a014", "missing_gold"),
        ("win/a/a015", "missing_image"),
    ]
    assert summary["skipped"] == "skipped 2 (missing_gold 1, missing_image 1)"
    printed = capsys.readouterr().out
    assert "4 pages, 2 benchmarked, skipped 2 (missing_gold 1, missing_image 1)" in printed
    assert "silent: 2 pages (2 read now, 0 from the cache), 0 failed, 2 empty output" in printed
    df = pd.read_parquet(out / "results.parquet")
    assert df[df.system == "silent"]["empty"].all() and not df[df.system == "library"]["empty"].any()
    (board,) = summary["leaderboards"]
    assert {e["system"]: e["empty"] for e in board["entries"]} == {"library": 0, "silent": 2}
    assert summary["empty_outputs"] == [{"system": "silent", "page": f"win/a/{p}"} for p in ("a006", "a013")]
    report = (out / "report.md").read_text()
    assert "## Empty outputs" in report and "- silent `win/a/a006`" in report
    assert "- `win/a/a014`: missing_gold" in report and "- `win/a/a015`: missing_image" in report


def test_output_and_release_folders_are_checked_before_any_work(tmp_path, shared_data, capsys):
    root = tmp_path / "win"
    listing = windows_pages(shared_data, root, stems=("a006",))
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(existing_config(listing, tmp_path / "runs", root / "ocr")), encoding="utf-8")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    assert run_ablation.main(["ocr-bench", str(path), "--release", str(taken)]) == 4
    assert "is not a release folder" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # nothing was run, nothing written
    (tmp_path / "afile").write_text("x")
    bad = existing_config(listing, tmp_path / "afile" / "runs", root / "ocr")
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    assert run_ablation.main(["ocr-bench", str(path), "--check"]) == 2
    assert "output_dir:" in capsys.readouterr().err and (taken / "notes.txt").read_text() == "mine"


def test_timings_are_kept_per_run(tmp_path, shared_data):
    slow = {"id": "slow", "engine": "command", "command": [sys.executable, "-c", SLEEP, "{image}"]}
    out = run_bench(tmp_path, shared_data, [slow])
    first = json.loads((out / "summary.json").read_text())["timing"]["slow"]
    out = run_bench(tmp_path, shared_data, [slow])  # every page from the cache
    second = json.loads((out / "summary.json").read_text())["timing"]["slow"]
    assert [(r["pages_run"], r["pages_cached"]) for r in second["runs"]] == [(3, 0), (0, 3)]
    assert second["runs"][0] == first["this_run"] and first["this_run"]["wall_seconds"] >= 0.6
    assert second["engine_seconds"] == first["engine_seconds"] >= 0.6  # what reading the pages cost, kept
    assert second["this_run"]["wall_seconds"] < 0.6


SLEEP = "import sys, time; time.sleep(0.2); print(sys.argv[1])"


def test_folder_mode_reads_gold_in_a_gt_folder_beside_the_images(tmp_path, shared_data):
    from ablations.ocrbench.config import OcrBenchConfig
    from ablations.ocrbench.gold import find_pages, gold_text

    src = shared_data / "ocr_images" / "en_oldbooks" / "a"
    folder = tmp_path / "pages"
    layouts = (
        ("p0.png", "gt/p0.gt.txt"),
        ("book1/p1.png", "book1/gt/p1.gt.txt"),
        ("book2/images/p2.png", "book2/gt/p2.txt"),
    )
    for image, gold in layouts:
        (folder / image).parent.mkdir(parents=True, exist_ok=True)
        (folder / gold).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / "a006.png", folder / image)
        shutil.copy(src / "a006.txt", folder / gold)
    shutil.copy(src / "a013.png", folder / "book1" / "p3.png")  # no gold anywhere: a counted skip
    cfg = OcrBenchConfig.model_validate(existing_config(folder, tmp_path, folder) | {"gold": {"folder": str(folder)}})
    pages, missing = find_pages(cfg.gold)
    assert [(p.id, p.book, p.gold.relative_to(folder).as_posix()) for p in pages] == [
        ("pages/book1/p1", "book1", "book1/gt/p1.gt.txt"),
        ("pages/book2/p2", "book2", "book2/gt/p2.txt"),
        ("pages/p0", "", "gt/p0.gt.txt"),
    ]
    assert "massacres" in gold_text(pages[1])
    assert [(m["page"], m["reason"]) for m in missing] == [("pages/book1/p3", "missing_gold")]


def test_a_release_without_licences_warns(tmp_path, shared_data, capsys):
    root = tmp_path / "win"
    listing = windows_pages(shared_data, root, stems=("a006",))  # the listing has no licence column
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(existing_config(listing, tmp_path / "runs", root / "ocr")), encoding="utf-8")
    assert run_ablation.main(["ocr-bench", str(path), "--release", str(tmp_path / "release")]) == 0
    warning = "WARNING: 1 of 1 pages have no licence (collections: win)"
    assert warning in capsys.readouterr().err
    assert warning in (tmp_path / "runs" / "win" / "report.md").read_text()
    assert warning in (tmp_path / "release" / "README.md").read_text()
