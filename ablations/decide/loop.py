"""The ablation loop: greedy recipe building from candidate blocks, every decision against seed noise.

For each candidate (in config order): variant = current recipe + candidate, processed, tokenized with the
experiment's tokenizer, trained with N seeds at the same token budget as the current recipe's runs (paired seeds),
evaluated at every checkpoint, and decided (ablations/decide/stats.py). Inconclusive verdicts buy one more seed pair
at a time up to ``max_seeds``. A kept block joins the recipe and the next candidate starts from it (as FineWeb built
its recipe). A sweep's variants (ablations/recipe/candidates.py) are each the current recipe + one variant, trained
beside each other against the same runs of the current recipe, at a confidence corrected for their number; at most
the best kept one joins (ablations/decide/sweep.py). Every stage is a hashed folder (pipelines/stages.py), so
variants share what they have in common and a finished experiment reruns in seconds. In plan mode (the SLURM
driver) nothing runs: the loop asks each stage ``finished()`` and records what the next decision still needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ablations.decide.guard import LOG_FILE, alarm, books_kept, failure_reason, removed_shares, settle, untrained
from ablations.decide.progress import clear_verdicts, report_verdict
from ablations.decide.rates import at_rate, decide_at_rates
from ablations.decide.stats import Verdict, average_checkpoints, decide
from ablations.decide.sweep import sweep_line, sweep_records
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
    dedup: list[DedupSpec] | None = None  # its dedup stages; None: the recipe's
    learning_rate: float | None = None  # trained at another rate than training.learning_rate (decide/rates.py)

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
        """Process and tokenize the variant. In plan mode nothing runs unless finished (then it is reused): the
        folders are named (hashes of their inputs) and an unfinished preparation is recorded. A variant whose
        processing keeps no book is marked ``empty``, is not tokenized and is not one of the loop's variants."""
        processing = self.context.processing(v.blocks(), v.data, progress=self.progress, dedup=v.dedup)
        tokens = self.context.tokens(processing[-1].folder, self.tokenizer_dir)
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
        if self.plan is not None and not tokens.finished():
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
        for cand in cfg.ablation.candidates:
            try:
                records, kept = self.decide(current, cand)
            except Pending:
                raise
            except Exception as e:  # any candidate may fail without harming the experiment: recorded, loop goes on
                records, kept = [self.failed(cand, current, e)], None  # the next candidate starts from the same recipe
            for record in records:
                self.decisions.append(record)
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

    def decide(self, current: Variant, cand: CandidateSpec) -> tuple[list[dict], Variant | None]:
        """Prepare, train and decide a candidate's variants (one, or a sweep's) on top of ``current``: their decision
        records (in config order) and the variant that joins the recipe (None: none is kept)."""
        ab = self.cfg.ablation
        variants = cand.variants()
        confidence = per_look_confidence(ab.confidence, ab.seeds, ab.max_seeds, len(variants))
        records: dict[str, dict] = {}
        prepared: dict[str, tuple[CandidateVariant, Variant]] = {}
        for cv in variants:
            try:
                variant = self.prepare(with_candidate(current, cv))
            except Pending:
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
        """Train and decide ``variants`` against ``current`` with paired seeds: while no variant is kept, the
        inconclusive ones buy one more seed pair at a time, up to ``max_seeds``. A variant whose training raises is
        recorded as failed in ``records``. The last verdict of each variant."""
        cfg, ab = self.cfg, self.cfg.ablation
        weights = {t.name: t.weight for t in cfg.evaluation.tasks}
        seeds, verdicts, open_ = first_seeds(cfg), {}, list(variants)
        while open_:
            before, after = self.final_results(current, seeds), {}
            for vid in open_:
                try:
                    after[vid] = self.final_results(variants[vid][1], seeds)
                except Pending:
                    raise
                except Exception as e:  # recorded as failed; the sweep's other variants go on
                    records[vid] = self.failed(variants[vid][0], current, e)
                    verdicts.pop(vid, None)
            if self.plan is not None:
                self.plan.check()  # raises Pending with everything these decisions still need
            for vid, results in after.items():
                verdicts[vid] = decide(before, results, weights, confidence, ab.bootstrap_samples, cfg.experiment.seed)
            open_ = [vid for vid in after if verdicts[vid].verdict == "inconclusive"]
            if len(seeds) >= ab.max_seeds or any(v.verdict == "keep" for v in verdicts.values()):
                break
            seeds.append(cfg.experiment.seed + len(seeds))
        return verdicts


def per_look_confidence(confidence: float, seeds: int, max_seeds: int, variants: int = 1) -> float:
    """Confidence of each interval when inconclusive verdicts buy seeds: up to ``max_seeds - seeds + 1`` looks at
    the same comparison, so each look spends an equal share of the error rate (Bonferroni) and the chance of any
    false keep/drop stays within ``1 - confidence``. A sweep's ``variants`` are as many comparisons, and the best is
    chosen among them: Bonferroni over the variants too, ``1 - (1 - confidence) / (looks x variants)``."""
    looks = max(1, max_seeds - seeds + 1)
    return 1 - (1 - confidence) / (looks * max(1, variants))
