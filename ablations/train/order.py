"""The paired data order: training windows keyed by document id, so that variants share their order.

A comparison of two variants is paired by seed: the same initialisation and, with this order, the same data order
for every document the two have in common (common random numbers). Every document of the token shard is cut into
windows of ``seq_len + 1`` tokens (as datatrove's dataset cuts the stream); window ``j`` of document ``d`` has the key
``mix(hash(id_d, j), seed, epoch)``, and each epoch reads the windows in key order. The tokens left at the end of each
document (fewer than a window) are pooled in key order and cut into windows of their own, keyed by the first
document in them. A block that drops a document removes its windows and leaves the others in the same relative
order; a block that edits a document keeps its windows' keys. Seed noise then comes from the model's initialisation
and the data the two variants do not share, not from two unrelated orders (BENCHMARKS.md, "Less noise per run").

The tokens stage (``ablations/train/tokens.py``) writes the document ids of each shard beside it (``IDS_SUFFIX``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

IDS_SUFFIX = ".ids"  # next to ``<shard>.ds``: one document id per line, in the shard's order
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """A 64-bit mixing function (splitmix64's finaliser), vectorised: uniform keys from structured inputs."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return x ^ (x >> np.uint64(31))


def _id_hashes(ids: list[str]) -> np.ndarray:
    return np.array(
        [int.from_bytes(hashlib.blake2b(i.encode(), digest_size=8).digest(), "little") for i in ids], dtype=np.uint64
    )


def _salt(seed: int, epoch: int) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.blake2b(f"{seed}/{epoch}".encode(), digest_size=8).digest(), "little"))


def has_document_ids(folder: Path) -> bool:
    """Whether ``folder`` holds one token shard with its document ids (written by the tokens stage)."""
    shards = sorted(folder.glob("*.ds"))
    return len(shards) == 1 and shards[0].with_name(shards[0].name + IDS_SUFFIX).exists()


class DocumentWindows:
    """The training windows of one token shard in the paired order of ``seed``; ``window(epoch, i)`` is the
    ``i``-th window of that epoch (``seq_len + 1`` token ids)."""

    def __init__(self, folder: Path, seq_len: int, seed: int):
        shard = sorted(folder.glob("*.ds"))[0]
        meta = shard.with_name(shard.name + ".metadata").read_text().splitlines()[0]
        dtype = np.uint16 if meta.rsplit("|", 1)[-1] == "2" else np.uint32
        self.tokens = np.memmap(shard, dtype=dtype, mode="r")
        ends = np.fromfile(f"{shard}.index", dtype=np.uint64).astype(np.int64)
        ids = shard.with_name(shard.name + IDS_SUFFIX).read_text(encoding="utf-8").splitlines()
        if len(ids) != len(ends):
            raise ValueError(f"{shard}: {len(ends)} documents but {len(ids)} ids in {shard.name}{IDS_SUFFIX}")
        self.width, self.seed = seq_len + 1, seed
        starts = np.concatenate([[0], ends[:-1]])
        full = (ends - starts) // self.width
        doc_of = np.repeat(np.arange(len(ids)), full)
        j = np.arange(len(doc_of)) - np.repeat(np.cumsum(full) - full, full)
        hashes = _id_hashes(ids)
        self.win_start = starts[doc_of] + j * self.width
        self.win_base = _splitmix(hashes[doc_of] ^ _splitmix(j.astype(np.uint64)))
        tail_start = starts + full * self.width
        keep = tail_start < ends
        self.tail_start, self.tail_len = tail_start[keep], (ends - tail_start)[keep]
        self.tail_base = _splitmix(hashes[keep] ^ _MASK)
        self.pool_windows = int(self.tail_len.sum()) // self.width
        self.n = len(self.win_start) + self.pool_windows
        if self.n == 0:
            raise ValueError(f"no full training sequence of {seq_len} tokens in {folder}")
        self._epoch, self._order, self._pool = -1, np.empty(0, np.int64), np.empty(0, dtype)

    def _prepare(self, epoch: int) -> None:
        """The epoch's window order and its pool of document ends."""
        salt = _salt(self.seed, epoch)
        tails = np.argsort(_splitmix(self.tail_base ^ salt), kind="stable")
        pieces = [self.tokens[s : s + n] for s, n in zip(self.tail_start[tails], self.tail_len[tails], strict=True)]
        self._pool = np.concatenate(pieces) if pieces else self._pool
        pool_ends = np.cumsum(self.tail_len[tails])
        first_tail = np.searchsorted(pool_ends, np.arange(self.pool_windows) * self.width, "right")
        keys = np.concatenate([_splitmix(self.win_base ^ salt), _splitmix(self.tail_base[tails][first_tail] ^ salt)])
        self._epoch, self._order = epoch, np.argsort(keys, kind="stable")

    def window(self, epoch: int, i: int):
        """The window as a torch tensor of int64 token ids."""
        import torch

        if epoch != self._epoch:
            self._prepare(epoch)
        w = int(self._order[i])
        if w < len(self.win_start):
            start = int(self.win_start[w])
            chunk = self.tokens[start : start + self.width]
        else:
            start = (w - len(self.win_start)) * self.width
            chunk = self._pool[start : start + self.width]
        return torch.from_numpy(chunk.astype(np.int64))
