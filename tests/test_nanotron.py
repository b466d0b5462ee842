"""The nanotron backend: the generated config through nanotron's own classes (in .venv-nanotron), the Nanoset data
folder, the sbatch script (rendered, and run with a real torchrun), and checkpoint conversion and evaluation."""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from ablations.recipe.loader import load_recipe
from ablations.train.budget import train_steps
from ablations.train.hf import lr_at
from ablations.train.nanotron.convert import CheckpointError, convert_checkpoint
from ablations.train.nanotron.launch import LaunchError, render_sbatch, write_sbatch
from ablations.train.nanotron.yaml_writer import NanotronConfigError, token_folder, write_config
from ablations.train.tokenizer import train_bpe
from ablations.train.tokens import TokensStage

REPO = Path(__file__).resolve().parents[1]
NANOTRON_PY = REPO / ".venv-nanotron" / "bin" / "python"
HELPER = Path(__file__).with_name("nanotron_env.py")
SMALL = [
    "model.hidden_size=32",
    "model.num_layers=2",
    "model.num_heads=4",
    "model.intermediate_size=64",
    "model.max_seq_len=32",
    "training.token_budget=12000",
    "training.batch_size=8",
    "training.learning_rate=0.002",
    "training.min_lr_ratio=0.2",
    "training.warmup_steps=5",
    "training.weight_decay=0.05",
    "training.grad_clip=0.5",
    "training.checkpoints=4",
    "evaluation.holdout=null",
    "ablation.candidates=[]",
]


def recipe(*overrides: str):
    return load_recipe(REPO / "configs" / "quickstart.yaml", [*SMALL, *overrides])


def nanotron(*args: str) -> subprocess.CompletedProcess:
    if not NANOTRON_PY.exists():
        pytest.fail(f"{NANOTRON_PY} is missing: run ./setup.sh (it creates .venv-nanotron)", pytrace=False)
    return subprocess.run([str(NANOTRON_PY), str(HELPER), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def tokens(tmp_path_factory, shared_data):
    """A real tokens stage: 3 clean books, a 300-token BPE, datatrove's tokenizer."""
    root = tmp_path_factory.mktemp("nanotron")
    books = sorted((shared_data / "clean_books/ecco_tcp").glob("*"))[:3]
    texts = [p.read_text(encoding="utf-8")[:6000] for p in books]
    (root / "proc" / "output").mkdir(parents=True)
    with gzip.open(root / "proc" / "output" / "00000.jsonl.gz", "wt") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": str(i), "text": t}) + "\n")
    (root / "book.txt").write_text(texts[0], encoding="utf-8")
    tok_dir = train_bpe(iter(texts), 300, root / "tok")
    return TokensStage(root / "proc", tok_dir, seed=0, root=root).run().folder


@pytest.fixture(scope="module")
def generated(tokens, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    cfg = recipe()
    path = write_config(cfg, tokens, seed=7, out=out, gpus=2)
    res = nanotron("load", str(path))
    assert res.returncode == 0, res.stderr[-3000:]
    return cfg, path, json.loads(res.stdout)


def test_config_loads_through_nanotron_classes_with_the_recipe_values(generated, tokens):
    cfg, path, nt = generated
    loaded, removed = nt["loaded"], nt["removed"]
    mc = loaded["model"]["model_config"]
    tok_dir = token_folder(tokens).tokenizer_dir
    assert nt["classes"] == "nanotron.config.config.Config" and nt["model_config_class"] == "LlamaConfig"
    assert (mc["hidden_size"], mc["intermediate_size"], mc["num_hidden_layers"]) == (32, 64, 2)
    assert (mc["num_attention_heads"], mc["num_key_value_heads"], mc["max_position_embeddings"]) == (4, 4, 32)
    assert (mc["bos_token_id"], mc["eos_token_id"], mc["pad_token_id"], mc["tie_word_embeddings"]) == (0, 1, 0, True)
    assert mc["vocab_size"] == 301  # the 300 BPE ids and the added <|eos|>, as ablations/decide/loop.py counts them
    steps = math.ceil(12000 / (8 * 32))
    assert train_steps(cfg.training, cfg.model) == steps == loaded["tokens"]["train_steps"]
    assert loaded["tokens"]["sequence_length"] == 32
    assert nt["global_batch_size"] == cfg.training.batch_size  # micro * accumulation * dp, nanotron's own property
    assert loaded["parallelism"] == {
        "dp": 2,
        "pp": 1,
        "tp": 1,
        "pp_engine": "1f1b",
        "tp_mode": "ALL_REDUCE",
        "tp_linear_async_communication": False,
        "expert_parallel_size": 1,
    }
    opt = loaded["optimizer"]
    sched = opt["learning_rate_scheduler"]
    assert (opt["adam_beta1"], opt["adam_beta2"], opt["weight_decay"], opt["clip_grad"]) == (0.9, 0.95, 0.05, 0.5)
    assert sched["learning_rate"] == 0.002 and sched["min_decay_lr"] == pytest.approx(0.002 * 0.2)
    assert (sched["lr_warmup_steps"], sched["lr_decay_steps"], sched["lr_decay_style"]) == (5, steps - 5, "cosine")
    assert loaded["general"]["seed"] == 7 and removed["data_stages"][0]["data"]["seed"] == 7
    assert loaded["checkpoints"]["checkpoint_interval"] == math.ceil(steps / 4)
    assert loaded["checkpoints"]["checkpoints_path"] == str(path.parent / "checkpoints")
    assert loaded["tokenizer"]["tokenizer_name_or_path"] == str(tok_dir) and nt["dtype"] == "torch.bfloat16"
    dataset = removed["data_stages"][0]["data"]["dataset"]
    assert dataset == {
        "dataset_folder": [str(path.parent / "nanoset")],
        "dataset_weights": [1.0],
        "tokenizer_name": str(tok_dir),
        "vocab_size": 301,
        "token_size_in_bytes": 2,
    }
    assert removed["optimizer.optimizer_factory.name"] == "adamW" and removed["checkpoints.save_final_state"]
    assert (removed["model.model_config.rope_theta"], removed["model.model_config.rope_interleaved"]) == (1e4, False)


def test_nanotron_schedule_is_the_hf_schedule_with_warmup_one_step_later(generated):
    cfg, _, nt = generated
    lrs, total = nt["lrs"], train_steps(cfg.training, cfg.model)
    hf = [lr_at(s, total, cfg.training) for s in range(total)]
    assert len(lrs) == total and lrs[0] == 0.0  # nanotron's linear warmup starts at 0, the hf trainer's at lr/W
    assert lrs[1 : cfg.training.warmup_steps + 1] == pytest.approx(hf[: cfg.training.warmup_steps])
    assert lrs[cfg.training.warmup_steps :] == pytest.approx(hf[cfg.training.warmup_steps :])
    assert lrs[-1] == pytest.approx(cfg.training.learning_rate * cfg.training.min_lr_ratio, rel=0.01)


def test_nanotron_classes_reject_a_wrong_key(generated, tmp_path):
    _, path, _ = generated
    bad = yaml.safe_load(path.read_text())
    bad["tokens"]["sequence_lenght"] = bad["tokens"].pop("sequence_length")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    res = nanotron("load", str(tmp_path / "bad.yaml"))
    assert res.returncode != 0 and "sequence_lenght" in res.stderr


def test_nanoset_folder_serves_the_hf_trainers_sequences(generated, tokens):
    from datatrove.utils.dataset import DatatroveFolderDataset
    from transformers import AutoTokenizer

    from ablations.train.hf import TokenSequences

    _, path, _ = generated
    folder = path.parent / "nanoset"
    meta = next(folder.glob("*.ds.metadata")).read_text().splitlines()[0]
    tok_dir = token_folder(tokens).tokenizer_dir
    assert meta == f"{tok_dir}|2"
    assert len(AutoTokenizer.from_pretrained(meta.split("|")[0])) == 301  # what nanotron does with that name
    # what nanotron's Nanoset asks datatrove for (it spells the pattern as an absolute path, which datatrove 0.10.1
    # does not match: the nanotron environment takes the datatrove that nanotron's repository pins)
    nanoset = DatatroveFolderDataset(str(folder), seq_len=32, filename_pattern="*.ds", recursive=False, token_size=2)
    hf = TokenSequences(tokens / "tokens", 32, seed=0, order="shuffled").ds
    assert len(nanoset) == len(hf) > 10
    for i in (0, 1, len(hf) - 1):
        assert torch.equal(nanoset[i]["input_ids"], hf[i]["input_ids"]) and len(hf[i]["input_ids"]) == 33


@pytest.mark.parametrize(
    "overrides, kwargs, message",
    [
        ([], {"gpus": 3}, "training.batch_size (8) must be divisible by the data-parallel size"),
        ([], {"gpus": 2, "tp": 4, "pp": 1}, "must be a positive multiple of tp*pp"),
        ([], {"gpus": 8, "tp": 8}, "model.num_heads (4) must be divisible by tp (8)"),
        (["training.warmup_steps=100"], {"gpus": 1}, "training.warmup_steps (100) must be below the 47 training"),
        ([], {"gpus": 2, "micro_batch_size": 3}, "--micro-batch-size 3 must divide"),
        (["model.max_seq_len=100000"], {"gpus": 1}, "less than one training sequence"),
    ],
)
def test_bad_inputs_name_what_to_change(tokens, tmp_path, overrides, kwargs, message):
    with pytest.raises(NanotronConfigError, match=re.escape(message)):
        write_config(recipe(*overrides), tokens, seed=0, out=tmp_path, **kwargs)


def test_tokens_folder_without_shards_is_an_error(tmp_path):
    with pytest.raises(NanotronConfigError, match=r"no datatrove token shards \(\*\.ds\)"):
        token_folder(tmp_path)


def _sbatch_lines(text: str) -> dict[str, str]:
    return dict(re.findall(r"^#SBATCH --([a-z-]+)=(\S+)$", text, flags=re.M))


def test_sbatch_script_carries_the_values_and_starts_dp_tp_pp_processes(tokens, tmp_path):
    path = write_config(recipe(), tokens, seed=3, out=tmp_path, gpus=8, tp=2, pp=2)  # dp = 2
    text = render_sbatch(
        path,
        gpus_per_node=4,
        nodes=2,
        time="02:30:00",
        partition="gpu-h100",
        account="books",
        cpus_per_task=48,
        activate="source /opt/nt/bin/activate",
        nanotron_dir=tmp_path / "nanotron",
    )
    script = tmp_path / "train.sbatch"
    script.write_text(text)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    assert _sbatch_lines(text) == {
        "job-name": "quickstart-seed3",
        "partition": "gpu-h100",
        "account": "books",
        "nodes": "2",
        "ntasks-per-node": "1",
        "gpus-per-node": "4",
        "cpus-per-task": "48",
        "time": "02:30:00",
        "output": f"{tmp_path}/%x-%j.out",
    }
    config = yaml.safe_load(path.read_text())
    p = config["parallelism"]
    nnodes = int(re.search(r"--nnodes=(\d+)", text).group(1))
    nproc = int(re.search(r"--nproc_per_node=(\d+)", text).group(1))
    assert nnodes * nproc == p["dp"] * p["tp"] * p["pp"] == 8
    assert "\nsource /opt/nt/bin/activate\n" in text
    assert f'RUN_TRAIN="{tmp_path}/nanotron/run_train.py"' in text and f'CONFIG="{path}"' in text
    assert '"$RUN_TRAIN" --config-file "$CONFIG"' in text
    with pytest.raises(LaunchError, match="expects dp\\*tp\\*pp = 8: regenerate the config with --gpus 4"):
        render_sbatch(path, gpus_per_node=4, nodes=1)
    with pytest.raises(LaunchError, match="may not hold spaces"):
        render_sbatch(path, gpus_per_node=4, nodes=2, partition="gpu; rm -rf /")


def test_sbatch_script_runs_torchrun_with_the_config(tokens, tmp_path):
    """The rendered script under bash: srun (not installed here) passes through, torchrun is the real one and starts
    one process per GPU on run_train.py (a stand-in that records what each rank was given)."""
    path = write_config(recipe(), tokens, seed=0, out=tmp_path / "run", gpus=2)
    nano = tmp_path / "nanotron"
    nano.mkdir()
    (nano / "run_train.py").write_text(
        "import json, os, sys\n"
        "rank = os.environ['RANK']\n"
        "with open(os.path.join(os.environ['RECORD_DIR'], f'rank{rank}.json'), 'w') as f:\n"
        "    json.dump({'world': os.environ['WORLD_SIZE'], 'argv': sys.argv[1:],\n"
        "               'cuda_max_conn': os.environ.get('CUDA_DEVICE_MAX_CONNECTIONS')}, f)\n"
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    srun = bin_dir / "srun"
    srun.write_text('#!/bin/bash\nwhile [[ "$1" == --* ]]; do shift; done\nexec "$@"\n')
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    script = write_sbatch(
        path, gpus_per_node=2, activate=f'export PATH="{Path(sys.executable).parent}:$PATH"', nanotron_dir=nano
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RECORD_DIR": str(tmp_path),
        "SLURM_JOB_ID": "42",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
    }
    res = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    records = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert all(r == {"world": "2", "argv": ["--config-file", str(path)], "cuda_max_conn": "1"} for r in records)


def test_sbatch_script_stops_when_run_train_is_missing(tokens, tmp_path):
    path = write_config(recipe(), tokens, seed=0, out=tmp_path, gpus=1)
    script = write_sbatch(path, gpus_per_node=1)
    env = {k: v for k, v in os.environ.items() if k != "NANOTRON_DIR"}
    res = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 1 and "run_train.py not found at /run_train.py" in res.stderr


# --- checkpoint conversion -----------------------------------------------------------------------------------------

SHARDED = ("token_embedding", "qkv_proj", "o_proj", "gate_up_proj", "down_proj", "lm_head")


def to_nanotron(model, interleave: bool, pad_rows: int) -> dict[str, torch.Tensor]:
    """transformers Llama weights under nanotron's names, as nanotron's examples/llama/convert_hf_to_nanotron.py
    builds them (q, k, v stacked; GPT-J rotary order when interleaved; gate and up stacked)."""
    c, sd = model.config, model.state_dict()
    d = c.hidden_size // c.num_attention_heads

    def gptj(w):
        return torch.cat([h.view(2, d // 2, -1).transpose(0, 1).reshape(d, -1) for h in w.split(d)])

    embed = sd["model.embed_tokens.weight"]
    out = {
        "model.token_position_embeddings.pp_block.token_embedding.weight": torch.cat(
            [embed, torch.randn(pad_rows, embed.shape[1])]
        ),
        "model.final_layer_norm.pp_block.weight": sd["model.norm.weight"],
    }
    for i in range(c.num_hidden_layers):
        hf, nt = f"model.layers.{i}", f"model.decoder.{i}.pp_block"
        q, k, v = (sd[f"{hf}.self_attn.{x}_proj.weight"] for x in "qkv")
        out[f"{nt}.attn.qkv_proj.weight"] = torch.cat([gptj(q), gptj(k), v] if interleave else [q, k, v])
        out[f"{nt}.attn.o_proj.weight"] = sd[f"{hf}.self_attn.o_proj.weight"]
        gate, up = sd[f"{hf}.mlp.gate_proj.weight"], sd[f"{hf}.mlp.up_proj.weight"]
        out[f"{nt}.mlp.gate_up_proj.weight"] = torch.cat([gate, up])
        out[f"{nt}.mlp.down_proj.weight"] = sd[f"{hf}.mlp.down_proj.weight"]
        out[f"{nt}.input_layernorm.weight"] = sd[f"{hf}.input_layernorm.weight"]
        out[f"{nt}.post_attention_layernorm.weight"] = sd[f"{hf}.post_attention_layernorm.weight"]
    return out


def nanotron_checkpoint(model, folder: Path, interleave: bool, config_yaml: Path | None = None) -> Path:
    from safetensors.torch import save_file

    c = model.config
    step = folder / "checkpoints" / "12"
    step.mkdir(parents=True)
    flat = to_nanotron(model, interleave, pad_rows=3)
    save_file({k: v.contiguous() for k, v in flat.items()}, str(folder / "flat.safetensors"))
    fields = ("bos_token_id", "eos_token_id", "pad_token_id", "hidden_size", "intermediate_size", "num_hidden_layers")
    fields += ("num_attention_heads", "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "vocab_size")
    spec = {
        "sharded": [k for k in flat if any(s in k for s in SHARDED)],
        "model_config": {f: getattr(c, f) for f in fields} | {"tie_word_embeddings": True},
        # nanotron main writes these too; 0.4 (no such fields) always trained with GPT-J (interleaved) rotary
        "model_config_after_0_4": {} if interleave else {"rope_interleaved": False, "rope_theta": 1e4},
    }
    (folder / "spec.json").write_text(json.dumps(spec))
    res = nanotron("checkpoint", str(folder / "flat.safetensors"), str(step), str(folder / "spec.json"))
    assert res.returncode == 0, res.stderr[-3000:]
    (folder / "checkpoints" / "latest.txt").write_text("12")
    if config_yaml:
        (step / "config.yaml").write_text(config_yaml.read_text())
    return step


@pytest.fixture(scope="module")
def reference(tokens):
    from ablations.train.hf import build_model

    torch.manual_seed(0)
    model = build_model(recipe().model, 301, seed=5)
    with torch.no_grad():  # norms away from 1, so that a norm mix-up shows
        for p in model.parameters():
            if p.ndim == 1:
                p.add_(torch.rand_like(p))
    return model.eval()


@pytest.mark.parametrize("interleave", [False, True], ids=["neox-rotary", "gptj-rotary"])
def test_converted_checkpoint_computes_what_the_model_computed(reference, generated, tmp_path, interleave):
    from transformers import LlamaForCausalLM

    _, config_yaml, _ = generated
    step = nanotron_checkpoint(reference, tmp_path, interleave, config_yaml)
    assert (step / "model/model/decoder/0/pp_block/attn/qkv_proj").is_dir()
    assert (step / "model/model/final_layer_norm/pp_block/model_weight.safetensors").is_file()
    out = convert_checkpoint(tmp_path / "checkpoints", tmp_path / "hf")  # latest.txt -> step 12
    converted = LlamaForCausalLM.from_pretrained(str(out)).eval()
    ids = torch.randint(0, 301, (2, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(converted(ids).logits, reference(ids).logits, atol=1e-5)
    assert (out / "tokenizer.json").is_file()  # the training config's tokenizer came along


def test_tensor_parallel_shards_are_refused(reference, tmp_path):
    step = nanotron_checkpoint(reference, tmp_path, interleave=False)
    qkv = step / "model/model/decoder/0/pp_block/attn/qkv_proj"
    src = next(qkv.glob("*.safetensors"))
    src.rename(qkv / "model_weight_pp-rank-0-of-1_tp-rank-0-of-2.safetensors")
    (qkv / "model_weight_pp-rank-0-of-1_tp-rank-1-of-2.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"tensor-parallel checkpoints \(tp > 1\) are not merged"):
        convert_checkpoint(step, tmp_path / "hf")
    with pytest.raises(CheckpointError, match="neither a checkpoint step folder"):
        convert_checkpoint(tmp_path, tmp_path / "hf")


def test_evaluate_scores_the_converted_model_like_the_original(reference, generated, tokens, tmp_path):
    from transformers import PreTrainedTokenizerFast

    from ablations.eval.bpb import bits_per_byte
    from ablations.train.nanotron.__main__ import main

    _, config_yaml, _ = generated
    nanotron_checkpoint(reference, tmp_path, interleave=False, config_yaml=config_yaml)
    assert main(["convert", str(tmp_path / "checkpoints"), "--out", str(tmp_path / "hf")]) == 0
    book = tokens.parent / "book.txt"
    task = f"evaluation.tasks=[{{name: bpb_book, kind: bpb, path: {book}, max_items: 100}}]"
    argv = ["evaluate", str(REPO / "configs/quickstart.yaml"), "--model", str(tmp_path / "hf"), "--out", str(tmp_path)]
    assert main([*argv, *[a for s in [*SMALL, task] for a in ("--set", s)]]) == 0
    record = json.loads((tmp_path / "evals.json").read_text())
    tok = PreTrainedTokenizerFast.from_pretrained(str(token_folder(tokens).tokenizer_dir))
    flat = " ".join(book.read_text(encoding="utf-8").split())
    chunks = [flat[i : i + 1000] for i in range(0, len(flat) - 999, 1000)]
    expected = bits_per_byte(reference, tok, chunks, 32)
    got = [r["bpb"] for r in record["tasks"]["bpb_book"]]
    assert len(got) == len(chunks) >= 4 and got == pytest.approx(expected, rel=1e-4)
