"""The benchmark's pages and their gold text: listed by a CSV (like ocr_images/pages.csv) or found in a folder.

Gold is read with the project's own page functions (ALTO: ``alto_page``, PAGE: ``page_xml_page``, text), so the
benchmark and the main pipeline read a file the same way. Gold is read diplomatically: a hyphen printed at a line end
stays (the normalisation, not the reader, decides whether it counts). A selected page whose image or gold file is
missing is left out and listed with its reason (``missing_image``, ``missing_gold``), never fatal; in folder mode
the gold may be beside the image, in a ``gt/`` folder beside it, or in a ``gt/`` folder beside the images' folder.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ablations.ocrbench.config import GoldConfig
from ablations.ocrbench.pages import BenchPage
from pipelines.readers.pagefile import read_page_file

GOLD_FORMATS = ("alto", "page", "txt")


class GoldError(ValueError):
    """A gold listing that cannot be used at all (no CSV, a missing column, a bad gold_format, no page with its
    files): names the file and row."""


def sniff_format(path: Path) -> str:
    """alto, page or txt from a gold file's name and root element."""
    if path.suffix.lower() != ".xml":
        return "txt"
    head = path.read_bytes()[:4096]
    return "page" if b"PcGts" in head else "alto"


def _page(cfg: GoldConfig, row: dict[str, str], root: Path, where: str) -> tuple[BenchPage, str]:
    """The page of one listing row; its files are checked later (``find_pages``), a missing one is a counted skip."""
    cols = cfg.columns
    missing = [cols[k] for k in ("image", "gold") if not row.get(cols.get(k, k))]
    if missing:
        raise GoldError(f"{where}: column(s) {', '.join(missing)} empty or missing")
    image, gold = root / row[cols["image"]], root / row[cols["gold"]]
    fmt = row.get(cols.get("gold_format", "gold_format")) or (sniff_format(gold) if gold.is_file() else "txt")
    if fmt not in GOLD_FORMATS:
        raise GoldError(f"{where}: gold_format {fmt!r} is not one of {GOLD_FORMATS}")
    field = {
        k: str(row.get(cols.get(k, k), "") or "") for k in ("collection", "book", "language", "script", "century")
    }
    stem = Path(row[cols["image"]]).stem
    page_id = "/".join(p for p in (field["collection"], field["book"], stem) if p)
    used = {cols.get(k, k) for k in ("image", "gold", "gold_format", *field)}
    extra = {k: v for k, v in row.items() if k not in used}
    return BenchPage(page_id, image, gold=gold, gold_format=fmt, extra=extra, **field), where


def _from_csv(cfg: GoldConfig) -> list[tuple[BenchPage, str]]:
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


GT_FOLDERS = ("gt", "GT", "ground_truth", "ground-truth")  # a folder of gold files beside the images
_GOLD_SUFFIXES = (".gt.txt", ".txt", ".gt.xml", ".xml")


def gold_beside(image: Path, root: Path) -> list[Path]:
    """Where the gold of ``image`` may be, in order: beside it (``p1.gt.txt``, ``p1.txt``, ``p1.gt.xml``,
    ``p1.xml``), in a gold folder beside it (``gt/p1.gt.txt``, ...), or in a gold folder beside its folder
    (``images/p1.png`` with ``gt/p1.gt.txt``), never outside ``root``."""
    stem = image.name[: -len(image.suffix)] if image.suffix else image.name
    folders = [image.parent, *(image.parent / g for g in GT_FOLDERS)]
    if image.parent != root:
        folders += [image.parent.parent / g for g in GT_FOLDERS]
    return [folder / f"{stem}{suffix}" for folder in folders for suffix in _GOLD_SUFFIXES]


def _from_folder(cfg: GoldConfig) -> list[tuple[BenchPage, str]]:
    folder = Path(cfg.folder)
    if not folder.is_dir():
        raise GoldError(f"gold.folder: {folder} is not a folder")
    pages = []
    images = (p for p in folder.rglob("*") if p.suffix.lower() in cfg.image_extensions and p.is_file())
    for image in sorted(p for p in images if not set(p.relative_to(folder).parts[:-1]) & set(GT_FOLDERS)):
        candidates = gold_beside(image, folder)
        gold = next((c for c in candidates if c.is_file()), candidates[0])
        rel = image.relative_to(folder)
        book = rel.parent
        if book.name in ("images", "img", "imgs") and any((image.parent.parent / g).is_dir() for g in GT_FOLDERS):
            book = book.parent  # images/ beside gt/: the book is the folder holding both
        row = {"image": str(rel), "gold": str(gold.relative_to(folder)), "gold_format": ""}
        row |= {"set": folder.name, "book": "" if book == Path(".") else book.as_posix(), "language": cfg.language}
        row |= {"script": cfg.script, "century": cfg.century}
        pages.append(_page(cfg.model_copy(update={"columns": _FOLDER_COLUMNS}), row, folder, str(image)))
    return pages


_FOLDER_COLUMNS = {k: k for k in ("image", "gold", "gold_format", "book", "language", "script", "century")} | {
    "collection": "set"
}


def _missing(page: BenchPage, where: str) -> dict | None:
    """A skip record when the page's image or gold file is not there."""
    if not page.image.is_file():
        return {"page": page.id, "file": str(page.image), "reason": "missing_image", "detail": f"{where}: not found"}
    if not page.gold.is_file():
        return {"page": page.id, "file": str(page.gold), "reason": "missing_gold", "detail": f"{where}: not found"}
    return None


def find_pages(cfg: GoldConfig) -> tuple[list[BenchPage], list[dict]]:
    """Every page of the benchmark in id order, after ``only`` and ``limit_per_collection``, and the selected
    pages whose image or gold file is missing (``page``, ``file``, ``reason``, ``detail``), which are left out.
    Raises GoldError for a listing that cannot be used at all (no CSV, no column, no page with its files)."""
    listed = _from_csv(cfg) if cfg.pages_csv is not None else _from_folder(cfg)
    where = {p.id: w for p, w in listed}
    pages = [p for p, _ in listed]
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
    missing = [m for m in (_missing(p, where[p.id]) for p in pages) if m]
    gone = {m["page"] for m in missing}
    pages = [p for p in pages if p.id not in gone]
    if not pages:
        why = f"; {len(missing)} missing file(s), e.g. {missing[0]['detail']} {missing[0]['file']}" if missing else ""
        raise GoldError(f"no pages to benchmark (check gold.only and the listing){why}")
    return pages, missing


def list_pages(cfg: GoldConfig) -> list[BenchPage]:
    """The pages of ``find_pages`` that have both files."""
    return find_pages(cfg)[0]


def gold_text(page: BenchPage) -> str:
    """The page's gold transcription. Raises ``BadInput`` naming the file."""
    return read_page_file(page.gold, page.gold_format).text
