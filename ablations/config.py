"""The recipe schema: one YAML file describes the whole experiment.

Sections owned by ``pipelines/`` (data, blocks, executor) are composed here with the experiment-level ones.
The tokenizer, model, training, evaluation, ablation and tracking sections are validated and recorded now;
the ablation loop consumes them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipelines.config import BlockSpec, DataConfig, ExecutorConfig, Strict


class ExperimentConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="run folder name")
    output_dir: str = Field("runs", description="run folders go to <output_dir>/<name>")
    seed: int = Field(0, description="base seed of every random choice (sampling, init, data order)")


class TokenizerConfig(Strict):
    kind: Literal["train", "pretrained"] = "train"
    pretrained: str | None = Field(None, description="name or path of a tokenizer to load when kind=pretrained")
    algorithm: Literal["bpe", "byte"] = "bpe"
    vocab_size: int = Field(4096, ge=259)
    sample_documents: int = Field(200, ge=1, description="reference documents the tokenizer is trained on")


class ModelConfig(Strict):
    architecture: Literal["llama"] = "llama"
    hidden_size: int = Field(128, ge=8)
    num_layers: int = Field(2, ge=1)
    num_heads: int = Field(4, ge=1)
    intermediate_size: int = Field(512, ge=8)
    max_seq_len: int = Field(256, ge=8)


class TrainingConfig(Strict):
    backend: Literal["hf", "nanotron"] = "hf"
    token_budget: int = Field(2_000_000, ge=1, description="tokens every variant trains on (data repeats if short)")
    batch_size: int = Field(16, ge=1)
    learning_rate: float = Field(3e-3, gt=0)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    warmup_steps: int = Field(20, ge=0)
    weight_decay: float = Field(0.1, ge=0)
    checkpoint_every: int = Field(100, ge=1, description="steps between checkpoints (each is evaluated)")
    device: Literal["auto", "cpu", "cuda"] = "auto"


class EvalTaskConfig(Strict):
    name: str
    path: str | None = Field(None, description="local data folder; None = the task's Hub dataset")
    max_items: int = Field(-1, description="-1 = all")


class EvaluationConfig(Strict):
    tasks: list[EvalTaskConfig] = Field(default_factory=list)
    holdout_documents: int = Field(0, ge=0, description="documents removed from training by id before processing")


class AblationConfig(Strict):
    candidates: list[BlockSpec] = Field(default_factory=list, description="blocks tried one at a time, greedily")
    seeds: int = Field(3, ge=1)
    max_seeds: int = Field(6, ge=1, description="cap when inconclusive verdicts buy more seeds")
    confidence: float = Field(0.95, gt=0, lt=1)
    bootstrap_samples: int = Field(1000, ge=100)


class TrackingConfig(Strict):
    wandb: Literal["offline", "online", "disabled"] = "offline"
    project: str = "finebooks"


class RecipeConfig(Strict):
    experiment: ExperimentConfig
    data: DataConfig
    clean: list[BlockSpec] = Field(default_factory=list, description="text-rewriting blocks, in order")
    filter: list[BlockSpec] = Field(default_factory=list, description="blocks that drop books or pages")
    dedup: list[BlockSpec] = Field(default_factory=list)
    tokenizer: TokenizerConfig = TokenizerConfig()
    model: ModelConfig = ModelConfig()
    training: TrainingConfig = TrainingConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    ablation: AblationConfig = AblationConfig()
    executor: ExecutorConfig = ExecutorConfig()
    tracking: TrackingConfig = TrackingConfig()

    @model_validator(mode="after")
    def _unique_block_ids(self) -> RecipeConfig:
        ids = [b.id for b in self.blocks()]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"block ids must be unique (set `id:` on repeated blocks); repeated: {dup}")
        return self

    def blocks(self) -> list[BlockSpec]:
        """The processing blocks in pipeline order."""
        return [*self.clean, *self.filter, *self.dedup]
