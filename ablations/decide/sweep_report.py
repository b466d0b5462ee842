"""The report's sweeps: for each swept candidate, the whole curve of score against parameter value, a table and a
plot (delta with its corrected interval per variant, as FineWeb chose its thresholds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ablations.record.run import Decision


def sweeps(decisions: list[Decision]) -> dict[str, list[Decision]]:
    """Swept candidate id -> its variants' decisions, in config order."""
    out: dict[str, list[Decision]] = {}
    for d in decisions:
        if d.sweep:
            out.setdefault(d.sweep, []).append(d)
    return out


def _value(x: Any) -> str:
    return x if isinstance(x, str) else json.dumps(x)


def sweep_section(decisions: list[Decision], plots: Path) -> list[str]:
    """The report lines of every sweep (none when there is none), and its plot ``plots/sweep-<id>.png``."""
    found = sweeps(decisions)
    if not found:
        return []
    lines = [
        "",
        "## Sweeps",
        "",
        "Each variant is the recipe it was tried on plus one value (grid point) of the candidate, trained beside the "
        "others against the same runs of that recipe. Each interval is at the confidence shown, corrected for the "
        "recipe's candidates, the looks that buy seeds and the number of variants (Bonferroni); the variant with the "
        "largest delta among those whose interval is above 0 is kept (the others above 0 are *outranked*), none when "
        "no interval is. The kept delta, chosen as the largest, overstates its effect (the winner's curse): its note "
        "estimates what the choice adds on average, a keep near the detection limit overstates more; its interval, "
        "simultaneous over the variants, holds as it is: its lower end is the safe reading.",
    ]
    for sid, ds in found.items():
        paths = list(ds[0].values)
        lines += ["", f"### {sid} (tried on `{ds[0].baseline}`)", ""]
        lines += ["| " + " | ".join(paths) + " | verdict | delta | interval | seeds | books removed | note |"]
        lines += ["|" + "---|" * (len(paths) + 6)]
        for d in ds:
            values = " | ".join(_value(d.values.get(p)) for p in paths)
            stats = f"{d.delta:+.4f} | [{d.low:+.4f}, {d.high:+.4f}]" if d.trained else "- | -"
            removed = f"{d.removed['books']:.0%}" if "books" in d.removed else "-"
            lines.append(f"| {values} | **{d.verdict}** | {stats} | {d.seeds} | {removed} | {d.note()} |")
        if _plot(sid, ds, plots):
            lines += ["", f"![sweep {sid}](plots/sweep-{sid}.png)"]
    return lines + [""]


def _plot(sid: str, ds: list[Decision], plots: Path) -> bool:
    """Delta against the swept value with its interval (a numeric single-path sweep on a value axis, otherwise
    one point per variant); False when no variant was trained."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trained = [d for d in ds if d.trained]
    if not trained:
        return False
    paths = list(ds[0].values)
    numeric = len(paths) == 1 and all(isinstance(d.values[paths[0]], int | float) for d in trained)
    xs = [d.values[paths[0]] if numeric else i for i, d in enumerate(trained)]
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for x, d in zip(xs, trained, strict=True):
        color = "tab:green" if d.verdict == "keep" else "tab:grey" if d.verdict == "outranked" else "tab:blue"
        ax.errorbar(x, d.delta, yerr=[[d.delta - d.low], [d.high - d.delta]], fmt="o", capsize=4, color=color)
    ax.plot(xs, [d.delta for d in trained], color="tab:blue", lw=1, alpha=0.5)
    ax.axhline(0, color="grey", lw=1)
    if numeric:
        ax.set_xlabel(paths[0])
        if min(xs) > 0 and max(xs) / min(xs) >= 100:  # thresholds swept over orders of magnitude
            ax.set_xscale("log")
    else:
        ax.set_xticks(xs, [",".join(f"{p}={_value(d.values[p])}" for p in paths) for d in trained], rotation=20)
    ax.set_ylabel("delta vs recipe (baseline item sd)")
    ax.set_title(f"sweep {sid} ({trained[0].confidence:.4f} intervals)", fontsize=9)
    fig.tight_layout()
    plots.mkdir(exist_ok=True)
    fig.savefig(plots / f"sweep-{sid}.png", dpi=110)
    plt.close(fig)
    return True
