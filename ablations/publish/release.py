"""Release: run a recipe over its collection and write a Parquet dataset with a card and a manifest of hashes.

The recipe's processing (read, clean, filter, dedup) runs as in an experiment, without the evaluation hold-out:
a release is the whole collection. Every kept book becomes one row: its text as Markdown
(``ablations/publish/markdown.py``) and its metadata in fixed columns, null where the source or the recipe gives no
value. The output is deterministic: rows sorted by id (so the number of tasks does not matter), files cut at a
fixed number of text bytes, fixed row groups and compression, an explicit schema and no timestamps; the same input
and recipe give bit-identical Parquet files, which ``reproduce`` checks against ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
from dataclasses import asdict
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from ablations.publish.evidence import iter_documents
from ablations.publish.layout import (
    COLUMNS,
    DATA_DIR,
    EVIDENCE_FILE,
    FORMAT,
    MANIFEST,
    RECIPE_FILE,
    SUMS,
    Layout,
    ReleaseError,
)
from ablations.publish.rows import book_row
from ablations.recipe.loader import dump_recipe
from ablations.recipe.schema import RecipeConfig
from pipelines.markdown.config import MarkdownOptions

HEADING = re.compile(r"^#{1,6} ", re.M)


def schema():
    import pyarrow as pa

    types = {"string": pa.string(), "int32": pa.int32(), "int64": pa.int64(), "float64": pa.float64()}
    return pa.schema([pa.field(name, types[t]) for name, (t, _) in COLUMNS.items()])


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_parquet(
    books: Path, out: Path, layout: Layout, tmp: Path, options: MarkdownOptions = MarkdownOptions()
) -> tuple[list[dict], dict[str, Any]]:
    """Rows of every book under ``books`` (JSONL) into ``out/data/train-*.parquet``, in id order.

    Rows go first to a scratch file with an index (id, hash, offset), so that sorting needs memory for the index
    only. Returns the file records (path, sha256, bytes, rows) and counts for the card.
    """
    scratch = tmp / "rows.jsonl"
    index, first_id, stats = _write_scratch(books, scratch, options)
    index.sort()
    shards: list[list[tuple]] = [[]]
    size = 0
    for entry in index:
        if shards[-1] and size + entry[4] > layout.file_bytes:
            shards.append([])
            size = 0
        shards[-1].append(entry)
        size += entry[4]
    return _write_shards(scratch, shards, _renumber(first_id), out, layout), stats


def _write_scratch(
    books: Path, scratch: Path, options: MarkdownOptions
) -> tuple[list[tuple[str, str, int, int, int]], dict[str, str], dict]:
    """Every book's row as a JSON line in ``scratch``; the index (id, text hash, offset, length, text bytes), the
    smallest book id of each dedup cluster as the stage wrote it, and the counts for the card."""
    index: list[tuple[str, str, int, int, int]] = []
    first_id: dict[str, str] = {}
    stats = {"rows": 0, "text_bytes": 0, "headings": 0, "non_null": dict.fromkeys(COLUMNS, 0), "languages": {}}
    stats["markdown"] = {}
    with open(scratch, "wb") as f:
        for doc in iter_documents(books):
            row = book_row(doc, options, stats["markdown"])
            line = (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
            text_bytes = len(row["text"].encode("utf-8"))
            digest = hashlib.sha256(row["text"].encode("utf-8")).hexdigest()
            index.append((row["id"], digest, f.tell(), len(line), text_bytes))
            for cluster in (row["dedup_cluster"] or "").split("; "):
                if cluster and (cluster not in first_id or row["id"] < first_id[cluster]):
                    first_id[cluster] = row["id"]
            f.write(line)
            stats["rows"] += 1
            stats["text_bytes"] += text_bytes
            stats["headings"] += len(HEADING.findall(row["text"]))
            for k, v in row.items():
                stats["non_null"][k] += v is not None
            if row["language"]:
                stats["languages"][row["language"]] = stats["languages"].get(row["language"], 0) + 1
    return index, first_id, stats


def _renumber(first_id: dict[str, str]) -> dict[str, str]:
    """Cluster numbers depend on the order the dedup stage saw the books (the number of tasks): number each stage's
    clusters in the order of their first book id instead."""
    renumber, seen = {}, {}
    for cluster, _ in sorted(first_id.items(), key=lambda kv: (kv[0].rsplit(":", 1)[0], kv[1])):
        stage = cluster.rsplit(":", 1)[0]
        renumber[cluster] = f"{stage}:{seen.setdefault(stage, 0)}"
        seen[stage] += 1
    return renumber


def _write_shards(
    scratch: Path, shards: list[list[tuple]], renumber: dict[str, str], out: Path, layout: Layout
) -> list[dict]:
    """One Parquet file per shard of index entries, rows read back from ``scratch``; the file records."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = out / DATA_DIR
    data.mkdir(parents=True, exist_ok=True)
    files = []
    with open(scratch, "rb") as f:
        for i, shard in enumerate(shards):
            rows = []
            for _, _, offset, length, _ in shard:
                f.seek(offset)
                row = json.loads(f.read(length))
                if row["dedup_cluster"]:
                    row["dedup_cluster"] = "; ".join(renumber[c] for c in row["dedup_cluster"].split("; "))
                rows.append(row)
            path = data / f"train-{i:05d}-of-{len(shards):05d}.parquet"
            pq.write_table(
                pa.Table.from_pylist(rows, schema=schema()),
                path,
                row_group_size=layout.row_group_rows,
                compression=layout.compression,
                compression_level=layout.compression_level,
                write_statistics=True,
            )
            files.append(
                {"path": path.relative_to(out).as_posix(), "sha256": sha256_file(path), "bytes": path.stat().st_size}
                | {"rows": len(rows)}
            )
    return files


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in ("finebooks", "datatrove", "pyarrow", "ftfy", "wordfreq"):
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = None
    return out


def _prepare_out(out: Path) -> None:
    """An empty folder, or an earlier release (its files are removed first); anything else is refused."""
    if out.exists() and any(out.iterdir()):
        if not (out / MANIFEST).is_file():
            raise ReleaseError(f"{out} exists and is not a release folder (no {MANIFEST}): choose an empty --out")
        shutil.rmtree(out / DATA_DIR, ignore_errors=True)
        for name in (MANIFEST, SUMS, RECIPE_FILE, "README.md", "recipe_evidence.md"):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def process_collection(cfg: RecipeConfig, work: Path, progress: bool = True):
    """The recipe's processing (blocks, then dedup stages) in ``work``; the result's ``output/`` holds the books."""
    from pipelines.chain import run_processing

    return run_processing(cfg.data, cfg.blocks(), list(cfg.dedup), cfg.executor, work, progress, cfg.output)


def write_release_data(
    cfg: RecipeConfig, out: Path, work: Path, layout: Layout = Layout(), progress: bool = True
) -> dict[str, Any]:
    """Process the collection and write the Parquet files and ``manifest.json`` / ``SHA256SUMS`` into ``out``."""
    from pipelines.process import source_fingerprints

    _prepare_out(out)
    result = process_collection(cfg, work, progress)
    recipe = dump_recipe(cfg)
    with tempfile.TemporaryDirectory(prefix="finebooks-release-") as tmp:
        files, stats = write_parquet(result.folder / "output", out, layout, Path(tmp), cfg.output.markdown)
    manifest = {
        "format": FORMAT,
        "name": cfg.experiment.name,
        "rows": stats["rows"],
        "files": files,
        "layout": asdict(layout),
        "columns": list(COLUMNS),
        "recipe_sha256": hashlib.sha256(recipe.encode("utf-8")).hexdigest(),
        "inputs": source_fingerprints(cfg.data),
        "processing": {k: v for k, v in result.summary.items() if k != "stages"},  # no local stage paths
        "stats": stats,
        "versions": versions(),
    }
    (out / RECIPE_FILE).write_text(recipe, encoding="utf-8")
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / SUMS).write_text("".join(f"{f['sha256']}  {f['path']}\n" for f in files), encoding="utf-8")
    return manifest


def release(
    cfg: RecipeConfig,
    out: Path,
    work: Path | None = None,
    layout: Layout = Layout(),
    evidence: Path | None = None,
    license: str = "other",
    languages: list[str] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Write a complete release of ``cfg`` into ``out``: Parquet files, manifest, recipe, card (README.md) and,
    with ``evidence`` (the run folder of the experiment that chose the recipe), its recipe doc."""
    from ablations.publish.card import render_card
    from ablations.publish.recipe_doc import render
    from ablations.record.run import read_run

    out = Path(out).resolve()
    work = Path(work) if work else Path(cfg.experiment.output_dir) / cfg.experiment.name / "stages"
    run = read_run(evidence) if evidence is not None else None  # first: an unfinished run fails before processing
    doc = render(run) if run is not None else None
    manifest = write_release_data(cfg, out, work.resolve(), layout, progress)
    if doc is not None:
        (out / EVIDENCE_FILE).write_text(doc, encoding="utf-8")
    decisions = run.decisions if run is not None else None
    card = render_card(cfg, manifest, license=license, languages=languages, decisions=decisions)
    (out / "README.md").write_text(card, encoding="utf-8")
    return manifest
