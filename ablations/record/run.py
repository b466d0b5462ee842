"""The run record: one typed file, ``run.json``, saying what an experiment ran and decided.

The experiment writes it once, when the ablation loop has finished (``finish_ablation`` in ablations/experiment.py),
after the files written from it (decisions.json, results.parquet, report.md, final_recipe.yaml), so its presence
marks a finished run. The report, the recipe doc, the release and the notebook read it through ``read_run``; none
of them parses the resolved YAML or re-derives the greedy path. Stage folders are named relative to the run
folder's ``stages/``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ablations.recipe.loader import dump_recipe
from ablations.recipe.schema import RecipeConfig
from ablations.record.environment import Environment
from pipelines.config import BlockSpec, DataConfig
from pipelines.dedup.config import DedupSpec

RUN_FILE = "run.json"
RESOLVED_FILE = "config.resolved.yaml"  # written by the experiment when it starts
FORMAT = "finebooks-run-1"
SCORES_FILE = "evals.jsonl"  # per-item scores of every checkpoint, in a train stage folder


class RunFolderError(ValueError):
    """A run folder that lacks what is asked of it (an unfinished run, an older version's, or not a run folder)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")


class DocumentSummary(_Model):
    """Books through a variant's processing (pipelines/stats.py): read, kept, dropped per block or dedup stage and
    reason, skipped per source and reason. Other keys of the pipeline's summary (the dedup stages) are kept."""

    model_config = ConfigDict(extra="allow", validate_by_name=True, serialize_by_alias=True)

    in_: dict[str, int] = Field(alias="in")
    kept: dict[str, int]
    dropped: dict[str, dict[str, int]] = Field(default_factory=dict)
    skipped: dict[str, dict[str, int]] = Field(default_factory=dict)
    unaccounted: int = 0


class VariantRecord(_Model):
    """A recipe the loop processed, tokenized and trained: the baseline, or a current recipe plus one candidate."""

    name: str
    clean: list[BlockSpec]
    filter: list[BlockSpec]
    data: DataConfig | None = None  # other input data than the recipe's
    dedup: list[DedupSpec] | None = None  # other dedup stages than the recipe's (a dedup candidate's variant)
    processing: list[str] = Field(min_length=1)  # process stage, then each dedup stage; the last holds the books
    tokens: str  # the tokens stage folder
    token_count: int  # tokens of the variant's data under the run's tokenizer
    summary: DocumentSummary

    @property
    def blocks(self) -> list[str]:
        """Block ids, in pipeline order."""
        return [b.id for b in [*self.clean, *self.filter]]


class Checkpoint(_Model):
    step: int
    tokens: int  # trained so far
    loss: float | None
    scores: dict[str, dict[str, float]]  # task -> metric -> mean over items
    items: dict[str, int]  # task -> items scored


class TrainRun(_Model):
    """One (variant, seed) training run and the evaluation of its checkpoints."""

    variant: str
    seed: int
    folder: str  # the train stage folder; its SCORES_FILE has the per-item scores
    steps: int
    tokens: int  # trained
    available_tokens: int  # in the variant's data
    epochs: float
    checkpoints: list[Checkpoint]


class TaskDelta(_Model):
    baseline: float
    variant: float
    delta: float
    delta_std_units: float  # in baseline item standard deviations
    weight: float


class RateVerdict(_Model):
    """A candidate's decision at one learning rate of ``ablation.learning_rates`` (ablations/decide/rates.py)."""

    verdict: Literal["keep", "drop", "inconclusive"]
    delta: float
    low: float
    high: float
    seeds: int
    mde: float


class Decision(_Model):
    """A candidate's verdict (ablations/decide/stats.py) against the recipe it was added to. A candidate decided
    without training (ablations/decide/guard.py: it removes every book, changes nothing, or it failed) has a
    ``reason``, 0 seeds and no interval; its variant may not be recorded."""

    candidate: str
    section: Literal["clean", "filter", "dedup"]
    baseline: str  # the variant the candidate was tried on (the current recipe)
    variant: str
    confidence: float  # of each look's interval
    # outranked: a sweep's variant whose interval is above 0 while another variant of the sweep scored higher;
    # no_change: its variant's tokens are the recipe's, so it was not trained
    verdict: Literal["keep", "drop", "inconclusive", "failed", "outranked", "no_change"]
    reason: str | None = None  # why it was decided without training
    delta: float | None
    low: float | None
    high: float | None
    se: float | None
    seeds: int
    mde: float | None  # minimum detectable effect at 80% power
    seeds_for_observed: int | None
    per_task: dict[str, TaskDelta]
    removed: dict[str, float] = Field(default_factory=dict)  # share of the base's books / tokens it removes
    alarm: bool = False  # a share above ablation.removal_alarm
    learning_rates: dict[str, RateVerdict] = Field(default_factory=dict)  # rate -> its decision, when several
    sweep: str | None = None  # the candidate's id when this is one variant of its sweep
    values: dict[str, Any] = Field(default_factory=dict)  # the variant's swept parameter path -> value
    variants: int = 1  # variants of its candidate (the confidence is corrected for them)
    family_error: float | None = None  # bound on any false keep/drop among the recipe's candidates (decide/family.py)
    family_size: int | None = None  # the recipe's candidates
    winner_bias: float | None = None  # a sweep's kept variant: what choosing the largest delta adds (decide/sweep.py)

    @property
    def trained(self) -> bool:
        return self.seeds > 0

    def note(self) -> str:
        """The reason, the removal alarm, the verdicts by learning rate and a sweep winner's bias, for reports."""
        notes = [self.reason] if self.reason else []
        if self.alarm:
            notes.append("ALARM: removes " + " and ".join(f"{s:.0%} of {k}" for k, s in self.removed.items()))
        if self.learning_rates:
            notes.append("by learning rate: " + ", ".join(f"{r} {d.verdict}" for r, d in self.learning_rates.items()))
        if self.winner_bias is not None:
            notes.append(f"the largest delta of its sweep: selection adds about {self.winner_bias:+.4f} on average")
        return "; ".join(notes)


class Step(_Model):
    candidate: str
    tried_on: str  # the current recipe's variant
    variant: str
    kept: bool  # the variant became the current recipe


class GreedyPath(_Model):
    steps: list[Step]
    final: str  # the final recipe's variant


def greedy_path(decisions: list[dict], final: str) -> GreedyPath:
    """The loop's path as its decisions state it (each names the variant it was tried on), ending at ``final``."""
    steps = [
        Step(candidate=d["candidate"], tried_on=d["baseline"], variant=d["variant"], kept=d["verdict"] == "keep")
        for d in decisions
    ]
    return GreedyPath(steps=steps, final=final)


class RunRecord(_Model):
    """Everything a finished experiment ran and decided. ``run_dir`` (not written) is the folder it was read from."""

    format: Literal["finebooks-run-1"] = FORMAT
    recipe: RecipeConfig  # resolved: every default filled in
    environment: Environment  # where the run ran (as it started)
    tokenizer: str  # the tokenizer stage folder
    variants: list[VariantRecord]
    runs: list[TrainRun]  # by variant (in loop order), then seed
    decisions: list[Decision]
    greedy: GreedyPath
    overlap: dict[str, dict[str, float]]  # variant -> task -> share of items with an n-gram in its training data
    decontamination: dict[str, dict[str, Any]] = {}  # variant -> overlap "before", "removed" documents and tokens
    run_dir: Path = Field(exclude=True)

    @model_validator(mode="after")
    def _names_are_variants(self) -> RunRecord:
        names = {v.name for v in self.variants}
        used = [r.variant for r in self.runs] + [self.greedy.final, *self.overlap]
        used += [n for d in self.decisions for n in (d.baseline, d.variant) if d.trained or n == d.baseline]
        unknown = sorted(set(used) - names)
        if unknown:
            raise ValueError(f"names no recorded variant: {unknown}")
        return self

    def variant(self, name: str) -> VariantRecord:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(
            f"{self.run_dir / RUN_FILE} records no variant {name!r} (it has {[v.name for v in self.variants]})"
        )

    def runs_of(self, variant: str) -> list[TrainRun]:
        return [r for r in self.runs if r.variant == variant]

    def stage(self, folder: str) -> Path:
        return self.run_dir / "stages" / folder

    def books(self, v: VariantRecord) -> Path:
        """The folder of the variant's books (JSONL), its last processing stage's ``output/``."""
        folder = self.stage(v.processing[-1]) / "output"
        if not folder.is_dir():
            raise RunFolderError(f"{folder} is missing: the stage folders of {self.run_dir} were moved or deleted")
        return folder

    def excluded(self, v: VariantRecord, block_id: str) -> Path:
        """Where the process stage wrote the books ``block_id`` dropped (blocks with keep_dropped)."""
        return self.stage(v.processing[0]) / "excluded" / block_id

    def scores_file(self, run: TrainRun) -> Path:
        return self.stage(run.folder) / SCORES_FILE

    def final_recipe(self) -> RecipeConfig:
        """The recipe with the blocks of the final variant and no candidates, ready to run."""
        final = self.variant(self.greedy.final)
        cfg = self.recipe.model_copy(deep=True)
        cfg.clean, cfg.filter = list(final.clean), list(final.filter)
        if final.dedup is not None:
            cfg.dedup = list(final.dedup)
        cfg.ablation.candidates = []
        return cfg

    def results_rows(self) -> list[dict[str, Any]]:
        """One row per variant x seed x task x checkpoint (means over items), with the run's epochs: the rows of
        ``results.parquet``."""
        rows = []
        for r in self.runs:
            for c in r.checkpoints:
                for task, metrics in c.scores.items():
                    rows.append(
                        {"variant": r.variant, "seed": r.seed, "task": task, "step": c.step, "tokens": c.tokens}
                        | {"epochs": r.epochs, "items": c.items[task], **metrics}
                    )
        return rows


def write_run(record: RunRecord) -> Path:
    """Write ``run.json`` into the record's run folder (atomically: a reader sees the whole record or none)."""
    path = record.run_dir / RUN_FILE
    tmp = path.with_name(RUN_FILE + ".tmp")
    tmp.write_text(record.model_dump_json(indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_run(run_dir: Path) -> RunRecord:
    """The record of the finished run in ``run_dir``; RunFolderError naming the file when there is none."""
    run_dir = Path(run_dir).resolve()
    path = run_dir / RUN_FILE
    rerun = (
        f"run its recipe again (`python run_ablation.py {run_dir / RESOLVED_FILE}`, or the recipe it came "
        "from): every finished stage is reused, and the record is written at the end"
    )
    if not path.is_file():
        if (run_dir / "decisions.json").is_file():
            raise RunFolderError(f"{path} is missing: {run_dir} was written by an older version of FineBooks; {rerun}")
        raise RunFolderError(
            f"{path} is missing: is {run_dir} a finished run folder (all stages of run_ablation.py)? An unfinished "
            f"run, or one stopped with --stage process or tokenize, has no record: {rerun}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise RunFolderError(f"{path}: not valid JSON ({e}); {rerun}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise RunFolderError(f"{path}: format {found!r}, this version reads {FORMAT!r}; {rerun}")
    try:
        record = RunRecord.model_validate({**data, "run_dir": run_dir})
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()[:5])
        raise RunFolderError(f"{path} is not a valid run record ({problems}); {rerun}") from None
    resolved = run_dir / RESOLVED_FILE
    if resolved.is_file() and resolved.read_text(encoding="utf-8") != dump_recipe(record.recipe):
        raise RunFolderError(
            f"{resolved} is not the recipe {path} records: a later run of another recipe started in {run_dir} and "
            f"has not finished; {rerun}"
        )
    return record
