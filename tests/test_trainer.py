"""The hf trainer: fixed token budget, seeded determinism, epochs, and resume from the last checkpoint."""

from __future__ import annotations

import gzip
import json

import pytest
import torch
from helpers import Plant

from ablations.recipe.schema import ModelConfig, TrainingConfig
from ablations.train.hf import train
from ablations.train.tokenizer import train_bpe
from ablations.train.tokens import TokensStage, token_count

MODEL = ModelConfig(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_seq_len=32)
TRAIN = TrainingConfig(token_budget=32 * 4 * 12, batch_size=4, checkpoints=3, warmup_steps=2, threads=1)


@pytest.fixture(scope="module")
def tokens(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp("trainer")
    texts = [
        p.read_text(encoding="utf-8")[:4000] for p in sorted((shared_data / "clean_books/ecco_tcp").glob("*"))[:3]
    ]
    (root / "proc" / "output").mkdir(parents=True)
    with gzip.open(root / "proc" / "output" / "00000.jsonl.gz", "wt") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": str(i), "text": t}) + "\n")
    tok_dir = train_bpe(iter(texts), 300, root / "tok")
    stage = TokensStage(root / "proc", tok_dir, seed=0, root=root).run().folder
    return stage


def losses(record: dict) -> list[float]:
    return [e["loss"] for e in record["evals"]]


def test_same_seed_same_run_other_seed_other_run(tokens, tmp_path):
    no_eval = lambda model, step, seen: {}  # noqa: E731
    a = train(tokens / "tokens", 300, MODEL, TRAIN, 1, tmp_path / "a", no_eval, progress=False)
    b = train(tokens / "tokens", 300, MODEL, TRAIN, 1, tmp_path / "b", no_eval, progress=False)
    c = train(tokens / "tokens", 300, MODEL, TRAIN, 2, tmp_path / "c", no_eval, progress=False)
    assert losses(a) == losses(b) and losses(a) != losses(c)
    assert a["tokens"] == TRAIN.token_budget and [e["step"] for e in a["evals"]] == [4, 8, 12]
    assert a["epochs"] == pytest.approx(12 * 4 / a["sequences_available"])


def test_budget_larger_than_the_data_repeats_it_and_says_so(tokens, tmp_path):
    available = token_count(tokens)
    cfg = TRAIN.model_copy(update={"token_budget": 3 * available})
    rec = train(tokens / "tokens", 300, MODEL, cfg, 1, tmp_path, lambda m, s, t: {}, progress=False)
    assert rec["epochs"] > 2.5


def test_killed_run_resumes_from_the_last_checkpoint_with_the_same_result(tokens, tmp_path):
    full = train(tokens / "tokens", 300, MODEL, TRAIN, 3, tmp_path / "full", lambda m, s, t: {"s": s}, progress=False)

    class Killed(Exception):
        pass

    def dies_at_third(model, step, seen):
        if step == 12:
            raise Killed
        return {"s": step}

    with pytest.raises(Killed):
        train(tokens / "tokens", 300, MODEL, TRAIN, 3, tmp_path / "resumed", dies_at_third, progress=False)
    assert torch.load(tmp_path / "resumed/checkpoint/state.pt", weights_only=True)["step"] == 8
    resumed = train(
        tokens / "tokens", 300, MODEL, TRAIN, 3, tmp_path / "resumed", lambda m, s, t: {"s": s}, progress=False
    )
    assert [e["step"] for e in resumed["evals"]] == [4, 8, 12]
    assert losses(resumed) == losses(full)  # bit for bit: model, optimizer and RNG state all come back


def test_a_checkpoint_holding_code_is_refused_without_running_it(tokens, tmp_path):
    marker, folder = tmp_path / "planted", tmp_path / "run/checkpoint"
    folder.mkdir(parents=True)
    torch.save({"step": 4, "rng": Plant(marker)}, folder / "state.pt")
    with pytest.raises(ValueError, match=f"{folder / 'state.pt'}: not a checkpoint this trainer wrote.*delete it"):
        train(tokens / "tokens", 300, MODEL, TRAIN, 3, tmp_path / "run", lambda m, s, t: {}, progress=False)
    assert not marker.exists()
