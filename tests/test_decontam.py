"""Decontamination enforced (ablations/eval/decontam.py): a recipe that evaluates on pages of its own training books
stops before training under ``evaluation.on_overlap: stop`` (locally and in the SLURM driver's plan mode), and under
``remove`` trains without the overlapping book, says so in the console, run.json and report.md, and names new
token shards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import run_ablation

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
OWN = "old_books/b"  # the book whose pages are also the evaluation text


def recipe(tmp_path: Path, shared: Path, evaluation: str = "") -> Path:
    """10 old books (one document per book); the ``own_pages`` task scores the pages of book ``b``, which is one of
    them, by bits per byte; ``other`` scores clean 18th-century books. A tiny model, 2 seeds, no candidates."""
    pages = shared / "ocr_pages/old_books/tesseract_otsu_txt"
    own = tmp_path / "own_pages"
    own.mkdir(exist_ok=True)
    for page in sorted(pages.glob("b*.txt")):
        shutil.copy(page, own / page.name)
    cfg = f"""\
experiment: {{name: own, output_dir: {tmp_path / "runs"}, seed: 0}}
data:
  sources:
    - {{name: old_books, format: text, path: {pages}, glob_pattern: "*.txt", book_pattern: '^([a-z]+)\\d+'}}
tokenizer: {{vocab_size: 300, sample_documents: 4, sample_chars: 50000}}
model: {{hidden_size: 16, num_layers: 1, num_heads: 2, intermediate_size: 32, max_seq_len: 32}}
training: {{token_budget: 1024, batch_size: 8, checkpoints: 1, warmup_steps: 1, threads: 1}}
evaluation:
  tasks:
    - {{name: own_pages, kind: bpb, path: {own}, max_items: 5}}
    - {{name: other, kind: bpb, path: {shared / "clean_books/ecco_tcp"}, max_items: 5}}
{evaluation}ablation: {{seeds: 2, max_seeds: 2, bootstrap_samples: 100}}
executor: {{tasks: 2, workers: 1}}  # two output files: one rewritten, one linked
tracking: {{wandb: disabled}}
"""
    path = tmp_path / "own.yaml"
    path.write_text(cfg)
    return path


def stage_folders(run_dir: Path, kind: str) -> list[Path]:
    return sorted((run_dir / "stages").glob(f"{kind}-*"))


def token_ids(tokens_stage: Path) -> list[str]:
    """The document ids in a tokens stage's shard, in order."""
    (ids,) = (tokens_stage / "tokens").glob("*.ds.ids")
    return ids.read_text().split()


def test_evaluating_on_its_own_books_stops_before_training(tmp_path, shared_data, capsys):
    """The default (max_overlap 0.05, on_overlap stop): exit 5 with the variant, the task, its share and the keys
    to change; no tokens and no training run exist."""
    assert run_ablation.main([str(recipe(tmp_path, shared_data))]) == 5
    err = capsys.readouterr().err
    assert "contamination: train/eval overlap above evaluation.max_overlap = 0.05 in variant 'baseline'" in err
    assert "own_pages 1.000 of 5 items share a 13-word n-gram" in err and "other" not in err.split("items")[0]
    assert "evaluation.on_overlap: remove" in err
    run_dir = tmp_path / "runs" / "own"
    (check,) = stage_folders(run_dir, "overlap")
    manifest = json.loads((check / "manifest.json").read_text())
    assert manifest["overlap"] == {"own_pages": 1.0, "other": 0.0} and "removed" not in manifest
    assert stage_folders(run_dir, "tokens") == [] and stage_folders(run_dir, "train") == []
    assert not (run_dir / "run.json").exists()


def test_remove_trains_without_the_overlapping_book_and_records_it(tmp_path, shared_data, capsys):
    """Tokenized once with the overlap allowed, then run under ``remove``: the tokens stage is a new one without
    book b; the removal is one console line, in run.json and report.md; the overlap is measured again (0)."""
    allowed = recipe(tmp_path, shared_data, "  max_overlap: 1.0\n")
    assert run_ablation.main([str(allowed), "--stage", "tokenize"]) == 0
    run_dir = tmp_path / "runs" / "own"
    (stale,) = stage_folders(run_dir, "tokens")
    assert OWN in token_ids(stale)
    capsys.readouterr()

    cfg = recipe(tmp_path, shared_data, "  on_overlap: remove\n")
    assert run_ablation.main([str(cfg)]) == 0
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if x.startswith("decontamination baseline:")]
    assert "removed 1 of 10 documents (" in line and "own_pages" in line and "now own_pages 0.000" in line
    run = json.loads((run_dir / "run.json").read_text())
    (baseline,) = run["variants"]
    tokens = run_dir / "stages" / baseline["tokens"]
    assert tokens != stale and OWN not in token_ids(tokens) and len(token_ids(tokens)) == 9
    (check,) = [f for f in stage_folders(run_dir, "overlap") if (f / "output").exists()]
    assert sorted(f.is_symlink() for f in (check / "output").iterdir()) == [False, True]  # b's file rewritten
    removed = run["decontamination"]["baseline"]["removed"]
    assert removed["documents"] == 1 and removed["tokens"] > 0
    full = json.loads((stale / "manifest.json").read_text())["tokens"]
    assert baseline["token_count"] == full - removed["tokens"]  # the removed book's tokens, counted exactly
    assert run["overlap"]["baseline"] == {"own_pages": 0.0, "other": 0.0}
    assert run["decontamination"]["baseline"]["before"]["own_pages"] == 1.0
    assert {r["variant"] for r in run["runs"]} == {"baseline"} and len(run["runs"]) == 2  # trained, both seeds
    report = (run_dir / "report.md").read_text()
    assert "**Documents overlapping the evaluation removed in 1 variants**" in report
    assert f"baseline: 1 documents ({removed['tokens']} tokens) removed from training" in report
    assert "own_pages **1.000** (over 0.05)" in report


def test_an_edited_evaluation_file_names_a_new_overlap_stage(tmp_path, shared_data):
    """The overlap stage's key holds the evaluation files' contents: an edit is measured again, not reused."""
    from ablations.experiment import setup_run
    from ablations.recipe.loader import load_recipe

    cfg = load_recipe(recipe(tmp_path, shared_data))
    before = setup_run(cfg, REPO).overlap(tmp_path / "process-x", tmp_path / "tokenizer-y").folder
    page = sorted((tmp_path / "own_pages").iterdir())[0]
    page.write_text(page.read_text() + " one more line")
    assert setup_run(cfg, REPO).overlap(tmp_path / "process-x", tmp_path / "tokenizer-y").folder != before


def test_the_slurm_driver_stops_the_run_when_a_prepare_job_finds_the_overlap(tmp_path, shared_data):
    """Plan mode: the first round plans the baseline's preparation and its training after it; the prepare job
    measures the overlap and fails before tokenizing (SLURM then cancels the training jobs that wait on it); the next
    driver round fails the run with the message, submitting nothing."""
    from ablations.decide.loop import Ablation, Pending, Plan, first_seeds
    from ablations.eval.decontam import Contaminated
    from ablations.experiment import setup_run
    from ablations.recipe.loader import load_recipe
    from ablations.slurm.driver import advance, read_state, variant_spec
    from ablations.slurm.job import run_item

    path = recipe(tmp_path, shared_data)
    cfg = load_recipe(path)
    run = setup_run(cfg, REPO)
    ablation = Ablation(run, None, run.tokenizer().folder, progress=False, plan=Plan())
    ablation.final_results(ablation.run(), first_seeds(cfg))  # no candidates: the baseline's runs alone
    with pytest.raises(Pending) as pending:
        ablation.plan.check()
    kinds = [(n.kind, n.variant.name) for n in pending.value.needs]
    assert kinds[0] == ("prepare", "baseline") and ("train", "baseline") in kinds
    prepare = pending.value.needs[0]
    with pytest.raises(Contaminated, match="own_pages 1.000 of 5 items"):
        run_item("prepare", path, run.folder, {"variant": variant_spec(prepare.variant)})
    assert stage_folders(run.folder, "tokens") == [] and stage_folders(run.folder, "train") == []
    assert advance(path, run.folder) == "failed"
    state = read_state(run.folder)
    assert "evaluation.max_overlap = 0.05 in variant 'baseline'" in state["message"] and not state.get("jobs")
