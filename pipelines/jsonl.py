"""JSON Lines files (``.jsonl`` or gzipped ``.jsonl.gz``): read, iterate, write, append."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any


def open_text(path: Path, mode: str = "rt") -> IO[str]:
    """``path`` opened as UTF-8 text, through gzip when it ends in ``.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, mode, encoding="utf-8")
    return open(path, mode.replace("t", ""), encoding="utf-8")


def iterate(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of one file, one at a time (blank lines skipped)."""
    with open_text(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def iterate_folder(folder: Path, pattern: str = "*.jsonl*") -> Iterator[dict[str, Any]]:
    """The rows of every matching file in ``folder``, files in name order (a stage's ``output/`` shards)."""
    for path in sorted(folder.glob(pattern)):
        yield from iterate(path)


def read(path: Path) -> list[dict[str, Any]]:
    """All rows of ``path``; none when it does not exist."""
    return list(iterate(path)) if path.exists() else []


def write(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write ``rows`` as ``path`` (replacing it), making its folder first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_text(path, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)


def append(path: Path, row: dict[str, Any]) -> None:
    with open_text(path, "at") as f:
        f.write(json.dumps(row) + "\n")
