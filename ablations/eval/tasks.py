"""Evaluation task data: every task kind turns its local source files into items of one shape.

An item is ``{"id", "query", "choices", "gold"}``: the model scores each choice as a continuation of the query
(cloze form: no letters, no instructions, as FineWeb's early-signal tasks). Items are sampled with the experiment
seed and written to ``<eval_data>/<task>/test.jsonl`` (the local-file layout lighteval's custom tasks read).
Default files are under the shared data folder; ``path`` in the task config points elsewhere.
"""

from __future__ import annotations

import bz2
import csv
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

Item = dict
CHANCE = {
    "blimp": 0.5,
    "gold_vs_ocr": 0.5,
    "lambada": 0.0,
    "hellaswag": 0.25,
    "piqa": 0.5,
    "arc_easy": 0.25,
    "arc_challenge": 0.25,
    "winogrande": 0.5,
}
DEFAULT_PATHS = {
    "blimp": "eval/blimp/data",
    "gold_vs_ocr": "ocr_gold/ght/guten_ht_low_test.tsv",
    "lambada": "eval/llmfoundry/language_understanding/lambada_openai.jsonl",
    "hellaswag": "eval/hellaswag/hellaswag_val_full.txt.bz2",
    "piqa": "eval/piqa/valid.jsonl",
    "arc_easy": "eval/llmfoundry/world_knowledge/arc_easy.jsonl",
    "arc_challenge": "eval/llmfoundry/world_knowledge/arc_challenge.jsonl",
    "winogrande": "eval/winogrande/dev.jsonl",
}


def _jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _labels(path: Path) -> list[str]:
    return [x.strip() for x in path.read_text().splitlines() if x.strip()]


def blimp(path: Path) -> Iterator[Item]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    for f in files:
        for r in _jsonl(f):
            yield {
                "id": f"{r['UID']}/{r['pairID']}",
                "query": "",
                "choices": [r["sentence_good"], r["sentence_bad"]],
                "gold": 0,
            }


def gold_vs_ocr(path: Path) -> Iterator[Item]:
    """GHT sentence pairs: the gold (Gutenberg) sentence against its OCR (HathiTrust); pairs that differ only."""
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            gold, ocr = r["output"].strip(), r["input"].strip()
            if gold and ocr and gold != ocr:
                yield {"id": f"{path.stem}/{r['id']}", "query": "", "choices": [gold, ocr], "gold": 0}


def lambada(path: Path) -> Iterator[Item]:
    for i, r in enumerate(_jsonl(path)):
        yield {"id": str(i), "query": r["context"], "choices": [" " + r["continuation"]], "gold": 0}


def hellaswag(path: Path) -> Iterator[Item]:
    with bz2.open(path, "rt", encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    for i in range(0, len(lines) - 5, 6):
        ctx, label, *endings = lines[i : i + 6]
        yield {"id": str(i // 6), "query": ctx, "choices": [" " + e for e in endings], "gold": int(label)}


def piqa(path: Path) -> Iterator[Item]:
    labels = _labels(path.with_name(path.stem + "-labels.lst"))
    for i, (r, lab) in enumerate(zip(_jsonl(path), labels, strict=True)):
        yield {"id": str(i), "query": r["goal"], "choices": [" " + r["sol1"], " " + r["sol2"]], "gold": int(lab)}


def arc(path: Path) -> Iterator[Item]:
    for i, r in enumerate(_jsonl(path)):
        query = r["query"].removeprefix("Question: ") + "\nAnswer:"
        yield {"id": str(i), "query": query, "choices": [" " + c for c in r["choices"]], "gold": int(r["gold"])}


def winogrande(path: Path) -> Iterator[Item]:
    """Whole sentences with each option in the blank, scored from the document start (partial scoring would
    need two contexts per item)."""
    labels = _labels(path.with_name(path.stem + "-labels.lst"))
    for r, lab in zip(_jsonl(path), labels, strict=True):
        s = r["sentence"]
        yield {
            "id": r["qID"],
            "query": "",
            "choices": [s.replace("_", r["option1"]), s.replace("_", r["option2"])],
            "gold": int(lab) - 1,
        }


BUILDERS: dict[str, Callable[[Path], Iterator[Item]]] = {
    "blimp": blimp,
    "gold_vs_ocr": gold_vs_ocr,
    "lambada": lambada,
    "hellaswag": hellaswag,
    "piqa": piqa,
    "arc_easy": arc,
    "arc_challenge": arc,
    "winogrande": winogrande,
}


def build_items(
    kind: str, path: Path, max_items: int, seed: int, fits: Callable[[Item], bool] | None = None
) -> list[Item]:
    """All items of a task that ``fits`` accepts, then a seeded sample of ``max_items`` (in source order)."""
    if not path.exists():
        raise FileNotFoundError(f"evaluation task {kind!r}: {path} does not exist (set the task's path)")
    items = [it for it in BUILDERS[kind](path) if fits is None or fits(it)]
    if not items:
        raise ValueError(f"evaluation task {kind!r}: no usable items in {path}")
    if len(items) > max_items:
        keep = sorted(random.Random(seed).sample(range(len(items)), max_items))
        items = [items[i] for i in keep]
    return items


def write_items(items: list[Item], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "test.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    return folder
