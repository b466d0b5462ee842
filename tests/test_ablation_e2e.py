"""The ablation loop end to end through run_ablation.py, at a tiny size: a candidate whose answer is known by
construction is decided as such, and the decisions, report and reuse follow.

The data mix English books (ECCO-TCP, OCR'd old books) with books of random "words" over the letters of
``NOISE_LETTERS``, which never spell "the". The candidate, a regex filter on ``\bthe\b``, removes every English
book: its variant trains on noise only, so bits per byte of held-out English (ECCO) books must be worse than the
baseline's, which trains on English. The known answer is **drop**.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ablations.recipe.loader import load_recipe

REPO = Path(__file__).resolve().parents[1]
NOISE_LETTERS = "qxzjkvwy"


def noise_books(folder: Path, books: int = 6, words: int = 600) -> Path:
    """Seeded books of random words over NOISE_LETTERS (no English word among them)."""
    rng = random.Random(0)
    folder.mkdir(parents=True)
    for b in range(books):
        text = " ".join("".join(rng.choices(NOISE_LETTERS, k=rng.randint(2, 7))) for _ in range(words))
        (folder / f"noise{b}.txt").write_text(text + ".\n")
    return folder


def tiny_recipe(tmp_path: Path, shared: Path) -> Path:
    cfg = f"""\
experiment: {{name: tiny, output_dir: {tmp_path / "runs"}, seed: 0}}
data:
  sources:
    - {{name: old_books, format: text, path: {shared / "ocr_pages/old_books/tesseract_otsu_txt"},
       glob_pattern: "*.txt", book_pattern: '^([a-z]+)\\d+'}}
    - {{name: ecco, format: text, path: {shared / "clean_books/ecco_tcp"}, limit: 6}}
    - {{name: noise, format: text, path: {noise_books(tmp_path / "noise")}}}
tokenizer: {{vocab_size: 400, sample_documents: 8, sample_chars: 200000}}
model: {{hidden_size: 16, num_layers: 1, num_heads: 2, intermediate_size: 32, max_seq_len: 64}}
training: {{token_budget: 6144, batch_size: 8, checkpoints: 2, warmup_steps: 2, threads: 1}}
evaluation:
  holdout: {{source: ecco, documents: 2, chunk_chars: 500}}
  tasks:
    - {{name: bpb_ecco, kind: bpb, max_items: 20}}
    - {{name: ght, kind: gold_vs_ocr, max_items: 30}}
    - {{name: blimp, kind: blimp, max_items: 30, weight: 0}}
ablation:
  seeds: 2
  max_seeds: 3
  candidates:
    - {{block: regex, id: drop_english, params: {{regex_exp: '\\bthe\\b'}}}}
executor: {{tasks: 1, workers: 1}}
tracking: {{wandb: disabled}}
"""
    path = tmp_path / "tiny.yaml"
    path.write_text(cfg)
    return path


def run(cfg: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "run_ablation.py"), str(cfg)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=900,
    )


@pytest.mark.slow
def test_tiny_ablation_decides_reports_and_reuses(tmp_path, shared_data):
    cfg = tiny_recipe(tmp_path, shared_data)
    first = run(cfg)
    assert first.returncode == 0, first.stderr[-4000:]
    run_dir = tmp_path / "runs" / "tiny"
    summary = json.loads((run_dir / "summary.json").read_text())
    (decision,) = summary["decisions"]
    assert decision["candidate"] == "drop_english" and decision["verdict"] == "drop"  # the known answer
    assert decision["low"] <= decision["delta"] <= decision["high"] < 0 and decision["mde"] > 0
    assert 2 <= decision["seeds"] <= 3
    assert f"candidate drop_english: {decision['verdict'].upper()}" in first.stdout

    df = pd.read_parquet(run_dir / "results.parquet")
    assert set(df["variant"]) == {"baseline", "baseline+drop_english"}
    assert set(df["task"]) == {"bpb_ecco", "ght", "blimp"}
    seeds = decision["seeds"]
    assert len(df) == 2 * seeds * 3 * 2  # variants x seeds x tasks x checkpoints
    assert (df.groupby("variant")["epochs"].first() > 0).all()
    report = (run_dir / "report.md").read_text()
    assert "## Decisions" in report and "drop_english" in report and "## Train/eval overlap" in report
    assert (run_dir / "plots" / "scores.png").stat().st_size > 1000
    held_out = json.loads((run_dir / "holdout_ids.json").read_text())
    assert len(held_out) == 2 and summary["documents"]["dropped"]["eval_holdout"] == {"eval_holdout": 2}
    final = load_recipe(run_dir / "final_recipe.yaml")
    assert final.ablation.candidates == []
    assert [b.id for b in final.filter] == []  # dropped: the final recipe is the baseline

    stages_before = sorted(p.name for p in (run_dir / "stages").iterdir())
    again = run(cfg)
    assert again.returncode == 0, again.stderr[-4000:]
    assert sorted(p.name for p in (run_dir / "stages").iterdir()) == stages_before  # everything reused
    assert json.loads((run_dir / "summary.json").read_text())["decisions"] == summary["decisions"]
