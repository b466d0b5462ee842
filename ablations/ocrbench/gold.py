"""The benchmark's pages and their gold text: listed by a CSV (like ocr_images/pages.csv) or found in a folder.

Gold is read with the project's own page functions (ALTO: ``alto_page``, PAGE: ``page_xml_page``, text), so the
benchmark and the main pipeline read a file the same way. Gold is read diplomatically: a hyphen printed at a line end
stays (the normalisation, not the reader, decides whether it counts).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ablations.ocrbench.config import GoldConfig
from ablations.ocrbench.pages import BenchPage
from pipelines.readers.pagefile import read_page_file

GOLD_FORMATS = ("alto", "page", "txt")


class GoldError(ValueError):
    """A gold listing that cannot be used (missing CSV column, image or gold file): names the file and row."""


def sniff_format(path: Path) -> str:
    """alto, page or txt from a gold file's name and root element."""
    if path.suffix.lower() != ".xml":
        return "txt"
    head = path.read_bytes()[:4096]
    return "page" if b"PcGts" in head else "alto"


def _page(cfg: GoldConfig, row: dict[str, str], root: Path, where: str) -> BenchPage:
    cols = cfg.columns
    missing = [cols[k] for k in ("image", "gold") if not row.get(cols.get(k, k))]
    if missing:
        raise GoldError(f"{where}: column(s) {', '.join(missing)} empty or missing")
    image, gold = root / row[cols["image"]], root / row[cols["gold"]]
    for kind, path in (("image", image), ("gold", gold)):
        if not path.is_file():
            raise GoldError(f"{where}: {kind} file {path} not found")
    fmt = row.get(cols.get("gold_format", "gold_format")) or sniff_format(gold)
    if fmt not in GOLD_FORMATS:
        raise GoldError(f"{where}: gold_format {fmt!r} is not one of {GOLD_FORMATS}")
    field = {
        k: str(row.get(cols.get(k, k), "") or "") for k in ("collection", "book", "language", "script", "century")
    }
    stem = Path(row[cols["image"]]).stem
    page_id = "/".join(p for p in (field["collection"], field["book"], stem) if p)
    used = {cols.get(k, k) for k in ("image", "gold", "gold_format", *field)}
    extra = {k: v for k, v in row.items() if k not in used}
    return BenchPage(page_id, image, gold=gold, gold_format=fmt, extra=extra, **field)


def _from_csv(cfg: GoldConfig) -> list[BenchPage]:
    path = Path(cfg.pages_csv)
    if not path.is_file():
        raise GoldError(f"gold.pages_csv: {path} not found")
    root = Path(cfg.root) if cfg.root else path.parent
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        needed = [cfg.columns.get(k, k) for k in ("image", "gold")]
        if absent := [c for c in needed if c not in (reader.fieldnames or [])]:
            raise GoldError(f"{path}: no column {', '.join(absent)} (gold.columns maps page fields to columns)")
        return [_page(cfg, row, root, f"{path}:{n}") for n, row in enumerate(reader, start=2)]


def _from_folder(cfg: GoldConfig) -> list[BenchPage]:
    folder = Path(cfg.folder)
    if not folder.is_dir():
        raise GoldError(f"gold.folder: {folder} is not a folder")
    pages = []
    for image in sorted(p for p in folder.rglob("*") if p.suffix.lower() in cfg.image_extensions):
        candidates = [image.with_suffix(s) for s in (".gt.txt", ".txt", ".xml")]
        gold = next((c for c in candidates if c.is_file()), None)
        if gold is None:
            raise GoldError(f"{image}: no gold file beside it (.gt.txt, .txt or .xml of the same stem)")
        rel = image.relative_to(folder)
        book = rel.parent.as_posix() if rel.parent != Path(".") else ""
        row = {"image": str(rel), "gold": str(gold.relative_to(folder)), "gold_format": sniff_format(gold)}
        row |= {"set": folder.name, "book": book, "language": cfg.language, "script": cfg.script}
        row["century"] = cfg.century
        pages.append(_page(cfg.model_copy(update={"columns": _FOLDER_COLUMNS}), row, folder, str(image)))
    return pages


_FOLDER_COLUMNS = {k: k for k in ("image", "gold", "gold_format", "book", "language", "script", "century")} | {
    "collection": "set"
}


def list_pages(cfg: GoldConfig) -> list[BenchPage]:
    """Every page of the benchmark in id order, after ``only`` and ``limit_per_collection``. Raises GoldError."""
    pages = _from_csv(cfg) if cfg.pages_csv is not None else _from_folder(cfg)
    ids = [p.id for p in pages]
    if dupes := sorted({i for i in ids if ids.count(i) > 1}):
        raise GoldError(f"page ids must be unique (<collection>/<book>/<image stem>): {', '.join(dupes[:5])}")
    pages = [p for p in pages if all(str(getattr(p, k, "")) in v for k, v in cfg.only.items())]
    pages.sort(key=lambda p: p.id)
    if cfg.limit_per_collection >= 0:
        counts: dict[str, int] = {}
        kept = []
        for p in pages:
            counts[p.collection] = counts.get(p.collection, 0) + 1
            if counts[p.collection] <= cfg.limit_per_collection:
                kept.append(p)
        pages = kept
    if not pages:
        raise GoldError("no pages to benchmark (check gold.only and the listing)")
    return pages


def gold_text(page: BenchPage) -> str:
    """The page's gold transcription. Raises ``BadInput`` naming the file."""
    return read_page_file(page.gold, page.gold_format).text
