"""Train the CER estimator (``ocr_cer_estimate``) on OCR text with gold, and write the model with its record.

    OLD_BOOKS=../shared/data/ocr_pages/old_books
    python -m filters.signals.train_cer \\
        --gold icdar:../shared/data/ocr_gold/icdar2019/evaluation_4M_without_Finnish \\
        --gold icdar:../shared/data/ocr_gold/icdar2017/Full_12M \\
        --gold ght:../shared/data/ocr_gold/ght/guten_ht_low_dev.tsv \\
        --gold pages:$OLD_BOOKS/tesseract_otsu_txt,$OLD_BOOKS/groundtruth \\
        --out ~/.cache/finebooks/models/cer-estimator.npz

``--gold`` (repeatable) is ``icdar:FOLDER`` (ICDAR2017/2019 post-OCR files), ``ght:FILE.tsv`` (GHT sentence pairs,
joined into pieces of ``--piece-chars``) or ``pages:OCR_FOLDER,GOLD_FOLDER`` (page OCR and page gold with the same
file stem); see ``filters.signals.cer_gold``. The gold text of every page is also a training page, with CER 0
(``--no-gold-pages`` to leave it out), so the model learns the spelling of correct text of the period.
The model file (default: where ``ocr_cer_estimate`` looks,
``$FINEBOOKS_CACHE/models/cer-estimator.npz``) holds its training record, also written as ``<file>.json``:
sources with pages per collection and skips, languages detected, features, parameters, seed, package versions,
in-sample mean absolute error. The same data and seed give the same model.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from filters.model_file import training_stamp
from filters.signals.cer_estimate import default_model
from filters.signals.cer_gold import GoldPage, GoldSourceError, read_gold

PACKAGES = ("scikit-learn", "wordfreq", "py3langid", "numpy")


def read_sources(specs: list[str], piece_chars: int, gold_pages: bool = True) -> tuple[list[GoldPage], list[dict]]:
    """Every source's pages, and a record per source (pages per collection, skips), printed as read."""
    pages: list[GoldPage] = []
    records = []
    for spec in specs:
        skipped: Counter = Counter()
        try:
            got = read_gold(spec, piece_chars, skipped, gold_pages)
        except OSError as e:
            raise GoldSourceError(f"gold source {spec!r}: cannot read it ({e})") from e
        collections = Counter(p.collection for p in got)
        records.append({"source": spec, "pages": len(got), "collections": dict(sorted(collections.items())),
                        "skipped": dict(sorted(skipped.items()))})  # fmt: skip
        skips = ", ".join(f"{n} {why}" for why, n in sorted(skipped.items())) or "none"
        print(f"{spec}: {len(got)} pages in {len(collections)} collections; skipped: {skips}", flush=True)
        pages += got
    return pages, records


def featurize_with_progress(pages: list[GoldPage], every: int = 500):
    """``cer_model.featurize`` in slices, printing how far it got."""
    import numpy as np

    from filters.signals.cer_features import PageFeatures
    from filters.signals.cer_model import featurize

    extractor = PageFeatures()
    rows, langs = [], []
    t0 = time.time()
    for start in range(0, len(pages), every):
        r, lg = featurize(pages[start : start + every], extractor)
        rows.append(r)
        langs += lg
        done = start + len(lg)
        print(f"features: {done}/{len(pages)} pages ({time.time() - t0:.0f} s)", flush=True)
    return np.vstack(rows), langs


def train(  # noqa: PLR0913 (the command's options)
    specs: list[str],
    out: str,
    seed: int = 0,
    piece_chars: int = 1500,
    threads: int | None = None,
    gold_pages: bool = True,
) -> dict:
    """Read, featurize, fit and save; return the training record (with the file's sha256)."""
    import numpy as np

    from filters.signals.cer_features import FEATURES
    from filters.signals.cer_model import PARAMS, fit

    t0 = time.time()
    pages, sources = read_sources(specs, piece_chars, gold_pages)
    rows, langs = featurize_with_progress(pages)
    cer = [p.cer for p in pages]
    print(f"fitting on {len(pages)} pages ...", flush=True)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="openmp"):  # None: every core
        model = fit(rows, cer, [p.collection for p in pages], seed=seed, sides=[p.side for p in pages])
    mae = float(np.mean(np.abs(model.predict(rows) - np.clip(cer, 0.0, 1.0))))
    model.record = {
        "sources": sources,
        "pages": len(pages),
        "languages": dict(Counter(langs).most_common()),
        "features": list(FEATURES),
        "params": dict(PARAMS),
        "seed": seed,
        "piece_chars": piece_chars,
        "gold_pages": gold_pages,
        "in_sample_mae": round(mae, 5),
        **training_stamp(t0, PACKAGES),
    }
    digest = model.save(out)
    print(f"in-sample MAE {mae:.4f}; model: {out} (sha256 {digest[:12]}, record {out}.json)")
    return {**model.record, "sha256": digest}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", action="append", required=True, help="KIND:PATH OCR/gold source (repeatable)")
    parser.add_argument("--out", default=default_model(), help="model file (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--piece-chars", type=int, default=1500, help="characters per GHT piece")
    parser.add_argument("--threads", type=int, help="threads for fitting (default: every core; 1 on a busy machine)")
    parser.add_argument(
        "--no-gold-pages", dest="gold_pages", action="store_false",
        help="train on the OCR pages only (default: each page's gold text is also a page of CER 0)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        train(args.gold, args.out, args.seed, args.piece_chars, args.threads, args.gold_pages)
    except (GoldSourceError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
