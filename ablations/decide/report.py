"""The experiment's report, written from its run record: results.parquet, report.md with PNG plots, the final
recipe as a config file, and decisions.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ablations.decide.family import multiplicity
from ablations.decide.stats import aggregation, signal_checks
from ablations.decide.sweep_report import sweep_section
from ablations.eval.tasks import chance_levels, task_metrics
from ablations.recipe.loader import dump_recipe
from ablations.record.run import Decision, RunRecord


def write_report(run: RunRecord) -> Path:
    """Write the run's results.parquet, report.md (with plots/), final_recipe.yaml and decisions.json; return the
    report's path."""
    import pandas as pd

    run_dir = run.run_dir
    df = pd.DataFrame(run.results_rows())
    df.to_parquet(run_dir / "results.parquet", index=False)
    _plots(df, run.decisions, run_dir / "plots")
    lines = [f"# Ablation report: {run.recipe.experiment.name}", "", *_overlap_alert(run)]
    lines += _decisions(run) + sweep_section(run.decisions, run_dir / "plots")
    lines += _variants(run) + _per_task(run.decisions)
    tasks = run.recipe.evaluation.tasks
    lines += _signal_checks(df, chance_levels(tasks), task_metrics(tasks))  # each task plug-in's chance and metric
    lines += _overlap(run)
    lines += [
        "",
        "## Plots",
        "",
        "![scores](plots/scores.png)",
        "",
        "![deltas](plots/deltas.png)" if any(d.trained for d in run.decisions) else "",
    ]
    (run_dir / "report.md").write_text("\n".join(lines) + "\n")
    (run_dir / "final_recipe.yaml").write_text(dump_recipe(run.final_recipe()))
    (run_dir / "decisions.json").write_text(json.dumps([d.model_dump() for d in run.decisions], indent=2))
    return run_dir / "report.md"


def summary_part(run: RunRecord, report: Path) -> dict[str, Any]:
    """The ablation part of the run's summary.json."""
    return {
        "tokenizer": str(run.stage(run.tokenizer)),
        "decisions": [
            {k: getattr(d, k) for k in ("candidate", "verdict", "delta", "low", "high", "seeds", "mde", "reason")}
            | {"removed": d.removed, "alarm": d.alarm}
            for d in run.decisions
        ],
        "final_recipe": run.greedy.final,
        "report": str(report),
        "overlap": run.overlap,
        "decontamination": run.decontamination,
    }


def how_aggregated(run: RunRecord) -> str:
    """How the run's decisions aggregated scores, in words (``ablation.average_checkpoints``, task weights)."""
    cfg = run.recipe
    weights = {t.name: t.weight for t in cfg.evaluation.tasks}
    return aggregation(cfg.ablation.average_checkpoints, cfg.training.checkpoints, weights)


def _decisions(run: RunRecord) -> list[str]:
    lines = [
        "## Decisions",
        "",
        f"Aggregate score difference: {how_aggregated(run)}; with its interval "
        "(bootstrap over seeds and items, Student-t over seeds). A candidate "
        "that removes every book is dropped untrained; one that failed is recorded with its error (traceback in "
        f"`ablation.log`). ALARM: it removes more than {run.recipe.ablation.removal_alarm:.0%} of the books or tokens "
        "of the recipe it was added to (`ablation.removal_alarm`).",
        "",
        multiplicity(run.recipe.ablation),
        "",
        "| candidate | verdict | delta | interval | confidence | seeds | min. detectable effect | seeds to detect | "
        "note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for d in run.decisions:
        if d.trained:
            stats = f"{d.delta:+.4f} | [{d.low:+.4f}, {d.high:+.4f}] | {d.confidence:.4f} | {d.seeds} | {d.mde:.4f}"
        else:
            stats = f"- | - | - | {d.seeds} | -"
        lines.append(f"| {d.candidate} | **{d.verdict}** | {stats} | {d.seeds_for_observed or '-'} | {d.note()} |")
    return lines + ["", f"Final recipe: `{run.greedy.final}` (written to `final_recipe.yaml`).", ""]


def _variants(run: RunRecord) -> list[str]:
    lines = [
        "## Variants",
        "",
        "| variant | books kept | tokens available | epochs at the budget |",
        "|---|---|---|---|",
    ]
    for v in run.variants:
        runs = run.runs_of(v.name)
        if runs:  # every seed of a variant trains on the same data at the same budget
            kept = v.summary.kept.get("documents", 0)
            lines.append(f"| {v.name} | {kept} | {runs[0].available_tokens} | {runs[0].epochs:.2f} |")
    return lines


def _per_task(decisions: list[Decision]) -> list[str]:
    lines = [
        "",
        "## Per-task deltas",
        "",
        "| candidate | task | baseline | variant | delta |",
        "|---|---|---|---|---|",
    ]
    for d in decisions:
        for t, pt in d.per_task.items():
            lines.append(f"| {d.candidate} | {t} | {pt.baseline:.4f} | {pt.variant:.4f} | {pt.delta:+.4f} |")
    return lines


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def _signal_checks(df, chance: dict[str, float], metrics: dict[str, str | None]) -> list[str]:
    """FineWeb2's task signal checks per variant and task, from the results rows; accuracy is each task's own
    metric (acc, acc_norm, acc_norm_token), named in its column."""
    lines = [
        "",
        "## Task signal checks (FineWeb2 criteria, per variant)",
        "",
        "| variant | task | monotonicity | SNR | accuracy | metric | chance | above chance |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (vname, task), g in df.groupby(["variant", "task"]):
        curves = [list(zip(s["step"], s["score"], strict=True)) for _, s in g.sort_values("step").groupby("seed")]
        metric = metrics.get(task) or "acc"
        final_acc = [s.sort_values("step")[metric].iloc[-1] for _, s in g.groupby("seed")] if metric in g else []
        final_acc = [x for x in final_acc if x == x]  # drop NaN (bpb has no accuracy)
        chk = signal_checks(curves, final_acc, chance.get(task, 0.0))
        lines.append(
            f"| {vname} | {task} | {_fmt(chk['monotonicity'])} | {_fmt(chk['snr'])} | {_fmt(chk['accuracy'])} "
            f"| {metric if final_acc else '-'} | {_fmt(chk['chance'] if final_acc else None)} "
            f"| {_fmt(chk['above_chance'] if final_acc else None)} |"
        )
    return lines


def _share(x: float, limit: float) -> str:
    """An overlap share: bold above zero, marked above ``evaluation.max_overlap``."""
    return f"{x:.3f}" if x == 0 else f"**{x:.3f}**" + (f" (over {limit:g})" if x > limit else "")


def _overlap_alert(run: RunRecord) -> list[str]:
    """One line under the title when any variant's training data overlaps an evaluation task, or had to be cut."""
    pairs = sum(1 for per_task in run.overlap.values() for x in per_task.values() if x > 0)
    parts = [f"Train/eval overlap above zero in {pairs} variant/task pairs"] if pairs else []
    if run.decontamination:
        cut = len(run.decontamination)
        parts.append(f"{'d' if parts else 'D'}ocuments overlapping the evaluation removed in {cut} variants")
    return [f"**{'; '.join(parts)}** (see Train/eval overlap).", ""] if parts else []


def _overlap(run: RunRecord) -> list[str]:
    ev = run.recipe.evaluation
    tasks = sorted(next(iter(run.overlap.values()), {}))
    lines = [
        "",
        "## Train/eval overlap",
        "",
        f"Share of evaluation items sharing a {ev.overlap_ngram}-word n-gram with the variant's training data, "
        f"measured before tokenizing; bold: above zero; over: above `evaluation.max_overlap` ({ev.max_overlap:g}, "
        f"`on_overlap: {ev.on_overlap}`).",
        "",
        "| variant | " + " | ".join(tasks) + " |",
        "|---|" + "---|" * len(tasks),
    ]
    for vname, per_task in run.overlap.items():
        cells = [_share(per_task[t], ev.max_overlap) for t in sorted(per_task)]
        lines.append(f"| {vname} | " + " | ".join(cells) + " |")
    for vname, d in run.decontamination.items():
        before = ", ".join(f"{t} {_share(x, ev.max_overlap)}" for t, x in sorted(d["before"].items()))
        lines.append(
            f"\n{vname}: {d['removed']['documents']} documents ({d['removed']['tokens']} tokens) removed from "
            f"training (`on_overlap: remove`); overlap before: {before}."
        )
    return lines


def _plots(df, decisions: list[Decision], plots: Path) -> None:
    """plots/scores.png: score against tokens per variant with seed bands, one panel per task; plots/deltas.png:
    each decision's delta with its interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots.mkdir(exist_ok=True)
    tasks = sorted(df["task"].unique())
    fig, axes = plt.subplots(1, len(tasks), figsize=(4 * len(tasks), 3.2), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        for vname, g in df[df["task"] == task].groupby("variant"):
            s = g.groupby("tokens")["score"].agg(["mean", "min", "max"])
            ax.plot(s.index, s["mean"], marker="o", label=vname)
            ax.fill_between(s.index, s["min"], s["max"], alpha=0.2)
        ax.set_title(task)
        ax.set_xlabel("tokens")
    axes[0][0].set_ylabel("score (higher is better)")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(plots / "scores.png", dpi=110)
    plt.close(fig)
    decisions = [d for d in decisions if d.trained]
    if decisions:
        fig, ax = plt.subplots(figsize=(5, 0.6 + 0.5 * len(decisions)))
        for i, d in enumerate(decisions):
            ax.errorbar(d.delta, i, xerr=[[d.delta - d.low], [d.high - d.delta]], fmt="o", capsize=4)
        ax.axvline(0, color="grey", lw=1)
        ax.set_yticks(range(len(decisions)), [f"{d.candidate} ({d.verdict})" for d in decisions])
        ax.set_xlabel("aggregate delta (baseline item sd)")
        fig.tight_layout()
        fig.savefig(plots / "deltas.png", dpi=110)
        plt.close(fig)
