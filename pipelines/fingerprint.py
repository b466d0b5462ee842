"""Cheap, deterministic fingerprints of inputs and configs, used to name stage folders."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
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


def content_digest(folder: Path, pattern: str = "*.jsonl*") -> str:
    """sha256 of the decompressed bytes of the matching files, in name order. Compressed bytes would not do: gzip
    headers carry a time, so two runs writing the same documents write different ``.gz`` files."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob(pattern)):
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as f:
            for chunk in iter(lambda f=f: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


_FILE_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_sha256(path: str | Path) -> str | None:
    """sha256 of a file's bytes (None when it does not exist), cached on (path, size, modification time)."""
    try:
        st = Path(path).stat()
    except FileNotFoundError:
        return None
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if key not in _FILE_DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda f=f: f.read(1 << 20), b""):
                digest.update(chunk)
        _FILE_DIGESTS[key] = digest.hexdigest()
    return _FILE_DIGESTS[key]
