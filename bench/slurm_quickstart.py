"""The quickstart ablation locally and as SLURM jobs on this machine: wall time, jobs, and equality of the results.

    .venv/bin/python bench/slurm_quickstart.py [--out runs/bench/slurm_quickstart.json] [--set KEY=VALUE ...]

Needs a running SLURM cluster (``slurm/local_cluster.sh start``). Both runs start from empty run folders under
``runs/bench/slurm_quickstart/``; the SLURM run is ``--set executor.kind=slurm --wait``. Reports both wall times,
their ratio, the number of SLURM jobs and driver rounds, and whether every training run's scores and every
decision are identical.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(root: Path, sets: list[str], extra: tuple[str, ...] = ()) -> float:
    args = [sys.executable, str(ROOT / "run_ablation.py"), str(ROOT / "configs/quickstart.yaml"), *extra]
    for s in [f"experiment.output_dir={root}", *sets]:
        args += ["--set", s]
    t0 = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"run failed ({' '.join(sets)}):\n{out.stderr[-3000:]}")
    return time.perf_counter() - t0


def scores(run_dir: Path) -> dict:
    out = {}
    for folder in sorted((run_dir / "stages").glob("train-*")):
        record = json.loads((folder / "manifest.json").read_text())
        out[folder.name] = [(e["step"], e["loss"], e["tasks"]) for e in record["evals"]]
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=str(ROOT / "runs/bench/slurm_quickstart.json"))
    p.add_argument("--set", dest="sets", action="append", default=[])
    args = p.parse_args()
    base = ROOT / "runs/bench/slurm_quickstart"
    shutil.rmtree(base, ignore_errors=True)
    local = run(base / "local", args.sets)
    slurm = run(base / "slurm", [*args.sets, "executor.kind=slurm", "executor.slurm.poll_seconds=2"], ("--wait",))
    a, b = base / "local/quickstart", base / "slurm/quickstart"
    state = json.loads((b / "slurm/state.json").read_text())
    result = {
        "local_seconds": round(local, 1),
        "slurm_seconds": round(slurm, 1),
        "slurm_over_local": round(slurm / local, 2),
        "slurm_jobs": len(state["jobs"]),
        "driver_rounds": state["rounds"],
        "training_runs": len(scores(a)),
        "identical_scores": scores(a) == scores(b),
        "identical_decisions": json.loads((a / "decisions.json").read_text())
        == json.loads((b / "decisions.json").read_text()),
        "sets": args.sets,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
