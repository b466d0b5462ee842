"""Decisions that hold their error rate (issue #26, item 2): at least 2 seeds for any verdict, the recipe's error rate
shared among its candidates (ablations/decide/family.py), and the winner's-curse bound of a sweep's kept variant
(ablations/decide/sweep.py). The loop runs for real on constructed scores (tests/constructed.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ablations.decide.family import ErrorBudget, per_look_confidence
from ablations.decide.progress import verdict_line
from ablations.decide.sweep import winner_bias
from ablations.recipe.loader import ConfigError, load_recipe
from tests.constructed import ConstructedScores
from tests.constructed import recipe as constructed_recipe

RECIPE = """\
experiment: {{name: t}}
data:
  sources:
    - {{name: books, format: text, path: /tmp/books}}
evaluation:
  tasks:
    - {{name: t, kind: blimp}}
ablation:
  seeds: {seeds}
  max_seeds: {max_seeds}
  candidates:
    - {{block: sampler, params: {{rate: 0.5, seed: 1}}}}
"""


def error_at_load(tmp_path: Path, seeds: int, max_seeds: int) -> str:
    path = tmp_path / "recipe.yaml"
    path.write_text(RECIPE.format(seeds=seeds, max_seeds=max_seeds))
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    return str(e.value).replace(str(path), "FILE")


def test_one_seed_is_refused_at_load_naming_file_line_and_key(tmp_path):
    msg = error_at_load(tmp_path, seeds=1, max_seeds=5)
    assert "FILE:9: ablation.seeds: a verdict needs at least 2 seeds, got 1: with one seed its interval" in msg
    assert "(set seeds: 2 or more)" in msg


def test_max_seeds_below_seeds_is_refused_at_load(tmp_path):
    msg = error_at_load(tmp_path, seeds=3, max_seeds=2)
    assert "FILE:10: ablation.max_seeds: max_seeds (2) is below seeds (3): set it to seeds or more" in msg


def test_the_error_rate_is_shared_and_a_candidate_decided_untrained_passes_its_share_on():
    budget = ErrorBudget(alpha=0.05, candidates=4, multiplicity="bonferroni")
    shares = []
    for trained in (True, False, True, True):
        shares.append(budget.share())
        budget.spend(shares[-1], trained)
    assert shares == pytest.approx([0.0125, 0.0125, 0.01875, 0.01875])
    assert budget.spent == pytest.approx(0.05)  # never more than the recipe's error rate
    assert budget.marks() == {"family_error": 0.05, "family_size": 4}
    none = ErrorBudget(alpha=0.05, candidates=4, multiplicity="none")
    assert none.share() == 0.05 and none.marks() == {"family_error": pytest.approx(0.2), "family_size": 4}


class EmptyCandidate(ConstructedScores):
    """The constructed loop, where a candidate named ``empty`` keeps no book (decided untrained, as a drop)."""

    def prepare(self, v):
        v = super().prepare(v)
        v.empty = v.name.endswith("+empty")
        return v


@pytest.mark.parametrize("multiplicity", ["bonferroni", "none"])
def test_the_loop_decides_each_candidate_at_its_share_and_records_the_recipe_wide_bound(tmp_path, multiplicity):
    """3 candidates, 2 seeds at one look: with bonferroni the first has a third of 5%, the empty one spends nothing,
    the last has what is left (two thirds); with none each has 5%, and the recipe-wide bound is 3 x 5%."""
    ablation = {"seeds": 2, "max_seeds": 2, "multiplicity": multiplicity}
    cfg = constructed_recipe(["good", "empty", "bad"], ablation)
    loop = EmptyCandidate(cfg, tmp_path, {"good": 0.5, "empty": 0.0, "bad": -0.5})
    loop.run()
    good, empty, bad = loop.decisions
    assert [(d["verdict"], d["seeds"]) for d in loop.decisions] == [("keep", 2), ("drop", 0), ("drop", 2)]
    if multiplicity == "bonferroni":
        assert good["confidence"] == pytest.approx(1 - 0.05 / 3) and bad["confidence"] == pytest.approx(1 - 0.1 / 3)
        assert [d["family_error"] for d in loop.decisions] == pytest.approx([0.05] * 3)
    else:
        assert good["confidence"] == bad["confidence"] == pytest.approx(0.95)
        assert [d["family_error"] for d in loop.decisions] == pytest.approx([0.15] * 3)
    assert {d["family_size"] for d in loop.decisions} == {3}
    bound = f"{100 * good['family_error']:.1f}%"
    assert verdict_line(good).endswith(f"; any false keep/drop among the recipe's 3 candidates <= {bound}")
    assert "any false" not in verdict_line(empty)  # untrained: no interval, nothing that could be false


def test_the_winner_bias_bound_is_the_expected_largest_noise():
    assert winner_bias([0.2]) == 0.0  # one variant: nothing chosen
    assert winner_bias([1.0, 1.0]) == pytest.approx(1 / np.sqrt(np.pi))  # E[max of 2 standard normals]
    assert winner_bias([0.1] * 3) == pytest.approx(0.1 * 0.846284, rel=1e-5)
    ses = [0.006, 0.0023, 0.0019]  # unequal: against a simulation of the largest of independent noises
    draws = np.random.default_rng(0).normal(size=(400_000, 3)) * ses
    assert winner_bias(ses) == pytest.approx(draws.max(axis=1).mean(), rel=0.01)


def test_a_sweeps_kept_variant_reports_its_winner_bias(tmp_path):
    """Three variants with the same true effect: whichever comes out largest is kept, and its delta carries the
    bound on the expected overstatement, computed from the variants' standard errors."""
    sweep = {"block": "sampler", "params": {"seed": 1}, "sweep": {"rate": [0.25, 0.5, 1.0]}}
    cfg = constructed_recipe([], {"seeds": 2, "max_seeds": 2, "candidates": [sweep]})
    effects = {f"sampler[rate={r}]": 0.5 for r in (0.25, 0.5, 1.0)}
    loop = ConstructedScores(cfg, tmp_path, effects)
    loop.run()
    kept = [d for d in loop.decisions if d["verdict"] == "keep"]
    assert len(kept) == 1 and kept[0]["delta"] == max(d["delta"] for d in loop.decisions)
    assert kept[0]["winner_bias"] == pytest.approx(winner_bias([d["se"] for d in loop.decisions]))
    assert all("winner_bias" not in d for d in loop.decisions if d is not kept[0])
    assert "; the largest delta of its sweep: selection adds about +0.0" in verdict_line(kept[0])
    assert per_look_confidence(0.95, 2, 2, 3) == kept[0]["confidence"]
