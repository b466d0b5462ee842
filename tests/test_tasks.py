"""Every built-in evaluation task reads its real source file into well-formed cloze items, sampled reproducibly."""

import pytest

from ablations.eval.tasks import TASKS, ChoiceTask, build_items, make_task

CHOICE_KINDS = sorted(k for k in TASKS.names() if isinstance(make_task(k), ChoiceTask))


def test_every_builtin_but_bpb_is_a_choice_task():
    assert CHOICE_KINDS == sorted(set(TASKS.names()) - {"bpb"}) and len(CHOICE_KINDS) == 8


@pytest.mark.parametrize("kind", CHOICE_KINDS)
def test_task_files_become_cloze_items(kind, shared_data):
    task = make_task(kind)
    items = build_items(kind, shared_data / task.default_path, 50, seed=0)
    assert len(items) == 50 and items == build_items(kind, shared_data / task.default_path, 50, seed=0)
    assert len({it["id"] for it in items}) == 50
    for it in items:
        assert isinstance(it["query"], str) and it["choices"] and all(c.strip() for c in it["choices"])
        assert 0 <= it["gold"] < len(it["choices"])
    n_choices = {len(it["choices"]) for it in items}
    assert n_choices == ({1} if kind == "lambada" else {round(1 / task.chance)})


def test_items_that_do_not_fit_are_left_out(shared_data):
    path = shared_data / make_task("blimp").default_path
    short = build_items("blimp", path, 20, 0, fits=lambda it: len(it["choices"][0]) < 40)
    assert all(len(it["choices"][0]) < 40 for it in short)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build_items("piqa", shared_data / "no/such/file.jsonl", 5, 0)
