"""The trainer's default thread count follows the CPUs the process may use (issue #14, item 9)."""

from __future__ import annotations

import logging

import pytest

from ablations.train import threads
from ablations.train.threads import default_threads, process_affinity, training_threads, usable_cpus


def test_the_affinity_set_counts_not_the_machine():
    assert usable_cpus({0, 1, 2, 3}, {}) == 4
    assert usable_cpus({5}, {}) == 1


def test_slurm_s_cpus_per_task_caps_the_affinity_and_bad_values_are_ignored():
    assert usable_cpus({0, 1, 2, 3, 4, 5, 6, 7}, {"SLURM_CPUS_PER_TASK": "3"}) == 3
    assert usable_cpus({0, 1}, {"SLURM_CPUS_PER_TASK": "16"}) == 2
    assert usable_cpus({0, 1}, {"SLURM_CPUS_PER_TASK": ""}) == 2
    assert usable_cpus({0, 1}, {"SLURM_CPUS_PER_TASK": "0"}) == 2


def test_processes_of_one_launch_share_the_cpus():
    assert usable_cpus(set(range(8)), {"LOCAL_WORLD_SIZE": "4"}) == 2
    assert usable_cpus({0, 1}, {"LOCAL_WORLD_SIZE": "4"}) == 1  # at least one


def test_zero_means_the_usable_cpus_and_more_warns_once(caplog, monkeypatch):
    monkeypatch.setattr(threads, "_warned", set())
    assert training_threads(0, 3) == 3
    with caplog.at_level(logging.WARNING, logger="ablations.train.threads"):
        assert training_threads(2, 3) == 2
        assert caplog.text == ""
        assert training_threads(8, 2) == 8 and training_threads(8, 2) == 8
    warnings = [r for r in caplog.records if "training.threads=8" in r.getMessage()]
    assert len(warnings) == 1 and "may use 2 CPUs" in warnings[0].getMessage()


@pytest.mark.skipif(process_affinity() is None, reason="no sched_getaffinity on this platform")
def test_this_process_s_default_is_its_affinity(monkeypatch):
    monkeypatch.delenv("SLURM_CPUS_PER_TASK", raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert default_threads(0) == len(process_affinity())
