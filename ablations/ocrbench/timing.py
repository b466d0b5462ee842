"""Timings of the benchmark kept per run: every run appends one record per system to ``<system folder>/runs.jsonl``,
so a rerun that reads every page from the cache adds its own (near-zero) wall time instead of replacing the time the
engine took when it read the pages."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def record_run(folder: Path, pages: int, ran: int, wall: float, engine_seconds: float) -> dict[str, Any]:
    """Append this run's timing of one system (``ran`` of ``pages`` read by the engine now, the rest from the cache)
    to ``folder/runs.jsonl``; returns the record."""
    record = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "pages": pages,
        "pages_run": ran,
        "pages_cached": pages - ran,
        "wall_seconds": round(wall, 2),
        "engine_seconds_run": round(engine_seconds, 2),
    }
    with open(folder / "runs.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    return record


def timing_of(folder: Path, record: dict[str, Any], page_seconds: list[float | None]) -> dict[str, Any]:
    """A system's timing for the summary: this run, every run so far, and ``engine_seconds`` (the engine's seconds
    summed over the pages scored now, as recorded when each page was read: the same on a cached rerun)."""
    runs = [json.loads(line) for line in (folder / "runs.jsonl").read_text(encoding="utf-8").splitlines() if line]
    timed = [s for s in page_seconds if s is not None]
    return {
        "pages": record["pages"],
        "this_run": record,
        "runs": runs,
        "engine_seconds": round(sum(timed), 2) if timed else None,
    }
