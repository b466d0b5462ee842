"""The OCR benchmark end to end on real pages of ../shared/data/ocr_images: Tesseract, the existing library OCR and an
engine that fails, scored, summarised with intervals, reported and released."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import run_ablation
from ablations.ocrbench.config import OcrBenchConfig
from ablations.ocrbench.gold import GoldError, find_pages, list_pages
from ablations.ocrbench.stats import paired_difference, pooled_rate, rng_for
from ablations.recipe.loader import ConfigError, load_config

FAIL_ON = "a013"  # the failing engine fails on this page (one of the en_oldbooks pages)


def bench_config(shared: Path, out: Path, **changes) -> dict:
    data = {
        "name": "tiny",
        "output_dir": str(out),
        "gold": {
            "pages_csv": str(shared / "ocr_images" / "pages.csv"),
            "only": {"collection": ["en_oldbooks", "de_ocrd", "fr_18c"]},
            "limit_per_collection": 2,
        },
        "systems": [
            {"id": "tess", "engine": "tesseract", "models": {"eng": "eng", "deu": "frk", "fra": "fra"}},
            {
                "id": "existing",
                "engine": "existing",
                "path": str(shared / "ocr_pages" / "old_books" / "tesseract_otsu_txt"),
                "pattern": "{stem}.tess.txt",
                "scope": {"collection": ["en_oldbooks"]},
            },
            {
                "id": "flaky",
                "engine": "command",
                "command": [sys.executable, "-c", FLAKY, "{image}"],
                "scope": {"collection": ["en_oldbooks"]},
            },
        ],
        "stats": {"bootstrap_samples": 200, "worst_pages": 1},
        "progress": False,
    }
    data.update(changes)
    return data


# prints the image's file name (a poor OCR) and fails on one page
FLAKY = (
    "import sys, pathlib; p = pathlib.Path(sys.argv[1]); "
    f"sys.exit('cannot read ' + p.name) if p.stem == {FAIL_ON!r} else print(p.stem)"
)


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_pooled_rate_and_paired_difference():
    rng = np.random.default_rng(1)
    lengths = rng.integers(500, 3000, size=60)
    good = rng.binomial(lengths, 0.02)
    bad = rng.binomial(lengths, 0.05)
    r = pooled_rate(good, lengths, 1000, 0.95, rng_for(0, "x"))
    assert r.low < r.value < r.high and abs(r.value - good.sum() / lengths.sum()) < 1e-12
    assert r == pooled_rate(good, lengths, 1000, 0.95, rng_for(0, "x"))  # deterministic
    p = paired_difference("good", "bad", good, bad, lengths, 1000, 0.95, rng_for(0, "p"))
    assert p.better == "good" and p.high < 0 < -p.low
    same = paired_difference("a", "b", good, good, lengths, 1000, 0.95, rng_for(0, "p"))
    assert same.better is None and same.diff == 0
    assert pooled_rate(np.array([]), np.array([]), 100, 0.95, rng_for(0)).value is None


def test_gold_listing_errors_name_the_row(tmp_path, shared_data):
    rows = list(csv.DictReader(open(shared_data / "ocr_images" / "pages.csv", encoding="utf-8")))[:3]
    rows[1]["image"] = "fr_16c/nowhere.jpg"
    listing = tmp_path / "pages.csv"
    with open(listing, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cfg = OcrBenchConfig.model_validate(
        bench_config(shared_data, tmp_path)
        | {"gold": {"pages_csv": str(listing), "root": str(shared_data / "ocr_images")}}
    )
    pages, missing = find_pages(cfg.gold)  # a missing file is a counted skip naming the row, never fatal
    assert len(pages) == 2 and [(m["reason"], m["file"].endswith("nowhere.jpg")) for m in missing] == [
        ("missing_image", True)
    ]
    assert missing[0]["detail"].endswith("pages.csv:3: not found")
    rows[1]["image"] = ""
    with open(listing, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(GoldError, match=r"pages.csv:3: column\(s\) image empty or missing"):
        list_pages(cfg.gold)


def test_config_errors_name_file_line_and_key(tmp_path, shared_data):
    data = bench_config(shared_data, tmp_path)
    data["systems"][0]["psm_mode"] = 3
    path = write_config(tmp_path / "bench.yaml", data)
    with pytest.raises(ConfigError, match=r"bench.yaml:\d+: systems.0.psm_mode: unknown key"):
        load_config(path, OcrBenchConfig)
    assert run_ablation.main(["ocr-bench", str(path)]) == 2
    data = bench_config(shared_data, tmp_path)
    data["systems"][0]["models"]["eng"] = "klingon"
    path = write_config(tmp_path / "bench.yaml", data)
    assert run_ablation.main(["ocr-bench", str(path), "--check"]) == 3  # a missing model: before any page is run


@pytest.mark.slow
def test_benchmark_end_to_end(tmp_path, shared_data, capsys):
    path = write_config(tmp_path / "bench.yaml", bench_config(shared_data, tmp_path / "runs"))
    release = tmp_path / "release"
    assert run_ablation.main(["ocr-bench", str(path), "--release", str(release)]) == 0
    out = tmp_path / "runs" / "tiny"
    df = pd.read_parquet(out / "results.parquet")
    pages = df[df.system == "tess"]["page"].tolist()
    assert len(pages) == 6 and {p.split("/")[0] for p in pages} == {"en_oldbooks", "de_ocrd", "fr_18c"}
    # the systems with a scope ran only on it; the failed page is counted, never dropped
    assert set(df[df.system == "existing"]["page"]) == {p for p in pages if p.startswith("en_oldbooks")}
    flaky = df[df.system == "flaky"].set_index("page")
    failed = flaky[flaky.failed]
    assert len(flaky) == 2 and len(failed) == 1 and failed.index[0].endswith(FAIL_ON)
    assert "cannot read" in failed["error"].iloc[0]
    assert failed["cer_norm_errors"].iloc[0] == failed["cer_norm_n"].iloc[0] > 0  # an empty output: all wrong
    summary = json.loads((out / "summary.json").read_text())
    board: dict = {}
    for table in summary["leaderboards"]:  # each system on all its pages: the first (largest) table it is in
        for e in table["entries"]:
            board.setdefault(e["system"], e)
    assert board["flaky"]["failed"] == 1 and board["flaky"]["cer_norm"]["value"] > 0.9
    tess_en = df[(df.system == "tess") & df.page.str.startswith("en_oldbooks")]
    assert tess_en.cer_norm_errors.sum() / tess_en.cer_norm_n.sum() < 0.2  # Tesseract reads English c.1900 well
    pair = next(p for p in summary["paired"] if {p["a"], p["b"]} == {"existing", "flaky"})
    assert pair["pages"] == 2
    report = (out / "report.md").read_text()
    assert "## Leaderboard" in report and "| tess |" in report and "cannot read" in report
    assert (out / "plots" / "cer_by_century.png").stat().st_size > 1000
    # a second run reuses every output: no engine runs again and the results are identical
    shutil.rmtree(release)
    assert run_ablation.main(["ocr-bench", str(path), "--release", str(release)]) == 0
    assert pd.read_parquet(out / "results.parquet").equals(df)
    # the release: files listed with their hashes, deterministic, and a config that reruns the benchmark from it
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["pages"] == 6 and (release / "pages.csv").is_file()
    sums = (release / "SHA256SUMS").read_text()
    again = tmp_path / "release2"
    from ablations.ocrbench.release import write_release
    from ablations.ocrbench.run import read_golds

    cfg = load_config(path, OcrBenchConfig)
    listed = list_pages(cfg.gold)
    write_release(cfg, listed, read_golds(listed)[0], again, summary)
    assert (again / "SHA256SUMS").read_text() == sums
    card = (release / "README.md").read_text()
    assert "Sources and licences" in card and "PedroBarcha/old-books-dataset" in card
    rerun = load_config(release / "bench.yaml", OcrBenchConfig, [f"gold.pages_csv={release / 'pages.csv'}"])
    assert [s.id for s in rerun.systems] == ["tess", "flaky"]  # existing OCR is not part of the release
    assert [p.id for p in list_pages(rerun.gold)] == pages
    # every page read becomes a training pair for the CER estimator, named alike on both sides
    pairs = out / "pairs"
    assert len(list((pairs / "gold").glob("*.txt"))) == 6 and len(list((pairs / "tess").glob("*.txt"))) == 6
    assert len(list((pairs / "flaky").glob("*.txt"))) == 1  # not the failed page
    from filters.signals.train_cer import main as train_cer

    model = tmp_path / "cer.npz"
    gold = f"pages:{pairs / 'tess'},{pairs / 'gold'}"
    assert train_cer(["--gold", gold, "--out", str(model), "--threads", "1", "--no-gold-pages"]) == 0
    assert json.loads((tmp_path / "cer.npz.json").read_text())["pages"] == 6


def test_gold_from_a_folder_of_images_with_gold_beside_them(tmp_path, shared_data):
    """Folder mode: every image with a gold file of the same stem (.gt.txt, .txt or ALTO/PAGE .xml) is a page."""
    src = shared_data / "ocr_images"
    folder = tmp_path / "my_pages"
    (folder / "book1").mkdir(parents=True)
    shutil.copy(src / "en_oldbooks/a/a006.png", folder / "book1/p1.png")
    shutil.copy(src / "en_oldbooks/a/a006.txt", folder / "book1/p1.gt.txt")
    alto = next(iter(sorted((src / "fr_18c").rglob("*.xml"))))
    shutil.copy(alto.with_suffix(".png"), folder / "book1/p2.png")
    shutil.copy(alto, folder / "book1/p2.xml")
    cfg = OcrBenchConfig.model_validate(
        bench_config(shared_data, tmp_path) | {"gold": {"folder": str(folder), "language": "eng", "century": "19"}}
    )
    pages = list_pages(cfg.gold)
    assert [(p.id, p.gold_format, p.book, p.language) for p in pages] == [
        ("my_pages/book1/p1", "txt", "book1", "eng"),
        ("my_pages/book1/p2", "alto", "book1", "eng"),
    ]
    from ablations.ocrbench.gold import gold_text

    assert "massacres" in gold_text(pages[0]) and len(gold_text(pages[1])) > 200
    (folder / "book1/p3.png").write_bytes(b"")
    assert [(m["page"], m["reason"]) for m in find_pages(cfg.gold)[1]] == [("my_pages/book1/p3", "missing_gold")]
