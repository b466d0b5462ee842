"""The token budget in optimizer steps: every trainer (hf, nanotron) counts the steps of a run the same way."""

from __future__ import annotations

import math

from ablations.recipe.schema import ModelConfig, TrainingConfig


def tokens_per_step(training: TrainingConfig, model: ModelConfig) -> int:
    """Tokens of one global batch: ``batch_size`` sequences of ``max_seq_len`` tokens."""
    return training.batch_size * model.max_seq_len


def train_steps(training: TrainingConfig, model: ModelConfig) -> int:
    """Optimizer steps that reach ``token_budget`` (at least one; the last step may pass it)."""
    return max(1, math.ceil(training.token_budget / tokens_per_step(training, model)))
