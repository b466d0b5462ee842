"""``python run_ablation.py ocr-bench CONFIG``: which OCR engine reads a collection's pages best.

Exit codes: 0 done, 2 config or gold listing error (output folder not writable included), 3 an engine cannot run
here (binary, model, endpoint missing), 4 the release could not be written (checked before any work, and again when
written). Missing files, failed pages and empty outputs are counted and reported, never an error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run_ablation.py ocr-bench", description=__doc__)
    p.add_argument("config", type=Path, help="benchmark YAML, e.g. configs/ocrbench_ocr_images.yaml")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    p.add_argument("--check", action="store_true", help="validate the config, list pages and check engines, then exit")
    p.add_argument("--retry-failed", action="store_true", help="run again the pages an engine failed on before")
    p.add_argument("--release", type=Path, metavar="DIR", help="also write the evaluation dataset release to DIR")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    from ablations.ocrbench.config import OcrBenchConfig
    from ablations.ocrbench.gold import GoldError, find_pages
    from ablations.ocrbench.release import check_release_target, writable_problem
    from ablations.publish.layout import ReleaseError
    from ablations.recipe.loader import ConfigError, load_config
    from pipelines.ocr.pages import EngineUnavailable

    try:
        cfg = load_config(args.config, OcrBenchConfig, args.overrides)
        if problem := writable_problem(cfg.out):
            raise ConfigError(f"output_dir: {problem}")
    except (ConfigError, GoldError) as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    try:
        if args.release:
            check_release_target(args.release)  # before any work: a release that cannot be written stops nothing late
    except ReleaseError as e:
        print(f"release error: {e}", file=sys.stderr)
        return 4
    try:
        pages, missing = find_pages(cfg.gold)
    except GoldError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    try:
        if args.check:
            from ablations.ocrbench.run import prepare_systems, skipped_line

            systems = prepare_systems(cfg)
            print(
                f"{len(pages)} pages ({skipped_line(missing)}); systems ready: {', '.join(s.spec.id for s in systems)}"
            )
            return 0
        return _run(cfg, args)
    except EngineUnavailable as e:
        print(f"engine error: {e}", file=sys.stderr)
        return 3


def _run(cfg, args) -> int:
    import yaml

    from ablations.ocrbench.report import write_outputs
    from ablations.ocrbench.run import run_bench
    from ablations.publish.layout import ReleaseError

    cfg.out.mkdir(parents=True, exist_ok=True)
    resolved = yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=119)
    (cfg.out / "config.resolved.yaml").write_text(resolved, encoding="utf-8")
    result = run_bench(cfg, args.retry_failed)
    summary = write_outputs(cfg, result, result["texts"])
    print(f"\nwrote {cfg.out}/report.md, results.parquet, summary.json ({summary['skipped']})")
    if summary["licence_warning"]:
        print(summary["licence_warning"], file=sys.stderr)
    for board in summary["leaderboards"]:
        print(f"  on the same {board['pages']} pages ({board['collections']}):")
        for e in board["entries"]:
            r = e["cer_norm"]
            cer = "–" if r["value"] is None else f"{r['value'] * 100:.2f}%"
            print(
                f"    {e['system']:<24} CER {cer:>8}  pages {e['pages']:>4}  failed {e['failed']}  empty {e['empty']}"
            )
    if args.release:
        from ablations.ocrbench.release import write_release

        try:
            manifest = write_release(cfg, result["pages"], result["golds"], args.release, summary)
        except (ReleaseError, OSError) as e:
            print(f"release error: {e}", file=sys.stderr)
            return 4
        print(f"release: {args.release} ({manifest['pages']} pages, {len(manifest['files'])} files)")
    return 0
