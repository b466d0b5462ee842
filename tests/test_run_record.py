"""The run record (ablations/record/run.py): built from the loop's objects, written, read back equal; a folder
without a finished record fails naming the file and saying what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ablations.decide.loop import Variant, with_candidate
from ablations.publish import cli
from ablations.recipe.loader import dump_recipe, load_recipe
from ablations.record.build import train_run, variant_record
from ablations.record.environment import ENVIRONMENT_FILE, environment, read_environment
from ablations.record.run import RUN_FILE, RunFolderError, RunRecord, greedy_path, read_run, write_run

REPO = Path(__file__).resolve().parents[1]


def recipe(tmp: Path, shared: Path) -> Path:
    path = tmp / "r.yaml"
    path.write_text(
        f"""\
experiment: {{name: rec, output_dir: {tmp / "runs"}}}
data:
  sources:
    - {{name: ecco, format: text, path: {shared / "clean_books/ecco_tcp"}, limit: 2}}
evaluation:
  tasks: [{{name: bpb_ecco, kind: bpb}}, {{name: ght, kind: gold_vs_ocr}}]
ablation:
  candidates:
    - {{block: book_length, id: long_books, keep_dropped: true, params: {{min_words: 5000}}}}
"""
    )
    return path


def manifest(epochs: float, items: dict[str, list[dict]]) -> dict:
    """A train stage's manifest as the loop writes it (the fields the record reads), two checkpoints."""
    evals = [{"step": s, "tokens": 64 * s, "loss": 5.0 / s, "tasks": items} for s in (1, 2)]
    return {"steps": 2, "tokens": 128, "available_tokens": 900, "epochs": epochs, "evals": evals}


def build(tmp: Path, shared: Path) -> RunRecord:
    """A record of one candidate tried on the baseline and kept, made as finish_ablation makes it."""
    cfg = load_recipe(recipe(tmp, shared))
    run_dir = tmp / "runs" / "rec"
    run_dir.mkdir(parents=True)
    (run_dir / ENVIRONMENT_FILE).write_text(json.dumps(environment(REPO)))
    summary = {"in": {"documents": 2}, "kept": {"documents": 2}, "dropped": {}, "skipped": {}, "unaccounted": 0}
    base = Variant("baseline", [], [], summary=summary)
    cand = with_candidate(base, cfg.ablation.candidates[0])
    cand.summary = summary | {"kept": {"documents": 1}, "dropped": {"long_books": {"too_few_words": 1}}}
    for i, v in enumerate((base, cand)):
        v.process, v.tokens = run_dir / "stages" / f"process-{i}", run_dir / "stages" / f"tokens-{i}"
    items = {
        "bpb_ecco": [{"id": "a", "bpb": 4.0, "score": -4.0}, {"id": "b", "bpb": 3.0, "score": -3.0}],
        "ght": [{"id": "c", "acc": 1.0, "score": -1.0}, {"id": "d", "acc": 0.0, "score": -2.5}],
    }
    runs = [
        train_run(v.name, s, run_dir / "stages" / f"train-{v.name}-{s}", manifest(0.5, items))
        for v in (base, cand)
        for s in (0, 1)
    ]
    task = {"baseline": -3.0, "variant": -2.0, "delta": 1.0, "delta_std_units": 0.8, "weight": 1.0}
    decision = {"candidate": "long_books", "section": "filter", "baseline": "baseline", "variant": cand.name}
    decision |= {"confidence": 0.975, "verdict": "keep", "delta": 0.8, "low": 0.1, "high": 1.5, "se": 0.2}
    decision |= {"seeds": 2, "mde": 0.9, "seeds_for_observed": None, "per_task": {"bpb_ecco": task, "ght": task}}
    return RunRecord(
        recipe=cfg,
        environment=read_environment(run_dir),
        tokenizer="tokenizer-0",
        variants=[variant_record(base, 1000), variant_record(cand, 900)],
        runs=runs,
        decisions=[decision],
        greedy=greedy_path([decision], cand.name),
        overlap={"baseline": {"bpb_ecco": 0.0, "ght": 0.1}, cand.name: {"bpb_ecco": 0.0, "ght": 0.05}},
        run_dir=run_dir,
    )


def test_run_record_round_trips_through_run_json(tmp_path: Path, shared_data: Path) -> None:
    record = build(tmp_path, shared_data)
    path = write_run(record)
    assert path == record.run_dir / RUN_FILE
    back = read_run(record.run_dir)
    assert back == record
    assert back.recipe == load_recipe(recipe(tmp_path, shared_data))  # the recipe comes back as the loader gives it
    raw = json.loads(path.read_text())
    assert raw["format"] == "finebooks-run-1" and "run_dir" not in raw
    assert raw["variants"][1]["summary"]["in"] == {"documents": 2}  # the pipeline's own key names
    assert back.greedy.steps[0].model_dump() == {
        "candidate": "long_books",
        "tried_on": "baseline",
        "variant": "baseline+long_books",
        "kept": True,
    }
    assert back.variant("baseline+long_books").blocks == ["long_books"]
    assert back.variant("baseline+long_books").processing == ["process-1"]
    assert back.scores_file(back.runs[0]) == record.run_dir / "stages" / "train-baseline-0" / "evals.jsonl"


def test_results_rows_are_item_means_per_checkpoint_and_the_final_recipe_has_the_kept_blocks(
    tmp_path: Path, shared_data: Path
) -> None:
    record = build(tmp_path, shared_data)
    rows = record.results_rows()
    assert len(rows) == 2 * 2 * 2 * 2  # variants x seeds x checkpoints x tasks
    assert rows[0] == {
        "variant": "baseline",
        "seed": 0,
        "task": "bpb_ecco",
        "step": 1,
        "tokens": 64,
        "epochs": 0.5,
        "items": 2,
        "bpb": 3.5,
        "score": -3.5,
    }
    assert rows[1]["task"] == "ght" and (rows[1]["acc"], rows[1]["score"]) == (0.5, -1.75)
    final = record.final_recipe()
    assert [b.id for b in final.filter] == ["long_books"] and final.ablation.candidates == []
    assert load_recipe(write(tmp_path / "final.yaml", dump_recipe(final))) == final


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_record_naming_an_unknown_variant_is_refused(tmp_path: Path, shared_data: Path) -> None:
    record = build(tmp_path, shared_data)
    data = json.loads(record.model_dump_json())
    data["greedy"]["final"] = "baseline+typo"
    write(record.run_dir / RUN_FILE, json.dumps(data))
    with pytest.raises(RunFolderError, match=r"run\.json is not a valid run record .*baseline\+typo.*run it"):
        read_run(record.run_dir)


def test_a_record_of_an_earlier_recipe_than_the_folders_last_start_is_unfinished(
    tmp_path: Path, shared_data: Path
) -> None:
    record = build(tmp_path, shared_data)
    write_run(record)
    resolved = write(record.run_dir / "config.resolved.yaml", dump_recipe(record.recipe))  # as the run wrote it
    assert read_run(record.run_dir) == record
    seed = record.recipe.experiment.model_copy(update={"seed": 7})
    changed = record.recipe.model_copy(update={"experiment": seed})  # the recipe of a later run, not finished
    write(resolved, dump_recipe(changed))
    with pytest.raises(RunFolderError, match=r"config\.resolved\.yaml is not the recipe .*run\.json records"):
        read_run(record.run_dir)


def test_read_run_of_a_folder_without_a_record_names_run_json(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError) as e:
        read_run(tmp_path)
    assert f"{tmp_path / RUN_FILE} is missing: is {tmp_path} a finished run folder" in str(e.value)
    assert "every finished stage is reused" in str(e.value)


def test_read_run_of_an_older_versions_folder_says_to_rerun(tmp_path: Path) -> None:
    write(tmp_path / "decisions.json", "[]")
    with pytest.raises(
        RunFolderError, match="written by an older version of FineBooks.*every finished stage is reused"
    ):
        read_run(tmp_path)


def test_read_run_of_another_format_names_both(tmp_path: Path) -> None:
    write(tmp_path / RUN_FILE, json.dumps({"format": "finebooks-run-0"}))
    with pytest.raises(
        RunFolderError, match=r"run\.json: format 'finebooks-run-0', this version reads 'finebooks-run-1'"
    ):
        read_run(tmp_path)


def test_docs_of_an_unfinished_run_fail_naming_the_missing_file(tmp_path: Path, capsys) -> None:
    write(tmp_path / "config.resolved.yaml", "experiment: {name: x}\n")
    assert cli.main(["docs", str(tmp_path)], tmp_path) == 2
    assert f"{tmp_path / RUN_FILE} is missing" in capsys.readouterr().err


def test_release_of_an_older_runs_final_recipe_fails_before_processing(
    tmp_path: Path, shared_data: Path, capsys
) -> None:
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    write(run_dir / "decisions.json", "[]")
    write(run_dir / "final_recipe.yaml", recipe(tmp_path, shared_data).read_text())
    out = tmp_path / "release"
    assert cli.main(["release", str(run_dir / "final_recipe.yaml"), "--out", str(out)], REPO) == 2
    assert "written by an older version of FineBooks" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(("average", "said"), [(1, "at each run's last"), (2, "averaged over each run's 2 evaluated")])
def test_report_and_recipe_doc_say_how_scores_were_aggregated(tmp_path, shared_data, average, said) -> None:
    """``ablation.average_checkpoints: 2`` decides on each item's score averaged over two checkpoints: the report
    and the recipe doc say so (they used to say "at the last checkpoint" either way), and name the task weights."""
    from ablations.decide.report import write_report
    from ablations.publish.recipe_doc import render

    record = build(tmp_path, shared_data)
    record.recipe.ablation.average_checkpoints = average
    record.recipe.training.checkpoints = 2
    report = write_report(record).read_text()
    for i in (0, 1):  # the recipe doc reads the variants' books (none here)
        (record.run_dir / "stages" / f"process-{i}" / "output").mkdir(parents=True)
    doc = render(record)
    for text in (report, doc):
        assert f"each item's score {said} checkpoint" in text and "weighted mean (weights: bpb_ecco 1, ght 1)" in text
    if average == 2:
        assert "at the last checkpoint" not in report and "deviations at the last checkpoint" not in doc


def test_the_environment_records_every_declared_package_scikit_learn_included() -> None:
    """environment.json pins the stack a run used: every dependency of pyproject.toml (and its signals extra),
    scikit-learn among them (the CER estimator that the quickstart filters on is one of its models)."""
    tomllib = pytest.importorskip("tomllib")
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from ablations.record.environment import PACKAGES

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["signals"]]
    recorded = {canonicalize_name(p) for p in PACKAGES}
    assert {canonicalize_name(Requirement(d).name) for d in declared} - recorded == set()
    versions = environment(REPO)["packages"]
    assert versions["scikit-learn"] and versions["spacy"] and versions["numpy"]
