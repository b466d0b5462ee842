"""Per-task side files of the dedup stages: what each book is (doc info) and what happens to it (decisions).

Every dedup stage reads the previous stage's output with the same number of tasks twice: once to compute
signatures and once to apply decisions. A book is known by ``(rank, idx)``, its task and its position in that
task's input, exactly as datatrove's own MinHash stages do; the doc info file also holds its id, so that the
apply step can check it sees the same book at the same position (and fail loudly if not).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from datatrove.io import DataFolder

from filters.signals.base import BOOK_KEY


def quality_of(metadata: dict, key: str) -> float | None:
    """The book's quality signal, or None when the key is missing or not a finite number.

    ``key`` is a metadata key (``word_confidence``), a dotted path into nested metadata, or the name of a book-level
    OCR-quality signal, which the filter section writes under ``metadata["ocr_signals"]`` (``ocr_cer_estimate``).
    """
    if key in metadata:
        value = metadata[key]
    elif "." in key:
        value = metadata
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    else:
        value = (metadata.get(BOOK_KEY) or {}).get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


@dataclass
class DocInfo:
    rank: int
    idx: int
    id: str
    quality: float | None
    size: int  # characters of text
    extra: dict[str, Any]


class DocInfoWriter:
    """``<folder>/<rank>.jsonl``: one line per input book, in input order."""

    def __init__(self, folder: DataFolder, rank: int):
        self.file = folder.open(f"{rank:05d}.jsonl", "wt")
        self.idx = 0

    def write(self, doc, quality_key: str, **extra: Any) -> int:
        row = {"i": self.idx, "id": doc.id, "q": quality_of(doc.metadata, quality_key), "n": len(doc.text), **extra}
        self.file.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.idx += 1
        return self.idx - 1

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> DocInfoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_doc_infos(folder: DataFolder, world_size: int) -> list[list[DocInfo]]:
    """Doc infos of every rank (a list per rank, indexed by position); a missing file is an error naming it."""
    out = []
    for rank in range(world_size):
        name = f"{rank:05d}.jsonl"
        if not folder.exists(name):
            raise FileNotFoundError(f"doc info {folder.path}/{name} is missing: the signature step did not finish")
        rows = []
        with folder.open(name, "rt") as f:
            for line in f:
                r = json.loads(line)
                extra = {k: v for k, v in r.items() if k not in ("i", "id", "q", "n")}
                rows.append(DocInfo(rank, r["i"], r["id"], r["q"], r["n"], extra))
        out.append(rows)
    return out


def survivor_key(keep: str, higher_is_better: bool, fallback: float | None):
    """Sort key for a cluster's members: the smallest key is kept (best quality first, then input order)."""

    def key(info: DocInfo) -> tuple:
        if keep == "first":
            return (info.rank, info.idx)
        q = info.quality if info.quality is not None else fallback
        if q is None:
            return (1, 0.0, info.rank, info.idx)
        return (0, -q if higher_is_better else q, info.rank, info.idx)

    return key


def write_decisions(folder: DataFolder, decisions: dict[int, list[dict]], world_size: int) -> None:
    """``<folder>/<rank>.jsonl``: one line per book that is in a cluster or dropped, sorted by position."""
    for rank in range(world_size):
        with folder.open(f"{rank:05d}.jsonl", "wt") as f:
            for row in sorted(decisions.get(rank, []), key=lambda r: r["i"]):
                f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_decisions(folder: DataFolder, rank: int) -> dict[int, dict]:
    name = f"{rank:05d}.jsonl"
    if not folder.exists(name):
        raise FileNotFoundError(
            f"dedup decisions {folder.path}/{name} are missing: the clustering step did not finish"
        )
    with folder.open(name, "rt") as f:
        return {row["i"]: row for row in map(json.loads, f)}
