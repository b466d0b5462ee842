"""Sweeps and dedup candidates: variants trained beside each other against the same recipe, a confidence corrected
for their number, only the best joins; dedup kinds as candidates sharing their stages; errors at load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sweep_util import clean_and_garbage, planted_duplicates, recipe

import run_ablation
from ablations.recipe.loader import ConfigError, load_recipe

REPO = Path(__file__).resolve().parents[1]


def test_sweep_variants_are_trained_against_one_base_and_only_the_best_joins(tmp_path, shared_data, capsys):
    """Half the books are random letters and shorter than 2000 words: min_words 1 keeps them (the same data as the
    recipe: no_change, untrained), 2000 removes exactly them (better on clean text), 10^8 removes every book."""
    data = clean_and_garbage(shared_data, tmp_path / "data")
    sweep = "    - block: book_length\n      sweep: {min_words: [1, 2000, 100000000]}\n"
    cfg = recipe(tmp_path, shared_data, data, sweep, "  seeds: 3\n  max_seeds: 3\n  confidence: 0.9\n")
    assert run_ablation.main([str(cfg)]) == 0
    run_dir = tmp_path / "runs" / "sweep"
    same, clean, none = json.loads((run_dir / "decisions.json").read_text())
    ids = ["book_length[min_words=1]", "book_length[min_words=2000]", "book_length[min_words=100000000]"]
    assert [d["candidate"] for d in (same, clean, none)] == ids
    assert {d["baseline"] for d in (same, clean, none)} == {"baseline"}  # beside each other, not on top
    assert all(d["sweep"] == "book_length" and d["variants"] == 3 for d in (same, clean, none))
    assert same["confidence"] == pytest.approx(1 - 0.1 / 3)  # Bonferroni over 3 variants (max_seeds: one look)
    assert (same["verdict"], same["delta"], same["seeds"]) == ("no_change", None, 0)  # the recipe's own tokens
    assert clean["verdict"] == "keep" and clean["low"] > 0 and clean["removed"]["books"] == 0.5
    assert (none["verdict"], none["reason"], none["seeds"]) == ("drop", "removes 100% of books", 0)
    final = load_recipe(run_dir / "final_recipe.yaml")
    assert [(b.id, b.params["min_words"]) for b in final.filter] == [("book_length", 2000)]
    report = (run_dir / "report.md").read_text()
    assert (
        "## Sweeps" in report
        and "| 2000 | **keep** |" in report
        and (run_dir / "plots/sweep-book_length.png").exists()
    )
    captured = capsys.readouterr()
    assert "verdict book_length[min_words=2000]: keep" in captured.out
    assert (
        "sweep book_length (3 variants, each at 96.67% confidence): keeps book_length[min_words=2000]" in captured.out
    )
    assert "train book_length[min_words=2000] seed 2 (baseline+book_length[min_words=2000]" in captured.err  # bars


def test_a_rerun_reuses_every_finished_variant(tmp_path, shared_data, capsys):
    data = clean_and_garbage(shared_data, tmp_path / "data", books=3)
    sweep = "    - block: book_length\n      sweep: {min_words: [1, 2000]}\n"
    cfg = recipe(tmp_path, shared_data, data, sweep, "  seeds: 2\n  max_seeds: 2\n")
    assert run_ablation.main([str(cfg)]) == 0
    run_dir = tmp_path / "runs" / "sweep"
    first = json.loads((run_dir / "decisions.json").read_text())
    trained = sorted(p.name for p in (run_dir / "stages").glob("train-*"))
    assert len(trained) == 4  # the recipe and min_words 2000, two seeds each (min_words 1 changes no token)
    capsys.readouterr()
    assert run_ablation.main([str(cfg)]) == 0
    assert json.loads((run_dir / "decisions.json").read_text()) == first
    assert sorted(p.name for p in (run_dir / "stages").glob("train-*")) == trained
    assert "step/s" not in capsys.readouterr().err  # no training bar: every run was reused


def test_dedup_candidates_remove_planted_duplicates_and_share_the_process_stage(tmp_path, shared_data):
    """4 books written 3 times each: exact dedup and a minhash sweep each keep one copy of every book. Each variant
    then trains on the same 4 texts as the recipe, once each instead of three times, at the same token budget: the
    same text, another order, so every verdict is inconclusive (a keep or drop would be false). Exact dedup is not
    kept, so the sweep is tried on the recipe itself and removes the same two thirds."""
    data = planted_duplicates(shared_data, tmp_path / "data")
    candidates = (
        "    - {block: exact, section: dedup}\n"
        "    - {block: minhash, section: dedup, sweep: {min_similarity: [0.5, 0.9]}, params: {containment: 'off'}}\n"
    )
    cfg = recipe(tmp_path, shared_data, data, candidates, "  seeds: 2\n  max_seeds: 2\n")
    assert run_ablation.main([str(cfg)]) == 0
    run_dir = tmp_path / "runs" / "sweep"
    exact, *minhash = json.loads((run_dir / "decisions.json").read_text())
    assert [d["section"] for d in (exact, *minhash)] == ["dedup"] * 3
    assert exact["removed"]["books"] == pytest.approx(2 / 3) and exact["alarm"] is True
    assert [(d["verdict"], d["baseline"], d["seeds"]) for d in (exact, *minhash)] == [
        ("inconclusive", "baseline", 2)
    ] * 3
    assert all(d["removed"]["books"] == pytest.approx(2 / 3) and d["low"] < 0 < d["high"] for d in minhash)
    record = json.loads((run_dir / "run.json").read_text())
    variants = {v["name"]: v for v in record["variants"]}
    assert {v["processing"][0] for v in variants.values()} == {variants["baseline"]["processing"][0]}  # one process
    assert len(list((run_dir / "stages").glob("process-*"))) == 1  # computed once, shared by every variant
    assert len(list((run_dir / "stages").glob("dedup-exact-*"))) == 1
    assert len(list((run_dir / "stages").glob("dedup-minhash-*"))) == 2
    (shared,) = (run_dir / "stages").glob("dedup-shared-*")  # one set of signatures for both thresholds
    assert (shared / "signatures").is_dir() and not list((run_dir / "stages").glob("dedup-minhash-*/signatures"))
    for name in ("baseline+exact", "baseline+minhash[min_similarity=0.5]", "baseline+minhash[min_similarity=0.9]"):
        assert variants[name]["summary"]["kept"]["documents"] == 4  # one copy of each book
    assert load_recipe(run_dir / "final_recipe.yaml").dedup == []  # nothing kept


def test_plan_mode_asks_for_every_variant_of_a_sweep_at_once_and_job_items_carry_dedup(tmp_path, shared_data):
    """The SLURM driver's rounds: a sweep's variants are prepared in one round; a job rebuilds a dedup variant."""
    from ablations.decide.loop import Ablation, Pending, Plan, Variant, with_candidate
    from ablations.experiment import setup_run
    from ablations.slurm.driver import variant_spec
    from ablations.slurm.job import variant_from

    data = clean_and_garbage(shared_data, tmp_path / "data", books=2)
    body = "    - block: book_length\n      sweep: {min_words: [1, 2000]}\n    - {block: exact, section: dedup}\n"
    cfg = load_recipe(recipe(tmp_path, shared_data, data, body, "  seeds: 2\n  max_seeds: 2\n"))
    run = setup_run(cfg, REPO)
    with pytest.raises(Pending) as first:
        Ablation(run, None, run.tokenizer().folder, progress=False, plan=Plan()).run()
    prepares = {n.variant.name for n in first.value.needs if n.kind == "prepare"}
    assert {"baseline+book_length[min_words=1]", "baseline+book_length[min_words=2000]"} <= prepares
    exact = cfg.ablation.candidates[1]
    v = with_candidate(Variant("baseline", [], [], dedup=[]), exact)
    again = variant_from(variant_spec(v))
    assert again.dedup == v.dedup and [d.kind for d in again.dedup] == ["exact"]


BAD = {  # sweep lines -> (message, the line it names)
    "min_word: [1, 100]": ("sweep.min_word: 'min_word' is not a parameter of the block", "min_word:"),
    "min_words: [1, many]": ("sweep.min_words: variant min_words=many: block 'book_length'", "min_words:"),
    "min_words: [1, 1]": ("sweep.min_words: values repeat ([1, 1])", "min_words:"),
    "min_words: []": ("sweep.min_words: an empty list of values", "min_words:"),
    "min_words: [1, 2, 3, 4, 5]\n        min_pages: [1, 2, 3, 4]": ("sweep: the grid has 20 variants, more", "sweep:"),
}


@pytest.mark.parametrize("sweep", list(BAD))
def test_a_bad_sweep_is_an_error_at_load_with_its_line(tmp_path, shared_data, sweep):
    cfg = recipe(tmp_path, shared_data, tmp_path, f"    - block: book_length\n      sweep:\n        {sweep}\n")
    with pytest.raises(ConfigError) as e:
        load_recipe(cfg)
    message, marker = BAD[sweep]
    line = next(i for i, x in enumerate(cfg.read_text().splitlines(), 1) if x.strip().startswith(marker))
    assert f"{cfg}:{line}: ablation.candidates.0.{message}" in str(e.value)


def test_dedup_candidate_errors_name_the_parameter(tmp_path, shared_data):
    body = (
        "    - {block: minhash, section: dedup, params: {min_similarity: 2}}\n"
        "    - {block: minhashh, section: dedup}\n"
        "    - {block: minhash, id: mh, section: dedup, sweep: {num_buckets: [1, 64]}}\n"
    )
    cfg = recipe(tmp_path, shared_data, tmp_path, body)
    with pytest.raises(ConfigError) as e:
        load_recipe(cfg)
    message = str(e.value)
    assert "ablation.candidates.0.params.min_similarity: dedup kind 'minhash' parameter 'min_similarity'" in message
    assert "ablation.candidates.1: unknown dedup kind 'minhashh' (section: dedup)" in message
    assert "ablation.candidates.2.sweep.num_buckets: variant num_buckets=1: num_buckets * hashes_per_bucket" in message


def test_sweep_and_dedup_candidates_load_with_readable_unique_ids(tmp_path, shared_data):
    body = (
        "    - {block: ocr_quality_filter, params: {max: {ocr_cer_estimate: 0.1}},\n"
        "       sweep: {max.ocr_cer_estimate: [0.05, 0.2], min_kept_fraction: [0.5, 0.9]}}\n"
        "    - {block: repeated_paragraphs, section: dedup, sweep: {min_books: [2, 10]}}\n"
    )
    cfg = load_recipe(recipe(tmp_path, shared_data, tmp_path, body))
    ocr, para = cfg.ablation.candidates
    assert [v.id for v in ocr.variants()] == [
        "ocr_quality_filter[max.ocr_cer_estimate=0.05,min_kept_fraction=0.5]",
        "ocr_quality_filter[max.ocr_cer_estimate=0.05,min_kept_fraction=0.9]",
        "ocr_quality_filter[max.ocr_cer_estimate=0.2,min_kept_fraction=0.5]",
        "ocr_quality_filter[max.ocr_cer_estimate=0.2,min_kept_fraction=0.9]",
    ]
    assert [v.spec.params["max"]["ocr_cer_estimate"] for v in ocr.variants()] == [0.05, 0.05, 0.2, 0.2]
    assert [(v.id, v.spec.id, v.spec.params()["min_books"]) for v in para.variants()] == [
        ("repeated_paragraphs[min_books=2]", "repeated_paragraphs", 2),
        ("repeated_paragraphs[min_books=10]", "repeated_paragraphs", 10),
    ]
    assert para.keep_dropped is True and ocr.keep_dropped is False


def test_the_best_kept_variant_joins_and_other_kept_ones_are_outranked():
    from ablations.decide.stats import Verdict
    from ablations.decide.sweep import best_variant

    def v(verdict: str, delta: float) -> Verdict:
        return Verdict(verdict, delta, delta - 0.1, delta + 0.1, 0.05, 3, 0.2, None, {})

    assert best_variant({"a": v("keep", 0.2), "b": v("keep", 0.5), "c": v("inconclusive", 0.9)}) == "b"
    assert best_variant({"a": v("inconclusive", 0.2), "b": v("drop", -0.5)}) is None


def test_the_confidence_is_corrected_for_the_variants_and_the_looks():
    from ablations.decide.loop import per_look_confidence

    assert per_look_confidence(0.95, 3, 3, variants=1) == 0.95
    assert per_look_confidence(0.95, 3, 5, variants=4) == pytest.approx(1 - 0.05 / 12)


def test_the_example_sweep_config_passes_check():
    assert run_ablation.main([str(REPO / "configs/sweep_example.yaml"), "--check"]) == 0


class SweepScores:
    """The real loop on constructed scores (as tests/test_decide_loop.py): a variant's score on item i for seed s is
    the item's difficulty + the effect of each of its candidates (by variant-name part, a number or a function of
    the seed) + a little run noise; only processing and training are stood in for."""

    @staticmethod
    def loop(cfg, folder: Path, effects: dict):
        import zlib
        from types import SimpleNamespace

        import numpy as np

        from ablations.decide.loop import Ablation

        class Loop(Ablation):
            trained: list = []

            def prepare(self, v):
                v.summary = {"in": {"documents": 10}, "kept": {"documents": 10}}
                self.variants.append(v)
                return v

            def train(self, v, seed):
                if seed not in v.runs:
                    self.trained.append((v.name, seed))
                    base = np.random.default_rng(123).normal(0, 1, 200)
                    noise = np.random.default_rng(zlib.crc32(f"{v.name}/{seed}".encode())).normal(0, 0.01, 200)
                    parts = v.name.split("+")[1:]
                    effect = sum(e(seed) if callable(e) else e for p, e in effects.items() if p in parts)
                    rows = [{"id": str(i), "score": x} for i, x in enumerate(base + effect + noise)]
                    v.runs[seed] = {"evals": [{"tasks": {"t": rows}}]}
                return v.runs[seed]

        loop = Loop(SimpleNamespace(cfg=cfg, folder=folder), None, folder, progress=False)
        loop.trained = []
        return loop


def constructed_recipe(candidates: list[dict], seeds: int, max_seeds: int):
    from ablations.recipe.schema import RecipeConfig

    return RecipeConfig.model_validate(
        {
            "experiment": {"name": "loop", "output_dir": "/nonexistent", "seed": 0},
            "data": {"sources": [{"name": "books", "format": "text", "path": "/nonexistent"}]},
            "evaluation": {"tasks": [{"name": "t", "kind": "blimp"}]},
            "ablation": {"seeds": seeds, "max_seeds": max_seeds, "bootstrap_samples": 300, "candidates": candidates},
        }
    )


def test_constructed_sweep_keeps_the_best_outranks_the_other_good_and_the_next_builds_on_it(tmp_path):
    from ablations.decide.loop import per_look_confidence

    sweep = {"block": "sampler", "params": {"seed": 1}, "sweep": {"rate": [0.25, 0.5, 1.0]}}
    cfg = constructed_recipe([sweep, {"block": "sampler", "id": "next", "params": {"seed": 2}}], 2, 4)
    effects = {"sampler[rate=0.25]": 0.3, "sampler[rate=0.5]": 0.6, "sampler[rate=1.0]": -0.5, "next": 0.4}
    loop = SweepScores.loop(cfg, tmp_path, effects)
    final = loop.run()
    got = [(d["candidate"], d["verdict"], d["baseline"], d["seeds"]) for d in loop.decisions]
    assert got == [
        ("sampler[rate=0.25]", "outranked", "baseline", 2),
        ("sampler[rate=0.5]", "keep", "baseline", 2),
        ("sampler[rate=1.0]", "drop", "baseline", 2),
        ("next", "keep", "baseline+sampler[rate=0.5]", 2),
    ]
    # 2 candidates: each has half the recipe's 5% (ablation.multiplicity: bonferroni), split among 3 looks (2 to 4
    # seeds) and, for the sweep, among its 3 variants
    assert {d["confidence"] for d in loop.decisions[:3]} == {per_look_confidence(1 - 0.05 / 2, 2, 4, 3)}
    assert loop.decisions[3]["confidence"] == per_look_confidence(1 - 0.05 / 2, 2, 4)
    assert loop.decisions[1]["winner_bias"] > 0 and "winner_bias" not in loop.decisions[3]  # chosen among 3: biased
    assert [b.id for b in final.filter] == ["sampler", "next"] and final.filter[0].params["rate"] == 0.5
    assert sorted(s for v, s in loop.trained if v == "baseline") == [0, 1]  # one base for the three variants


def test_constructed_sweep_buys_seeds_for_its_inconclusive_variants_only_while_none_is_kept(tmp_path):
    sweep = {"block": "sampler", "params": {"seed": 1}, "sweep": {"rate": [0.5, 1.0]}}
    cfg = constructed_recipe([sweep], 2, 4)
    flaky = {"sampler[rate=0.5]": lambda seed: 1.0 if seed % 2 == 0 else -1.0, "sampler[rate=1.0]": -0.5}
    loop = SweepScores.loop(cfg, tmp_path, flaky)
    final = loop.run()
    (a, b) = loop.decisions
    assert (a["verdict"], a["seeds"]) == ("inconclusive", 4) and (b["verdict"], b["seeds"]) == ("drop", 2)
    assert sorted(s for v, s in loop.trained if v == "baseline+sampler[rate=1.0]") == [0, 1]  # decided: no more
    assert final.name == "baseline"
