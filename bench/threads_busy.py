"""Training speed with a busy neighbour: the thread-count collapse of issue #14 and what fixes it.

  .venv/bin/python bench/threads_busy.py [--steps 60] [--json out.json]

Trains the quickstart's model (0.26M parameters, batches of 16 x 128 tokens) on token shards of 20 ECCO-TCP books
for ``--steps`` steps in a fresh process per setting, and reports seconds per step: on a quiet machine with 2
threads, then with one other process spinning on a CPU (a busy neighbour on a shared node) with 2 threads, with
``training.threads: 0`` (the CPUs this process may use), with 1 thread, and with 2 threads under
``OMP_WAIT_POLICY=PASSIVE`` (OpenMP threads that sleep instead of spin while they wait). Run it on an otherwise
quiet machine: every other job is one more neighbour.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FINEBOOKS_SHARED_DATA") or REPO.parent / "shared" / "data")
SETTINGS = [  # (label, busy neighbour, training.threads, extra environment)
    ("quiet, 2 threads", False, 2, {}),
    ("busy, 2 threads", True, 2, {}),
    ("busy, threads 0 (usable CPUs)", True, 0, {}),
    ("busy, 1 thread", True, 1, {}),
    ("busy, 2 threads, OMP_WAIT_POLICY=PASSIVE", True, 2, {"OMP_WAIT_POLICY": "PASSIVE"}),
    ("quiet, 2 threads, OMP_WAIT_POLICY=PASSIVE", False, 2, {"OMP_WAIT_POLICY": "PASSIVE"}),
]


def shards(root: Path) -> Path:
    from ablations.train.tokenizer import train_bpe
    from ablations.train.tokens import TokensStage

    texts = [p.read_text(encoding="utf-8") for p in sorted((SHARED / "clean_books/ecco_tcp").glob("*"))[:20]]
    (root / "p/output").mkdir(parents=True)
    with gzip.open(root / "p/output/00000.jsonl.gz", "wt") as f:
        f.writelines(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
    tok = train_bpe(iter(texts), 2048, root / "tok")
    return TokensStage(root / "p", tok, 0, root).run().folder / "tokens"


def worker(tokens: Path, threads: int, steps: int, out: Path) -> None:
    """Train ``steps`` steps (after 5 warm-up steps) and print seconds per step."""
    from ablations.recipe.schema import ModelConfig, TrainingConfig
    from ablations.train.hf import train

    model_cfg = ModelConfig(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=256, max_seq_len=128)
    budget = (steps + 5) * 16 * 128
    cfg = TrainingConfig(token_budget=budget, batch_size=16, checkpoints=1, threads=threads)
    stamps: list[float] = []

    def log(metrics: dict, step: int) -> None:
        if step >= 5:  # after 5 warm-up steps
            stamps.append(time.perf_counter())

    train(tokens, 2048, model_cfg, cfg, 0, out, lambda m, s, t: {}, log=log, progress=False)
    import torch

    print(
        json.dumps(
            {"seconds": stamps[-1] - stamps[0], "steps": len(stamps) - 1, "torch_threads": torch.get_num_threads()}
        )
    )


def measure(tokens: Path, root: Path, busy: bool, threads: int, env: dict, steps: int, k: int) -> dict:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        time.sleep(0.5 if busy else 0)
        cmd = [sys.executable, __file__, "--worker", str(tokens), "--threads", str(threads), "--steps", str(steps)]
        cmd += ["--out", str(root / f"run{k}")]
        res = subprocess.run(cmd, env=os.environ | env, capture_output=True, text=True, check=True, cwd=REPO)
    finally:
        if spinner:
            spinner.kill()
            spinner.wait()
    rec = json.loads(res.stdout.strip().splitlines()[-1])
    return {"seconds_per_step": rec["seconds"] / rec["steps"], "torch_threads": rec["torch_threads"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    if args.worker:
        worker(args.worker, args.threads, args.steps, args.out)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tokens = shards(root)
        for k, (label, busy, threads, env) in enumerate(SETTINGS):
            row = {"setting": label, **measure(tokens, root, busy, threads, env, args.steps, k)}
            rows.append(row)
            print(f"{label}: {row['seconds_per_step']:.3f} s/step ({row['torch_threads']} torch threads)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
