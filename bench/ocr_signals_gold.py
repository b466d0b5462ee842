"""Score every OCR-quality signal against the true character error rate of gold-aligned OCR, and the default filter.

    .venv/bin/python bench/ocr_signals_gold.py [--data ../shared/data] [--out runs/bench/ocr_signals_gold.json]

- ICDAR2017 (eng/fr monographs and periodicals): the true CER of each document from its aligned OCR/gold pair
  (``#`` spans without gold skipped); signals are computed on the OCR text of the spans that have gold (what
  the CER measures), and on the full raw OCR (``OCR_toInput``) for comparison. Spearman correlation per signal.
- GHT sentence pairs (test splits, high and low): Spearman with the pair's ``cer`` column.
- The default ``ocr_quality_filter`` (book level, training-free signals): precision and recall at catching
  documents with CER > 10% (ICDAR pooled over all four sets; GHT test sentences), and the share of clean books
  (clean_books/ecco_tcp + gutenberg) it drops.

Train/test: the fastText model is scored only on ICDAR documents held out of its training (the test documents
listed in ``<model>.json`` by ``filters.signals.train_fasttext``); the KenLM model must not have been trained on ICDAR
or GHT (checked from ``<model>.json``). A model that is missing is skipped, and the report says so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from datatrove.data import Document
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from filters.ocr_quality_filter import OcrQualityFilter  # noqa: E402
from filters.signals import SIGNALS, signal_class  # noqa: E402
from filters.signals.goldtext import icdar_files, read_ght, read_icdar, read_texts  # noqa: E402

ICDAR_SETS = ("eng_monograph", "fr_monograph", "eng_periodical", "fr_periodical")
GHT_TEST = ("guten_ht_high_test.tsv", "guten_ht_low_test.tsv")
BAD_CER = 0.10


def fasttext_held_out(info: dict) -> Callable[[Path], bool] | None:
    """Whether the fastText model described by ``info`` (its ``<model>.json``) never trained on a document.

    A document is held out when it lies in no folder the model trained on, or is one of its test documents.
    Records without their folders (older models) fall back to matching test documents by file name, which
    counts only the documents of other folders that share a name with a test document; no list: ``None``.
    """
    tests = info.get("raw_test_docs", []) + info.get("clean_test_docs", [])
    folders = [Path(f) for f in info.get("clean_folders", []) + info.get("raw_folders", [])]
    if folders:
        test_paths = {Path(t) for t in tests}
        return lambda p: (p := p.resolve()) in test_paths or not any(p.is_relative_to(f) for f in folders)
    names = {Path(t).name for t in tests}
    return (lambda p: p.name in names) if names else None


def data_dir(arg: str | None) -> Path:
    return Path(arg or os.environ.get("FINEBOOKS_SHARED_DATA") or ROOT.parent / "shared" / "data")


def load_steps(kenlm_model: str, fasttext_model: str) -> tuple[dict, dict]:
    """Signal steps that can run here, and notes on those that cannot (model missing, trained on gold)."""
    steps, notes = {}, {}
    for name in SIGNALS:
        if name == "word_confidence":
            notes[name] = "no word confidences in ICDAR/GHT text (ALTO/hOCR only)"
            continue
        kwargs = {"model": kenlm_model} if name == "kenlm_perplexity" else {}
        kwargs = {"model": fasttext_model} if name == "fasttext_quality" else kwargs
        step = signal_class(name)(**kwargs)
        if hasattr(step, "model_path"):
            if not Path(step.model_path).is_file():
                notes[name] = f"model {step.model_path} missing: skipped"
                continue
            record = Path(step.model_path + ".json")
            info = json.loads(record.read_text()) if record.is_file() else {}
            if name == "kenlm_perplexity" and any("ocr_gold" in c for c in info.get("corpora", [])):
                notes[name] = "KenLM model was trained on ocr_gold: not scored (train it on clean_books)"
                continue
            step.info = info
        steps[name] = step
    return steps, notes


def measure(steps: dict, text: str, language: str | None = None) -> dict[str, float | None]:
    doc = Document(text=text, id="bench", metadata={"language": language} if language else {})
    return {name: step.measure(doc) for name, step in steps.items()}


def rho(xs: list, ys: list) -> float | None:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if x is not None]
    if len(pairs) < 10:
        return None
    r = spearmanr([p[0] for p in pairs], [p[1] for p in pairs])[0]
    return None if r != r else round(float(r), 3)


def precision_recall(dropped: list[bool], bad: list[bool]) -> dict:
    tp = sum(d and b for d, b in zip(dropped, bad, strict=True))
    fp = sum(d and not b for d, b in zip(dropped, bad, strict=True))
    positives = sum(bad)
    return {
        "documents": len(bad),
        "bad (CER>10%)": positives,
        "dropped": tp + fp,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / positives, 3) if positives else None,
    }


def run_filter(flt: OcrQualityFilter, values: list[dict]) -> list[bool]:
    return [flt.judge(v) is not None for v in values]


def main(argv: list[str] | None = None) -> int:
    from filters.signals.fasttext_quality import default_model as ft_default
    from filters.signals.kenlm_perplexity import default_model as lm_default

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="shared data folder (default: $FINEBOOKS_SHARED_DATA or ../shared/data)")
    parser.add_argument("--kenlm", default=lm_default())
    parser.add_argument("--fasttext", default=ft_default())
    parser.add_argument("--ght-limit", type=int, default=0, help="sentences per GHT file (0 = all)")
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench" / "ocr_signals_gold.json"))
    args = parser.parse_args(argv)
    data = data_dir(args.data)
    steps, notes = load_steps(args.kenlm, args.fasttext)
    ft = steps.get("fasttext_quality")
    held_out = fasttext_held_out(getattr(ft, "info", {})) if ft else None
    if ft and held_out is None:
        notes["fasttext_quality"] = "no held-out document list beside the model: not scored"
        del steps["fasttext_quality"]
    default = OcrQualityFilter()
    start = time.time()
    report: dict = {"notes": notes, "default_filter": {"min": default.min, "max": default.max}, "icdar": {}}

    pooled_values, pooled_bad = [], []
    for name in ICDAR_SETS:
        folder = data / "ocr_gold" / "icdar2017" / "Full_12M" / name
        docs = [(p, d) for p in icdar_files(folder) if (d := read_icdar(p)).cer is not None]  # None: no gold
        lang = "en" if name.startswith("eng") else "fr"
        cer = [d.cer for _, d in docs]
        scored = [measure(steps, d.ocr_scored, lang) for _, d in docs]
        raw = [measure(steps, d.ocr_input, lang) for _, d in docs]
        held = [held_out(p) for p, _ in docs] if held_out else [False] * len(docs)
        section = {
            "documents": len(docs),
            "cer_median": round(statistics.median(cer), 4),
            "cer_max": round(max(cer), 4),
            "bad (CER>10%)": sum(c > BAD_CER for c in cer),
            "spearman_scored_text": {},
            "spearman_full_ocr": {},
        }
        for sig in steps:
            keep = held if sig == "fasttext_quality" else [True] * len(docs)
            sel = [i for i, k in enumerate(keep) if k]
            section["spearman_scored_text"][sig] = rho([scored[i][sig] for i in sel], [cer[i] for i in sel])
            section["spearman_full_ocr"][sig] = rho([raw[i][sig] for i in sel], [cer[i] for i in sel])
        if "fasttext_quality" in steps:
            section["fasttext_held_out_documents"] = sum(held)
        report["icdar"][name] = section
        pooled_values += scored
        pooled_bad += [c > BAD_CER for c in cer]
        print(f"{name}: {json.dumps(section)}", flush=True)
    report["default_filter"]["icdar_pooled"] = precision_recall(run_filter(default, pooled_values), pooled_bad)

    ght_values, ght_cer = [], []
    for fname in GHT_TEST:
        pairs = read_ght(data / "ocr_gold" / "ght" / fname)
        if args.ght_limit:
            pairs = pairs[: args.ght_limit]
        ght_values += [measure(steps, p.ocr, "en") for p in pairs]
        ght_cer += [p.cer for p in pairs]
    report["ght_test"] = {
        "sentences": len(ght_cer),
        "bad (CER>10%)": sum(c > BAD_CER for c in ght_cer),
        "spearman": {sig: rho([v[sig] for v in ght_values], ght_cer) for sig in steps},
    }
    report["default_filter"]["ght_test"] = precision_recall(
        run_filter(default, ght_values), [c > BAD_CER for c in ght_cer]
    )
    print(f"ght_test: {json.dumps(report['ght_test'])}", flush=True)

    clean = {}
    for sub in ("ecco_tcp", "gutenberg"):
        books = read_texts(data / "clean_books" / sub)
        dropped = []
        for name, text in books:
            doc = Document(text=text, id=name, metadata={})
            result = default.filter(doc)
            if result is not True:
                dropped.append({"book": name, "reason": result[1], **doc.metadata["ocr_signals"]})
        clean[sub] = {"books": len(books), "dropped": len(dropped), "dropped_books": dropped}
    n = sum(c["books"] for c in clean.values())
    d = sum(c["dropped"] for c in clean.values())
    clean["all"] = {"books": n, "dropped": d, "dropped_fraction": round(d / n, 4)}
    report["default_filter"]["clean_books"] = clean
    report["seconds"] = round(time.time() - start, 1)
    print(f"default filter: {json.dumps(report['default_filter'])}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
