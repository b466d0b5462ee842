"""Runs a recipe's stages in order inside its run folder and keeps the run record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ablations.eval.eval_key import shared_data_folder
from ablations.recipe.loader import dump_recipe
from ablations.recipe.schema import RecipeConfig
from ablations.record.environment import environment
from ablations.run_context import RunContext, run_dir_of

LOG = "run.log"  # in the run folder: everything a local run printed, the libraries' output included


def write_run_record(cfg: RecipeConfig, run_dir: Path, repo: Path) -> None:
    """Resolved config (every default filled in) and the environment, written before any stage runs."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.resolved.yaml").write_text(dump_recipe(cfg), encoding="utf-8")
    (run_dir / "environment.json").write_text(json.dumps(environment(repo), indent=2), encoding="utf-8")


def setup_run(cfg: RecipeConfig, repo: Path, record: bool = True) -> RunContext:
    """The run of ``cfg``. With ``record`` (a new run) its record is written first and the held-out documents are
    chosen afresh; without (a SLURM round or job) they are read from the run folder."""
    if record:
        write_run_record(cfg, run_dir_of(cfg), repo)
    return RunContext.open(cfg, fresh=record)


def run_experiment(
    cfg: RecipeConfig, stop_after: str, repo: Path, given_up: dict[str, str] | None = None
) -> tuple[Path, dict[str, Any]]:
    """Run the stages up to ``stop_after``; return the run folder and the summary (also in summary.json).
    ``given_up``: stages not to try again (the SLURM driver's last round), by folder name: their candidates fail."""
    from pipelines.chain import run_chain

    run = setup_run(cfg, repo)
    result = run_chain(run.processing(cfg.blocks()), "baseline")
    summary: dict[str, Any] = {
        "experiment": cfg.experiment.name,
        "run_dir": str(run.folder),
        "stages": {name: {"folder": str(r.folder), "reused": r.reused} for name, r in result.stages.items()},
        "output": str(result.folder / "output"),  # the last processing stage's books
        "documents": result.summary,
        "last_stage": stop_after,
    }
    if stop_after == "ablate" and not cfg.evaluation.tasks and not cfg.ablation.candidates:
        summary["note"] = "no evaluation tasks and no candidates: a processing-only recipe, stopped after processing"
        summary["last_stage"] = "process"
    elif stop_after == "tokenize":
        from ablations.eval.decontam import enforce

        tokenizer = run.tokenizer().run("baseline").folder
        check, stage = run.checked_tokens(result.folder, tokenizer)
        enforce(check.run("baseline"), "baseline", cfg.evaluation)  # stop: raises Contaminated before tokenizing
        tokens = stage.run("baseline").folder
        summary.update(tokenizer=str(tokenizer), tokens=str(tokens))
    elif stop_after != "process":
        ablation = make_ablation(run, repo)
        ablation.given_up = given_up or {}
        final = ablation.run()
        summary.update(finish_ablation(cfg, run.folder, ablation, final))
    (run.folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return run.folder, summary


def make_ablation(run: RunContext, repo: Path, evaluator: bool = True, eval_data: Path | None = None):
    """The tokenizer (trained on the baseline's processed books, which must be finished), the evaluator and the loop
    object of an experiment; without ``evaluator`` a loop that plans, prepares or trains only."""
    from transformers import PreTrainedTokenizerFast

    from ablations.decide.loop import Ablation
    from ablations.eval.evaluator import Evaluator
    from ablations.eval.holdout import chunks

    cfg = run.cfg
    if not cfg.evaluation.tasks:
        raise ValueError("evaluation.tasks is empty: the ablation stage needs at least one task")
    tok_dir = run.tokenizer().run("baseline").folder
    if not evaluator:
        return Ablation(run, None, tok_dir, progress=False)
    size = cfg.evaluation.holdout.chunk_chars if cfg.evaluation.holdout else 1000
    evaluator = Evaluator(
        cfg.evaluation.tasks,
        eval_data or run.folder / "eval_data",  # concurrent SLURM jobs each write their own copy
        shared_data_folder(repo),
        chunks(list(run.holdout.values()), size),
        cfg.experiment.seed,
        cfg.evaluation.batch_size,
        PreTrainedTokenizerFast.from_pretrained(str(tok_dir)),
        cfg.model.max_seq_len,
    )
    return Ablation(run, evaluator, tok_dir)


def finish_ablation(cfg: RecipeConfig, run_dir: Path, ablation, final) -> dict[str, Any]:
    """After the loop: the run record (run.json, written last; each variant's overlap as its overlap stage measured
    it before tokenizing) and the files written from it (results.parquet, report.md, final_recipe.yaml,
    decisions.json); returns the summary's ablation part."""
    from ablations.decide.loop import first_seeds
    from ablations.decide.report import summary_part, write_report
    from ablations.record.build import train_run, variant_record
    from ablations.record.environment import read_environment
    from ablations.record.run import RunRecord, greedy_path, write_run
    from ablations.train.tokens import token_count

    if not any(d["seeds"] for d in ablation.decisions):  # no candidate trained: train the baseline alone
        ablation.final_results(final, first_seeds(cfg))
    record = RunRecord(
        recipe=cfg,
        environment=read_environment(run_dir),
        tokenizer=ablation.tokenizer_dir.name,
        variants=[variant_record(v, token_count(v.tokens)) for v in ablation.variants],
        runs=[
            train_run(v.name, seed, ablation.training_run(v, seed).folder, run)
            for v in ablation.variants
            for seed, run in sorted(v.runs.items())
        ],
        decisions=ablation.decisions,
        greedy=greedy_path(ablation.decisions, final.name),
        overlap={v.name: v.overlap["overlap"] for v in ablation.variants},
        decontamination={v.name: v.overlap for v in ablation.variants if v.overlap["removed"]},
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
    for source, types in docs.get("unknown_region_types", {}).items():
        lines.append(
            f"  unknown region types in {source} (read as main text): "
            + ", ".join(f"{t} {n}" for t, n in sorted(types.items()))
        )
    lines += [f"  WARNING: {w}" for w in docs.get("warnings", [])]
    if docs.get("unaccounted"):
        lines.append(f"  WARNING: {docs['unaccounted']} documents neither kept nor dropped with a reason")
    for name, stage in summary["stages"].items():
        lines.append(f"  stage {name}: {stage['folder']}" + (" (reused)" if stage["reused"] else ""))
    if summary.get("note"):
        lines.append(f"  note: {summary['note']}")
    for d in summary.get("decisions", []):
        alarm = " ALARM: removes " + " and ".join(f"{s:.0%} of {k}" for k, s in d["removed"].items())
        if d.get("reason"):
            lines.append(f"  candidate {d['candidate']}: {d['verdict'].upper()} ({d['reason']}, not trained)")
            continue
        lines.append(
            f"  candidate {d['candidate']}: {d['verdict'].upper()} (delta {d['delta']:+.4f}, interval "
            f"[{d['low']:+.4f}, {d['high']:+.4f}], {d['seeds']} seeds, min. detectable effect {d['mde']:.4f})"
            + (alarm if d.get("alarm") else "")
        )
    if "report" in summary:
        lines.append(f"  final recipe: {summary['final_recipe']} -> {run_dir / 'final_recipe.yaml'}")
        lines.append(f"  report: {summary['report']}")
    lines.append(f"  summary: {run_dir / 'summary.json'}")
    return "\n".join(lines)
