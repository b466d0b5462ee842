"""Helpers of the dedup tests: books written as a previous stage leaves them, and a stage's books read back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def write_input(folder: Path, docs: list[dict], files: int = 2) -> Path:
    """Books as a previous stage leaves them: ``folder/output/<rank>.jsonl.gz``, dealt round-robin."""
    (folder / "output").mkdir(parents=True)
    for k in range(files):
        with gzip.open(folder / "output" / f"{k:05d}.jsonl.gz", "wt", encoding="utf-8") as f:
            for d in docs[k::files]:
                f.write(json.dumps(d) + "\n")
    return folder


def read(folder: Path) -> dict[str, dict]:
    """Id -> book of every ``*.jsonl.gz`` in ``folder``."""
    out = {}
    for f in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            out |= {d["id"]: d for d in map(json.loads, fh)}
    return out
