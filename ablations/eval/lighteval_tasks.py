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


def _gold_scores_metric():
    from lighteval.metrics.metrics_sample import SampleLevelComputation
    from lighteval.metrics.utils.metric_utils import SampleLevelMetricGrouping
    from lighteval.tasks.requests import SamplingMethod

    class GoldScores(SampleLevelComputation):
        """acc (the gold choice scores highest; for one-choice tasks: greedy decoding gives it), logprob (the gold
        continuation's log-probability) and margin (logprob normalised over the choices)."""

        def compute(self, doc, model_response, **kwargs) -> dict:
            lp = list(model_response.logprobs[: len(doc.choices)])
            gold = doc.gold_index if isinstance(doc.gold_index, int) else doc.gold_index[0]
            if len(lp) == 1:
                acc = float(bool(model_response.argmax_logits_eq_gold[0]))
                margin = lp[0]
            else:
                acc = float(int(np.argmax(lp)) == gold)
                m = max(lp)
                margin = lp[gold] - (m + math.log(sum(math.exp(x - m) for x in lp)))
            return {"acc": acc, "logprob": lp[gold], "margin": margin}

    return SampleLevelMetricGrouping(
        metric_name=["acc", "logprob", "margin"],
        higher_is_better={"acc": True, "logprob": True, "margin": True},
        category=SamplingMethod.LOGPROBS,
        sample_level_fn=GoldScores(),
        corpus_level_fn={"acc": np.mean, "logprob": np.mean, "margin": np.mean},
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
    """Per task, per item: {"id", "acc", "logprob", "margin"}; runs lighteval's Pipeline on ``model``."""
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
