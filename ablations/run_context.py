"""One experiment's run folder as an object: its recipe, its held-out documents, and the stages of its variants.

The held-out documents are read from their source once per run (``holdout.json``: the inputs that chose them, ids
and texts); SLURM jobs read that file instead of the source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ablations.eval.decontam import OverlapStage, eval_texts, text_inputs
from ablations.recipe.schema import RecipeConfig
from ablations.train.tokenizer import TokenizerStage
from ablations.train.tokens import TokensStage
from pipelines.config import BlockSpec, DataConfig
from pipelines.dedup.config import DedupSpec
from pipelines.stages import Stage, write_json

if TYPE_CHECKING:
    from ablations.eval.evaluator import Evaluator

REPO = Path(__file__).resolve().parents[1]  # the project folder: <REPO>/../shared/data is the default shared data
HOLDOUT = "holdout.json"  # {"key": what chose them, "documents": {id: text}}
HOLDOUT_IDS = "holdout_ids.json"  # their ids alone (read by publishing)
HOLDOUT_BLOCK = "eval_holdout"  # the id of the process stage's first block when there is a hold-out


def run_dir_of(cfg: RecipeConfig) -> Path:
    return (Path(cfg.experiment.output_dir) / cfg.experiment.name).resolve()


@dataclass
class RunContext:
    cfg: RecipeConfig
    folder: Path  # the run folder
    holdout: dict[str, str]  # id -> text of the evaluation documents taken out of the training pool
    _processing: dict[str, list[Stage]] = field(default_factory=dict, repr=False)  # keys list the sources: once

    @classmethod
    def open(cls, cfg: RecipeConfig, fresh: bool = True) -> RunContext:
        """The run of ``cfg``. ``fresh``: choose the held-out documents from their source and write them; otherwise
        read them from ``holdout.json`` (written by an earlier round for the same inputs), choosing them only when it
        is missing or was written for other inputs."""
        folder = run_dir_of(cfg)
        return cls(cfg, folder, _holdout(cfg, folder, fresh))

    @property
    def stages(self) -> Path:
        return self.folder / "stages"

    def process_blocks(self, blocks: list[BlockSpec]) -> list[BlockSpec]:
        """The process stage's blocks: evaluation documents leave the training pool before any block sees them."""
        if not self.holdout:
            return list(blocks)
        return [BlockSpec(block="exclude_ids", id=HOLDOUT_BLOCK, params={"ids": sorted(self.holdout)}), *blocks]

    def processing(
        self,
        blocks: list[BlockSpec],
        data: DataConfig | None = None,
        progress: bool = True,
        dedup: list[DedupSpec] | None = None,
    ) -> list[Stage]:
        """The process stage of ``blocks`` (on ``data``, default the recipe's) and the dedup stages (default the
        recipe's). Variants that share a stage's inputs share its folder: it is computed once."""
        from pipelines.chain import processing_stages

        cfg, data = self.cfg, data or self.cfg.data
        dedup = cfg.dedup if dedup is None else dedup
        blocks = self.process_blocks(blocks)
        memo = json.dumps(
            [data.model_dump(mode="json"), [b.model_dump(mode="json") for b in [*blocks, *dedup]], progress]
        )
        if memo not in self._processing:
            self._processing[memo] = processing_stages(
                data, blocks, dedup, cfg.executor, self.stages, progress, cfg.output
            )
        return self._processing[memo]

    def tokenizer(self) -> TokenizerStage:
        """The experiment's tokenizer, trained on the baseline's processed books."""
        return TokenizerStage(self.cfg.tokenizer, self.processing(self.cfg.blocks())[-1].folder, self.stages)

    @cached_property
    def evaluation_key(self) -> dict[str, Any]:
        """What decides the scores of every training run besides its model and data (``ablations/eval/eval_key.py``):
        part of each training run's key, computed once per run."""
        from ablations.eval.eval_key import evaluation_key, shared_data_folder

        return evaluation_key(self.cfg, shared_data_folder(REPO), self.holdout)

    def overlap(self, processed: Path, tokenizer: Path, evaluator: Evaluator | None = None) -> OverlapStage:
        """The train/eval overlap check of a processed variant (``ablations/eval/decontam.py``) on the texts of
        ``evaluator``, or without one on the same texts built from the recipe when the stage computes."""
        from ablations.eval.eval_key import shared_data_folder

        cfg, shared = self.cfg, shared_data_folder(REPO)
        texts = evaluator.texts if evaluator else lambda: eval_texts(cfg, self.holdout, shared, tokenizer)
        inputs = text_inputs(cfg, self.evaluation_key)
        return OverlapStage(processed, tokenizer, cfg.evaluation, inputs, self.stages, texts)

    def tokens(self, processed: Path, tokenizer: Path) -> TokensStage:
        """The token shards of a processed variant (``processed``: its last processing stage folder); under
        ``evaluation.on_overlap: remove`` of what its overlap stage left."""
        if self.cfg.evaluation.on_overlap == "remove":
            processed = self.overlap(processed, tokenizer).folder
        return TokensStage(processed, tokenizer, self.cfg.experiment.seed, self.stages)

    def checked_tokens(
        self, processed: Path, tokenizer: Path, evaluator: Evaluator | None = None
    ) -> tuple[OverlapStage, TokensStage]:
        """A processed variant's overlap check, which must pass before its tokens stage runs, and that stage."""
        return self.overlap(processed, tokenizer, evaluator), self.tokens(processed, tokenizer)


def _holdout(cfg: RecipeConfig, folder: Path, fresh: bool) -> dict[str, str]:
    if not cfg.evaluation.holdout:
        return {}
    key: dict[str, Any] = {
        "holdout": cfg.evaluation.holdout.model_dump(mode="json"),
        "seed": cfg.experiment.seed,
        "data": cfg.data.model_dump(mode="json"),
    }
    path = folder / HOLDOUT
    if not fresh and path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved["key"] == key:
            return saved["documents"]
    from ablations.eval.holdout import holdout_documents

    documents = holdout_documents(cfg.data, cfg.evaluation.holdout, cfg.experiment.seed)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(path, {"key": key, "documents": documents})
    (folder / HOLDOUT_IDS).write_text(json.dumps(sorted(documents), indent=1))
    return documents
