"""The benchmark's outputs: results.parquet (one row per system and page), summary.json, report.md and plots."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pandas as pd

from ablations.ocrbench.aggregate import page_rates, summarize
from ablations.ocrbench.config import OcrBenchConfig
from ablations.ocrbench.metrics import alignment_excerpt
from ablations.ocrbench.normalize import normalize
from ablations.ocrbench.pages import licence_warning
from ablations.ocrbench.pairs import write_pairs
from ablations.ocrbench.report_tables import (
    PLOTTED,
    disagreements_md,
    group_md,
    leaderboards_md,
    paired_md,
    plot_group,
)
from ablations.ocrbench.run import skipped_line
from ablations.ocrbench.stats import Rate


def _rate_json(r: Rate) -> dict:
    return asdict(r)


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
        "skipped": skipped_line(result["skipped"]),
        "empty_outputs": [{"system": r.system, "page": r.page} for r in df[df["empty"]].itertuples()],
        "licence_warning": licence_warning(result["pages"]),
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
        f"{skipped_line(result['skipped'])} "
        f'(missing image or gold file, gold unreadable or empty: listed under "Skipped pages"); '
        f"{int(df['failed'].sum())} failed and {int(df['empty'].sum())} empty engine output(s) (listed below). "
        f"Rates are pooled over pages (errors / gold length) after the normalisation below; intervals are "
        f"{s.confidence:.0%} percentile bootstrap intervals over pages ({s.bootstrap_samples} resamples, seed "
        f"{s.seed}). A failed page counts as an empty output. Raw rates are dinglehopper's command line's on the same "
        "texts (its file reading and NFC_SBB table, no other normalisation).",
        "",
    ]
    if warning := licence_warning(result["pages"]):
        lines += [f"**{warning}.**", ""]
    lines += ["## Leaderboard", "", *leaderboards_md(summary["leaderboards"], engines)]
    lines += ["## Which system is better (paired, on the pages both ran)", "", *paired_md(summary["paired"]), ""]
    lines += disagreements_md(summary["disagreements"])
    for group, by_value in summary["paired_groups"].items():
        lines += [f"### Paired, within each {group}", "", *paired_md(by_value, group), ""]
    for group, table in summary["groups"].items():
        lines += [f"## CER % by {group} [95% CI] (pages)", "", *group_md(table, group), ""]
        if group in PLOTTED:
            lines += [f"![CER by {group}](plots/cer_by_{group}.png)", ""]
    lines += ["## Worst pages", "", *worst_md(df, result["golds"], texts, cfg)]
    lines += ["## Systems", ""]
    for system in result["systems"]:
        desc = json.dumps(system.description, ensure_ascii=False, default=str)
        lines.append(f"- **{system.spec.id}** (`{system.spec.engine}`): {desc}")
        lines += timing_md(result["timing"].get(system.spec.id))
    norm = cfg.normalization.model_dump()
    lines += ["", "## Normalisation", "", ", ".join(f"`{k}: {v}`" for k, v in norm.items()), ""]
    lines += ["See `ablations/ocrbench/normalize.py` for what each switch does.", ""]
    return lines + problems_md(result["skipped"], df)


def timing_md(timing: dict | None) -> list[str]:
    """The engine's seconds over the pages (as recorded when each was read) and every run's wall time."""
    if not timing:
        return []
    engine = "–" if timing["engine_seconds"] is None else f"{timing['engine_seconds']} s"
    lines = [f"  - engine time over its {timing['pages']} pages (sum of the page times when read): {engine}"]
    for r in timing["runs"]:
        lines.append(
            f"  - run finished {r['finished']}: {r['pages_run']} pages read, {r['pages_cached']} from the cache, "
            f"wall {r['wall_seconds']} s"
        )
    return lines


def problems_md(skipped: list[dict], df: pd.DataFrame) -> list[str]:
    """Skipped pages, failed pages and empty engine outputs, each listed with its reason."""
    lines = []
    if skipped:
        lines += ["## Skipped pages (missing image or gold file, gold unreadable or empty)", ""]
        lines += [f"- `{x['page']}`: {x['reason']} ({x['file']})" for x in skipped]
        lines += [""]
    failed = df[df["failed"]]
    if len(failed):
        lines += ["## Failed pages (scored as empty outputs)", ""]
        lines += [f"- {r.system} `{r.page}`: {str(r.error)[:300]}" for r in failed.itertuples()]
        lines += [""]
    empty = df[df["empty"]]
    if len(empty):
        lines += ["## Empty outputs (the engine succeeded but returned no text; every gold character an error)", ""]
        lines += [f"- {r.system} `{r.page}`" for r in empty.itertuples()]
        lines += [""]
    return lines
