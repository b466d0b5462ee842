"""The process stage end to end through run_ablation.py: summary, exclusions, reuse, kill -9 and resume."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


def run_cli(*args: str, env_extra: dict | None = None, **kw) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(TESTS)} | (env_extra or {})
    return subprocess.run(
        [sys.executable, str(REPO / "run_ablation.py"), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=600,
        **kw,
    )


def output_docs(stage: Path) -> list[tuple[str, str]]:
    rows = []
    for f in sorted((stage / "output").glob("*.jsonl*")):
        with gzip.open(f, "rt") if f.suffix == ".gz" else open(f) as fh:
            rows += [(d["id"], d["text"]) for d in map(json.loads, fh)]
    return rows


def recipe(tmp_path: Path, shared_data: Path, name: str, tasks: int = 2, extra_blocks: str = "") -> Path:
    text = f"""\
experiment:
  name: {name}
  output_dir: {tmp_path / "runs"}
data:
  sources:
    - name: old_books
      format: text
      path: {shared_data / "ocr_pages/old_books/tesseract_otsu_txt"}
      glob_pattern: "*.txt"
      book_pattern: '^([a-z]+)\\d+'
    - name: broken
      format: text
      path: {tmp_path / "broken"}
filter:
{extra_blocks}  - block: book_length
    params: {{min_words: 12000, min_pages: 2}}
    keep_dropped: true
executor:
  tasks: {tasks}
  workers: 1
"""
    broken = tmp_path / "broken"
    broken.mkdir(exist_ok=True)
    (broken / "latin1.txt").write_bytes(b"caf\xe9 " * 100)
    (broken / "empty.txt").write_text("")
    (broken / "short.txt").write_text("a short book " * 10)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


@pytest.mark.slow
def test_process_run_accounts_for_every_book(tmp_path, shared_data):
    res = run_cli(str(recipe(tmp_path, shared_data, "acc")), "--stage", "process")
    assert res.returncode == 0, res.stderr[-3000:]
    run_dir = tmp_path / "runs" / "acc"
    assert f"run folder: {run_dir}" in res.stdout
    summary = json.loads((run_dir / "summary.json").read_text())
    docs = summary["documents"]
    assert docs["in"]["documents"] == 11  # 10 old books + short.txt
    assert docs["in"]["pages"] == 322 + 1
    assert docs["skipped"] == {"broken": {"invalid_encoding": 1, "empty": 1}}
    dropped = docs["dropped"]["book_length"]
    assert docs["kept"]["documents"] + sum(dropped.values()) == docs["in"]["documents"]
    assert docs["unaccounted"] == 0 and dropped["too_few_words"] >= 2  # short.txt and the 8-page book b
    stage = Path(summary["stages"]["process"]["folder"])
    kept_ids = {i for i, _ in output_docs(stage)}
    excluded = [
        json.loads(line) for f in (stage / "excluded" / "book_length").glob("*.jsonl*") for line in gzip.open(f, "rt")
    ]
    assert len(excluded) == sum(dropped.values())
    assert {d["metadata"]["filter_reason"] for d in excluded} <= {"too_few_words", "too_few_pages"}
    assert kept_ids.isdisjoint({d["id"] for d in excluded}) and "broken/short" in {d["id"] for d in excluded}
    for f in ("config.resolved.yaml", "environment.json"):
        assert (run_dir / f).is_file()
    env = json.loads((run_dir / "environment.json").read_text())
    assert env["packages"]["datatrove"] == "0.10.1" and env["hardware"]["cpus"] >= 1 and "commit" in env["git"]
    # a second run reuses the finished stage
    again = run_cli(str(recipe(tmp_path, shared_data, "acc")))
    assert again.returncode == 0 and "(reused)" in again.stdout


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_same_documents(tmp_path, shared_data):
    slow = "  - block: slow_block:SlowPass\n    params: {seconds_per_book: 0.4}\n"
    reference = run_cli(str(recipe(tmp_path, shared_data, "ref", tasks=6, extra_blocks=slow)))
    assert reference.returncode == 0, reference.stderr[-3000:]
    ref_stage = Path(json.loads((tmp_path / "runs/ref/summary.json").read_text())["stages"]["process"]["folder"])
    expected = sorted(output_docs(ref_stage))

    cfg = str(recipe(tmp_path, shared_data, "killed", tasks=6, extra_blocks=slow))
    env = os.environ | {"PYTHONPATH": str(TESTS)}
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "run_ablation.py"), cfg],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    stages = tmp_path / "runs" / "killed" / "stages"
    deadline = time.time() + 300
    while time.time() < deadline:
        done = list(stages.glob("process-*/logs/completions/*"))
        if len(done) >= 2:
            break
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stage = next(stages.glob("process-*"))
    assert not (stage / "manifest.json").exists()
    assert 2 <= len(list((stage / "logs/completions").iterdir())) < 6, "killed too late to test a resume"

    resumed = run_cli(cfg)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    got = output_docs(stage)
    assert len(got) == len({i for i, _ in got}), "a document was written twice"
    assert sorted(got) == expected
    ref_summary = json.loads((tmp_path / "runs/ref/summary.json").read_text())["documents"]
    assert json.loads((tmp_path / "runs/killed/summary.json").read_text())["documents"] == ref_summary


def test_missing_data_folder_says_what_to_set(tmp_path):
    cfg = tmp_path / "r.yaml"
    cfg.write_text(
        f"experiment: {{name: m, output_dir: {tmp_path}}}\n"
        "data:\n  sources:\n    - {name: b, format: text, path: /no/such/folder}\n"
    )
    res = run_cli(str(cfg))
    assert res.returncode == 3
    assert "data.sources.0 (b): folder '/no/such/folder' does not exist" in res.stderr
    assert "FINEBOOKS_SHARED_DATA" in res.stderr and "--set data.sources.N.path" in res.stderr


def test_config_typo_fails_fast_from_the_command_line(tmp_path):
    cfg = tmp_path / "typo.yaml"
    cfg.write_text((REPO / "configs/quickstart.yaml").read_text().replace("  tasks: 2", "  taks: 2"))
    res = run_cli(str(cfg))
    assert res.returncode == 2
    assert "executor.taks: unknown key" in res.stderr and f"{cfg}:" in res.stderr
