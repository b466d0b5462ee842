"""Every evaluation task kind reads its real source file into well-formed cloze items, sampled reproducibly."""

import pytest

from ablations.eval.tasks import BUILDERS, CHANCE, DEFAULT_PATHS, build_items


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_task_files_become_cloze_items(kind, shared_data):
    items = build_items(kind, shared_data / DEFAULT_PATHS[kind], 50, seed=0)
    assert len(items) == 50 and items == build_items(kind, shared_data / DEFAULT_PATHS[kind], 50, seed=0)
    assert len({it["id"] for it in items}) == 50
    for it in items:
        assert isinstance(it["query"], str) and it["choices"] and all(c.strip() for c in it["choices"])
        assert 0 <= it["gold"] < len(it["choices"])
    n_choices = {len(it["choices"]) for it in items}
    assert n_choices == ({1} if kind == "lambada" else {round(1 / CHANCE[kind])})


def test_items_that_do_not_fit_are_left_out(shared_data):
    short = build_items(
        "blimp", shared_data / DEFAULT_PATHS["blimp"], 20, 0, fits=lambda it: len(it["choices"][0]) < 40
    )
    assert all(len(it["choices"][0]) < 40 for it in short)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build_items("piqa", shared_data / "no/such/file.jsonl", 5, 0)
