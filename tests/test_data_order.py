"""The paired data order (ablations/train/order.py): variants of a comparison read their shared documents alike."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest

from ablations.train.hf import TokenSequences
from ablations.train.order import IDS_SUFFIX, DocumentWindows
from ablations.train.tokenizer import train_bpe
from ablations.train.tokens import TokensStage

SEQ = 8  # windows of 9 tokens


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 8)))

    return [" ".join(word() for _ in range(rng.randint(5, 40))) for _ in range(n)]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tokenizer-x")
    train_bpe(iter(_texts(200)), 300, folder)
    return folder


def _tokens(root: Path, name: str, docs: dict[str, str], tokenizer: Path) -> Path:
    """A tokens stage of the documents ``docs`` (id -> text), through a processing-like output folder."""
    out = root / f"process-{name}" / "output"
    out.mkdir(parents=True)
    with gzip.open(out / "00000.jsonl.gz", "wt") as f:
        f.writelines(json.dumps({"id": i, "text": t}) + "\n" for i, t in docs.items())
    stage = TokensStage(out.parent, tokenizer, 0, root / "stages")
    stage.run()
    return stage.folder / "tokens"


def _epoch(folder: Path, seed: int, epoch: int = 0) -> list[tuple[int, ...]]:
    w = DocumentWindows(folder, SEQ, seed)
    return [tuple(w.window(epoch, i).tolist()) for i in range(w.n)]


def test_tokens_stage_writes_document_ids_in_shard_order(tmp_path, tokenizer):
    docs = {f"book{i}": t for i, t in enumerate(_texts(30, 1))}
    folder = _tokens(tmp_path, "a", docs, tokenizer)
    shard = next(folder.glob("*.ds"))
    ids = shard.with_name(shard.name + IDS_SUFFIX).read_text().splitlines()
    assert ids == list(docs)  # reading order, one id per document of the index
    assert len(np.fromfile(f"{shard}.index", dtype=np.uint64)) == 30


def test_every_token_is_read_once_per_epoch_up_to_the_last_partial_window(tmp_path, tokenizer):
    folder = _tokens(tmp_path, "a", {f"b{i}": t for i, t in enumerate(_texts(40, 2))}, tokenizer)
    w = DocumentWindows(folder, SEQ, seed=3)
    total = len(w.tokens)
    for epoch in (0, 1):
        rows = _epoch(folder, 3, epoch)
        assert all(len(r) == SEQ + 1 for r in rows)
        assert total - (SEQ + 1) < len(rows) * (SEQ + 1) <= total
        counts = np.bincount(np.concatenate(rows), minlength=400)
        assert (counts <= np.bincount(np.asarray(w.tokens), minlength=400)).all()
    assert _epoch(folder, 3, 0) != _epoch(folder, 3, 1)  # another order every epoch
    assert _epoch(folder, 3, 0) == _epoch(folder, 3, 0)  # and the same one again for the same seed and epoch
    assert _epoch(folder, 3, 0) != _epoch(folder, 4, 0)


def test_variants_read_their_shared_documents_in_the_same_order(tmp_path, tokenizer):
    """A variant without some documents reads the windows of the others in the baseline's relative order; the
    unpaired (shuffled) order does not."""
    docs = {f"b{i}": t for i, t in enumerate(_texts(60, 5))}
    dropped = {k: v for j, (k, v) in enumerate(docs.items()) if j % 5}
    base = _tokens(tmp_path, "a", docs, tokenizer)
    variant = _tokens(tmp_path, "b", dropped, tokenizer)

    def full_windows(folder: Path, seed: int, paired: bool) -> list[tuple[int, ...]]:
        seqs = TokenSequences(folder, SEQ, seed, "paired" if paired else "shuffled")
        assert seqs.paired == paired
        rows = [tuple(seqs.row(k).tolist()) for k in range(seqs.n)]
        return rows

    for paired in (True, False):
        b, v = full_windows(base, 7, paired), full_windows(variant, 7, paired)
        unique_b, unique_v = {r for r in b if b.count(r) == 1}, {r for r in v if v.count(r) == 1}
        shared = unique_b & unique_v  # windows read once in each (a few short ones repeat by chance)
        assert len(shared) > (0.5 if paired else 0.05) * len(v)  # shuffled: the stream's windows shift
        same = [r for r in b if r in shared] == [r for r in v if r in shared]
        assert same == paired


def test_an_edited_document_keeps_its_place(tmp_path, tokenizer):
    """Editing a document (as a clean-up block does) changes its windows' tokens, not where they are read."""
    docs = {f"b{i}": t for i, t in enumerate(_texts(30, 6))}
    edited = dict(docs)
    edited["b3"] = "river " + docs["b3"]
    a, b = _tokens(tmp_path, "a", docs, tokenizer), _tokens(tmp_path, "b", edited, tokenizer)
    wa, wb = DocumentWindows(a, SEQ, 1), DocumentWindows(b, SEQ, 1)
    wa._prepare(0), wb._prepare(0)
    full_a = [int(wa.win_base[i]) for i in wa._order if i < len(wa.win_start)]
    full_b = [int(wb.win_base[i]) for i in wb._order if i < len(wb.win_start)]
    shared = set(full_a) & set(full_b)
    assert [k for k in full_a if k in shared] == [k for k in full_b if k in shared]
    assert len(shared) >= len(full_a) - 2  # the edited document's windows keep their keys (one may be added)


def test_ids_that_do_not_match_the_index_are_an_error(tmp_path, tokenizer):
    folder = _tokens(tmp_path, "a", {f"b{i}": t for i, t in enumerate(_texts(10, 7))}, tokenizer)
    ids = next(folder.glob("*" + IDS_SUFFIX))
    ids.write_text("only-one\n")
    with pytest.raises(ValueError, match="10 documents but 1 ids"):
        DocumentWindows(folder, SEQ, 0)
