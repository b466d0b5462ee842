"""Bits per byte of held-out text, computed directly with the model (lighteval 0.13's version is wrong:
no logit shift, and its sample cache drops the results)."""

from __future__ import annotations

import math

import torch


@torch.no_grad()
def bits_per_byte(model, tokenizer, chunks: list[str], seq_len: int, batch_size: int = 32) -> list[float]:
    """Per chunk: total negative log2-likelihood of its tokens / its UTF-8 bytes.

    Every chunk starts at a document boundary (the <|endoftext|> token as context) and is cut into windows of
    ``seq_len`` predicted tokens (each window's context is its own first token); windows of all chunks are batched.
    """
    was_training = model.training
    model.eval()
    bos = tokenizer.bos_token_id
    windows: list[tuple[int, list[int]]] = []  # (chunk index, tokens incl. the one before the first predicted)
    for c, text in enumerate(chunks):
        ids = [bos] + tokenizer(text, add_special_tokens=False)["input_ids"]
        for w in range(0, len(ids) - 1, seq_len):
            windows.append((c, ids[w : w + seq_len + 1]))
    nll = [0.0] * len(chunks)
    for start in range(0, len(windows), batch_size):
        batch = windows[start : start + batch_size]
        width = max(len(ids) for _, ids in batch)
        x = torch.full((len(batch), width), bos, dtype=torch.long)
        mask = torch.zeros((len(batch), width - 1), dtype=torch.bool)
        for i, (_, ids) in enumerate(batch):
            x[i, : len(ids)] = torch.tensor(ids)
            mask[i, : len(ids) - 1] = True
        x = x.to(model.device)
        logits = model(x[:, :-1]).logits.float()
        token_nll = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="none"
        ).view(len(batch), -1)
        per_window = (token_nll * mask.to(token_nll.device)).sum(dim=1).tolist()
        for (c, _), v in zip(batch, per_window, strict=True):
            nll[c] += v
    model.train(was_training)
    return [n / math.log(2) / max(1, len(t.encode("utf-8"))) for n, t in zip(nll, chunks, strict=True)]
