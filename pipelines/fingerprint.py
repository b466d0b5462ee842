"""Cheap, deterministic fingerprints of inputs and configs, used to name stage folders."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from datatrove.io import DataFolder


def stable_hash(obj: Any, length: int = 12) -> str:
    """Hash of a JSON-serialisable object, independent of key order."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:length]


def listing_fingerprint(folder: DataFolder, files: list[str]) -> dict[str, Any]:
    """Fingerprint of the files a reader will read: count, total bytes, and a hash of (path, size) pairs.

    Content is not read (collections can be terabytes); a file edited in place to the same size is not noticed.
    """
    sizes = [(f, folder.size(f)) for f in sorted(files)]
    return {"files": len(sizes), "bytes": sum(s for _, s in sizes), "listing_sha256": stable_hash(sizes, 64)}
