"""The real greedy loop (ablations/decide/loop.py) and its real statistics on constructed scores, for the loop's
tests (test_decide_loop.py, test_decide_rates.py): only processing and training are stood in for, and each
variant's scores are built from the effects of its blocks, so every verdict is known by construction."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ablations.decide.loop import Ablation, Variant
from ablations.recipe.schema import RecipeConfig

ITEMS = 200
Effect = float | Callable[[int], float] | dict[float, float]  # a constant, a function of the seed, or by rate


def recipe(candidates: list[str], ablation: dict[str, Any] | None = None, **sections: Any) -> RecipeConfig:
    """A recipe whose candidates are no-op samplers named ``candidates`` (their effects are constructed), one
    task ``t``, 300 bootstrap samples; ``ablation`` and other ``sections`` add to it."""
    return RecipeConfig.model_validate(
        {
            "experiment": {"name": "loop", "output_dir": "/nonexistent", "seed": 0},
            "data": {"sources": [{"name": "books", "format": "text", "path": "/nonexistent"}]},
            "evaluation": {"tasks": [{"name": "t", "kind": "blimp"}]},
            "ablation": {
                "bootstrap_samples": 300,
                "candidates": [{"block": "sampler", "id": c, "params": {"rate": 1.0, "seed": 1}} for c in candidates],
                **(ablation or {}),
            },
            **sections,
        }
    )


class ConstructedScores(Ablation):
    """The real loop; a run's score on item i is the item's difficulty + the effects of its blocks (``effects``:
    block id -> ``Effect``, in item sd) + a little item noise of the run. Records every run it trains."""

    def __init__(self, cfg: RecipeConfig, folder: Path, effects: dict[str, Effect]):
        super().__init__(SimpleNamespace(cfg=cfg, folder=folder), None, folder, progress=False)
        self.effects = effects
        self.trained: list[tuple[str, int]] = []  # (variant, seed) of every run trained, in order

    def prepare(self, v: Variant) -> Variant:
        v.summary = {"in": {"documents": 10}, "kept": {"documents": 10}}
        self.variants.append(v)
        return v

    def effect(self, block: str, seed: int, rate: float) -> float:
        e = self.effects[block]
        return e[rate] if isinstance(e, dict) else e(seed) if callable(e) else e

    def train(self, v: Variant, seed: int) -> dict:
        if seed not in v.runs:
            self.trained.append((v.name, seed))
            rate = v.learning_rate or self.cfg.training.learning_rate
            ids = v.name.split("@")[0].split("+")[1:]  # its candidates (a sweep's variant ids), not its rate
            difficulty = np.random.default_rng(123).normal(0, 1, ITEMS)
            noise = np.random.default_rng(zlib.crc32(f"{v.name}/{seed}".encode())).normal(0, 0.01, ITEMS)
            scores = difficulty + sum(self.effect(b, seed, rate) for b in ids if b in self.effects) + noise
            v.runs[seed] = {"evals": [{"tasks": {"t": [{"id": str(i), "score": x} for i, x in enumerate(scores)]}}]}
        return v.runs[seed]
