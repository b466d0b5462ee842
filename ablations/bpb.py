"""Bits per byte of held-out text, computed directly with the model (lighteval 0.13's version is wrong:
no logit shift, and its sample cache drops the results)."""

from __future__ import annotations

import math

import torch


@torch.no_grad()
def bits_per_byte(model, tokenizer, chunks: list[str], seq_len: int, batch_size: int = 16) -> list[float]:
    """Per chunk: total negative log2-likelihood of its tokens / its UTF-8 bytes. Chunks start at a document
    boundary (<|endoftext|> as context) and are scored in windows of ``seq_len`` tokens (no overlap)."""
    model.eval()
    out = []
    bos = tokenizer.bos_token_id
    for start in range(0, len(chunks), batch_size):
        batch = chunks[start : start + batch_size]
        for text in batch:
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            ids = [bos] + ids
            nll = 0.0
            for w in range(0, len(ids) - 1, seq_len):
                window = torch.tensor([ids[w : w + seq_len + 1]], device=model.device)
                logits = model(window[:, :-1]).logits.float()
                nll += torch.nn.functional.cross_entropy(
                    logits.view(-1, logits.size(-1)), window[:, 1:].reshape(-1), reduction="sum"
                ).item()
            out.append(nll / math.log(2) / max(1, len(text.encode("utf-8"))))
    return out
