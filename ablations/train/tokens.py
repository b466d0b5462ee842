"""Token shards of one processed variant, written by datatrove's DocumentTokenizer (read by every trainer)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from pipelines.fingerprint import content_digest, library_versions, stable_hash
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
            "versions": library_versions("datatrove", "tokenizers", "transformers"),
        }

    def shuffle_seed(self) -> int:
        """Documents are shuffled with a seed of the experiment and of the data's content: two variants never share
        an order by accident, and the order does not move when only a stage folder's name (a config hash) does."""
        return int(stable_hash([self.seed, content_digest(self.processed / "output")], 8), 16)

    def compute(self) -> dict[str, Any]:
        from datatrove.executor import LocalPipelineExecutor
        from datatrove.pipeline.readers import JsonlReader
        from datatrove.pipeline.tokens import DocumentTokenizer

        shuffle_seed = self.shuffle_seed()
        LocalPipelineExecutor(
            pipeline=[
                JsonlReader(str(self.processed / "output"), glob_pattern="*.jsonl*"),
                DocumentTokenizer(
                    output_folder=str(self.folder / "tokens"),
                    tokenizer_name_or_path=str(self.tokenizer / "tokenizer.json"),
                    eos_token=None,  # the tokenizer's post-processor starts every document with <|endoftext|>
                    save_filename="tokens",
                    shuffle_documents=True,
                    seed=shuffle_seed,
                ),
            ],
            tasks=1,
            logging_dir=str(self.folder / "logs"),
        ).run()
        stats = json.loads((self.folder / "logs" / "stats.json").read_text())
        tokens = next(
            int(s["stats"]["tokens"]["total"] if isinstance(s["stats"]["tokens"], dict) else s["stats"]["tokens"])
            for s in stats
            if "tokens" in s["stats"]
        )
        return {"tokens": tokens, "shuffle_seed": shuffle_seed}


def token_count(folder: Path) -> int:
    """Tokens in the shards of a finished tokens stage folder (from its manifest)."""
    manifest = finished(folder)
    if manifest is None:
        raise RuntimeError(f"{folder}: the tokens stage has not finished (no manifest.json)")
    return int(manifest["tokens"])
