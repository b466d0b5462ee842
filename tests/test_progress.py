"""Progress a person can follow (issue #14, item 7): training bars named by candidate, variant and seed; one line per
verdict, kept for ``--status``; lighteval's misleading few-shot warning filtered."""

from __future__ import annotations

import json
import logging
import types
from pathlib import Path

from ablations.decide.progress import VERDICTS, clear_verdicts, report_verdict, verdict_line
from ablations.slurm.status import format_status
from ablations.train.training_run import run_label

DECISION = {
    "candidate": "book_length",
    "verdict": "keep",
    "delta": 0.12345,
    "low": 0.05,
    "high": 0.2,
    "confidence": 0.975,
    "seeds": 3,
    "mde": 0.08,
}


def test_the_bar_names_candidate_seed_and_variant():
    folder = Path("/runs/x/stages/train-0123abcd")
    label = run_label("baseline+unicode_fix+book_length", 2, folder)
    assert label == "train book_length seed 2 (baseline+unicode_fix+book_length, train-0123abcd)"
    assert run_label("baseline", 0, folder) == "train baseline seed 0 (train-0123abcd)"


def test_a_verdict_line_has_delta_interval_seeds_and_minimum_detectable_effect():
    assert verdict_line(DECISION) == (
        "verdict book_length: keep, delta +0.1235 [+0.0500, +0.2000] (97.5% interval), 3 seeds, "
        "minimum detectable effect 0.0800"
    )


def test_verdicts_are_printed_when_reached_and_shown_by_status(tmp_path, capsys):
    second = DECISION | {"candidate": "dehyphenate", "verdict": "inconclusive", "delta": -0.01, "low": -0.1}
    report_verdict(tmp_path, [DECISION])
    report_verdict(tmp_path, [DECISION, second])
    printed = capsys.readouterr().out.splitlines()
    assert printed == [verdict_line(DECISION), verdict_line(second)]
    assert json.loads((tmp_path / VERDICTS).read_text()) == [DECISION, second]
    status = format_status(tmp_path)
    assert "verdicts (2):" in status and f"  {verdict_line(second)}" in status.splitlines()
    clear_verdicts(tmp_path)  # a new loop in the same run folder starts without the old verdicts
    assert "verdicts (" not in format_status(tmp_path)


def test_lighteval_s_few_shot_warning_is_filtered_and_other_warnings_are_not(caplog):
    from lighteval.tasks.lighteval_task import LightevalTask

    from ablations.eval.lighteval_tasks import FewShotNoise, silence_fewshot_warning

    log = logging.getLogger("lighteval.tasks.lighteval_task")
    for f in [f for f in log.filters if isinstance(f, FewShotNoise)]:  # installed by an earlier evaluation
        log.removeFilter(f)
    log.disabled, log.propagate = False, True  # an earlier test's logging setup may have changed them
    task = types.SimpleNamespace(name="cloze_books", evaluation_split=["test"])
    with caplog.at_level(logging.WARNING, logger="lighteval.tasks.lighteval_task"):
        LightevalTask.get_first_possible_fewshot_splits(task, ["test"])  # lighteval's own code logs the warning
    assert "few shot examples" in caplog.text  # without the filter it is there
    caplog.clear()
    silence_fewshot_warning()
    silence_fewshot_warning()  # installed once
    with caplog.at_level(logging.WARNING, logger="lighteval.tasks.lighteval_task"):
        LightevalTask.get_first_possible_fewshot_splits(task, ["test"])
        logging.getLogger("lighteval.tasks.lighteval_task").warning("another warning")
    assert "few shot examples" not in caplog.text and "another warning" in caplog.text
    assert len(logging.getLogger("lighteval.tasks.lighteval_task").filters) == 1
