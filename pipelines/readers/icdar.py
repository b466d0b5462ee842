"""ICDAR2017 post-OCR competition files (raw OCR aligned with gold): one document per file, either side.

The OCR side is the raw ``[OCR_toInput]`` line; the gold side is ``[ GS_aligned]`` with gaps and no-gold spans
removed. Both carry the document's true character error rate in ``metadata["cer"]`` (filters/signals/goldtext.py)
and the share of the OCR that has gold in ``metadata["gold_coverage"]``. A document whose gold covers less than
``min_gold_coverage`` of its OCR has no ``cer`` key (counted as ``cer_skipped_low_gold_coverage``); on the gold
side it is skipped (``skipped_no_gold``), as there is no gold text to read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from datatrove.data import Document
from datatrove.io import DataFolderLike

from filters.pages import natural_key
from filters.signals.goldtext import MIN_GOLD_COVERAGE, read_icdar
from pipelines.readers.base import BadInput, BookReader, BookRef, PageText


class IcdarBookReader(BookReader):
    """One document per ICDAR2017 file: the raw OCR (``side: ocr``) or its gold transcription (``side: gold``)."""

    name = "🎯 ICDAR2017 OCR/gold"

    def __init__(
        self,
        path: DataFolderLike,
        side: Literal["ocr", "gold"] = "ocr",
        glob_pattern: str = "**/*.txt",
        min_gold_coverage: float = MIN_GOLD_COVERAGE,
        **kwargs,
    ):
        super().__init__(path, **kwargs)
        self.min_gold_coverage = min_gold_coverage
        if side not in ("ocr", "gold"):
            raise ValueError(f"side must be 'ocr' or 'gold', not {side!r}")
        self.side = side
        self.glob_pattern = glob_pattern

    def list_units(self) -> list[BookRef]:
        files = sorted(self.data_folder.list_files(glob_pattern=self.glob_pattern), key=natural_key)
        return [BookRef(id=f.removesuffix(".txt"), paths=(f,)) for f in files if not f.endswith("readme.txt")]

    def read_unit(self, unit: BookRef) -> Iterator[Document]:
        path = unit.paths[0]
        try:
            doc = read_icdar(self.data_folder.resolve_paths(path))
        except UnicodeDecodeError as e:
            raise BadInput("invalid_encoding", path, str(e)) from e
        except ValueError as e:
            raise BadInput("not_icdar", path, str(e)) from e
        cer = doc.cer_or_none(self.min_gold_coverage)
        coverage = doc.gold_coverage
        if cer is None:
            detail = f"gold covers {coverage:.1%} of the OCR (minimum {self.min_gold_coverage:.0%})"
            if self.side == "gold":
                raise BadInput("no_gold", path, detail)
            self.stat_update("cer_skipped_low_gold_coverage")
        text = doc.ocr_input if self.side == "ocr" else doc.gold
        meta = {"gold_fraction": doc.gold_fraction, "gold_coverage": coverage, "side": self.side}
        if cer is not None:
            meta["cer"] = cer
        yield self.book_from_pages(unit.id, path, [(path, PageText(text))], meta)
