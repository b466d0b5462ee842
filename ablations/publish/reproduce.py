"""Reproduce a release: run the card's recipe again from scratch and compare the Parquet files bit for bit."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ablations.publish.card import card_recipe
from ablations.publish.release import MANIFEST, RECIPE_FILE, Layout, ReleaseError, sha256_file, write_release_data


@dataclass
class Reproduction:
    identical: bool
    differing: list[str] = field(default_factory=list)  # files whose rerun hash is not the manifest's
    missing: list[str] = field(default_factory=list)  # in the manifest, not written by the rerun
    extra: list[str] = field(default_factory=list)  # written by the rerun, not in the manifest
    modified: list[str] = field(default_factory=list)  # files in the release folder that no longer match its manifest
    inputs_changed: list[str] = field(default_factory=list)  # sources whose input listing differs from the manifest's

    def report(self) -> str:
        if self.identical:
            return "reproduced: every Parquet file is bit-identical to the manifest"
        lines = ["NOT reproduced:"]
        lines += [f"  differs: {p}" for p in self.differing]
        lines += [f"  missing from the rerun: {p}" for p in self.missing]
        lines += [f"  not in the manifest: {p}" for p in self.extra]
        lines += [f"  modified in the release folder since it was written: {p}" for p in self.modified]
        if self.inputs_changed:
            lines.append(f"  (the input files of {', '.join(self.inputs_changed)} are not those the release read)")
        return "\n".join(lines)


def recipe_from_card(release_dir: Path) -> str:
    """The recipe of a release as its card states it (and ``recipe.yaml``, which must agree)."""
    card = release_dir / "README.md"
    if not card.is_file():
        raise ReleaseError(f"{card} is missing: is {release_dir} a release folder (run_ablation.py release)?")
    try:
        text = card_recipe(card.read_text(encoding="utf-8"))
    except ValueError as e:
        raise ReleaseError(f"{card}: {e}") from None
    side = release_dir / RECIPE_FILE
    if side.is_file() and side.read_text(encoding="utf-8") != text:
        raise ReleaseError(f"{side} and the recipe in {card} differ: restore one from the other")
    return text


def reproduce(
    release_dir: Path, work: Path | None = None, overrides: list[str] | None = None, progress: bool = True
) -> Reproduction:
    """Run the card's recipe into a fresh folder (``work`` for the processing stages, default a fresh temporary
    one, so nothing is reused) and compare every file's SHA-256 with ``manifest.json``."""
    from ablations.recipe.loader import load_recipe
    from pipelines.process import source_fingerprints

    release_dir = Path(release_dir).resolve()
    manifest_path = release_dir / MANIFEST
    if not manifest_path.is_file():
        raise ReleaseError(f"{manifest_path} is missing: is {release_dir} a release folder?")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    recipe = recipe_from_card(release_dir)
    expected = {f["path"]: f["sha256"] for f in manifest["files"]}
    out = Reproduction(identical=False)
    out.modified = [
        p for p, h in expected.items() if not (release_dir / p).is_file() or sha256_file(release_dir / p) != h
    ]
    with tempfile.TemporaryDirectory(prefix="finebooks-reproduce-") as tmp:
        recipe_path = Path(tmp) / "recipe.yaml"
        recipe_path.write_text(recipe, encoding="utf-8")
        cfg = load_recipe(recipe_path, overrides)
        now = source_fingerprints(cfg.data)
        out.inputs_changed = sorted(k for k in manifest["inputs"] if manifest["inputs"][k] != now.get(k))
        rerun = write_release_data(
            cfg,
            Path(tmp) / "release",
            Path(work) if work else Path(tmp) / "stages",
            Layout(**manifest["layout"]),
            progress,
        )
    got = {f["path"]: f["sha256"] for f in rerun["files"]}
    out.differing = sorted(p for p in expected if p in got and got[p] != expected[p])
    out.missing = sorted(p for p in expected if p not in got)
    out.extra = sorted(p for p in got if p not in expected)
    out.identical = not (out.differing or out.missing or out.extra or out.modified)
    return out
