"""The benchmark's outputs: results.parquet (one row per system and page), summary.json, report.md and plots."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from ablations.ocrbench.aggregate import page_rates, summarize
from ablations.ocrbench.config import OcrBenchConfig
from ablations.ocrbench.metrics import alignment_excerpt
from ablations.ocrbench.normalize import normalize
from ablations.ocrbench.pairs import write_pairs
from ablations.ocrbench.stats import Rate

GROUP_TITLES = {
    "century": "century",
    "script": "script",
    "language": "language",
    "collection": "collection",
    "book": "book",
}
PLOTTED = ("century", "script")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.2f}"


def _rate_json(r: Rate) -> dict:
    return asdict(r)


def leaderboard_md(board: list[dict], engines: dict[str, str]) -> list[str]:
    lines = [
        "| system | engine | pages | failed | CER % [95% CI] | WER % [95% CI] | bag-of-words % | raw CER % "
        "| raw WER % | s/page |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in board:
        secs = "–" if e["seconds_per_page"] is None else f"{e['seconds_per_page']:.2f}"
        lines.append(
            f"| {e['system']} | {engines.get(e['system'], '')} | {e['pages']} | {e['failed']} | {e['cer_norm'].fmt()} "
            f"| {e['wer_norm'].fmt()} | {e['bow_norm'].fmt()} | {e['cer_raw'].fmt()} | {e['wer_raw'].fmt()} | {secs} |"
        )
    return lines


def leaderboards_md(boards: list[dict], engines: dict[str, str]) -> list[str]:
    """One table per page set, titled with its page count and collections."""
    lines = []
    if len(boards) > 1:
        lines += [
            "Systems were scored on different pages, so there is one table per page set: every system in a table is "
            "scored on exactly the pages of its title (a system scored on more pages joins a smaller set's table, "
            "scored there on those pages only).",
            "",
        ]
    for b in boards:
        lines += [f"### {b['pages']} pages ({b['collections']}): {len(b['systems'])} system(s)", ""]
        lines += [*leaderboard_md(b["entries"], engines), ""]
    return lines


def paired_md(pairs: list, group: str = "") -> list[str]:
    """The paired table; with ``group``, ``pairs`` is {group value: pairs} and the value is the first column."""
    rows = pairs.items() if group else [("", pairs)]
    lead, rule = (f"| {group} ", "|---") if group else ("", "")
    lines = [
        f"{lead}| a | b | common pages | CER(a) − CER(b), points [95% CI] | better |",
        f"{rule}|---|---|---:|---:|---|",
    ]
    for value, part in rows:
        for p in part:
            interval = "" if p.low is None else f" [{_pct(p.low)}, {_pct(p.high)}]"
            better = p.better or ("–" if p.pages else "no common pages")
            cell = f"| {value or '(none)'} " if group else ""
            lines.append(f"{cell}| {p.a} | {p.b} | {p.pages} | {_pct(p.diff)}{interval} | {better} |")
    return lines


def disagreements_md(found: list[dict]) -> list[str]:
    """One line per group value decided otherwise than the pooled comparison."""
    if not found:
        return ["No language, century or script group decides a pair otherwise than the pooled comparison.", ""]
    lines = ["Decided otherwise than pooled (read the pooled verdict with these in mind):", ""]
    for d in found:
        pooled = f"{d['pooled']} better" if d["pooled"] else "undecided"
        lines.append(
            f"- {d['a']} vs {d['b']}: pooled {pooled}; {d['group']} {d['value'] or '(none)'} ({d['pages']} pages): "
            f"{d['better']} better, {_pct(d['diff'])} [{_pct(d['low'])}, {_pct(d['high'])}]"
        )
    return [*lines, ""]


def group_md(table: pd.DataFrame, title: str) -> list[str]:
    systems = list(table.columns)
    lines = [f"| {title} | " + " | ".join(systems) + " |", "|---|" + "---:|" * len(systems)]
    for value, row in table.iterrows():
        cells = [("–" if not isinstance(r, Rate) else f"{r.fmt()} ({r.pages})") for r in row]
        lines.append(f"| {value or '(none)'} | " + " | ".join(cells) + " |")
    return lines


def plot_group(table: pd.DataFrame, title: str, path: Path) -> None:
    """Grouped bars: CER of every system per group value, with interval whiskers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    values, systems = list(table.index), list(table.columns)
    width = 0.8 / max(len(systems), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(values) * max(1, len(systems) / 2)), 4))
    for i, system in enumerate(systems):
        rates = [table.loc[v, system] for v in values]
        y = [r.value * 100 if isinstance(r, Rate) and r.value is not None else np.nan for r in rates]
        lo = [y[k] - r.low * 100 if isinstance(r, Rate) and r.low is not None else 0 for k, r in enumerate(rates)]
        hi = [r.high * 100 - y[k] if isinstance(r, Rate) and r.high is not None else 0 for k, r in enumerate(rates)]
        x = np.arange(len(values)) + (i - (len(systems) - 1) / 2) * width
        ax.bar(x, y, width, yerr=[lo, hi], capsize=3, label=system)
    ax.set_xticks(np.arange(len(values)), [str(v) or "(none)" for v in values])
    ax.set_xlabel(title)
    ax.set_ylabel("CER % (normalised)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def worst_md(df: pd.DataFrame, golds: dict[str, str], texts: dict[tuple[str, str], str], cfg: OcrBenchConfig):
    lines = []
    df = df.assign(rate=page_rates(df)).dropna(subset=["rate"])
    for system, part in df.groupby("system", sort=True):
        lines += [f"### {system}", ""]
        for _, row in (
            part.sort_values(["rate", "page"], ascending=[False, True]).head(cfg.stats.worst_pages).iterrows()
        ):
            status = f" — failed: {row['error'][:200]}" if row["failed"] else ""
            lines.append(f"- `{row['page']}`: CER {row['rate'] * 100:.1f}%{status}")
            ref = normalize(golds[row["page"]], cfg.normalization)
            hyp = normalize(texts.get((system, row["page"]), ""), cfg.normalization)
            lines += ["", "```", alignment_excerpt(ref, hyp), "```", ""]
    return lines


def write_outputs(cfg: OcrBenchConfig, result: dict[str, Any], texts: dict[tuple[str, str], str]) -> dict:
    """results.parquet, summary.json, report.md and plots/ under the benchmark folder; returns the summary."""
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(result["rows"]).sort_values(["system", "page"]).reset_index(drop=True)
    df.to_parquet(out / "results.parquet", index=False)
    timed = {s.spec.id: getattr(s.engine, "timed", True) for s in result["systems"]}
    engines = {s.spec.id: s.spec.engine for s in result["systems"]}
    summary = summarize(df, cfg.stats, timed)
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    for group in PLOTTED:
        if group in summary["groups"]:
            plot_group(summary["groups"][group], group, plots / f"cer_by_{group}.png")
    record = {
        "name": cfg.name,
        "pages": len(result["pages"]),
        "skipped_pages": result["skipped"],
        "timing": result["timing"],
        "systems": {
            s.spec.id: {"engine": s.spec.engine, "folder": str(s.folder.relative_to(out)), "describe": s.description}
            for s in result["systems"]
        },
        "leaderboards": [
            b
            | {
                "entries": [
                    {k: (_rate_json(v) if isinstance(v, Rate) else v) for k, v in e.items()} for e in b["entries"]
                ]
            }
            for b in summary["leaderboards"]
        ],
        "paired": [asdict(p) for p in summary["paired"]],
        "paired_groups": {
            g: {v: [asdict(p) for p in pairs] for v, pairs in by_value.items()}
            for g, by_value in summary["paired_groups"].items()
        },
        "paired_disagreements": summary["disagreements"],
        "groups": {
            g: {str(v): {s: _rate_json(r) for s, r in row.items() if isinstance(r, Rate)} for v, row in t.iterrows()}
            for g, t in summary["groups"].items()
        },
    }
    (out / "summary.json").write_text(json.dumps(record, indent=1, ensure_ascii=False, default=str) + "\n")
    failed = {(r["system"], r["page"]) for r in result["rows"] if r["failed"]}
    write_pairs(out, result["golds"], texts, failed)
    (out / "report.md").write_text("\n".join(report_lines(cfg, result, summary, df, texts, engines)) + "\n")
    return record


def report_lines(cfg, result, summary, df, texts, engines) -> list[str]:  # long: one section after the other
    s = cfg.stats
    n_pages = len(result["pages"])
    collections = sorted({p.collection for p in result["pages"]})
    lines = [
        f"# OCR benchmark: {cfg.name}",
        "",
        f"{n_pages} pages in {len(collections)} collection(s) ({', '.join(collections)}); "
        f"{len(result['skipped'])} page(s) skipped because their gold could not be read or is empty. "
        f"Rates are pooled over pages (errors / gold length) after the normalisation below; intervals are "
        f"{s.confidence:.0%} percentile bootstrap intervals over pages ({s.bootstrap_samples} resamples, seed "
        f"{s.seed}). A failed page counts as an empty output. Raw rates use dinglehopper's definitions without "
        "normalisation.",
        "",
        "## Leaderboard",
        "",
        *leaderboards_md(summary["leaderboards"], engines),
        "## Which system is better (paired, on the pages both ran)",
        "",
        *paired_md(summary["paired"]),
        "",
        *disagreements_md(summary["disagreements"]),
    ]
    for group, by_value in summary["paired_groups"].items():
        lines += [f"### Paired, within each {group}", "", *paired_md(by_value, group), ""]
    for group, table in summary["groups"].items():
        lines += [f"## CER % by {GROUP_TITLES[group]} [95% CI] (pages)", "", *group_md(table, group), ""]
        if group in PLOTTED:
            lines += [f"![CER by {group}](plots/cer_by_{group}.png)", ""]
    lines += ["## Worst pages", "", *worst_md(df, result["golds"], texts, cfg)]
    lines += ["## Systems", ""]
    for system in result["systems"]:
        desc = json.dumps(system.description, ensure_ascii=False, default=str)
        t = result["timing"].get(system.spec.id, {})
        lines.append(f"- **{system.spec.id}** (`{system.spec.engine}`): {desc}; wall time {t.get('wall_seconds')} s")
    norm = cfg.normalization.model_dump()
    lines += ["", "## Normalisation", "", ", ".join(f"`{k}: {v}`" for k, v in norm.items()), ""]
    lines += ["See `ablations/ocrbench/normalize.py` for what each switch does.", ""]
    if result["skipped"]:
        lines += ["## Skipped pages (gold unreadable or empty)", ""]
        lines += [f"- `{x['page']}`: {x['reason']} ({x['file']})" for x in result["skipped"]]
    failed = df[df["failed"]]
    if len(failed):
        lines += ["", "## Failed pages", ""]
        lines += [f"- {r.system} `{r.page}`: {str(r.error)[:300]}" for r in failed.itertuples()]
    return lines
