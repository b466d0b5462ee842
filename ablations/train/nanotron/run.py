"""One training run of the ablation loop with nanotron, inside a SLURM training job that holds the GPUs.

Called by the ``nanotron`` trainer backend (``ablations/train/builtin_backends.py``; only SLURM jobs train with it,
the backend's recipe check says so). The run writes its nanotron config (``ablations/train/nanotron/yaml_writer.py``)
into the run's stage folder, starts ``torchrun`` on nanotron's ``run_train.py`` in the nanotron environment, then
converts every checkpoint to a transformers model in ``models/step-N``, where the loop's evaluation job scores it with
the same tasks as the hf trainer's checkpoints. A killed job resumes from nanotron's last checkpoint.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import yaml

from ablations.recipe.schema import RecipeConfig
from ablations.train.budget import tokens_per_step, train_steps
from ablations.train.nanotron.convert import convert_checkpoint
from ablations.train.nanotron.yaml_writer import token_folder, write_config


def train_nanotron(cfg: RecipeConfig, tokens: Path, tokenizer_dir: Path, seed: int, folder: Path, gpus: int) -> dict:
    """Train with nanotron into ``folder/nanotron``, convert its checkpoints; the run record (evaluations to do)."""
    nt = cfg.training.nanotron
    out = folder / "nanotron"
    config = write_config(
        cfg,
        tokens,
        seed,
        out,
        gpus=gpus,
        tokenizer_dir=tokenizer_dir,
        tp=nt.tp,
        pp=nt.pp,
        micro_batch_size=nt.micro_batch_size,
    )
    checkpoints = out / "checkpoints"
    if (checkpoints / "latest.txt").exists():  # a resubmitted job: go on from nanotron's last checkpoint
        data = yaml.safe_load(config.read_text())
        data["checkpoints"]["resume_checkpoint_path"] = str(checkpoints)
        config.write_text(yaml.safe_dump(data, sort_keys=False, width=119))
    command = (
        f"torchrun --standalone --nproc_per_node={gpus} {shlex.quote(str(Path(nt.run_train).expanduser()))} "
        f"--config-file {shlex.quote(str(config))}"
    )
    script = "set -euo pipefail\n" + (nt.env_command + "\n" if nt.env_command else "") + command + "\n"
    with open(out / "train.log", "a") as log:
        done = subprocess.run(["bash", "-c", script], stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"nanotron training failed (exit {done.returncode}); see {out / 'train.log'}")
    step_tokens = tokens_per_step(cfg.training, cfg.model)
    evals = []
    for step_dir in sorted((p for p in checkpoints.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        step = int(step_dir.name)
        convert_checkpoint(step_dir, folder / "models" / f"step-{step}", tokenizer_dir)
        evals.append({"step": step, "tokens": step * step_tokens, "loss": None, "tasks": None})
    if not evals:
        raise RuntimeError(f"nanotron wrote no checkpoint in {checkpoints}; see {out / 'train.log'}")
    total = evals[-1]["step"]
    sequences = token_folder(tokens).tokens // (cfg.model.max_seq_len + 1)  # Nanoset's windows of seq_len + 1
    return {
        "backend": "nanotron",
        "steps": total,
        "tokens": total * step_tokens,
        "sequences_available": sequences,
        "epochs": total * cfg.training.batch_size / max(1, sequences),
        "evals": evals,
        "nanotron_config": str(config),
        "gpus": gpus,
        "expected_steps": train_steps(cfg.training, cfg.model),
    }
