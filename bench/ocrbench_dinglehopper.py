"""Our raw CER and WER against the ``dinglehopper`` package on every (gold, output) pair of a finished OCR benchmark.

    python bench/ocrbench_dinglehopper.py runs/ocrbench/ocr_images [--limit N]

Reads results.parquet and the cached outputs, writes each (gold, output) pair to two text files and reads them back
with dinglehopper's own file reader (``plain_extract``, what its command line does), then recomputes each page's raw
CER with its ``character_error_rate_n`` and raw WER with its word segmentation (``words_normalized`` + its list WER),
and prints the largest difference in percentage points and the pooled figures of both.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bench_dir", type=Path)
    p.add_argument("--limit", type=int, default=-1, help="pages per system (default: all)")
    args = p.parse_args()
    from dinglehopper.character_error_rate import character_error_rate_n
    from dinglehopper.ocr_files import plain_extract
    from dinglehopper.word_error_rate import word_error_rate_n, words_normalized

    df = pd.read_parquet(args.bench_dir / "results.parquet")
    summary = json.loads((args.bench_dir / "summary.json").read_text())
    gold_dir = args.bench_dir / "pairs" / "gold"
    from ablations.ocrbench.pairs import flat_name

    worst_cer = worst_wer = 0.0
    pooled = {"ours_cer": [0, 0], "ding_cer": [0.0, 0], "ours_wer": [0, 0], "ding_wer": [0.0, 0]}
    start, pairs, pua_pages = time.perf_counter(), 0, 0
    for system, part in df[~df.failed].groupby("system"):
        folder = args.bench_dir / summary["systems"][system]["folder"] / "pages"
        rows = part if args.limit < 0 else part.head(args.limit)
        for row in rows.itertuples():
            gold = (gold_dir / f"{flat_name(row.page)}.txt").read_text(encoding="utf-8")
            text = json.loads((folder / f"{row.page}.json").read_text(encoding="utf-8"))["text"]
            gold, text = (_as_file(t, plain_extract) for t in (gold, text))
            cer, n = character_error_rate_n(gold, text)
            wer, wn = word_error_rate_n(list(words_normalized(gold)), list(words_normalized(text)))
            ours_cer = row.cer_raw_errors / row.cer_raw_n
            ours_wer = row.wer_raw_errors / row.wer_raw_n if row.wer_raw_n else 0.0
            worst_cer = max(worst_cer, abs(ours_cer - cer) * 100)
            if any(0xE000 <= ord(c) <= 0xF8FF for c in gold.text + text.text):
                pua_pages += 1  # dinglehopper splits words at private-use characters (see metrics.py); CER unaffected
            else:
                worst_wer = max(worst_wer, abs(ours_wer - wer) * 100)
            for key, (e, m) in {
                "ours_cer": (row.cer_raw_errors, row.cer_raw_n),
                "ding_cer": (cer * n, n),
                "ours_wer": (row.wer_raw_errors, row.wer_raw_n),
                "ding_wer": (wer * wn, wn),
            }.items():
                pooled[key][0] += e
                pooled[key][1] += m
            pairs += 1
    rate = {k: 100 * e / m for k, (e, m) in pooled.items()}
    print(f"{pairs} pairs in {time.perf_counter() - start:.0f} s")
    print(f"largest |ours - dinglehopper| raw CER: {worst_cer:.4f} points")
    print(
        f"largest |ours - dinglehopper| raw WER: {worst_wer:.4f} points ({pua_pages} pages with private-use "
        "characters left out: dinglehopper 0.11 with uniseg 0.10 splits words at them)"
    )
    print(
        "pooled raw CER ours {ours_cer:.3f}% dinglehopper {ding_cer:.3f}%; raw WER ours {ours_wer:.3f}% "
        "dinglehopper {ding_wer:.3f}%".format(**rate)
    )


def _as_file(text: str, plain_extract):
    """``text`` as dinglehopper's command line reads it from a UTF-8 file."""
    with tempfile.NamedTemporaryFile("wb", suffix=".txt") as f:
        f.write(text.encode("utf-8"))
        f.flush()
        return plain_extract(f.name, encoding="utf-8-sig")


if __name__ == "__main__":
    main()
