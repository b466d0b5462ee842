"""The experiment's tokenizer: a byte-level BPE trained once on a sample of the baseline data (or a named one).

Every variant is tokenized with the same tokenizer. Its one special token, ``<|endoftext|>``, starts every document
(the post-processor prepends it), so token shards and evaluation contexts see the same document boundary.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from ablations.recipe.schema import TokenizerConfig
from pipelines.stages import finish, finished, stage_folder, start

BOS = "<|endoftext|>"
# Never produced by our data. lighteval strips a trailing eos token from evaluation contexts, and our contexts are
# (or end with) the document-start token, so the eos token must be a different one.
EOS = "<|eos|>"


def sample_texts(folder: Path, documents: int, max_chars: int) -> Iterator[str]:
    """Texts of the first documents of a processed output folder (JSONL shards in rank order)."""
    chars = 0
    n = 0
    for shard in sorted(folder.glob("*.jsonl*")):
        opener = gzip.open if shard.suffix == ".gz" else open
        with opener(shard, "rt", encoding="utf-8") as f:
            for line in f:
                text = json.loads(line)["text"]
                yield text[: max_chars - chars]
                chars += len(text)
                n += 1
                if n >= documents or chars >= max_chars:
                    return


def train_bpe(texts: Iterator[str], vocab_size: int, out_dir: Path) -> Path:
    """Train a byte-level BPE and save it both as ``tokenizer.json`` and as a transformers tokenizer folder."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[BOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, tok.token_to_id(BOS))]
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(out_dir / "tokenizer.json"))
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=BOS)
    hf.save_pretrained(str(out_dir))
    return out_dir


def tokenizer_folder(cfg: TokenizerConfig, reference_key: str, root: Path) -> Path:
    """The folder ``tokenizer_stage`` writes (or wrote), without running anything."""
    return stage_folder(root, "tokenizer", {"tokenizer": cfg.model_dump(mode="json"), "reference": reference_key})


def tokenizer_stage(cfg: TokenizerConfig, reference: Path, reference_key: str, root: Path) -> Path:
    """The tokenizer folder, trained (or loaded) once per experiment and reused on reruns."""
    key = {"tokenizer": cfg.model_dump(mode="json"), "reference": reference_key}
    folder = stage_folder(root, "tokenizer", key)
    if finished(folder):
        return folder
    start(folder, key, fresh=True)
    if cfg.kind == "pretrained":
        from transformers import AutoTokenizer

        if not cfg.pretrained:
            raise ValueError("tokenizer.kind=pretrained needs tokenizer.pretrained (a name or local path)")
        tok = AutoTokenizer.from_pretrained(cfg.pretrained)
        tok.save_pretrained(str(folder))
        tok.backend_tokenizer.save(str(folder / "tokenizer.json"))
    else:
        train_bpe(sample_texts(reference, cfg.sample_documents, cfg.sample_chars), cfg.vocab_size, folder)
    finish(folder, {"stage": "tokenizer", "key": key})
    return folder
