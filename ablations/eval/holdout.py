"""Evaluation documents taken out of the training pool by id, before any processing."""

from __future__ import annotations

import hashlib

from ablations.recipe.schema import HoldoutConfig
from pipelines.config import DataConfig


def holdout_documents(data: DataConfig, cfg: HoldoutConfig, seed: int) -> dict[str, str]:
    """id -> text of the held-out documents: the ``documents`` ids of ``source`` with the smallest seeded hash.

    Reads the whole source once (held-out sources are reference collections, small by design).
    """
    source = next((s for s in data.sources if s.name == cfg.source), None)
    if source is None:
        raise ValueError(f"evaluation.holdout.source {cfg.source!r} is not a data source name")
    docs = {d.id: d.text for d in source.build(page_separator=data.page_separator).run()}

    def rank(doc_id: str) -> str:
        return hashlib.sha256(f"{seed}/{doc_id}".encode()).hexdigest()

    chosen = sorted(docs, key=rank)[: cfg.documents]
    if len(chosen) < cfg.documents:
        raise ValueError(f"evaluation.holdout asks for {cfg.documents} documents; {cfg.source!r} has {len(docs)}")
    if cfg.text_source is None:
        return {i: docs[i] for i in sorted(chosen)}
    # the evaluation text of each held-out book comes from another source, matched by book id
    prefix = len(cfg.text_source.name) + 1
    texts = {d.id[prefix:]: d.text for d in cfg.text_source.build(page_separator=data.page_separator).run()}
    book = {i: i[len(source.name) + 1 :] for i in chosen}
    missing = [i for i in chosen if book[i] not in texts]
    if missing:
        raise ValueError(
            f"evaluation.holdout.text_source has no text for {len(missing)} held-out books: {missing[:5]}"
        )
    return {i: texts[book[i]] for i in sorted(chosen)}


def chunks(texts: list[str], size: int) -> list[str]:
    """Fixed-size character chunks of the held-out texts (whitespace-normalised), in order."""
    out = []
    for text in texts:
        flat = " ".join(text.split())
        out += [flat[i : i + size] for i in range(0, len(flat) - size + 1, size)]
    return out
