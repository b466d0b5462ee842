"""Trainer backends: the ``trainer backend`` plug-in kind (``filters/plugins.py``).

``training.backend`` in a recipe is a registry name (``hf``, ``nanotron``: ``ablations/train/builtin_backends.py``)
or a dotted path to a user's ``TrainerBackend`` subclass; ``training.params`` are checked against its ``__init__``.
A backend trains one (variant, seed) run through ``train``, says whether its checkpoints can be evaluated inside
the run (a local run) or only by a later SLURM evaluation job, how many processes a SLURM training job starts it
with, and which recipes it cannot train (``check``, run when the recipe is loaded).

This module imports nothing of FineBooks but the plug-in registry (the recipe schema imports it); the built-in
backends import their trainers only when they train.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from filters.plugins import Registry


class TrainerBackend:
    """Base of a trainer backend; its ``__init__`` parameters are the recipe's ``training.params``."""

    inline_eval: ClassVar[bool] = True  # False: checkpoints are only saved, for a SLURM evaluation job
    docs: ClassVar[str | None] = None  # where its requirements are explained (named in recipe errors)

    def slurm_processes(self, gpus: int) -> int:
        """Processes a SLURM training job with ``gpus`` GPUs starts under ``accelerate launch`` (<= 1: one plain
        ``python -m`` process, which may start its own, as nanotron starts torchrun)."""
        return 1

    def check(self, cfg: Any) -> list[str]:
        """What in the recipe (a RecipeConfig) this backend cannot train; [] when it can."""
        return []

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
        """Train one run of the recipe ``cfg`` on the token stage folder ``tokens`` (its shards in ``tokens/``) into
        ``folder``; resume there if a previous attempt was killed.

        At each checkpoint call ``on_checkpoint(model, step, tokens_seen)`` with a transformers causal LM (it
        evaluates it, or saves it for a SLURM evaluation job) and store its result as the checkpoint's ``tasks``.
        Returns the run record: at least ``evals`` (per checkpoint ``step``, ``tokens``, ``loss``, ``tasks``) and
        ``epochs`` (passes over the variant's data), plus anything worth keeping (``steps``, ``tokens``, ...).
        ``progress``: show a progress bar, labelled with it when it is a string (candidate, variant and seed)."""
        raise NotImplementedError


BACKENDS = Registry(
    "trainer backend",
    {
        "hf": "ablations.train.builtin_backends:HfBackend",
        "nanotron": "ablations.train.builtin_backends:NanotronBackend",
    },
    base=TrainerBackend,
)


def trainer_backend(training: Any) -> TrainerBackend:
    """The backend a recipe's ``training`` section names, built with its ``params``."""
    return BACKENDS.build(training.backend, training.params)


def train_run(cfg: Any, evaluate_inline: bool, **run: Any) -> dict:
    """Train one run with the recipe's backend (``run``: the arguments of ``TrainerBackend.train`` after ``cfg``);
    ``evaluate_inline``: ``on_checkpoint`` evaluates (a local run) rather than saves the model (a SLURM job)."""
    backend = trainer_backend(cfg.training)
    if evaluate_inline and not backend.inline_eval:
        raise ValueError(f"training.backend={cfg.training.backend} trains only in SLURM jobs (executor.kind: slurm)")
    return backend.train(cfg, **run)
