"""lighteval custom tasks over our local item files, run in-process on a model in memory.

Notes on lighteval 0.13.0 (see ../shared/docs/ENVIRONMENT.md):
- Building its task registry imports every built-in task module, and two fail offline; we register only our own
  tasks by swapping ``Registry.load_all_task_configs`` while our Pipeline is built (``_only_custom_tasks``).
- Its sample cache lives under ``cache_dir/model_name``: each evaluation gets a fresh temporary cache dir so that
  checkpoints never reuse each other's cached scores.
- Its perplexity metrics are wrong in this release; bits per byte is computed directly (ablations/eval/bpb.py).
- It warns "the task ... is using evaluation data to build the few shot examples" for every task without a train
  split, even at 0 shots, when no example is built: our tasks are all 0-shot, so the warning is filtered out
  (``FewShotNoise``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
import types
from pathlib import Path

import numpy as np

from ablations.train.tokenizer import BOS


class FewShotNoise(logging.Filter):
    """Drops lighteval's few-shot warning (our tasks run at 0 shots: no evaluation item is shown as an example)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "using evaluation data to build the few shot examples" not in record.getMessage()


def silence_fewshot_warning() -> None:
    """Install ``FewShotNoise`` on the logger of lighteval's tasks (once)."""
    log = logging.getLogger("lighteval.tasks.lighteval_task")
    if not any(isinstance(f, FewShotNoise) for f in log.filters):
        log.addFilter(FewShotNoise())


def _log_softmax_at(values: list[float], i: int) -> float:
    m = max(values)
    return values[i] - (m + math.log(sum(math.exp(x - m) for x in values)))


def choice_token_counts(output_tokens) -> list[int]:
    """Tokens of each choice's continuation. lighteval 0.13 pads the choices' token rows to one length with -1 (so
    its own ``LogProbTokenNorm`` divides every choice by the longest one's count): the padding is not counted."""
    return [sum(1 for t in row if int(t) != -1) for row in output_tokens]


def gold_scores(choices: list[str], gold: int, logprobs: list[float], tokens: list[int], greedy: bool) -> dict:
    """Every metric of one item from its choices' summed log-probabilities (``tokens``: tokens per choice;
    ``greedy``: for a one-choice task, greedy decoding gives the choice). Per-character normalisation is lighteval's
    ``LogProbCharNorm`` (the choice's whole length, its leading space included)."""
    from lighteval.metrics.normalizations import LogProbCharNorm, normalize_log_probs

    per_char = normalize_log_probs(LogProbCharNorm(), logprobs, None, choices, None)
    per_token = [lp / n for lp, n in zip(logprobs, tokens, strict=True)]
    out = {"logprob": logprobs[gold]}
    for acc, margin, values in (
        ("acc", "margin", logprobs),
        ("acc_norm", "margin_norm", per_char),
        ("acc_norm_token", "margin_norm_token", per_token),
    ):
        if len(values) == 1:  # one continuation: accuracy is greedy decoding, the score its (normalised) logprob
            out[acc], out[margin] = float(greedy), values[0]
        else:
            out[acc], out[margin] = float(int(np.argmax(values)) == gold), _log_softmax_at(values, gold)
    return out


METRIC_NAMES = ["acc", "acc_norm", "acc_norm_token", "logprob", "margin", "margin_norm", "margin_norm_token"]


def _gold_scores_metric():
    from lighteval.metrics.metrics_sample import SampleLevelComputation
    from lighteval.metrics.utils.metric_utils import SampleLevelMetricGrouping
    from lighteval.tasks.requests import SamplingMethod

    class GoldScores(SampleLevelComputation):
        """``gold_scores`` of lighteval's log-probabilities of the choices."""

        def compute(self, doc, model_response, **kwargs) -> dict:
            n = len(doc.choices)
            gold = doc.gold_index if isinstance(doc.gold_index, int) else doc.gold_index[0]
            return gold_scores(
                list(doc.choices),
                gold,
                list(model_response.logprobs[:n]),
                choice_token_counts(model_response.output_tokens[:n]),
                bool(model_response.argmax_logits_eq_gold[0]),
            )

    return SampleLevelMetricGrouping(
        metric_name=METRIC_NAMES,
        higher_is_better=dict.fromkeys(METRIC_NAMES, True),
        category=SamplingMethod.LOGPROBS,
        sample_level_fn=GoldScores(),
        corpus_level_fn=dict.fromkeys(METRIC_NAMES, np.mean),
    )


def task_configs(folders: dict[str, Path]) -> list:
    """One LightevalTaskConfig per task folder (holding test.jsonl)."""
    from lighteval.tasks.lighteval_task import LightevalTaskConfig
    from lighteval.tasks.requests import Doc

    metric = _gold_scores_metric()

    def prompt(line: dict, task_name: str | None = None) -> Doc:
        return Doc(
            task_name=task_name,
            query=BOS + line["query"],
            choices=line["choices"],
            gold_index=line["gold"],
            specific={"id": line["id"]},
        )

    return [
        LightevalTaskConfig(
            name=name,
            prompt_function=prompt,
            hf_repo=str(folder.resolve()),
            hf_subset="default",
            hf_avail_splits=["test"],
            evaluation_splits=["test"],
            few_shots_split=None,
            few_shots_select=None,
            metrics=[metric],
            generation_size=-1,
            stop_sequence=None,
        )
        for name, folder in folders.items()
    ]


@contextlib.contextmanager
def _only_custom_tasks():
    from lighteval.tasks.registry import Registry

    original = Registry.__dict__["load_all_task_configs"]

    def custom_only(custom_tasks=None, load_multilingual=False):
        return Registry._extract_configs(Registry.create_custom_tasks_module(custom_tasks))

    Registry.load_all_task_configs = staticmethod(custom_only)
    try:
        yield
    finally:
        Registry.load_all_task_configs = original


def run_lighteval(model, tokenizer_dir: Path, configs: list, batch_size: int) -> dict[str, list[dict]]:
    """Per task, per item: {"id", and every metric of ``METRIC_NAMES``}; runs lighteval's Pipeline on ``model``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    silence_fewshot_warning()
    from lighteval.logging.evaluation_tracker import EvaluationTracker
    from lighteval.models.transformers.transformers_model import TransformersModel, TransformersModelConfig
    from lighteval.pipeline import ParallelismManager, Pipeline, PipelineParameters

    module = types.ModuleType("finebooks_lighteval_tasks")
    module.TASKS_TABLE = configs
    with tempfile.TemporaryDirectory(prefix="finebooks-lighteval-") as tmp, _only_custom_tasks():
        mc = TransformersModelConfig(
            model_name=str(tokenizer_dir),
            device=str(model.device),
            dtype="float32",
            batch_size=batch_size,
            add_special_tokens=False,
            cache_dir=tmp,
        )
        lm = TransformersModel.from_model(model, mc)
        tracker = EvaluationTracker(output_dir=tmp, save_details=False)
        params = PipelineParameters(launcher_type=ParallelismManager.NONE, custom_tasks_directory=module)
        pipe = Pipeline(
            tasks=",".join(f"{c.name}|0" for c in configs),
            pipeline_parameters=params,
            evaluation_tracker=tracker,
            model=lm,
        )
        pipe.evaluate()
        out: dict[str, list[dict]] = {}
        for task_name, details in tracker.details_logger.details.items():
            name = task_name.split("|")[0].split(":")[0]
            rows = [{"id": d.doc.specific["id"], **{k: float(v) for k, v in d.metric.items()}} for d in details]
            out[name] = sorted(rows, key=lambda r: r["id"])
    return out
