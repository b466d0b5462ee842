"""Runs a recipe's stages in order inside its run folder and keeps the run record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ablations.config import RecipeConfig
from ablations.loader import dump_recipe
from ablations.runinfo import environment


def run_dir_of(cfg: RecipeConfig) -> Path:
    return (Path(cfg.experiment.output_dir) / cfg.experiment.name).resolve()


def write_run_record(cfg: RecipeConfig, run_dir: Path, repo: Path) -> None:
    """Resolved config (every default filled in) and the environment, written before any stage runs."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.resolved.yaml").write_text(dump_recipe(cfg), encoding="utf-8")
    (run_dir / "environment.json").write_text(json.dumps(environment(repo), indent=2), encoding="utf-8")


def run_experiment(cfg: RecipeConfig, stop_after: str, repo: Path) -> tuple[Path, dict[str, Any]]:
    """Run the stages up to ``stop_after``; return the run folder and the summary (also in summary.json)."""
    from pipelines.process import run_process

    run_dir = run_dir_of(cfg)
    write_run_record(cfg, run_dir, repo)
    result = run_process(cfg.data, cfg.blocks(), cfg.executor, run_dir / "stages")
    summary = {
        "experiment": cfg.experiment.name,
        "run_dir": str(run_dir),
        "stages": {
            "process": {"folder": str(result.folder), "reused": result.reused, "output": str(result.folder / "output")}
        },
        "documents": result.summary,
        "last_stage": stop_after,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return run_dir, summary


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def format_summary(run_dir: Path, summary: dict[str, Any]) -> str:
    """The short human summary printed at the end of a run."""
    docs = summary["documents"]
    d_in, d_kept = docs["in"], docs["kept"]
    lines = [
        f"run folder: {run_dir}",
        f"  in:      {d_in.get('documents', 0)} books, {d_in.get('pages', 0)} pages, {_mb(d_in.get('bytes', 0))}",
        f"  kept:    {d_kept.get('documents', 0)} books, {d_kept.get('pages', 0)} pages, "
        f"{_mb(d_kept.get('bytes', 0))}",
    ]
    for block, reasons in docs["dropped"].items():
        lines.append(f"  dropped by {block}: " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
    for source, reasons in docs["skipped"].items():
        lines.append(f"  skipped in {source}: " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
    if docs.get("unaccounted"):
        lines.append(f"  WARNING: {docs['unaccounted']} documents neither kept nor dropped with a reason")
    for name, stage in summary["stages"].items():
        lines.append(f"  stage {name}: {stage['folder']}" + (" (reused)" if stage["reused"] else ""))
    lines.append(f"  summary: {run_dir / 'summary.json'}")
    return "\n".join(lines)
