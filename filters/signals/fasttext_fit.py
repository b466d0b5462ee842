"""Fit a supervised fastText model in a child process whose matrices start from zeroed memory.

The fastText builds on PyPI (``fasttext-numpy2-wheel`` 0.9.2, ``fasttext-numpy2`` 0.10.4, ``fasttext-modern``)
fill only ``min(thread, 10)/10`` of the input matrix with random values (``DenseMatrix::uniform`` cuts it
into ten blocks and starts one per thread) and leave the rest as whatever the allocator hands back. In a fresh
process that memory is zeroed pages; after other large allocations in the same process it
is old heap content, so the same seed gives a different model, or a NaN loss. A child process with a fixed
``MALLOC_MMAP_THRESHOLD_`` (glibc) gets every large block from fresh ``mmap`` pages, so with one thread the model
depends on the data, the parameters and the seed only.

    python -m filters.signals.fasttext_fit PARAMS_JSON   # what fit() runs; PARAMS_JSON holds the keyword args
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

NAN_EXIT = 3  # the child's exit status when training hit a NaN loss
_REPO = Path(__file__).resolve().parents[2]


class FitDiverged(ValueError):
    """fastText reported a NaN loss."""


def fit(train_file: str, out: str, **params) -> None:
    """Train ``fasttext.train_supervised(input=train_file, **params)`` in a child process; save it to ``out``."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_REPO), env.get("PYTHONPATH", "")) if p)
    spec = json.dumps({"input": train_file, "out": out, "params": params})
    proc = subprocess.run(
        [sys.executable, "-m", "filters.signals.fasttext_fit", spec], env=env, capture_output=True, text=True
    )
    if proc.returncode == NAN_EXIT:
        raise FitDiverged(proc.stderr.strip())
    if proc.returncode != 0:
        raise RuntimeError(f"fastText training failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    import fasttext

    spec = json.loads((argv or sys.argv[1:])[0])
    try:
        model = fasttext.train_supervised(input=spec["input"], **spec["params"])
    except RuntimeError as e:
        if "NaN" not in str(e):
            raise
        print(f"fastText training diverged (NaN loss): {e}", file=sys.stderr)
        return NAN_EXIT
    model.save_model(spec["out"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
