"""The recipe schema: one YAML file describes the whole experiment.

Sections owned by ``pipelines/`` (data, blocks, executor) are composed here with the experiment-level ones.
The tokenizer, model, training, evaluation, ablation and tracking sections are validated and recorded now;
the ablation loop consumes them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ablations.eval.tasks import TASKS, check_task, resolve_task, task_metric
from ablations.recipe.candidates import CandidateSpec
from ablations.recipe.seeds import seed_random_plugins
from ablations.train.backends import BACKENDS, trainer_backend
from pipelines.config import BlockSpec, DataConfig, ExecutorConfig, SourceSpec, Strict
from pipelines.dedup.config import DedupSpec
from pipelines.markdown.config import OutputConfig


class ExperimentConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="run folder name")
    output_dir: str = Field("runs", description="run folders go to <output_dir>/<name>")
    seed: int = Field(0, description="base seed of every random choice (sampling, init, data order)")


class TokenizerConfig(Strict):
    kind: Literal["train", "pretrained"] = "train"
    pretrained: str | None = Field(None, description="name or local path of a tokenizer when kind=pretrained")
    vocab_size: int = Field(2048, ge=260, description="byte-level BPE vocabulary (trained with `tokenizers`)")
    sample_documents: int = Field(200, ge=1, description="documents of the baseline data it is trained on")
    sample_chars: int = Field(2_000_000, ge=1000, description="characters of that sample at most")


class ModelConfig(Strict):
    architecture: Literal["llama"] = "llama"
    hidden_size: int = Field(64, ge=8)
    num_layers: int = Field(2, ge=1)
    num_heads: int = Field(4, ge=1)
    intermediate_size: int = Field(256, ge=8)
    max_seq_len: int = Field(128, ge=8, description="training sequence length")


class NanotronConfig(Strict):
    """How a SLURM training job runs nanotron (training.backend: nanotron; docs/nanotron.md)."""

    run_train: str | None = Field(None, description="path of run_train.py in a clone of nanotron's repository")
    env_command: str | None = Field(None, description="shell line activating the nanotron environment in the job")
    tp: int = Field(1, ge=1, description="tensor-parallel size")
    pp: int = Field(1, ge=1, description="pipeline-parallel size")
    micro_batch_size: int | None = Field(
        None, ge=1, description="sequences per GPU per forward; None = no accumulation"
    )


class TrainingConfig(Strict):
    backend: str = Field(
        "hf",
        description="hf: ablations/train/hf.py (CPU or GPUs); nanotron: SLURM GPU jobs (docs/nanotron.md); or a "
        "dotted path to a user's TrainerBackend subclass (ablations/train/backends.py)",
    )
    params: dict[str, Any] = Field(default_factory=dict, description="the backend's own parameters (its __init__)")
    nanotron: NanotronConfig = NanotronConfig()
    token_budget: int = Field(500_000, ge=1, description="tokens every variant trains on (data repeats if short)")
    batch_size: int = Field(16, ge=1, description="sequences per optimizer step")
    learning_rate: float = Field(3e-3, gt=0)
    min_lr_ratio: float = Field(0.1, ge=0, le=1, description="cosine schedule floor, as a fraction of the peak")
    warmup_steps: int = Field(10, ge=0)
    weight_decay: float = Field(0.1, ge=0)
    grad_clip: float = Field(1.0, gt=0)
    checkpoints: int = Field(4, ge=1, description="evenly spaced checkpoints, each one evaluated (last = end)")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    data_order: Literal["paired", "shuffled"] = Field(
        "paired",
        description="paired: every variant reads the documents it shares with the others in the same seeded order "
        "(less seed noise; ablations/train/order.py); shuffled: an unrelated random order per variant",
    )
    threads: int = Field(
        0, ge=0, description="torch CPU threads; 0 = the CPUs this process may use (affinity, SLURM_CPUS_PER_TASK)"
    )

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, backend: str) -> str:
        BACKENDS.resolve(backend)  # raises PluginError: an unknown name, or a class that is no TrainerBackend
        return backend

    @model_validator(mode="after")
    def _backend_params(self) -> TrainingConfig:
        self.params = BACKENDS.resolve_params(self.backend, self.params)  # raises PluginError naming the parameter
        return self


class EvalTaskConfig(Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: str = Field(
        description=f"a task name ({', '.join(TASKS.names())}) or a dotted path to a user's task: a ChoiceTask or "
        "TextTask subclass (ablations/eval/tasks.py), or a function yielding items from its path"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="the task's own parameters (its signature)")
    path: str | None = Field(None, description="local file or folder; for bpb, None = the held-out documents")
    max_items: int = Field(300, ge=1, description="items sampled (seeded) from the task")
    weight: float = Field(1.0, ge=0, description="weight in the aggregate score; 0 = reported, not decided on")
    metric: str | None = Field(
        None,
        description="a choice task's accuracy, and with it the score decided on: acc, acc_norm (per character, "
        "lighteval's) or acc_norm_token; None = the task's own (acc_norm for hellaswag, piqa, arc_*; else acc)",
    )

    @field_validator("kind")
    @classmethod
    def _known_task(cls, kind: str) -> str:
        resolve_task(kind)  # raises PluginError: an unknown name, or a class that is no task
        return kind

    @model_validator(mode="after")
    def _task_params(self) -> EvalTaskConfig:
        self.params = check_task(self.kind, self.params)  # raises PluginError naming the parameter
        task_metric(self.kind, self.params, self.metric)  # raises PluginError: an unknown metric, or one for bpb
        return self


class HoldoutConfig(Strict):
    source: str = Field(description="data source whose documents are held out")
    text_source: SourceSpec | None = Field(
        None,
        description="where the held-out books' evaluation text comes from, matched by book id (e.g. the gold side "
        "of held-out OCR documents); None = the held-out documents themselves",
    )
    documents: int = Field(ge=1, description="how many (chosen by a seeded hash of the id)")
    chunk_chars: int = Field(1000, ge=100, description="held-out text is scored in chunks of this many characters")


class EvaluationConfig(Strict):
    tasks: list[EvalTaskConfig] = Field(default_factory=list)
    holdout: HoldoutConfig | None = Field(None, description="documents removed from training by id, for bpb")
    overlap_ngram: int = Field(13, ge=5, description="word n-gram size of the train/eval overlap check")
    max_overlap: float = Field(
        0.05,
        ge=0,
        le=1,
        description="most share of a task's items allowed to share an n-gram with a variant's training data, "
        "checked before the variant is tokenized (ablations/eval/decontam.py)",
    )
    on_overlap: Literal["stop", "remove"] = Field(
        "stop",
        description="above max_overlap: stop the run before training, or remove the training documents that share "
        "an n-gram with that task's items (counted in the console, run.json and report.md)",
    )
    batch_size: int = Field(32, ge=1)


class AblationConfig(Strict):
    candidates: list[CandidateSpec] = Field(
        default_factory=list,
        description="blocks or dedup stages tried one at a time, greedily (a sweep: its variants side by side)",
    )
    seeds: int = Field(3, description="paired seeds every comparison starts with (at least 2)")
    max_seeds: int = Field(5, description="cap when inconclusive verdicts buy more seeds (at least seeds)")
    confidence: float = Field(0.95, gt=0, lt=1)
    multiplicity: Literal["bonferroni", "none"] = Field(
        "bonferroni",
        description="bonferroni: the recipe's error rate 1 - confidence is shared among its candidates, so the "
        "chance of any false keep or drop among them stays within it; none: each candidate at confidence "
        "(ablations/decide/family.py)",
    )
    bootstrap_samples: int = Field(1000, ge=100)
    average_checkpoints: int = Field(
        1,
        ge=1,
        description="decide on each item's score averaged over the last N evaluated checkpoints of a run (1: the "
        "last only); fewer than N checkpoints: all of them",
    )
    removal_alarm: float = Field(
        0.5,
        gt=0,
        le=1,
        description="warn (one line, and a mark in the report) when a candidate removes more than this share of the "
        "books or of the tokens of the recipe it is added to",
    )
    learning_rates: list[float] = Field(
        default_factory=list,
        description="decide every candidate at each of these peak learning rates as well, each against the current "
        "recipe trained at the same rate (training.learning_rate is always one of them); empty: only that one",
    )
    require_all_learning_rates: bool = Field(
        False,
        description="a keep (or drop) needs that verdict at every rate of learning_rates, else inconclusive",
    )

    @field_validator("seeds")
    @classmethod
    def _two_seeds(cls, seeds: int) -> int:
        if seeds < 2:
            raise ValueError(
                f"a verdict needs at least 2 seeds, got {seeds}: with one seed its interval holds no seed-to-seed "
                "noise, and false keeps and drops come far above the nominal rate (set seeds: 2 or more)"
            )
        return seeds

    @field_validator("max_seeds")
    @classmethod
    def _no_fewer_than_seeds(cls, max_seeds: int, info: ValidationInfo) -> int:
        seeds = info.data.get("seeds")
        if seeds is not None and max_seeds < seeds:
            raise ValueError(f"max_seeds ({max_seeds}) is below seeds ({seeds}): set it to seeds or more")
        return max_seeds

    @field_validator("learning_rates")
    @classmethod
    def _positive_unique_rates(cls, rates: list[float]) -> list[float]:
        bad = [r for r in rates if not r > 0]
        if bad or len(set(rates)) != len(rates):
            raise ValueError(f"learning rates must be positive and unique, got {rates}")
        return rates

    @field_validator("require_all_learning_rates")
    @classmethod
    def _rates_to_require(cls, require: bool, info: ValidationInfo) -> bool:
        if require and not info.data.get("learning_rates"):
            raise ValueError("needs ablation.learning_rates: the rates at which a verdict must hold")
        return require

    @field_validator("candidates")
    @classmethod
    def _unique_candidate_ids(cls, candidates: list[CandidateSpec]) -> list[CandidateSpec]:
        """Candidates name their stats, exclusion folders and verdicts by id: two with one id would collide."""
        items: dict[str, list[int]] = {}
        for i, c in enumerate(candidates):
            items.setdefault(c.id, []).append(i)
        dup = {cid: where for cid, where in items.items() if len(where) > 1}
        if dup:
            said = "; ".join(f"{cid!r} at items {', '.join(map(str, where))}" for cid, where in dup.items())
            raise ValueError(f"candidate ids must be unique (set `id:` on each variant of a block): {said}")
        return candidates


class TrackingConfig(Strict):
    wandb: Literal["auto", "offline", "online", "disabled"] = Field(
        "auto",
        description="auto: online when logged in to wandb (WANDB_API_KEY or netrc), else offline (local files); "
        "online falls back to offline with a warning when not logged in; disabled: no wandb",
    )
    project: str = "finebooks"


class RecipeConfig(Strict):
    experiment: ExperimentConfig
    data: DataConfig
    clean: list[BlockSpec] = Field(default_factory=list, description="text-rewriting blocks, in order")
    filter: list[BlockSpec] = Field(default_factory=list, description="blocks that drop books or pages")
    dedup: list[DedupSpec] = Field(
        default_factory=list,
        description="dedup stages (minhash, exact, repeated_paragraphs or mypkg.module:MyDedup), run in order",
    )
    tokenizer: TokenizerConfig = TokenizerConfig()
    model: ModelConfig = ModelConfig()
    training: TrainingConfig = TrainingConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    ablation: AblationConfig = AblationConfig()
    executor: ExecutorConfig = ExecutorConfig()
    tracking: TrackingConfig = TrackingConfig()
    output: OutputConfig = Field(OutputConfig(), description="the process stage's output: JSONL or Markdown text")

    @model_validator(mode="after")
    def _candidates_need_tasks(self) -> RecipeConfig:
        if self.ablation.candidates and not any(t.weight > 0 for t in self.evaluation.tasks):
            raise ValueError("ablation.candidates needs evaluation.tasks with weight > 0: a decision needs a task")
        return self

    @model_validator(mode="after")
    def _backend_can_train(self) -> RecipeConfig:
        backend = trainer_backend(self.training)
        problems = backend.check(self)
        if problems:
            where = f" ({backend.docs})" if backend.docs else ""
            raise ValueError(f"training.backend={self.training.backend}: " + "; ".join(problems) + where)
        return self

    @model_validator(mode="after")
    def _unique_block_ids(self) -> RecipeConfig:
        ids = [b.id for b in self.blocks()] + [d.id for d in self.dedup]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"block ids must be unique (set `id:` on repeated blocks); repeated: {dup}")
        taken = sorted({c.id for c in self.ablation.candidates} & set(ids))
        if taken:  # a kept candidate joins the recipe: its id must not be one the recipe already has
            raise ValueError(f"ablation.candidates: ids already used by recipe blocks (set another `id:`): {taken}")
        return self

    @model_validator(mode="after")
    def _seed_random_plugins(self) -> RecipeConfig:
        return seed_random_plugins(self)  # a random plug-in given no seed: one derived from experiment.seed

    def blocks(self) -> list[BlockSpec]:
        """The process-stage blocks (clean, then filter) in pipeline order; the dedup stages run after them."""
        return [*self.clean, *self.filter]
