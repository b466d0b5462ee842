"""Candidates that remove every book, raise, or remove a large share: the experiment records a verdict for each
and goes on; decisions.json, the report and a loadable final_recipe.yaml are always written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import run_ablation
from ablations.decide.guard import same_tokens
from ablations.recipe.loader import load_recipe

REPO = Path(__file__).resolve().parents[1]


def small_recipe(tmp_path: Path, shared: Path, candidates: str, extra: str = "") -> Path:
    """10 old books, a tiny model and budget, two seeds (one look), one task; ``candidates``: YAML list items."""
    cfg = f"""\
experiment: {{name: small, output_dir: {tmp_path / "runs"}, seed: 0}}
data:
  sources:
    - {{name: old_books, format: text, path: {shared / "ocr_pages/old_books/tesseract_otsu_txt"},
       glob_pattern: "*.txt", book_pattern: '^([a-z]+)\\d+'}}
tokenizer: {{vocab_size: 300, sample_documents: 4, sample_chars: 50000}}
model: {{hidden_size: 16, num_layers: 1, num_heads: 2, intermediate_size: 32, max_seq_len: 32}}
training: {{token_budget: 1024, batch_size: 8, checkpoints: 1, warmup_steps: 1, threads: 1}}
evaluation:
  tasks:
    - {{name: bpb_ecco, kind: bpb, path: {shared / "clean_books/ecco_tcp"}, max_items: 5}}
ablation:
  seeds: 2
  max_seeds: 2
  bootstrap_samples: 100
{extra}  candidates:
{candidates}
executor: {{tasks: 1, workers: 1}}
tracking: {{wandb: disabled}}
"""
    path = tmp_path / "small.yaml"
    path.write_text(cfg)
    return path


def assert_near_null(half: dict) -> None:
    """Sampling half of the 10 books changes only which windows 4 training steps (1,024 tokens, far below an epoch)
    read: no effect the runs can show, so the verdict is inconclusive (a keep or drop would be a false verdict; with
    2 seeds the interval is the point +- 12.7 standard errors). The candidate before it was decided without training
    and spent none of the recipe's error rate: ``half`` has all of it, a 95% interval (ablations/decide/family.py)."""
    assert half["verdict"] == "inconclusive" and half["low"] < 0 < half["high"]
    assert half["confidence"] == pytest.approx(0.95) and half["family_error"] == pytest.approx(0.05)


def test_all_removing_candidate_is_dropped_untrained_and_the_next_is_still_decided(tmp_path, shared_data, capsys):
    cfg = small_recipe(
        tmp_path,
        shared_data,
        "    - {block: book_length, id: too_strict, params: {min_words: 100000000}}\n"
        "    - {block: sampler, id: half, params: {rate: 0.5, seed: 1}}\n",
    )
    assert run_ablation.main([str(cfg)]) == 0
    run_dir = tmp_path / "runs" / "small"
    too_strict, half = json.loads((run_dir / "decisions.json").read_text())
    assert (too_strict["verdict"], too_strict["reason"]) == ("drop", "removes 100% of books")
    assert too_strict["seeds"] == 0 and too_strict["delta"] is None
    assert (half["candidate"], half["seeds"]) == ("half", 2)
    assert_near_null(half)
    assert not any("too_strict" in p.name for p in (run_dir / "stages").glob("train-*"))
    final = load_recipe(run_dir / "final_recipe.yaml")
    assert "too_strict" not in [b.id for b in final.filter]
    report = (run_dir / "report.md").read_text()
    assert "| too_strict | **drop** |" in report and "removes 100% of books" in report
    assert "the chance of any false keep or drop among the 2 candidates is at most 5%" in report
    out = capsys.readouterr()
    assert "candidate too_strict: DROP (removes 100% of books" in out.out


def test_candidate_that_changes_no_token_is_recorded_untrained(tmp_path, shared_data, capsys):
    cfg = small_recipe(
        tmp_path,
        shared_data,
        "    - {block: book_length, id: lenient, params: {min_words: 1}}\n"
        "    - {block: sampler, id: half, params: {rate: 0.5, seed: 1}}\n",
    )
    assert run_ablation.main([str(cfg)]) == 0
    run_dir = tmp_path / "runs" / "small"
    lenient, half = json.loads((run_dir / "decisions.json").read_text())
    assert lenient["verdict"] == "no_change" and lenient["seeds"] == 0 and lenient["delta"] is None
    assert lenient["reason"] == "changes nothing: trains on the same tokens as baseline"
    assert lenient["removed"] == {"books": 0.0, "tokens": 0.0}
    assert half["seeds"] == 2
    assert_near_null(half)
    assert not any("lenient" in p.name for p in (run_dir / "stages").glob("train-*"))
    assert "lenient" not in [b.id for b in load_recipe(run_dir / "final_recipe.yaml").filter]
    assert "| lenient | **no_change** |" in (run_dir / "report.md").read_text()
    assert "candidate lenient: NO_CHANGE (changes nothing" in capsys.readouterr().out


def test_same_tokens_compares_the_shards_byte_for_byte(tmp_path):
    def stage(name: str, data: bytes, tokens: int = 3) -> Path:
        folder = tmp_path / name
        (folder / "tokens").mkdir(parents=True)
        (folder / "tokens" / "tokens_00000.ds").write_bytes(data)
        (folder / "manifest.json").write_text(json.dumps({"stage": "tokens", "tokens": tokens, "documents": 1}))
        return folder

    a, b, c = stage("a", b"\x01\x02\x03"), stage("b", b"\x01\x02\x03"), stage("c", b"\x01\x02\x04")
    assert same_tokens(a, b) and not same_tokens(a, c)
    assert not same_tokens(a, stage("d", b"\x01\x02\x03", tokens=4)) and not same_tokens(a, None)


def test_failing_candidate_is_recorded_with_its_error_and_the_loop_goes_on(tmp_path, shared_data, capsys):
    cfg = small_recipe(
        tmp_path,
        shared_data,
        "    - {block: 'slow_block:AlwaysFails', id: boom}\n"
        "    - {block: sampler, id: half, params: {rate: 0.5, seed: 1}}\n",
    )
    assert run_ablation.main([str(cfg)]) == 0
    run_dir = tmp_path / "runs" / "small"
    boom, half = json.loads((run_dir / "decisions.json").read_text())
    assert boom["verdict"] == "failed" and boom["seeds"] == 0
    assert boom["reason"].startswith("RuntimeError: this block always fails (tests/slow_block.py)")
    log = (run_dir / "ablation.log").read_text()
    assert "candidate boom failed" in log and "Traceback" in log and "slow_block.py" in log
    assert half["baseline"] == "baseline" and half["seeds"] == 2
    assert_near_null(half)  # the failed candidate spent none of the error rate
    assert load_recipe(run_dir / "final_recipe.yaml").ablation.candidates == []
    assert "| boom | **failed** |" in (run_dir / "report.md").read_text()
    assert f"WARNING: candidate boom failed ({run_dir / 'ablation.log'}): RuntimeError" in capsys.readouterr().err


@pytest.mark.parametrize("alarm_at, warned", [(0.5, True), (0.95, False)])
def test_removal_alarm_warns_once_and_marks_the_report(tmp_path, shared_data, capsys, alarm_at, warned):
    """Sampling 20% of the books removes about 80% of them: above a 50% alarm, below a 95% one."""
    cfg = small_recipe(
        tmp_path,
        shared_data,
        "    - {block: sampler, id: fifth, params: {rate: 0.2, seed: 1}}\n",
        extra=f"  removal_alarm: {alarm_at}\n",
    )
    assert run_ablation.main([str(cfg)]) == 0
    run_dir = tmp_path / "runs" / "small"
    (fifth,) = json.loads((run_dir / "decisions.json").read_text())
    assert fifth["removed"]["books"] > 0.5 and fifth["removed"]["tokens"] > 0.5 and fifth["alarm"] is warned
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("WARNING: candidate fifth")]
    report = (run_dir / "report.md").read_text()
    if warned:
        assert len(warnings) == 1 and "of books" in warnings[0] and "ablation.removal_alarm = 50%" in warnings[0]
        assert "ALARM: removes" in report.split("## Variants")[0]
    else:
        assert warnings == [] and "ALARM: removes" not in report.split("## Variants")[0]


def test_a_candidate_stage_slurm_gave_up_on_fails_that_candidate_only(tmp_path, shared_data):
    """The SLURM driver's rounds (plan mode) and its last round (a real run) with a candidate's stage given up."""
    from ablations.decide.loop import Ablation, Pending, Plan
    from ablations.experiment import run_experiment, setup_run

    cfg = load_recipe(
        small_recipe(
            tmp_path,
            shared_data,
            "    - {block: sampler, id: half, params: {rate: 0.5, seed: 1}}\n"
            "    - {block: sampler, id: most, params: {rate: 0.8, seed: 2}}\n",
        )
    )
    run = setup_run(cfg, REPO)
    with pytest.raises(Pending) as first:
        Ablation(run, None, run.tokenizer().folder, progress=False, plan=Plan()).run()
    (half,) = [
        n.stage.folder.name for n in first.value.needs if (n.variant.name, n.kind) == ("baseline+half", "prepare")
    ]
    ablation = Ablation(run, None, run.tokenizer().folder, progress=False, plan=Plan(), given_up={half: "gave up"})
    with pytest.raises(Pending) as second:
        ablation.run()
    assert [(d["candidate"], d["verdict"]) for d in ablation.decisions] == [("half", "failed")]
    assert "StageGivenUp: gave up" in ablation.decisions[0]["reason"]
    waiting = {n.variant.name for n in second.value.needs}
    assert "baseline+most" in waiting and "baseline+half" not in waiting

    _, summary = run_experiment(cfg, "ablate", REPO, given_up={half: "gave up"})
    assert [(d["candidate"], d["seeds"]) for d in summary["decisions"]] == [("half", 0), ("most", 2)]
    assert summary["decisions"][0]["verdict"] == "failed"


def test_verdict_line_of_a_candidate_decided_untrained_says_why():
    from ablations.decide.progress import verdict_line

    d = {"candidate": "too_strict", "verdict": "drop", "reason": "removes 100% of books", "delta": None}
    assert verdict_line(d) == "verdict too_strict: drop (removes 100% of books), not trained"
