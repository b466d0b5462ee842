"""Score a converted nanotron checkpoint on the recipe's evaluation tasks, with the ablation's own Evaluator."""

from __future__ import annotations

import json
from pathlib import Path

from ablations.eval.eval_key import shared_data_folder
from ablations.recipe.schema import RecipeConfig


def evaluate_model(cfg: RecipeConfig, model_dir: str | Path, out: str | Path, repo: Path) -> dict:
    """Evaluate the transformers folder ``model_dir`` (from ``convert_checkpoint``) on ``evaluation.tasks``.

    The items are the ones the hf ablation scores (same seed, same held-out documents); per-item scores and
    per-task means go to ``out/evals.json``, which is returned.
    """
    from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

    from ablations.eval.evaluator import Evaluator
    from ablations.eval.holdout import chunks, holdout_documents

    if not cfg.evaluation.tasks:
        raise ValueError("evaluation.tasks is empty: nothing to evaluate the checkpoint on")
    model_dir, out = Path(model_dir).resolve(), Path(out).resolve()
    if not (model_dir / "tokenizer.json").is_file():
        raise ValueError(f"{model_dir}: no tokenizer.json (convert with --tokenizer DIR)")
    holdout = cfg.evaluation.holdout
    texts = list(holdout_documents(cfg.data, holdout, cfg.experiment.seed).values()) if holdout else []
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(model_dir))
    evaluator = Evaluator(
        cfg.evaluation.tasks,
        out / "eval_data",
        shared_data_folder(repo),
        chunks(texts, holdout.chunk_chars if holdout else 1000),
        cfg.experiment.seed,
        cfg.evaluation.batch_size,
        tokenizer,
        cfg.model.max_seq_len,
    )
    model = LlamaForCausalLM.from_pretrained(str(model_dir)).float()
    results = evaluator.evaluate(model, tokenizer, model_dir, cfg.model.max_seq_len)
    means = {
        task: {k: sum(r[k] for r in rows) / len(rows) for k in rows[0] if k != "id"} if rows else {}
        for task, rows in results.items()
    }
    record = {"model": str(model_dir), "means": means, "tasks": results}
    out.mkdir(parents=True, exist_ok=True)
    (out / "evals.json").write_text(json.dumps(record, indent=2))
    return record
