"""The built-in trainer backends (registry names in ``ablations/train/backends.py``): ``hf`` and ``nanotron``.

Each imports its trainer only when it trains (the recipe loader resolves the backend, and must stay light).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ablations.train.backends import TrainerBackend


class HfBackend(TrainerBackend):
    """The plain torch loop of ``ablations/train/hf.py`` (CPU or GPUs); on SLURM, data-parallel over the training
    job's GPUs through ``accelerate launch``."""

    def slurm_processes(self, gpus: int) -> int:
        return gpus

    def train(
        self,
        cfg: Any,
        tokens: Path,
        tokenizer_dir: Path,
        vocab_size: int,
        seed: int,
        folder: Path,
        on_checkpoint: Callable[[Any, int, int], dict | None],
        log: Callable[[dict, int], None] | None = None,
        progress: bool | str = True,
    ) -> dict:
        from ablations.train.hf import train

        return train(
            tokens / "tokens",
            vocab_size,
            cfg.model,
            cfg.training,
            seed,
            folder,
            on_checkpoint,
            log=log,
            progress=progress,
        )


class NanotronBackend(TrainerBackend):
    """nanotron's ``run_train.py`` under torchrun, inside a SLURM training job that holds the GPUs
    (``ablations/train/nanotron/run.py``); its checkpoints are converted and scored by the evaluation job."""

    inline_eval = False
    docs = "docs/nanotron.md"

    def check(self, cfg: Any) -> list[str]:
        problems = []
        if cfg.executor.kind != "slurm":
            problems.append("executor.kind must be slurm (nanotron trains on GPUs; it cannot run on a CPU)")
        if cfg.executor.slurm.training.gpus < 1:
            problems.append("executor.slurm.training.gpus must be >= 1")
        if not cfg.training.nanotron.run_train:
            problems.append("training.nanotron.run_train must name nanotron's run_train.py")
        return problems

    def train(
        self,
        cfg: Any,
        tokens: Path,
        tokenizer_dir: Path,
        vocab_size: int,
        seed: int,
        folder: Path,
        on_checkpoint: Callable[[Any, int, int], dict | None],
        log: Callable[[dict, int], None] | None = None,
        progress: bool | str = True,
    ) -> dict:
        from ablations.train.nanotron.run import train_nanotron

        return train_nanotron(cfg, tokens, tokenizer_dir, seed, folder, cfg.executor.slurm.training.gpus)
