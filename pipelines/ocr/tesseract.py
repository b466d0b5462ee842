"""Tesseract 4/5 as an OCR engine: ``tesseract IMAGE stdout -l SPEC --psm N``, one model spec per page language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from filters.plugins import PluginError
from pipelines.ocr.engines import OcrEngine, env_with, require_positive, run_command, sha256_file
from pipelines.ocr.pages import EngineError, EngineUnavailable, OcrPage

_LIST_HEADER = re.compile(r'List of available languages in "(?P<dir>[^"]*)"')


class TesseractEngine(OcrEngine):
    """Tesseract, with a model chosen by the page's language.

    ``models`` maps a page language (ISO 639-3, as in pages.csv) to a ``-l`` spec (``frk+deu``, ``script/Fraktur``);
    ``default_model`` serves languages not in ``models`` (None: such a page fails with "no model for language X").
    ``threads`` sets OMP_THREAD_LIMIT, so timings on a shared node are polite and comparable; ``extra_args`` go after
    the standard ones (``-c key=value``, a config file name).
    """

    def __init__(
        self,
        models: dict[str, str],
        default_model: str | None = None,
        psm: int = 3,
        oem: int | None = None,
        threads: int = 1,
        binary: str = "tesseract",
        tessdata_dir: str | None = None,
        extra_args: list[str] = (),
        timeout_s: float = 600,
    ):
        super().__init__()
        if not 0 <= psm <= 13:
            raise PluginError(f"tesseract parameter 'psm' must be 0..13 (got {psm})", "psm")
        if oem is not None and not 0 <= oem <= 3:
            raise PluginError(f"tesseract parameter 'oem' must be 0..3 (got {oem})", "oem")
        require_positive(threads, "threads")
        require_positive(timeout_s, "timeout_s")
        self.models = dict(models)
        self.default_model = default_model
        self.psm = psm
        self.oem = oem
        self.threads = threads
        self.binary = binary
        self.tessdata_dir = tessdata_dir
        self.extra_args = list(extra_args)
        self.timeout_s = timeout_s
        self._installed: tuple[Path, list[str]] | None = None

    def specs(self) -> list[str]:
        """Every ``-l`` spec this engine may use."""
        specs = list(self.models.values()) + ([self.default_model] if self.default_model else [])
        return list(dict.fromkeys(specs))

    def components(self) -> list[str]:
        """The model names the specs are made of (``frk+deu`` -> ``frk``, ``deu``)."""
        return list(dict.fromkeys(c for spec in self.specs() for c in spec.split("+") if c))

    def _tessdata_args(self) -> list[str]:
        return ["--tessdata-dir", self.tessdata_dir] if self.tessdata_dir else []

    def installed(self) -> tuple[Path, list[str]]:
        """The tessdata folder and the models ``--list-langs`` reports (asked once)."""
        if self._installed is None:
            try:
                out = run_command([self.binary, *self._tessdata_args(), "--list-langs"], 60, env_with(None))
            except EngineError as e:
                raise EngineUnavailable(f"tesseract --list-langs failed: {e}") from None
            lines = out.decode("utf-8", errors="replace").splitlines()
            header = _LIST_HEADER.search(lines[0]) if lines else None
            folder = Path(header["dir"]) if header else Path(self.tessdata_dir or ".")
            self._installed = folder, [line.strip() for line in lines[1:] if line.strip()]
        return self._installed

    def check(self) -> None:
        if not (shutil.which(self.binary) or Path(self.binary).is_file()):
            raise EngineUnavailable(f"tesseract binary {self.binary!r} not found on PATH (install tesseract-ocr)")
        if not self.specs():
            raise EngineUnavailable("tesseract has no model: set models (language -> -l spec) or default_model")
        folder, langs = self.installed()
        missing = [c for c in self.components() if c not in langs]
        if missing:
            raise EngineUnavailable(
                f"tesseract models missing in {folder}: {', '.join(missing)} "
                f"(installed: {', '.join(langs) or 'none'}); "
                "install them (Debian: tesseract-ocr-<lang>) or set tessdata_dir"
            )

    def describe(self) -> dict:
        version = run_command([self.binary, "--version"], 60).decode("utf-8", errors="replace").splitlines()
        folder, _ = self.installed()
        return {
            **super().describe(),
            "version": version[0].strip() if version else "",
            "models": self.models,
            "default_model": self.default_model,
            "psm": self.psm,
            "oem": self.oem,
            "threads": self.threads,
            "extra_args": self.extra_args,
            "tessdata_dir": str(folder),
            "traineddata_sha256": {c: self._model_sha256(folder, c) for c in self.components()},
        }

    @staticmethod
    def _model_sha256(folder: Path, component: str) -> str | None:
        path = folder / f"{component}.traineddata"
        return sha256_file(path) if path.is_file() else None

    def model_for(self, page: OcrPage) -> str:
        """The ``-l`` spec for the page's language."""
        spec = self.models.get(page.language, self.default_model)
        if not spec:
            raise EngineError(
                f"no model for language {page.language!r} (page {page.id}); add it to models or set default_model"
            )
        return spec

    def command(self, page: OcrPage) -> list[str]:
        """The tesseract command line for one page."""
        args = [self.binary, str(page.image), "stdout", "-l", self.model_for(page), "--psm", str(self.psm)]
        if self.oem is not None:
            args += ["--oem", str(self.oem)]
        return args + self._tessdata_args() + self.extra_args

    def recognize(self, page: OcrPage) -> str:
        self.last_notes = []
        args = self.command(page)
        if not Path(page.image).is_file():
            raise EngineError(f"image not found: {page.image}")
        out = run_command(args, self.timeout_s, env_with({"OMP_THREAD_LIMIT": str(self.threads)}))
        return out.decode("utf-8", errors="replace").rstrip("\f\n ")
