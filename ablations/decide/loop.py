"""The ablation loop: greedy recipe building from candidate blocks, every decision against seed noise.

For each candidate (in config order): variant = current recipe + candidate, processed, tokenized with the
experiment's tokenizer, trained with N seeds at the same token budget as the current recipe's runs (paired seeds),
evaluated at every checkpoint, and decided (ablations/decide/stats.py). Inconclusive verdicts buy one more seed pair
at a time up to ``max_seeds``. A kept block joins the recipe and the next candidate starts from it (as FineWeb built
its recipe). Every stage is a hashed folder (pipelines/stages.py), so variants share what they have in common and a
finished experiment reruns in seconds. In plan mode (the SLURM driver) nothing runs: the loop asks each stage
``finished()`` and records what the next decision still needs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ablations.decide.guard import LOG_FILE, alarm, books_kept, failure_reason, removed_shares, untrained
from ablations.decide.progress import clear_verdicts, report_verdict
from ablations.decide.rates import at_rate, decide_at_rates
from ablations.decide.stats import Verdict, decide
from ablations.eval.evaluator import Evaluator
from ablations.recipe.schema import CandidateSpec, RecipeConfig
from ablations.train.training_run import TrainingRun
from pipelines.chain import run_chain
from pipelines.config import BlockSpec, DataConfig
from pipelines.stages import Stage

if TYPE_CHECKING:
    from ablations.run_context import RunContext


def first_seeds(cfg: RecipeConfig) -> list[int]:
    """The seeds every comparison starts with: ``ablation.seeds`` of them from ``experiment.seed`` on."""
    return [cfg.experiment.seed + i for i in range(cfg.ablation.seeds)]


@dataclass
class Need:
    """An unfinished stage a decision waits for: a variant's preparation (its tokens stage, the last of it), or a
    training run to train or only to evaluate."""

    kind: str  # "prepare" | "train" | "eval"
    variant: Variant
    stage: Stage
    seed: int | None = None


class Pending(Exception):
    """Plan mode: the loop cannot go on before these stages finish."""

    def __init__(self, needs: list[Need]):
        super().__init__(f"{len(needs)} stages to run")
        self.needs = needs


class StageGivenUp(RuntimeError):
    """A stage whose SLURM attempts are spent (``executor.slurm.max_retries``): its candidate fails."""


class Plan:
    """What a plan-mode pass of the loop found unfinished, each stage once."""

    def __init__(self) -> None:
        self.needs: list[Need] = []

    def need(self, n: Need) -> None:
        if all(m.stage.folder != n.stage.folder for m in self.needs):
            self.needs.append(n)

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
    empty: bool = False  # its processing kept no book: nothing to tokenize or train
    learning_rate: float | None = None  # trained at another rate than training.learning_rate (decide/rates.py)

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
        context: RunContext,
        evaluator: Evaluator | None,
        tokenizer_dir: Path,
        progress: bool = True,
        plan: Plan | None = None,
        given_up: dict[str, str] | None = None,
    ):
        self.context = context
        self.cfg = context.cfg
        self.evaluator = evaluator
        self.tokenizer_dir = tokenizer_dir
        self.progress = progress
        self.plan = plan  # set: nothing runs, the loop records what is unfinished (ablations/slurm/)
        self.given_up = given_up or {}  # stage folder name -> why SLURM gave up on it (ablations/slurm/driver.py)
        self.decisions: list[dict] = []
        self.variants: list[Variant] = []

    # --- stages of one variant -------------------------------------------------------------------------------
    def prepare(self, v: Variant) -> Variant:
        """Process and tokenize the variant. In plan mode nothing runs unless finished (then it is reused): the
        folders are named (hashes of their inputs) and an unfinished preparation is recorded. A variant whose
        processing keeps no book is marked ``empty``, is not tokenized and is not one of the loop's variants."""
        processing = self.context.processing(v.blocks(), v.data, progress=self.progress)
        tokens = self.context.tokens(processing[-1].folder, self.tokenizer_dir)
        v.process, v.tokens = processing[-1].folder, tokens.folder
        processed = self.plan is None or all(s.finished() for s in processing)
        if not processed and not tokens.finished():
            self.refuse_given_up(tokens, v)
            self.plan.need(Need("prepare", v, tokens))
            self.variants.append(v)
            return v
        v.summary = run_chain(processing).summary
        if books_kept(v.summary) == 0:
            v.empty = True
            return v
        self.refuse_given_up(tokens, v)
        if self.plan is not None and not tokens.finished():
            self.plan.need(Need("prepare", v, tokens))
        else:
            tokens.run()
        self.variants.append(v)
        return v

    def training_run(self, v: Variant, seed: int) -> TrainingRun:
        """The training run of a prepared variant and seed (training and the evaluation of its checkpoints)."""
        return TrainingRun(
            at_rate(self.cfg, v.learning_rate),
            v.tokens,
            seed,
            self.context.stages,
            self.tokenizer_dir,
            v.name,
            self.evaluator,
            self.progress,
        )

    def train(self, v: Variant, seed: int) -> dict | None:
        """Train one run and evaluate its checkpoints (reused when finished): its record. In plan mode, record what
        is left (training, or only the evaluation of a trained run) and return None."""
        if seed in v.runs:
            return v.runs[seed]
        stage = self.training_run(v, seed)
        self.refuse_given_up(stage, v)
        if self.plan is not None and not stage.finished():
            self.plan.need(Need("eval" if stage.trained() else "train", v, stage, seed))
            return None
        v.runs[seed] = stage.run().manifest
        return v.runs[seed]

    def refuse_given_up(self, stage: Stage, v: Variant) -> None:
        """An unfinished stage of a candidate's variant that SLURM gave up on is not tried again: the candidate fails.
        (The baseline's stages are not given up: without them nothing can be decided, and the driver fails.)"""
        if v.name != "baseline" and stage.folder.name in self.given_up and not stage.finished():
            raise StageGivenUp(self.given_up[stage.folder.name])

    # --- the loop --------------------------------------------------------------------------------------------
    def final_results(self, v: Variant, seeds: list[int]) -> list[dict | None]:
        """Scores at the last checkpoint of each seed's run (None for a run still to do, in plan mode)."""
        runs = [self.train(v, s) for s in seeds]
        return [r["evals"][-1]["tasks"] if r else None for r in runs]

    def run(self) -> Variant:
        """The greedy loop; every candidate gets a decision, even one that removes every book or raises."""
        current = self.prepare(Variant("baseline", list(self.cfg.clean), list(self.cfg.filter)))
        clear_verdicts(self.context.folder)
        for cand in self.cfg.ablation.candidates:
            try:
                decision, variant = self.decide(current, cand)
            except Pending:
                raise
            except Exception as e:  # any candidate may fail without harming the experiment: recorded, loop goes on
                reason = failure_reason(self.context.folder, cand.id, e)
                log = self.context.folder / LOG_FILE
                print(f"WARNING: candidate {cand.id} failed ({log}): {reason}", file=sys.stderr, flush=True)
                decision = untrained(
                    cand, current.name, f"{current.name}+{cand.id}", "failed", reason, self.cfg.ablation.confidence
                )
                variant = current  # not kept: the next candidate starts from the same recipe
            self.decisions.append(decision)
            report_verdict(self.context.folder, self.decisions)  # a line now, and verdicts.json for --status
            if decision["verdict"] == "keep":
                current = variant
        return current

    def decide(self, current: Variant, cand: CandidateSpec) -> tuple[dict, Variant]:
        """Prepare, train and decide one candidate on top of ``current``: its decision record and its variant."""
        ab = self.cfg.ablation
        confidence = per_look_confidence(ab.confidence, ab.seeds, ab.max_seeds)
        variant = self.prepare(with_candidate(current, cand))
        removed = removed_shares(current.summary, current.tokens, variant.summary, variant.tokens)
        marks = {"removed": removed, "alarm": alarm(cand.id, current.name, removed, ab.removal_alarm)}
        if variant.empty:
            reason = "removes 100% of books"
            return untrained(cand, current.name, variant.name, "drop", reason, confidence) | marks, variant
        verdict = self.compare(current, variant)
        record = {
            "candidate": cand.id,
            "section": cand.section,
            "baseline": current.name,
            "variant": variant.name,
            "confidence": confidence,
            **verdict.as_dict(),
        }
        if ab.learning_rates:  # the same decision at the other learning rates (ablations/decide/rates.py)
            record = decide_at_rates(self, current, variant, record)
        return record | marks, variant

    def compare(self, current: Variant, variant: Variant) -> Verdict:
        """The verdict of ``variant`` against ``current`` on paired seeds; inconclusive ones buy seeds up to
        ``max_seeds``."""
        cfg, ab = self.cfg, self.cfg.ablation
        base_seed = cfg.experiment.seed
        weights = {t.name: t.weight for t in cfg.evaluation.tasks}
        confidence = per_look_confidence(ab.confidence, ab.seeds, ab.max_seeds)
        seeds = first_seeds(cfg)
        while True:
            before, after = self.final_results(current, seeds), self.final_results(variant, seeds)
            if self.plan is not None:
                self.plan.check()  # raises Pending with everything this decision still needs
            verdict = decide(before, after, weights, confidence, ab.bootstrap_samples, base_seed)
            if verdict.verdict != "inconclusive" or len(seeds) >= ab.max_seeds:
                return verdict
            seeds.append(base_seed + len(seeds))


def per_look_confidence(confidence: float, seeds: int, max_seeds: int) -> float:
    """Confidence of each interval when inconclusive verdicts buy seeds: up to ``max_seeds - seeds + 1`` looks at
    the same comparison, so each look spends an equal share of the error rate (Bonferroni) and the chance of any
    false keep/drop stays within ``1 - confidence``."""
    looks = max(1, max_seeds - seeds + 1)
    return 1 - (1 - confidence) / looks
