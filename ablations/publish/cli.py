"""The publishing subcommands of run_ablation.py: ``docs``, ``release`` and ``reproduce``.

Exit codes: 0 done (reproduce: bit-identical), 1 reproduce found differences, 2 config, run folder or release
folder error, 3 data source unavailable, 4 release could not be written or pushed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMANDS = ("docs", "release", "reproduce")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run_ablation.py", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    docs = sub.add_parser("docs", help="write docs/recipes/<experiment>.md from a finished run folder")
    docs.add_argument("run_dir", type=Path, help="the run folder, e.g. runs/quickstart")
    docs.add_argument("--out", type=Path, help="file to write (default: docs/recipes/<experiment name>.md)")

    rel = sub.add_parser("release", help="run a recipe over its collection and write a Parquet dataset release")
    rel.add_argument("config", type=Path, help="recipe YAML, e.g. runs/quickstart/final_recipe.yaml")
    rel.add_argument("--out", type=Path, required=True, help="release folder (empty, or an earlier release)")
    rel.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    rel.add_argument("--work", type=Path, help="folder of the processing stages (default <output_dir>/<name>/stages)")
    rel.add_argument(
        "--evidence",
        type=Path,
        help="run folder of the experiment that chose the recipe (default: the CONFIG's folder when CONFIG is a "
        "run's final_recipe.yaml); its recipe doc goes into the release and its decisions into the card",
    )
    rel.add_argument("--license", default="other", help="licence tag of the card (e.g. cc0-1.0, pddl; default other)")
    rel.add_argument("--language", action="append", default=[], help="language tag when the data records none")
    rel.add_argument("--file-bytes", type=int, default=256_000_000, help="text bytes per Parquet file (about)")
    rel.add_argument("--push-to-hub", metavar="REPO", help="then upload the release to this Hub dataset repository")
    rel.add_argument("--private", action="store_true", help="create the Hub repository private")

    rep = sub.add_parser("reproduce", help="run a release's recipe again and check its Parquet files bit for bit")
    rep.add_argument("release_dir", type=Path)
    rep.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    rep.add_argument("--work", type=Path, help="folder of the processing stages (default: a fresh temporary one)")
    return p


def _evidence_dir(config: Path, given: Path | None) -> Path | None:
    """``--evidence``, or the run folder of a run's final_recipe.yaml (its record is read then: a run folder of an
    older version, with decisions.json but no run.json, fails saying so rather than releasing without evidence)."""
    from ablations.record.run import RUN_FILE

    if given is not None:
        return given
    parent = config.resolve().parent
    if config.name == "final_recipe.yaml" and any((parent / f).is_file() for f in (RUN_FILE, "decisions.json")):
        return parent
    return None


def main(argv: list[str], repo: Path) -> int:
    args = parser().parse_args(argv)
    from ablations.publish.release import Layout, ReleaseError
    from ablations.recipe.loader import ConfigError, load_recipe
    from ablations.record.run import RunFolderError
    from pipelines.readers.base import SourceUnavailable

    try:
        if args.command == "docs":
            from ablations.publish.recipe_doc import write_doc

            path = write_doc(args.run_dir, args.out, repo / "docs" / "recipes")
            print(f"recipe doc: {path}")
            return 0
        if args.command == "release":
            from ablations.publish.release import release

            cfg = load_recipe(args.config, args.overrides)
            manifest = release(
                cfg,
                args.out,
                work=args.work,
                layout=Layout(file_bytes=args.file_bytes),
                evidence=_evidence_dir(args.config, args.evidence),
                license=args.license,
                languages=args.language,
            )
            print(f"release: {args.out.resolve()}  ({manifest['rows']} books, {len(manifest['files'])} file(s))")
            for f in manifest["files"]:
                print(f"  {f['sha256']}  {f['path']}  ({f['rows']} rows, {f['bytes']} bytes)")
            if args.push_to_hub:
                from ablations.publish.hub import push_to_hub

                print(f"pushed: {push_to_hub(args.out, args.push_to_hub, private=args.private)}")
            return 0
        from ablations.publish.reproduce import reproduce

        result = reproduce(args.release_dir, work=args.work, overrides=args.overrides)
        print(result.report())
        return 0 if result.identical else 1
    except (ConfigError, RunFolderError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except SourceUnavailable as e:
        print(f"data error: {e}", file=sys.stderr)
        return 3
    except ReleaseError as e:
        print(f"release error: {e}", file=sys.stderr)
        return 2 if args.command == "reproduce" else 4
