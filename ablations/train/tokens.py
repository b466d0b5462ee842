"""Token shards of one processed variant, written by datatrove's DocumentTokenizer (read by every trainer)."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.fingerprint import stable_hash
from pipelines.stages import finish, finished, stage_folder, start


def _key(processed_key: str, tokenizer_dir: Path, seed: int) -> dict:
    # documents are shuffled with a seed of the experiment and the data: two variants never share an order by accident
    shuffle_seed = int(stable_hash([seed, processed_key], 8), 16)
    return {"processed": processed_key, "tokenizer": tokenizer_dir.name, "seed": seed, "shuffle_seed": shuffle_seed}


def tokens_folder(processed: Path, processed_key: str, tokenizer_dir: Path, seed: int, root: Path) -> Path:
    """The folder ``tokenize_stage`` writes (or wrote) for these inputs, without running anything."""
    return stage_folder(root, "tokens", _key(processed_key, tokenizer_dir, seed))


def tokenize_stage(processed: Path, processed_key: str, tokenizer_dir: Path, seed: int, root: Path) -> Path:
    """Tokenize ``processed/output`` into ``<stage>/tokens``; reused when the same data and tokenizer come again."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.tokens import DocumentTokenizer

    key = _key(processed_key, tokenizer_dir, seed)
    folder = stage_folder(root, "tokens", key)
    if finished(folder):
        return folder
    shuffle_seed = key["shuffle_seed"]
    start(folder, key, fresh=True)
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(processed / "output"), glob_pattern="*.jsonl*"),
            DocumentTokenizer(
                output_folder=str(folder / "tokens"),
                tokenizer_name_or_path=str(tokenizer_dir / "tokenizer.json"),
                eos_token=None,  # the tokenizer's post-processor starts every document with <|endoftext|>
                save_filename="tokens",
                shuffle_documents=True,
                seed=shuffle_seed,
            ),
        ],
        tasks=1,
        logging_dir=str(folder / "logs"),
    ).run()
    stats = json.loads((folder / "logs" / "stats.json").read_text())
    tokens = next(
        int(s["stats"]["tokens"]["total"] if isinstance(s["stats"]["tokens"], dict) else s["stats"]["tokens"])
        for s in stats
        if "tokens" in s["stats"]
    )
    finish(folder, {"stage": "tokens", "key": key, "tokens": tokens})
    return folder


def token_count(folder: Path) -> int:
    return int(finished(folder)["tokens"])
