"""``run_ablation.py CONFIG --status``: every stage's state, and on SLURM every job's, read from the run folder."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ablations.decide.progress import verdict_lines
from ablations.slurm.driver import read_state
from ablations.slurm.submit import job_states
from ablations.train.training_run import TRAINED
from pipelines import jsonl
from pipelines.stages import KEY_FILE, finished


def stage_state(folder: Path) -> str:
    """done / trained (evaluation to do) / in progress (with what is known of its progress)."""
    if finished(folder):
        return "done"
    if (folder / TRAINED).exists():
        return "trained, checkpoints to evaluate"
    logs = folder / "logs" / "completions"
    if logs.is_dir():
        return f"in progress or stopped ({len(list(logs.iterdir()))} datatrove tasks complete)"
    evals = folder / "evals.jsonl"
    if evals.exists():
        steps = [row["step"] for row in jsonl.read(evals)]
        return f"in progress or stopped (checkpoints at steps {steps})" if steps else "in progress or stopped"
    return "in progress or stopped"


def _describe(folder: Path) -> str:
    key_file = folder / KEY_FILE
    if not key_file.exists():
        return ""
    key = json.loads(key_file.read_text())
    if folder.name.startswith("train-"):
        done = finished(folder) or {}
        return f"{done.get('variant', key['tokens'])} seed {key['seed']}"
    if folder.name.startswith("process-"):
        return " + ".join(b["id"] for b in key["blocks"]) or "(no blocks)"
    if folder.name.startswith("overlap-") and (done := finished(folder)):
        return "train/eval overlap " + ", ".join(f"{t} {s:.3f}" for t, s in done["overlap"].items())
    return ""


def format_status(run_dir: Path) -> str:
    if not run_dir.exists():
        return f"{run_dir}: no run yet"
    lines = [f"run folder: {run_dir}"]
    state = read_state(run_dir)
    if state:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.get("started", 0)))
        lines.append(f"SLURM run: {state.get('state')} (started {since}, {state.get('rounds', 0)} driver rounds)")
        if state.get("message"):
            lines.append(f"  {state['message']}")
        jobs = state.get("jobs", [])
        live = job_states([j["id"] for j in jobs])
        for j in jobs:
            items = ", ".join(i for i in j["items"] if i)
            lines.append(
                f"  job {j['id']:>8} round {j['round']} {j['kind']:<8} {live.get(j['id'], 'ended'):<20} {items}"
            )
        retried = {k: n - 1 for k, n in state.get("attempts", {}).items() if n > 1}
        for stage, n in retried.items():
            lines.append(f"  resubmitted {n}x: {stage}")
    stages = sorted((run_dir / "stages").glob("*-*")) if (run_dir / "stages").is_dir() else []
    lines.append(f"stages ({len(stages)}):")
    for folder in stages:
        lines.append(f"  {folder.name:<32} {stage_state(folder):<40} {_describe(folder)}")
    lines += verdict_lines(run_dir)
    if (run_dir / "summary.json").exists():
        lines.append(f"summary: {run_dir / 'summary.json'}")
    return "\n".join(lines)
