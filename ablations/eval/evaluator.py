"""Evaluate a model on every task of the recipe: lighteval tasks plus directly computed bits per byte.

Each task gives per-item scores; the item-level ``score`` that the decision uses is continuous: for choice tasks the
margin of the task's accuracy metric (``SCORES`` in ablations/eval/tasks.py: ``margin``, the gold log-probability
normalised over the choices, for ``acc``; ``margin_norm`` for ``acc_norm``, ...), ``-bits per byte`` for bpb.
"""

from __future__ import annotations

from pathlib import Path

from ablations.eval.tasks import SCORES, TextTask, build_items, make_task, sample, task_metric, write_items
from ablations.recipe.schema import EvalTaskConfig


def task_data(
    tasks: list[EvalTaskConfig],
    shared_data: Path | None,
    holdout_chunks: list[str],
    seed: int,
    tokenizer=None,
    max_tokens: int | None = None,
) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    """What the evaluator scores: per choice task its sampled items (those whose longest choice fits ``max_tokens``
    of ``tokenizer``), per text task its sampled chunks (the held-out documents' without a path)."""
    items: dict[str, list[dict]] = {}
    chunks: dict[str, list[str]] = {}
    for t in tasks:
        task = make_task(t.kind, t.params)
        path = Path(t.path) if t.path else _shared(shared_data, task.default_path, t.name)
        if isinstance(task, TextTask):
            text = holdout_chunks if path is None else task.chunks(path)
            if not text:
                raise ValueError(
                    f"evaluation task {t.name!r} ({t.kind}) has no text: set evaluation.holdout or its path"
                )
            chunks[t.name] = sample(text, t.max_items, seed)
            continue
        if path is None:
            raise ValueError(f"evaluation task {t.name!r} ({t.kind}) has no default file: set its path")
        items[t.name] = build_items(task, path, t.max_items, seed, _fits(tokenizer, max_tokens), name=t.name)
    return items, chunks


def item_texts(items: dict[str, list[dict]], chunks: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every task's item texts, query and gold choice (for the train/eval overlap check)."""
    out = {name: [it["query"] + " " + it["choices"][it["gold"]] for it in rows] for name, rows in items.items()}
    return out | chunks


class Evaluator:
    """Builds the task data once per experiment, then scores any model on it: choice tasks in one lighteval run,
    text tasks by bits per byte (how a task is scored is its plug-in's kind: ``ablations/eval/tasks.py``)."""

    def __init__(
        self,
        tasks: list[EvalTaskConfig],
        data_dir: Path,
        shared_data: Path | None,
        holdout_chunks: list[str],
        seed: int,
        batch_size: int,
        tokenizer=None,
        max_tokens: int | None = None,
    ):
        self.tasks = tasks
        self.batch_size = batch_size
        self.scores = {t.name: SCORES.get(task_metric(t.kind, t.params, t.metric), "") for t in tasks}
        self.items, self.bpb_chunks = task_data(tasks, shared_data, holdout_chunks, seed, tokenizer, max_tokens)
        self.folders = {name: write_items(rows, data_dir / name) for name, rows in self.items.items()}
        self._configs = None

    def texts(self) -> dict[str, list[str]]:
        """Every task's item texts (for the train/eval overlap check)."""
        return item_texts(self.items, self.bpb_chunks)

    def evaluate(self, model, tokenizer, tokenizer_dir: Path, seq_len: int) -> dict[str, list[dict]]:
        """Per task, per item scores: {"id", "score", and the accuracies/logprob/margins or bpb}."""
        import torch

        from ablations.eval.bpb import bits_per_byte
        from ablations.eval.lighteval_tasks import run_lighteval, task_configs

        grad_was = torch.is_grad_enabled()  # lighteval turns autograd off globally (at import and per model)
        results: dict[str, list[dict]] = {}
        try:
            if self.folders:
                if self._configs is None:
                    self._configs = task_configs(self.folders)
                for name, rows in run_lighteval(model, tokenizer_dir, self._configs, self.batch_size).items():
                    results[name] = [r | {"score": r[self.scores[name]]} for r in rows]
            for name, chunks in self.bpb_chunks.items():
                values = bits_per_byte(model, tokenizer, chunks, seq_len, self.batch_size)
                results[name] = [{"id": str(i), "bpb": v, "score": -v} for i, v in enumerate(values)]
        finally:
            torch.set_grad_enabled(grad_was)
            model.train()
        # choice tasks, then bpb, each in recipe order (lighteval returns its tasks in no fixed order)
        return {name: results[name] for name in [*self.folders, *self.bpb_chunks]}


def _fits(tokenizer, max_tokens: int | None):
    """Items whose longest choice fits the model's context (lighteval mis-scores truncated items)."""
    if tokenizer is None or max_tokens is None:
        return None

    def fits(item: dict) -> bool:
        n = max(len(tokenizer(item["query"] + c, add_special_tokens=False)["input_ids"]) for c in item["choices"])
        return 1 + n <= max_tokens

    return fits


def _shared(shared_data: Path | None, rel: str | None, name: str) -> Path | None:
    """A task's default file under the shared data folder (None: the task has none)."""
    if rel is None:
        return None
    if shared_data is None:
        raise FileNotFoundError(
            f"evaluation task {name!r} has no path and the shared data folder is not set: set FINEBOOKS_SHARED_DATA "
            f"or evaluation.tasks.<i>.path"
        )
    return shared_data / rel
