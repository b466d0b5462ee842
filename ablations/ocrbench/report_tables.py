"""The Markdown tables and plots of the benchmark's report: leaderboards per page set, paired comparisons (pooled
and per group), rates per group."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ablations.ocrbench.stats import Rate

PLOTTED = ("century", "script")  # groups with a plot of CER per value


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.2f}"


def leaderboard_md(board: list[dict], engines: dict[str, str]) -> list[str]:
    lines = [
        "| system | engine | pages | failed | empty | CER % [95% CI] | WER % [95% CI] | bag-of-words % | raw CER % "
        "| raw WER % | s/page |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in board:
        secs = "–" if e["seconds_per_page"] is None else f"{e['seconds_per_page']:.2f}"
        lines.append(
            f"| {e['system']} | {engines.get(e['system'], '')} | {e['pages']} | {e['failed']} | {e['empty']} "
            f"| {e['cer_norm'].fmt()} | {e['wer_norm'].fmt()} | {e['bow_norm'].fmt()} | {e['cer_raw'].fmt()} "
            f"| {e['wer_raw'].fmt()} | {secs} |"
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
