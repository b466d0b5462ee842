"""Learned model files of the blocks (the CER estimator, the line-role classifier): one mechanism for both.

A model file holds data only, so that loading one named in a recipe runs no code: a zip (readable by ``numpy.load``
as an ``.npz``) of ``header.json`` (a ``format`` tag, whatever the model needs, its training ``record``) and NumPy
arrays (``<name>.npy``, read with ``allow_pickle=False``). It is written byte for byte the same from the same
content (fixed member dates). The record is also written beside it as ``<file>.json`` (with the file's sha256) for
people and run records. Loading names the file and the command that trains one when it is missing, unreadable, of
another format, or a pickle (``joblib``, the format of earlier versions: never unpickled, since that runs code);
the caller then checks what its model depends on (feature names, a fingerprint).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import zipfile
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

HEADER = "header.json"
_DATE = (1980, 1, 1, 0, 0, 0)  # every member's date: the same model, the same bytes (and sha256)
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
PICKLE = (
    "a pickle (joblib, the format of earlier versions), which is not loaded: unpickling runs whatever code the file "
    "holds"
)


def cached_model(name: str) -> str:
    """``$FINEBOOKS_CACHE/models/<name>`` (cache default ``~/.cache/finebooks``): where trainers write a default
    model and blocks look for it."""
    cache = os.environ.get("FINEBOOKS_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "finebooks"))
    return os.path.join(cache, "models", name)


class ModelFileError(ValueError):
    """A model file that cannot be used, naming it."""


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def save_model_file(path: str | Path, header: dict[str, Any], arrays: dict[str, np.ndarray], record: dict) -> str:
    """Write ``header`` plus ``record`` and ``arrays`` (numbers and booleans) to ``path`` and the record to
    ``<path>.json``; return the file's sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        z.writestr(_member(HEADER), json.dumps({**header, "record": record}, indent=1, sort_keys=True))
        for name, array in sorted(arrays.items()):
            with z.open(_member(f"{name}.npy"), "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)
    tmp.replace(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    Path(f"{path}.json").write_text(json.dumps({**record, "sha256": digest}, indent=2) + "\n")
    return digest


def _read(path: Path) -> tuple[Any, dict[str, np.ndarray]]:
    """The header and arrays of a model file (any zip, json or array error propagates)."""
    arrays = {}
    with zipfile.ZipFile(path) as z:
        header = json.loads(z.read(HEADER))
        for name in z.namelist():
            if name.endswith(".npy"):
                with z.open(name) as f:
                    arrays[name[: -len(".npy")]] = np.lib.format.read_array(f, allow_pickle=False)
    return header, arrays


def is_pickle(path: str | Path) -> bool:
    """Whether the file ``path`` looks like a pickle (a ``.joblib``/``.pkl`` name or pickle's first byte) and is not
    a zip. Model files of any kind may be checked: fastText, KenLM and ours never start so."""
    path = Path(path)
    with path.open("rb") as f:
        magic = f.read(4)
    return magic != b"PK\x03\x04" and (magic[:1] == b"\x80" or path.suffix in _PICKLE_SUFFIXES)


def load_model_file(
    path: str | Path, fmt: str, what: str, train: str, prefix: str = ""
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header (with its ``record``) and the arrays of the model file ``path`` of format ``fmt``.

    ``what`` names the kind of model ("CER estimator model") and ``train`` the command that trains one (``{path}``:
    where it writes), both for the errors: FileNotFoundError when it is missing, ``ModelFileError`` when it cannot
    be read, is of another format or is a pickle. ``prefix`` (e.g. the block parameter, "line_model: ") starts
    every message."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{prefix}{what} {str(path)!r} not found; train one with: {train.format(path=path)}")
    if is_pickle(path):
        new = path.with_suffix(".npz")
        raise ModelFileError(
            f"{prefix}{path}: not a {what} file but {PICKLE}. Retrain the model with: {train.format(path=new)} "
            "and name the new file where this one was named"
        )
    try:
        header, arrays = _read(path)
    except Exception as e:  # noqa: BLE001 (any failure to read it is a bad model file)
        raise ModelFileError(f"{prefix}{path}: not a {what} file ({e.__class__.__name__}: {e})") from e
    if not isinstance(header, dict) or header.get("format") != fmt:
        raise ModelFileError(f"{prefix}{path}: not a {what} file (expected format {fmt})")
    return header, arrays


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
