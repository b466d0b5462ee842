"""The ablation loop's nanotron path (training.backend: nanotron) inside the jobs it runs on SLURM.

nanotron cannot train on a CPU, so its run_train.py is replaced by tests/nanotron_standin.py, started by torchrun as
the loop starts nanotron: the test covers what FineBooks does around nanotron (config, torchrun launch, resume,
checkpoint conversion, evaluation of the converted checkpoints with the recipe's tasks), not nanotron's training.
The job functions run in-process here (the local cluster has no GPUs to schedule such a job on).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from test_ablation_e2e import tiny_recipe

from ablations.recipe.loader import ConfigError, load_recipe
from ablations.slurm.job import run_item

TESTS = Path(__file__).resolve().parent


def nanotron_recipe(tmp_path: Path, shared: Path) -> Path:
    path = tiny_recipe(tmp_path, shared)
    text = path.read_text().replace(
        "training: {token_budget: 6144, batch_size: 8, checkpoints: 2, warmup_steps: 2, threads: 1}",
        "training: {token_budget: 6144, batch_size: 8, checkpoints: 2, warmup_steps: 2, threads: 1, backend: nanotron,"
        f" nanotron: {{run_train: {TESTS / 'nanotron_standin.py'},"
        f" env_command: 'source {sys.prefix}/bin/activate'}}}}",
    )
    text = text.replace("executor: {tasks: 1, workers: 1}", "executor: {kind: slurm, slurm: {training: {gpus: 1}}}")
    path.write_text(text)
    return path


def test_nanotron_backend_needs_slurm_gpus_and_run_train(tmp_path, shared_data):
    path = nanotron_recipe(tmp_path, shared_data)
    with pytest.raises(ConfigError, match="executor.kind must be slurm"):
        load_recipe(path, ["executor.kind=local"])
    with pytest.raises(ConfigError, match="executor.slurm.training.gpus must be >= 1"):
        load_recipe(path, ["executor.slurm.training.gpus=0"])
    with pytest.raises(ConfigError, match="training.nanotron.run_train must name"):
        load_recipe(path, ["training.nanotron.run_train=null"])


@pytest.mark.slow
def test_train_and_eval_jobs_run_nanotron_convert_and_score_its_checkpoints(tmp_path, shared_data):
    from transformers import LlamaForCausalLM

    from ablations.experiment import run_dir_of

    path = nanotron_recipe(tmp_path, shared_data)
    cfg = load_recipe(path)
    run_dir = run_dir_of(cfg)
    base = {"name": "baseline", "clean": [], "filter": [], "data": None}
    run_item("prepare", path, run_dir, {"variant": base})
    run_item("train", path, run_dir, {"variant": base, "seed": 0})
    (folder,) = (run_dir / "stages").glob("train-*")
    trained = json.loads((folder / "trained.json").read_text())
    assert trained["backend"] == "nanotron" and [e["step"] for e in trained["evals"]] == [6, 12]
    assert all(e["tasks"] is None for e in trained["evals"])
    calls = [json.loads(x) for x in (folder / "nanotron/standin_calls.jsonl").read_text().splitlines()]
    assert calls == [{"rank": "0", "world": "1", "resume": None}]  # torchrun started it, once, fresh
    for step in (6, 12):  # each nanotron checkpoint became the transformers model nanotron held
        model = LlamaForCausalLM.from_pretrained(str(folder / "models" / f"step-{step}")).eval()
        ref = LlamaForCausalLM(model.config)
        ref.load_state_dict(
            torch.load(folder / "nanotron/checkpoints" / f"{step}.work" / "reference.pt", weights_only=True)
        )
        ids = torch.randint(0, model.config.vocab_size, (2, 16), generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            assert torch.allclose(model(ids).logits, ref.eval()(ids).logits, atol=1e-5)

    run_item("eval", path, run_dir, {"variant": base, "seed": 0})
    record = json.loads((folder / "manifest.json").read_text())
    assert [sorted(e["tasks"]) for e in record["evals"]] == [["blimp", "bpb_ecco", "ght"]] * 2
    bpb = [sum(r["bpb"] for r in e["tasks"]["bpb_ecco"]) for e in record["evals"]]
    assert bpb[0] != bpb[1] and all(b > 0 for b in bpb)  # two different checkpoints were scored

    (folder / "trained.json").unlink()  # a resubmitted training job resumes from nanotron's last checkpoint
    (folder / "manifest.json").unlink()
    run_item("train", path, run_dir, {"variant": base, "seed": 0})
    calls = [json.loads(x) for x in (folder / "nanotron/standin_calls.jsonl").read_text().splitlines()]
    assert calls[-1]["resume"] == str(folder / "nanotron/checkpoints")
