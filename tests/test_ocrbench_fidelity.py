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
