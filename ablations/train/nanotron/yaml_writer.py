"""A recipe's ``model`` and ``training`` sections as a nanotron training config (YAML), value for value.

The config targets nanotron's repository (main), the version GPU clusters install: its ``data_stages`` read
datatrove token shards through a ``Nanoset``, and its optimizer section has an ``optimizer_factory``. The PyPI
release (0.4) has neither; ``tests/test_nanotron.py`` loads everything else through 0.4's own config classes.

Every field that changes training is written out, so nothing depends on a nanotron default. Differences from the
``hf`` trainer that a config cannot remove are listed in ``docs/nanotron.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ablations.recipe.schema import RecipeConfig
from ablations.train.budget import train_steps

# nanotron's Llama parameter names that get no weight decay (the hf trainer exempts every 1-d parameter: the norms)
NO_DECAY = [".*layernorm.*", ".*final_layer_norm.*"]
NANOSET_DIR = "nanoset"  # the folder of links to the shards, beside the YAML (see write_nanoset_folder)


class NanotronConfigError(ValueError):
    """Inputs that cannot make a nanotron config; the message names the option or recipe key to change."""


@dataclass(frozen=True)
class TokenFolder:
    """A folder of datatrove token shards (``*.ds``) and what their ``.metadata`` files say about them."""

    shards: Path
    tokenizer_dir: Path
    token_size: int
    tokens: int


def token_folder(path: str | Path) -> TokenFolder:
    """Read a tokens stage folder (``stages/tokens-*``) or its ``tokens/`` subfolder of ``*.ds`` shards."""
    path = Path(path).resolve()
    shards = path if any(path.glob("*.ds")) else path / "tokens"
    ds = sorted(shards.glob("*.ds"))
    if not ds:
        raise NanotronConfigError(f"--tokens {path}: no datatrove token shards (*.ds) in it or in {path / 'tokens'}")
    names, sizes, total = set(), set(), 0
    for shard in ds:
        meta = shard.with_name(shard.name + ".metadata")
        if not meta.is_file():
            raise NanotronConfigError(f"{meta}: missing (written by datatrove's DocumentTokenizer beside each shard)")
        lines = meta.read_text(encoding="utf-8").splitlines()
        if len(lines) < 2 or "|" not in lines[0]:
            raise NanotronConfigError(f"{meta}: expected 'TOKENIZER|TOKEN_SIZE' then a token count")
        name, _, size = lines[0].rpartition("|")
        names.add(name)
        sizes.add(int(size))
        total += int(lines[1])
    if len(names) != 1 or len(sizes) != 1:
        raise NanotronConfigError(f"{shards}: shards from different tokenizers or token sizes: {names}, {sizes}")
    tokenizer = Path(names.pop())
    tokenizer_dir = tokenizer.parent if tokenizer.name == "tokenizer.json" else tokenizer
    return TokenFolder(shards, tokenizer_dir, sizes.pop(), total)


def checkpoint_interval(total: int, checkpoints: int) -> int:
    """nanotron saves every ``interval`` steps and at the end: at most ``checkpoints`` saves, the last at ``total``."""
    return max(1, math.ceil(total / checkpoints))


# long: one literal of nanotron's whole config, in the order of its YAML, reads better than pieces
def build_config(
    cfg: RecipeConfig,
    tokens: TokenFolder,
    seed: int,
    vocab_size: int,
    out: str | Path,
    gpus: int = 1,
    tp: int = 1,
    pp: int = 1,
    micro_batch_size: int | None = None,
) -> dict[str, Any]:
    """The nanotron config of one (recipe, seed) run whose files go to ``out`` (nothing is written here)."""
    out = Path(out).resolve()
    model, training = cfg.model, cfg.training
    if gpus < 1 or tp < 1 or pp < 1 or gpus % (tp * pp):
        raise NanotronConfigError(f"--gpus {gpus} must be a positive multiple of tp*pp = {tp}*{pp}")
    dp = gpus // (tp * pp)
    if model.num_heads % tp:
        raise NanotronConfigError(f"model.num_heads ({model.num_heads}) must be divisible by tp ({tp})")
    if training.batch_size % dp:
        raise NanotronConfigError(
            f"training.batch_size ({training.batch_size}) must be divisible by the data-parallel size "
            f"dp = --gpus / (tp*pp) = {dp}: the global batch is micro_batch * accumulation * dp"
        )
    per_replica = training.batch_size // dp
    micro = micro_batch_size or per_replica
    if micro < 1 or per_replica % micro:
        raise NanotronConfigError(
            f"--micro-batch-size {micro} must divide the per-GPU batch training.batch_size / dp = {per_replica}"
        )
    if vocab_size < 1 or (tokens.token_size == 2 and vocab_size > 65536):
        raise NanotronConfigError(f"vocab size {vocab_size} does not fit {tokens.token_size}-byte tokens")
    if tokens.tokens < model.max_seq_len + 1:
        raise NanotronConfigError(
            f"{tokens.shards}: {tokens.tokens} tokens, less than one training sequence (model.max_seq_len + 1)"
        )
    total = train_steps(cfg.training, cfg.model)
    if total <= training.warmup_steps:
        raise NanotronConfigError(
            f"training.warmup_steps ({training.warmup_steps}) must be below the {total} training steps of the token "
            "budget: nanotron's cosine decay needs at least one step after warmup"
        )
    tokenizer = str(tokens.tokenizer_dir)
    return {
        "general": {
            "project": cfg.tracking.project,
            "run": f"{cfg.experiment.name}-seed{seed}",
            "seed": seed,
            "step": None,
            "consumed_train_samples": None,
            "benchmark_csv_path": None,
            "ignore_sanity_checks": True,
        },
        "parallelism": {
            "dp": dp,
            "tp": tp,
            "pp": pp,
            "pp_engine": "1f1b",
            "tp_mode": "ALL_REDUCE",
            "tp_linear_async_communication": False,
            "expert_parallel_size": 1,
        },
        "model": {
            "dtype": "bfloat16",  # flash-attention (nanotron's attention) runs in bf16/fp16 only; fp32 master weights
            "init_method": {"std": 0.02},  # transformers' LlamaConfig.initializer_range, as the hf trainer
            "make_vocab_size_divisible_by": 1,
            "ddp_bucket_cap_mb": 25,
            "model_config": {  # the same model as ablations/train/hf.py build_model
                "is_llama_config": True,
                "vocab_size": vocab_size,
                "hidden_size": model.hidden_size,
                "intermediate_size": model.intermediate_size,
                "num_hidden_layers": model.num_layers,
                "num_attention_heads": model.num_heads,
                "num_key_value_heads": model.num_heads,
                "max_position_embeddings": model.max_seq_len,
                "hidden_act": "silu",
                "initializer_range": 0.02,
                "rms_norm_eps": 1e-6,
                "rope_theta": 10000.0,
                "rope_scaling": None,
                "rope_interleaved": False,  # GPT-NeoX rotary, as transformers: conversion copies q/k as they are
                "attention_bias": False,
                "pretraining_tp": 1,
                "tie_word_embeddings": True,
                "use_cache": True,
                "bos_token_id": 0,
                "eos_token_id": 1,
                "pad_token_id": 0,
            },
        },
        "tokenizer": {"tokenizer_name_or_path": tokenizer, "tokenizer_revision": None, "tokenizer_max_length": None},
        "checkpoints": {
            "checkpoints_path": str(out / "checkpoints"),
            "checkpoint_interval": checkpoint_interval(total, training.checkpoints),
            "save_initial_state": False,
            "save_final_state": True,
            "resume_checkpoint_path": None,
            "load_lr_scheduler": True,
            "load_optimizer": True,
            "checkpoints_path_is_shared_file_system": False,
        },
        "logging": {"log_level": "info", "log_level_replica": "info", "iteration_step_info_interval": 1},
        "tokens": {
            "sequence_length": model.max_seq_len,
            "train_steps": total,
            "micro_batch_size": micro,
            "batch_accumulation_per_replica": per_replica // micro,
            "val_check_interval": -1,
            "limit_val_batches": 0,
            "limit_test_batches": 0,
        },
        "optimizer": {
            "optimizer_factory": {
                "name": "adamW",
                "adam_beta1": 0.9,
                "adam_beta2": 0.95,
                "adam_eps": 1e-8,
                "torch_adam_is_fused": True,
            },
            "zero_stage": 0,
            "weight_decay": training.weight_decay,
            "weight_decay_exclude_named_params": NO_DECAY,
            "clip_grad": training.grad_clip,
            "accumulate_grad_in_fp32": True,
            "learning_rate_scheduler": {  # linear warmup, then cosine to min_lr_ratio (ablations/train/hf.py lr_at)
                "learning_rate": training.learning_rate,
                "lr_warmup_steps": training.warmup_steps,
                "lr_warmup_style": "linear",
                "lr_decay_style": "cosine",
                "lr_decay_starting_step": training.warmup_steps,
                "lr_decay_steps": total - training.warmup_steps,
                "min_decay_lr": round(training.learning_rate * training.min_lr_ratio, 12),
            },
        },
        "data_stages": [
            {
                "name": "finebooks",
                "start_training_step": 1,
                "data": {
                    "dataset": {
                        "dataset_folder": [str(out / NANOSET_DIR)],
                        "dataset_weights": [1.0],
                        "tokenizer_name": tokenizer,
                        "vocab_size": vocab_size,
                        "token_size_in_bytes": tokens.token_size,
                    },
                    "seed": seed,
                    "num_loading_workers": 1,
                },
            }
        ],
        "profiler": None,
        "lighteval": None,
        "s3_upload": None,
    }


def write_nanoset_folder(tokens: TokenFolder, folder: Path) -> Path:
    """Links to the shards, with ``.metadata`` naming the tokenizer *folder*.

    datatrove records ``<dir>/tokenizer.json`` as the tokenizer; nanotron checks it against the config's tokenizer
    and loads that with ``AutoTokenizer.from_pretrained``, which needs the folder. The shards themselves are linked.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for shard in sorted(tokens.shards.glob("*.ds")):
        for src in (shard, shard.with_name(shard.name + ".index")):
            if src.exists():
                (folder / src.name).symlink_to(src.resolve())
        lines = shard.with_name(shard.name + ".metadata").read_text(encoding="utf-8").splitlines()
        lines[0] = f"{tokens.tokenizer_dir}|{tokens.token_size}"
        (folder / (shard.name + ".metadata")).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def vocab_size_of(tokenizer_dir: Path) -> int:
    """The model's vocabulary: every id of the tokenizer, added tokens included (as ablations/decide/loop.py)."""
    from transformers import PreTrainedTokenizerFast

    if not (tokenizer_dir / "tokenizer.json").is_file():
        raise NanotronConfigError(f"{tokenizer_dir}: no tokenizer.json (pass --tokenizer DIR)")
    return len(PreTrainedTokenizerFast.from_pretrained(str(tokenizer_dir)))


def write_config(
    cfg: RecipeConfig,
    tokens: str | Path,
    seed: int,
    out: str | Path,
    gpus: int = 1,
    vocab_size: int | None = None,
    tokenizer_dir: str | Path | None = None,
    tp: int = 1,
    pp: int = 1,
    micro_batch_size: int | None = None,
) -> Path:
    """Write ``out/nanotron.yaml`` and its ``out/nanoset`` data folder; return the YAML path."""
    out = Path(out).resolve()
    folder = token_folder(tokens)
    if tokenizer_dir is not None:
        folder = TokenFolder(folder.shards, Path(tokenizer_dir).resolve(), folder.token_size, folder.tokens)
    if vocab_size is None:
        vocab_size = vocab_size_of(folder.tokenizer_dir)
    config = build_config(cfg, folder, seed, vocab_size, out, gpus, tp, pp, micro_batch_size)
    write_nanoset_folder(folder, out / NANOSET_DIR)
    path = out / "nanotron.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, width=119), encoding="utf-8")
    return path
