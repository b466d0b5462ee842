"""One benchmark page: an image, its gold transcription and the metadata results are grouped by."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ocr.pages import OcrPage


@dataclass(frozen=True, kw_only=True)
class BenchPage(OcrPage):
    """A page image with gold (``id``, ``image``, ``language``, ``script`` as for any engine).

    ``id`` is unique within the benchmark (``<collection>/<book>/<image stem>``); ``extra`` holds every other
    metadata column (year, source, licence, ...).
    """

    gold: Path
    gold_format: str  # alto | page | txt
    century: str = ""
    book: str = ""
    collection: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def licence(page: BenchPage) -> str:
    """The page's licence (a ``licence`` or ``license`` column of the listing); "" when not given."""
    return str(page.extra.get("licence") or page.extra.get("license") or "").strip()


def licence_warning(pages: list[BenchPage]) -> str:
    """A warning naming the collections of pages without a licence; "" when every page has one."""
    bare = [p for p in pages if not licence(p)]
    if not bare:
        return ""
    collections = ", ".join(sorted({p.collection or "(none)" for p in bare}))
    return (
        f"WARNING: {len(bare)} of {len(pages)} pages have no licence (collections: {collections}): add a licence "
        "column to the listing; do not publish these pages before their licence is known"
    )
