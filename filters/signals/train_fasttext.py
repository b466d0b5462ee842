"""Train the clean-vs-raw-OCR fastText classifier that ``fasttext_quality`` scores pages with.

    python -m filters.signals.train_fasttext --clean ../shared/data/clean_books \\
        --clean ../shared/data/ocr_gold/icdar2017/Full_12M/eng_monograph \\
        --raw ../shared/data/ocr_gold/icdar2017/Full_12M/eng_monograph \\
        --raw ../shared/data/ocr_pages/old_books/tesseract_otsu_txt \\
        --out ~/.cache/finebooks/models/fasttext-ocr-quality.bin

``--clean`` and ``--raw`` take folders of ``.txt`` files or ICDAR2017 folders (gold side for clean, raw OCR for
raw). Documents are split by name into train and test (``--test-fraction``, a stable hash of the file's path
relative to its folder, so the gold and the OCR of one ICDAR document land on the same side and a test document
is never seen in training). Text is cut into pieces of ``--chunk-words`` words; the bigger class is subsampled
to the size of the smaller one. Writes the model, and beside it ``<out>.json`` with the test documents and the
test accuracy on pieces.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
from pathlib import Path

from filters.extras import require
from filters.signals.fasttext_fit import FitDiverged, fit
from filters.signals.fasttext_quality import CLEAN_LABEL, OCR_LABEL, default_model
from filters.signals.goldtext import read_texts


def is_test_doc(name: str, test_fraction: float) -> bool:
    """Stable train/test split by document name."""
    h = int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return h < test_fraction


def pieces(text: str, chunk_words: int) -> list[str]:
    words = text.split()
    return [" ".join(words[i : i + chunk_words]) for i in range(0, len(words), chunk_words)]


def collect(folders: list[str], side: str, test_fraction: float, chunk_words: int):
    train, test, test_docs = [], [], []
    for folder in folders:
        for name, text in read_texts(folder, side=side):
            held_out = is_test_doc(name, test_fraction)
            (test if held_out else train).extend(pieces(text, chunk_words))
            if held_out:
                path = Path(folder) if Path(folder).is_file() else Path(folder) / name
                test_docs.append(str(path.resolve()))
    return train, test, test_docs


def train(
    clean: list[str],
    raw: list[str],
    out: str,
    test_fraction: float = 0.2,
    chunk_words: int = 50,
    epoch: int = 5,
    dim: int = 32,
    seed: int = 0,
    lr: float = 0.5,
    threads: int = 1,
) -> dict:
    """Train and save the classifier; the record written beside it. Training runs in a child process
    (``fasttext_fit``); with one thread the same data, parameters and seed give the same model (more threads:
    lock-free, not reproducible). A NaN loss is a ``ValueError`` that names ``lr``."""
    fasttext = require("fasttext", "train_fasttext")

    clean_train, clean_test, clean_test_docs = collect(clean, "gold", test_fraction, chunk_words)
    raw_train, raw_test, raw_test_docs = collect(raw, "ocr", test_fraction, chunk_words)
    if not clean_train or not raw_train:
        raise ValueError("need training text on both sides (--clean and --raw)")
    rng = random.Random(seed)
    n = min(len(clean_train), len(raw_train))
    rows = [f"{CLEAN_LABEL} {t}" for t in rng.sample(clean_train, n)]
    rows += [f"{OCR_LABEL} {t}" for t in rng.sample(raw_train, n)]
    rng.shuffle(rows)
    out_path = Path(out).expanduser()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write("\n".join(rows) + "\n")
        train_file = f.name
    try:
        fit(
            train_file, str(out_path), epoch=epoch, lr=lr, dim=dim, wordNgrams=2, minn=2, maxn=5, bucket=200_000,
            thread=threads, seed=seed, verbose=0,
        )  # fmt: skip
    except FitDiverged as e:
        raise ValueError(f"fastText training diverged (NaN loss) at lr={lr}, {threads} thread(s): lower --lr") from e
    finally:
        Path(train_file).unlink()
    model = fasttext.load_model(str(out_path))
    correct = total = 0
    for label, texts in ((CLEAN_LABEL, clean_test), (OCR_LABEL, raw_test)):
        for t in texts:
            correct += model.predict(t, k=1)[0][0] == label
            total += 1
    record = {
        "model": str(out_path),
        "train_pieces_per_class": n,
        "test_pieces": total,
        "test_accuracy": correct / total if total else None,
        "test_fraction": test_fraction,
        "params": {"epoch": epoch, "dim": dim, "lr": lr, "threads": threads, "seed": seed, "chunk_words": chunk_words},
        "clean_folders": [str(Path(f).resolve()) for f in clean],
        "raw_folders": [str(Path(f).resolve()) for f in raw],
        "clean_test_docs": clean_test_docs,
        "raw_test_docs": raw_test_docs,
    }
    Path(str(out_path) + ".json").write_text(json.dumps(record, indent=1))
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", action="append", required=True, help="clean text folder (repeatable)")
    parser.add_argument("--raw", action="append", required=True, help="raw OCR folder (repeatable)")
    parser.add_argument("--out", default=default_model())
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--chunk-words", type=int, default=50)
    parser.add_argument("--epoch", type=int, default=5)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=1, help="1 (default) is deterministic for a seed")
    args = parser.parse_args(argv)
    try:
        record = train(
            args.clean,
            args.raw,
            args.out,
            args.test_fraction,
            args.chunk_words,
            args.epoch,
            args.dim,
            args.seed,
            lr=args.lr,
            threads=args.threads,
        )
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    acc = record["test_accuracy"]
    print(
        f"trained on {record['train_pieces_per_class']:,} pieces per class; held-out accuracy "
        f"{'n/a' if acc is None else f'{acc:.3f}'} on {record['test_pieces']:,} pieces: {record['model']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
