"""Small constructed collections for the sweep and dedup-candidate tests (written into the test's tmp folder from
the shared clean books; nothing is copied into the repo)."""

from __future__ import annotations

import random
from pathlib import Path

CLEAN_WORDS = 3000  # each clean book; a garbage book has GARBAGE_WORDS
GARBAGE_WORDS = 1500


def clean_and_garbage(shared: Path, folder: Path, books: int = 6) -> Path:
    """``books`` clean books (CLEAN_WORDS words from the middle of Gutenberg books; the evaluation reads ECCO-TCP)
    and as many garbage books (random letters, GARBAGE_WORDS words): a book_length filter with min_words between
    the two lengths removes exactly the garbage half."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    for i, src in enumerate(_gutenberg(shared, books)):
        words = src.read_text(encoding="utf-8").split()
        words = words[len(words) // 2 :][:CLEAN_WORDS]  # past the Gutenberg header
        (folder / f"clean{i}.txt").write_text(" ".join(words), encoding="utf-8")
        letters = "abcdefghijklmnopqrstuvwxyz"
        junk = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 9))) for _ in range(GARBAGE_WORDS)]
        (folder / f"junk{i}.txt").write_text(" ".join(junk), encoding="utf-8")
    return folder


def _gutenberg(shared: Path, books: int) -> list[Path]:
    files = sorted((shared / "clean_books" / "gutenberg").rglob("*.txt"))
    step = max(1, len(files) // books)  # spread over the authors
    return files[::step][:books]


def planted_duplicates(shared: Path, folder: Path, books: int = 4, copies: int = 3) -> Path:
    """``books`` clean books, each written ``copies`` times under other names: exact dedup keeps one of each."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, src in enumerate(_gutenberg(shared, books)):
        words = src.read_text(encoding="utf-8").split()
        text = " ".join(words[len(words) // 2 :][:CLEAN_WORDS])
        for c in range(copies):
            (folder / f"book{i}copy{c}.txt").write_text(text, encoding="utf-8")
    return folder


def recipe(tmp_path: Path, shared: Path, data: Path, candidates: str, ablation: str = "") -> Path:
    """A tiny model and budget on ``data`` (one book per .txt file), bpb on clean ECCO books not in ``data``."""
    cfg = f"""\
experiment: {{name: sweep, output_dir: {tmp_path / "runs"}, seed: 0}}
data:
  sources:
    - {{name: books, format: text, path: {data}, glob_pattern: "*.txt"}}
tokenizer: {{vocab_size: 300, sample_documents: 12, sample_chars: 50000}}
model: {{hidden_size: 16, num_layers: 1, num_heads: 2, intermediate_size: 32, max_seq_len: 32}}
training: {{token_budget: 24576, batch_size: 8, checkpoints: 1, warmup_steps: 1, threads: 1}}
evaluation:
  tasks:
    - {{name: bpb_ecco, kind: bpb, path: {shared / "clean_books/ecco_tcp"}, max_items: 20}}
ablation:
  bootstrap_samples: 200
{ablation}  candidates:
{candidates}
executor: {{tasks: 1, workers: 1}}
tracking: {{wandb: disabled}}
"""
    path = tmp_path / "sweep.yaml"
    path.write_text(cfg)
    return path
