"""The hf trainer data-parallel under ``accelerate launch`` (2 CPU processes, gloo) against one process.

The launch line is the one a SLURM train job with ``training.gpus: 2`` renders (ablations/slurm/submit.py); no GPU
is visible, so accelerate runs both ranks on the CPU. This file is also the launched program: ``python -m
test_trainer_multiprocess TOKENS FOLDER TRACE`` trains the run of ``test_trainer`` and records, per rank, the rows of
every batch it trained on, the losses it logged and the checkpoints it wrote.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import test_trainer
import torch
from test_trainer import MODEL, TRAIN

from ablations.slurm.submit import accelerate_launch, launcher
from ablations.train.hf import TokenSequences, rows_per_process, train

tokens = test_trainer.tokens  # the module-scoped token shards fixture
TESTS = Path(__file__).resolve().parent
SEED = 1


def launched_main(tokens_dir: Path, folder: Path, trace: Path) -> None:
    """One rank of the launched run: train with every batch, log call and checkpoint write recorded."""
    import ablations.train.hf as trainer

    rank = int(os.environ["RANK"])

    def record(event: str, **values) -> None:
        with open(trace / f"rank{rank}.jsonl", "a") as f:
            f.write(json.dumps({"event": event, **values}) + "\n")

    batch, save = trainer.TokenSequences.batch, trainer._save_state

    def traced_batch(self, step, batch_size, rank=0, processes=1):
        rows = batch(self, step, batch_size, rank, processes)
        record("batch", step=step, rows=rows.tolist())
        return rows

    def traced_save(folder, model, opt, step):
        record("save", step=step)
        save(folder, model, opt, step)

    trainer.TokenSequences.batch, trainer._save_state = traced_batch, traced_save
    result = trainer.train(
        tokens_dir,
        300,
        MODEL,
        TRAIN,
        SEED,
        folder,
        lambda model, step, seen: record("on_checkpoint", step=step) or {"s": step},
        log=lambda values, step: record("log", step=step, loss=values["train/loss"]),
        progress=False,
    )
    record("result", result=result)


def launch(tokens_dir: Path, folder: Path, trace: Path) -> None:
    """Run this file on 2 processes with the SLURM train job's launch line (its own free port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, *accelerate_launch(2, str(port))[1:], "test_trainer_multiprocess"]
    env = os.environ | {
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [*cmd, str(tokens_dir), str(folder), str(trace)], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]


def events(trace: Path, rank: int, event: str) -> list[dict]:
    rows = [json.loads(x) for x in (trace / f"rank{rank}.jsonl").read_text().splitlines()]
    return [r for r in rows if r["event"] == event]


def params(folder: Path) -> dict[str, torch.Tensor]:
    return torch.load(folder / "checkpoint/state.pt", weights_only=True)["model"]


def test_two_processes_split_each_global_batch_and_train_the_same_run(tokens, tmp_path):
    logged: list[tuple[int, float]] = []
    single = train(
        tokens / "tokens",
        300,
        MODEL,
        TRAIN,
        SEED,
        tmp_path / "single",
        lambda m, s, t: {"s": s},
        log=lambda values, step: logged.append((step, values["train/loss"])),
        progress=False,
    )
    trace = tmp_path / "trace"
    trace.mkdir()
    launch(tokens / "tokens", tmp_path / "multi", trace)

    data, steps = TokenSequences(tokens / "tokens", MODEL.max_seq_len, SEED), single["steps"]
    for step in range(steps):  # rank r trained on rows r::2 of the global batch: disjoint halves of it
        global_rows = data.batch(step, TRAIN.batch_size).tolist()
        for rank in (0, 1):
            seen = [e["rows"] for e in events(trace, rank, "batch") if e["step"] == step]
            assert seen == [global_rows[rank::2]]

    results = [events(trace, rank, "result")[0]["result"] for rank in (0, 1)]
    assert results[0] == results[1] and results[0]["processes"] == 2
    multi = results[0]
    for key in ("steps", "tokens", "epochs", "sequences_available"):
        assert multi[key] == single[key]
    assert [(e["step"], e["tokens"], e["tasks"]) for e in multi["evals"]] == [
        (e["step"], e["tokens"], e["tasks"]) for e in single["evals"]
    ]
    assert [e["loss"] for e in multi["evals"]] == pytest.approx([e["loss"] for e in single["evals"]], rel=1e-5)
    multi_logged = [(e["step"], e["loss"]) for e in events(trace, 0, "log")]
    assert [s for s, _ in multi_logged] == [s for s, _ in logged] == list(range(1, steps + 1))
    assert [x for _, x in multi_logged] == pytest.approx([x for _, x in logged], rel=1e-5)
    single_params, multi_params = params(tmp_path / "single"), params(tmp_path / "multi")
    for name, value in single_params.items():
        assert torch.allclose(multi_params[name], value, rtol=1e-4, atol=1e-5), name

    # one writer: rank 0 alone logged, evaluated and saved each checkpoint once
    checkpoints = [e["step"] for e in single["evals"]]
    assert [e["step"] for e in events(trace, 0, "on_checkpoint")] == checkpoints
    assert [e["step"] for e in events(trace, 0, "save")] == checkpoints
    assert not any(events(trace, 1, kind) for kind in ("log", "on_checkpoint", "save"))
    lines = (tmp_path / "multi/evals.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines] == checkpoints


def test_two_processes_resume_the_checkpoint_of_a_killed_run(tokens, tmp_path):
    full = train(
        tokens / "tokens", 300, MODEL, TRAIN, SEED, tmp_path / "full", lambda m, s, t: {"s": s}, progress=False
    )

    class Killed(Exception):
        pass

    def dies_at_third(model, step, seen):
        if step == 12:
            raise Killed
        return {"s": step}

    with pytest.raises(Killed):
        train(tokens / "tokens", 300, MODEL, TRAIN, SEED, tmp_path / "run", dies_at_third, progress=False)
    trace = tmp_path / "trace"
    trace.mkdir()
    launch(tokens / "tokens", tmp_path / "run", trace)  # both ranks load the step-8 checkpoint

    for rank in (0, 1):
        assert [e["step"] for e in events(trace, rank, "batch")] == list(range(8, 12))
    resumed = events(trace, 0, "result")[0]["result"]
    assert [e["step"] for e in resumed["evals"]] == [4, 8, 12]
    assert [e["loss"] for e in resumed["evals"]] == pytest.approx([e["loss"] for e in full["evals"]], rel=1e-5)
    assert [e["step"] for e in events(trace, 0, "on_checkpoint")] == [12]


def test_batch_must_split_evenly_over_the_processes():
    assert rows_per_process(16, 4) == 4
    with pytest.raises(ValueError, match=r"training.batch_size=6 is not divisible by the 4 processes"):
        rows_per_process(6, 4)


def test_slurm_train_job_runs_accelerate_launch_with_more_than_one_gpu():
    assert launcher(0) == launcher(1) == "python -m"
    line = launcher(4)
    assert line.startswith("python -m accelerate.commands.launch --multi_gpu") and line.endswith(" -m")
    assert "--num_processes=4" in line and "--mixed_precision=no" in line and "SLURM_JOB_ID" in line


if __name__ == "__main__":
    launched_main(*map(Path, sys.argv[1:4]))
