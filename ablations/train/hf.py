"""The ``hf`` trainer: a small Llama-style transformers model trained by a plain torch loop with accelerate.

The whole loop reads top to bottom: data (datatrove token shards, a seeded order per epoch), model (seeded init),
AdamW, warmup + cosine schedule, evenly spaced checkpoints that are evaluated, and resume from the last one.
Every variant trains on the same token budget: a variant with fewer tokens repeats its data (``epochs`` > 1).

Under ``accelerate launch --num_processes N`` the same function trains data-parallel: every rank builds the same
model, takes rows ``rank::N`` of each step's global batch (so the global batch, data order and token budget are those
of one process), gradients are averaged by DDP, the logged loss is the mean over ranks, and only the main process
writes checkpoints and evaluations. One process runs exactly the single-device loop.
"""

from __future__ import annotations

import math
import os
import pickle
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ablations.recipe.schema import ModelConfig, TrainingConfig
from ablations.train.budget import tokens_per_step, train_steps
from ablations.train.threads import default_threads
from pipelines import jsonl
from pipelines.console import bar_file


def build_model(cfg: ModelConfig, vocab_size: int, seed: int):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_heads,
        max_position_embeddings=cfg.max_seq_len,
        tie_word_embeddings=True,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=0,
    )
    return LlamaForCausalLM(config)


class TokenSequences:
    """Fixed-length training sequences over datatrove .ds shards, in a seeded order that changes every epoch.

    ``order="paired"`` (a shard with its document ids): windows keyed by document id, shared by every variant of a
    comparison (ablations/train/order.py); ``"shuffled"``, or shards without ids: a permutation of datatrove's
    windows of the whole stream."""

    def __init__(self, folder: Path, seq_len: int, seed: int, order: str = "paired"):
        from datatrove.utils.dataset import DatatroveFolderDataset

        from ablations.train.order import DocumentWindows, has_document_ids

        self.seed, self.paired = seed, order == "paired" and has_document_ids(folder)
        if self.paired:
            self.windows = DocumentWindows(folder, seq_len, seed)
            self.n = self.windows.n
        else:
            self.ds = DatatroveFolderDataset(str(folder), seq_len=seq_len, filename_pattern="*.ds", token_size=2)
            self.n = len(self.ds)
        if self.n == 0:
            raise ValueError(f"no full training sequence of {seq_len} tokens in {folder}")
        self._epoch, self._order = -1, None

    def row(self, k: int) -> torch.Tensor:
        """The ``k``-th sequence of the run (epoch ``k // n``)."""
        epoch, pos = divmod(k, self.n)
        if self.paired:
            return self.windows.window(epoch, pos)
        if epoch != self._epoch:
            self._epoch, self._order = epoch, np.random.default_rng([self.seed, epoch]).permutation(self.n)
        return self.ds[int(self._order[pos])]["input_ids"]

    def batch(self, step: int, batch_size: int, rank: int = 0, processes: int = 1) -> torch.Tensor:
        """Rows ``rank::processes`` of the step's global batch of ``batch_size`` sequences."""
        rows = [self.row(k) for k in range(step * batch_size + rank, (step + 1) * batch_size, processes)]
        return torch.stack(rows).long()


def lr_at(step: int, total: int, cfg: TrainingConfig) -> float:
    """Linear warmup, then cosine decay to ``min_lr_ratio`` of the peak."""
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
    floor = cfg.min_lr_ratio
    return cfg.learning_rate * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def checkpoint_steps(total: int, n: int) -> list[int]:
    return sorted({max(1, round(total * (i + 1) / n)) for i in range(n)})


def rows_per_process(batch_size: int, processes: int) -> int:
    """Each process's share of the global batch; the global batch must split evenly."""
    if batch_size % processes:
        raise ValueError(
            f"training.batch_size={batch_size} is not divisible by the {processes} processes of `accelerate launch` "
            "(executor.slurm.training.gpus): choose a batch size that is a multiple of the process count"
        )
    return batch_size // processes


def train(  # long: one loop read top to bottom (nanoGPT style): data, model, optimizer, resume, steps, checkpoints
    tokens: Path,
    vocab_size: int,
    model_cfg: ModelConfig,
    cfg: TrainingConfig,
    seed: int,
    folder: Path,
    on_checkpoint: Callable[[object, int, int], dict],
    log: Callable[[dict, int], None] | None = None,
    progress: bool | str = True,
) -> dict:
    """Train one (variant, seed) run into ``folder``; call ``on_checkpoint(model, step, tokens_seen)`` at each
    checkpoint (its result is stored); resume from the last checkpoint if the run was killed. ``progress``: a bar,
    labelled with it when it is a string.

    With several processes (``accelerate launch``) every rank calls this; ``on_checkpoint`` and ``log`` run on the
    main process only, which alone writes the checkpoint and ``evals.jsonl``."""
    from accelerate import Accelerator
    from tqdm import tqdm

    torch.set_num_threads(default_threads(cfg.threads))  # 0: the CPUs this process may use (train/threads.py)
    # "auto" without a GPU is the CPU (gloo when launched on several processes; accelerate would otherwise run
    # each launched process alone)
    accelerator = Accelerator(cpu=cfg.device == "cpu" or (cfg.device == "auto" and not torch.cuda.is_available()))
    rank, processes = accelerator.process_index, accelerator.num_processes
    if processes != int(os.environ.get("WORLD_SIZE", "1")):
        raise RuntimeError(
            f"{os.environ['WORLD_SIZE']} processes were launched but accelerate set up {processes} "
            f"(training.device={cfg.device}): each would train alone; check the launch and the visible devices"
        )
    rows_per_process(cfg.batch_size, processes)
    main = accelerator.is_main_process
    data = TokenSequences(tokens, model_cfg.max_seq_len, seed, cfg.data_order)
    step_tokens, total = tokens_per_step(cfg, model_cfg), train_steps(cfg, model_cfg)
    ckpts = checkpoint_steps(total, cfg.checkpoints)

    model = build_model(model_cfg, vocab_size, seed)
    opt = build_optimizer(model, cfg)
    model, opt = accelerator.prepare(model, opt)

    ckpt_dir = folder / "checkpoint"
    evals_path = folder / "evals.jsonl"
    step = _resume(ckpt_dir, accelerator.unwrap_model(model), opt)
    if main:  # evaluations after the last checkpoint are redone
        jsonl.write(evals_path, [e for e in jsonl.read(evals_path) if e["step"] <= step])
    accelerator.wait_for_everyone()

    model.train()
    label = progress if isinstance(progress, str) else f"train {folder.name}"
    bar = tqdm(total=total, initial=step, desc=label, unit="step", disable=not (progress and main), file=bar_file())
    t0, tokens_timed = time.perf_counter(), 0
    while step < total:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, total, cfg)
        batch = data.batch(step, cfg.batch_size, rank, processes).to(accelerator.device)
        with torch.enable_grad():  # evaluation code (lighteval) may have switched autograd off globally
            logits = model(input_ids=batch[:, :-1]).logits
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), batch[:, 1:].reshape(-1))
            accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        tokens_timed += step_tokens
        bar.update()
        if processes > 1:  # every rank's loss is the mean over its rows; the global batch's is their mean
            loss = accelerator.reduce(loss.detach(), reduction="mean")
        if log and main:
            log({"train/loss": loss.item(), "train/lr": opt.param_groups[0]["lr"]}, step)
        if step in ckpts:
            accelerator.wait_for_everyone()
            if main:
                elapsed = time.perf_counter() - t0
                record = {
                    "step": step,
                    "tokens": step * step_tokens,
                    "loss": loss.item(),
                    "tokens_per_second": tokens_timed / elapsed if elapsed else None,
                }
                record["tasks"] = on_checkpoint(accelerator.unwrap_model(model), step, step * step_tokens)
                _save_state(ckpt_dir, accelerator.unwrap_model(model), opt, step)
                jsonl.append(evals_path, record)
            accelerator.wait_for_everyone()
            t0, tokens_timed = time.perf_counter(), 0
    bar.close()
    accelerator.wait_for_everyone()
    return {
        "steps": total,
        "tokens": total * step_tokens,
        "sequences_available": data.n,
        "epochs": total * cfg.batch_size / data.n,
        "evals": jsonl.read(evals_path),
        "processes": processes,
    }


def build_optimizer(model, cfg: TrainingConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on the matrices (every parameter of 2 or more dimensions), none on norms."""
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.learning_rate,
        betas=(0.9, 0.95),
    )


def _resume(folder: Path, model, opt) -> int:
    """Load the last checkpoint's model, optimizer and RNG state into ``model`` and ``opt``; its step (0: none).
    Loaded as weights only (tensors, numbers, strings and their containers, as ``_save_state`` writes): a file
    holding anything else is refused, not unpickled, since unpickling runs whatever code it holds."""
    path = folder / "state.pt"
    if not path.exists():
        return 0
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise ValueError(
            f"{path}: not a checkpoint this trainer wrote (it holds more than tensors and numbers, and is not "
            f"unpickled: {str(e).splitlines()[0]}); delete it to train this run from the start"
        ) from e
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng"])
    return state["step"]


def _save_state(folder: Path, model, opt, step: int) -> None:
    """The model, optimizer and torch RNG state (a tensor) with the step: all loadable as weights only."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "state.pt.tmp"
    torch.save(
        {"model": model.state_dict(), "optimizer": opt.state_dict(), "rng": torch.get_rng_state(), "step": step}, tmp
    )
    tmp.replace(folder / "state.pt")
