"""One benchmark page: an image, its gold transcription and the metadata results are grouped by."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BenchPage:
    """A page image with gold. ``language`` is ISO 639-3 (``fra``, ``lat``, ``deu``, ...), as in pages.csv.

    ``id`` is unique within the benchmark (``<set>/<book>/<file stem>``); ``extra`` holds every other metadata column
    (year, source, licence, ...).
    """

    id: str
    image: Path
    gold: Path
    gold_format: str  # alto | page | txt
    language: str = ""
    script: str = ""
    century: str = ""
    book: str = ""
    collection: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)


class EngineError(RuntimeError):
    """An engine that failed on one page (the page is recorded as failed, with this message)."""


class EngineUnavailable(RuntimeError):
    """An engine that cannot run at all here (binary, model or endpoint missing): a configuration problem."""
