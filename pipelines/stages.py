"""The stage protocol: process, dedup, tokenizer, tokens and training runs are all ``Stage`` objects.

A stage is a pure function of its key: ``key`` holds everything that decides its output, built from the stage's
inputs only; ``folder`` is ``<root>/<kind>-<hash of key>``; ``manifest.json`` (written last, atomically) marks it
finished. ``run()`` therefore reuses a finished stage, and redoes (``fresh``) or resumes a killed one. Whoever needs
a folder (the SLURM driver, a plan, a later stage's key) constructs the stage and reads ``folder``: nothing runs.

    stage = ProcessStage(data, blocks, executor, root)
    stage.folder        # named without running anything
    stage.finished()    # the manifest, or None
    stage.run()         # StageResult(folder, manifest, reused)
    stage.result()      # the same, read from the manifest of a finished stage
"""

from __future__ import annotations

import json
import shutil
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from pipelines import console
from pipelines.fingerprint import stable_hash

MANIFEST = "manifest.json"
KEY_FILE = "stage_key.json"


@dataclass
class StageResult:
    folder: Path
    manifest: dict[str, Any]
    reused: bool

    @property
    def summary(self) -> dict[str, Any]:
        """Books in, kept and dropped (process and dedup stages)."""
        return self.manifest.get("summary", {})


class Stage(ABC):
    """One hashed, resumable stage. Subclasses set ``kind`` and ``root``, define ``key`` and ``compute``."""

    kind: str  # the folder's prefix
    root: Path  # the folder holding every stage folder of a run
    fresh: ClassVar[bool] = False  # True: a killed run starts again from an empty folder (it cannot resume)
    draws_bar: ClassVar[bool] = False  # True: its own progress bar shows that it runs (no "running" line)
    announce: ClassVar[bool] = True  # False: a quick stage, one line when done (no "running" line)

    @property
    @abstractmethod
    def key(self) -> dict[str, Any]:
        """Everything that decides the output, from the inputs only (subclasses cache it: it may list files)."""

    @abstractmethod
    def compute(self) -> dict[str, Any]:
        """Do the work into ``folder``; what the manifest records besides stage, key and seconds."""

    @property
    def label(self) -> str:
        """The stage's name in its manifest."""
        return self.kind

    @cached_property
    def folder(self) -> Path:
        return stage_folder(self.root, self.kind, self.key)

    def finished(self) -> dict[str, Any] | None:
        """The manifest of the finished stage, or None."""
        return finished(self.folder)

    def result(self) -> StageResult:
        """The result of the finished stage, read from its manifest."""
        manifest = self.finished()
        if manifest is None:
            raise RuntimeError(f"{self.folder}: the {self.label} stage has not finished (no {MANIFEST}); run it first")
        return StageResult(self.folder, manifest, reused=True)

    def outcome(self, record: dict[str, Any]) -> str:
        """What the finished stage's record says in one phrase, for its console line (a stage may say more)."""
        return outcome(record)

    def run(self, about: str = "") -> StageResult:
        """Run the stage, or reuse it when finished; a killed run is resumed (or redone when ``fresh``). One console
        line says so (two when it runs, unless it draws its own bar), naming the stage and ``about`` (the variant it
        runs for; default: the variant of the stage running it)."""
        about = about or console.about()
        name = f"{self.label} {about}".strip()
        if self.finished():
            console.say(f"{name}: reused ({self.folder.name})")
            return self.result()
        if not self.draws_bar and self.announce:
            console.say(f"{name}: running ({self.folder.name})")
        start(self.folder, self.key, fresh=self.fresh)
        t0 = time.time()
        with console.running_for(about):
            record = self.compute()
        record = {"stage": self.label, "key": self.key, **record, "seconds": round(time.time() - t0, 2)}
        result = StageResult(self.folder, finish(self.folder, record), reused=False)
        console.say(f"{name}: {self.outcome(record)} in {record['seconds']:.0f} s ({self.folder.name})")
        for warning in result.summary.get("warnings", []):
            console.say(f"{name}: WARNING: {warning}", err=True)
        return result


def outcome(record: dict[str, Any]) -> str:
    """What a finished stage's record says in one phrase: books kept, tokens written, or "done"."""
    summary = record.get("summary") or {}
    if "in" in summary and "kept" in summary:
        return f"{summary['kept'].get('documents', 0)} of {summary['in'].get('documents', 0)} books kept"
    if isinstance(record.get("tokens"), int):
        return f"{record['tokens']:,} tokens"
    return "done"


def stage_folder(root: Path, kind: str, key: Any) -> Path:
    """``<root>/<kind>-<hash of key>``, absolute."""
    return (root / f"{kind}-{stable_hash(key)}").resolve()


def finished(folder: Path) -> dict | None:
    """The manifest of a finished stage, or None."""
    manifest = folder / MANIFEST
    return json.loads(manifest.read_text()) if manifest.exists() else None


def start(folder: Path, key: Any, fresh: bool = False) -> None:
    """Make the folder (emptied first when ``fresh``: a stage that cannot resume part-way) and record its key."""
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / KEY_FILE).write_text(json.dumps(key, indent=2, ensure_ascii=False, default=str))


def write_json(path: Path, record: Any) -> None:
    """Write ``record`` as JSON atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str))
    tmp.replace(path)


def finish(folder: Path, record: dict) -> dict:
    """Write the manifest (last, atomically): the stage is finished."""
    write_json(folder / MANIFEST, record)
    return record
