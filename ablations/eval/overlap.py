"""Train/eval contamination check: the fraction of evaluation items that share a word n-gram with training data.

Words are lower-cased runs of letters and digits (punctuation ignored). An item's n-grams are looked up in a set,
position by position of every training document, only where the document's two words there start one of them: one
pass over the books, a dictionary look-up per word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pipelines import jsonl


def _grams(words: list[str], n: int) -> set[str]:
    if len(words) < n:  # a short item (a BLiMP sentence) counts as one n-gram
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


_WORD = re.compile(r"[^\W_]+")  # a run of characters for which str.isalnum() holds


def _norm(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def item_grams(eval_texts: dict[str, list[str]], n: int) -> dict[str, list[set[str]]]:
    """Per task, each item's n-grams (an item shorter than ``n`` words: the item whole)."""
    return {t: [_grams(_norm(x), n) for x in texts] for t, texts in eval_texts.items()}


def scan(train_folder: Path, grams: dict[str, list[set[str]]]) -> Iterator[tuple[Path, int, dict, set[str]]]:
    """Every training document (JSONL under ``train_folder``, files in name order) as (file, line index, document,
    the items' n-grams it contains)."""
    wanted = {g for items in grams.values() for item in items for g in item}
    starts: dict[str, set[int]] = {}  # first two words -> lengths (in words) of the n-grams they start
    for g in wanted:
        words = g.split(" ")
        if len(words) > 1:
            starts.setdefault(f"{words[0]} {words[1]}", set()).add(len(words))
    for path in sorted(train_folder.glob("*.jsonl*")):
        for i, doc in enumerate(jsonl.iterate(path)):
            words = _norm(doc["text"])
            found = {w for w in words if w in wanted}  # one-word items
            for j, pair in enumerate(f"{a} {b}" for a, b in zip(words, words[1:], strict=False)):
                for k in starts.get(pair, ()):
                    if j + k <= len(words) and (g := " ".join(words[j : j + k])) in wanted:
                        found.add(g)
            yield path, i, doc, found


def shares(grams: dict[str, list[set[str]]], found: set[str]) -> dict[str, float]:
    """Per task, the share of items with at least one n-gram in ``found``."""
    return {t: (sum(1 for g in items if g & found) / len(items) if items else 0.0) for t, items in grams.items()}


def overlap(train_folder: Path, eval_texts: dict[str, list[str]], n: int) -> dict[str, float]:
    """Per task, the fraction of items with at least one n-gram (lower-cased words) found in the training docs."""
    grams = item_grams(eval_texts, n)
    found: set[str] = set()
    for *_, hits in scan(train_folder, grams):
        found |= hits
    return shares(grams, found)
