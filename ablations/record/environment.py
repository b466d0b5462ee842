"""What a run records about where it ran: package versions, git commit, hardware, command."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

ENVIRONMENT_FILE = "environment.json"

# Every package pyproject.toml declares (its dependencies and the signals extra: tests/test_run_record.py checks),
# and nanotron (the trainer of GPU clusters, in its own environment: None where it is not installed)
PACKAGES = (
    "finebooks",
    # reading, processing, dedup
    "datatrove",
    "spacy",
    "lxml",
    "ftfy",
    "wordfreq",
    "rapidfuzz",
    "uniseg",
    "py3langid",
    "xxhash",
    "langcodes",
    "pillow",
    "fsspec",
    "huggingface-hub",
    "ray",
    # OCR-quality models
    "scikit-learn",
    "threadpoolctl",
    "fasttext-numpy2-wheel",
    "kenlm",
    # tokenizing, training, evaluation
    "tokenizers",
    "torch",
    "transformers",
    "accelerate",
    "safetensors",
    "nanotron",
    "datasets",
    "lighteval",
    # decisions and records
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "pydantic",
    "pyyaml",
    "tqdm",
    "wandb",
)


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_state(repo: Path) -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            res = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return res.stdout.strip() if res.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def hardware() -> dict[str, Any]:
    info: dict[str, Any] = {
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
    }
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["memory_gb"] = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        info["memory_gb"] = None
    try:
        import torch

        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # no torch, or a broken driver: record that we could not tell
        info["gpus"] = None
    return info


def environment(repo: Path) -> dict[str, Any]:
    """Everything a reader of the run needs to know about the environment it ran in."""
    return {
        "time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": [sys.executable, *sys.argv],
        "cwd": os.getcwd(),
        "python": sys.version.split()[0],
        "host": platform.node(),
        "git": git_state(repo),
        "packages": package_versions(),
        "hardware": hardware(),
    }


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GitState(_Model):
    commit: str | None  # None: not a git checkout, or git missing
    dirty: bool | None  # uncommitted changes to tracked files


class Hardware(_Model):
    machine: str
    processor: str | None
    cpus: int | None
    cpus_usable: int | None
    platform: str
    memory_gb: float | None
    gpus: list[str] | None  # None: could not tell (no torch, or a broken driver)


class Environment(_Model):
    """``environment()`` as a typed record (a run's ``environment.json``)."""

    time_utc: str
    command: list[str]
    cwd: str
    python: str
    host: str
    git: GitState
    packages: dict[str, str | None]
    hardware: Hardware


def read_environment(run_dir: Path) -> Environment:
    """The environment a run recorded when it started (``environment.json`` in its run folder)."""
    return Environment.model_validate(json.loads((run_dir / ENVIRONMENT_FILE).read_text(encoding="utf-8")))
