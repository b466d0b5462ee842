"""What a finished run says about each candidate block: the text it removed (dropped books with their reasons,
removed lines of kept books), read from the stage folders that the run record (ablations/record/run.py) names for
the candidate's variant and the variant it was tried on.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from ablations.record.run import Decision, RunRecord
from pipelines import jsonl


def iter_documents(folder: Path):
    """Every document (dict with text, id, metadata) of the JSONL files in ``folder``, files in name order."""
    return jsonl.iterate_folder(folder)


def exclusions(folder: Path) -> dict[str, dict]:
    """Documents a block dropped and wrote to its exclusion folder ``excluded/<block id>/`` (keep_dropped), by id."""
    return {d["id"]: d for d in iter_documents(folder)}


def first_lines(text: str, n: int = 3, width: int = 160) -> list[str]:
    lines = [x.strip() for x in text.replace("\f", "").splitlines() if x.strip()]
    return [x if len(x) <= width else x[: width - 1] + "…" for x in lines[:n]]


def removed_lines(before: str, after: str, n: int = 8, width: int = 160) -> list[str]:
    """Up to ``n`` lines of a unified diff (no context) of a book's text before and after a block: ``- removed``,
    ``+ added`` (a rewritten line shows as both)."""
    out = []
    a = before.replace("\f", "").splitlines()
    b = after.replace("\f", "").splitlines()
    for line in difflib.unified_diff(a, b, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")) or not line[1:].strip():
            continue
        line = f"{line[0]} {line[1:]}"
        out.append(line if len(line) <= width else line[: width - 1] + "…")
        if len(out) >= n:
            break
    return out


@dataclass
class Removal:
    """What a candidate removed from its baseline's books."""

    books_dropped: dict[str, int] = field(default_factory=dict)  # reason -> books
    books_changed: int = 0
    chars_removed: int = 0  # characters in dropped books plus characters fewer in changed books
    dropped: list[dict] = field(default_factory=list)  # examples: id, reason, first lines
    changed: list[dict] = field(default_factory=list)  # examples: id, diff lines


def removal(run: RunRecord, d: Decision, examples: int = 3) -> Removal:
    """Compare the books of the decision's variant with those of the variant it was tried on, by id (books in id
    order)."""
    out = Removal()
    variant = run.variant(d.variant)
    after = {doc["id"]: doc["text"] for doc in iter_documents(run.books(variant))}
    excluded = exclusions(run.excluded(variant, d.candidate))
    changed_pairs = []
    for doc in sorted(iter_documents(run.books(run.variant(d.baseline))), key=lambda doc: doc["id"]):
        text = after.get(doc["id"])
        if text is None:
            reason = excluded.get(doc["id"], {}).get("metadata", {}).get("filter_reason", "dropped")
            out.books_dropped[reason] = out.books_dropped.get(reason, 0) + 1
            out.chars_removed += len(doc["text"])
            if len(out.dropped) < examples:
                out.dropped.append({"id": doc["id"], "reason": reason, "lines": first_lines(doc["text"])})
        elif text != doc["text"]:
            out.books_changed += 1
            out.chars_removed += len(doc["text"]) - len(text)
            if len(changed_pairs) < examples:
                changed_pairs.append((doc["id"], doc["text"], text))
    out.changed = [{"id": i, "lines": removed_lines(a, b)} for i, a, b in changed_pairs]
    return out


def removed_documents(run: RunRecord, candidate: str | None = None, lines: int = 3) -> list[dict]:
    """Every book a candidate's exclusion output holds (keep_dropped), with its reason and first lines; for
    browsing (notebooks/analysis.ipynb). ``candidate`` None = all candidates."""
    rows = []
    for d in run.decisions:
        if (candidate is not None and d.candidate != candidate) or not d.trained:
            continue
        for doc_id, doc in sorted(exclusions(run.excluded(run.variant(d.variant), d.candidate)).items()):
            rows.append(
                {
                    "candidate": d.candidate,
                    "id": doc_id,
                    "reason": doc.get("metadata", {}).get("filter_reason"),
                    "chars": len(doc["text"]),
                    "first_lines": "\n".join(first_lines(doc["text"], lines)),
                }
            )
    return rows
