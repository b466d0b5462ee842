"""Entry point of every FineBooks SLURM job: ``python -m ablations.slurm.job SPEC.json``.

SPEC names the run, the recipe the driver wrote, the kind of job and its items; an array job runs the item of its
``SLURM_ARRAY_TASK_ID``. Each kind calls the same code a local run calls, so a stage is computed identically:

- prepare: the variant's processing stages (the process array's tasks are complete; their stats are merged and the
  manifest written), its dedup stages, the tokenizer (baseline only) and the token shards;
- train: one (variant, seed) run, saving each checkpoint's model;
- eval: the evaluation of those checkpoints, which finishes the run's stage;
- driver: the next round (ablations/slurm/driver.py).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from ablations.slurm.driver import REPO, advance


def variant_from(spec: dict):
    from ablations.decide.loop import Variant
    from pipelines.config import BlockSpec, DataConfig
    from pipelines.dedup.config import DedupSpec

    dedup = spec.get("dedup")
    return Variant(
        spec["name"],
        [BlockSpec(**b) for b in spec["clean"]],
        [BlockSpec(**b) for b in spec["filter"]],
        data=DataConfig(**spec["data"]) if spec["data"] else None,
        dedup=[DedupSpec(**d) for d in dedup] if dedup is not None else None,
    )


def run_item(kind: str, recipe: Path, run_dir: Path, item: dict) -> None:
    from ablations.experiment import make_ablation, setup_run
    from ablations.recipe.loader import load_recipe
    from pipelines.chain import run_chain

    cfg = load_recipe(recipe)
    run = setup_run(cfg, REPO, record=False)  # the held-out documents from holdout.json, written by the driver
    v = variant_from(item["variant"])
    if v.name == "baseline" and kind == "prepare":
        run_chain(run.processing(cfg.blocks()))  # finishes the baseline's processing; the tokenizer is trained on it
    job = f"job-{os.environ.get('SLURM_JOB_ID', 'local')}-{os.environ.get('SLURM_ARRAY_TASK_ID', '0')}"
    ablation = make_ablation(run, REPO, evaluator=kind == "eval", eval_data=run_dir / "eval_data" / job)
    ablation.progress = False
    ablation.prepare(v)
    if kind == "train":
        ablation.training_run(v, item["seed"]).train_only()
    elif kind == "eval":
        ablation.training_run(v, item["seed"]).evaluate_saved()
        shutil.rmtree(run_dir / "eval_data" / job, ignore_errors=True)  # this job's copy of the task items


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text())
    recipe, run_dir = Path(spec["recipe"]), Path(spec["run_dir"])
    index = int(os.environ.get("SLURM_ARRAY_TASK_ID", "0"))
    item = spec["items"][index]
    print(f"finebooks {spec['kind']} job, item {index}: {json.dumps(item)[:300]}", flush=True)
    if spec["kind"] == "driver":
        result = advance(recipe, run_dir)
        print(f"driver round: {result}", flush=True)
        return 0
    run_item(spec["kind"], recipe, run_dir, item)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
