"""Candidates that cannot be decided by training: one that removes every book, one that changes nothing (its
variant's tokens are the recipe's, byte for byte), one whose processing or training raises, and the removal-rate
alarm of one that removes a large share of the data.

Each gets a decision record all the same (``verdict`` with a ``reason``, no interval, ``seeds`` 0), so the loop
goes on to the next candidate and the experiment's files are always written. A failure's traceback goes to the run
folder's ``ablation.log``.
"""

from __future__ import annotations

import filecmp
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ablations.train.tokens import token_count
from pipelines.console import say
from pipelines.stages import finished

LOG_FILE = "ablation.log"  # in the run folder: tracebacks of failed candidates


def books_kept(summary: dict[str, Any]) -> int | None:
    """Books a variant's processing kept, or None when it has not run (plan mode)."""
    kept = summary.get("kept")
    return None if kept is None else int(kept.get("documents", 0))


def removed_shares(base_summary: dict, base_tokens: Path | None, summary: dict, tokens: Path | None) -> dict:
    """Share of the base's books and tokens the candidate's variant removes (only those both sides know)."""
    out: dict[str, float] = {}
    b, v = books_kept(base_summary), books_kept(summary)
    if b and v is not None:
        out["books"] = 1 - v / b
    if v == 0:
        out["tokens"] = 1.0
    elif base_tokens is not None and tokens is not None:
        try:
            tb, tv = token_count(base_tokens), token_count(tokens)
        except RuntimeError:  # a tokens stage not finished (plan mode): not known yet
            return out
        if tb:
            out["tokens"] = 1 - tv / tb
    return out


def same_tokens(base_tokens: Path | None, tokens: Path | None) -> bool:
    """Whether two finished tokens stages hold the same documents in the same order, token for token: a candidate
    whose variant trains on exactly the recipe's data changes nothing that training could measure."""
    if base_tokens is None or tokens is None:
        return False
    if base_tokens == tokens:
        return True
    a, b = finished(base_tokens), finished(tokens)
    if a is None or b is None or (a["tokens"], a["documents"]) != (b["tokens"], b["documents"]):
        return False
    names = sorted(p.name for p in (base_tokens / "tokens").iterdir())
    if names != sorted(p.name for p in (tokens / "tokens").iterdir()):
        return False
    return all(filecmp.cmp(base_tokens / "tokens" / n, tokens / "tokens" / n, shallow=False) for n in names)


def settle(current, variant) -> tuple[str, str] | None:
    """``(verdict, reason)`` of a prepared variant that needs no training: it keeps no book (drop), or it trains on
    the current recipe's tokens (no_change). None: it is trained."""
    if variant.empty:
        return "drop", "removes 100% of books"
    if same_tokens(current.tokens, variant.tokens):
        return "no_change", f"changes nothing: trains on the same tokens as {current.name}"
    return None


def alarm(candidate: str, base: str, removed: dict[str, float], threshold: float) -> bool:
    """Print one warning line when the candidate removes more than ``threshold`` of the base's books or tokens."""
    over = {k: s for k, s in removed.items() if s > threshold}
    if not over:
        return False
    said = " and ".join(f"{s:.0%} of {k}" for k, s in over.items())
    say(
        f"WARNING: candidate {candidate} removes {said} of {base} "
        f"(more than ablation.removal_alarm = {threshold:.0%})",
        err=True,
    )
    return True


def untrained(cand, base: str, variant: str, verdict: str, reason: str, confidence: float) -> dict[str, Any]:
    """The decision record of a candidate decided without training (``verdict`` drop, no_change or failed, with
    ``reason``)."""
    return {
        "candidate": cand.id,
        "section": cand.section,
        "baseline": base,
        "variant": variant,
        "confidence": confidence,
        "verdict": verdict,
        "reason": reason,
        "delta": None,
        "low": None,
        "high": None,
        "se": None,
        "seeds": 0,
        "mde": None,
        "seeds_for_observed": None,
        "per_task": {},
    }


def failure_reason(run_dir: Path, candidate: str, error: BaseException) -> str:
    """Append the traceback of a candidate's failure to the run's log file; the one-line reason for its record."""
    run_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with open(run_dir / LOG_FILE, "a", encoding="utf-8") as log:
        log.write(f"--- {stamp} candidate {candidate} failed\n")
        log.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    first = (str(error).strip().splitlines() or [""])[0][:300]
    return f"{type(error).__name__}: {first} (traceback in the run folder's {LOG_FILE})"
