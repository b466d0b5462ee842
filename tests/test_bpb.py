"""Bits per byte: batched windows give the same number as scoring each chunk in one pass."""

import math

import torch

from ablations.eval.bpb import bits_per_byte
from ablations.recipe.schema import ModelConfig
from ablations.train.hf import build_model
from ablations.train.tokenizer import train_bpe


def test_batched_windows_match_a_plain_full_pass(tmp_path):
    from transformers import PreTrainedTokenizerFast

    text = "It is a truth universally acknowledged, that a single man in possession of a good fortune. " * 20
    train_bpe(iter([text]), 300, tmp_path)
    tok = PreTrainedTokenizerFast.from_pretrained(str(tmp_path))
    model = build_model(
        ModelConfig(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_seq_len=512), len(tok), seed=0
    )
    chunks = [text[:300], text[300:420], "Short."]
    got = bits_per_byte(model, tok, chunks, seq_len=16, batch_size=3)
    for chunk, value in zip(chunks, got, strict=True):
        ids = torch.tensor([[tok.bos_token_id] + tok(chunk, add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            logits = model(ids[:, :-1]).logits
        # windows of 16 restart the context, so only the first window matches a full pass exactly: compare windowed
        nll = 0.0
        for w in range(0, ids.shape[1] - 1, 16):
            win = ids[:, w : w + 17]
            with torch.no_grad():
                lg = model(win[:, :-1]).logits
            nll += torch.nn.functional.cross_entropy(lg[0], win[0, 1:], reduction="sum").item()
        assert math.isclose(value, nll / math.log(2) / len(chunk.encode()), rel_tol=1e-4)
        assert logits.shape[1] == ids.shape[1] - 1
