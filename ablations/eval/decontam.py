"""Decontamination: each variant's train/eval overlap, measured before it is tokenized, and enforced.

The overlap stage (``overlap-<hash>``, one per processed variant) reads the variant's books and the texts the
evaluator scores, and records per task the share of items with a word n-gram (``evaluation.overlap_ngram``) in the
books (``ablations/eval/overlap.py``: one pass over the books, set look-ups). Above ``evaluation.max_overlap`` in any
task, ``evaluation.on_overlap`` decides:

- ``stop``: ``enforce`` raises ``Contaminated`` naming the variant, the tasks, their shares and the keys to change;
  the loop calls it before the variant is tokenized, so nothing trains on it (on SLURM the prepare job fails, its
  training jobs are cancelled and the next driver round fails the run with the message).
- ``remove``: the stage writes the books without every document that shares an n-gram with an item of those tasks
  into its ``output/`` (files without such a document are linked, not copied), counts what it removed (documents,
  and tokens under the run's tokenizer) and measures the overlap again on what is left. Under ``remove`` the tokens
  stage reads this folder, so a removal names new token shards and never reuses stale ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from ablations.eval import evaluator
from ablations.eval.overlap import item_grams, scan, shares
from ablations.recipe.schema import EvaluationConfig, RecipeConfig
from pipelines import jsonl
from pipelines.code_closure import code_fingerprint
from pipelines.console import say
from pipelines.stages import Stage, StageResult

Texts = dict[str, list[str]]


class Contaminated(RuntimeError):
    """A variant's training data overlaps an evaluation task above ``evaluation.max_overlap``."""


def text_inputs(cfg: RecipeConfig, evaluation_key: dict[str, Any]) -> dict[str, Any]:
    """Everything besides the tokenizer that decides the evaluated texts: the task configs, their files and code and
    the held-out text (``RunContext.evaluation_key``), the seed and the context length (items must fit it)."""
    return {
        "tasks": [t.model_dump(mode="json") for t in cfg.evaluation.tasks],
        "evaluation": evaluation_key,
        "seed": cfg.experiment.seed,
        "max_seq_len": cfg.model.max_seq_len,
    }


def eval_texts(cfg: RecipeConfig, holdout: dict[str, str], shared_data: Path | None, tokenizer: Path) -> Texts:
    """The texts the evaluator of this run scores (``Evaluator.texts``), built without writing the task files."""
    from transformers import PreTrainedTokenizerFast

    from ablations.eval.holdout import chunks

    ev = cfg.evaluation
    size = ev.holdout.chunk_chars if ev.holdout else 1000
    tok = PreTrainedTokenizerFast.from_pretrained(str(tokenizer))
    items, text = evaluator.task_data(
        ev.tasks, shared_data, chunks(list(holdout.values()), size), cfg.experiment.seed, tok, cfg.model.max_seq_len
    )
    return evaluator.item_texts(items, text)


@dataclass
class OverlapStage(Stage):
    """The overlap of ``processed/output`` with the evaluation texts; under ``remove``, the books without the
    documents that overlap a task above the limit, in ``<folder>/output``."""

    processed: Path  # the variant's last processing stage folder
    tokenizer: Path  # the tokenizer stage folder (items that do not fit the context are not evaluated)
    evaluation: EvaluationConfig
    inputs: dict[str, Any]  # text_inputs(): what decides the texts besides the tokenizer
    root: Path
    texts: Callable[[], Texts] = field(default=dict, repr=False)  # the evaluated texts; called only to compute
    kind: ClassVar[str] = "overlap"
    announce: ClassVar[bool] = False  # seconds: one line when done

    def outcome(self, record: dict[str, Any]) -> str:
        overlap = record["overlap"]
        if not overlap:
            return "no evaluation text"
        task = max(overlap, key=lambda t: overlap[t])
        return f"train/eval overlap at most {overlap[task]:.3f} ({task})"

    @cached_property
    def key(self) -> dict[str, Any]:
        ev = self.evaluation
        return {
            "processed": self.processed.name,
            "tokenizer": self.tokenizer.name,
            "evaluation": self.inputs,
            "ngram": ev.overlap_ngram,
            "remove_above": ev.max_overlap if ev.on_overlap == "remove" else None,  # stop: measures only
            "code": code_fingerprint(OverlapStage),
        }

    @property
    def removes(self) -> bool:
        return self.evaluation.on_overlap == "remove"

    def compute(self) -> dict[str, Any]:
        texts, n = self.texts(), self.evaluation.overlap_ngram
        grams = item_grams(texts, n)
        hits: dict[tuple[Path, int], set[str]] = {}
        documents = 0
        for path, i, _, found in scan(self.processed / "output", grams):
            documents += 1
            if found:
                hits[(path, i)] = found
        before = shares(grams, set().union(*hits.values()))
        over = sorted(t for t, s in before.items() if s > self.evaluation.max_overlap) if self.removes else []
        bad = {g for t in over for item in grams[t] for g in item}
        drop = {doc for doc, found in hits.items() if found & bad}
        record = {"documents": documents, "items": {t: len(v) for t, v in texts.items()}, "overlap": before}
        if self.removes:
            tokens = self._write(drop)
            left = set().union(*(found for doc, found in hits.items() if doc not in drop))
            record |= {"over": over, "removed": {"documents": len(drop), "tokens": tokens}}
            record["after"] = shares(grams, left)
        return record

    def _write(self, drop: set[tuple[Path, int]]) -> int:
        """``output/``: each file of the books without the documents in ``drop`` (a file without one is linked);
        the tokens of the removed documents."""
        from tokenizers import Tokenizer

        out = self.folder / "output"
        out.mkdir(parents=True, exist_ok=True)
        removed: list[str] = []
        for path in sorted((self.processed / "output").glob("*.jsonl*")):
            (out / path.name).unlink(missing_ok=True)
            if not any(p == path for p, _ in drop):
                os.symlink(os.path.relpath(path, out), out / path.name)
                continue
            rows = list(jsonl.iterate(path))
            removed += [r["text"] for i, r in enumerate(rows) if (path, i) in drop]
            jsonl.write(out / path.name, (r for i, r in enumerate(rows) if (path, i) not in drop))
        tok = Tokenizer.from_file(str(self.tokenizer / "tokenizer.json"))
        return sum(len(e.ids) for e in tok.encode_batch(removed)) if removed else 0


def enforce(result: StageResult, variant: str, ev: EvaluationConfig) -> dict[str, Any]:
    """The overlap a variant trains with, checked against ``evaluation.max_overlap``: raises ``Contaminated`` under
    ``stop`` (or when removing leaves no document); under ``remove`` prints one line with what was removed.
    Returns ``{"overlap": per task (after any removal), "before": per task, "removed": counts or None}``."""
    m = result.manifest
    n = ev.overlap_ngram
    over = {t: s for t, s in m["overlap"].items() if s > ev.max_overlap}
    shown = ", ".join(f"{t} {s:.3f} of {m['items'][t]} items" for t, s in over.items())
    where = f"variant {variant!r} (stage {result.folder.name})"
    if over and ev.on_overlap == "stop":
        raise Contaminated(
            f"train/eval overlap above evaluation.max_overlap = {ev.max_overlap:g} in {where}: {shown} share a "
            f"{n}-word n-gram with its training data. The run stops before training (evaluation.on_overlap: stop): "
            f"evaluate on other data, set evaluation.on_overlap: remove to train without the overlapping documents, "
            f"or raise evaluation.max_overlap"
        )
    removed = m.get("removed")
    if removed and removed["documents"]:
        if removed["documents"] == m["documents"]:
            raise Contaminated(f"every document of {where} overlaps {shown}: removing them leaves nothing to train on")
        after = ", ".join(f"{t} {m['after'][t]:.3f}" for t in m["over"])
        say(
            f"decontamination {variant}: removed {removed['documents']} of {m['documents']} documents "
            f"({removed['tokens']} tokens) sharing a {n}-word n-gram with {', '.join(m['over'])} (overlap {shown}; "
            f"now {after}; evaluation.on_overlap: remove)"
        )
    return {"overlap": m.get("after", m["overlap"]), "before": m["overlap"], "removed": removed}
