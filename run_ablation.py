#!/usr/bin/env python
"""FineBooks entry point: ``python run_ablation.py CONFIG [--set key.path=value ...] [--stage process]``.

Loads and validates the recipe (a wrong key fails at once, naming file, line and key), writes the run record
(resolved config, environment), then runs the stages up to ``--stage``. Ends by printing the run folder and a
summary, also written as ``summary.json`` in it.

Publishing (``ablations/publish/cli.py``): ``run_ablation.py docs RUN_DIR``, ``run_ablation.py release CONFIG --out
DIR [--push-to-hub REPO]``, ``run_ablation.py reproduce DIR``.

The OCR benchmark (``ablations/ocrbench/``): ``run_ablation.py ocr-bench CONFIG [--release DIR]``.

Planning from a finished pilot (``ablations/decide/power.py``): ``run_ablation.py plan CONFIG [--effect E]
[--gpu-tokens-per-second N]``.

With ``executor.kind: slurm`` the run is submitted as SLURM jobs (``ablations/slurm/``, ``slurm/README.md``);
``--wait`` follows it to the end, ``--status`` shows every stage and job. Every check that can be made before work
(``ablations/preflight.py``) runs in ``--check`` and before any stage or job. Exit codes: 0 ok, 2 config error,
3 data error, 4 SLURM error, 5 train/eval overlap above ``evaluation.max_overlap`` (``on_overlap: stop``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ablations.recipe.loader import ConfigError, load_recipe

STAGES = ("process", "tokenize", "ablate")  # ablate = train, evaluate, decide, report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="recipe YAML, e.g. configs/quickstart.yaml")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a config value (YAML syntax), e.g. --set executor.tasks=4; repeatable",
    )
    p.add_argument("--stage", choices=STAGES, default=STAGES[-1], help="stop after this stage")
    p.add_argument("--check", action="store_true", help="validate the config, print it resolved, and exit")
    p.add_argument("--status", action="store_true", help="show each stage's state (and each SLURM job's) and exit")
    p.add_argument(
        "--wait", action="store_true", help="executor.kind=slurm: after submitting, wait for the run and summarise it"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from ablations.publish.cli import COMMANDS

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "ocr-bench":  # the OCR benchmark (ablations/ocrbench/)
        from ablations.ocrbench.cli import main as ocr_bench

        return ocr_bench(argv[1:])
    if argv and argv[0] == "plan":  # seeds, tokens and time a decision needs, from a finished pilot run
        from ablations.decide.power import main as plan

        return plan(argv[1:])
    if argv and argv[0] in COMMANDS:  # a subcommand (docs, release, reproduce); otherwise the first arg is CONFIG
        from ablations.publish.cli import main as publish

        return publish(argv, Path(__file__).resolve().parent)
    args = parse_args(argv)
    try:
        cfg = load_recipe(args.config, args.overrides)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    from ablations.recipe.loader import dump_recipe

    if args.status:
        from ablations.experiment import run_dir_of
        from ablations.slurm.status import format_status

        print(format_status(run_dir_of(cfg)))
        return 0
    if code := early_checks(cfg, args):
        return code
    if args.check:
        print(dump_recipe(cfg), end="")
        return 0
    if cfg.executor.kind == "slurm":
        return run_on_slurm(cfg, args)

    from ablations.eval.decontam import Contaminated
    from ablations.experiment import LOG, format_summary, run_dir_of, run_experiment
    from pipelines.console import run_log, say
    from pipelines.readers.base import SourceUnavailable

    log = run_dir_of(cfg) / LOG
    print(f"log: {log} (everything below, and the libraries' output)", flush=True)
    try:
        with run_log(log):
            run_dir, summary = run_experiment(cfg, stop_after=args.stage, repo=Path(__file__).resolve().parent)
            say(format_summary(run_dir, summary))
    except SourceUnavailable as e:
        print(f"data error: {e}", file=sys.stderr)
        return 3
    except Contaminated as e:
        print(f"contamination: {e}", file=sys.stderr)
        return 5
    return 0


def early_checks(cfg, args: argparse.Namespace) -> int:
    """Every check that can be made before work (ablations/preflight.py): 0, or the exit code of the failure."""
    from ablations.preflight import preflight
    from ablations.slurm.submit import SlurmError
    from pipelines.readers.base import SourceUnavailable

    try:
        preflight(cfg, args.config, args.overrides, "ablate" if args.check else args.stage)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    except SourceUnavailable as e:
        print(f"data error: {e}", file=sys.stderr)
        return 3
    except SlurmError as e:
        print(f"slurm error: {e}", file=sys.stderr)
        return 4
    return 0


def run_on_slurm(cfg, args: argparse.Namespace) -> int:
    """Submit the run's driver job; with --wait, follow it to the end and print the same summary as a local run."""
    import json

    from ablations.experiment import format_summary
    from ablations.slurm.driver import launch, wait

    if args.stage != STAGES[-1]:
        print("config error: --stage is for local runs; on SLURM the driver runs every stage", file=sys.stderr)
        return 2
    try:
        run_dir, job = launch(cfg, Path(__file__).resolve().parent)
    except RuntimeError as e:
        print(f"slurm error: {e}", file=sys.stderr)
        return 4
    print(f"submitted driver job {job} for {run_dir}")
    print(f"follow it with: python run_ablation.py {args.config} --status")
    if not args.wait:
        return 0
    state = wait(run_dir, cfg.executor.slurm.poll_seconds)
    if state["state"] != "done":
        print(f"slurm error: run {state['state']}: {state.get('message', '')}", file=sys.stderr)
        return 4
    print(format_summary(run_dir, json.loads((run_dir / "summary.json").read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
