"""The SLURM driver: the ablation loop, advanced one round of jobs at a time.

A round is one pass of the same loop the local run uses (``ablations/decide/loop.py``) in plan mode, over the same
stage objects: nothing runs, every stage folder is named by its hash, and the stages the next decision needs but
that are not ``finished()`` are collected.
The driver submits them as jobs chained by dependencies, then itself again, after all of them (``afterany``):

    process array (datatrove SlurmPipelineExecutor, per variant)
      -> prepare (merge the process stats, dedup stages, tokenizer, overlap check, token shards; per variant)
        -> train array (variants x seeds) -> eval array (variants x seeds) -> driver (next round)

The next driver round sees what finished (stage manifests) and what did not: a job that failed, was cancelled or
was killed leaves its stage unfinished, so the stage is submitted again (training resumes from its last checkpoint,
processing from datatrove's completion markers) up to ``executor.slurm.max_retries`` times. Then a candidate's stage
is given up: the candidate is recorded as ``failed`` and the loop goes on (a stage of the baseline fails the run).
When nothing is left,
the last round runs the loop for real: every stage is reused, the decisions are made and the report is written,
exactly as a local run would. ``state.json`` in ``<run>/slurm/`` records every round, job and attempt.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ablations.recipe.loader import dump_recipe, load_recipe
from ablations.recipe.schema import RecipeConfig
from ablations.slurm.submit import REPO, job_states, render, sbatch, write_spec
from ablations.train.backends import trainer_backend
from pipelines.stages import Stage, write_json

if TYPE_CHECKING:
    from ablations.decide.loop import Need
    from ablations.run_context import RunContext

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
        "learning_rate": v.learning_rate,
        "dedup": [d.model_dump(mode="json") for d in v.dedup] if v.dedup is not None else None,
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
    from ablations.decide.loop import Ablation, Pending, Plan, first_seeds
    from ablations.eval.decontam import Contaminated
    from ablations.experiment import run_experiment, setup_run

    cfg = load_recipe(recipe)
    state = read_state(run_dir)
    state["rounds"] = state.get("rounds", 0) + 1
    state["driver"] = os.environ.get("SLURM_JOB_ID", state.get("driver"))
    write_state(run_dir, state)
    run = setup_run(cfg, REPO, record=False)  # the first round writes holdout.json; the jobs read it
    tokenizer = run.tokenizer()
    given_up = _given_up(cfg, run_dir)  # a candidate whose stage failed every attempt fails; the loop goes on
    ablation = Ablation(run, None, tokenizer.folder, progress=False, plan=Plan(), given_up=given_up)
    try:
        final = ablation.run()
        if not any(d["seeds"] for d in ablation.decisions):  # no candidate trained: the baseline's runs alone
            ablation.final_results(final, first_seeds(cfg))
            ablation.plan.check()
    except Pending as pending:
        if failed := _count_attempts(cfg, run_dir, pending.needs):
            return _fail(run_dir, failed)
        return _submit_round(run, tokenizer, pending.needs)
    except Contaminated as e:  # found by a prepare job (which failed, so nothing trained on it): the run stops
        return _fail(run_dir, str(e))
    _, summary = run_experiment(cfg, "ablate", REPO, given_up)  # every stage is finished: reused, decided, reported
    state = read_state(run_dir)
    state.update(state="done", finished=time.time(), summary=str(run_dir / "summary.json"))
    write_state(run_dir, state)
    return "done"


def _fail(run_dir: Path, message: str) -> str:
    state = read_state(run_dir)
    state.update(state="failed", message=message, finished=time.time())
    write_state(run_dir, state)
    return "failed"


def _given_up(cfg: RecipeConfig, run_dir: Path) -> dict[str, str]:
    """Stages submitted ``1 + max_retries`` times (by folder name, with why): still unfinished, a candidate's are given
    up (the candidate fails, ablations/decide/loop.py); the baseline's fail the run (``_count_attempts``)."""
    limit = 1 + cfg.executor.slurm.max_retries
    out = {}
    for stage_id, n in read_state(run_dir).get("attempts", {}).items():
        kind, _, folder = stage_id.partition(":")
        if n >= limit:
            out[folder] = (
                f"its {kind} stage {folder} failed {n} times on SLURM (executor.slurm.max_retries = "
                f"{limit - 1}); see the logs in {slurm_dir(run_dir)}/jobs"
            )
    return out


def _count_attempts(cfg: RecipeConfig, run_dir: Path, needs: list[Need]) -> str | None:
    """Count one more attempt of every needed stage; why the run fails when one has had ``1 + max_retries``."""
    state = read_state(run_dir)
    attempts = state.setdefault("attempts", {})
    failed = None
    for n in needs:
        stage_id = f"{n.kind}:{n.stage.folder.name}"
        attempts[stage_id] = attempts.get(stage_id, 0) + 1
        if attempts[stage_id] > 1 + cfg.executor.slurm.max_retries and failed is None:
            failed = (
                f"stage {n.kind} of {_label(_item(n))} ({n.stage.folder.name}) failed {attempts[stage_id] - 1} "
                f"times; see the logs in {slurm_dir(run_dir)}/jobs"
            )
    write_state(run_dir, state)
    return failed


def _item(n: Need) -> dict:
    """A job item: the variant, and the seed of a training run."""
    return {"variant": variant_spec(n.variant)} | ({"seed": n.seed} if n.seed is not None else {})


def _submit_round(run: RunContext, tokenizer: Stage, needs: list[Need]) -> str:
    """Submit the round's jobs: process arrays and prepare jobs, a train array, an eval array, then the driver."""
    cfg, run_dir, s = run.cfg, run.folder, run.cfg.executor.slurm
    prepare_jobs, submitted = _submit_prepares(run, tokenizer, [n for n in needs if n.kind == "prepare"])
    runs = [n for n in needs if n.kind in ("train", "eval")]
    trains = [n for n in runs if n.kind == "train"]
    train_job = None
    if trains:  # after the preparation of their variants (by tokens stage folder)
        deps = sorted({prepare_jobs[n.variant.tokens] for n in trains if n.variant.tokens in prepare_jobs})
        train_job = _submit(cfg, run_dir, "train", [_item(n) for n in trains], _after("afterok", deps), s.training)
        submitted.append(train_job)
    if runs:
        deps = [train_job] if train_job else []
        submitted.append(_submit(cfg, run_dir, "eval", [_item(n) for n in runs], _after("afterok", deps), s.training))
    driver = submit_driver(cfg, run_dir, _after("afterany", submitted))
    state = read_state(run_dir)
    state["driver"] = driver
    write_state(run_dir, state)
    return "submitted"


def _submit_prepares(run: RunContext, tokenizer: Stage, prepares: list[Need]) -> tuple[dict[Path, str], list[str]]:
    """Per variant, baseline first: its process stage's unfinished tasks as an array, then its prepare job (the
    other variants' prepare jobs wait for the baseline's while the tokenizer, trained on its data, is unfinished).
    The prepare jobs by tokens stage folder, and every job submitted."""
    cfg = run.cfg
    jobs: dict[Path, str] = {}
    submitted: list[str] = []
    baseline_job = None
    tokenizer_ready = tokenizer.finished() is not None
    for n in sorted(prepares, key=lambda n: n.variant.name != "baseline"):
        v, deps = n.variant, []
        process = run.processing(v.blocks(), v.data, dedup=v.dedup)[0]  # a ProcessStage: the first of its processing
        if array := process.submit(f"fb-{cfg.experiment.name}-process"):
            deps.append(array)
            submitted.append(array)
            _record(run.folder, array, "process", [v.name])
        if v.name != "baseline" and not tokenizer_ready and baseline_job:
            deps.append(baseline_job)  # the tokenizer is trained on the baseline's data
        job = _submit(cfg, run.folder, "prepare", [_item(n)], _after("afterok", deps), cfg.executor.slurm.processing)
        jobs[n.stage.folder] = job
        submitted.append(job)
        if v.name == "baseline":
            baseline_job = job
    return jobs, submitted


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
