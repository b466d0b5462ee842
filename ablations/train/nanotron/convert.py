"""A nanotron Llama checkpoint as a transformers ``LlamaForCausalLM`` folder, read from the files alone (no GPU).

nanotron's own converter (``examples/llama/convert_nanotron_to_hf.py``) builds the nanotron model, which needs
CUDA; this one reads the checkpoint's safetensors directly, with the same weight mapping:

    <step>/model_config.json                     the LlamaConfig fields
    <step>/config.yaml                           the training config (its tokenizer is copied along)
    <step>/model/<parameter name as folders>/model_<leaf>[_pp-rank-P-of-N_tp-rank-T-of-M].safetensors
                                                 one tensor under the key "data"

q, k and v are one ``qkv_proj`` (in that order), gate and up one ``gate_up_proj``; with tied embeddings only the
token embedding is saved. Checkpoints trained with ``rope_interleaved`` (GPT-J rotary: every nanotron before the
option existed) get q and k rows permuted into transformers' GPT-NeoX order, as nanotron's converter does.
Tensor-parallel shards (tp > 1) are not merged: convert those with nanotron's script on a GPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import yaml

CONFIG_KEYS = (  # transformers LlamaConfig field = nanotron LlamaConfig field (nanotron's get_config_mapping)
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
    "hidden_act",
    "hidden_size",
    "initializer_range",
    "intermediate_size",
    "max_position_embeddings",
    "num_attention_heads",
    "num_hidden_layers",
    "num_key_value_heads",
    "pretraining_tp",
    "rms_norm_eps",
    "rope_scaling",
    "rope_theta",
    "tie_word_embeddings",
    "use_cache",
    "vocab_size",
    "attention_bias",
)
NANOTRON_DEFAULTS = {"rope_theta": 10000.0, "attention_bias": False, "rope_interleaved": True}  # nanotron 0.4


class CheckpointError(ValueError):
    """A folder that is not a nanotron Llama checkpoint this converter reads; the message names the file."""


def checkpoint_step_folder(path: str | Path) -> Path:
    """A step folder (holding ``model_config.json``), or the latest step of a checkpoints folder (``latest.txt``)."""
    path = Path(path).resolve()
    if (path / "model_config.json").is_file():
        return path
    if (path / "latest.txt").is_file():
        step = path / (path / "latest.txt").read_text().strip()
        if (step / "model_config.json").is_file():
            return step
        raise CheckpointError(f"{path / 'latest.txt'} names step folder {step}, which has no model_config.json")
    raise CheckpointError(f"{path}: neither a checkpoint step folder (model_config.json) nor a folder with latest.txt")


def read_tensor(model_dir: Path, name: str) -> torch.Tensor:
    """The whole tensor of parameter ``name`` (e.g. ``model.decoder.0.pp_block.attn.qkv_proj.weight``)."""
    from safetensors.torch import load_file

    *parts, leaf = name.split(".")
    folder = model_dir.joinpath(*parts)
    files = sorted(folder.glob(f"model_{leaf}.safetensors")) + sorted(
        folder.glob(f"model_{leaf}_pp-rank-*.safetensors")
    )
    if not files:
        raise CheckpointError(f"{folder}: no model_{leaf}*.safetensors for parameter {name}")
    tp_sharded = "_tp-rank-" in files[0].name and "_tp-rank-0-of-1." not in files[0].name
    if len(files) > 1 or tp_sharded:
        raise CheckpointError(
            f"{folder}: {len(files)} shard(s) ({files[0].name}...): tensor-parallel checkpoints (tp > 1) are not "
            "merged here; convert with nanotron's examples/llama/convert_nanotron_to_hf.py on a GPU"
        )
    return load_file(str(files[0]))["data"]


def _rotary_to_neox(w: torch.Tensor, head_dim: int) -> torch.Tensor:
    """Rows of each head from interleaved (GPT-J) to half-split (GPT-NeoX) rotary order."""
    return torch.cat([h.view(head_dim // 2, 2, -1).transpose(0, 1).reshape(head_dim, -1) for h in w.split(head_dim)])


def hf_state_dict(model_dir: Path, cfg: dict) -> dict[str, torch.Tensor]:
    """transformers parameter name -> tensor, from the nanotron files under ``<step>/model``."""
    heads, kv_heads, layers = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["num_hidden_layers"]
    head_dim = cfg["hidden_size"] // heads
    interleaved = cfg.get("rope_interleaved", NANOTRON_DEFAULTS["rope_interleaved"])
    embed = read_tensor(model_dir, "model.token_position_embeddings.pp_block.token_embedding.weight")
    out = {
        "model.embed_tokens.weight": embed[: cfg["vocab_size"]],  # rows past the vocabulary are padding
        "model.norm.weight": read_tensor(model_dir, "model.final_layer_norm.pp_block.weight"),
    }
    if not cfg["tie_word_embeddings"]:
        out["lm_head.weight"] = read_tensor(model_dir, "model.lm_head.pp_block.weight")[: cfg["vocab_size"]]
    for i in range(layers):
        nt, hf = f"model.decoder.{i}.pp_block", f"model.layers.{i}"
        qkv = read_tensor(model_dir, f"{nt}.attn.qkv_proj.weight")
        q, k, v = qkv.split([heads * head_dim, kv_heads * head_dim, kv_heads * head_dim])
        if interleaved:
            q, k = _rotary_to_neox(q, head_dim), _rotary_to_neox(k, head_dim)
        gate, up = read_tensor(model_dir, f"{nt}.mlp.gate_up_proj.weight").chunk(2)
        out |= {
            f"{hf}.self_attn.q_proj.weight": q,
            f"{hf}.self_attn.k_proj.weight": k,
            f"{hf}.self_attn.v_proj.weight": v,
            f"{hf}.self_attn.o_proj.weight": read_tensor(model_dir, f"{nt}.attn.o_proj.weight"),
            f"{hf}.mlp.gate_proj.weight": gate,
            f"{hf}.mlp.up_proj.weight": up,
            f"{hf}.mlp.down_proj.weight": read_tensor(model_dir, f"{nt}.mlp.down_proj.weight"),
            f"{hf}.input_layernorm.weight": read_tensor(model_dir, f"{nt}.input_layernorm.weight"),
            f"{hf}.post_attention_layernorm.weight": read_tensor(model_dir, f"{nt}.post_attention_layernorm.weight"),
        }
    return out


def convert_checkpoint(
    checkpoint: str | Path,
    out: str | Path,
    tokenizer_dir: str | Path | None = None,
    dtype: torch.dtype = torch.float32,
) -> Path:
    """Write ``out`` as a transformers folder (model and, when known, tokenizer); return it.

    The tokenizer is ``tokenizer_dir``, else the ``tokenizer_name_or_path`` of the checkpoint's ``config.yaml``.
    """
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    step = checkpoint_step_folder(checkpoint)
    cfg = json.loads((step / "model_config.json").read_text())
    missing = [k for k in CONFIG_KEYS if k not in cfg and k not in NANOTRON_DEFAULTS]
    if missing or cfg.get("is_llama_config") is False:
        raise CheckpointError(f"{step / 'model_config.json'}: not a nanotron LlamaConfig (missing {missing})")
    cfg = NANOTRON_DEFAULTS | cfg
    hf_config = LlamaConfig(**{k: cfg[k] for k in CONFIG_KEYS})
    model = LlamaForCausalLM(hf_config)
    state = {k: v.to(dtype) for k, v in hf_state_dict(step / "model", cfg).items()}
    expected = {k for k in model.state_dict() if not (cfg["tie_word_embeddings"] and k == "lm_head.weight")}
    if set(state) != expected:
        raise CheckpointError(f"{step}: parameters do not match transformers' Llama: {sorted(set(state) ^ expected)}")
    for name, tensor in state.items():
        if model.state_dict()[name].shape != tensor.shape:
            raise CheckpointError(f"{step}: {name} has shape {tuple(tensor.shape)}, the config says otherwise")
    model.load_state_dict(state, strict=False)
    if cfg["tie_word_embeddings"]:
        model.tie_weights()
    model.to(dtype)
    out = Path(out)
    model.save_pretrained(str(out))
    if tokenizer_dir is None and (step / "config.yaml").is_file():
        try:
            tokenizer_dir = (yaml.safe_load((step / "config.yaml").read_text()).get("tokenizer") or {}).get(
                "tokenizer_name_or_path"
            )
        except yaml.YAMLError as e:
            raise CheckpointError(f"{step / 'config.yaml'}: unreadable ({e}); pass the tokenizer folder") from e
    if tokenizer_dir:
        PreTrainedTokenizerFast.from_pretrained(str(tokenizer_dir)).save_pretrained(str(out))
    return out
