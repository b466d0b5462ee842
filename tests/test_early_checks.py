"""Every check that can be made before work fails at once, with the documented exit code and the key at fault
(ablations/preflight.py): in --check and at the start of a run alike."""

from __future__ import annotations

import pickle
import stat
from pathlib import Path

import pytest

import run_ablation
from ablations.preflight import partition_problems
from ablations.recipe.loader import load_recipe
from ablations.slurm.submit import SlurmError


def recipe(tmp_path: Path, shared: Path, **replace: str) -> Path:
    """A small valid recipe; ``replace`` swaps whole lines by their first key (e.g. ``model="model: {...}"``)."""
    books = shared / "ocr_pages/old_books/tesseract_otsu_txt"
    lines = {
        "experiment": f"experiment: {{name: early, output_dir: {tmp_path / 'runs'}}}",
        "data": "data:",
        "sources": "  sources:",
        "source": f"    - {{name: old_books, format: text, path: {books}}}",
        "tokenizer": "tokenizer: {vocab_size: 300}",
        "model": "model: {hidden_size: 16, num_layers: 1, num_heads: 2, intermediate_size: 32, max_seq_len: 32}",
        "evaluation": "evaluation:",
        "holdout": "  holdout: {source: old_books, documents: 2}",
        "tasks": "  tasks:",
        "task": f"    - {{name: bpb_ecco, kind: bpb, path: {shared / 'clean_books/ecco_tcp'}}}",
        "task2": "    - {name: blimp, kind: blimp, max_items: 20}",
    } | replace
    path = tmp_path / "early.yaml"
    path.write_text("\n".join(lines.values()) + "\n")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def check(cfg: Path, capsys, *extra: str) -> tuple[int, str]:
    code = run_ablation.main([str(cfg), *extra])
    return code, capsys.readouterr().err


def test_a_valid_recipe_passes(tmp_path, shared_data, capsys):
    code, err = check(recipe(tmp_path, shared_data), capsys, "--check")
    assert code == 0, err


def test_holdout_source_that_is_no_data_source_is_a_config_error_before_any_work(tmp_path, shared_data, capsys):
    cfg = recipe(tmp_path, shared_data, holdout="  holdout: {source: old_bookz, documents: 2}")
    for extra in (["--check"], []):  # the run itself stops before processing
        code, err = check(cfg, capsys, *extra)
        assert code == 2
        assert f"{cfg}:{line_of(cfg, 'holdout:')}: evaluation.holdout.source: 'old_bookz' is not a data source" in err
    assert not (tmp_path / "runs").exists()


def test_missing_task_file_is_a_data_error_naming_the_task(tmp_path, shared_data, capsys):
    cfg = recipe(tmp_path, shared_data, task=f"    - {{name: gone, kind: bpb, path: {tmp_path / 'nope.txt'}}}")
    code, err = check(cfg, capsys, "--check")
    where = f"{cfg}:{line_of(cfg, 'name: gone')}"
    assert (
        code == 3 and f"{where}: evaluation.tasks.0.path: task 'gone': {tmp_path / 'nope.txt'} does not exist" in err
    )
    code, err = check(cfg, capsys, "--stage", "process")  # processing alone needs no task
    assert code == 0, err


def test_task_file_that_gives_no_items_is_a_data_error(tmp_path, shared_data, capsys):
    empty = tmp_path / "blimp"
    empty.mkdir()
    cfg = recipe(tmp_path, shared_data, task2=f"    - {{name: blimp, kind: blimp, path: {empty}}}")
    code, err = check(cfg, capsys, "--check")
    assert code == 3 and "evaluation.tasks.1.path: task 'blimp': cannot read" in err


def test_unloadable_pretrained_tokenizer_is_a_config_error(tmp_path, shared_data, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = recipe(tmp_path, shared_data, tokenizer=f"tokenizer: {{kind: pretrained, pretrained: {tmp_path / 'tok'}}}")
    code, err = check(cfg, capsys, "--check")
    assert code == 2 and f"{cfg}:{line_of(cfg, 'tokenizer:')}: tokenizer.pretrained: cannot load tokenizer" in err


def test_model_dimensions_that_cannot_be_built_are_a_config_error(tmp_path, shared_data, capsys):
    cfg = recipe(tmp_path, shared_data, model="model: {hidden_size: 30, num_heads: 4}")
    code, err = check(cfg, capsys, "--check")
    assert code == 2 and "model.num_heads: 4 heads do not divide hidden_size 30" in err
    cfg = recipe(tmp_path, shared_data, model="model: {hidden_size: 18, num_heads: 2}")
    code, err = check(cfg, capsys, "--check")
    assert code == 2 and "model.hidden_size: head size 9 is odd" in err


def test_output_folder_that_cannot_be_created_is_a_config_error(tmp_path, shared_data, capsys):
    (tmp_path / "afile").write_text("x")
    cfg = recipe(
        tmp_path, shared_data, experiment=f"experiment: {{name: early, output_dir: {tmp_path / 'afile/runs'}}}"
    )
    code, err = check(cfg, capsys, "--check")
    assert code == 2 and f"experiment.output_dir: {tmp_path / 'afile/runs/early'} cannot be created" in err


def test_missing_source_folder_is_a_data_error_naming_the_source(tmp_path, shared_data, capsys):
    cfg = recipe(tmp_path, shared_data, source=f"    - {{name: old_books, format: text, path: {tmp_path / 'none'}}}")
    code, err = check(cfg, capsys, "--check")
    assert code == 3 and f"data.sources.0 (old_books): folder '{tmp_path / 'none'}' does not exist" in err


def test_missing_model_file_of_a_candidate_is_a_data_error(tmp_path, shared_data, capsys):
    cfg = recipe(tmp_path, shared_data)
    model = tmp_path / "no-model.npz"
    cfg.write_text(
        cfg.read_text()
        + f"ablation:\n  candidates:\n    - {{block: ocr_cer_estimate, id: cer, params: {{model: {model}}}}}\n"
    )
    code, err = check(cfg, capsys, "--check")
    assert code == 3 and f"ablation.candidates.0.params: block 'cer' reads {model}: missing" in err


def test_a_pickled_model_file_of_a_block_is_a_data_error_before_any_work(tmp_path, shared_data, capsys):
    cfg = recipe(tmp_path, shared_data)
    model = tmp_path / "cer-estimator.joblib"  # an earlier version's model file: a pickle, never loaded
    model.write_bytes(pickle.dumps({"format": "finebooks-cer-estimator/1"}))
    cfg.write_text(cfg.read_text() + f"filter:\n  - {{block: ocr_cer_estimate, params: {{model: {model}}}}}\n")
    for extra in (["--check"], []):
        code, err = check(cfg, capsys, *extra)
        assert code == 3 and f"filter.0.params: block 'ocr_cer_estimate' reads {model}: a pickle (joblib" in err
        assert "unpickling runs whatever code the file holds; retrain it" in err
    assert not (tmp_path / "runs").exists()


def fake_sinfo(tmp_path: Path, monkeypatch, script: str) -> None:
    """A stand-in for the cluster's sinfo on PATH (the real cluster is tests/test_slurm.py's)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    sinfo = bin_dir / "sinfo"
    sinfo.write_text("#!/bin/sh\n" + script + "\n")
    sinfo.chmod(sinfo.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")


def test_slurm_partition_must_exist(tmp_path, shared_data, monkeypatch, capsys):
    fake_sinfo(tmp_path, monkeypatch, "printf 'debug*\\nbatch\\n'")
    cfg = load_recipe(recipe(tmp_path, shared_data), ["executor.kind=slurm", "executor.slurm.partition=gpu"])
    ((key, msg),) = partition_problems(cfg)
    assert key == ("executor", "slurm", "partition") and msg.startswith("'gpu' is not a partition of this cluster")
    cfg = load_recipe(recipe(tmp_path, shared_data), ["executor.kind=slurm", "executor.slurm.partition=debug"])
    assert partition_problems(cfg) == []
    code, err = check(
        recipe(tmp_path, shared_data), capsys, "--set", "executor.kind=slurm", "--set", "executor.slurm.partition=gpu"
    )
    assert (
        code == 2 and "--set executor.slurm.partition=gpu: executor.slurm.partition: 'gpu' is not a partition" in err
    )
    assert not (tmp_path / "runs").exists()  # nothing written, nothing submitted


def test_slurm_that_cannot_be_asked_is_a_slurm_error(tmp_path, shared_data, monkeypatch, capsys):
    fake_sinfo(tmp_path, monkeypatch, "echo 'Unable to contact slurm controller' >&2; exit 1")
    cfg = load_recipe(recipe(tmp_path, shared_data), ["executor.kind=slurm"])
    with pytest.raises(SlurmError, match="Unable to contact slurm controller"):
        partition_problems(cfg)
    code, err = check(recipe(tmp_path, shared_data), capsys, "--check", "--set", "executor.kind=slurm")
    assert code == 4 and "slurm error: cannot ask SLURM for its partitions" in err


def test_vocabulary_that_does_not_fit_the_token_shards_is_a_config_error(tmp_path, shared_data, capsys):
    cfg = recipe(tmp_path, shared_data, tokenizer="tokenizer: {vocab_size: 70000}")
    code, err = check(cfg, capsys, "--check")
    assert code == 2 and "tokenizer.vocab_size: 70000 does not fit 2-byte token ids (at most 65536)" in err
