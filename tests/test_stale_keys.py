"""Nothing stale (issue #26, item 1): a stage key holds the closure of what decides its output. Each of the four
ways a run was wrong without saying so gets a test: a helper module a block imports edited, a user's dedup kind
edited on disk, an evaluation file or the evaluation code changed under finished training runs, and a random block
given no seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import run_ablation
from ablations.decide.loop import Ablation, Variant
from ablations.recipe.loader import load_recipe
from ablations.run_context import RunContext
from pipelines.config import ExecutorConfig
from pipelines.dedup.config import DedupSpec
from pipelines.dedup.stage import DedupStage

REPO = Path(__file__).resolve().parents[1]

BLOCK = """\
from datatrove.pipeline.filters.base_filter import BaseFilter

from {pkg}.helper import MIN_WORDS


class LongEnough(BaseFilter):
    name = "long enough"

    def __init__(self, exclusion_writer=None):
        super().__init__(exclusion_writer)

    def filter(self, doc):
        return len(doc.text.split()) >= MIN_WORDS or (False, "too_short")
"""

DEDUP = """\
from pipelines.dedup.kinds import ExactDedup


class MyExact(ExactDedup):
    pass  # version 1
"""


@pytest.fixture
def user_code(tmp_path: Path, monkeypatch) -> tuple[Path, str]:
    """A user's package outside the project (a unique name per test): a block that imports a helper module."""
    pkg = f"upkg_{tmp_path.name.replace('-', '_')}"
    code = tmp_path / "code" / pkg
    code.mkdir(parents=True)
    (code / "__init__.py").write_text("")
    (code / "helper.py").write_text("MIN_WORDS = 10\n")
    (code / "blocks.py").write_text(BLOCK.format(pkg=pkg))
    (code / "dedup.py").write_text(DEDUP)
    monkeypatch.syspath_prepend(str(code.parent))
    return code, pkg


def books(folder: Path, n: int, words: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"book{i:02d}.txt").write_text(" ".join(f"w{i}x{j}" for j in range(words)) + "\n")
    return folder


def process_only(recipe: Path, pythonpath: Path) -> dict:
    """``run_ablation.py RECIPE --stage process`` in a new process (the user's modules imported afresh)."""
    env = {**os.environ, "PYTHONPATH": f"{pythonpath}:{REPO}"}
    subprocess.run(
        [sys.executable, str(REPO / "run_ablation.py"), str(recipe), "--stage", "process"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    return json.loads((recipe.parent / "runs" / "r" / "summary.json").read_text())


def test_editing_a_helper_module_that_a_block_imports_runs_the_stage_again(user_code, tmp_path):
    code, pkg = user_code
    data = books(tmp_path / "books", 2, 20)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"experiment: {{name: r, output_dir: {tmp_path / 'runs'}, seed: 0}}\n"
        f"data: {{sources: [{{name: books, format: text, path: {data}, glob_pattern: '*.txt'}}]}}\n"
        f"filter: [{{block: '{pkg}.blocks:LongEnough'}}]\n"
        "executor: {tasks: 1, workers: 1}\ntracking: {wandb: disabled}\n"
    )
    first = process_only(recipe, code.parent)
    assert first["documents"]["kept"]["documents"] == 2
    (code / "helper.py").write_text("MIN_WORDS = 999\n")  # the block's own file is unchanged (another size: the
    # .pyc of an edit at equal size within one second would be reused by Python itself)
    second = process_only(recipe, code.parent)
    assert second["stages"]["process"]["folder"] != first["stages"]["process"]["folder"]
    assert not second["stages"]["process"]["reused"]
    assert second["documents"]["kept"].get("documents", 0) == 0
    assert second["documents"]["dropped"] == {"LongEnough": {"too_short": 2}}


def test_a_user_dedup_kind_edited_on_disk_names_a_new_dedup_stage(user_code, tmp_path):
    code, pkg = user_code
    spec = DedupSpec(kind=f"{pkg}.dedup:MyExact")
    stage = DedupStage(spec, tmp_path / "process-abc", ExecutorConfig(), tmp_path)
    before = stage.folder
    assert DedupStage(spec, tmp_path / "process-abc", ExecutorConfig(), tmp_path).folder == before
    (code / "dedup.py").write_text(DEDUP.replace("version 1", "version 2"))
    assert DedupStage(spec, tmp_path / "process-abc", ExecutorConfig(), tmp_path).folder != before


def test_a_built_in_dedup_kind_s_helper_module_is_in_the_key():
    spec = DedupSpec(kind="exact")
    key = DedupStage(spec, Path("/x/process-abc"), ExecutorConfig(), Path("/x")).key
    (kind_code,) = [v for k, v in key["code"].items() if k.endswith(":ExactDedup")]
    assert kind_code["modules"] > 3  # kinds.py, steps.py, records.py ... not a hand-bumped constant
    assert "datatrove" in kind_code["libraries"]


TASK = """\
def items(path, **params):
    for i, line in enumerate(open(path, encoding="utf-8")):
        a, b = line.rstrip("\\n").split("\\t")
        yield {{"id": str(i), "query": "", "choices": [a, b], "gold": 0}}  # {version}
"""


def training_folder(cfg_path: Path, tmp_path: Path) -> Path:
    """The folder the loop names for the baseline's first training run (nothing runs)."""
    cfg = load_recipe(cfg_path)
    loop = Ablation(RunContext(cfg, tmp_path / "run", {}), None, tmp_path / "tokenizer-abc", progress=False)
    return loop.training_run(Variant("baseline", [], [], tokens=tmp_path / "tokens-abc"), 0).folder


def test_training_runs_are_keyed_on_evaluation_files_and_code(user_code, tmp_path):
    code, pkg = user_code
    (code / "task.py").write_text(TASK.format(version="v1"))
    items = tmp_path / "items.tsv"
    items.write_text("".join(f"good text {i}\tbad txet {i}\n" for i in range(30)))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"experiment: {{name: r, output_dir: {tmp_path / 'runs'}, seed: 0}}\n"
        f"data: {{sources: [{{name: books, format: text, path: {tmp_path}, glob_pattern: '*.txt'}}]}}\n"
        f"evaluation: {{tasks: [{{name: pairs, kind: '{pkg}.task:items', path: {items}}}]}}\n"
        "tracking: {wandb: disabled}\n"
    )
    first = training_folder(recipe, tmp_path)
    assert training_folder(recipe, tmp_path) == first
    lines = items.read_text().splitlines(keepends=True)
    items.write_text("".join(lines[:20]) + "".join(x.replace("good", "fine") for x in lines[20:]))  # a third
    edited_file = training_folder(recipe, tmp_path)
    assert edited_file != first
    (code / "task.py").write_text(TASK.format(version="v2"))  # the task's code
    assert training_folder(recipe, tmp_path) not in (first, edited_file)


def test_a_training_run_key_holds_the_evaluation_code_and_lighteval_s_version(tmp_path, shared_data):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"experiment: {{name: r, output_dir: {tmp_path / 'runs'}, seed: 0}}\n"
        f"data: {{sources: [{{name: books, format: text, path: {tmp_path}, glob_pattern: '*.txt'}}]}}\n"
        "evaluation: {tasks: [{name: gold_vs_ocr, kind: gold_vs_ocr}]}\ntracking: {wandb: disabled}\n"
    )
    cfg = load_recipe(recipe)
    loop = Ablation(RunContext(cfg, tmp_path / "run", {"b1": "held out"}), None, tmp_path / "tok", progress=False)
    key = loop.training_run(Variant("baseline", [], [], tokens=tmp_path / "tokens-abc"), 0).key["evaluation"]
    assert key["versions"]["lighteval"]
    assert key["code"]["class"] == "ablations.eval.evaluator:Evaluator" and key["code"]["modules"] > 5
    assert key["tasks"]["gold_vs_ocr"]["code"]["class"] == "ablations.eval.builtin_tasks:GoldVsOcr"
    assert key["holdout"] is not None


SAMPLER = """\
experiment: {{name: {name}, output_dir: {out}, seed: 0}}
data: {{sources: [{{name: books, format: text, path: {data}, glob_pattern: '*.txt'}}]}}
filter: [{{block: sampler, params: {{rate: 0.5}}}}]
executor: {{tasks: 1, workers: 1}}
tracking: {{wandb: disabled}}
"""


def test_a_random_block_without_a_seed_gets_one_from_the_experiment_and_gives_the_same_books(tmp_path):
    data = books(tmp_path / "books", 40, 5)
    kept = []
    for name in ("one", "two"):
        recipe = tmp_path / f"{name}.yaml"
        recipe.write_text(SAMPLER.format(name=name, out=tmp_path / "runs", data=data))
        assert run_ablation.main([str(recipe), "--stage", "process"]) == 0
        run = tmp_path / "runs" / name
        resolved = load_recipe(run / "config.resolved.yaml")
        assert isinstance(resolved.filter[0].params["seed"], int)  # pinned, derived from experiment.seed
        stage = Path(json.loads((run / "summary.json").read_text())["stages"]["process"]["folder"])
        kept.append(sorted(json.loads(line)["id"] for line in _lines(stage / "output")))
    assert kept[0] == kept[1] and 0 < len(kept[0]) < 40


def _lines(folder: Path) -> list[str]:
    import gzip

    return [line for f in sorted(folder.glob("*.jsonl.gz")) for line in gzip.open(f, "rt").read().splitlines()]


def test_an_explicit_null_seed_is_refused_naming_the_key(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        SAMPLER.format(name="r", out=tmp_path / "runs", data=tmp_path).replace("rate: 0.5", "rate: 0.5, seed: null")
    )
    assert run_ablation.main([str(recipe), "--check"]) != 0
    err = capsys.readouterr().err
    assert "r.yaml:3" in err and "seed" in err and "null is refused" in err
