"""Any command-line OCR engine through a command template; its text, ALTO, hOCR or PAGE output read by the project's
readers."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from filters.plugins import PluginError
from pipelines.ocr.engines import OcrEngine, env_with, require_positive, run_command, sha256_file
from pipelines.ocr.pages import EngineError, EngineUnavailable, OcrPage
from pipelines.readers.base import BadInput
from pipelines.readers.pagefile import page_text

PLACEHOLDERS = ("{image}", "{output}", "{output_base}", "{lang}", "{page_id}")
EXTENSIONS = {"txt": ".txt", "alto": ".xml", "hocr": ".hocr", "page": ".xml"}


class CommandEngine(OcrEngine):
    """A command-line engine, run once per page from ``command``, a list of arguments with placeholders:

    - ``{image}``: the page image; ``{page_id}``: the page id;
    - ``{lang}``: the page language (ISO 639-3), mapped through ``languages`` when that is given (a page whose
      language is not in it then fails);
    - ``{output}``: a file in a fresh temporary folder, named ``output.txt``, ``.xml`` (alto, page) or ``.hocr``;
      ``{output_base}``: the same path without its extension, for tools that add their own (``tesseract {image}
      {output_base} hocr`` writes ``{output}``).

    Only these placeholders are replaced; other braces stay as written. With ``output: stdout`` the program's
    standard output is the result, with ``file`` the ``{output}`` file; either is read as ``format``. A non-zero
    exit, a timeout, a missing output file or output that cannot be parsed fails the page. ``version_command``
    (no placeholders) is run by ``describe`` for the record.
    """

    def __init__(
        self,
        command: list[str],
        output: Literal["stdout", "file"] = "stdout",
        format: Literal["txt", "alto", "hocr", "page"] = "txt",
        languages: dict[str, str] | None = None,
        timeout_s: float = 600,
        env: dict[str, str] | None = None,
        version_command: list[str] | None = None,
    ):
        super().__init__()
        if not command:
            raise PluginError("command engine parameter 'command' is empty", "command")
        if output == "file" and not any("{output" in arg for arg in command):
            raise PluginError("command writes its output to a file but has no {output} or {output_base}", "command")
        if output not in ("stdout", "file"):
            raise PluginError(f"command engine parameter 'output' must be stdout or file (got {output!r})", "output")
        if format not in EXTENSIONS:
            raise PluginError(f"command engine parameter 'format' must be one of {', '.join(EXTENSIONS)}", "format")
        require_positive(timeout_s, "timeout_s")
        self.command = list(command)
        self.output = output
        self.format = format
        self.languages = dict(languages) if languages is not None else None
        self.timeout_s = timeout_s
        self.env = dict(env or {})
        self.version_command = list(version_command) if version_command else None

    def program(self) -> str | None:
        """The program's path: found on PATH, or a file as written; None when neither."""
        first = self.command[0]
        return shutil.which(first) or (first if Path(first).is_file() else None)

    def check(self) -> None:
        if self.program() is None:
            raise EngineUnavailable(f"command engine program {self.command[0]!r} not found on PATH or as a file")

    def describe(self) -> dict:
        program = self.program()
        return {
            **super().describe(),
            "command": self.command,
            "output": self.output,
            "format": self.format,
            "languages": self.languages,
            "program": program,
            "program_sha256": sha256_file(program) if program else None,
            "version": self.version(),
        }

    def version(self) -> str | None:
        """First line of ``version_command``'s output (stdout, else stderr); None without one."""
        if not self.version_command:
            return None
        try:
            proc = subprocess.run(self.version_command, capture_output=True, timeout=60, env=env_with(self.env))
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"unknown ({e})"
        lines = (proc.stdout or proc.stderr).decode("utf-8", errors="replace").strip().splitlines()
        return lines[0] if lines else ""

    def language(self, page: OcrPage) -> str:
        """The page language as the program expects it."""
        if self.languages is None:
            return page.language
        if page.language not in self.languages:
            raise EngineError(f"no entry for language {page.language!r} (page {page.id}) in languages")
        return self.languages[page.language]

    def arguments(self, page: OcrPage, output: Path) -> list[str]:
        """The command with its placeholders filled in for one page."""
        values = {
            "{image}": str(page.image),
            "{output}": str(output),
            "{output_base}": str(output.with_suffix("")),
            "{page_id}": page.id,
        }
        if any("{lang}" in arg for arg in self.command):
            values["{lang}"] = self.language(page)
        args = []
        for arg in self.command:
            for key, value in values.items():
                arg = arg.replace(key, value)
            args.append(arg)
        return args

    def recognize(self, page: OcrPage) -> str:
        self.last_notes = []
        if not Path(page.image).is_file():
            raise EngineError(f"image not found: {page.image}")
        with tempfile.TemporaryDirectory(prefix="finebooks-ocr-") as tmp:
            output = Path(tmp) / f"output{EXTENSIONS[self.format]}"
            stdout = run_command(self.arguments(page, output), self.timeout_s, env_with(self.env))
            if self.output == "stdout":
                return parse_output(stdout, self.format, f"stdout of {Path(self.command[0]).name}")
            if not output.is_file():
                found = ", ".join(sorted(p.name for p in Path(tmp).iterdir())) or "nothing"
                raise EngineError(f"command wrote no output file {output.name} (it wrote: {found})")
            return parse_output(output.read_bytes(), self.format, str(output))


def parse_output(data: bytes, format: str, where: str) -> str:
    """Text of an engine's output in ``format`` (txt, alto, hocr, page); ``EngineError`` when it cannot be read."""
    try:
        text = page_text(data, format, where).text
    except BadInput as e:
        raise EngineError(f"unreadable {format} output: {e}") from None
    return text.rstrip("\f\n ") if format == "txt" else text
