"""A user's own evaluation task and trainer backend, from a module outside the project, named by dotted path in a
recipe: parameters checked against their own signatures with file:line errors, and a real tiny ablation that
evaluates with the user's task and trains with the user's trainer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ablations.recipe.loader import ConfigError, load_recipe

REPO = Path(__file__).resolve().parents[1]

USER_MODULE = '''
"""Someone's own plug-ins, outside FineBooks."""
import json
from pathlib import Path

from ablations.train.builtin_backends import HfBackend


def right_or_scrambled(path, repeat: int = 1):
    """Lines of a file against the same words reversed: the model should prefer the real sentence."""
    for i, line in enumerate(Path(path).read_text().splitlines()):
        words = line.split()
        for r in range(repeat):
            yield {"id": f"{i}-{r}", "query": "", "choices": [line, " ".join(words[::-1])], "gold": 0}


right_or_scrambled.chance = 0.5


class ConstantLR(HfBackend):
    """The hf trainer at a constant learning rate (no warmup, no decay); leaves a marker in each run folder."""

    def __init__(self, marker: str = "constant"):
        self.marker = marker

    def train(self, cfg, tokens, tokenizer_dir, vocab_size, seed, folder, on_checkpoint, log=None, progress=True):
        flat = cfg.training.model_copy(update={"warmup_steps": 0, "min_lr_ratio": 1.0})
        lrs = set()

        def log_lr(values, step):
            lrs.add(values["train/lr"])
            if log:
                log(values, step)

        cfg = cfg.model_copy(update={"training": flat})
        record = super().train(cfg, tokens, tokenizer_dir, vocab_size, seed, folder, on_checkpoint, log_lr, progress)
        (folder / "user_trainer.json").write_text(json.dumps({"marker": self.marker, "lrs": sorted(lrs)}))
        return record | {"trainer": self.marker}
'''

SENTENCES = [
    "It was the best of times and the worst of times for the old town.",
    "She opened the letter and read it slowly by the light of the fire.",
    "The ship sailed from the harbour at dawn with all her men aboard.",
    "He had never seen so many books in one room before that day.",
    "The children ran down the hill towards the river in the morning.",
    "In the evening the family sat together and spoke of the harvest.",
    "The king sent his messenger to the castle with an urgent letter.",
    "They walked along the road until they came to a small village.",
]


def user_recipe(tmp_path: Path, shared: Path, task_params: str = "{repeat: 2}", trainer_params: str = "{}") -> Path:
    ext = tmp_path / "ext"
    ext.mkdir(exist_ok=True)
    (ext / "my_plugins.py").write_text(USER_MODULE)
    (tmp_path / "pairs.txt").write_text("\n".join(SENTENCES) + "\n")
    cfg = f"""\
experiment: {{name: user, output_dir: {tmp_path / "runs"}, seed: 0}}
data:
  sources:
    - {{name: ecco, format: text, path: {shared / "clean_books/ecco_tcp"}, limit: 6}}
tokenizer: {{vocab_size: 400, sample_documents: 6, sample_chars: 200000}}
model: {{hidden_size: 16, num_layers: 1, num_heads: 2, intermediate_size: 32, max_seq_len: 64}}
training:
  backend: my_plugins.ConstantLR
  params: {trainer_params}
  token_budget: 4096
  batch_size: 8
  checkpoints: 2
  threads: 1
evaluation:
  holdout: {{source: ecco, documents: 1, chunk_chars: 500}}
  tasks:
    - {{name: bpb_ecco, kind: bpb, max_items: 10}}
    - name: scrambled
      kind: my_plugins.right_or_scrambled
      path: {tmp_path / "pairs.txt"}
      params: {task_params}
      max_items: 12
ablation: {{seeds: 2, max_seeds: 2}}
executor: {{tasks: 1, workers: 1}}
tracking: {{wandb: disabled}}
"""
    path = tmp_path / "user.yaml"
    path.write_text(cfg)
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_user_plugins_parameters_are_checked_with_file_and_line(tmp_path, shared_data, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "ext"))
    path = user_recipe(tmp_path, shared_data, task_params="{repeat: twice}")
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    assert f"{path}:{line_of(path, 'repeat: twice')}: evaluation.tasks.1.params.repeat: " in str(e.value)
    assert "valid integer" in str(e.value)

    path = user_recipe(tmp_path, shared_data, task_params="{repeats: 2}", trainer_params="{colour: red}")
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    assert f"{path}:{line_of(path, 'repeats: 2')}: evaluation.tasks.1.params.repeats: " in str(e.value)
    assert "has no parameter 'repeats'; its parameters: repeat" in str(e.value)
    assert f"{path}:{line_of(path, 'colour: red')}: training.params.colour: " in str(e.value)

    cfg = load_recipe(user_recipe(tmp_path, shared_data))
    assert cfg.training.params == {"marker": "constant"}  # defaults pinned in the resolved recipe
    assert cfg.evaluation.tasks[1].params == {"repeat": 2}


def test_backends_say_how_slurm_launches_them_and_what_they_cannot_train(tmp_path, shared_data, monkeypatch):
    from ablations.train.backends import train_run, trainer_backend

    monkeypatch.syspath_prepend(str(tmp_path / "ext"))
    path = user_recipe(tmp_path, shared_data)
    with pytest.raises(
        ConfigError,
        match=r"training.backend: trainer backend 'my_plugins.right_or_scrambled' .* is "
        r"not a subclass of ablations.train.backends.TrainerBackend",
    ):
        load_recipe(path, ["training.backend=my_plugins.right_or_scrambled"])
    hf = load_recipe(path, ["training.backend=hf"])
    assert trainer_backend(hf.training).slurm_processes(4) == 4  # accelerate launch, one process per GPU
    assert trainer_backend(load_recipe(path).training).slurm_processes(4) == 4  # the user's inherits it
    nanotron = load_recipe(
        path,
        [
            "training.backend=nanotron",
            "training.nanotron.run_train=run_train.py",
            "executor.kind=slurm",
            "executor.slurm.training.gpus=2",
        ],
    )
    backend = trainer_backend(nanotron.training)
    assert backend.slurm_processes(2) == 1 and not backend.inline_eval  # it starts torchrun itself
    with pytest.raises(ValueError, match="training.backend=nanotron trains only in SLURM jobs"):
        train_run(nanotron, evaluate_inline=True)


@pytest.mark.slow
def test_user_task_scores_and_user_trainer_trains_in_a_tiny_ablation(tmp_path, shared_data):
    path = user_recipe(tmp_path, shared_data, trainer_params="{marker: flat}")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "ext"), str(REPO), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, str(REPO / "run_ablation.py"), str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    run_dir = tmp_path / "runs" / "user"
    df = pd.read_parquet(run_dir / "results.parquet")
    assert set(df["task"]) == {"bpb_ecco", "scrambled"} and set(df["step"]) == {4, 8}
    mine = df[df["task"] == "scrambled"]
    assert (mine["items"] == 12).all() and mine["acc"].between(0, 1).all() and mine["margin"].notna().all()
    folders = sorted((run_dir / "stages").glob("train-*"))
    assert len(folders) == 2  # no candidate: the baseline alone, at its 2 seeds
    for folder in folders:
        marker = json.loads((folder / "user_trainer.json").read_text())
        assert marker == {"marker": "flat", "lrs": [pytest.approx(3e-3)]}  # one learning rate: the user's schedule
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["trainer"] == "flat" and manifest["key"]["training"]["backend"] == "my_plugins.ConstantLR"
    items = [json.loads(x) for x in (run_dir / "eval_data" / "scrambled" / "test.jsonl").read_text().splitlines()]
    assert len(items) == 12 and all(it["choices"][0] in SENTENCES for it in items)
    assert "| scrambled |" in (run_dir / "report.md").read_text()
