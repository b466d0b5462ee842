"""The CER estimator on collections it has never seen: leave one ICDAR2019 subset out at a time.

    .venv/bin/python bench/cer_estimate.py [--data ../shared/data] [--out runs/bench/cer_estimate.json]

For each ICDAR2019 subset (``evaluation_4M_without_Finnish/<LANG>/<SUBSET>``), the estimator
(``filters.signals.cer_model``, default parameters, seed 0) is trained on every other ICDAR2019 subset plus ICDAR2017
(four sets), GHT (four splits) and the old_books pages (Tesseract text against page gold), and tested on the held-out
subset: Spearman with the true CER, mean absolute error on documents with true CER <= 30%, and the filter at
"estimated CER > 10%" (precision and recall at catching CER > 10%, share of documents with CER <= 10% dropped).
The existing training-free signals (``dict_ratio``, ``garbage_ratio``) and the default ``ocr_quality_filter`` are
scored on the same documents. Printed subsets are pooled; FR1 (medieval registers) and FR3 (shop receipts) are not
printed books and are reported apart. Then a model trained on all gold judges the clean books of
``clean_books`` (ecco_tcp, gutenberg) cut into pages: the share of books whose estimated CER is above 10%.
Each fold is appended to ``<out>.jsonl`` as it finishes; the summary goes to ``<out>`` and to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datatrove.data import Document  # noqa: E402

from filters.ocr_quality_filter import OcrQualityFilter  # noqa: E402
from filters.signals.calibrate import pieces  # noqa: E402
from filters.signals.cer_features import PageFeatures  # noqa: E402
from filters.signals.cer_gold import read_gold  # noqa: E402
from filters.signals.cer_model import detect, featurize, fit, resource_language  # noqa: E402
from filters.signals.goldtext import read_texts  # noqa: E402

NOT_BOOKS = ("FR1", "FR3")
BAD = 0.10


def sources(data: Path) -> tuple[list[str], list[str]]:
    """(ICDAR2019 subset sources, the other gold sources)."""
    root = data / "ocr_gold" / "icdar2019" / "evaluation_4M_without_Finnish"
    held = [f"icdar:{p}" for p in sorted(root.glob("*/*")) if p.is_dir()]
    i17 = data / "ocr_gold" / "icdar2017" / "Full_12M"
    other = [f"icdar:{i17 / s}" for s in ("eng_monograph", "fr_monograph", "eng_periodical", "fr_periodical")]
    ght = data / "ocr_gold" / "ght"
    other += [f"ght:{ght / f}" for f in ("guten_ht_high_dev.tsv", "guten_ht_low_dev.tsv")]
    other += [f"ght:{ght / f}" for f in ("guten_ht_high_test.tsv", "guten_ht_low_test.tsv")]
    books = data / "ocr_pages" / "old_books"
    other.append(f"pages:{books / 'tesseract_otsu_txt'},{books / 'groundtruth'}")
    return held, other


def baseline(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dict_ratio, garbage_ratio and the default filter's drop decision (book level) of each text."""
    flt = OcrQualityFilter()
    dr, gr, drop = [], [], []
    for i, text in enumerate(texts):
        doc = Document(text=text, id=str(i), metadata={})
        drop.append(flt.filter(doc) is not True)
        signals = doc.metadata.get("ocr_signals", {})
        dr.append(np.nan if signals.get("dict_ratio") is None else signals["dict_ratio"])
        gr.append(np.nan if signals.get("garbage_ratio") is None else signals["garbage_ratio"])
    return np.array(dr), np.array(gr), np.array(drop)


def rho(x: np.ndarray, y: np.ndarray) -> float | None:
    ok = ~np.isnan(x)
    if ok.sum() < 10 or np.ptp(x[ok]) == 0:
        return None
    return round(float(spearmanr(x[ok], y[ok]).statistic), 3)


def filter_scores(drop: np.ndarray, cer: np.ndarray) -> dict:
    bad = cer > BAD
    tp = int((drop & bad).sum())
    return {
        "precision": round(tp / drop.sum(), 3) if drop.sum() else None,
        "recall": round(tp / bad.sum(), 3) if bad.sum() else None,
        "good_dropped": round(float(drop[~bad].mean()), 3) if (~bad).any() else None,
        "good": int((~bad).sum()),
    }


def fold_result(name: str, est: np.ndarray, cer: np.ndarray, base: tuple, langs: list[str]) -> dict:
    dr, gr, base_drop = base
    low = cer <= 0.30
    good = cer <= BAD
    lang_good_drop = {
        lang: round(float((est[good & (np.array(langs) == lang)] > BAD).mean()), 3)
        for lang in sorted(set(langs))
        if (good & (np.array(langs) == lang)).any()
    }
    return {
        "subset": name,
        "documents": len(cer),
        "cer_median": round(float(np.median(cer)), 4),
        "spearman": {"ocr_cer_estimate": rho(est, cer), "dict_ratio": rho(-dr, cer), "garbage_ratio": rho(gr, cer)},
        "mae_cer_le_30": round(float(np.abs(est - cer)[low].mean()), 4) if low.any() else None,
        "filter_estimate_gt_10": filter_scores(est > BAD, cer),
        "filter_default": filter_scores(base_drop, cer),
        "good_dropped_by_language": lang_good_drop,
    }


def clean_books(data: Path, model, piece_words: int = 300) -> dict:
    """Share of clean books whose estimated CER (character-weighted over their pages) is above 10%."""
    extractor = PageFeatures()
    out = {}
    for name in ("ecco_tcp", "gutenberg"):
        books = read_texts(data / "clean_books" / name)
        dropped, estimates = [], []
        for _, text in books:
            lang = resource_language(detect(text))
            parts = pieces(text, piece_words)
            rows = [extractor.features(Counter(p.split()), lang) for p in parts]
            est = model.predict(np.asarray(rows))
            book = float(np.average(est, weights=[len(p) for p in parts]))
            estimates.append(book)
            dropped.append(book > BAD)
        out[name] = {
            "books": len(books),
            "dropped": int(sum(dropped)),
            "dropped_share": round(sum(dropped) / len(books), 3),
            "estimate_median": round(float(np.median(estimates)), 4),
            "estimate_max": round(float(max(estimates)), 4),
        }
    return out


def main(argv: list[str] | None = None) -> int:  # long: the whole benchmark, step by step
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="shared data folder (default: $FINEBOOKS_SHARED_DATA or ../shared/data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-gold-pages", dest="gold_pages", action="store_false", help="train on OCR pages only")
    parser.add_argument("--gold-weight", type=float, help="weight of a gold page (default: the model's)")
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench" / "cer_estimate.json"))
    args = parser.parse_args(argv)
    data = Path(args.data or os.environ.get("FINEBOOKS_SHARED_DATA") or ROOT.parent / "shared" / "data")
    params = {} if args.gold_weight is None else {"gold_weight": args.gold_weight}
    start = time.time()
    held_sources, other_sources = sources(data)
    pages, skipped = [], Counter()
    for source in held_sources + other_sources:
        pages += read_gold(source, skipped=skipped, gold_pages=args.gold_pages)
    print(f"{len(pages)} gold pages read ({dict(skipped)} skipped); featurizing...", flush=True)
    rows, langs = featurize(pages)
    cer = np.array([min(p.cer, 1.0) for p in pages])
    collection = np.array([p.collection for p in pages])
    held = np.array([p.source in held_sources and p.side == "ocr" for p in pages])  # tested: OCR pages only
    print(f"features in {time.time() - start:.0f} s", flush=True)
    out, log = Path(args.out), Path(args.out).with_suffix(".jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    folds = []
    for name in sorted(set(collection[held]), key=lambda s: (s[:2], s)):
        test = np.where(held & (collection == name))[0]
        train = np.where(collection != name)[0]
        sides = [pages[i].side for i in train]
        model = fit(rows[train], list(cer[train]), list(collection[train]), args.seed, params, sides)
        est = model.predict(rows[test])
        base = baseline([pages[i].text for i in test])
        result = fold_result(name, est, cer[test], base, [langs[i] for i in test])
        result["printed"] = name not in NOT_BOOKS
        result["_est"], result["_base_drop"] = est.tolist(), base[2].tolist()
        folds.append(result)
        with log.open("a") as f:
            f.write(json.dumps({k: v for k, v in result.items() if not k.startswith("_")}) + "\n")
        print(f"{name}: {json.dumps(result['spearman'])} mae {result['mae_cer_le_30']}", flush=True)
    summary = summarize(folds, pages, held, cer, collection, langs)
    final = fit(rows, list(cer), list(collection), args.seed, params, [p.side for p in pages])
    summary["clean_books"] = clean_books(data, final)
    summary["seconds"] = round(time.time() - start)
    summary["folds"] = [{k: v for k, v in f.items() if not k.startswith("_")} for f in folds]
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "folds"}, indent=2))
    return 0


def summarize(folds: list[dict], pages, held, cer, collection, langs) -> dict:
    """Pooled figures over the printed subsets and the targets of issue #11."""
    printed = [f for f in folds if f["printed"]]
    est = np.concatenate([f["_est"] for f in printed])
    base_drop = np.concatenate([f["_base_drop"] for f in printed]).astype(bool)
    true = np.concatenate([cer[held & (collection == f["subset"])] for f in printed])
    lang = np.concatenate([np.array(langs)[held & (collection == f["subset"])] for f in printed])
    rhos = {f["subset"]: f["spearman"]["ocr_cer_estimate"] for f in printed}
    big = [r for f in printed if f["documents"] >= 40 and (r := f["spearman"]["ocr_cer_estimate"]) is not None]
    good = true <= BAD
    by_lang = {
        code: round(float((est[good & (lang == code)] > BAD).mean()), 3)
        for code in sorted(set(lang))
        if (good & (lang == code)).sum() >= 5
    }
    low = true <= 0.30
    return {
        "printed_subsets": len(printed),
        "spearman_median": round(float(np.median([r for r in rhos.values() if r is not None])), 3),
        "spearman_min_40_docs": round(min(big), 3),
        "spearman_by_subset": rhos,
        "mae_cer_le_30_pooled": round(float(np.abs(est - true)[low].mean()), 4),
        "filter_estimate_gt_10_pooled": filter_scores(est > BAD, true),
        "filter_default_pooled": filter_scores(base_drop, true),
        "good_dropped_by_detected_language": by_lang,
    }


if __name__ == "__main__":
    sys.exit(main())
