"""Hashed stage folders (process, dedup, tokenizer, tokens, training runs).

A stage is a pure function of its key: its folder is named by the key's hash, and its ``manifest.json`` (written
last, atomically) marks it finished, so a finished stage is reused and a killed one redone or resumed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from pipelines.fingerprint import stable_hash


def stage_folder(root: Path, kind: str, key: Any) -> Path:
    """``<root>/<kind>-<hash of key>``, absolute."""
    return (root / f"{kind}-{stable_hash(key)}").resolve()


def finished(folder: Path) -> dict | None:
    """The manifest of a finished stage, or None."""
    manifest = folder / "manifest.json"
    return json.loads(manifest.read_text()) if manifest.exists() else None


def start(folder: Path, key: Any, fresh: bool = False) -> None:
    """Make the folder (emptied first when ``fresh``: a stage that cannot resume part-way) and record its key."""
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stage_key.json").write_text(json.dumps(key, indent=2, ensure_ascii=False, default=str))


def write_json(path: Path, record: Any) -> None:
    """Write ``record`` as JSON atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str))
    tmp.replace(path)


def finish(folder: Path, record: dict) -> dict:
    write_json(folder / "manifest.json", record)
    return record
