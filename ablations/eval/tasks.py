"""Evaluation tasks: the ``task`` plug-in kind (``filters/plugins.py``) and how a task's data is sampled.

A recipe's ``evaluation.tasks[].kind`` is a registry name (the built-ins of ``ablations/eval/builtin_tasks.py``) or a
dotted path to a user's own task; ``params`` are checked against the task's own signature. A task is either

- a ``ChoiceTask`` subclass: ``items(path)`` yields ``{"id", "query", "choices", "gold"}``; the model scores each
  choice as a continuation of the query through lighteval (cloze form, as FineWeb's early-signal tasks), or
- a ``TextTask`` subclass: ``chunks(path)`` gives text scored by bits per byte, computed directly (``bpb``), or
- a plain function ``fn(path, **params)`` yielding choice items (its ``chance`` attribute, if set, is its chance
  level).

A choice task's accuracy is ``acc`` (the gold choice has the highest log-probability), ``acc_norm`` (highest
log-probability per character of the choice, lighteval's ``LogProbCharNorm``) or ``acc_norm_token`` (per token of
the choice); the task's ``metric`` (class attribute, or the config's ``metric``) selects which one, and with it the
continuous score the decision uses (``SCORES``).

Items are sampled with the experiment seed and written to ``<eval_data>/<task>/test.jsonl`` (the local-file layout
lighteval's custom tasks read). Default files are under the shared data folder; ``path`` in the task config points
elsewhere. This module imports nothing of FineBooks but the plug-in registry (the recipe schema imports it).
"""

from __future__ import annotations

import inspect
import json
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from filters.plugins import PluginError, Registry

Item = dict
T = TypeVar("T")

TASKS = Registry(
    "evaluation task",
    {
        "bpb": "ablations.eval.builtin_tasks:BitsPerByte",
        "gold_vs_ocr": "ablations.eval.builtin_tasks:GoldVsOcr",
        "blimp": "ablations.eval.builtin_tasks:Blimp",
        "lambada": "ablations.eval.builtin_tasks:Lambada",
        "hellaswag": "ablations.eval.builtin_tasks:Hellaswag",
        "piqa": "ablations.eval.builtin_tasks:Piqa",
        "arc_easy": "ablations.eval.builtin_tasks:ArcEasy",
        "arc_challenge": "ablations.eval.builtin_tasks:ArcChallenge",
        "winogrande": "ablations.eval.builtin_tasks:Winogrande",
    },
    reserved={"path"},  # the task config's own `path`, passed to items()/chunks(), never a parameter
)


# accuracy metric -> its continuous form, the item score the decision uses: the gold choice's log-probability
# (raw, per character or per token) normalised over the choices (log-softmax), whose argmax is the accuracy's
SCORES = {"acc": "margin", "acc_norm": "margin_norm", "acc_norm_token": "margin_norm_token"}


class Task:
    """Base of an evaluation task plug-in; its ``__init__`` parameters are the recipe's ``params``."""

    chance: ClassVar[float] = 0.0  # accuracy of guessing (the report's "above chance" check)
    default_path: ClassVar[str | None] = None  # under the shared data folder; None: the config must set `path`

    def files(self, path: Path) -> list[Path]:
        """Every file the task reads from ``path`` (a file, or every file under a folder): their content enters the
        training runs' keys. A task that reads files beside ``path`` (a labels file) names them too."""
        return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


class ChoiceTask(Task):
    """Items ``{"id", "query", "choices", "gold"}`` scored through lighteval: every accuracy of ``SCORES``, logprob
    and the margins; ``metric`` says which accuracy (and margin, the score) is the task's."""

    metric: ClassVar[str] = "acc"

    def items(self, path: Path) -> Iterable[Item]:
        raise NotImplementedError


class TextTask(Task):
    """Text chunks scored by bits per byte, computed directly (score = -bpb); without a ``path``, the held-out
    documents' chunks (``evaluation.holdout``)."""

    def chunks(self, path: Path) -> list[str]:
        raise NotImplementedError


class FunctionTask(ChoiceTask):
    """A plain function ``fn(path, **params)`` yielding choice items, as a task."""

    def __init__(self, fn: Callable[..., Iterable[Item]], params: dict[str, Any]):
        self.fn, self.params = fn, params
        self.chance = float(getattr(fn, "chance", 0.0))
        self.metric = getattr(fn, "metric", "acc")
        self.default_path = getattr(fn, "default_path", None)

    def items(self, path: Path) -> Iterable[Item]:
        return self.fn(path, **self.params)


def resolve_task(kind: str) -> Any:
    """The task class or function a config names; PluginError when it is unknown or of the wrong kind."""
    obj = TASKS.resolve(kind)
    if inspect.isclass(obj) and not issubclass(obj, (ChoiceTask, TextTask)):
        raise PluginError(
            f"evaluation task {kind!r} is a class but not a ChoiceTask or TextTask subclass (ablations.eval.tasks), "
            f"nor a function yielding items"
        )
    return obj


def check_task(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """A task config's ``params`` checked against the task's signature, every plain default filled in."""
    resolve_task(kind)
    return TASKS.resolve_params(kind, params)


def make_task(kind: str, params: dict[str, Any] | None = None) -> Task:
    """The task plug-in a config names (registry name or dotted path), built with its checked parameters."""
    obj, params = resolve_task(kind), check_task(kind, params or {})
    return obj(**params) if inspect.isclass(obj) else FunctionTask(obj, params)


def task_metric(kind: str, params: dict[str, Any], metric: str | None) -> str | None:
    """The accuracy metric of a task config: ``metric`` when set, else the task's own; None for a text task.
    PluginError for an unknown metric or a metric on a text task."""
    task = make_task(kind, params)
    if isinstance(task, TextTask):
        if metric is not None:
            raise PluginError(f"evaluation task {kind!r} is scored by bits per byte: it takes no metric")
        return None
    metric = metric or task.metric
    if metric not in SCORES:
        raise PluginError(f"unknown metric {metric!r} of evaluation task {kind!r}: one of {', '.join(SCORES)}")
    return metric


def task_metrics(tasks: Iterable[Any]) -> dict[str, str | None]:
    """Accuracy metric of every task config (``name``, ``kind``, ``params``, ``metric``), by task name."""
    return {t.name: task_metric(t.kind, t.params, t.metric) for t in tasks}


def chance_levels(tasks: Iterable[Any]) -> dict[str, float]:
    """Chance level of every task config (``name``, ``kind``, ``params``), by task name."""
    return {t.name: make_task(t.kind, t.params).chance for t in tasks}


def sample(values: list[T], max_items: int, seed: int) -> list[T]:
    """A seeded sample of ``max_items`` values, in their order (so every part of the source can contribute)."""
    if len(values) <= max_items:
        return values
    return [values[i] for i in sorted(random.Random(seed).sample(range(len(values)), max_items))]


def build_items(
    task: str | ChoiceTask,
    path: Path,
    max_items: int,
    seed: int,
    fits: Callable[[Item], bool] | None = None,
    name: str | None = None,
) -> list[Item]:
    """All items of a task (a registry name or a built task) that ``fits`` accepts, then a seeded sample of
    ``max_items`` (in source order). ``name`` (the task's config name) is what errors call it."""
    name = name or (task if isinstance(task, str) else type(task).__name__)
    task = make_task(task) if isinstance(task, str) else task
    if not path.exists():
        raise FileNotFoundError(f"evaluation task {name!r}: {path} does not exist (set the task's path)")
    items = [it for it in (_checked(it, name) for it in task.items(path)) if fits is None or fits(it)]
    if not items:
        raise ValueError(f"evaluation task {name!r}: no usable items in {path}")
    return sample(items, max_items, seed)


def _checked(item: Any, task: str) -> Item:
    ok = (
        isinstance(item, dict)
        and isinstance(item.get("id"), str)
        and isinstance(item.get("query"), str)
        and isinstance(item.get("choices"), list)
        and len(item["choices"]) > 0
        and all(isinstance(c, str) for c in item["choices"])
        and isinstance(item.get("gold"), int)
        and 0 <= item["gold"] < len(item["choices"])
    )
    if not ok:
        raise ValueError(
            f"evaluation task {task!r}: an item must be {{'id': str, 'query': str, 'choices': [str, ...], "
            f"'gold': index of the right choice}}; got {str(item)[:200]}"
        )
    return item


def write_items(items: list[Item], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "test.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    return folder
