"""The ``reocr`` block on the quickstart's old_books (the library's existing Tesseract text): true CER against the
page gold before and after, on the pages that have an image.

    python bench/reocr_old_books.py --benchmark runs/ocrbench/ocr_images [--threshold 0.1] [--threshold 0.05]

Books are read as the quickstart reads them (text reader, pages a006.tess.txt ... of book "a"); the block re-reads
pages whose estimated CER is above the threshold with the engine the benchmark found best for the book's language,
finding images in ../shared/data/ocr_images/en_oldbooks/<book>/<page>.png (40 of the 322 pages have one). CER is
normalised (``ablations/ocrbench/normalize.py`` defaults) and pooled over pages.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--benchmark", required=True, help="a finished ocr-bench folder")
    p.add_argument("--threshold", type=float, action="append", help="estimated CER thresholds (repeatable)")
    p.add_argument("--data", default=os.environ.get("FINEBOOKS_SHARED_DATA", "../shared/data"))
    args = p.parse_args()
    from ablations.ocrbench.metrics import char_errors
    from ablations.ocrbench.normalize import Normalization, normalize
    from filters.pages import split_pages
    from pipelines.ocr.reocr import ReOcr
    from pipelines.readers.text import TextBookReader

    data = Path(args.data)
    old = data / "ocr_pages/old_books"
    images = data / "ocr_images/en_oldbooks"
    norm = Normalization()
    for threshold in args.threshold or [0.1]:
        reader = TextBookReader(
            str(old / "tesseract_otsu_txt"), glob_pattern="*.txt", book_pattern=r"^([a-z]+)\d+", source="old_books"
        )
        block = ReOcr(
            image_root=str(images),
            images="{book}/{page_stem}.png",
            threshold=threshold,
            benchmark=args.benchmark,
            existing_system="existing-tesseract",
        )
        start = time.perf_counter()
        docs = list(block.run(reader.run()))
        seconds = time.perf_counter() - start
        totals = {k: [0, 0] for k in ("with_image_before", "with_image_after", "all_before", "all_after")}
        worse = better = 0
        for doc in docs:
            before_pages = {r["page"] for r in doc.metadata.get("reocr", []) if r["kept"] == "reocr"}
            pages = split_pages(doc.text, doc.metadata["page_offsets"])
            for i, (page, file) in enumerate(zip(pages, doc.metadata["page_files"], strict=True)):
                stem = file.split(".")[0]
                gold = normalize((old / "groundtruth" / f"{stem}.txt").read_text(encoding="utf-8"), norm)
                orig = (old / "tesseract_otsu_txt" / file).read_text(encoding="utf-8")
                e_before, n = char_errors(gold, normalize(orig, norm))
                e_after, _ = char_errors(gold, normalize(page, norm)) if i in before_pages else (e_before, n)
                if i in before_pages:
                    worse += e_after > e_before
                    better += e_after < e_before
                keys = ["all"] + (["with_image"] if (images / doc.id.split("/")[-1] / f"{stem}.png").is_file() else [])
                for key in keys:
                    totals[f"{key}_before"][0] += e_before
                    totals[f"{key}_after"][0] += e_after
                    totals[f"{key}_before"][1] += n
                    totals[f"{key}_after"][1] += n
        stats = {k: v.total for k, v in block.stats.stats.items() if k.startswith("pages")}
        rate = {k: 100 * e / n for k, (e, n) in totals.items()}
        print(f"threshold {threshold}: {stats} in {seconds:.0f} s")
        print(f"  replaced pages truly better: {better}, truly worse: {worse} (by the gold)")
        print(
            "  true CER, pages with an image: {with_image_before:.2f}% -> {with_image_after:.2f}%; "
            "all pages: {all_before:.2f}% -> {all_after:.2f}%".format(**rate)
        )


if __name__ == "__main__":
    main()
