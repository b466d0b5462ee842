"""Train/eval contamination check: the fraction of evaluation items that share a word n-gram with training data."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipelines import jsonl


def _grams(words: list[str], n: int) -> list[int]:
    if len(words) < n:  # a short item (a BLiMP sentence) counts as one n-gram
        words_n = [words] if words else []
    else:
        words_n = [words[i : i + n] for i in range(len(words) - n + 1)]
    return [int.from_bytes(hashlib.blake2b(" ".join(g).encode(), digest_size=8).digest(), "little") for g in words_n]


def _norm(text: str) -> list[str]:
    return "".join(c.lower() if c.isalnum() else " " for c in text).split()


def overlap(train_folder: Path, eval_texts: dict[str, list[str]], n: int) -> dict[str, float]:
    """Per task, the fraction of items with at least one n-gram (lower-cased words) found in the training docs."""
    item_grams = {t: [set(_grams(_norm(x), n)) for x in texts] for t, texts in eval_texts.items()}
    wanted = {g for items in item_grams.values() for grams in items for g in grams}
    found: set[int] = set()
    sizes = {len(_norm(x)) for texts in eval_texts.values() for x in texts}
    lengths = sorted({min(s, n) for s in sizes if s})
    for doc in jsonl.iterate_folder(train_folder):
        words = _norm(doc["text"])
        for k in lengths:
            for i in range(len(words) - k + 1):
                h = int.from_bytes(
                    hashlib.blake2b(" ".join(words[i : i + k]).encode(), digest_size=8).digest(), "little"
                )
                if h in wanted:
                    found.add(h)
    return {t: (sum(1 for g in items if g & found) / len(items) if items else 0.0) for t, items in item_grams.items()}
