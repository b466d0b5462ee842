"""What an OCR engine reads (one page image and what is known of it) and how it fails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OcrPage:
    """A page image to read. ``language`` is ISO 639-3 (``fra``, ``lat``, ``deu``, ...) when known, ``id`` names the
    page in messages and output files."""

    id: str
    image: Path
    language: str = ""
    script: str = ""


class EngineError(RuntimeError):
    """An engine that failed on one page (the page is recorded as failed, with this message)."""


class EngineUnavailable(RuntimeError):
    """An engine that cannot run at all here (binary, model or endpoint missing): a configuration problem."""
