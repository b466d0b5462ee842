"""One training run of a prepared variant and seed as a stage: training, and the evaluation of its checkpoints.

Locally ``run()`` trains and scores each checkpoint as it is saved. On SLURM the two are separate jobs:
``train_only()`` trains and saves each checkpoint's model (``trained.json`` marks a trained run), then
``evaluate_saved()`` scores those models and finishes the stage. A killed run resumes from its last checkpoint.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ablations.recipe.schema import RecipeConfig
from ablations.train.backends import BACKENDS
from ablations.train.tokens import token_count
from ablations.train.tracking import RunLogger
from pipelines import jsonl
from pipelines.code_closure import code_fingerprint
from pipelines.fingerprint import library_versions
from pipelines.stages import Stage, StageResult, finish, start, write_json

if TYPE_CHECKING:
    from ablations.eval.evaluator import Evaluator

TRAINED = "trained.json"  # a run whose training finished; its checkpoints wait for evaluation


@functools.lru_cache(maxsize=4)
def load_tokenizer(folder: Path):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(str(folder))


def main_process() -> bool:
    """Whether this is the main (or only) process: rank 0 of an ``accelerate launch`` / torchrun job."""
    return os.environ.get("RANK", "0") == "0"


def run_label(variant: str, seed: int, folder: Path) -> str:
    """The progress bar's label: the candidate (the last block a variant adds), the seed, the variant and the stage
    folder, e.g. ``train book_length seed 1 (baseline+unicode_fix+book_length, train-3f2a...)``."""
    candidate = variant.rsplit("+", 1)[-1] if variant else "run"
    where = f"{variant}, {folder.name}" if variant and variant != candidate else folder.name
    return f"train {candidate} seed {seed} ({where})"


def run_about(variant: str, seed: int) -> str:
    """The run in console lines: ``book_length seed 1 (baseline+unicode_fix+book_length)``."""
    candidate = variant.rsplit("+", 1)[-1] if variant else "run"
    return f"{candidate} seed {seed}" + (f" ({variant})" if variant and variant != candidate else "")


@dataclass
class TrainingRun(Stage):
    """The run of ``seed`` on the token shards ``tokens``; ``variant`` only labels logs and the record."""

    cfg: RecipeConfig
    tokens: Path  # the variant's tokens stage folder (its name, in the key, hashes everything upstream)
    seed: int
    root: Path
    tokenizer: Path  # the tokenizer stage folder
    variant: str = ""
    evaluator: Evaluator | None = None  # needed to evaluate (run, evaluate_saved), not to train only
    progress: bool = True
    evaluation: dict[str, Any] = field(default_factory=dict)  # RunContext.evaluation_key: tasks' files and code
    kind: ClassVar[str] = "train"

    @property
    def draws_bar(self) -> bool:  # the trainer's progress bar shows that it runs
        return self.progress

    def run(self, about: str = "") -> StageResult:
        """Train and evaluate (or reuse); its console lines name the candidate, seed and variant."""
        return super().run(about or run_about(self.variant, self.seed))

    @cached_property
    def key(self) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "tokens": self.tokens.name,
            "model": cfg.model.model_dump(),
            "training": cfg.training.model_dump(),
            "seed": self.seed,
            "tasks": [t.model_dump() for t in cfg.evaluation.tasks],
            "holdout": cfg.evaluation.holdout.model_dump() if cfg.evaluation.holdout else None,
            "code": code_fingerprint(BACKENDS.resolve(cfg.training.backend)),  # a user's trainer backend too
            "stage": code_fingerprint(TrainingRun),
            "evaluation": self.evaluation,
            "versions": library_versions("torch", "transformers"),
        }

    def trained(self) -> dict[str, Any] | None:
        """The record of a run trained by ``train_only`` whose checkpoints still wait for evaluation, or None."""
        path = self.folder / TRAINED
        return json.loads(path.read_text()) if path.exists() else None

    def compute(self) -> dict[str, Any]:
        record = self._train(evaluate_inline=True)
        jsonl.write(self.folder / "evals.jsonl", record["evals"])
        return record

    def train_only(self) -> None:
        """Train, saving each checkpoint's model for ``evaluate_saved`` (a SLURM training job). Under
        ``accelerate launch`` every rank trains; the main process alone writes the stage's files."""
        if self.finished() or self.trained():
            return
        if main_process():
            start(self.folder, self.key)
        record = self._train(evaluate_inline=False)
        if main_process():
            write_json(self.folder / TRAINED, record)

    def evaluate_saved(self) -> dict[str, Any]:
        """Evaluate the saved checkpoints of a trained run and finish the stage (a SLURM evaluation job)."""
        from transformers import LlamaForCausalLM

        if done := self.finished():
            return done
        record = self.trained()
        if record is None:
            raise RuntimeError(f"{self.folder}: the run has not finished training ({TRAINED} missing)")
        logger = RunLogger(self.cfg.tracking, self.folder, f"{self.variant}-seed{self.seed}-eval", self._labels())
        for row in record["evals"]:
            if row.get("tasks") is None:
                model = LlamaForCausalLM.from_pretrained(str(self.folder / "models" / f"step-{row['step']}"))
                row["tasks"] = self._evaluate(model, logger, row["step"])
        logger.finish()
        jsonl.write(self.folder / "evals.jsonl", record["evals"])
        return finish(self.folder, {"stage": self.label, "key": self.key, **record})

    def _labels(self) -> dict[str, Any]:
        return {"variant": self.variant, "seed": self.seed}

    def _evaluate(self, model, logger: RunLogger | None, step: int) -> dict:
        if self.evaluator is None:
            raise RuntimeError(f"{self.folder}: a training run built without an evaluator cannot evaluate")
        cfg = self.cfg
        res = self.evaluator.evaluate(model, load_tokenizer(self.tokenizer), self.tokenizer, cfg.model.max_seq_len)
        if logger:
            summary = {t: _mean_metrics(rows) for t, rows in res.items()}
            logger.log({f"eval/{t}/{m}": x for t, ms in summary.items() for m, x in ms.items()}, step)
        return res

    def _train(self, evaluate_inline: bool) -> dict[str, Any]:
        from ablations.train.backends import train_run

        cfg, folder = self.cfg, self.folder
        name = f"{self.variant}-seed{self.seed}"
        logger = RunLogger(cfg.tracking, folder, name, self._labels() | self.key) if main_process() else None

        def on_checkpoint(model, step: int, tokens: int) -> dict | None:
            if evaluate_inline:
                return self._evaluate(model, logger, step)
            model.save_pretrained(str(folder / "models" / f"step-{step}"))  # evaluated by a later job
            return None

        result = train_run(  # the recipe's trainer backend (ablations/train/backends.py)
            cfg,
            evaluate_inline,
            tokens=self.tokens,
            tokenizer_dir=self.tokenizer,
            vocab_size=len(load_tokenizer(self.tokenizer)),
            seed=self.seed,
            folder=folder,
            on_checkpoint=on_checkpoint,
            log=logger.log if logger else None,
            progress=run_label(self.variant, self.seed, folder) if self.progress else False,
        )
        if logger:
            logger.finish()
        return {**self._labels(), "available_tokens": token_count(self.tokens), **result}


def _mean_metrics(rows: list[dict]) -> dict[str, float]:
    keys = [k for k in rows[0] if k != "id"] if rows else []
    return {k: sum(r[k] for r in rows) / len(rows) for k in keys}
