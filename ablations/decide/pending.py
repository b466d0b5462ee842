"""Plan mode (the SLURM driver, ablations/slurm/): what the loop still needs before it can decide, and the stages
SLURM gave up on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.stages import Stage


@dataclass
class Need:
    """An unfinished stage a decision waits for: a variant's preparation (its tokens stage, the last of it), or a
    training run to train or only to evaluate."""

    kind: str  # "prepare" | "train" | "eval"
    variant: Any  # the loop's Variant (ablations/decide/loop.py)
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
