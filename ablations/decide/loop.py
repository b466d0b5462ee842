"""The ablation loop: greedy recipe building from candidate blocks, every decision against seed noise.

For each candidate (in config order): variant = current recipe + candidate, processed, tokenized with the
experiment's tokenizer, trained with N seeds at the same token budget as the current recipe's runs (paired seeds),
evaluated at every checkpoint, and decided (ablations/decide/stats.py). Inconclusive verdicts buy one more seed pair
at a
time up to ``max_seeds``. A kept block joins the recipe and the next candidate starts from it (as FineWeb built
its recipe). Every stage is a hashed folder, so variants share what they have in common and a finished
experiment reruns in seconds.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ablations.decide.stats import decide
from ablations.eval.evaluator import Evaluator
from ablations.recipe.schema import CandidateSpec, RecipeConfig
from ablations.train.tokens import token_count, tokenize_stage, tokens_folder
from ablations.train.tracking import RunLogger
from pipelines.config import BlockSpec, DataConfig
from pipelines.stages import finish, finished, stage_folder, start, write_json

TRAINED = "trained.json"  # a run whose training finished; its checkpoints wait for evaluation


class Pending(Exception):
    """Plan mode: the loop cannot go on before these stages finish."""

    def __init__(self, needs: list[tuple]):
        super().__init__(f"{len(needs)} stages to run")
        self.needs = needs


class Plan:
    """What a plan-mode pass of the loop found unfinished: ("prepare", variant), ("train" | "eval", variant, seed)."""

    def __init__(self) -> None:
        self.needs: list[tuple] = []

    def need(self, kind: str, v: Variant, seed: int | None = None) -> None:
        item = (kind, v) if seed is None else (kind, v, seed)
        if all(n[0] != kind or n[1].name != v.name or n[2:] != item[2:] for n in self.needs):
            self.needs.append(item)

    def check(self) -> None:
        if self.needs:
            raise Pending(self.needs)


@dataclass
class Variant:
    name: str
    clean: list[BlockSpec]
    filter: list[BlockSpec]
    process: Path | None = None
    summary: dict = field(default_factory=dict)
    tokens: Path | None = None
    runs: dict[int, dict] = field(default_factory=dict)  # seed -> train record
    data: DataConfig | None = None  # other input data than the recipe's (comparisons of whole datasets)

    def blocks(self) -> list[BlockSpec]:
        return [*self.clean, *self.filter]


def with_candidate(v: Variant, c: CandidateSpec) -> Variant:
    block = BlockSpec(**c.model_dump(exclude={"section"}))
    clean = [*v.clean, block] if c.section == "clean" else list(v.clean)
    filt = [*v.filter, block] if c.section == "filter" else list(v.filter)
    return Variant(f"{v.name}+{block.id}", clean, filt, data=v.data)


class Ablation:
    """Runs the loop for one recipe inside its run folder."""

    def __init__(
        self,
        cfg: RecipeConfig,
        run_dir: Path,
        process_fn,
        evaluator: Evaluator,
        tokenizer_dir: Path,
        progress: bool = True,
        plan: Plan | None = None,
    ):
        self.cfg = cfg
        self.stages = run_dir / "stages"
        self.process_fn = process_fn  # (blocks, data or None, plan=False) -> StageResult (plan: its folder)
        self.evaluator = evaluator
        self.tokenizer_dir = tokenizer_dir
        self.progress = progress
        self.plan = plan  # set: nothing runs, the loop records what is unfinished (ablations/slurm/)
        self.decisions: list[dict] = []
        self.variants: list[Variant] = []

    @functools.cached_property
    def tokenizer(self):
        from transformers import PreTrainedTokenizerFast

        return PreTrainedTokenizerFast.from_pretrained(str(self.tokenizer_dir))

    # --- stages of one variant -------------------------------------------------------------------------------
    def prepare(self, v: Variant) -> Variant:
        """Process and tokenize the variant. In plan mode nothing runs: the folders are named (they are hashes of
        their inputs) and what is unfinished is recorded."""
        if self.plan is not None:
            v.process = self.process_fn(v.blocks(), v.data, plan=True)
            v.tokens = tokens_folder(
                v.process, v.process.name, self.tokenizer_dir, self.cfg.experiment.seed, self.stages
            )
            if not finished(v.tokens):
                self.plan.need("prepare", v)
            else:
                v.summary = self.process_fn(v.blocks(), v.data).summary  # finished: reused at once
            self.variants.append(v)
            return v
        result = self.process_fn(v.blocks(), v.data)
        v.process, v.summary = result.folder, result.summary
        v.tokens = tokenize_stage(v.process, v.process.name, self.tokenizer_dir, self.cfg.experiment.seed, self.stages)
        self.variants.append(v)
        return v

    def train_stage(self, v: Variant, seed: int) -> tuple[dict, Path]:
        return train_stage(self.cfg, self.stages, v, seed)

    def train(self, v: Variant, seed: int) -> dict | None:
        """Train one run and evaluate its checkpoints (reused when finished). In plan mode, record what is left
        (training, or only the evaluation of a trained run) and return None."""
        if seed in v.runs:
            return v.runs[seed]
        key, folder = self.train_stage(v, seed)
        if done := finished(folder):
            v.runs[seed] = done
            return done
        if self.plan is not None:
            self.plan.need("eval" if (folder / TRAINED).exists() else "train", v, seed)
            return None
        start(folder, key)
        record = self._train(v, seed, key, folder, evaluate_inline=True)
        return self._finish_run(v, seed, folder, record)

    def train_only(self, v: Variant, seed: int) -> None:
        """Train one run, saving each checkpoint's model for ``evaluate_run`` (a SLURM training job). Under
        ``accelerate launch`` every rank trains; the main process alone writes the stage's files."""
        key, folder = self.train_stage(v, seed)
        if finished(folder) or (folder / TRAINED).exists():
            return
        if main_process():
            start(folder, key)
        record = self._train(v, seed, key, folder, evaluate_inline=False)
        if main_process():
            write_json(folder / TRAINED, record)

    def evaluate_run(self, v: Variant, seed: int) -> dict:
        """Evaluate the saved checkpoints of a trained run and finish its stage (a SLURM evaluation job)."""
        from transformers import LlamaForCausalLM

        key, folder = self.train_stage(v, seed)
        if done := finished(folder):
            return done
        if not (folder / TRAINED).exists():
            raise RuntimeError(f"{folder}: the run has not finished training ({TRAINED} missing)")
        record = json.loads((folder / TRAINED).read_text())
        logger = RunLogger(self.cfg.tracking, folder, f"{v.name}-seed{seed}-eval", {"variant": v.name, "seed": seed})
        evals = []
        for row in record["evals"]:
            if row.get("tasks") is None:
                model = LlamaForCausalLM.from_pretrained(str(folder / "models" / f"step-{row['step']}"))
                row["tasks"] = self._evaluate(model, logger, row["step"])
            evals.append(row)
        logger.finish()
        return self._finish_run(v, seed, folder, record | {"evals": evals})

    def _evaluate(self, model, logger: RunLogger, step: int) -> dict:
        res = self.evaluator.evaluate(model, self.tokenizer, self.tokenizer_dir, self.cfg.model.max_seq_len)
        summary = {t: _mean_metrics(rows) for t, rows in res.items()}
        logger.log({f"eval/{t}/{m}": x for t, ms in summary.items() for m, x in ms.items()}, step)
        return res

    def _train(self, v: Variant, seed: int, key: dict, folder: Path, evaluate_inline: bool) -> dict:
        from ablations.train.backends import train_run

        cfg = self.cfg
        config = {"variant": v.name, "seed": seed, **key}
        logger = RunLogger(cfg.tracking, folder, f"{v.name}-seed{seed}", config) if main_process() else None

        def on_checkpoint(model, step: int, tokens: int) -> dict | None:
            if evaluate_inline:
                return self._evaluate(model, logger, step)
            model.save_pretrained(str(folder / "models" / f"step-{step}"))  # evaluated by a later job
            return None

        result = train_run(  # the recipe's trainer backend (ablations/train/backends.py)
            cfg,
            evaluate_inline,
            tokens=v.tokens,
            tokenizer_dir=self.tokenizer_dir,
            vocab_size=len(self.tokenizer),
            seed=seed,
            folder=folder,
            on_checkpoint=on_checkpoint,
            log=logger.log if logger else None,
            progress=self.progress,
        )
        if logger:
            logger.finish()
        return {
            "stage": "train",
            "variant": v.name,
            "seed": seed,
            "key": key,
            "available_tokens": token_count(v.tokens),
            **result,
        }

    def _finish_run(self, v: Variant, seed: int, folder: Path, record: dict) -> dict:
        _write_jsonl(folder / "evals.jsonl", record["evals"])
        record = finish(folder, record)
        v.runs[seed] = record
        return record

    # --- the loop --------------------------------------------------------------------------------------------
    def final_results(self, v: Variant, seeds: list[int]) -> list[dict | None]:
        """Scores at the last checkpoint of each seed's run (None for a run still to do, in plan mode)."""
        runs = [self.train(v, s) for s in seeds]
        return [r["evals"][-1]["tasks"] if r else None for r in runs]

    def run(self) -> Variant:
        cfg, ab = self.cfg, self.cfg.ablation
        base_seed = cfg.experiment.seed
        current = self.prepare(Variant("baseline", list(cfg.clean), list(cfg.filter)))
        weights = {t.name: t.weight for t in cfg.evaluation.tasks}
        for cand in ab.candidates:
            variant = self.prepare(with_candidate(current, cand))
            seeds = [base_seed + i for i in range(ab.seeds)]
            confidence = per_look_confidence(ab.confidence, ab.seeds, ab.max_seeds)
            while True:
                before, after = self.final_results(current, seeds), self.final_results(variant, seeds)
                if self.plan is not None:
                    self.plan.check()  # raises Pending with everything this decision still needs
                verdict = decide(
                    before,
                    after,
                    weights,
                    confidence,
                    ab.bootstrap_samples,
                    base_seed,
                )
                if verdict.verdict != "inconclusive" or len(seeds) >= ab.max_seeds:
                    break
                seeds.append(base_seed + len(seeds))
            self.decisions.append(
                {
                    "candidate": cand.id,
                    "section": cand.section,
                    "baseline": current.name,
                    "variant": variant.name,
                    "confidence": confidence,
                    **verdict.as_dict(),
                }
            )
            if verdict.verdict == "keep":
                current = variant
        return current


def train_stage(cfg: RecipeConfig, stages: Path, v: Variant, seed: int) -> tuple[dict, Path]:
    """Key and folder of one training run (training and the evaluation of its checkpoints) of a prepared variant."""
    key = {
        "tokens": v.tokens.name,
        "model": cfg.model.model_dump(),
        "training": cfg.training.model_dump(),
        "seed": seed,
        "tasks": [t.model_dump() for t in cfg.evaluation.tasks],
        "holdout": cfg.evaluation.holdout.model_dump() if cfg.evaluation.holdout else None,
    }
    return key, stage_folder(stages, "train", key)


def main_process() -> bool:
    """Whether this is the main (or only) process: rank 0 of an ``accelerate launch`` / torchrun job."""
    return os.environ.get("RANK", "0") == "0"


def per_look_confidence(confidence: float, seeds: int, max_seeds: int) -> float:
    """Confidence of each interval when inconclusive verdicts buy seeds: up to ``max_seeds - seeds + 1`` looks at
    the same comparison, so each look spends an equal share of the error rate (Bonferroni) and the chance of any
    false keep/drop stays within ``1 - confidence``."""
    looks = max(1, max_seeds - seeds + 1)
    return 1 - (1 - confidence) / looks


def _mean_metrics(rows: list[dict]) -> dict[str, float]:
    keys = [k for k in rows[0] if k != "id"] if rows else []
    return {k: sum(r[k] for r in rows) / len(rows) for k in keys}


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
