"""The experiment's report: results.parquet, report.md with PNG plots, and the final recipe as a config file."""

from __future__ import annotations

from pathlib import Path

from ablations.decide.stats import signal_checks
from ablations.eval.tasks import chance_levels
from ablations.recipe.loader import dump_recipe
from ablations.recipe.schema import RecipeConfig


def results_rows(variants) -> list[dict]:
    """One row per variant x seed x task x step (means over items), plus the run's epochs."""
    rows = []
    for v in variants:
        for seed, run in sorted(v.runs.items()):
            for ev in run["evals"]:
                for task, items in ev["tasks"].items():
                    metrics = {k: sum(r[k] for r in items) / len(items) for k in items[0] if k != "id"}
                    rows.append(
                        {
                            "variant": v.name,
                            "seed": seed,
                            "task": task,
                            "step": ev["step"],
                            "tokens": ev["tokens"],
                            "epochs": run["epochs"],
                            "items": len(items),
                            **metrics,
                        }
                    )
    return rows


def write_report(cfg: RecipeConfig, run_dir: Path, variants, decisions: list[dict], final, overlap: dict) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    df = pd.DataFrame(results_rows(variants))
    df.to_parquet(run_dir / "results.parquet", index=False)
    plots = run_dir / "plots"
    plots.mkdir(exist_ok=True)
    chance = chance_levels(cfg.evaluation.tasks)  # each task plug-in's own chance level

    lines = [f"# Ablation report: {cfg.experiment.name}", ""]
    lines += [
        "## Decisions",
        "",
        "Aggregate score difference (variant - current recipe) in baseline item standard deviations, at the "
        "last checkpoint, with its interval (bootstrap over seeds and items, Student-t over seeds).",
        "",
        "| candidate | verdict | delta | interval | confidence | seeds | min. detectable effect | seeds to detect |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d in decisions:
        lines.append(
            f"| {d['candidate']} | **{d['verdict']}** | {d['delta']:+.4f} | [{d['low']:+.4f}, "
            f"{d['high']:+.4f}] | {d.get('confidence', cfg.ablation.confidence):.4f} | {d['seeds']} | "
            f"{d['mde']:.4f} | {d['seeds_for_observed'] or '-'} |"
        )
    lines += ["", f"Final recipe: `{final.name}` (written to `final_recipe.yaml`).", ""]

    lines += [
        "## Variants",
        "",
        "| variant | books kept | tokens available | epochs at the budget |",
        "|---|---|---|---|",
    ]
    for v in variants:
        if not v.runs:
            continue
        run = next(iter(v.runs.values()))
        lines.append(
            f"| {v.name} | {v.summary['kept'].get('documents', 0)} | {run['available_tokens']} | {run['epochs']:.2f} |"
        )
    lines += [
        "",
        "## Per-task deltas",
        "",
        "| candidate | task | baseline | variant | delta |",
        "|---|---|---|---|---|",
    ]
    for d in decisions:
        for t, pt in d["per_task"].items():
            lines.append(
                f"| {d['candidate']} | {t} | {pt['baseline']:.4f} | {pt['variant']:.4f} | {pt['delta']:+.4f} |"
            )

    lines += [
        "",
        "## Task signal checks (FineWeb2 criteria, per variant)",
        "",
        "| variant | task | monotonicity | SNR | accuracy | chance | above chance |",
        "|---|---|---|---|---|---|---|",
    ]
    for (vname, task), g in df.groupby(["variant", "task"]):
        curves = [list(zip(s["step"], s["score"], strict=True)) for _, s in g.sort_values("step").groupby("seed")]
        final_acc = [s.sort_values("step")["acc"].iloc[-1] for _, s in g.groupby("seed")] if "acc" in g else []
        final_acc = [x for x in final_acc if x == x]  # drop NaN (bpb has no accuracy)
        chk = signal_checks(curves, final_acc, chance.get(task, 0.0))
        fmt = lambda x: "-" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)  # noqa: E731
        lines.append(
            f"| {vname} | {task} | {fmt(chk['monotonicity'])} | {fmt(chk['snr'])} | {fmt(chk['accuracy'])} "
            f"| {fmt(chk['chance'] if final_acc else None)} | {fmt(chk['above_chance'] if final_acc else None)} |"
        )

    lines += [
        "",
        "## Train/eval overlap",
        "",
        f"Fraction of evaluation items sharing a {cfg.evaluation.overlap_ngram}-word n-gram with the variant's "
        "training data.",
        "",
        "| variant | " + " | ".join(sorted(next(iter(overlap.values()), {}))) + " |",
        "|---|" + "---|" * len(next(iter(overlap.values()), {})),
    ]
    for vname, per_task in overlap.items():
        lines.append(f"| {vname} | " + " | ".join(f"{per_task[t]:.3f}" for t in sorted(per_task)) + " |")

    # plots: score against tokens per variant with seed bands, one panel per task; deltas with intervals
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
    if decisions:
        fig, ax = plt.subplots(figsize=(5, 0.6 + 0.5 * len(decisions)))
        for i, d in enumerate(decisions):
            ax.errorbar(d["delta"], i, xerr=[[d["delta"] - d["low"]], [d["high"] - d["delta"]]], fmt="o", capsize=4)
        ax.axvline(0, color="grey", lw=1)
        ax.set_yticks(range(len(decisions)), [f"{d['candidate']} ({d['verdict']})" for d in decisions])
        ax.set_xlabel("aggregate delta (baseline item sd)")
        fig.tight_layout()
        fig.savefig(plots / "deltas.png", dpi=110)
        plt.close(fig)
    lines += [
        "",
        "## Plots",
        "",
        "![scores](plots/scores.png)",
        "",
        "![deltas](plots/deltas.png)" if decisions else "",
    ]
    (run_dir / "report.md").write_text("\n".join(lines) + "\n")

    final_cfg = cfg.model_copy(deep=True)
    final_cfg.clean, final_cfg.filter = list(final.clean), list(final.filter)
    final_cfg.ablation.candidates = []
    (run_dir / "final_recipe.yaml").write_text(dump_recipe(final_cfg))
    return run_dir / "report.md"
