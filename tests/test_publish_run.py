"""Publishing a finished tiny ablation: the recipe doc against the run's results, the analysis notebook executed on
the run, and the wandb offline logs holding the loss and the evaluation scores. One run shared by every test."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ablations.publish import cli
from ablations.publish.recipe_doc import render
from ablations.recipe.loader import load_recipe
from ablations.record.run import RUN_FILE, read_run, write_run
from ablations.train.tracking import offline_history

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def tiny_recipe(tmp: Path, shared: Path) -> Path:
    """As tests/test_ablation_e2e.py, with a clean-up candidate (page_furniture: rewrites text) and a filter candidate
    that keeps what it drops (book_length: drops the short books), and wandb offline."""
    cfg = f"""\
experiment: {{name: tinypub, output_dir: {tmp / "runs"}, seed: 0}}
data:
  sources:
    - {{name: old_books, format: text, path: {shared / "ocr_pages/old_books/tesseract_otsu_txt"},
       glob_pattern: "*.txt", book_pattern: '^([a-z]+)\\d+'}}
    - {{name: ecco, format: text, path: {shared / "clean_books/ecco_tcp"}, limit: 6}}
tokenizer: {{vocab_size: 400, sample_documents: 8, sample_chars: 200000}}
model: {{hidden_size: 16, num_layers: 1, num_heads: 2, intermediate_size: 32, max_seq_len: 64}}
training: {{token_budget: 6144, batch_size: 8, checkpoints: 2, warmup_steps: 2, threads: 1}}
evaluation:
  holdout: {{source: ecco, documents: 2, chunk_chars: 500}}
  tasks:
    - {{name: bpb_ecco, kind: bpb, max_items: 20}}
    - {{name: ght, kind: gold_vs_ocr, max_items: 30}}
ablation:
  seeds: 2
  max_seeds: 2
  candidates:
    - {{block: page_furniture, section: clean}}
    - {{block: book_length, id: long_books, keep_dropped: true, params: {{min_words: 5000}}}}
executor: {{tasks: 1, workers: 1}}
tracking: {{wandb: offline}}
"""
    path = tmp / "tinypub.yaml"
    path.write_text(cfg)
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, shared_data: Path) -> Path:
    tmp = tmp_path_factory.mktemp("publish")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env |= {k: str(tmp / "wandb") for k in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DATA_DIR")}
    res = subprocess.run(
        [sys.executable, str(REPO / "run_ablation.py"), str(tiny_recipe(tmp, shared_data))],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-4000:]
    return tmp / "runs" / "tinypub"


def _number(doc: str, label: str, after: str) -> str:
    """The value cell of the evidence row ``label`` in the first table after ``after``."""
    m = re.search(re.escape(f"| {label} | ") + r"(.*?) \|", doc[doc.index(after) :])
    assert m, f"no row {label!r} after {after!r}"
    return m.group(1)


def test_recipe_doc_numbers_match_decisions_results_and_stage_manifests(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "repo"
    assert cli.main(["docs", str(run_dir)], out) == 0
    doc_path = out / "docs" / "recipes" / "tinypub.md"
    doc = doc_path.read_text()
    decisions = json.loads((run_dir / "decisions.json").read_text())
    assert [d["candidate"] for d in decisions] == ["page_furniture", "long_books"]
    train = [json.loads(p.read_text()) for p in (run_dir / "stages").glob("train-*/manifest.json")]
    available = {m["variant"]: m["available_tokens"] for m in train}

    for d in decisions:
        head = f"### `{d['candidate']}` ({d['section']}): **{d['verdict']}**"
        assert head in doc
        assert float(_number(doc, "aggregate difference (baseline item sd)", head)) == pytest.approx(
            d["delta"], abs=5e-5
        )
        label = f"{d['confidence']:.1%} interval"  # per-look confidence: inconclusive verdicts may buy seeds
        low, high = map(float, re.findall(r"[-+]\d+\.\d+", _number(doc, label, head)))
        assert (low, high) == (pytest.approx(d["low"], abs=5e-5), pytest.approx(d["high"], abs=5e-5))
        assert float(_number(doc, "minimum detectable effect (80% power)", head)) == pytest.approx(d["mde"], abs=5e-5)
        assert int(_number(doc, "seeds (paired)", head)) == d["seeds"]
        assert _number(doc, "verdict", head) == d["verdict"]
        tokens = re.match(r"(\d+) -> (\d+)", _number(doc, "tokens", head)).groups()
        assert tuple(map(int, tokens)) == (available[d["baseline"]], available[d["variant"]])
        for task, pt in d["per_task"].items():
            row = re.search(rf"\| {task} \| (\S+) \| (\S+) \| (\S+) \| (\S+) \|", doc[doc.index(head) :]).groups()
            want = (pt["baseline"], pt["variant"], pt["delta"], pt["delta_std_units"])
            assert [float(x) for x in row] == [pytest.approx(w, abs=5e-5) for w in want]

    # the filter candidate's drops: counts from the variant's own process manifest, examples from its exclusions
    filt = decisions[1]
    head = "### `long_books` (filter)"
    run = read_run(run_dir)
    folder = run.stage(run.variant(filt["variant"]).processing[0])
    dropped = json.loads((folder / "manifest.json").read_text())["summary"]["dropped"]["long_books"]
    assert _number(doc, "books dropped (by reason)", head) == f"too_few_words {dropped['too_few_words']}"
    excluded = {json.loads(x)["id"] for p in (folder / "excluded" / "long_books").glob("*") for x in _lines(p)}
    examples = re.findall(r"- dropped `([^`]+)` \(`too_few_words`\)", doc[doc.index(head) :])
    assert examples and set(examples) <= excluded
    clean = doc[doc.index("### `page_furniture`") : doc.index(head)]
    assert re.search(r"- changed `old_books/\w+`", clean) and "\n  - " in clean  # removed lines of a rewritten book

    # scores table = results.parquet at each variant's last checkpoint, mean over seeds
    results = pd.read_parquet(run_dir / "results.parquet")
    last = results[results["step"] == results.groupby(["variant", "task", "seed"])["step"].transform("max")]
    for (variant, task), g in last.groupby(["variant", "task"]):
        m = re.search(rf"\| {re.escape(variant)} \| {task} \| (\d+) \| (\S+) \|", doc)
        assert m and int(m.group(1)) == len(g) and float(m.group(2)) == pytest.approx(g["score"].mean(), abs=5e-5)

    # every key of the resolved config is a row
    for key in config_keys(yaml.safe_load((run_dir / "config.resolved.yaml").read_text())):
        assert f"| `{key}` |" in doc, f"{key} is not in the doc"
    assert "| `ablation.candidates.1.params.min_words` | `5000` |" in doc

    assert render(read_run(run_dir)) == doc  # regenerating gives the same file


def _lines(path: Path) -> list[str]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        return [x for x in f if x.strip()]


def config_keys(cfg: dict) -> list[str]:
    """Dotted keys of every leaf of a resolved config; list items by index (data.sources.0.name)."""
    keys = []

    def walk(value, prefix: str) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(v, f"{prefix}.{k}")
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for i, item in enumerate(value):
                walk(item, f"{prefix}.{i}")
        else:
            keys.append(prefix)

    for section, value in cfg.items():
        walk(value, section)
    return keys


def test_run_record_holds_what_the_run_wrote_and_round_trips(run_dir: Path, tmp_path: Path) -> None:
    run = read_run(run_dir)
    assert run.recipe == load_recipe(run_dir / "config.resolved.yaml")
    assert [d.model_dump() for d in run.decisions] == json.loads((run_dir / "decisions.json").read_text())
    assert pd.DataFrame(run.results_rows()).equals(pd.read_parquet(run_dir / "results.parquet"))
    assert load_recipe(run_dir / "final_recipe.yaml") == run.final_recipe()
    assert [(s.candidate, s.tried_on, s.kept) for s in run.greedy.steps] == [
        (d.candidate, d.baseline, d.verdict == "keep") for d in run.decisions
    ]
    assert {v.name for v in run.variants} == {
        "baseline",
        "baseline+page_furniture",
        *(d.variant for d in run.decisions),
    }
    for r in run.runs:  # every run's stage folder and scores as its manifest has them
        m = json.loads((run.stage(r.folder) / "manifest.json").read_text())
        assert (m["variant"], m["seed"], m["epochs"], m["available_tokens"]) == (
            r.variant,
            r.seed,
            r.epochs,
            r.available_tokens,
        )
        assert [e["step"] for e in m["evals"]] == [c.step for c in r.checkpoints] and run.scores_file(r).is_file()
    for v in run.variants:
        assert json.loads((run.stage(v.tokens) / "manifest.json").read_text())["tokens"] == v.token_count
        assert (
            json.loads((run.stage(v.processing[-1]) / "manifest.json").read_text())["summary"]["kept"]
            == v.summary.kept
        )

    copy = tmp_path / "copy"
    copy.mkdir()
    write_run(run.model_copy(update={"run_dir": copy}))
    assert (copy / RUN_FILE).read_text() == (run_dir / RUN_FILE).read_text()
    assert read_run(copy).model_copy(update={"run_dir": run_dir}) == run


def test_analysis_notebook_executes_on_the_run(run_dir: Path, monkeypatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("FINEBOOKS_RUN_DIR", str(run_dir))
    nb = nbformat.read(REPO / "notebooks" / "analysis.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO / "notebooks")}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2  # score curves and decisions
    text = "\n".join(o.get("text", "") for o in outputs)
    assert f"{run_dir}: " in text and "2 decisions" in text
    browsed = re.findall(r"--- long_books: (\S+) \(too_few_words, \d+ characters\)", text)
    assert browsed  # the removed-text browser lists dropped books with their reason
    assert "== page_furniture: books dropped 0" in text


def test_wandb_offline_logs_hold_the_loss_and_the_evaluation_scores(run_dir: Path) -> None:
    folders = sorted((run_dir / "stages").glob("train-*"))
    assert folders
    for folder in folders:
        (run_file,) = folder.glob("wandb/offline-run-*/run-*.wandb")
        history = {row["_step"]: row for row in offline_history(run_file)}
        manifest = json.loads((folder / "manifest.json").read_text())
        assert sorted(history) == list(range(1, manifest["steps"] + 1))
        assert all(isinstance(row["train/loss"], float) for row in history.values())
        for ev in manifest["evals"]:
            row = history[ev["step"]]
            assert row["train/loss"] == pytest.approx(ev["loss"])
            for task, items in ev["tasks"].items():
                for metric in ("score", "bpb" if task == "bpb_ecco" else "acc"):
                    mean = sum(r[metric] for r in items) / len(items)
                    assert row[f"eval/{task}/{metric}"] == pytest.approx(mean), (folder.name, task, metric)


def test_run_ablation_py_dispatches_the_docs_subcommand(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "doc.md"
    res = subprocess.run(
        [sys.executable, str(REPO / "run_ablation.py"), "docs", str(run_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == f"recipe doc: {out}" and out.read_text() == render(read_run(run_dir))


def test_release_of_a_runs_final_recipe_carries_its_evidence(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "release"
    args = ["release", str(run_dir / "final_recipe.yaml"), "--out", str(out), "--work", str(tmp_path / "stages")]
    assert cli.main(args, REPO) == 0
    assert (out / "recipe_evidence.md").read_text() == render(read_run(run_dir))
    card = (out / "README.md").read_text()
    assert "[recipe_evidence.md](recipe_evidence.md)" in card
    for d in json.loads((run_dir / "decisions.json").read_text()):
        assert f"| `{d['candidate']}` | **{d['verdict']}** | {d['delta']:+.4f} | [{d['low']:+.4f}, " in card
    processing = json.loads((out / "manifest.json").read_text())["processing"]
    run = json.loads((run_dir / "summary.json").read_text())["documents"]
    assert run["dropped"]["eval_holdout"] == {"eval_holdout": 2}
    assert processing["in"] == run["in"] and "eval_holdout" not in processing["dropped"]  # no evaluation hold-out
