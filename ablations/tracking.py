"""wandb logging of one training run: offline by default (local files, no network), online when the user is
logged in and asks for it, or off."""

from __future__ import annotations

import os
from pathlib import Path

from ablations.config import TrackingConfig


class RunLogger:
    def __init__(self, cfg: TrackingConfig, folder: Path, name: str, config: dict):
        self.run = None
        if cfg.wandb == "disabled":
            return
        import wandb

        os.environ.setdefault("WANDB_SILENT", "true")
        self.run = wandb.init(
            project=cfg.project, name=name, dir=str(folder), mode=cfg.wandb, config=config, reinit="finish_previous"
        )

    def log(self, values: dict, step: int) -> None:
        if self.run is not None:
            self.run.log(values, step=step)

    def finish(self) -> None:
        if self.run is not None:
            self.run.finish()
