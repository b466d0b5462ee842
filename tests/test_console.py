"""The console a person reads: a run's own lines (each naming its stage and variant, or its candidate), the
libraries' output (datatrove's logs and stats tables, lighteval's lines, ``datasets``' bars) in the run's log."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_util import clean_and_garbage, recipe

from pipelines.console import bar_file, run_log, say

REPO = Path(__file__).resolve().parents[1]
STAGE_LINE = re.compile(r"^(process|tokenizer|overlap|tokens|dedup(-shared| \S+)|train) \S.*: ")
OWN_LINE = re.compile(r"^(verdict \S+: |sweep \S+ |WARNING: candidate \S+ |decontamination \S+: |log: )")


def test_inside_run_log_only_said_lines_reach_the_console_and_the_log_has_everything(tmp_path, capfd):
    log = tmp_path / "run" / "run.log"
    with run_log(log):
        print("a library's print")
        os.write(2, b"a C library's line\n")
        subprocess.run([sys.executable, "-c", "print('a worker process')"], check=True)
        say("process baseline: running")
        say("WARNING: candidate x removes 60% of books", err=True)
        print("a bar", file=bar_file())
    out, err = capfd.readouterr()
    assert out == "process baseline: running\n"
    assert err == "WARNING: candidate x removes 60% of books\na bar\n"
    text = log.read_text()
    for line in ("a library's print", "a C library's line", "a worker process", "process baseline: running"):
        assert line in text
    print("after")  # the descriptors and streams are the console's again
    assert capfd.readouterr().out == "after\n"


def test_a_failure_inside_run_log_leaves_its_traceback_in_the_log(tmp_path, capfd):
    log = tmp_path / "run.log"
    with pytest.raises(ValueError, match="bad recipe"), run_log(log):
        raise ValueError("bad recipe")
    assert "ValueError: bad recipe" in log.read_text()
    assert capfd.readouterr() == ("", "")


@pytest.mark.slow
def test_a_run_prints_its_own_lines_and_logs_the_libraries(tmp_path, shared_data):
    """A sweep of two variants with a lighteval task: before, ~1,700 console lines (datatrove's logs and stats
    tables twice per stage, lighteval's batch-size lines, ``datasets``' bars); now one or two lines per stage."""
    data = clean_and_garbage(shared_data, tmp_path / "data", books=3)
    cfg = recipe(tmp_path, shared_data, data, "    - block: book_length\n      sweep: {min_words: [1, 2000]}\n")
    text = cfg.read_text().replace("  tasks:\n", "  tasks:\n    - {name: blimp, kind: blimp, max_items: 10}\n")
    cfg.write_text(text.replace("ablation:\n", "ablation:\n  seeds: 2\n  max_seeds: 2\n"))
    res = subprocess.run([sys.executable, str(REPO / "run_ablation.py"), str(cfg)], capture_output=True, cwd=REPO)
    out, err = res.stdout.decode(), res.stderr.decode()  # as written: a bar's updates end in \r, not \n
    assert res.returncode == 0, err[-3000:]
    assert (out + err).count("\n") <= 40, out + err  # lines, as `wc -l` counts them
    summary = out.split("\n").index(f"run folder: {tmp_path / 'runs' / 'sweep'}")
    for line in out.split("\n")[:summary] + re.split("[\r\n]+", err.strip()):
        assert STAGE_LINE.match(line) or OWN_LINE.match(line), line
    assert "verdict book_length[min_words=2000]: " in out
    assert "process baseline+book_length[min_words=2000]: 3 of 6 books kept in " in out
    assert "train book_length[min_words=2000] seed 1 (baseline+book_length[min_words=2000]): " in out
    log = (tmp_path / "runs" / "sweep" / "run.log").read_text()
    assert "Stats: All 1 tasks" in log and "batch size is set to" in log  # datatrove's and lighteval's detail
    assert "Generating test split" not in log  # datasets' bars are off
    for line in out.split("\n")[1:]:  # all but the first, which names the log
        assert line in log
