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
