"""The greedy loop (ablations/decide/loop.py) with its real decisions (ablations/decide/stats.py) on constructed
scores: a kept candidate becomes the base of the next one, a dropped one does not, and an inconclusive verdict
buys seeds up to ``max_seeds``. Only processing and training are stood in for (the subject is the loop): each
variant's scores are built from the effects of its blocks, so every verdict is known by construction."""

from __future__ import annotations

import numpy as np

from ablations.decide.loop import Variant, per_look_confidence
from tests.constructed import ITEMS, ConstructedScores
from tests.constructed import recipe as constructed_recipe


def recipe(candidates: list[str], seeds: int, max_seeds: int):
    return constructed_recipe(candidates, {"seeds": seeds, "max_seeds": max_seeds})


def _ids(v: Variant) -> list[str]:
    return [b.id for b in v.blocks()]


def test_a_kept_candidate_is_the_base_of_the_next_and_a_dropped_one_is_not(tmp_path):
    cfg = recipe(["good", "bad", "third"], seeds=2, max_seeds=4)
    loop = ConstructedScores(cfg, tmp_path, {"good": 0.5, "bad": -0.5, "third": 0.5})
    final = loop.run()
    got = [(d["candidate"], d["verdict"], d["baseline"], d["variant"], d["seeds"]) for d in loop.decisions]
    assert got == [
        ("good", "keep", "baseline", "baseline+good", 2),
        ("bad", "drop", "baseline+good", "baseline+good+bad", 2),
        ("third", "keep", "baseline+good", "baseline+good+third", 2),
    ]
    assert final.name == "baseline+good+third" and _ids(final) == ["good", "third"]
    sd = np.random.default_rng(123).normal(0, 1, ITEMS).std(ddof=1)  # the unit of delta: the base's item sd
    assert all(abs(abs(d["delta"]) - 0.5 / sd) < 0.01 for d in loop.decisions)  # the constructed effects
    # decisive at the first look: no seed bought; the kept variant's runs are reused as the next base, not retrained
    assert loop.trained == [(v, s) for v in ["baseline", "baseline+good", "baseline+good+bad"] for s in (0, 1)] + [
        ("baseline+good+third", 0),
        ("baseline+good+third", 1),
    ]
    assert (tmp_path / "verdicts.json").exists()


def test_an_inconclusive_verdict_buys_seeds_up_to_max_seeds(tmp_path):
    """The candidate moves every item by +1 on even seeds and -1 on odd ones: the seeds disagree in sign, so no
    number of seeds makes the interval clear 0, and the loop buys one seed pair at a time up to max_seeds."""
    cfg = recipe(["flaky", "good"], seeds=2, max_seeds=5)
    loop = ConstructedScores(cfg, tmp_path, {"flaky": lambda seed: 1.0 if seed % 2 == 0 else -1.0, "good": 0.5})
    final = loop.run()
    flaky, good = loop.decisions
    assert (flaky["verdict"], flaky["seeds"]) == ("inconclusive", 5)
    # half the recipe's 5% for each of its 2 candidates (ablation.multiplicity: bonferroni), split among 4 looks
    assert flaky["confidence"] == good["confidence"] == per_look_confidence(1 - 0.05 / 2, 2, 5) == 1 - 0.05 / 2 / 4
    assert flaky["low"] < 0 < flaky["high"]
    assert sorted(s for v, s in loop.trained if v == "baseline") == [0, 1, 2, 3, 4]
    assert sorted(s for v, s in loop.trained if v == "baseline+flaky") == [0, 1, 2, 3, 4]
    # not kept: the next candidate starts from the baseline again, reusing its five runs and needing two of its own
    assert (good["baseline"], good["verdict"], good["seeds"]) == ("baseline", "keep", 2)
    assert [t for t in loop.trained if t[0] == "baseline+good"] == [("baseline+good", 0), ("baseline+good", 1)]
    assert final.name == "baseline+good"
