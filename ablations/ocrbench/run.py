"""Run the benchmark: every system on every page in its scope, each output kept on disk, every page scored.

Outputs are cached per system in ``outputs/<system id>-<digest>/pages/<page id>.json`` (text, seconds, failure);
the digest covers the engine's name, parameters and description (version, model hashes), so a changed engine gets a
new folder and an interrupted run resumes where it stopped. A page an engine fails on is recorded as failed with
the reason and scored as an empty output (every gold character an error): it is never dropped from the totals; an
engine that succeeds with no text is scored the same way and flagged ``empty``. A page whose image or gold file is
missing, or whose gold cannot be read, is skipped for every system, with the reason, before any engine runs. Each
run's timing is appended per system (``timing.py``), so a cached rerun never replaces the time the engine took.
"""

from __future__ import annotations

import hashlib
import json
import queue
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ablations.ocrbench.config import OcrBenchConfig, SystemSpec
from ablations.ocrbench.gold import find_pages, gold_text
from ablations.ocrbench.metrics import score_pair
from ablations.ocrbench.pages import BenchPage
from ablations.ocrbench.timing import record_run, timing_of
from pipelines.ocr.pages import EngineError, EngineUnavailable
from pipelines.readers.base import BadInput


@dataclass
class Outcome:
    """What one engine made of one page."""

    text: str
    seconds: float | None
    failed: bool = False
    error: str = ""
    notes: list[str] = field(default_factory=list)  # the engine's remarks on the page (e.g. a truncated answer)


@dataclass
class System:
    """A configured system, its engine and where its outputs go."""

    spec: SystemSpec
    engine: Any
    folder: Path
    description: dict


def system_digest(spec: SystemSpec, description: dict) -> str:
    payload = {"engine": spec.engine, "params": spec.params(), "describe": description}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]


def prepare_systems(cfg: OcrBenchConfig) -> list[System]:
    """Build and check every engine before any page is run. Raises EngineUnavailable naming the system."""
    systems, problems = [], []
    for spec in cfg.systems:
        engine = spec.build()
        try:
            engine.check()
        except EngineUnavailable as e:
            problems.append(f"systems[{spec.id}] ({spec.engine}): {e}")
            continue
        description = engine.describe()
        folder = cfg.out / "outputs" / f"{spec.id}-{system_digest(spec, description)}"
        systems.append(System(spec, engine, folder, description))
    if problems:
        raise EngineUnavailable("\n  ".join(["engine(s) cannot run here:", *problems]))
    return systems


def read_golds(pages: list[BenchPage]) -> tuple[dict[str, str], list[dict]]:
    """Gold text of every page; pages whose gold cannot be read are listed with the reason instead."""
    golds, skipped = {}, []
    for page in pages:
        try:
            text = gold_text(page)
            if not text.strip():
                raise BadInput("empty", str(page.gold), "no text in the gold: no error rate can be measured")
            golds[page.id] = text
        except BadInput as bad:
            skipped.append({"page": page.id, "file": str(page.gold), "reason": bad.reason, "detail": bad.detail[:300]})
    return golds, skipped


def _recognize(engine: Any, page: BenchPage) -> Outcome:
    start = time.perf_counter()
    try:
        text = engine.recognize(page)
    except EngineError as e:
        return Outcome("", time.perf_counter() - start, True, str(e)[:2000])
    except Exception as e:  # noqa: BLE001 - an engine bug on one page is that page's failure, not the run's
        return Outcome("", time.perf_counter() - start, True, f"{type(e).__name__}: {e}"[:2000])
    return Outcome(text, time.perf_counter() - start, notes=list(getattr(engine, "last_notes", [])))


def _cache_file(system: System, page: BenchPage) -> Path:
    return system.folder / "pages" / f"{page.id}.json"


def run_system(
    system: System, pages: list[BenchPage], workers: int, progress: bool, retry_failed: bool = False
) -> tuple[dict[str, Outcome], list[str]]:
    """Outcomes of one system on its pages: from the cache, else by running the engine (``workers`` at once); and
    the ids of the pages the engine read in this run."""
    outcomes: dict[str, Outcome] = {}
    todo = []
    for page in pages:
        cached = _cache_file(system, page)
        if cached.is_file():
            outcome = Outcome(**json.loads(cached.read_text(encoding="utf-8")))
            if not (retry_failed and outcome.failed):
                outcomes[page.id] = outcome
                continue
        todo.append(page)
    system.folder.mkdir(parents=True, exist_ok=True)
    (system.folder / "system.json").write_text(
        json.dumps(
            {
                "id": system.spec.id,
                "engine": system.spec.engine,
                "params": system.spec.params(),
                "describe": system.description,
            },
            indent=1,
            default=str,
        )
        + "\n",
        encoding="utf-8",
    )
    # one engine per worker: an engine reads one page at a time (its ``last_notes`` belong to that page)
    idle: queue.SimpleQueue = queue.SimpleQueue()
    for k in range(min(workers, max(len(todo), 1))):
        idle.put(system.engine if k == 0 else system.spec.build())

    def run_one(page: BenchPage) -> tuple[BenchPage, Outcome]:
        engine = idle.get()
        try:
            return page, _recognize(engine, page)
        finally:
            idle.put(engine)

    desc = f"ocr {system.spec.id}"
    with tqdm(total=len(todo), desc=desc, unit="page", disable=not progress or not todo) as bar:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for page, outcome in pool.map(run_one, todo):
                target = _cache_file(system, page)
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(".tmp")
                tmp.write_text(json.dumps(asdict(outcome), ensure_ascii=False), encoding="utf-8")
                tmp.replace(target)
                outcomes[page.id] = outcome
                bar.set_postfix_str(f"failed {sum(o.failed for o in outcomes.values())}")
                bar.update()
    return outcomes, [p.id for p in todo]


def score_rows(system: System, pages: list[BenchPage], golds: dict[str, str], outcomes: dict[str, Outcome], cfg):
    """One results row per page of the system: page fields, outcome and error counts (raw and normalised)."""
    rows = []
    for page in pages:
        outcome = outcomes[page.id]
        score = score_pair(golds[page.id], outcome.text, cfg.normalization)
        rows.append(
            {
                "system": system.spec.id,
                "page": page.id,
                "collection": page.collection,
                "book": page.book,
                "century": page.century,
                "language": page.language,
                "script": page.script,
                "failed": outcome.failed,
                "empty": not outcome.failed and not outcome.text.strip(),
                "error": outcome.error or None,
                "seconds": outcome.seconds,
                **score_columns(score),
            }
        )
    return rows


def score_columns(score: Any) -> dict[str, int]:
    """The integer counts of a PairScore as flat columns (``<metric>_<raw|norm>_errors`` / ``_n``)."""
    out = {}
    for metric in ("cer", "wer", "bow"):
        for kind in ("raw", "norm"):
            prefix = metric if kind == "raw" else f"norm_{metric}"
            errors, n = getattr(score, f"{prefix}_errors"), getattr(score, f"{prefix}_n")
            out[f"{metric}_{kind}_errors"], out[f"{metric}_{kind}_n"] = int(errors), int(n)
    return out


def run_bench(cfg: OcrBenchConfig, retry_failed: bool = False, log: Callable[[str], None] = print) -> dict:
    """Every system on its pages, scored; returns rows, skipped pages and the systems (written by ``write``).
    Missing files, unreadable gold, failed pages and empty outputs are counted and logged, never fatal."""
    pages, missing = find_pages(cfg.gold)
    systems = prepare_systems(cfg)
    golds, unreadable = read_golds(pages)
    skipped = missing + unreadable
    log(
        f"{len(pages) + len(missing)} pages, {len(golds)} benchmarked, {skipped_line(skipped)}; {len(systems)} systems"
    )
    pages = [p for p in pages if p.id in golds]
    rows, timing, texts = [], {}, {}
    for system in systems:
        scope = [p for p in pages if system.spec.in_scope(_fields(p))]
        start = time.perf_counter()
        outcomes, ran = run_system(system, scope, cfg.workers, cfg.progress, retry_failed)
        wall = time.perf_counter() - start
        new = [outcomes[i].seconds or 0.0 for i in ran]
        record = record_run(system.folder, len(scope), len(ran), wall, sum(new))
        timing[system.spec.id] = timing_of(system.folder, record, [outcomes[p.id].seconds for p in scope])
        part = score_rows(system, scope, golds, outcomes, cfg)
        rows.extend(part)
        texts |= {(system.spec.id, page_id): o.text for page_id, o in outcomes.items()}
        failed, empty = sum(r["failed"] for r in part), sum(r["empty"] for r in part)
        log(
            f"  {system.spec.id}: {len(scope)} pages ({len(ran)} read now, {len(scope) - len(ran)} from the cache), "
            f"{failed} failed, {empty} empty output, {record['wall_seconds']} s"
        )
    return {
        "pages": pages,
        "golds": golds,
        "rows": rows,
        "skipped": skipped,
        "systems": systems,
        "timing": timing,
        "texts": texts,
    }


def skipped_line(skipped: list[dict]) -> str:
    """``skipped 3 (missing_gold 2, empty 1)`` or ``none skipped``."""
    if not skipped:
        return "none skipped"
    reasons: dict[str, int] = {}
    for s in skipped:
        reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
    return f"skipped {len(skipped)} (" + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())) + ")"


def _fields(page: BenchPage) -> dict[str, str]:
    return {
        "id": page.id,
        "collection": page.collection,
        "book": page.book,
        "century": page.century,
        "language": page.language,
        "script": page.script,
    }
