"""Calibrate OCR-quality thresholds the FineWeb way: every signal on clean reference text and on raw OCR.

    python -m filters.signals.calibrate --clean ../shared/data/clean_books/ecco_tcp \\
        --raw ../shared/data/ocr_pages/old_books/tesseract_otsu_txt --out runs/calibration

``--clean`` / ``--raw`` take folders of ``.txt`` files (one document each) or ICDAR2017 folders (gold side as
clean, raw OCR as raw); repeatable. Documents are cut into pieces of ``--piece-words`` words (0 = whole
documents), about a page, so that thresholds suit page-level filtering and long books do not outweigh short
ones. For each signal the command writes a histogram (``<signal>.png``), and suggests the threshold where the
raw side dominates: among thresholds that drop at most ``--max-clean-drop`` of the clean pieces, the one that
drops the most raw pieces more than clean ones. Also written: ``report.md``, ``thresholds.yaml`` (a config
snippet for ``ocr_quality_filter``) and ``values.jsonl`` (every piece's signals).

Where a trained CER estimator exists (``--cer-model PATH``, or the default model file of ``ocr_cer_estimate``,
``$FINEBOOKS_CACHE/models/cer-estimator.npz``), its estimate is measured and reported too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from filters.model_file import ModelFileError
from filters.signals import SIGNALS, signal_class
from filters.signals.goldtext import read_texts

DEFAULT_SIGNALS = ("dict_ratio", "garbage_ratio", "lang_consistency")


def pieces(text: str, piece_words: int) -> list[str]:
    if not piece_words:
        return [text]
    words = text.split()
    out = [" ".join(words[i : i + piece_words]) for i in range(0, len(words), piece_words)]
    if len(out) > 1 and len(out[-1].split()) < piece_words // 2:
        tail = out.pop()  # a short tail joins the piece before it
        out[-1] += " " + tail
    return out


def measure_folder(folders: list[str], side: str, steps: dict, piece_words: int, limit: int) -> list[dict]:
    from datatrove.data import Document

    rows = []
    for folder in folders:
        for name, text in read_texts(folder, side="gold" if side == "clean" else "ocr")[: limit or None]:
            for i, piece in enumerate(pieces(text, piece_words)):
                doc = Document(text=piece, id=f"{name}#{i}", metadata={})
                values = {sig: step.measure(doc) for sig, step in steps.items()}
                rows.append({"side": side, "source": folder, "doc": name, "piece": i, **values})
    return rows


def suggest(clean: list[float], raw: list[float], bad_side: str, max_clean_drop: float) -> dict:
    """The threshold that drops the most raw minus clean, with at most ``max_clean_drop`` of clean dropped."""
    sign = 1 if bad_side == "high" else -1  # compare on sign*value: drop when sign*value > sign*threshold
    cands = sorted({round(v, 4) for v in clean + raw})
    best = None
    for t in cands:
        clean_drop = sum(sign * v > sign * t for v in clean) / len(clean)
        raw_drop = sum(sign * v > sign * t for v in raw) / len(raw)
        if clean_drop > max_clean_drop:
            continue
        gain = raw_drop - clean_drop
        if best is None or gain > best["raw_dropped"] - best["clean_dropped"]:
            best = {"threshold": t, "clean_dropped": clean_drop, "raw_dropped": raw_drop}
    if best is None:
        return {"threshold": None, "clean_dropped": 0.0, "raw_dropped": 0.0}
    best["kind"] = "max" if bad_side == "high" else "min"
    return best


def crossover(clean: list[float], raw: list[float], bad_side: str, bins: list[float]) -> float | None:
    """Edge of the first histogram bin, walking from the bad side, where the raw density no longer exceeds clean."""
    import numpy as np

    hc, _ = np.histogram(clean, bins=bins, density=True)
    hr, _ = np.histogram(raw, bins=bins, density=True)
    order = range(len(hc)) if bad_side == "low" else range(len(hc) - 1, -1, -1)
    edge = None
    for i in order:
        if hr[i] > hc[i]:
            edge = bins[i + 1] if bad_side == "low" else bins[i]
        elif hc[i] > 0:
            break
    return None if edge is None else float(edge)


def plot(signal: str, clean: list[float], raw: list[float], threshold: float | None, path: Path) -> list[float]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    values = np.array(clean + raw)
    lo, hi = np.percentile(values, [0.5, 99.5])
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    bins = list(np.linspace(lo, hi, 41))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(np.clip(clean, lo, hi), bins=bins, density=True, alpha=0.55, label=f"clean ({len(clean)})")
    ax.hist(np.clip(raw, lo, hi), bins=bins, density=True, alpha=0.55, label=f"raw OCR ({len(raw)})")
    if threshold is not None:
        ax.axvline(threshold, color="k", linestyle="--", label=f"suggested {threshold:g}")
    ax.set_xlabel(signal)
    ax.set_ylabel("density")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return bins


def build_steps(signals: list[str], models: dict[str, str]) -> dict:
    """One step per signal, with its model file from ``models`` (signal -> path) when given."""
    return {name: signal_class(name)(**({"model": models[name]} if models.get(name) else {})) for name in signals}


def default_signals(cer_model: str | None) -> list[str]:
    """``DEFAULT_SIGNALS``, plus ``ocr_cer_estimate`` when its model exists (``cer_model`` or the default file)."""
    from filters.signals.cer_estimate import default_model

    has_model = Path(cer_model or default_model()).expanduser().is_file()
    return [*DEFAULT_SIGNALS, "ocr_cer_estimate"] if has_model else list(DEFAULT_SIGNALS)


def calibrate(
    clean: list[str],
    raw: list[str],
    out: Path,
    signals: list[str],
    piece_words: int = 300,
    max_clean_drop: float = 0.02,
    limit: int = 0,
    models: dict[str, str] | None = None,
) -> dict:
    """Measure, plot and write the report; return the suggested thresholds per signal. ``models``: signal name ->
    model file (kenlm_perplexity, fasttext_quality, ocr_cer_estimate) where not the signal's default."""
    out.mkdir(parents=True, exist_ok=True)
    models = {k: v for k, v in (models or {}).items() if v}
    steps = build_steps(signals, models)
    rows = measure_folder(clean, "clean", steps, piece_words, limit)
    rows += measure_folder(raw, "raw", steps, piece_words, limit)
    with (out / "values.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    results = {}
    for sig in signals:
        c = [r[sig] for r in rows if r["side"] == "clean" and r[sig] is not None]
        r_ = [r[sig] for r in rows if r["side"] == "raw" and r[sig] is not None]
        if not c or not r_:
            results[sig] = {"measured": False, "clean_n": len(c), "raw_n": len(r_)}
            continue
        s = suggest(c, r_, signal_class(sig).bad_side, max_clean_drop)
        bins = plot(sig, c, r_, s["threshold"], out / f"{sig}.png")
        results[sig] = {
            "measured": True,
            "clean_n": len(c),
            "raw_n": len(r_),
            "clean_median": sorted(c)[len(c) // 2],
            "raw_median": sorted(r_)[len(r_) // 2],
            "density_crossover": crossover(c, r_, signal_class(sig).bad_side, bins),
            **s,
        }
    write_report(out, clean, raw, piece_words, max_clean_drop, results, models)
    return results


def snippet(results: dict, models: dict[str, str] | None = None) -> dict:
    mins = {s: r["threshold"] for s, r in results.items() if r.get("threshold") is not None and r["kind"] == "min"}
    maxs = {s: r["threshold"] for s, r in results.items() if r.get("threshold") is not None and r["kind"] == "max"}
    models = models or {}
    blocks = [
        {"block": s, **({"params": {"model": models[s]}} if s in models else {})}
        for s in {**mins, **maxs}
        if s not in ("dict_ratio", "garbage_ratio", "word_confidence")
    ]
    blocks.append({"block": "ocr_quality_filter", "params": {"level": "page", "min": mins, "max": maxs}})
    return {"filter": blocks}


def write_report(out: Path, clean, raw, piece_words: int, max_clean_drop: float, results: dict, models=None) -> None:
    (out / "thresholds.yaml").write_text(
        "# suggested by filters/signals/calibrate.py; paste into a recipe's filter section, "
        "then let an ablation decide\n" + yaml.safe_dump(snippet(results, models), sort_keys=False)
    )
    lines = [
        "# OCR-quality calibration",
        "",
        f"- clean: {', '.join(map(str, clean))}",
        f"- raw OCR: {', '.join(map(str, raw))}",
        f"- pieces of {piece_words or 'whole-document'} words; thresholds drop at most {max_clean_drop:.0%} of clean",
        "",
        "| signal | clean n | raw n | clean median | raw median | suggested | clean dropped | raw dropped "
        "| density crossover |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for sig, r in results.items():
        if not r["measured"]:
            lines.append(f"| {sig} | {r['clean_n']} | {r['raw_n']} | not measured | | | | | |")
            continue
        thr = "none" if r["threshold"] is None else f"{r['kind']} {r['threshold']:g}"
        cross = "" if r["density_crossover"] is None else f"{r['density_crossover']:.4g}"
        lines.append(
            f"| {sig} | {r['clean_n']} | {r['raw_n']} | {r['clean_median']:.4g} | {r['raw_median']:.4g} | {thr} "
            f"| {r['clean_dropped']:.1%} | {r['raw_dropped']:.1%} | {cross} |"
        )
    lines += ["", "Histograms:", ""]
    lines += [f"![{sig}]({sig}.png)" for sig, r in results.items() if r["measured"]]
    lines += ["", "Config snippet (`thresholds.yaml`):", "", "```yaml", (out / "thresholds.yaml").read_text(), "```"]
    (out / "report.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", action="append", required=True, help="clean reference folder (repeatable)")
    parser.add_argument("--raw", action="append", required=True, help="raw OCR folder (repeatable)")
    parser.add_argument("--out", default="runs/calibration")
    parser.add_argument(
        "--signals",
        help=f"comma-separated, from: {', '.join(SIGNALS)} (model-based ones need their model); default: "
        f"{','.join(DEFAULT_SIGNALS)}, plus ocr_cer_estimate when its model exists",
    )
    parser.add_argument("--piece-words", type=int, default=300)
    parser.add_argument("--max-clean-drop", type=float, default=0.02)
    parser.add_argument("--limit", type=int, default=0, help="documents per folder (0 = all)")
    parser.add_argument("--kenlm", help="KenLM model for kenlm_perplexity")
    parser.add_argument("--fasttext", help="fastText model for fasttext_quality")
    parser.add_argument("--cer-model", help="CER estimator model for ocr_cer_estimate (filters.signals.train_cer)")
    args = parser.parse_args(argv)
    if args.signals is None:
        signals = default_signals(args.cer_model)
    else:
        signals = [s.strip() for s in args.signals.split(",") if s.strip()]
        if args.cer_model and "ocr_cer_estimate" not in signals:
            signals.append("ocr_cer_estimate")
    unknown = [s for s in signals if s not in SIGNALS]
    if unknown:
        parser.error(f"unknown signals {unknown}; known: {', '.join(SIGNALS)}")
    try:
        results = calibrate(
            args.clean, args.raw, Path(args.out), signals, args.piece_words, args.max_clean_drop, args.limit,
            {"kenlm_perplexity": args.kenlm, "fasttext_quality": args.fasttext, "ocr_cer_estimate": args.cer_model},
        )  # fmt: skip
    except (FileNotFoundError, ModelFileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for sig, r in results.items():
        if r["measured"] and r["threshold"] is not None:
            print(f"{sig}: {r['kind']} {r['threshold']:g} (drops {r['clean_dropped']:.1%} clean, "
                  f"{r['raw_dropped']:.1%} raw)")  # fmt: skip
        else:
            print(f"{sig}: no threshold (measured: {r['measured']})")
    print(f"report: {Path(args.out) / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
