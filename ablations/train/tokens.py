"""Token shards of one processed variant, written by datatrove's DocumentTokenizer (read by every trainer).

Documents are written in reading order with their ids beside the shard (``<shard>.ds.ids``): the hf trainer orders
them by id and seed (ablations/train/order.py), nanotron's Nanoset shuffles the windows itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from ablations.train.order import IDS_SUFFIX
from pipelines.code_closure import code_fingerprint
from pipelines.fingerprint import library_versions
from pipelines.stages import Stage, finished


@dataclass
class TokensStage(Stage):
    """``processed/output`` tokenized into ``<folder>/tokens``; reused when the same data and tokenizer come again."""

    processed: Path  # a processing stage folder; its name (a hash of everything upstream) is in the key
    tokenizer: Path  # the tokenizer stage folder
    seed: int
    root: Path
    kind: ClassVar[str] = "tokens"
    fresh: ClassVar[bool] = True

    @cached_property
    def key(self) -> dict[str, Any]:
        return {
            "processed": self.processed.name,
            "tokenizer": self.tokenizer.name,
            "seed": self.seed,
            "layout": "reading-order+ids",  # shards before the paired order were shuffled and had no ids
            "code": code_fingerprint(TokensStage),
            "versions": library_versions("datatrove", "tokenizers", "transformers"),
        }

    def compute(self) -> dict[str, Any]:
        from datatrove.executor import LocalPipelineExecutor
        from datatrove.pipeline.readers import JsonlReader
        from datatrove.pipeline.tokens import DocumentTokenizer

        ids: list[str] = []
        LocalPipelineExecutor(
            pipeline=[
                JsonlReader(str(self.processed / "output"), glob_pattern="*.jsonl*"),
                _record_ids(ids),
                DocumentTokenizer(
                    output_folder=str(self.folder / "tokens"),
                    tokenizer_name_or_path=str(self.tokenizer / "tokenizer.json"),
                    eos_token=None,  # the tokenizer's post-processor starts every document with <|endoftext|>
                    save_filename="tokens",
                    shuffle_documents=False,
                ),
            ],
            tasks=1,
            logging_dir=str(self.folder / "logs"),
        ).run()
        shards = sorted((self.folder / "tokens").glob("*.ds"))
        if len(shards) != 1:
            raise RuntimeError(f"{self.folder / 'tokens'}: expected one token shard, found {len(shards)}")
        shards[0].with_name(shards[0].name + IDS_SUFFIX).write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
        stats = json.loads((self.folder / "logs" / "stats.json").read_text())
        tokens = next(
            int(s["stats"]["tokens"]["total"] if isinstance(s["stats"]["tokens"], dict) else s["stats"]["tokens"])
            for s in stats
            if "tokens" in s["stats"]
        )
        return {"tokens": tokens, "documents": len(ids)}


def _record_ids(ids: list[str]):
    """A pipeline step (a plain function, as datatrove allows) that notes every document's id as it passes."""

    def record(data, rank: int = 0, world_size: int = 1):
        for doc in data:
            ids.append(str(doc.id).replace("\n", " "))
            yield doc

    return record


def token_count(folder: Path) -> int:
    """Tokens in the shards of a finished tokens stage folder (from its manifest)."""
    manifest = finished(folder)
    if manifest is None:
        raise RuntimeError(f"{folder}: the tokens stage has not finished (no manifest.json)")
    return int(manifest["tokens"])
