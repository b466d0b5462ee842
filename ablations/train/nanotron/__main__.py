"""``python -m ablations.train.nanotron``: a recipe's nanotron config and sbatch script, checkpoint conversion,
evaluation.

    python -m ablations.train.nanotron CONFIG.yaml --tokens DIR --seed S --gpus N --out DIR [launch options]
    python -m ablations.train.nanotron convert CHECKPOINT --out HF_DIR [--tokenizer DIR]
    python -m ablations.train.nanotron evaluate CONFIG.yaml --model HF_DIR --out DIR

The first writes ``DIR/nanotron.yaml``, ``DIR/nanoset/`` (links to the token shards) and ``DIR/train.sbatch``;
see docs/nanotron.md for the whole GPU recipe.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ablations.recipe.loader import ConfigError, load_recipe

REPO = Path(__file__).resolve().parents[3]


def _overrides(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")


def generate(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m ablations.train.nanotron", description=__doc__.split("\n\n")[0])
    p.add_argument("config", help="recipe YAML (its model and training sections are used)")
    p.add_argument("--tokens", required=True, help="a tokens stage folder (runs/NAME/stages/tokens-*) or its tokens/")
    p.add_argument("--seed", type=int, help="run seed (default: experiment.seed)")
    p.add_argument("--gpus", type=int, required=True, help="GPUs in all (nodes x GPUs per node) = dp * tp * pp")
    p.add_argument("--out", required=True, help="folder for nanotron.yaml, nanoset/, train.sbatch and checkpoints/")
    p.add_argument("--tokenizer", help="tokenizer folder (default: the one named in the shards' .metadata)")
    p.add_argument("--tp", type=int, default=1, help="tensor-parallel size (default 1)")
    p.add_argument("--pp", type=int, default=1, help="pipeline-parallel size (default 1)")
    p.add_argument(
        "--micro-batch-size", type=int, help="sequences per GPU per forward (default: all, no accumulation)"
    )
    p.add_argument("--nodes", type=int, default=1)
    p.add_argument("--partition")
    p.add_argument("--account")
    p.add_argument("--time", default="24:00:00", help="SLURM time limit (default 24:00:00)")
    p.add_argument("--cpus-per-task", type=int, help="CPUs per node (default 8 per GPU)")
    p.add_argument(
        "--activate", default="", help="one shell line run before torchrun, e.g. 'source ~/nt/bin/activate'"
    )
    p.add_argument("--nanotron-dir", default=os.environ.get("NANOTRON_DIR"), help="nanotron clone (has run_train.py)")
    _overrides(p)
    args = p.parse_args(argv)

    from ablations.train.nanotron.launch import LaunchError, write_sbatch
    from ablations.train.nanotron.yaml_writer import NanotronConfigError, write_config

    try:
        cfg = load_recipe(args.config, args.overrides)
        if args.gpus % args.nodes:
            raise LaunchError(f"--gpus {args.gpus} is not a multiple of --nodes {args.nodes}")
        seed = cfg.experiment.seed if args.seed is None else args.seed
        yaml_path = write_config(
            cfg, args.tokens, seed, args.out, args.gpus, None, args.tokenizer, args.tp, args.pp, args.micro_batch_size
        )
        script = write_sbatch(
            yaml_path,
            gpus_per_node=args.gpus // args.nodes,
            nodes=args.nodes,
            time=args.time,
            partition=args.partition,
            account=args.account,
            cpus_per_task=args.cpus_per_task,
            activate=args.activate,
            nanotron_dir=args.nanotron_dir,
        )
    except (ConfigError, NanotronConfigError, LaunchError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if cfg.training.backend != "nanotron":
        print(
            f"note: {args.config} has training.backend={cfg.training.backend}; config written anyway", file=sys.stderr
        )
    print(f"nanotron config: {yaml_path}\nlaunch script:   {script}\nsubmit with:     sbatch {script}")
    return 0


def convert(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m ablations.train.nanotron convert")
    p.add_argument("checkpoint", help="a checkpoint step folder, or the checkpoints folder (its latest.txt step)")
    p.add_argument("--out", required=True, help="transformers model folder to write")
    p.add_argument("--tokenizer", help="tokenizer folder (default: the checkpoint config.yaml's tokenizer)")
    args = p.parse_args(argv)
    from ablations.train.nanotron.convert import CheckpointError, convert_checkpoint

    try:
        out = convert_checkpoint(args.checkpoint, args.out, args.tokenizer)
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"transformers model: {out}")
    return 0


def evaluate(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m ablations.train.nanotron evaluate")
    p.add_argument("config", help="the recipe the model was trained for (its evaluation section is used)")
    p.add_argument("--model", required=True, help="transformers folder written by the convert command")
    p.add_argument("--out", required=True, help="folder for evals.json (and the task items)")
    _overrides(p)
    args = p.parse_args(argv)
    from ablations.train.nanotron.evaluate import evaluate_model

    try:
        cfg = load_recipe(args.config, args.overrides)
        record = evaluate_model(cfg, args.model, args.out, REPO)
    except (ConfigError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for task, metrics in record["means"].items():
        print(task, " ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    print(f"evaluations: {Path(args.out).resolve() / 'evals.json'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = {"convert": convert, "evaluate": evaluate}
    if argv and argv[0] in commands:
        return commands[argv[0]](argv[1:])
    return generate(argv)


if __name__ == "__main__":
    sys.exit(main())
