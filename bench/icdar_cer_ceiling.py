"""How far can a text-only OCR-quality signal follow the true CER of the ICDAR2017 English monographs?

    .venv/bin/python bench/icdar_cer_ceiling.py [--data ../shared/data] [--out runs/bench/icdar_cer_ceiling.json]

From the aligned OCR/gold pairs (``#`` spans without gold skipped): the share of character errors that pair a
space, hyphen, apostrophe or punctuation mark with another (or with an alignment gap), which no text-only signal
can see; the Spearman correlation of the true CER with an oracle that counts every *other* error exactly (the
ceiling of a perfect detector of letter errors); and three further signals tried beyond filters/signals/:
out-of-vocabulary rate against wordfreq plus the vocabulary of the clean books, mixed-case words, and the sum of
those with digit/symbol/one-letter token rates.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from filters.signals.goldtext import icdar_files, read_icdar  # noqa: E402

INVISIBLE = set(" @-,.;:!?'\"_()")  # alignment gap '@' included
WORD = re.compile(r"[A-Za-zſ]+")


def clean_vocabulary(clean_books: Path) -> set[str]:
    vocab: set[str] = set()
    for path in sorted(clean_books.rglob("*.txt")):
        vocab.update(
            w.lower().replace("ſ", "s") for w in WORD.findall(path.read_text(encoding="utf-8", errors="replace"))
        )
    return vocab


def letter_error_rate(doc) -> float:
    errors = gold_chars = 0
    for o, g in zip(doc.ocr_aligned, doc.gold_aligned, strict=True):
        if g == "#":
            continue
        gold_chars += g != "@"
        errors += o != g and not (o in INVISIBLE and g in INVISIBLE)
    return errors / max(1, gold_chars)


def signals(text: str, vocab: set[str]) -> dict[str, float]:
    from wordfreq import zipf_frequency

    tokens = text.split()
    n = max(1, len(tokens))
    words = [re.sub(r"^[^\wſ]+|[^\wſ]+$", "", t) for t in tokens]
    oov = sum(
        1
        for w in words
        if w.isalpha() and w.lower().replace("ſ", "s") not in vocab and zipf_frequency(w.lower(), "en") < 1.0
    )
    mixed_case = sum(1 for w in words if len(w) > 1 and w[1:].lower() != w[1:] and not w.isupper())
    other = sum(1 for t in tokens if re.search(r"[^\w\s.,;:!?'\"()\-ſ&]", t))  # symbols
    other += sum(1 for t in tokens if re.search(r"\d", t) and re.search(r"[A-Za-z]", t))  # digits in words
    other += sum(1 for w in words if len(w) == 1 and w.lower() not in ("a", "i", "&"))  # stray letters
    return {"oov_clean_vocab": oov / n, "mixed_case": mixed_case / n, "sum": (oov + mixed_case + other) / n}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=os.environ.get("FINEBOOKS_SHARED_DATA") or str(ROOT.parent / "shared" / "data"))
    p.add_argument("--out", default=str(ROOT / "runs/bench/icdar_cer_ceiling.json"))
    args = p.parse_args()
    data = Path(args.data)
    docs = [read_icdar(f) for f in icdar_files(data / "ocr_gold/icdar2017/Full_12M/eng_monograph")]
    docs = [d for d in docs if d.cer is not None]  # a document without (enough) gold has no CER
    cer = [d.cer for d in docs]
    pairs = Counter(
        (o, g) for d in docs for o, g in zip(d.ocr_aligned, d.gold_aligned, strict=True) if g != "#" and o != g
    )
    errors = sum(pairs.values())
    invisible = sum(n for (o, g), n in pairs.items() if o in INVISIBLE and g in INVISIBLE)
    vocab = clean_vocabulary(data / "clean_books")
    values = [signals(d.ocr_scored, vocab) for d in docs]
    result = {
        "documents": len(docs),
        "character_errors": errors,
        "invisible_share": round(invisible / errors, 3),
        "spearman_oracle_letter_errors": round(spearmanr([letter_error_rate(d) for d in docs], cer).statistic, 3),
        "clean_vocabulary_words": len(vocab),
        "spearman_tried": {k: round(spearmanr([v[k] for v in values], cer).statistic, 3) for k in values[0]},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
