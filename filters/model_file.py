"""Learned model files of the blocks (the CER estimator, the line-role classifier): one mechanism for both.

A model file is one ``joblib`` dict with a ``format`` tag, whatever the model needs, and its training ``record``;
the record is also written beside it as ``<file>.json`` (with the file's sha256) for people and run records.
Loading names the file and the command that trains one when it is missing, unreadable or of another format; the
caller then checks what its model depends on (feature names, a fingerprint).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np


def cached_model(name: str) -> str:
    """``$FINEBOOKS_CACHE/models/<name>`` (cache default ``~/.cache/finebooks``): where trainers write a default
    model and blocks look for it."""
    cache = os.environ.get("FINEBOOKS_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "finebooks"))
    return os.path.join(cache, "models", name)


class ModelFileError(ValueError):
    """A model file that cannot be used, naming it."""


def save_model_file(path: str | Path, payload: dict[str, Any], record: dict[str, Any]) -> str:
    """Write ``payload`` plus ``record`` to ``path`` and the record to ``<path>.json``; return the file's sha256."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({**payload, "record": record}, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    Path(f"{path}.json").write_text(json.dumps({**record, "sha256": digest}, indent=2) + "\n")
    return digest


def load_model_file(path: str | Path, fmt: str, what: str, train: str, prefix: str = "") -> dict[str, Any]:
    """The dict in the model file ``path`` of format ``fmt``.

    ``what`` names the kind of model ("CER estimator model") and ``train`` the command that trains one, both for the
    errors: FileNotFoundError when it is missing, ``ModelFileError`` when it cannot be read or is of another format.
    ``prefix`` (e.g. the block parameter, "line_model: ") starts every message."""
    import joblib

    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{prefix}{what} {str(path)!r} not found; train one with: {train}")
    try:
        data = joblib.load(path)
    except Exception as e:  # noqa: BLE001 (any unpickling failure is a bad model file)
        raise ModelFileError(f"{prefix}{path}: not a {what} file ({e.__class__.__name__}: {e})") from e
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ModelFileError(f"{prefix}{path}: not a {what} file (expected format {fmt})")
    return data


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of ``names`` ("not installed" where one is missing)."""
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def training_stamp(started: float, packages: tuple[str, ...]) -> dict[str, Any]:
    """What every training record ends with: the versions of ``packages``, seconds since ``started``, the UTC date."""
    return {
        "packages": package_versions(packages),
        "seconds": round(time.time() - started, 1),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def group_weights(groups: list[str]) -> np.ndarray:
    """Per row, one over the square root of its group's size, with mean 1: no large group decides alone."""
    counts: dict[str, int] = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    w = np.array([1 / math.sqrt(counts[g]) for g in groups])
    return w / w.mean()
