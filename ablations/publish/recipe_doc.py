"""The recipe doc of a finished experiment: docs/recipes/<experiment>.md, regenerated from the run folder.

It lists every design choice of the resolved config (every key, defaults included) and, for each candidate block,
its evidence: the score difference with its interval, the verdict, the minimum detectable effect, what the block
removed (books, bytes, tokens) and examples of removed text. Numbers come from ``decisions.json``,
``results.parquet`` and the stage manifests of the run, formatted with fixed precision; nothing depends on the
time of writing, so regenerating from the same run gives the same file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ablations.publish.evidence import VariantData, read_json, removal, require, variants

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


def candidate_section(d: dict, base: VariantData | None, var: VariantData | None, confidence: float) -> list[str]:
    kept_b, kept_v = (base.summary.get("kept", {}) if base else {}), (var.summary.get("kept", {}) if var else {})
    lines = [
        f"### `{d['candidate']}` ({d['section']}): **{d['verdict']}**",
        "",
        f"Variant `{d['variant']}` against `{d['baseline']}`.",
        "",
        "| evidence | value |",
        "|---|---|",
        f"| aggregate difference (baseline item sd) | {_signed(d['delta'])} |",
        f"| {confidence:.1%} interval | [{_signed(d['low'])}, {_signed(d['high'])}] |",
        f"| verdict | {d['verdict']} |",
        f"| seeds (paired) | {d['seeds']} |",
        f"| minimum detectable effect (80% power) | {d['mde']:.4f} |",
        f"| seeds to detect the observed difference | {d['seeds_for_observed'] or '-'} |",
        f"| tokens | {_count_change(base.tokens if base else None, var.tokens if var else None)} |",
        f"| books kept | {_count_change(kept_b.get('documents'), kept_v.get('documents'))} |",
        f"| pages kept | {_count_change(kept_b.get('pages'), kept_v.get('pages'))} |",
        f"| bytes kept | {_count_change(kept_b.get('bytes'), kept_v.get('bytes'))} |",
    ]
    rm = removal(base, var, d["candidate"]) if base and var else None
    if rm is not None:
        dropped = ", ".join(f"{r} {n}" for r, n in sorted(rm.books_dropped.items())) or "none"
        lines += [
            f"| books dropped (by reason) | {dropped} |",
            f"| books changed | {rm.books_changed} |",
            f"| characters removed | {rm.chars_removed} |",
        ]
    lines += [
        "",
        "| task | baseline | variant | difference | difference (baseline item sd) |",
        "|---|---|---|---|---|",
    ]
    for task, pt in d["per_task"].items():
        lines.append(
            f"| {task} | {pt['baseline']:.4f} | {pt['variant']:.4f} | {_signed(pt['delta'])} | "
            f"{_signed(pt['delta_std_units'])} |"
        )
    lines.append("")
    if rm is not None and (rm.dropped or rm.changed):
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


def render(run_dir: Path) -> str:
    """The recipe doc of the finished run in ``run_dir``."""
    import pandas as pd

    run_dir = Path(run_dir)
    require(run_dir, "config.resolved.yaml", "decisions.json", "results.parquet", "environment.json")
    require(run_dir, "final_recipe.yaml")
    cfg = yaml.safe_load((run_dir / "config.resolved.yaml").read_text(encoding="utf-8"))
    decisions = read_json(run_dir / "decisions.json")
    results = pd.read_parquet(run_dir / "results.parquet")
    env = read_json(run_dir / "environment.json")
    final = yaml.safe_load((run_dir / "final_recipe.yaml").read_text(encoding="utf-8"))
    vs = variants(run_dir)
    name = cfg["experiment"]["name"]
    confidence = cfg["ablation"]["confidence"]

    kept = [d["candidate"] for d in decisions if d["verdict"] == "keep"]
    final_blocks = [f"`{b['id']}` ({s})" for s in ("clean", "filter") for b in final[s]]
    git = env.get("git", {})
    pk = env.get("packages", {})
    lines = [
        f"# Recipe: {name}",
        "",
        f"Generated from the run folder `{run_dir.name}` by `python run_ablation.py docs RUN_DIR`; regenerate it "
        "rather than editing it. Code: git commit "
        f"`{git.get('commit')}`{' (with uncommitted changes)' if git.get('dirty') else ''}; "
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
        "token budget. The aggregate difference is the weighted mean over tasks of the per-item score difference "
        "(variant - current recipe) in baseline item standard deviations at the last checkpoint; its interval comes "
        "from a bootstrap over seeds and items with a Student-t critical value. **keep** when the interval is above "
        "0, **drop** when below, else **inconclusive** (more seeds, up to `ablation.max_seeds`). Kept blocks join "
        "the recipe before the next candidate.",
        "",
        "| candidate | section | verdict | difference | interval | seeds | min. detectable effect |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in decisions:
        lines.append(
            f"| `{d['candidate']}` | {d['section']} | **{d['verdict']}** | {_signed(d['delta'])} | "
            f"[{_signed(d['low'])}, {_signed(d['high'])}] | {d['seeds']} | {d['mde']:.4f} |"
        )
    lines += ["", "## Evidence per candidate block", ""]
    if not decisions:
        lines += ["No candidates were tried: the run trained the baseline only.", ""]
    for d in decisions:
        lines += candidate_section(d, vs.get(d["baseline"]), vs.get(d["variant"]), d.get("confidence", confidence))
    lines += [
        "## Scores at the last checkpoint",
        "",
        "From `results.parquet`: the item-mean `score` (higher is better: the normalised log-probability of the "
        "right answer, or minus bits per byte) per run, averaged over the seeds each variant was trained with.",
        "",
        *scores_table(results),
        "",
        "## Design choices (the resolved config)",
        "",
        "Every key of `config.resolved.yaml`, defaults included.",
        "",
    ]
    for key, title in SECTIONS:
        if key in cfg:
            lines += config_section(cfg, key, title)
    extra = [k for k in cfg if k not in dict(SECTIONS)]
    for key in extra:
        lines += config_section(cfg, key, key)
    return "\n".join(lines).rstrip() + "\n"


def write_doc(run_dir: Path, out: Path | None = None, docs_dir: Path = Path("docs/recipes")) -> Path:
    """Write the recipe doc of ``run_dir`` to ``out`` (default ``docs_dir/<experiment name>.md``)."""
    text = render(Path(run_dir))
    if out is None:
        cfg = yaml.safe_load((Path(run_dir) / "config.resolved.yaml").read_text(encoding="utf-8"))
        name = cfg["experiment"]["name"]
        out = Path(docs_dir) / f"{name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
