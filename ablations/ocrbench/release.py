"""An evaluation dataset release of a benchmark's pages: images, gold, metadata, card, so another institution can rerun
it with ``python run_ablation.py ocr-bench <release>/bench.yaml``.

Deterministic like the data releases (``ablations/publish/release.py``): rows in id order, fixed Parquet settings,
no timestamps, every file listed with its sha256 in ``manifest.json`` and ``SHA256SUMS``. Images and gold files are
copied byte for byte under ``images/`` and ``gold/`` (paths ``<collection>/<book>/<stem><suffix>``); ``pages.csv``
lists them with their metadata; ``data/test-00000-of-00001.parquet`` holds the same rows with the gold text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from ablations.ocrbench.config import OcrBenchConfig
from ablations.ocrbench.pages import BenchPage, licence_warning
from ablations.publish.layout import MANIFEST, SUMS, ReleaseError
from ablations.publish.release import sha256_file, versions

FORMAT = "finebooks-ocr-eval-1"
PARQUET = "data/test-00000-of-00001.parquet"
FIELDS = ("id", "collection", "book", "image", "gold", "gold_format", "language", "script", "century")


def writable_problem(path: Path) -> str:
    """Why ``path`` cannot be created or written as a folder ("" when it can): checked before any work."""
    path = Path(path).resolve()
    if path.exists() and not path.is_dir():
        return f"{path} exists and is not a folder"
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        return f"{existing} is not a folder, so {path} cannot be made"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable, so {path} cannot be {'written' if existing == path else 'made'}"
    return ""


def check_release_target(out: Path) -> None:
    """Raise ReleaseError when ``out`` cannot take a release: not writable, or a non-empty folder that is not an
    earlier release (which would be replaced)."""
    out = Path(out).resolve()
    if problem := writable_problem(out):
        raise ReleaseError(problem)
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ReleaseError(f"{out} exists and is not a release folder (no {MANIFEST}): choose an empty folder")


def _prepare(out: Path) -> None:
    check_release_target(out)
    if out.exists() and any(out.iterdir()):
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _row(page: BenchPage) -> dict[str, str]:
    image = f"images/{page.id}{page.image.suffix.lower()}"
    suffix = ".gt.txt" if page.gold.name.endswith(".gt.txt") else page.gold.suffix
    gold = f"gold/{page.id}{suffix}"
    row = {"id": page.id, "collection": page.collection, "book": page.book, "image": image, "gold": gold}
    row |= {"gold_format": page.gold_format, "language": page.language, "script": page.script}
    return row | {"century": page.century} | {k: str(v) for k, v in sorted(page.extra.items()) if k not in FIELDS}


def _pages_csv(rows: list[dict[str, str]]) -> str:
    columns = list(FIELDS) + sorted({k for r in rows for k in r} - set(FIELDS))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _parquet(rows: list[dict[str, str]], golds: dict[str, str], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = list(FIELDS) + sorted({k for r in rows for k in r} - set(FIELDS)) + ["gold_text"]
    table = pa.table({c: [golds[r["id"]] if c == "gold_text" else r.get(c, "") for r in rows] for c in columns})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=64, compression="zstd", compression_level=9, write_statistics=True)


def _bench_yaml(cfg: OcrBenchConfig) -> str:
    """A config that benchmarks the release itself: its pages.csv, the same engines and settings (systems that read
    OCR already on disk are left out: their files are not part of the release)."""
    data = cfg.model_dump(mode="json")
    data["gold"] = {"pages_csv": "pages.csv", "columns": {k: k for k in FIELDS[1:]}}
    data["systems"] = [s for s in data["systems"] if s["engine"] != "existing"]
    data["output_dir"] = "runs/ocrbench"
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=119)
    return "# rerun from this folder: python <finebooks>/run_ablation.py ocr-bench bench.yaml\n" + text


def _card(cfg: OcrBenchConfig, rows: list[dict[str, str]], summary: dict | None, warning: str) -> str:
    sources: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        sources.setdefault((r.get("source", ""), r.get("licence", "")), []).append(r["collection"])
    lines = [
        "---",
        "license: other",
        "task_categories: [image-to-text]",
        f"language: [{', '.join(sorted({r['language'] for r in rows if r['language']}))}]",
        "---",
        "",
        f"# OCR evaluation set: {cfg.name}",
        "",
        f"{len(rows)} page images with hand-corrected gold transcriptions ({FORMAT}), written by FineBooks' "
        "`ocr-bench --release`. `pages.csv` lists every page (image, gold file and format, language, script, "
        "century, source, licence); `images/` and `gold/` hold the files unchanged; "
        f"`{PARQUET}` has the same rows with the gold text. Rerun the benchmark with "
        "`python run_ablation.py ocr-bench bench.yaml` from this folder; check the files with "
        "`sha256sum -c SHA256SUMS`.",
        "",
        "## Pages per collection",
        "",
        "| collection | pages | languages | centuries |",
        "|---|---:|---|---|",
    ]
    for coll in sorted({r["collection"] for r in rows}):
        part = [r for r in rows if r["collection"] == coll]
        langs = ", ".join(sorted({r["language"] for r in part}))
        cents = ", ".join(sorted({r["century"] for r in part}))
        lines.append(f"| {coll} | {len(part)} | {langs} | {cents} |")
    lines += [
        "",
        "## Sources and licences",
        "",
        "Each page keeps the licence of its source; check it before reuse.",
        "",
        *([f"**{warning}.**", ""] if warning else []),
        "| source | licence | collections | pages |",
        "|---|---|---|---:|",
    ]
    for (source, licence), colls in sorted(sources.items()):
        lines.append(
            f"| {source or '(not given)'} | {licence or '(not given)'} | {', '.join(sorted(set(colls)))} "
            f"| {len(colls)} |"
        )
    if summary:
        lines += ["", "## Results when released (normalised CER, %; one table per page set)"]
        for board in summary["leaderboards"]:
            lines += ["", f"{board['pages']} pages ({board['collections']}):", ""]
            lines += ["| system | pages | CER % [95% CI] |", "|---|---:|---:|"]
            for e in board["entries"]:
                r = e["cer_norm"]
                value = "–" if r["value"] is None else f"{r['value'] * 100:.2f}"
                interval = "" if r["low"] is None else f" [{r['low'] * 100:.2f}, {r['high'] * 100:.2f}]"
                lines.append(f"| {e['system']} | {e['pages']} | {value}{interval} |")
    return "\n".join(lines) + "\n"


def write_release(
    cfg: OcrBenchConfig, pages: list[BenchPage], golds: dict[str, str], out: Path, summary: dict | None = None
) -> dict[str, Any]:
    """Write the evaluation release of ``pages`` (those whose gold was read) into ``out``; returns the manifest."""
    out = Path(out).resolve()
    _prepare(out)
    pages = sorted((p for p in pages if p.id in golds), key=lambda p: p.id)
    rows = [_row(p) for p in pages]
    for page, row in zip(pages, rows, strict=True):
        for src, rel in ((page.image, row["image"]), (page.gold, row["gold"])):
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    (out / "pages.csv").write_text(_pages_csv(rows), encoding="utf-8")
    _parquet(rows, golds, out / PARQUET)
    (out / "bench.yaml").write_text(_bench_yaml(cfg), encoding="utf-8")
    (out / "README.md").write_text(_card(cfg, rows, summary, licence_warning(pages)), encoding="utf-8")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    records = [{"path": f, "sha256": sha256_file(out / f), "bytes": (out / f).stat().st_size} for f in files]
    manifest = {
        "format": FORMAT,
        "name": cfg.name,
        "pages": len(rows),
        "files": records,
        "gold_sha256": hashlib.sha256(json.dumps(golds, sort_keys=True).encode()).hexdigest(),
        "versions": versions(),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / SUMS).write_text("".join(f"{r['sha256']}  {r['path']}\n" for r in records), encoding="utf-8")
    return manifest
