"""The built-in evaluation tasks (registry names in ``ablations/eval/tasks.py``): each reads its local source files
into cloze items (no letters, no instructions, as FineWeb's early-signal tasks), or text for bits per byte, and knows
its default file under the shared data folder and its chance level."""

from __future__ import annotations

import bz2
import csv
from collections.abc import Iterator
from pathlib import Path

from ablations.eval.tasks import ChoiceTask, Item, TextTask
from pipelines import jsonl


def _labels(path: Path) -> list[str]:
    return [x.strip() for x in path.read_text().splitlines() if x.strip()]


def _labels_file(path: Path) -> Path:
    """The labels beside a PIQA or WinoGrande file: ``<stem>-labels.lst``."""
    return path.with_name(path.stem + "-labels.lst")


class BitsPerByte(TextTask):
    """Bits per byte of text: the held-out documents (no ``path``), or every file under ``path`` in chunks of 1000
    characters (whitespace normalised)."""

    def chunks(self, path: Path) -> list[str]:
        size = 1000
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        chunks = []
        for f in files:
            text = " ".join(f.read_text(encoding="utf-8", errors="replace").split())
            chunks += [text[i : i + size] for i in range(0, len(text) - size + 1, size)]
        return chunks


class GoldVsOcr(ChoiceTask):
    """GHT sentence pairs: the gold (Gutenberg) sentence against its OCR (HathiTrust); pairs that differ only."""

    chance = 0.5
    default_path = "ocr_gold/ght/guten_ht_low_test.tsv"

    def items(self, path: Path) -> Iterator[Item]:
        with open(path, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                gold, ocr = r["output"].strip(), r["input"].strip()
                if gold and ocr and gold != ocr:
                    yield {"id": f"{path.stem}/{r['id']}", "query": "", "choices": [gold, ocr], "gold": 0}


class Blimp(ChoiceTask):
    """BLiMP minimal pairs (a folder of its .jsonl files, or one file): the good sentence against the bad one."""

    chance = 0.5
    default_path = "eval/blimp/data"

    def items(self, path: Path) -> Iterator[Item]:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for f in files:
            for r in jsonl.iterate(f):
                yield {
                    "id": f"{r['UID']}/{r['pairID']}",
                    "query": "",
                    "choices": [r["sentence_good"], r["sentence_bad"]],
                    "gold": 0,
                }


class Lambada(ChoiceTask):
    """LAMBADA (OpenAI's version, llm-foundry's file): one continuation; acc = greedy decoding gives it."""

    default_path = "eval/llmfoundry/language_understanding/lambada_openai.jsonl"

    def items(self, path: Path) -> Iterator[Item]:
        for i, r in enumerate(jsonl.iterate(path)):
            yield {"id": str(i), "query": r["context"], "choices": [" " + r["continuation"]], "gold": 0}


class Hellaswag(ChoiceTask):
    chance = 0.25
    metric = "acc_norm"  # as lighteval and FineWeb score HellaSwag, ARC and PIQA
    default_path = "eval/hellaswag/hellaswag_val_full.txt.bz2"

    def items(self, path: Path) -> Iterator[Item]:
        with bz2.open(path, "rt", encoding="utf-8") as f:
            lines = [line.rstrip("\n") for line in f]
        for i in range(0, len(lines) - 5, 6):
            ctx, label, *endings = lines[i : i + 6]
            yield {"id": str(i // 6), "query": ctx, "choices": [" " + e for e in endings], "gold": int(label)}


class Piqa(ChoiceTask):
    chance = 0.5
    metric = "acc_norm"
    default_path = "eval/piqa/valid.jsonl"

    def files(self, path: Path) -> list[Path]:
        return [path, _labels_file(path)]

    def items(self, path: Path) -> Iterator[Item]:
        labels = _labels(_labels_file(path))
        for i, (r, lab) in enumerate(zip(jsonl.iterate(path), labels, strict=True)):
            yield {"id": str(i), "query": r["goal"], "choices": [" " + r["sol1"], " " + r["sol2"]], "gold": int(lab)}


class ArcEasy(ChoiceTask):
    chance = 0.25
    metric = "acc_norm"
    default_path = "eval/llmfoundry/world_knowledge/arc_easy.jsonl"

    def items(self, path: Path) -> Iterator[Item]:
        for i, r in enumerate(jsonl.iterate(path)):
            query = r["query"].removeprefix("Question: ") + "\nAnswer:"
            yield {"id": str(i), "query": query, "choices": [" " + c for c in r["choices"]], "gold": int(r["gold"])}


class ArcChallenge(ArcEasy):
    default_path = "eval/llmfoundry/world_knowledge/arc_challenge.jsonl"


class Winogrande(ChoiceTask):
    """Whole sentences with each option in the blank, scored from the document start (partial scoring would
    need two contexts per item)."""

    chance = 0.5
    default_path = "eval/winogrande/dev.jsonl"

    def files(self, path: Path) -> list[Path]:
        return [path, _labels_file(path)]

    def items(self, path: Path) -> Iterator[Item]:
        labels = _labels(_labels_file(path))
        for r, lab in zip(jsonl.iterate(path), labels, strict=True):
            s = r["sentence"]
            yield {
                "id": r["qID"],
                "query": "",
                "choices": [s.replace("_", r["option1"]), s.replace("_", r["option2"])],
                "gold": int(lab) - 1,
            }
