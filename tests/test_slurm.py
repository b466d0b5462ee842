"""The quickstart ablation at a tiny size through a real SLURM cluster on localhost (slurm/local_cluster.sh),
against the local run.

The same recipe runs locally and on SLURM by changing only its executor section; stage folders, training and
verdicts must be identical, scores equal to float precision. The fault test kills the training array while a run
is mid-way (after its first checkpoint): the driver's next round sees the unfinished stage, resubmits it, training
resumes from the checkpoint, and the results still equal the uninterrupted local run, with no duplicated outputs.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.slurm]

SLURM = [
    "executor.kind=slurm",
    "executor.slurm.poll_seconds=1",
    "executor.slurm.max_retries=1",
    "executor.slurm.training.cpus_per_task=1",
]
TINY = [  # the quickstart at a tiny size: both candidates, 2 seeds, 4 checkpoints of a 40k-token budget
    "training.token_budget=40960",
    "training.checkpoints=4",
    "training.threads=1",
    "ablation.seeds=2",
    "ablation.max_seeds=2",
    "evaluation.tasks.0.max_items=20",
    "evaluation.tasks.1.max_items=10",
    "evaluation.tasks.2.max_items=40",
    "evaluation.tasks.3.max_items=40",
    "tracking.wandb=disabled",
]


def cluster_up() -> bool:
    if not shutil.which("sinfo"):
        return False
    out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return out.returncode == 0 and any(s in out.stdout for s in ("idle", "mixed", "allocated"))


@pytest.fixture(scope="module")
def cluster() -> None:
    if not cluster_up() and shutil.which("slurmctld") and os.geteuid() == 0:
        subprocess.run([str(REPO / "slurm/local_cluster.sh"), "start"], check=True, timeout=120)
    if not cluster_up():
        pytest.fail(
            "no SLURM cluster on this machine: as root run `slurm/local_cluster.sh install && slurm/local_cluster.sh "
            "start` (Debian slurm-wlm + munge; .ci/run does), or deselect these tests with -m 'not slurm'"
        )


def recipe(root: Path, executor: list[str]) -> list[str]:
    """configs/quickstart.yaml at a tiny size, run in ``root``, with ``executor`` overrides."""
    sets = [f"experiment.output_dir={root / 'runs'}", *TINY, *executor]
    return [str(REPO / "configs/quickstart.yaml"), *[a for s in sets for a in ("--set", s)]]


def cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "run_ablation.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        env=os.environ | {"PYTHONPATH": str(REPO / "tests")},  # jobs inherit it (sbatch exports the environment)
    )


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("local")
    out = cli(*recipe(root, ["executor.workers=1"]))
    assert out.returncode == 0, out.stderr[-3000:]
    return root / "runs" / "quickstart"


def results(run_dir: Path) -> dict[str, list]:
    """Per training run: (step, tokens, loss, scores) of every checkpoint."""
    out = {}
    for folder in sorted((run_dir / "stages").glob("train-*")):
        record = json.loads((folder / "manifest.json").read_text())
        out[folder.name] = [(e["step"], e["tokens"], e["loss"], e["tasks"]) for e in record["evals"]]
    return out


def same(a, b, rel: float = 1e-6, tol: float = 1e-4) -> bool:
    """Equal structures; floats equal within ``rel`` or ``tol`` (an evaluation in another process may round a long
    item's log-probability differently in the 7th digit, and its margin by 3e-5: seen in BLiMP, BENCHMARKS.md)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k], rel, tol) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y, rel, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=tol)
    return a == b


def assert_same_as_local(run_dir: Path, local: Path) -> None:
    assert sorted(p.name for p in (run_dir / "stages").iterdir()) == sorted(
        p.name for p in (local / "stages").iterdir()
    )
    got, expected = results(run_dir), results(local)
    assert got.keys() == expected.keys()
    for name in got:  # training bit for bit (same data order, init and steps); scores to float precision
        assert [e[:3] for e in got[name]] == [e[:3] for e in expected[name]], name
        assert same([e[3] for e in got[name]], [e[3] for e in expected[name]]), name
    decisions = json.loads((run_dir / "decisions.json").read_text())
    local_decisions = json.loads((local / "decisions.json").read_text())
    assert [(d["candidate"], d["verdict"], d["seeds"]) for d in decisions] == [
        (d["candidate"], d["verdict"], d["seeds"]) for d in local_decisions
    ]
    assert same(decisions, local_decisions)
    summary, local_summary = (json.loads((d / "summary.json").read_text()) for d in (run_dir, local))
    assert summary["documents"] == local_summary["documents"]
    for folder in (run_dir / "stages").glob("train-*"):  # nothing written twice
        steps = [json.loads(x)["step"] for x in (folder / "evals.jsonl").read_text().splitlines()]
        assert steps == sorted(set(steps)) and len(steps) == 4
    for folder in (run_dir / "stages").glob("process-*"):
        ids = [json.loads(line)["id"] for f in sorted((folder / "output").glob("*.jsonl*")) for line in _lines(f)]
        assert (
            len(ids)
            == len(set(ids))
            == json.loads((folder / "manifest.json").read_text())["summary"]["kept"]["documents"]
        )


def _lines(path: Path) -> list[str]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [x for x in f if x.strip()]


def test_quickstart_on_slurm_equals_the_local_run(cluster, local_run, tmp_path):
    cfg = recipe(tmp_path, SLURM)
    out = cli(*cfg, "--wait")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    run_dir = tmp_path / "runs" / "quickstart"
    assert "submitted driver job" in out.stdout
    assert "candidate page_furniture:" in out.stdout and "candidate ocr_quality_filter:" in out.stdout
    state = json.loads((run_dir / "slurm/state.json").read_text())
    assert state["state"] == "done" and not any(n > 1 for n in state["attempts"].values())
    kinds = [j["kind"] for j in state["jobs"]]
    assert {"process", "prepare", "train", "eval", "driver"} <= set(kinds)
    train = next(j for j in state["jobs"] if j["kind"] == "train")
    assert len(train["items"]) == 4  # one array: 2 variants x 2 seeds
    assert_same_as_local(run_dir, local_run)

    status = cli(*cfg, "--status")
    assert status.returncode == 0 and "SLURM run: done" in status.stdout
    assert status.stdout.count(" done ") >= 12  # process x3, tokenizer, tokens x3, train x6 (at least)

    again = cli(*cfg, "--wait")  # a finished run resubmitted: one driver round, everything reused
    assert again.returncode == 0, again.stderr[-3000:]
    state = json.loads((run_dir / "slurm/state.json").read_text())
    assert state["rounds"] == 1 and [j["kind"] for j in state["jobs"]] == ["driver"]


def test_a_killed_training_job_is_resubmitted_and_resumes_to_the_same_results(cluster, local_run, tmp_path):
    cfg = recipe(tmp_path, SLURM)
    run_dir = tmp_path / "runs" / "quickstart"
    waiting = subprocess.Popen(
        [sys.executable, str(REPO / "run_ablation.py"), *cfg, "--wait"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed, deadline = None, time.time() + 600
    while killed is None and time.time() < deadline and waiting.poll() is None:
        time.sleep(0.2)
        state = _state(run_dir)
        train = next((j for j in state.get("jobs", []) if j["kind"] == "train"), None)
        if not train:
            continue
        for folder in (run_dir / "stages").glob("train-*"):
            evals = folder / "evals.jsonl"
            if evals.exists() and evals.read_text().strip() and not (folder / "trained.json").exists():
                subprocess.run(["scancel", "--signal=KILL", "--full", train["id"]], check=True)
                killed = (train["id"], folder.name, len(evals.read_text().splitlines()))
                break
    out, err = waiting.communicate(timeout=900)
    assert killed, f"no training run was caught mid-way: {err[-2000:]}"
    assert waiting.returncode == 0, out[-2000:] + err[-3000:]
    job, folder, checkpoints_before = killed
    assert 1 <= checkpoints_before < 4
    state = _state(run_dir)
    assert state["state"] == "done"
    assert state["attempts"][f"train:{folder}"] == 2  # detected and resubmitted once
    assert [j["kind"] for j in state["jobs"]].count("train") >= 2
    assert_same_as_local(run_dir, local_run)


def _state(run_dir: Path) -> dict:
    path = run_dir / "slurm/state.json"
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def test_a_stage_that_keeps_failing_stops_the_run_after_max_retries(cluster, tmp_path):
    cfg = recipe(tmp_path, [*SLURM, "filter=[{block: 'slow_block:AlwaysFails', id: boom}]", "ablation.candidates=[]"])
    out = cli(*cfg, "--wait")
    assert out.returncode == 4, out.stdout[-2000:] + out.stderr[-3000:]
    state = _state(tmp_path / "runs" / "quickstart")
    assert state["state"] == "failed" and "stage prepare of baseline" in state["message"]
    assert "failed 2 times" in state["message"] and state["message"] in out.stderr
    (prepare,) = [n for stage, n in state["attempts"].items() if stage.startswith("prepare:")]
    assert prepare == 3  # submitted twice (max_retries=1), the third round gave up
    assert [j["kind"] for j in state["jobs"]].count("process") == 2
