"""The SLURM driver: the ablation loop, advanced one round of jobs at a time.

A round is one pass of the same loop the local run uses (``ablations/decide/loop.py``) in plan mode: nothing runs,
every
stage folder is named by its hash, and the stages the next decision needs but that are not finished are collected.
The driver submits them as jobs chained by dependencies, then itself again, after all of them (``afterany``):

    process array (datatrove SlurmPipelineExecutor, per variant)
      -> prepare (merge the process stats, dedup stages, tokenizer, token shards; per variant)
        -> train array (variants x seeds) -> eval array (variants x seeds) -> driver (next round)

The next driver round sees what finished (stage manifests) and what did not: a job that failed, was cancelled or
was killed leaves its stage unfinished, so the stage is submitted again (training resumes from its last checkpoint,
processing from datatrove's completion markers) up to ``executor.slurm.max_retries`` times. When nothing is left,
the last round runs the loop for real: every stage is reused, the decisions are made and the report is written,
exactly as a local run would. ``state.json`` in ``<run>/slurm/`` records every round, job and attempt.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from ablations.recipe.loader import dump_recipe, load_recipe
from ablations.recipe.schema import RecipeConfig
from ablations.slurm.submit import REPO, job_states, render, sbatch, write_spec
from ablations.train.backends import trainer_backend
from pipelines.stages import write_json

STATE = "state.json"


def slurm_dir(run_dir: Path) -> Path:
    return run_dir / "slurm"


def read_state(run_dir: Path) -> dict[str, Any]:
    path = slurm_dir(run_dir) / STATE
    return json.loads(path.read_text()) if path.exists() else {}


def write_state(run_dir: Path, state: dict[str, Any]) -> None:
    slurm_dir(run_dir).mkdir(parents=True, exist_ok=True)
    write_json(slurm_dir(run_dir) / STATE, state)


def variant_spec(v) -> dict:
    return {
        "name": v.name,
        "clean": [b.model_dump(mode="json") for b in v.clean],
        "filter": [b.model_dump(mode="json") for b in v.filter],
        "data": v.data.model_dump(mode="json") if v.data else None,
    }


# --- launching ---------------------------------------------------------------------------------------------------
def launch(cfg: RecipeConfig, repo: Path = REPO) -> tuple[Path, str]:
    """Write the run record and the recipe the jobs read, and submit the first driver round; (run folder, job id).
    Refuses when a driver of this run is still queued or running."""
    from ablations.experiment import run_dir_of, write_run_record

    run_dir = run_dir_of(cfg)
    state = read_state(run_dir)
    if state.get("driver") and job_states([state["driver"]]):
        raise RuntimeError(
            f"{run_dir}: driver job {state['driver']} of this run is still queued or running; watch it with "
            f"--status, or scancel it first"
        )
    write_run_record(cfg, run_dir, repo)
    recipe = slurm_dir(run_dir) / "recipe.yaml"
    recipe.parent.mkdir(parents=True, exist_ok=True)
    recipe.write_text(dump_recipe(cfg), encoding="utf-8")
    state = {"state": "running", "rounds": 0, "jobs": [], "attempts": {}, "started": time.time()}
    write_state(run_dir, state)
    job = submit_driver(cfg, run_dir, dependency=None)
    state = read_state(run_dir)
    state["driver"] = job
    write_state(run_dir, state)
    return run_dir, job


def submit_driver(cfg: RecipeConfig, run_dir: Path, dependency: str | None) -> str:
    return _submit(cfg, run_dir, "driver", [{}], dependency, cfg.executor.slurm.processing)


def _submit(cfg: RecipeConfig, run_dir: Path, kind: str, items: list[dict], dependency, resources) -> str:
    n = len(read_state(run_dir).get("jobs", [])) + 1
    folder = slurm_dir(run_dir) / "jobs"
    spec = write_spec(
        folder / f"{n:03d}-{kind}.json",
        {"kind": kind, "run_dir": str(run_dir), "recipe": str(slurm_dir(run_dir) / "recipe.yaml"), "items": items},
    )
    array = len(items) if kind in ("train", "eval") else None
    log = str(folder / (f"{n:03d}-{kind}-%A_%a.log" if array else f"{n:03d}-{kind}-%j.log"))
    name = f"fb-{cfg.experiment.name}-{kind}"
    # a training job under accelerate launch when its backend asks for it (hf: one process per GPU; nanotron: torchrun)
    processes = trainer_backend(cfg.training).slurm_processes(resources.gpus) if kind == "train" else 1
    job = sbatch(
        render(cfg.executor, resources, name, spec, log, array, processes),
        folder / f"{n:03d}-{kind}.sbatch",
        dependency,
    )
    _record(run_dir, job, kind, [_label(i) for i in items], log)
    return job


def _label(item: dict) -> str:
    if not item:
        return ""
    return item["variant"]["name"] + (f" seed {item['seed']}" if "seed" in item else "")


# --- one round ---------------------------------------------------------------------------------------------------
def advance(recipe: Path, run_dir: Path) -> str:
    """One driver round (runs inside the driver job): 'submitted', 'done' or 'failed'."""
    from ablations.decide.loop import Ablation, Pending, Plan
    from ablations.experiment import run_experiment, setup_run
    from ablations.train.tokenizer import tokenizer_folder

    cfg = load_recipe(recipe)
    state = read_state(run_dir)
    state["rounds"] = state.get("rounds", 0) + 1
    state["driver"] = os.environ.get("SLURM_JOB_ID", state.get("driver"))
    write_state(run_dir, state)
    _, _, process = setup_run(cfg, REPO, record=False)
    baseline = process(cfg.blocks(), plan=True)
    tok_dir = tokenizer_folder(cfg.tokenizer, baseline.name, run_dir / "stages")
    ablation = Ablation(cfg, run_dir, process, None, tok_dir, progress=False, plan=Plan())
    try:
        final = ablation.run()
        if not ablation.decisions:  # no candidates: the baseline's own runs are the experiment
            ablation.final_results(final, [cfg.experiment.seed + i for i in range(cfg.ablation.seeds)])
            ablation.plan.check()
    except Pending as pending:
        return _submit_round(cfg, run_dir, process, tok_dir, pending.needs)
    _, summary = run_experiment(cfg, "ablate", REPO)  # every stage is finished: reused, decided, reported
    state = read_state(run_dir)
    state.update(state="done", finished=time.time(), summary=str(run_dir / "summary.json"))
    write_state(run_dir, state)
    return "done"


def _fail(run_dir: Path, message: str) -> str:
    state = read_state(run_dir)
    state.update(state="failed", message=message, finished=time.time())
    write_state(run_dir, state)
    return "failed"


def _submit_round(cfg: RecipeConfig, run_dir: Path, process, tok_dir: Path, needs: list[tuple]) -> str:
    from ablations.decide.loop import train_stage
    from pipelines.process import process_stage_folder, submit_process_stage
    from pipelines.stages import finished

    s = cfg.executor.slurm
    stages = run_dir / "stages"
    state = read_state(run_dir)
    attempts = state.setdefault("attempts", {})

    def attempt(stage_id: str) -> bool:
        attempts[stage_id] = attempts.get(stage_id, 0) + 1
        return attempts[stage_id] <= 1 + s.max_retries

    prepares = [n for n in needs if n[0] == "prepare"]
    runs = [n for n in needs if n[0] in ("train", "eval")]
    for n in needs:
        stage = n[1].tokens.name if n[0] == "prepare" else train_stage(cfg, stages, n[1], n[2])[1].name
        if not attempt(f"{n[0]}:{stage}"):
            write_state(run_dir, state)
            return _fail(
                run_dir,
                f"stage {n[0]} of {_label({'variant': variant_spec(n[1]), **({'seed': n[2]} if n[2:] else {})})} "
                f"({stage}) failed {attempts[f'{n[0]}:{stage}'] - 1} times; see the logs in {slurm_dir(run_dir)}/jobs",
            )
    write_state(run_dir, state)

    submitted: list[str] = []
    prepare_job: dict[str, str] = {}
    baseline_job = None
    tokenizer_ready = finished(tok_dir) is not None
    for n in sorted(prepares, key=lambda n: n[1].name != "baseline"):
        v = n[1]
        deps = []
        blocks = process.blocks_of(v.blocks())
        data = v.data or cfg.data
        if not finished(process_stage_folder(data, blocks, cfg.executor, stages)):
            array = submit_process_stage(data, blocks, cfg.executor, stages, f"fb-{cfg.experiment.name}-process")
            if array:
                deps.append(array)
                submitted.append(array)
                _record(run_dir, array, "process", [v.name])
        if v.name != "baseline" and not tokenizer_ready and baseline_job:
            deps.append(baseline_job)  # the tokenizer is trained on the baseline's data
        job = _submit(cfg, run_dir, "prepare", [{"variant": variant_spec(v)}], _after("afterok", deps), s.processing)
        prepare_job[v.name] = job
        submitted.append(job)
        if v.name == "baseline":
            baseline_job = job

    trains = [n for n in runs if n[0] == "train"]
    if trains:
        items = [{"variant": variant_spec(v), "seed": seed} for _, v, seed in trains]
        deps = sorted({prepare_job[v.name] for _, v, _ in trains if v.name in prepare_job})
        train_job = _submit(cfg, run_dir, "train", items, _after("afterok", deps), s.training)
        submitted.append(train_job)
    if runs:
        items = [{"variant": variant_spec(v), "seed": seed} for _, v, seed in runs]
        deps = [train_job] if trains else []
        submitted.append(_submit(cfg, run_dir, "eval", items, _after("afterok", deps), s.training))
    driver = submit_driver(cfg, run_dir, _after("afterany", submitted))
    state = read_state(run_dir)
    state["driver"] = driver
    write_state(run_dir, state)
    return "submitted"


def _after(kind: str, jobs: list[str]) -> str | None:
    return f"{kind}:" + ":".join(jobs) if jobs else None


def _record(
    run_dir: Path, job: str, kind: str, items: list[str], log: str = "datatrove slurm_logs/ in the stage's logs folder"
) -> None:
    """Add a submitted job to the run's state."""
    state = read_state(run_dir)
    state.setdefault("jobs", []).append(
        {"id": job, "kind": kind, "items": items, "round": state.get("rounds", 0), "log": log}
    )
    write_state(run_dir, state)


def wait(run_dir: Path, poll: float, timeout: float | None = None) -> dict[str, Any]:
    """Block until the run is done or failed (or its driver vanished); the final state."""
    start = time.time()
    while True:
        state = read_state(run_dir)
        if state.get("state") in ("done", "failed"):
            return state
        if state.get("driver") and not job_states([state["driver"]]):
            time.sleep(poll)  # the driver may be writing its state right now
            state = read_state(run_dir)
            if state.get("state") == "running" and not job_states([state["driver"]]):
                state.update(state="failed", message=f"driver job {state['driver']} ended without finishing a round")
                write_state(run_dir, state)
                return state
        if timeout and time.time() - start > timeout:
            raise TimeoutError(f"{run_dir}: still running after {timeout:.0f} s")
        time.sleep(poll)
