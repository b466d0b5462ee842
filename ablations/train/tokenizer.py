"""The experiment's tokenizer: a byte-level BPE trained once on a sample of the baseline data (or a named one).

Every variant is tokenized with the same tokenizer. Its one special token, ``<|endoftext|>``, starts every document
(the post-processor prepends it), so token shards and evaluation contexts see the same document boundary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from ablations.recipe.schema import TokenizerConfig
from pipelines import jsonl
from pipelines.code_closure import code_fingerprint
from pipelines.fingerprint import library_versions
from pipelines.stages import Stage

BOS = "<|endoftext|>"
# Never produced by our data. lighteval strips a trailing eos token from evaluation contexts, and our contexts are
# (or end with) the document-start token, so the eos token must be a different one.
EOS = "<|eos|>"


def sample_texts(folder: Path, documents: int, max_chars: int) -> Iterator[str]:
    """Texts of the first documents of a processed output folder (JSONL shards in rank order)."""
    chars = 0
    n = 0
    for shard in sorted(folder.glob("*.jsonl*")):
        for doc in jsonl.iterate(shard):
            text = doc["text"]
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


@dataclass
class TokenizerStage(Stage):
    """The experiment's tokenizer, trained on ``reference/output`` (the baseline's processed books), or loaded."""

    cfg: TokenizerConfig
    reference: Path  # a processing stage folder; its name (a hash of everything upstream) is in the key
    root: Path
    kind: ClassVar[str] = "tokenizer"
    fresh: ClassVar[bool] = True

    @cached_property
    def key(self) -> dict[str, Any]:
        return {
            "tokenizer": self.cfg.model_dump(mode="json"),
            "reference": self.reference.name,
            "code": code_fingerprint(TokenizerStage),
            "versions": library_versions("tokenizers", "transformers"),
        }

    def compute(self) -> dict[str, Any]:
        cfg = self.cfg
        if cfg.kind == "pretrained":
            from transformers import AutoTokenizer

            if not cfg.pretrained:
                raise ValueError("tokenizer.kind=pretrained needs tokenizer.pretrained (a name or local path)")
            tok = AutoTokenizer.from_pretrained(cfg.pretrained)
            tok.save_pretrained(str(self.folder))
            tok.backend_tokenizer.save(str(self.folder / "tokenizer.json"))
        else:
            texts = sample_texts(self.reference / "output", cfg.sample_documents, cfg.sample_chars)
            train_bpe(texts, cfg.vocab_size, self.folder)
        return {}
