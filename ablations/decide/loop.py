"""The ablation loop: greedy recipe building from candidate blocks, every decision against seed noise.

Per candidate (in config order): variant = current recipe + candidate, processed, checked for train/eval overlap
(eval/decontam.py), tokenized, trained with N paired seeds at the current recipe's token budget, evaluated at every
checkpoint, decided (decide/stats.py); inconclusive verdicts buy a seed pair at a time up to ``max_seeds``
(decide/rounds.py). Each candidate's intervals spend a share of the recipe's error rate, split again among its
looks and variants (decide/family.py). A kept block joins the recipe, the next candidate starts from it (as FineWeb
did). A sweep's variants (recipe/candidates.py) train side by side against the same runs of the current recipe; at
most the best kept one joins (decide/sweep.py). Stages are hashed folders (pipelines/stages.py), shared by
variants. In plan mode (SLURM driver) nothing runs: the loop asks each stage ``finished()`` and records what is
still needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ablations.decide.family import ErrorBudget, per_look_confidence
from ablations.decide.guard import LOG_FILE, alarm, books_kept, failure_reason, removed_shares, settle, untrained
from ablations.decide.pending import Need, Pending, Plan, StageGivenUp
from ablations.decide.progress import clear_verdicts, report_verdict
from ablations.decide.rates import at_rate, decide_at_rates
from ablations.decide.rounds import seed_rounds
from ablations.decide.stats import Verdict, average_checkpoints
from ablations.decide.sweep import sweep_line, sweep_records
from ablations.eval.decontam import Contaminated, enforce
from ablations.eval.evaluator import Evaluator
from ablations.recipe.candidates import CandidateSpec, CandidateVariant
from ablations.recipe.schema import RecipeConfig
from ablations.train.training_run import TrainingRun
from pipelines.chain import run_chain
from pipelines.config import BlockSpec, DataConfig
from pipelines.console import say
from pipelines.dedup.config import DedupSpec
from pipelines.stages import Stage

if TYPE_CHECKING:
    from ablations.run_context import RunContext


def first_seeds(cfg: RecipeConfig) -> list[int]:
    """The seeds every comparison starts with: ``ablation.seeds`` of them from ``experiment.seed`` on."""
    return [cfg.experiment.seed + i for i in range(cfg.ablation.seeds)]


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
    dedup: list[DedupSpec] | None = None  # its dedup stages; None: the recipe's
    learning_rate: float | None = None  # trained at another rate than training.learning_rate (decide/rates.py)
    overlap: dict = field(default_factory=dict)  # its train/eval overlap, and what was removed (eval/decontam.py)

    def blocks(self) -> list[BlockSpec]:
        return [*self.clean, *self.filter]


def with_candidate(v: Variant, c: CandidateSpec | CandidateVariant) -> Variant:
    """``v`` plus the candidate (a candidate without a sweep, or one variant of a sweep), named by its id. A dedup
    candidate's stage runs after ``v``'s dedup stages."""
    if isinstance(c, CandidateSpec):
        (c,) = c.variants()  # a sweep has several: pass one of them
    clean = [*v.clean, c.spec] if c.section == "clean" else list(v.clean)
    filt = [*v.filter, c.spec] if c.section == "filter" else list(v.filter)
    dedup = [*(v.dedup or []), c.spec] if c.section == "dedup" else v.dedup
    return Variant(f"{v.name}+{c.id}", clean, filt, data=v.data, dedup=dedup)


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
        """Process, check the train/eval overlap (``Contaminated`` stops the run) and tokenize the variant. In plan
        mode nothing runs unless finished (then it is reused): the folders are named (hashes of their inputs) and an
        unfinished preparation is recorded. A variant whose processing keeps no book is marked ``empty``."""
        processing = self.context.processing(v.blocks(), v.data, progress=self.progress, dedup=v.dedup)
        check, tokens = self.context.checked_tokens(processing[-1].folder, self.tokenizer_dir, self.evaluator)
        v.process, v.tokens = processing[-1].folder, tokens.folder
        processed = self.plan is None or all(s.finished() for s in processing)
        if not processed and not tokens.finished():
            self.refuse_given_up(tokens, v)
            self.plan.need(Need("prepare", v, tokens))
            self.variants.append(v)
            return v
        v.summary = run_chain(processing, v.name).summary
        if books_kept(v.summary) == 0:
            v.empty = True
            return v
        self.refuse_given_up(tokens, v)
        if self.plan is None or check.finished():  # before tokenizing (ablations/eval/decontam.py)
            v.overlap = enforce(check.run(v.name), v.name, self.cfg.evaluation)
        if self.plan is not None and not (check.finished() and tokens.finished()):
            self.plan.need(Need("prepare", v, tokens))
        else:
            tokens.run(v.name)
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
            self.context.evaluation_key,
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
        """The scores each seed's run is decided on: its last checkpoint's, or their mean over the last
        ``ablation.average_checkpoints`` checkpoints (None for a run still to do, in plan mode)."""
        runs = [self.train(v, s) for s in seeds]
        k = self.cfg.ablation.average_checkpoints
        return [average_checkpoints(r["evals"], k) if r else None for r in runs]

    def run(self) -> Variant:
        """The greedy loop; every candidate gets a decision, even one that removes every book or raises."""
        cfg = self.cfg
        current = self.prepare(Variant("baseline", list(cfg.clean), list(cfg.filter), dedup=list(cfg.dedup)))
        clear_verdicts(self.context.folder)
        budget = ErrorBudget.of(cfg.ablation)  # the recipe's error rate, shared among its candidates (family.py)
        for cand in cfg.ablation.candidates:
            share = budget.share()
            try:
                records, kept = self.decide(current, cand, share)
            except (Pending, Contaminated):
                raise
            except Exception as e:  # any candidate may fail without harming the experiment: recorded, loop goes on
                records, kept = [self.failed(cand, current, e)], None  # the next candidate starts from the same recipe
            budget.spend(share, trained=any(r["seeds"] for r in records))
            for record in records:
                self.decisions.append(record | budget.marks())
                report_verdict(self.context.folder, self.decisions)  # a line now, and verdicts.json for --status
            if line := sweep_line(records):
                say(line)
            current = kept or current
        return current

    def failed(self, cand: CandidateSpec | CandidateVariant, current: Variant, error: Exception) -> dict:
        """The record of a candidate (or a sweep's variant) whose processing or training raised."""
        reason = failure_reason(self.context.folder, cand.id, error)
        log = self.context.folder / LOG_FILE
        say(f"WARNING: candidate {cand.id} failed ({log}): {reason}", err=True)
        confidence = self.cfg.ablation.confidence
        return untrained(cand, current.name, f"{current.name}+{cand.id}", "failed", reason, confidence)

    def decide(self, current: Variant, cand: CandidateSpec, share: float) -> tuple[list[dict], Variant | None]:
        """Prepare, train and decide a candidate's variants (one, or a sweep's) on top of ``current``, at the error
        rate ``share`` of the recipe's (ablations/decide/family.py): their decision records (in config order) and
        the variant that joins the recipe (None: none is kept)."""
        ab = self.cfg.ablation
        variants = cand.variants()
        confidence = per_look_confidence(1 - share, ab.seeds, ab.max_seeds, len(variants))
        records: dict[str, dict] = {}
        prepared: dict[str, tuple[CandidateVariant, Variant]] = {}
        for cv in variants:
            try:
                variant = self.prepare(with_candidate(current, cv))
            except (Pending, Contaminated):
                raise
            except Exception as e:  # one variant of a sweep may fail; the others are decided
                records[cv.id] = self.failed(cv, current, e)
                continue
            removed = removed_shares(current.summary, current.tokens, variant.summary, variant.tokens)
            marks = {"removed": removed, "alarm": alarm(cv.id, current.name, removed, ab.removal_alarm)}
            settled = settle(current, variant)  # it keeps no book, or changes no token: not trained
            if settled:
                records[cv.id] = untrained(cv, current.name, variant.name, *settled, confidence) | marks
            else:
                prepared[cv.id] = (cv, variant)
                records[cv.id] = marks
        verdicts = self.seed_rounds(current, prepared, confidence, records)
        if ab.learning_rates:  # the same decisions at the other learning rates (ablations/decide/rates.py)
            verdicts = decide_at_rates(self, current, prepared, verdicts, confidence, records)
        kept = sweep_records(cand, variants, current.name, prepared, verdicts, records, confidence)
        return [records[cv.id] for cv in variants], prepared[kept][1] if kept else None

    def seed_rounds(
        self,
        current: Variant,
        variants: dict[str, tuple[CandidateVariant, Variant]],
        confidence: float,
        records: dict[str, dict],
    ) -> dict[str, Verdict]:
        """Train and decide ``variants`` against ``current`` from the first seeds on (ablations/decide/rounds.py)."""
        return seed_rounds(self, current, variants, first_seeds(self.cfg), confidence, records)
