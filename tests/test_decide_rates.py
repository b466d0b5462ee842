"""Decisions at several learning rates (ablations/decide/rates.py): the real loop and its real statistics on
constructed scores whose effect depends on the learning rate a run was trained at, so every per-rate verdict is
known by construction; the option's validation with file:line errors; each rate is a training stage of its own."""

from __future__ import annotations

import json

import pytest

from ablations.decide.rates import at_rate
from ablations.recipe.loader import ConfigError, load_recipe
from ablations.recipe.schema import RecipeConfig
from ablations.record.run import Decision
from ablations.train.training_run import TrainingRun
from tests.constructed import ConstructedScores
from tests.constructed import recipe as constructed_recipe

MAIN = 0.003


def recipe(candidates: list[str], rates: list[float], require_all: bool) -> RecipeConfig:
    ablation = {"seeds": 2, "max_seeds": 2, "learning_rates": rates, "require_all_learning_rates": require_all}
    return constructed_recipe(candidates, ablation, training={"learning_rate": MAIN})


EFFECTS = {
    "robust": {0.001: 0.5, MAIN: 0.5, 0.009: 0.5},
    "fragile": {0.001: 0.5, MAIN: 0.5, 0.009: -0.5},  # the verdict flips at the high rate
    "bad": {0.001: -0.5, MAIN: -0.5, 0.009: -0.5},
}


def test_require_all_learning_rates_keeps_only_what_every_rate_keeps(tmp_path):
    cfg = recipe(["robust", "fragile", "bad"], [0.001, MAIN, 0.009], require_all=True)
    loop = ConstructedScores(cfg, tmp_path, EFFECTS)
    final = loop.run()
    robust, fragile, bad = loop.decisions
    assert {r: d["verdict"] for r, d in robust["learning_rates"].items()} == {
        "0.003": "keep",
        "0.001": "keep",
        "0.009": "keep",
    }
    assert robust["verdict"] == "keep"
    assert {r: d["verdict"] for r, d in fragile["learning_rates"].items()} == {
        "0.003": "keep",
        "0.001": "keep",
        "0.009": "drop",
    }
    assert fragile["verdict"] == "inconclusive"  # a keep at the main rate alone is not enough
    assert fragile["delta"] > 0 and fragile["low"] > 0  # the record keeps the main rate's delta and interval
    assert bad["verdict"] == "drop" and {d["verdict"] for d in bad["learning_rates"].values()} == {"drop"}
    assert final.name == "baseline+robust"  # fragile was not kept: bad was tried on baseline+robust
    assert bad["baseline"] == "baseline+robust"
    # every rate's runs trained once: the current recipe at 0.001 is reused by the next candidate, not retrained
    assert loop.trained.count(("baseline+robust@lr=0.001", 0)) == 1
    assert {v for v, _ in loop.trained} >= {"baseline@lr=0.001", "baseline+robust@lr=0.009", "baseline+robust"}
    note = Decision.model_validate(fragile).note()
    assert note == "by learning rate: 0.003 keep, 0.001 keep, 0.009 drop"


def test_without_require_all_the_main_rate_decides_and_the_others_are_recorded(tmp_path):
    cfg = recipe(["fragile"], [0.001, 0.009], require_all=False)  # the main rate is added to the listed ones
    loop = ConstructedScores(cfg, tmp_path, EFFECTS)
    assert loop.run().name == "baseline+fragile"
    (d,) = loop.decisions
    assert d["verdict"] == "keep" and list(d["learning_rates"]) == ["0.003", "0.001", "0.009"]
    assert d["learning_rates"]["0.009"]["verdict"] == "drop" and d["learning_rates"]["0.009"]["delta"] < 0


def test_without_learning_rates_nothing_else_is_trained(tmp_path):
    loop = ConstructedScores(recipe(["robust"], [], require_all=False), tmp_path, EFFECTS)
    loop.run()
    assert "learning_rates" not in loop.decisions[0]
    assert all("@lr=" not in v for v, _ in loop.trained)


def test_each_rate_is_a_training_stage_of_its_own(tmp_path):
    cfg = recipe([], [0.001, MAIN], require_all=False)
    assert at_rate(cfg, MAIN) is cfg and at_rate(cfg, None) is cfg

    def key(c: RecipeConfig) -> dict:
        return TrainingRun(c, tmp_path / "tokens-abc", 0, tmp_path, tmp_path / "tok").key

    assert key(at_rate(cfg, 0.001))["training"]["learning_rate"] == 0.001
    assert key(at_rate(cfg, 0.001)) != key(cfg)
    assert at_rate(cfg, 0.001).model_dump()["training"] | {"learning_rate": MAIN} == cfg.model_dump()["training"]


BASE = """\
experiment:
  name: t
data:
  sources:
    - {name: books, format: text, path: /tmp/books}
evaluation:
  tasks:
    - {name: t, kind: blimp}
ablation:
  learning_rates: RATES
  require_all_learning_rates: REQUIRE
"""


@pytest.mark.parametrize(
    ("rates", "require", "line", "message"),
    [
        ("[0.001, 0.001]", "false", 10, "ablation.learning_rates: learning rates must be positive and"),
        ("[0.001, -1]", "false", 10, "ablation.learning_rates: learning rates must be positive and"),
        ("[]", "true", 11, "ablation.require_all_learning_rates: needs ablation.learning_rates"),
    ],
)
def test_rates_are_validated_with_their_line(tmp_path, rates, require, line, message):
    path = tmp_path / "recipe.yaml"
    path.write_text(BASE.replace("RATES", rates).replace("REQUIRE", require))
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    assert f"recipe.yaml:{line}: {message}" in str(e.value)
    path.write_text(BASE.replace("RATES", "[0.001, 0.009]").replace("REQUIRE", "true"))
    assert load_recipe(path).ablation.learning_rates == [0.001, 0.009]


def test_a_sweep_keeps_its_best_variant_among_those_kept_at_every_rate(tmp_path):
    """The sweep's larger delta at the main rate flips at 0.009: with require_all the robust variant joins."""
    cfg = recipe([], [0.001, MAIN, 0.009], require_all=True)
    sweep = {"block": "sampler", "id": "s", "params": {"seed": 1}, "sweep": {"rate": [0.5, 0.9]}}
    cfg = cfg.model_copy(update={"ablation": cfg.ablation.model_copy(update={"candidates": [_candidate(sweep)]})})
    effects = {"s[rate=0.5]": {0.001: 0.8, MAIN: 0.8, 0.009: -0.5}, "s[rate=0.9]": EFFECTS["robust"]}
    loop = ConstructedScores(cfg, tmp_path, effects)
    assert loop.run().name == "baseline+s[rate=0.9]"
    big, robust = loop.decisions
    assert (big["verdict"], big["learning_rates"]["0.009"]["verdict"], robust["verdict"]) == (
        "inconclusive",
        "drop",
        "keep",
    )


def _candidate(spec: dict):
    from ablations.recipe.candidates import CandidateSpec

    return CandidateSpec.model_validate(spec)


def test_end_to_end_each_rate_trains_its_own_runs_and_the_record_holds_them(tmp_path, shared_data):
    """The real experiment on a tiny model: garbage books removed at two learning rates; each rate's runs are their
    own stages, recorded as variants ``<name>@lr=<rate>``; decisions.json and the report give every rate's verdict."""
    from sweep_util import clean_and_garbage
    from sweep_util import recipe as tiny_recipe

    import run_ablation

    data = clean_and_garbage(shared_data, tmp_path / "data")
    cand = "    - {block: book_length, params: {min_words: 2000}}\n"
    extra = "  seeds: 2\n  max_seeds: 2\n  learning_rates: [0.001, 0.003]\n  require_all_learning_rates: true\n"
    assert run_ablation.main([str(tiny_recipe(tmp_path, shared_data, data, cand, extra))]) == 0
    run_dir = tmp_path / "runs" / "sweep"
    (d,) = json.loads((run_dir / "decisions.json").read_text())
    assert list(d["learning_rates"]) == ["0.003", "0.001"]
    said = [r["verdict"] for r in d["learning_rates"].values()]
    assert d["verdict"] == (said[0] if len(set(said)) == 1 else "inconclusive")
    run = json.loads((run_dir / "run.json").read_text())
    trained = {(r["variant"], r["seed"]): r["folder"] for r in run["runs"]}
    names = ["baseline", "baseline+book_length", "baseline@lr=0.001", "baseline+book_length@lr=0.001"]
    assert set(trained) == {(v, s) for v in names for s in (0, 1)}
    assert len(set(trained.values())) == 8  # a stage folder per (variant, rate, seed)
    assert f"by learning rate: 0.003 {said[0]}, 0.001 {said[1]}" in (run_dir / "report.md").read_text()
