"""filters/signals/calibrate.py on small real inputs: report, histograms, thresholds and a snippet a recipe accepts."""

from __future__ import annotations

import json

import pytest
import yaml

from filters.signals import calibrate
from pipelines.config import BlockSpec


def test_suggest_picks_the_threshold_where_raw_dominates_within_the_clean_budget():
    clean = [0.95, 0.96, 0.97, 0.98, 0.99] * 20 + [0.80]  # one odd clean document
    raw = [0.5, 0.6, 0.7, 0.85, 0.9, 0.97]
    s = calibrate.suggest(clean, raw, "low", max_clean_drop=0.02)
    assert s["kind"] == "min" and s["threshold"] == 0.95
    assert s["clean_dropped"] == pytest.approx(1 / 101) and s["raw_dropped"] == pytest.approx(5 / 6)
    high = calibrate.suggest([0.01, 0.02, 0.03] * 10, [0.02, 0.2, 0.3], "high", max_clean_drop=0.0)
    assert high == {"threshold": 0.03, "clean_dropped": 0.0, "raw_dropped": 2 / 3, "kind": "max"}


def test_calibrate_writes_report_histograms_and_a_valid_snippet(shared_data, tmp_path):
    out = tmp_path / "cal"
    code = calibrate.main(
        [
            "--clean", str(shared_data / "ocr_pages/old_books/groundtruth"),
            "--raw", str(shared_data / "ocr_pages/old_books/tesseract_otsu_txt"),
            "--signals", "dict_ratio,garbage_ratio",
            "--limit", "40",
            "--piece-words", "0",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    report = (out / "report.md").read_text()
    assert "| dict_ratio | 40 | 40 |" in report and "![garbage_ratio](garbage_ratio.png)" in report
    for sig in ("dict_ratio", "garbage_ratio"):
        assert (out / f"{sig}.png").read_bytes()[:4] == b"\x89PNG"
    rows = [json.loads(line) for line in (out / "values.jsonl").read_text().splitlines()]
    assert {r["side"] for r in rows} == {"clean", "raw"} and len(rows) == 80
    snippet = yaml.safe_load((out / "thresholds.yaml").read_text())
    spec = BlockSpec(**snippet["filter"][-1])
    assert spec.block == "ocr_quality_filter" and spec.params["level"] == "page"
    # gold page text is cleaner than its Tesseract OCR: the suggested minimum drops more raw than clean pages
    threshold = spec.params["min"]["dict_ratio"]
    clean = [r["dict_ratio"] for r in rows if r["side"] == "clean"]
    raw = [r["dict_ratio"] for r in rows if r["side"] == "raw"]
    assert sum(v < threshold for v in raw) > sum(v < threshold for v in clean)
    assert sum(v < threshold for v in clean) <= 0.02 * len(clean)


def test_unknown_signal_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit):
        calibrate.main(["--clean", str(tmp_path), "--raw", str(tmp_path), "--signals", "dict_ratoi"])
