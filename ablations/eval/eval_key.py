"""What decides a training run's evaluation, for its stage key: the tasks' files and code, the held-out text, the
evaluation code and lighteval's version.

A training run's folder holds its scores, so its key must change when anything that changes a score changes: a task
file overwritten in place, a user's task module edited, the evaluator's code, lighteval upgraded, the gold text of
the held-out documents. Files are keyed by the sha256 of their bytes (``pipelines.fingerprint.file_sha256``, cached
on size and modification time), code by the closure of the modules it imports (``pipelines/code_closure.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ablations.eval.tasks import TASKS, make_task
from ablations.recipe.schema import RecipeConfig
from pipelines.code_closure import code_fingerprint
from pipelines.fingerprint import file_sha256, library_versions, stable_hash


def shared_data_folder(repo: Path) -> Path | None:
    """The shared data folder: ``$FINEBOOKS_SHARED_DATA``, else ``<repo>/../shared/data``; None when missing."""
    path = Path(os.environ.get("FINEBOOKS_SHARED_DATA") or repo.parent / "shared" / "data")
    return path if path.is_dir() else None


def task_path(path: str | None, default: str | None, shared_data: Path | None) -> Path | None:
    """The file or folder a task reads: its config's ``path``, else its default under the shared data folder."""
    if path:
        return Path(path)
    return shared_data / default if default and shared_data is not None else None


def evaluation_key(cfg: RecipeConfig, shared_data: Path | None, holdout: dict[str, str]) -> dict[str, Any]:
    """Per task its code and the sha256 of every file it reads (None for a missing one), the held-out documents'
    text, the evaluator's code and lighteval's version."""
    from ablations.eval.evaluator import Evaluator

    tasks = {}
    for t in cfg.evaluation.tasks:
        task = make_task(t.kind, t.params)
        path = task_path(t.path, task.default_path, shared_data)
        files = task.files(path) if path is not None else []
        tasks[t.name] = {
            "code": code_fingerprint(TASKS.resolve(t.kind)),
            "files": stable_hash([[_name(p, path), file_sha256(p)] for p in files], 64),
        }
    return {
        "tasks": tasks,
        "holdout": stable_hash(sorted(holdout.items()), 64) if holdout else None,
        "code": code_fingerprint(Evaluator),
        "versions": library_versions("lighteval", "datasets"),
    }


def _name(file: Path, path: Path) -> str:
    """A file's name in the key: relative to the task's folder, or its own name (never a machine's path)."""
    return str(file.relative_to(path)) if path.is_dir() and file.is_relative_to(path) else file.name
