"""OCR already on disk (a library's own OCR) as a benchmark system: read with the project's readers, never run."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pipelines.ocr.engines import OcrEngine
from pipelines.ocr.pages import EngineError, EngineUnavailable, OcrPage
from pipelines.readers.base import BadInput
from pipelines.readers.pagefile import read_page_file


class ExistingOcr(OcrEngine):
    """Reads the OCR of each page from ``path``/``pattern`` in ``format`` (txt, alto, hocr, page).

    ``pattern`` may use ``{stem}`` (the image's file stem), ``{book}``, ``{collection}`` and ``{page_id}``. A page
    in the system's scope without a file, or with a file that cannot be read, is a failed page (reason given). Its
    seconds per page are not an engine's speed and are not reported.
    """

    timed = False

    def __init__(self, path: str, pattern: str = "{stem}.txt", format: Literal["txt", "alto", "hocr", "page"] = "txt"):
        super().__init__()
        self.path = Path(path)
        self.pattern = pattern
        self.format = format

    def check(self) -> None:
        if not self.path.is_dir():
            raise EngineUnavailable(f"existing OCR folder {self.path} not found")

    def describe(self) -> dict:
        files = sorted(p for p in self.path.rglob("*") if p.is_file())
        return {
            "path": str(self.path),
            "pattern": self.pattern,
            "format": self.format,
            "files": len(files),
            "bytes": sum(p.stat().st_size for p in files),
        }

    def file_for(self, page: OcrPage) -> Path:
        name = self.pattern.format(stem=page.image.stem, book=page.book, collection=page.collection, page_id=page.id)
        return self.path / name

    def recognize(self, page: OcrPage) -> str:
        path = self.file_for(page)
        if not path.is_file():
            raise EngineError(f"no existing OCR file {path}")
        try:
            return read_page_file(path, self.format).text
        except BadInput as bad:
            raise EngineError(f"{path}: {bad.reason} {bad.detail[:300]}") from None
