"""What a person reads while a run works, and where everything else goes.

Inside ``run_log(path)`` (a local run of ``run_ablation.py``) every byte the libraries write (datatrove's loguru
lines and stats tables, lighteval's and transformers' logging, ``datasets`` bars, warnings, worker processes, C
code) goes to the run's log file instead of the console: file descriptors 1 and 2 and ``sys.stdout`` /
``sys.stderr`` point at it. The console keeps only the lines ``say`` writes, each naming its stage and candidate
(they go to the log too), and the progress bars drawn on ``bar_file()`` (the training runs'). ``datasets``' own bars
(one per evaluation split) are switched off: they only say that a few hundred items were loaded.

Outside ``run_log`` (SLURM jobs, tests that call a stage directly) ``say`` prints to ``sys.stdout`` (or
``sys.stderr``) and ``bar_file()`` is ``sys.stderr``.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import os
import sys
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

_console: dict[str, TextIO] = {}  # "out", "err": the person's terminal while a run's output goes to its log
_log: list[TextIO] = []  # the run's log file while run_log is active
_about: contextvars.ContextVar[str] = contextvars.ContextVar("about", default="")


def about() -> str:
    """The variant the running stage works for ("" outside one): stages it runs name it in their lines too."""
    return _about.get()


@contextlib.contextmanager
def running_for(name: str) -> Iterator[None]:
    """Inside: ``about()`` is ``name``."""
    token = _about.set(name)
    try:
        yield
    finally:
        _about.reset(token)


def say(line: str, err: bool = False) -> None:
    """One line for the person (``err``: a warning, on stderr): on the console, and in the run's log."""
    if not _console:
        print(line, file=sys.stderr if err else sys.stdout, flush=True)
        return
    stream = _console["err" if err else "out"]
    stream.write(line + "\n")
    stream.flush()
    _log[0].write(line + "\n")
    _log[0].flush()


def bar_file() -> TextIO:
    """Where a progress bar a person waits on is drawn: the console's stderr (``sys.stderr`` outside a run)."""
    return _console.get("err", sys.stderr)


def _terminal(stream: TextIO, fd: int) -> tuple[TextIO, bool]:
    """The person's stream behind ``stream`` (file descriptor ``fd``), and whether it is a copy to close: a duplicate
    of the descriptor when ``stream`` writes to it (it is about to point at the log), else ``stream`` itself (a
    test's capture, for instance)."""
    try:
        same = stream.fileno() == fd
    except (AttributeError, ValueError, io.UnsupportedOperation):
        same = False
    if not same:
        return stream, False
    stream.flush()
    return os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace"), True


@contextlib.contextmanager
def run_log(path: Path) -> Iterator[Path]:
    """Send everything written while inside to ``path`` (appended), except ``say``'s lines and ``bar_file()``'s
    bars, which reach the console as well. An exception's traceback is written to the log before it propagates."""
    if _console:  # already inside one (a run started from a run): keep the outer log
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    log = open(path, "a", buffering=1, encoding="utf-8", errors="replace")
    log.write(f"--- {datetime.now().isoformat(timespec='seconds')} {' '.join(sys.argv)}\n")
    streams = sys.stdout, sys.stderr
    (out, out_copy), (err, err_copy) = _terminal(sys.stdout, 1), _terminal(sys.stderr, 2)
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    bars = _quiet_datasets()
    _console.update(out=out, err=err)
    _log.append(log)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    # Python-level writers on the descriptors, never closed: a handler a library binds to them now (logging, loguru)
    # writes to the console again once the descriptors are restored
    sys.stdout, sys.stderr = (
        open(fd, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False) for fd in (1, 2)
    )
    try:
        yield path
    except BaseException:
        traceback.print_exc(file=log)
        raise
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        log.flush()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        sys.stdout, sys.stderr = streams
        for stream, copy in ((out, out_copy), (err, err_copy)):
            if copy:
                stream.close()
        _console.clear()
        _log.clear()
        bars()
        log.close()


def _quiet_datasets():
    """Switch ``datasets``' progress bars off (its environment variable, read when it is imported, or its switch
    when it already is); the function that puts them back as they were (a ``datasets`` first imported inside keeps
    them off)."""
    env = os.environ.get("HF_DATASETS_DISABLE_PROGRESS_BARS")
    if env is None:
        os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"
    tqdm = sys.modules.get("datasets.utils.tqdm")
    was = tqdm is not None and not tqdm.are_progress_bars_disabled()
    if was:
        tqdm.disable_progress_bars()

    def restore() -> None:
        if env is None:
            os.environ.pop("HF_DATASETS_DISABLE_PROGRESS_BARS", None)
        if was:
            tqdm.enable_progress_bars()

    return restore
