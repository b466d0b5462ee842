#!/usr/bin/env python
"""FineBooks entry point: ``python run_ablation.py CONFIG [--set key.path=value ...] [--stage process]``.

Loads and validates the recipe (a wrong key fails at once, naming file, line and key), writes the run record
(resolved config, environment), then runs the stages up to ``--stage``. Ends by printing the run folder and a
summary, also written as ``summary.json`` in it.

Publishing (``ablations/publish/cli.py``): ``run_ablation.py docs RUN_DIR``, ``run_ablation.py release CONFIG --out
DIR [--push-to-hub REPO]``, ``run_ablation.py reproduce DIR``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ablations.loader import ConfigError, load_recipe

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
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from ablations.publish.cli import COMMANDS

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS:  # a subcommand (docs, release, reproduce); otherwise the first arg is CONFIG
        from ablations.publish.cli import main as publish

        return publish(argv, Path(__file__).resolve().parent)
    args = parse_args(argv)
    try:
        cfg = load_recipe(args.config, args.overrides)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    from ablations.loader import dump_recipe

    if args.check:
        print(dump_recipe(cfg), end="")
        return 0

    from ablations.experiment import format_summary, run_experiment
    from pipelines.readers.base import SourceUnavailable

    try:
        run_dir, summary = run_experiment(cfg, stop_after=args.stage, repo=Path(__file__).resolve().parent)
    except SourceUnavailable as e:
        print(f"data error: {e}", file=sys.stderr)
        return 3
    print(format_summary(run_dir, summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
