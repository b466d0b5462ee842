"""What a finished run folder says about each candidate block: the variants' data folders, their sizes in books,
bytes and tokens, and the text a candidate removed (dropped books with their reasons, removed lines of kept books).

A run written by this version records its variants in ``variants.json``; for older runs the variants are rebuilt
from the resolved config and ``decisions.json`` (greedy: a kept candidate joins the recipe) and matched to their
``stages/process-*`` folders by the blocks in each folder's stage key.
"""

from __future__ import annotations

import difflib
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOLDOUT_BLOCK = "eval_holdout"


class RunFolderError(ValueError):
    """A run folder that lacks what is asked of it (an unfinished run, or not a run folder)."""


@dataclass
class VariantData:
    name: str
    blocks: list[str]  # block ids, in pipeline order
    process: Path | None  # the stage folder whose output/ holds the variant's books
    tokens: int | None  # tokens of the variant's data under the run's tokenizer
    summary: dict[str, Any] = field(default_factory=dict)


def require(run_dir: Path, *names: str) -> None:
    """Fail naming the first missing file of a run folder."""
    for name in names:
        if not (run_dir / name).is_file():
            raise RunFolderError(
                f"{run_dir / name} is missing: is {run_dir} a finished run folder (all stages of run_ablation.py)?"
            )


def read_json(path: Path) -> Any:
    require(path.parent, path.name)
    return json.loads(path.read_text(encoding="utf-8"))


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def iter_documents(folder: Path):
    """Every document (dict with text, id, metadata) of the JSONL files in ``folder``, files in name order."""
    for path in sorted(folder.glob("*.jsonl*")):
        with _open(path) as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def _stage_manifests(stages: Path, kind: str) -> list[tuple[Path, dict]]:
    out = []
    for manifest in sorted(stages.glob(f"{kind}-*/manifest.json")):
        out.append((manifest.parent, json.loads(manifest.read_text(encoding="utf-8"))))
    return out


def _tokens_of(stages: Path, process_name: str) -> int | None:
    counts = [m["tokens"] for _, m in _stage_manifests(stages, "tokens") if m["key"]["processed"] == process_name]
    return counts[0] if counts else None


def _blocks_of(manifest: dict) -> list[dict]:
    """The block specs of a process stage, without the evaluation hold-out block."""
    return [b for b in manifest["key"]["blocks"] if b["id"] != HOLDOUT_BLOCK]


def _rebuild_variants(run_dir: Path) -> tuple[dict, list[dict]]:
    """The resolved config, and the variant names and block specs (as dumped in stage keys) rebuilt from it and the
    decisions."""
    import yaml

    cfg = yaml.safe_load((run_dir / "config.resolved.yaml").read_text(encoding="utf-8"))
    decisions = read_json(run_dir / "decisions.json")
    cands = {c["id"]: c for c in cfg["ablation"]["candidates"]}
    current = {"name": "baseline", "clean": list(cfg["clean"]), "filter": list(cfg["filter"])}
    out = [current]
    for d in decisions:
        c = dict(cands[d["candidate"]])
        section = c.pop("section")
        v = {"name": d["variant"], "clean": list(current["clean"]), "filter": list(current["filter"])}
        v[section] = [*v[section], c]
        out.append(v)
        if d["verdict"] == "keep":
            current = v
    return cfg, out


def variants(run_dir: Path) -> dict[str, VariantData]:
    """The variants of a finished run, by name."""
    stages = run_dir / "stages"
    recorded = run_dir / "variants.json"
    if recorded.is_file():
        out = {}
        for v in json.loads(recorded.read_text(encoding="utf-8")):
            folder = stages / v["process"]
            out[v["name"]] = VariantData(v["name"], v["blocks"], folder, v.get("tokens"), v.get("summary", {}))
        return out
    cfg, rebuilt = _rebuild_variants(run_dir)
    holdout = (run_dir / "holdout_ids.json").is_file()  # then every variant's stage starts with the hold-out block
    manifests = [
        (folder, m)
        for folder, m in _stage_manifests(stages, "process")
        if m["key"]["data"] == cfg["data"] and any(b["id"] == HOLDOUT_BLOCK for b in m["key"]["blocks"]) == holdout
    ]
    out = {}
    for v in rebuilt:
        blocks = [*v["clean"], *v["filter"]]
        matches = [(f, m) for f, m in manifests if _blocks_of(m) == blocks]
        # several matches: inputs changed between reruns; the one that was tokenized, then the newest
        matches.sort(key=lambda fm: (_tokens_of(stages, fm[0].name) is not None, fm[0].stat().st_mtime))
        folder, manifest = matches[-1] if matches else (None, {})
        tokens = _tokens_of(stages, folder.name) if folder else None
        out[v["name"]] = VariantData(v["name"], [b["id"] for b in blocks], folder, tokens, manifest.get("summary", {}))
    return out


def exclusions(folder: Path, block_id: str) -> dict[str, dict]:
    """Documents the block ``block_id`` dropped and wrote to ``excluded/<block id>/`` (keep_dropped), by id."""
    return {d["id"]: d for d in iter_documents(folder / "excluded" / block_id)}


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


def removal(baseline: VariantData, variant: VariantData, block_id: str, examples: int = 3) -> Removal:
    """Compare the books of ``variant`` with those of ``baseline`` by id (books in id order)."""
    out = Removal()
    if baseline.process is None or variant.process is None:
        return out
    after = {d["id"]: d["text"] for d in iter_documents(variant.process / "output")}
    excluded = exclusions(variant.process, block_id)
    changed_pairs = []
    for doc in sorted(iter_documents(baseline.process / "output"), key=lambda d: d["id"]):
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


def removed_documents(run_dir: Path, candidate: str | None = None, lines: int = 3) -> list[dict]:
    """Every book a candidate's exclusion output holds (keep_dropped), with its reason and first lines; for
    browsing (notebooks/analysis.ipynb). ``candidate`` None = all candidates."""
    vs = variants(run_dir)
    rows = []
    for d in read_json(run_dir / "decisions.json"):
        if candidate is not None and d["candidate"] != candidate:
            continue
        v = vs.get(d["variant"])
        if v is None or v.process is None:
            continue
        for doc_id, doc in sorted(exclusions(v.process, d["candidate"]).items()):
            rows.append(
                {
                    "candidate": d["candidate"],
                    "id": doc_id,
                    "reason": doc.get("metadata", {}).get("filter_reason"),
                    "chars": len(doc["text"]),
                    "first_lines": "\n".join(first_lines(doc["text"], lines)),
                }
            )
    return rows
