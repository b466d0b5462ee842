"""Raw CER of the OCR benchmark against dinglehopper's command line on files with CR LF line ends and a UTF-8 BOM.

    python bench/ocrbench_crlf_bom.py [--out runs/ocrbench_crlf_bom] [--pages N]

Copies the en_oldbooks pages of ../shared/data/ocr_images (image, gold) and the library's Tesseract text of each
(ocr_pages/old_books/tesseract_otsu_txt) into OUT, gold and OCR rewritten as a Windows editor writes them (BOM, CR
LF), benchmarks the OCR as an ``existing`` system (no engine runs), runs ``dinglehopper GT_DIR OCR_DIR`` on the same
files and prints both pooled raw CERs and the largest per-page difference.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHARED = Path(os.environ.get("FINEBOOKS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def windows_copy(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    text = src.read_text(encoding="utf-8")
    target.write_bytes(b"\xef\xbb\xbf" + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))


def build(out: Path, pages: int) -> Path:
    """The file set: OUT/<stem>.png, OUT/gt/<stem>.txt, OUT/ocr/<stem>.txt, OUT/pages.csv."""
    listing = list(csv.DictReader(open(SHARED / "ocr_images" / "pages.csv", encoding="utf-8")))
    rows = [r for r in listing if r["set"] == "en_oldbooks"][: pages if pages > 0 else None]
    for r in rows:
        stem = Path(r["image"]).stem
        shutil.copy(SHARED / "ocr_images" / r["image"], out / f"{stem}.png")
        windows_copy(SHARED / "ocr_images" / r["gold"], out / "gt" / f"{stem}.txt")
        windows_copy(
            SHARED / "ocr_pages/old_books/tesseract_otsu_txt" / f"{stem}.tess.txt", out / "ocr" / f"{stem}.txt"
        )
    with open(out / "pages.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["set", "book", "image", "gold", "gold_format", "language", "script", "century"])
        for r in rows:
            stem = Path(r["image"]).stem
            writer.writerow(["crlf_bom", r["book"], f"{stem}.png", f"gt/{stem}.txt", "txt", "eng", r["script"], "19"])
    return out / "pages.csv"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path("runs/ocrbench_crlf_bom"))
    p.add_argument("--pages", type=int, default=-1, help="first N en_oldbooks pages (default: all 40)")
    args = p.parse_args()
    import run_ablation

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    listing = build(args.out, args.pages)
    config = {
        "name": "bench",
        "output_dir": str(args.out / "runs"),
        "gold": {"pages_csv": str(listing)},
        "systems": [{"id": "library", "engine": "existing", "path": str(args.out / "ocr"), "pattern": "{stem}.txt"}],
        "stats": {"bootstrap_samples": 200, "worst_pages": 0},
        "progress": False,
    }
    (args.out / "bench.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert run_ablation.main(["ocr-bench", str(args.out / "bench.yaml")]) == 0
    df = pd.read_parquet(args.out / "runs" / "bench" / "results.parquet")
    exe = Path(sys.executable).parent / "dinglehopper"
    reports = args.out / "dinglehopper"
    subprocess.run([str(exe), str(args.out / "gt"), str(args.out / "ocr"), "r", str(reports)], check=True)
    ding = {q.name.split(".")[0]: json.loads(q.read_text()) for q in reports.glob("*-r.json")}
    df["stem"] = df["page"].str.split("/").str[-1]
    df["ding_errors"] = [ding[s]["cer"] * ding[s]["n_characters"] for s in df["stem"]]
    df["ding_n"] = [ding[s]["n_characters"] for s in df["stem"]]
    worst = (df.cer_raw_errors / df.cer_raw_n - df.ding_errors / df.ding_n).abs().max() * 100
    print(f"{len(df)} pages, gold and OCR with a BOM and CR LF line ends")
    print(f"pooled raw CER ours {100 * df.cer_raw_errors.sum() / df.cer_raw_n.sum():.3f}%, dinglehopper CLI ", end="")
    print(f"{100 * df.ding_errors.sum() / df.ding_n.sum():.3f}%; largest page difference {worst:.4f} points")


if __name__ == "__main__":
    main()
