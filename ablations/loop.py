"""The ablation loop: greedy recipe building from candidate blocks, every decision against seed noise.

For each candidate (in config order): variant = current recipe + candidate, processed, tokenized with the
experiment's tokenizer, trained with N seeds at the same token budget as the current recipe's runs (paired seeds),
evaluated at every checkpoint, and decided (ablations/decide.py). Inconclusive verdicts buy one more seed pair at a
time up to ``max_seeds``. A kept block joins the recipe and the next candidate starts from it (as FineWeb built
its recipe). Every stage is a hashed folder, so variants share what they have in common and a finished
experiment reruns in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ablations.config import CandidateSpec, RecipeConfig
from ablations.decide import decide
from ablations.evaluate import Evaluator
from ablations.tokenize import token_count, tokenize_stage
from ablations.tracking import RunLogger
from pipelines.config import BlockSpec, DataConfig
from pipelines.stages import finish, finished, stage_folder, start


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
    ):
        self.cfg = cfg
        self.stages = run_dir / "stages"
        self.process_fn = process_fn  # (blocks, data or None) -> StageResult
        self.evaluator = evaluator
        self.tokenizer_dir = tokenizer_dir
        self.progress = progress
        from transformers import PreTrainedTokenizerFast

        self.tokenizer = PreTrainedTokenizerFast.from_pretrained(str(tokenizer_dir))
        self.decisions: list[dict] = []
        self.variants: list[Variant] = []

    # --- stages of one variant -------------------------------------------------------------------------------
    def prepare(self, v: Variant) -> Variant:
        result = self.process_fn(v.blocks(), v.data)
        v.process, v.summary = result.folder, result.summary
        v.tokens = tokenize_stage(v.process, v.process.name, self.tokenizer_dir, self.cfg.experiment.seed, self.stages)
        self.variants.append(v)
        return v

    def train(self, v: Variant, seed: int) -> dict:
        if seed in v.runs:
            return v.runs[seed]
        from ablations.trainer import train

        cfg = self.cfg
        key = {
            "tokens": v.tokens.name,
            "model": cfg.model.model_dump(),
            "training": cfg.training.model_dump(),
            "seed": seed,
            "tasks": [t.model_dump() for t in cfg.evaluation.tasks],
            "holdout": cfg.evaluation.holdout.model_dump() if cfg.evaluation.holdout else None,
        }
        folder = stage_folder(self.stages, "train", key)
        if done := finished(folder):
            v.runs[seed] = done
            return done
        start(folder, key)
        logger = RunLogger(cfg.tracking, folder, f"{v.name}-seed{seed}", {"variant": v.name, "seed": seed, **key})

        def on_checkpoint(model, step: int, tokens: int) -> dict:
            res = self.evaluator.evaluate(model, self.tokenizer, self.tokenizer_dir, cfg.model.max_seq_len)
            summary = {t: _mean_metrics(rows) for t, rows in res.items()}
            logger.log({f"eval/{t}/{m}": x for t, ms in summary.items() for m, x in ms.items()}, step)
            return res

        result = train(
            v.tokens / "tokens",
            len(self.tokenizer),
            cfg.model,
            cfg.training,
            seed,
            folder,
            on_checkpoint,
            log=logger.log,
            progress=self.progress,
        )
        logger.finish()
        record = finish(
            folder,
            {
                "stage": "train",
                "variant": v.name,
                "seed": seed,
                "key": key,
                "available_tokens": token_count(v.tokens),
                **result,
            },
        )
        v.runs[seed] = record
        return record

    # --- the loop --------------------------------------------------------------------------------------------
    def final_results(self, v: Variant, seeds: list[int]) -> list[dict]:
        return [self.train(v, s)["evals"][-1]["tasks"] for s in seeds]

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
                verdict = decide(
                    self.final_results(current, seeds),
                    self.final_results(variant, seeds),
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


def per_look_confidence(confidence: float, seeds: int, max_seeds: int) -> float:
    """Confidence of each interval when inconclusive verdicts buy seeds: up to ``max_seeds - seeds + 1`` looks at
    the same comparison, so each look spends an equal share of the error rate (Bonferroni) and the chance of any
    false keep/drop stays within ``1 - confidence``."""
    looks = max(1, max_seeds - seeds + 1)
    return 1 - (1 - confidence) / looks


def _mean_metrics(rows: list[dict]) -> dict[str, float]:
    keys = [k for k in rows[0] if k != "id"] if rows else []
    return {k: sum(r[k] for r in rows) / len(rows) for k in keys}
