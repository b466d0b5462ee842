"""The recipe doc of a finished experiment: docs/recipes/<experiment>.md, regenerated from the run folder.

It lists every design choice of the resolved config (every key, defaults included) and, for each candidate block,
its evidence: the score difference with its interval, the verdict, the minimum detectable effect, what the block
removed (books, bytes, tokens) and examples of removed text. Numbers come from the run record (``run.json``:
decisions, variants, the scores of every run) and the variants' stage folders, formatted with fixed precision;
nothing depends on the time of writing, so regenerating from the same run gives the same file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ablations.decide.family import multiplicity
from ablations.decide.report import how_aggregated
from ablations.publish.evidence import removal
from ablations.record.run import Decision, RunRecord, read_run

SECTIONS = (
    ("experiment", "Experiment"),
    ("data", "Data sources"),
    ("clean", "Clean-up blocks"),
    ("filter", "Filter blocks"),
    ("dedup", "Dedup stages"),
    ("tokenizer", "Tokenizer"),
    ("model", "Model"),
    ("training", "Training"),
    ("evaluation", "Evaluation"),
    ("ablation", "Ablation"),
    ("executor", "Executor"),
    ("tracking", "Tracking"),
)
# list items shown one table each, named by this key
ITEM_NAME = {"sources": "name", "clean": "id", "filter": "id", "dedup": "id", "tasks": "name", "candidates": "id"}


def fmt_value(value: Any) -> str:
    """A config value as one table cell: JSON for lists and mappings, YAML-like for scalars."""
    if isinstance(value, str):
        text = value if value.isprintable() else json.dumps(value)  # control characters written as escapes
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = repr(value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return "`" + text.replace("|", "\\|").replace("`", "'").replace("\n", " ") + "`" if text else '`""`'


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, leaf) pairs; empty mappings and lists are leaves."""
    if isinstance(value, dict) and value:
        return [kv for k, v in value.items() for kv in flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    return [(prefix, value)]


def _table(pairs: list[tuple[str, Any]], base: str) -> list[str]:
    lines = ["| key | value |", "|---|---|"]
    for key, value in pairs:
        lines.append(f"| `{base}{key}` | {fmt_value(value)} |")
    return lines


def config_section(cfg: dict, key: str, title: str) -> list[str]:
    """One section of the resolved config, every leaf as a row; lists of items get one table per item."""
    lines = [f"### {title} (`{key}`)", ""]
    value = cfg.get(key)
    if isinstance(value, list):
        if not value:
            return lines + _table([("", [])], key) + [""]
        for i, item in enumerate(value):
            lines += [f"#### `{key}.{i}`: {item.get(ITEM_NAME.get(key, 'id'), i)}", ""]
            lines += _table(flatten(item), f"{key}.{i}.") + [""]
        return lines
    scalars = [(k, v) for k, v in value.items() if not (isinstance(v, list) and v and isinstance(v[0], dict))]
    lines += _table([kv for k, v in scalars for kv in flatten(v, k)], f"{key}.") + [""]
    for k, items in value.items():
        if (k, items) in scalars:
            continue
        for i, item in enumerate(items):
            lines += [f"#### `{key}.{k}.{i}`: {item.get(ITEM_NAME.get(k, 'id'), i)}", ""]
            lines += _table(flatten(item), f"{key}.{k}.{i}.") + [""]
    return lines


def _signed(x: float) -> str:
    return f"{x:+.4f}"


def _count_change(a: int | None, b: int | None) -> str:
    if a is None or b is None:
        return "n/a"
    pct = f" ({(b - a) / a * 100:+.2f}%)" if a else ""
    return f"{a} -> {b}, {b - a:+d}{pct}"


def _fence(lines: list[str]) -> list[str]:
    ticks = "```"
    while any(ticks in x for x in lines):
        ticks += "`"
    return [ticks + "text", *lines, ticks]


def candidate_section(run: RunRecord, d: Decision) -> list[str]:
    """The evidence of one candidate block: its verdict, what its data lost against the baseline's, per-task scores
    and examples of the text it removed."""
    if not d.trained:  # decided without training (ablations/decide/guard.py): its reason is the evidence
        return [f"### `{d.candidate}` ({d.section}): **{d.verdict}**", "", f"Not trained: {d.reason}.", ""]
    base, var = run.variant(d.baseline), run.variant(d.variant)
    kept_b, kept_v = base.summary.kept, var.summary.kept
    lines = [
        f"### `{d.candidate}` ({d.section}): **{d.verdict}**",
        "",
        f"Variant `{d.variant}` against `{d.baseline}`.",
        "",
        "| evidence | value |",
        "|---|---|",
        f"| aggregate difference (baseline item sd) | {_signed(d.delta)} |",
        f"| {d.confidence:.1%} interval | [{_signed(d.low)}, {_signed(d.high)}] |",
        f"| verdict | {d.verdict} |",
        f"| seeds (paired) | {d.seeds} |",
        f"| minimum detectable effect (80% power) | {d.mde:.4f} |",
        f"| seeds to detect the observed difference | {d.seeds_for_observed or '-'} |",
        f"| tokens | {_count_change(base.token_count, var.token_count)} |",
        f"| books kept | {_count_change(kept_b.get('documents'), kept_v.get('documents'))} |",
        f"| pages kept | {_count_change(kept_b.get('pages'), kept_v.get('pages'))} |",
        f"| bytes kept | {_count_change(kept_b.get('bytes'), kept_v.get('bytes'))} |",
    ]
    rm = removal(run, d)
    dropped = ", ".join(f"{r} {n}" for r, n in sorted(rm.books_dropped.items())) or "none"
    lines += [
        f"| books dropped (by reason) | {dropped} |",
        f"| books changed | {rm.books_changed} |",
        f"| characters removed | {rm.chars_removed} |",
        "",
        "| task | baseline | variant | difference | difference (baseline item sd) |",
        "|---|---|---|---|---|",
    ]
    for task, pt in d.per_task.items():
        lines.append(
            f"| {task} | {pt.baseline:.4f} | {pt.variant:.4f} | {_signed(pt.delta)} | {_signed(pt.delta_std_units)} |"
        )
    lines.append("")
    if rm.dropped or rm.changed:
        lines += ["Examples of removed text (books in id order):", ""]
        for ex in rm.dropped:
            lines += [f"- dropped `{ex['id']}` (`{ex['reason']}`), its first lines:", ""]
            lines += ["  " + x for x in _fence(ex["lines"])] + [""]
        for ex in rm.changed:
            lines += [f"- changed `{ex['id']}`, first removed (-) and added (+) lines:", ""]
            lines += ["  " + x for x in _fence(ex["lines"])] + [""]
    return lines


def scores_table(results) -> list[str]:
    """Mean score per variant and task at each variant's last checkpoint, over its seeds (from results.parquet)."""
    last = results[results["step"] == results.groupby(["variant", "task", "seed"])["step"].transform("max")]
    lines = [
        "| variant | task | seeds | score (mean) | score (sd over seeds) | tokens trained | epochs |",
        "|---|---|---|---|---|---|---|",
    ]
    for (variant, task), g in last.groupby(["variant", "task"], sort=True):
        sd = g["score"].std(ddof=1) if len(g) > 1 else float("nan")
        lines.append(
            f"| {variant} | {task} | {len(g)} | {g['score'].mean():.4f} | "
            f"{'-' if sd != sd else f'{sd:.4f}'} | {int(g['tokens'].max())} | {g['epochs'].mean():.3f} |"
        )
    return lines


def _outcome(run: RunRecord) -> list[str]:
    """The title, provenance, final recipe, decision rule and the table of decisions."""
    env, decisions = run.environment, run.decisions
    kept = [s.candidate for s in run.greedy.steps if s.kept]
    final = run.variant(run.greedy.final)
    final_blocks = [
        f"`{b.id}` ({s})" for s, blocks in (("clean", final.clean), ("filter", final.filter)) for b in blocks
    ]
    pk = env.packages
    lines = [
        f"# Recipe: {run.recipe.experiment.name}",
        "",
        f"Generated from the run folder `{run.run_dir.name}` by `python run_ablation.py docs RUN_DIR`; regenerate it "
        "rather than editing it. Code: git commit "
        f"`{env.git.commit}`{' (with uncommitted changes)' if env.git.dirty else ''}; "
        + ", ".join(f"{k} {pk[k]}" for k in ("datatrove", "transformers", "torch", "lighteval") if pk.get(k))
        + ".",
        "",
        "## Outcome",
        "",
        f"Final recipe: {', '.join(final_blocks) or 'no blocks (the baseline)'}; candidates kept: "
        f"{', '.join(f'`{c}`' for c in kept) or 'none'} (of {len(decisions)} tried). The final recipe is the run's "
        "`final_recipe.yaml`; run it with `python run_ablation.py release final_recipe.yaml --out DIR`.",
        "",
        "Decision rule: each candidate is added to the current recipe and trained with paired seeds at the same "
        f"token budget. Scores: {how_aggregated(run)}. The interval of the aggregate comes "
        "from a bootstrap over seeds and items with a Student-t critical value. **keep** when the interval is above "
        "0, **drop** when below, else **inconclusive** (more seeds, up to `ablation.max_seeds`). Kept blocks join "
        "the recipe before the next candidate. " + multiplicity(run.recipe.ablation),
        "",
        "| candidate | section | verdict | difference | interval | seeds | min. detectable effect |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in decisions:
        if not d.trained:
            lines.append(f"| `{d.candidate}` | {d.section} | **{d.verdict}** ({d.reason}) | - | - | 0 | - |")
            continue
        lines.append(
            f"| `{d.candidate}` | {d.section} | **{d.verdict}** | {_signed(d.delta)} | "
            f"[{_signed(d.low)}, {_signed(d.high)}] | {d.seeds} | {d.mde:.4f} |"
        )
    return lines


def render(run: RunRecord) -> str:
    """The recipe doc of a finished run (``read_run(RUN_DIR)``)."""
    import pandas as pd

    lines = _outcome(run) + ["", "## Evidence per candidate block", ""]
    if not run.decisions:
        lines += ["No candidates were tried: the run trained the baseline only.", ""]
    for d in run.decisions:
        lines += candidate_section(run, d)
    lines += [
        "## Scores at the last checkpoint",
        "",
        "From `results.parquet`: the item-mean `score` (higher is better: the normalised log-probability of the "
        "right answer, or minus bits per byte) per run at its last checkpoint, averaged over the seeds each variant "
        f"was trained with (the decisions above use: {how_aggregated(run)}).",
        "",
        *scores_table(pd.DataFrame(run.results_rows())),
        "",
        "## Design choices (the resolved config)",
        "",
        "Every key of `config.resolved.yaml`, defaults included.",
        "",
    ]
    cfg = run.recipe.model_dump(mode="json")
    for key, title in [*SECTIONS, *((k, k) for k in cfg if k not in dict(SECTIONS))]:
        if key in cfg:
            lines += config_section(cfg, key, title)
    return "\n".join(lines).rstrip() + "\n"


def write_doc(run_dir: Path, out: Path | None = None, docs_dir: Path = Path("docs/recipes")) -> Path:
    """Write the recipe doc of ``run_dir`` to ``out`` (default ``docs_dir/<experiment name>.md``)."""
    run = read_run(run_dir)
    out = Path(docs_dir) / f"{run.recipe.experiment.name}.md" if out is None else out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(run), encoding="utf-8")
    return out
