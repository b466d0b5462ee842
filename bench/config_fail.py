"""How long a recipe with a typo takes to fail, from the command line (target: under 2 seconds).

Usage: .venv/bin/python bench/config_fail.py [--repeats 5]
Writes the quickstart config with one misspelled key to a temp file, runs ``run_ablation.py`` on it, and reports
the wall time of the whole process (interpreter start, imports, validation, error) and the error it printed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    text = (REPO / "configs/quickstart.yaml").read_text().replace("  tasks: 2", "  taks: 2")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "typo.yaml"
        cfg.write_text(text)
        times, err = [], ""
        for _ in range(args.repeats):
            start = time.perf_counter()
            res = subprocess.run(
                [sys.executable, str(REPO / "run_ablation.py"), str(cfg)], capture_output=True, text=True, cwd=REPO
            )
            times.append(time.perf_counter() - start)
            assert res.returncode == 2, res.stderr
            err = res.stderr.strip()
    print(f"error printed:\n{err}\n")
    print(
        f"wall time to fail over {args.repeats} runs: median {statistics.median(times):.2f} s, max {max(times):.2f} s"
    )


if __name__ == "__main__":
    main()
