"""A stand-in for nanotron's run_train.py (nanotron cannot train on a CPU): started by torchrun exactly as the loop
starts nanotron, it reads the generated config and writes, at every checkpoint step nanotron would save, a
seeded model of the config's dimensions in nanotron's on-disk checkpoint layout (tests/nanotron_env.py, with
nanotron's own path and metadata helpers). It trains nothing: it tests the wiring around nanotron, not nanotron.

    torchrun --nproc_per_node=1 tests/nanotron_standin.py --config-file nanotron.yaml
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
import yaml
from safetensors.torch import save_file

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))


def main() -> None:
    from test_nanotron import NANOTRON_PY, SHARDED, to_nanotron
    from transformers import LlamaConfig, LlamaForCausalLM

    p = argparse.ArgumentParser()
    p.add_argument("--config-file", required=True)
    args = p.parse_args()
    config = yaml.safe_load(Path(args.config_file).read_text())
    m = config["model"]["model_config"]
    steps, interval = config["tokens"]["train_steps"], config["checkpoints"]["checkpoint_interval"]
    root = Path(config["checkpoints"]["checkpoints_path"])
    resume = config["checkpoints"]["resume_checkpoint_path"]
    calls = root.parent / "standin_calls.jsonl"
    with open(calls, "a") as f:
        f.write(json.dumps({"rank": os.environ.get("RANK"), "world": os.environ.get("WORLD_SIZE"), "resume": resume}))
        f.write("\n")
    fields = ("bos_token_id", "eos_token_id", "pad_token_id", "hidden_size", "intermediate_size", "num_hidden_layers")
    fields += ("num_attention_heads", "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "vocab_size")
    done = int((root / "latest.txt").read_text()) if resume and (root / "latest.txt").exists() else 0
    for step in sorted({*range(interval, steps + 1, interval), steps}):
        if step <= done:
            continue
        torch.manual_seed(config["general"]["seed"] * 1000 + step)
        model = LlamaForCausalLM(LlamaConfig(**{f: m[f] for f in fields}, tie_word_embeddings=True))
        work = root / f"{step}.work"
        work.mkdir(parents=True, exist_ok=True)
        flat = to_nanotron(model, interleave=False, pad_rows=0)
        save_file({k: v.contiguous() for k, v in flat.items()}, str(work / "flat.safetensors"))
        spec = {
            "sharded": [k for k in flat if any(s in k for s in SHARDED)],
            "model_config": {f: m[f] for f in fields} | {"tie_word_embeddings": True},
            "model_config_after_0_4": {"rope_interleaved": False, "rope_theta": m.get("rope_theta", 1e4)},
        }
        (work / "spec.json").write_text(json.dumps(spec))
        helper = str(TESTS / "nanotron_env.py")
        cmd = [str(NANOTRON_PY), helper, "checkpoint", str(work / "flat.safetensors"), str(root / str(step))]
        subprocess.run([*cmd, str(work / "spec.json")], check=True)
        torch.save(model.state_dict(), work / "reference.pt")
        (root / "latest.txt").write_text(str(step))


if __name__ == "__main__":
    main()
