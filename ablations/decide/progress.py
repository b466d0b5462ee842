"""Progress a person can follow: one line per verdict, printed when it is reached and kept in ``verdicts.json`` of
the run folder (rewritten with every verdict, so ``--status`` shows the verdicts reached so far)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.console import say
from pipelines.stages import write_json

VERDICTS = "verdicts.json"


def verdict_line(d: dict[str, Any]) -> str:
    """``verdict <candidate>: keep, delta +0.1234 [+0.0500, +0.2000] (97.5% interval), 3 seeds, minimum detectable
    effect 0.0800; any false keep/drop among the recipe's 2 candidates <= 5%`` (delta and interval in baseline item
    standard deviations; a keep or drop says the recipe-wide bound of ablations/decide/family.py, a sweep's kept
    variant what choosing the largest adds to its delta, ablations/decide/sweep.py)."""
    if d.get("reason"):  # decided without training (ablations/decide/guard.py)
        return f"verdict {d['candidate']}: {d['verdict']} ({d['reason']}), not trained"
    confidence = f" ({100 * d['confidence']:.1f}% interval)" if d.get("confidence") is not None else ""
    line = (
        f"verdict {d['candidate']}: {d['verdict']}, delta {d['delta']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}]"
        f"{confidence}, {d['seeds']} seeds, minimum detectable effect {d['mde']:.4f}"
    ) + "".join(f"; at lr {r}: {v['verdict']}" for r, v in d.get("learning_rates", {}).items())
    if d.get("winner_bias") is not None:
        line += f"; the largest delta of its sweep: selection adds about {d['winner_bias']:+.4f} on average"
    if d["verdict"] in ("keep", "drop") and d.get("family_error") is not None:
        k = d["family_size"]
        line += f"; any false keep/drop among the recipe's {k} candidate{'s' * (k != 1)} <= {d['family_error']:.1%}"
    return line


def report_verdict(run_dir: Path, decisions: list[dict[str, Any]]) -> None:
    """Print the line of the last verdict and write every verdict so far to ``<run_dir>/verdicts.json``."""
    say(verdict_line(decisions[-1]))
    write_json(run_dir / VERDICTS, decisions)


def clear_verdicts(run_dir: Path) -> None:
    """Forget the verdicts of an earlier loop in this run folder (the loop starts again from its first candidate)."""
    (run_dir / VERDICTS).unlink(missing_ok=True)


def verdict_lines(run_dir: Path) -> list[str]:
    """The verdicts reached so far (``verdicts.json``, or ``decisions.json`` of a finished run), one line each."""
    for name in (VERDICTS, "decisions.json"):
        path = run_dir / name
        if path.exists():
            decisions = json.loads(path.read_text())
            return [f"verdicts ({len(decisions)}):", *(f"  {verdict_line(d)}" for d in decisions)]
    return []
