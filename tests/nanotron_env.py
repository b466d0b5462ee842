"""Runs inside ``.venv-nanotron`` (nanotron 0.4 from PyPI, CPU torch), called by tests/test_nanotron.py.

    nanotron_env.py load CONFIG.yaml          -> JSON: the config as nanotron's classes loaded it, and its LR per step
    nanotron_env.py checkpoint FLAT OUT JSON  -> a checkpoint folder in nanotron's on-disk layout

``load``: the generated config targets nanotron's repository (main); the keys that main added after the 0.4
release are listed in AFTER_0_4, taken out (their values are returned for the test to compare), and the rest goes
through 0.4's ``get_config_from_dict`` (dacite, strict: an unknown or mistyped key fails).
"""

from __future__ import annotations

import json
import sys
import types
from dataclasses import asdict
from pathlib import Path

import yaml


def import_nanotron_config():
    """``nanotron.config`` of 0.4 imports itself in a cycle through ``nanotron.logging``; a stand-in breaks it."""
    pkg, mod = types.ModuleType("nanotron.config"), types.ModuleType("nanotron.config.config")
    pkg.__path__ = []
    mod.LoggingArgs = type("LoggingArgs", (), {})
    sys.modules["nanotron.config"], sys.modules["nanotron.config.config"] = pkg, mod
    import nanotron.logging  # noqa: F401  (binds the stand-in; only a type hint uses it)

    del sys.modules["nanotron.config"], sys.modules["nanotron.config.config"]
    import nanotron.config

    return nanotron.config


AFTER_0_4 = [  # (section path, key): in nanotron main, not in 0.4
    ((), "data_stages"),
    ((), "s3_upload"),
    (("checkpoints",), "save_final_state"),
    (("checkpoints",), "load_lr_scheduler"),
    (("checkpoints",), "load_optimizer"),
    (("optimizer",), "weight_decay_exclude_named_params"),
    (("model", "model_config"), "rope_theta"),
    (("model", "model_config"), "rope_interleaved"),
    (("model", "model_config"), "attention_bias"),
]


def split_for_0_4(config: dict) -> tuple[dict, dict]:
    """(the config as 0.4 spells it, the main-only values by dotted key)."""
    config = json.loads(json.dumps(config))
    removed = {}
    for path, key in AFTER_0_4:
        section = config
        for p in path:
            section = section[p]
        if key in section:
            removed[".".join((*path, key))] = section.pop(key)
    factory = config["optimizer"].pop("optimizer_factory")  # main nests the AdamW arguments; 0.4 has them flat
    removed["optimizer.optimizer_factory.name"] = factory.pop("name")
    config["optimizer"].update(factory)
    return config, removed


def load(path: str) -> dict:
    nc = import_nanotron_config()
    import torch
    from nanotron.helpers import lr_scheduler_builder

    raw = yaml.safe_load(Path(path).read_text())
    spelled, removed = split_for_0_4(raw)
    config = nc.get_config_from_dict(spelled)  # strict dacite: unknown keys and wrong types raise

    class _Opt:  # lr_scheduler_builder wants nanotron's optimizer wrapper
        def __init__(self):
            self.base = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)

        def get_base_optimizer(self):
            return self.base

    opt = _Opt()
    sched = lr_scheduler_builder(opt, config.optimizer.learning_rate_scheduler, config.tokens.train_steps)
    lrs = []
    for _ in range(config.tokens.train_steps):  # the lr of each optimizer step, as nanotron's trainer sees it
        lrs.append(opt.base.param_groups[0]["lr"] * config.optimizer.learning_rate_scheduler.learning_rate)
        opt.base.step()
        sched.step()
    loaded = nc.serialize(config)
    return {
        "classes": type(config).__module__ + "." + type(config).__name__,
        "model_config_class": type(config.model.model_config).__name__,
        "dtype": str(config.model.dtype),
        "global_batch_size": config.global_batch_size,
        "loaded": loaded,
        "removed": removed,
        "lrs": lrs,
    }


def write_checkpoint(flat: str, out: str, spec: str) -> None:
    """Write nanotron-named tensors (one safetensors file) as nanotron 0.4's save_weights lays them out."""
    nc = import_nanotron_config()
    from nanotron.constants import CHECKPOINT_VERSION
    from nanotron.parallel.parameters import SlicesPair
    from nanotron.serialize.metadata import TensorMetadata
    from nanotron.serialize.utils import ObjectType, get_path
    from safetensors.torch import load_file, save_file

    spec = json.loads(Path(spec).read_text())
    root = Path(out)
    for name, tensor in load_file(flat).items():
        if name in spec["sharded"]:  # tensor-parallel layers save with ranks in the name and slice metadata
            whole = tuple(slice(0, n) for n in tensor.shape)
            meta = TensorMetadata(
                version=CHECKPOINT_VERSION,
                local_global_slices_pairs=(SlicesPair(local_slices=whole, global_slices=whole),),
                unsharded_shape=tuple(tensor.shape),
            ).to_str_dict()
            parts = get_path(name, ObjectType.MODEL, ((0, 1), (0, 1)))
        else:
            meta, parts = {}, get_path(name, ObjectType.MODEL, None)
        path = root.joinpath("model", *parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({"data": tensor.contiguous()}, str(path), metadata=meta)
    model_config = asdict(nc.LlamaConfig(**spec["model_config"]))  # 0.4's fields, as its trainer writes them
    model_config.update(spec.get("model_config_after_0_4", {}))
    (root / "model_config.json").write_text(json.dumps(model_config))


if __name__ == "__main__":
    if sys.argv[1] == "load":
        print(json.dumps(load(sys.argv[2])))
    elif sys.argv[1] == "checkpoint":
        write_checkpoint(*sys.argv[2:5])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
