"""OCR engines: the ``OCR engine`` plug-in kind (``filters/plugins.py``), turning a page image into text.

A benchmark config names an engine by a name below (or a dotted path to a user's ``OcrEngine`` subclass) with its
parameters, which are checked against the engine's ``__init__`` and pinned with every default. The runner calls
``check()`` once before any page (a missing binary, model or endpoint stops the run with ``EngineUnavailable``),
``describe()`` for the record, then ``recognize(page)`` per page: an ``EngineError`` marks that page as failed.

Built-in engines: ``tesseract`` (``tesseract.py``), ``command`` (any command-line engine through a command template,
``command.py``), ``openai`` (an OpenAI-compatible chat-completions vision endpoint, ``openai_engine.py``).
This module imports nothing of the engines themselves: a registry entry is only imported when it is used.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
from pathlib import Path

from filters.plugins import PluginError, Registry
from pipelines.ocr.pages import EngineError, EngineUnavailable, OcrPage

STDERR_TAIL = 500  # characters of a failed command's stderr kept in its error message


class OcrEngine:
    """Base of an OCR engine; its ``__init__`` parameters (typed, plain defaults) are the config's parameters.

    ``last_notes`` holds remarks on the page ``recognize`` returned last (e.g. an answer cut off at ``max_tokens``);
    it is reset by every call, so an engine instance recognizes one page at a time and the runner reads the notes
    right after each call.
    """

    def __init__(self) -> None:
        self.last_notes: list[str] = []

    def check(self) -> None:
        """Raise ``EngineUnavailable`` naming what is missing (binary, model, endpoint); called before any page."""

    def describe(self) -> dict:
        """What identifies the engine in the record: version, models (with sha256 of model files), parameters."""
        return {"class": f"{type(self).__module__}:{type(self).__qualname__}"}

    def recognize(self, page: OcrPage) -> str:
        """Text of the page image; raise ``EngineError`` (with the reason) when this page fails."""
        raise NotImplementedError


ENGINE_ENTRIES: dict[str, str] = {
    "tesseract": "pipelines.ocr.tesseract:TesseractEngine",
    "command": "pipelines.ocr.command:CommandEngine",
    "openai": "pipelines.ocr.openai_engine:OpenAiEngine",
    "existing": "pipelines.ocr.existing:ExistingOcr",
}

ENGINES = Registry("OCR engine", ENGINE_ENTRIES, base=OcrEngine)


def build_engine(name: str, params: dict) -> OcrEngine:
    """The engine a config names, built with its checked parameters."""
    return ENGINES.build(name, params)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks (model files are large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def text_tail(data: bytes | str, chars: int = STDERR_TAIL) -> str:
    """The last ``chars`` characters of a program's output, decoded leniently and stripped."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = text.strip()
    return text if len(text) <= chars else "..." + text[-chars:]


def require_positive(value: float, key: str) -> None:
    """A parameter that must be > 0 (a timeout, a count); ``PluginError`` naming the key otherwise."""
    if value <= 0:
        raise PluginError(f"OCR engine parameter {key!r} must be > 0 (got {value!r})", key)


def run_command(args: list[str], timeout_s: float, env: dict[str, str] | None = None) -> bytes:
    """Run a command; its stdout, or ``EngineError`` on a start failure, a timeout or a non-zero exit (with the exit
    code and the end of stderr). The command runs in its own process group, killed whole on a timeout, so a shell
    wrapper's children cannot outlive it."""
    program = Path(args[0]).name
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    except OSError as e:
        raise EngineError(f"{program} could not start: {e}") from None
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:  # it ended just now
            pass
        _, err = proc.communicate()
        raise EngineError(f"{program} timed out after {timeout_s:g} s; stderr: {text_tail(err)}") from None
    if proc.returncode != 0:
        raise EngineError(f"{program} exited with code {proc.returncode}; stderr: {text_tail(err)}")
    return out


def env_with(extra: dict[str, str] | None) -> dict[str, str]:
    """The current environment plus ``extra``."""
    return {**os.environ, **(extra or {})}


__all__ = [
    "ENGINES",
    "ENGINE_ENTRIES",
    "OcrPage",
    "EngineError",
    "EngineUnavailable",
    "OcrEngine",
    "build_engine",
    "env_with",
    "run_command",
    "sha256_file",
    "text_tail",
]
