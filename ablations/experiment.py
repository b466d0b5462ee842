"""Runs a recipe's stages in order inside its run folder and keeps the run record."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ablations.recipe.loader import dump_recipe
from ablations.recipe.schema import RecipeConfig
from ablations.record.environment import environment
from pipelines.config import BlockSpec, DataConfig


def run_dir_of(cfg: RecipeConfig) -> Path:
    return (Path(cfg.experiment.output_dir) / cfg.experiment.name).resolve()


def write_run_record(cfg: RecipeConfig, run_dir: Path, repo: Path) -> None:
    """Resolved config (every default filled in) and the environment, written before any stage runs."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.resolved.yaml").write_text(dump_recipe(cfg), encoding="utf-8")
    (run_dir / "environment.json").write_text(json.dumps(environment(repo), indent=2), encoding="utf-8")


def _shared_data(repo: Path) -> Path | None:
    path = Path(os.environ.get("FINEBOOKS_SHARED_DATA") or repo.parent / "shared" / "data")
    return path if path.is_dir() else None


def setup_run(cfg: RecipeConfig, repo: Path, record: bool = True):
    """Run folder with its record, the held-out evaluation documents, and the process function of this run.

    ``process(blocks, data=None, plan=False)`` runs (or reuses) the processing stages of ``blocks`` and returns the
    StageResult; with ``plan=True`` it runs nothing and returns the folder of the last stage."""
    from pipelines.chain import processing_folders, run_processing

    run_dir = run_dir_of(cfg)
    if record:
        write_run_record(cfg, run_dir, repo)
    holdout: dict[str, str] = {}
    if cfg.evaluation.holdout:
        from ablations.eval.holdout import holdout_documents

        holdout = holdout_documents(cfg.data, cfg.evaluation.holdout, cfg.experiment.seed)
        if record or not (run_dir / "holdout_ids.json").exists():  # jobs (record=False) leave it as written
            run_dir.mkdir(parents=True, exist_ok=True)
            (run_dir / "holdout_ids.json").write_text(json.dumps(sorted(holdout), indent=1))

    def with_holdout(blocks: list[BlockSpec]) -> list[BlockSpec]:
        """The process stage's blocks: evaluation documents leave the training pool before any block sees them."""
        if not holdout:
            return list(blocks)
        return [BlockSpec(block="exclude_ids", id="eval_holdout", params={"ids": sorted(holdout)}), *blocks]

    def process(blocks: list[BlockSpec], data: DataConfig | None = None, plan: bool = False):
        blocks = with_holdout(blocks)
        if plan:
            return processing_folders(data or cfg.data, blocks, cfg.dedup, cfg.executor, run_dir / "stages")[-1]
        return run_processing(data or cfg.data, blocks, cfg.dedup, cfg.executor, run_dir / "stages")

    process.blocks_of = with_holdout  # the process stage's own blocks (the SLURM driver submits its array)
    return run_dir, holdout, process


def run_experiment(cfg: RecipeConfig, stop_after: str, repo: Path) -> tuple[Path, dict[str, Any]]:
    """Run the stages up to ``stop_after``; return the run folder and the summary (also in summary.json)."""
    run_dir, holdout, process = setup_run(cfg, repo)
    result = process(cfg.blocks())
    summary: dict[str, Any] = {
        "experiment": cfg.experiment.name,
        "run_dir": str(run_dir),
        "stages": {
            "process": {"folder": str(result.folder), "reused": result.reused, "output": str(result.folder / "output")}
        },
        "documents": result.summary,
        "last_stage": stop_after,
    }
    if stop_after == "ablate" and not cfg.evaluation.tasks and not cfg.ablation.candidates:
        summary["note"] = "no evaluation tasks and no candidates: a processing-only recipe, stopped after processing"
        summary["last_stage"] = "process"
    elif stop_after != "process":
        summary.update(_ablate(cfg, run_dir, repo, result, process, holdout, stop_after))
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return run_dir, summary


def make_ablation(
    cfg: RecipeConfig,
    run_dir: Path,
    repo: Path,
    baseline,
    process,
    holdout: dict[str, str],
    evaluator: bool = True,
    eval_data: Path | None = None,
):
    """The tokenizer (trained on the baseline data), the evaluator and the loop object of an experiment.
    ``baseline`` is the baseline's processing StageResult (or its folder, for a loop that plans or trains only)."""
    from transformers import PreTrainedTokenizerFast

    from ablations.decide.loop import Ablation
    from ablations.eval.evaluator import Evaluator
    from ablations.eval.holdout import chunks
    from ablations.train.tokenizer import tokenizer_stage

    if not cfg.evaluation.tasks:
        raise ValueError("evaluation.tasks is empty: the ablation stage needs at least one task")
    folder = getattr(baseline, "folder", baseline)
    tok_dir = tokenizer_stage(cfg.tokenizer, folder / "output", folder.name, run_dir / "stages")
    if not evaluator:
        return Ablation(cfg, run_dir, process, None, tok_dir, progress=False)
    size = cfg.evaluation.holdout.chunk_chars if cfg.evaluation.holdout else 1000
    evaluator = Evaluator(
        cfg.evaluation.tasks,
        eval_data or run_dir / "eval_data",  # concurrent SLURM jobs each write their own copy
        _shared_data(repo),
        chunks(list(holdout.values()), size),
        cfg.experiment.seed,
        cfg.evaluation.batch_size,
        PreTrainedTokenizerFast.from_pretrained(str(tok_dir)),
        cfg.model.max_seq_len,
    )
    return Ablation(cfg, run_dir, process, evaluator, tok_dir)


def _ablate(cfg: RecipeConfig, run_dir: Path, repo: Path, baseline, process, holdout, stop_after) -> dict[str, Any]:
    from ablations.train.tokenizer import tokenizer_stage
    from ablations.train.tokens import tokenize_stage

    if stop_after == "tokenize":
        tok_dir = tokenizer_stage(cfg.tokenizer, baseline.folder / "output", baseline.folder.name, run_dir / "stages")
        tokens = tokenize_stage(
            baseline.folder, baseline.folder.name, tok_dir, cfg.experiment.seed, run_dir / "stages"
        )
        return {"tokenizer": str(tok_dir), "tokens": str(tokens)}
    ablation = make_ablation(cfg, run_dir, repo, baseline, process, holdout)
    final = ablation.run()
    return finish_ablation(cfg, run_dir, ablation, final)


def finish_ablation(cfg: RecipeConfig, run_dir: Path, ablation, final) -> dict[str, Any]:
    """After the loop: contamination check, then the run record (run.json, written last) and the files written from
    it (results.parquet, report.md, final_recipe.yaml, decisions.json); returns the summary's ablation part."""
    from ablations.decide.report import summary_part, write_report
    from ablations.eval.overlap import overlap
    from ablations.record.build import train_run, variant_record
    from ablations.record.environment import read_environment
    from ablations.record.run import RunRecord, greedy_path, write_run
    from ablations.train.tokens import token_count

    if not ablation.decisions:  # no candidates: train the baseline alone
        ablation.final_results(final, [cfg.experiment.seed + i for i in range(cfg.ablation.seeds)])
    texts = ablation.evaluator.texts()
    n = cfg.evaluation.overlap_ngram
    record = RunRecord(
        recipe=cfg,
        environment=read_environment(run_dir),
        tokenizer=ablation.tokenizer_dir.name,
        variants=[variant_record(v, token_count(v.tokens)) for v in ablation.variants],
        runs=[
            train_run(v.name, seed, ablation.train_stage(v, seed)[1], run)
            for v in ablation.variants
            for seed, run in sorted(v.runs.items())
        ],
        decisions=ablation.decisions,
        greedy=greedy_path(ablation.decisions, final.name),
        overlap={v.name: overlap(v.process / "output", texts, n) for v in ablation.variants},
        run_dir=run_dir,
    )
    report = write_report(record)
    write_run(record)
    return summary_part(record, report)


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
    if summary.get("note"):
        lines.append(f"  note: {summary['note']}")
    for d in summary.get("decisions", []):
        lines.append(
            f"  candidate {d['candidate']}: {d['verdict'].upper()} (delta {d['delta']:+.4f}, interval "
            f"[{d['low']:+.4f}, {d['high']:+.4f}], {d['seeds']} seeds, min. detectable effect {d['mde']:.4f})"
        )
    if "report" in summary:
        lines.append(f"  final recipe: {summary['final_recipe']} -> {run_dir / 'final_recipe.yaml'}")
        lines.append(f"  report: {summary['report']}")
    lines.append(f"  summary: {run_dir / 'summary.json'}")
    return "\n".join(lines)
