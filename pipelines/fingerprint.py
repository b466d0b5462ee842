"""Cheap, deterministic fingerprints of inputs and configs, used to name stage folders."""

from __future__ import annotations

import functools
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


# A listing's files are hashed (content) when each is at most HASH_FILE_LIMIT bytes and all together at most
# HASH_TOTAL_LIMIT: a small collection costs a second to hash once per process (``file_sha256`` caches), while a
# collection of terabytes cannot be read every time a stage is named; there size and modification time stand in.
HASH_FILE_LIMIT = 8 << 20
HASH_TOTAL_LIMIT = 512 << 20


def _file_entry(folder: DataFolder, path: str, size: int, hash_content: bool) -> list:
    """``[path, size, sha256]`` for a local file hashed, else ``[path, size, mtime_ns]`` (local) or the remote
    file system's own version fields (mtime, ETag, ...)."""
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(folder.fs, LocalFileSystem):
        full = Path(folder.path) / path
        if hash_content and size <= HASH_FILE_LIMIT:
            return [path, size, file_sha256(full)]
        return [path, size, full.stat().st_mtime_ns]
    info = folder.info(path)
    version = {k: str(info[k]) for k in ("mtime", "LastModified", "last_modified", "ETag", "etag", "md5") if k in info}
    return [path, size, version]


def listing_fingerprint(folder: DataFolder, files: list[str]) -> dict[str, Any]:
    """Fingerprint of the files a reader will read: count, total bytes, and a hash of each file's path, size and
    content (sha256 when the listing is small enough, see HASH_TOTAL_LIMIT; else its modification time), so an
    edit that keeps a file's size still names a new stage. ``content`` says which was used."""
    sizes = [(f, folder.size(f)) for f in sorted(files)]
    total = sum(s for _, s in sizes)
    hash_content = total <= HASH_TOTAL_LIMIT
    entries = [_file_entry(folder, f, size, hash_content) for f, size in sizes]
    return {
        "files": len(sizes),
        "bytes": total,
        "content": "sha256" if hash_content else "mtime",
        "listing_sha256": stable_hash(entries, 64),
    }


def library_versions(*names: str) -> dict[str, str | None]:
    """Installed versions of the named distributions (None when one is not installed): part of a stage's key."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    """Top-level module name -> distributions that provide it (scans the installed packages once per process)."""
    from importlib.metadata import packages_distributions

    return packages_distributions()


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
RACY_SECONDS = 2.0  # a file changed this recently may change again without a visible change of size or time


def file_sha256(path: str | Path) -> str | None:
    """sha256 of a file's bytes (None when it does not exist), cached on (path, size, modification time). A file
    modified in the last RACY_SECONDS is hashed every time (as git does with "racily clean" files): file times are
    coarse (a few ms), so an edit at equal size right after a hash could otherwise leave the cache stale."""
    import time

    try:
        st = Path(path).stat()
    except FileNotFoundError:
        return None
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if key in _FILE_DIGESTS:
        return _FILE_DIGESTS[key]
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda f=f: f.read(1 << 20), b""):
            digest.update(chunk)
    if time.time() - st.st_mtime_ns / 1e9 > RACY_SECONDS:
        _FILE_DIGESTS[key] = digest.hexdigest()
    return digest.hexdigest()
