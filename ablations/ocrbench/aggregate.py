"""From per-page rows to the benchmark's tables: leaderboards (one per page set), rates per group, paired comparisons
of systems."""

from __future__ import annotations

from dataclasses import asdict
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from ablations.ocrbench.config import GROUPS, StatsConfig
from ablations.ocrbench.stats import Paired, Rate, paired_difference, pooled_rate, rng_for

METRICS = ("cer", "wer", "bow")
PAIRED_GROUPS = ("language", "century", "script")  # paired comparisons within each value, beside the pooled one


def rate(df: pd.DataFrame, metric: str, stats: StatsConfig, *names: str) -> Rate:
    """Pooled rate of ``metric`` (``cer_norm``, ``wer_raw``, ...) over the rows, with its bootstrap interval."""
    return pooled_rate(
        df[f"{metric}_errors"].to_numpy(),
        df[f"{metric}_n"].to_numpy(),
        stats.bootstrap_samples,
        stats.confidence,
        rng_for(stats.seed, metric, *names),
    )


def _seconds(df: pd.DataFrame) -> float | None:
    secs = df["seconds"].dropna()
    return float(secs.median()) if len(secs) else None


def leaderboard(df: pd.DataFrame, stats: StatsConfig, timed: dict[str, bool]) -> list[dict[str, Any]]:
    """One entry per system, best normalised CER first: rates with intervals, pages, failures, seconds per page.
    Only a fair ranking when every system of ``df`` has the same pages: ``leaderboards`` makes sure of that."""
    out = []
    for system, part in df.groupby("system", sort=True):
        entry: dict[str, Any] = {"system": system, "pages": len(part), "failed": int(part["failed"].sum())}
        entry["empty"] = int(part["empty"].sum()) if "empty" in part else 0
        for metric in METRICS:
            for kind in ("norm", "raw"):
                entry[f"{metric}_{kind}"] = rate(part, f"{metric}_{kind}", stats, system)
        entry["seconds_per_page"] = _seconds(part) if timed.get(system, True) else None
        out.append(entry)
    return sorted(out, key=lambda e: (e["cer_norm"].value is None, e["cer_norm"].value or 0.0, e["system"]))


def page_sets(df: pd.DataFrame) -> list[tuple[frozenset[str], list[str]]]:
    """Every distinct set of pages a system was scored on (most pages first), each with the systems scored on all
    of its pages: a system with more pages joins the table of a smaller set, scored there on that set only."""
    pages_of = {system: frozenset(part["page"]) for system, part in df.groupby("system", sort=True)}
    sets = sorted(set(pages_of.values()), key=lambda p: (-len(p), sorted(p)))
    return [(pages, sorted(s for s, own in pages_of.items() if pages <= own)) for pages in sets]


def describe_pages(part: pd.DataFrame) -> str:
    """``en_oldbooks 40, fr_16c 60`` (pages per collection) of one page set's rows."""
    pages = part.drop_duplicates("page")
    counts = pages.groupby(pages["collection"].astype(str).replace("", "(none)")).size()
    return ", ".join(f"{name} {n}" for name, n in counts.items())


def leaderboards(df: pd.DataFrame, stats: StatsConfig, timed: dict[str, bool]) -> list[dict[str, Any]]:
    """One leaderboard per page set (``page_sets``): every system in a table was scored on exactly its pages."""
    out = []
    for pages, systems in page_sets(df):
        part = df[df["page"].isin(pages) & df["system"].isin(systems)]
        board = leaderboard(part, stats, timed)
        out.append({"pages": len(pages), "collections": describe_pages(part), "systems": systems, "entries": board})
    return out


def by_group(df: pd.DataFrame, group: str, stats: StatsConfig, metric: str = "cer_norm") -> pd.DataFrame:
    """Rate of every system in every value of ``group`` (rows: group values, columns: systems; cells: Rate)."""
    cells: dict[tuple[str, str], Rate] = {}
    for (value, system), part in df.groupby([group, "system"], sort=True):
        cells[(str(value), system)] = rate(part, metric, stats, system, group, str(value))
    values = sorted({v for v, _ in cells})
    systems = sorted({s for _, s in cells})
    table = pd.DataFrame(index=values, columns=systems, dtype=object)
    for (value, system), r in cells.items():
        table.loc[value, system] = r
    return table


def paired(df: pd.DataFrame, stats: StatsConfig, metric: str = "cer_norm", *names: str) -> list[Paired]:
    """Every two systems compared on the pages both ran (``metric`` errors, same gold lengths); ``names`` (a group
    and its value) go into the seed."""
    systems = sorted(df["system"].unique())
    pivot_err = df.pivot(index="page", columns="system", values=f"{metric}_errors")
    lengths = df.groupby("page")[f"{metric}_n"].first()
    out = []
    for a, b in combinations(systems, 2):
        both = pivot_err[[a, b]].dropna()
        out.append(
            paired_difference(
                a,
                b,
                both[a].to_numpy(),
                both[b].to_numpy(),
                lengths.loc[both.index].to_numpy(),
                stats.bootstrap_samples,
                stats.confidence,
                rng_for(stats.seed, metric, "paired", a, b, *names),
            )
        )
    return out


def paired_by_group(df: pd.DataFrame, stats: StatsConfig, metric: str = "cer_norm") -> dict[str, dict[str, list]]:
    """``paired`` within each value of every ``PAIRED_GROUPS`` field that has two values or more (a single value
    would repeat the pooled comparison); pairs without common pages in a value are left out."""
    out: dict[str, dict[str, list]] = {}
    for group in PAIRED_GROUPS:
        values = df[group].astype(str)
        if values.nunique() < 2:
            continue
        out[group] = {
            value: [p for p in paired(part, stats, metric, group, value) if p.pages]
            for value, part in df.groupby(values, sort=True)
        }
    return out


def disagreements(pooled: list[Paired], groups: dict[str, dict[str, list]]) -> list[dict[str, Any]]:
    """Every group value where a pair is decided otherwise than pooled: decided where the pooled comparison is
    undecided, or the other system better (a group too small to decide what the pooled comparison decides is not
    listed: its table shows it)."""
    verdict = {(p.a, p.b): p.better for p in pooled}
    out = []
    for group, by_value in groups.items():
        for value, pairs in by_value.items():
            for p in pairs:
                if p.better is not None and p.better != verdict.get((p.a, p.b)):
                    out.append({"group": group, "value": value, "pooled": verdict.get((p.a, p.b))} | asdict(p))
    return out


def page_rates(df: pd.DataFrame, metric: str = "cer_norm") -> pd.Series:
    """Per-row rate (NaN for empty gold)."""
    n = df[f"{metric}_n"].astype(float)
    return df[f"{metric}_errors"] / n.where(n > 0, np.nan)


def summarize(df: pd.DataFrame, stats: StatsConfig, timed: dict[str, bool]) -> dict[str, Any]:
    """Leaderboards, per-group tables and paired comparisons (pooled and per group) of the rows of a run."""
    out = {
        "leaderboards": leaderboards(df, stats, timed),
        "groups": {g: by_group(df, g, stats) for g in GROUPS if df[g].astype(str).str.len().gt(0).any()},
        "paired": paired(df, stats),
        "paired_groups": paired_by_group(df, stats),
    }
    out["disagreements"] = disagreements(out["paired"], out["paired_groups"])
    return out
