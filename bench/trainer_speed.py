"""Trainer throughput: FineBooks' hf trainer against a bare torch loop on the same model and data.

  .venv/bin/python bench/trainer_speed.py --tokens 300000 --repeats 3

Both train the same Llama-style model (build_model, same seed) on the same datatrove token shards (tokens of
../shared/data/clean_books/ecco_tcp), same batch and sequence length. The bare loop is forward, cross-entropy,
backward, AdamW step, nothing else. The hf trainer adds accelerate, the cosine schedule, gradient clipping,
checkpoint saving and its data order (evaluation is switched off: on_checkpoint returns nothing). The two run
alternately, ``--repeats`` times each; the report gives tokens per second (median) and the ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FINEBOOKS_SHARED_DATA") or REPO.parent / "shared" / "data")


def bare_loop(tokens: Path, vocab: int, model_cfg, batch: int, steps: int, threads: int) -> float:
    from ablations.train.hf import TokenSequences, build_model

    torch.set_num_threads(threads)
    data = TokenSequences(tokens, model_cfg.max_seq_len, 0)
    model = build_model(model_cfg, vocab, 0)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    t0 = time.perf_counter()
    for step in range(steps):
        x = data.batch(step, batch)
        logits = model(input_ids=x[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return steps * batch * model_cfg.max_seq_len / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=300_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    from ablations.recipe.schema import ModelConfig, TrainingConfig
    from ablations.train.hf import train
    from ablations.train.tokenizer import train_bpe
    from ablations.train.tokens import TokensStage

    model_cfg = ModelConfig(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=256, max_seq_len=128)
    cfg = TrainingConfig(token_budget=args.tokens, batch_size=16, checkpoints=4, threads=args.threads)
    steps = args.tokens // (16 * 128)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        texts = [p.read_text(encoding="utf-8") for p in sorted((SHARED / "clean_books/ecco_tcp").glob("*"))[:20]]
        (root / "p/output").mkdir(parents=True)
        with gzip.open(root / "p/output/00000.jsonl.gz", "wt") as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({"id": str(i), "text": t}) + "\n")
        tok = train_bpe(iter(texts), 2048, root / "tok")
        tokens = TokensStage(root / "p", tok, 0, root).run().folder / "tokens"
        ours, bare = [], []
        for r in range(args.repeats):
            bare.append(bare_loop(tokens, 2048, model_cfg, 16, steps, args.threads))
            t0 = time.perf_counter()
            rec = train(tokens, 2048, model_cfg, cfg, 0, root / f"run{r}", lambda m, s, t: {}, progress=False)
            ours.append(rec["tokens"] / (time.perf_counter() - t0))
            print(f"repeat {r}: bare {bare[-1]:.0f} tok/s, hf trainer {ours[-1]:.0f} tok/s")
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"median tokens/s: bare torch loop {b:.0f}, FineBooks hf trainer {o:.0f}, ratio {o / b:.3f}")


if __name__ == "__main__":
    main()
