"""The stage protocol (pipelines/stages.py) on every stage of a tiny run: process, dedup, tokenizer, tokens and a
training run. Each is named by the hash of a key built from its inputs only, is unfinished until ``run()`` writes
its manifest, is reused by a second ``run()``, and is redone or resumed when killed before its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ablations.recipe.loader import load_recipe
from ablations.run_context import HOLDOUT, RunContext
from ablations.train.training_run import TrainingRun
from pipelines import jsonl
from pipelines.fingerprint import stable_hash
from pipelines.stages import Stage

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


def recipe(tmp: Path, shared: Path) -> Path:
    cfg = f"""\
experiment: {{name: stages, output_dir: {tmp / "runs"}, seed: 0}}
data:
  sources:
    - {{name: ecco, format: text, path: {shared / "clean_books/ecco_tcp"}, limit: 5}}
clean:
  - {{block: unicode_fix}}
dedup:
  - {{kind: exact}}
tokenizer: {{vocab_size: 300, sample_documents: 4, sample_chars: 100000}}
model: {{hidden_size: 16, num_layers: 1, num_heads: 2, intermediate_size: 32, max_seq_len: 64}}
training: {{token_budget: 4096, batch_size: 8, checkpoints: 2, warmup_steps: 2, threads: 1}}
evaluation:
  holdout: {{source: ecco, documents: 1, chunk_chars: 500}}
  tasks:
    - {{name: bpb_ecco, kind: bpb, max_items: 10}}
executor: {{tasks: 2, workers: 1}}
tracking: {{wandb: disabled}}
"""
    path = tmp / "stages.yaml"
    path.write_text(cfg)
    return path


@pytest.fixture(scope="module")
def run_ctx(tmp_path_factory, shared_data: Path) -> RunContext:
    from ablations.experiment import setup_run

    tmp = tmp_path_factory.mktemp("stages")
    return setup_run(load_recipe(recipe(tmp, shared_data)), REPO)


@pytest.fixture(scope="module")
def stages(run_ctx: RunContext) -> dict[str, Stage]:
    """Every stage of the baseline, each run once in order (the later ones read the earlier ones' output)."""
    from ablations.decide.loop import Variant
    from ablations.experiment import make_ablation

    run, cfg = run_ctx, run_ctx.cfg
    process, dedup = run.processing(cfg.blocks(), progress=False)
    out: dict[str, Stage] = {"process": process, "dedup": dedup}
    for stage in (process, dedup):
        assert stage.finished() is None
        assert not stage.run().reused
    out["tokenizer"] = run.tokenizer()
    assert out["tokenizer"].finished() is None
    ablation = make_ablation(run, REPO)  # runs the tokenizer stage
    ablation.progress = False
    out["overlap"] = run.overlap(dedup.folder, out["tokenizer"].folder, ablation.evaluator)
    out["tokens"] = run.tokens(dedup.folder, out["tokenizer"].folder)
    assert out["overlap"].finished() is None and out["tokens"].finished() is None
    v = ablation.prepare(Variant("baseline", list(cfg.clean), list(cfg.filter)))
    out["train"] = ablation.training_run(v, seed=0)
    assert out["train"].finished() is None
    ablation.train(v, 0)
    return out


KINDS = ["process", "dedup", "tokenizer", "overlap", "tokens", "train"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_finished_stage_has_its_manifest_and_is_reused(stages, kind):
    stage = stages[kind]
    manifest = stage.finished()
    assert manifest is not None and manifest["key"] == json.loads(json.dumps(stage.key, default=str))
    again = stage.run()
    assert again.reused and again.manifest == manifest and again.folder == stage.folder
    assert stage.result().manifest == manifest


@pytest.mark.parametrize("kind", KINDS)
def test_the_folder_is_named_by_the_hash_of_the_key_and_the_key_only_by_inputs(stages, kind, tmp_path):
    import dataclasses

    stage = stages[kind]
    assert stage.folder == (stage.root / f"{stage.kind}-{stable_hash(stage.key)}").resolve()
    assert json.loads((stage.folder / "stage_key.json").read_text()) == json.loads(json.dumps(stage.key, default=str))
    elsewhere = dataclasses.replace(stage, root=tmp_path)  # same inputs, another run folder: same key
    assert elsewhere.key == stage.key and elsewhere.folder.name == stage.folder.name
    assert elsewhere.finished() is None  # nothing there yet


def test_a_changed_input_changes_the_key(stages):
    import dataclasses

    changed = {
        "process": {"blocks": []},
        "dedup": {"spec": stages["dedup"].spec.model_copy(update={"normalize": False})},
        "tokenizer": {"cfg": stages["tokenizer"].cfg.model_copy(update={"vocab_size": 301})},
        "overlap": {"evaluation": stages["overlap"].evaluation.model_copy(update={"overlap_ngram": 8})},
        "tokens": {"seed": 1},
        "train": {"seed": 1},
    }
    for kind, update in changed.items():
        stage = stages[kind]
        assert dataclasses.replace(stage, **update).folder != stage.folder, kind
    train = stages["train"]
    assert dataclasses.replace(train, variant="another name", progress=True).folder == train.folder  # labels only


def test_a_killed_process_stage_resumes_task_by_task(stages):
    stage = stages["process"]
    before = stage.finished()
    expected = sorted(d["id"] for f in sorted((stage.folder / "output").glob("*.jsonl*")) for d in jsonl.iterate(f))
    (stage.folder / "manifest.json").unlink()
    (stage.folder / "logs/completions/00001").unlink()  # as if killed while task 1 ran
    done_0 = (stage.folder / "logs/completions/00000").stat().st_mtime_ns
    again = type(stage)(stage.data, stage.blocks, stage.executor, stage.root, progress=False).run()
    assert not again.reused and again.summary == before["summary"]
    assert (stage.folder / "logs/completions/00000").stat().st_mtime_ns == done_0  # task 0 was not run again
    got = sorted(d["id"] for f in sorted((stage.folder / "output").glob("*.jsonl*")) for d in jsonl.iterate(f))
    assert got == expected


def test_a_killed_tokens_stage_is_redone_from_an_empty_folder(stages):
    stage = stages["tokens"]
    tokens = stage.finished()["tokens"]
    (stage.folder / "manifest.json").unlink()
    (stage.folder / "half-written.ds").write_text("x")
    again = stage.run()
    assert not again.reused and again.manifest["tokens"] == tokens
    assert not (stage.folder / "half-written.ds").exists()


def test_a_killed_training_run_resumes_from_its_last_checkpoint(stages):
    stage = stages["train"]
    record = stage.finished()
    (stage.folder / "manifest.json").unlink()
    again = stage.run()  # the checkpoint is at the last step: nothing is trained or evaluated again
    assert not again.reused and again.manifest["evals"] == record["evals"]
    assert [e["step"] for e in jsonl.read(stage.folder / "evals.jsonl")] == [4, 8]


def test_training_and_evaluation_as_separate_jobs_score_as_one_run(stages, tmp_path):
    """The SLURM split: ``train_only`` saves each checkpoint's model, ``evaluate_saved`` scores them and finishes
    the stage, with the scores of the run that evaluated in place."""
    import dataclasses

    inline = stages["train"].finished()
    stage: TrainingRun = dataclasses.replace(stages["train"], root=tmp_path)
    assert stage.trained() is None
    stage.train_only()
    assert stage.trained() is not None and stage.finished() is None
    assert [e["tasks"] for e in stage.trained()["evals"]] == [None, None]
    record = stage.evaluate_saved()
    assert stage.finished() == record
    assert [e["tasks"] for e in record["evals"]] == [e["tasks"] for e in inline["evals"]]


def test_the_held_out_documents_are_written_once_and_read_by_later_rounds(stages):
    run_dir = stages["process"].root.parent
    saved = json.loads((run_dir / HOLDOUT).read_text())
    assert len(saved["documents"]) == 1
    cfg = load_recipe(run_dir.parent.parent / "stages.yaml")
    saved["documents"] = {k: "text from the file" for k in saved["documents"]}
    (run_dir / HOLDOUT).write_text(json.dumps(saved))
    assert set(RunContext.open(cfg, fresh=False).holdout.values()) == {"text from the file"}  # read, not re-chosen
    other = load_recipe(run_dir.parent.parent / "stages.yaml", ["evaluation.holdout.documents=2"])
    assert len(RunContext.open(other, fresh=False).holdout) == 2  # other inputs: chosen again
    fresh = RunContext.open(cfg, fresh=True).holdout
    assert set(fresh.values()) != {"text from the file"}
    assert json.loads((run_dir / "holdout_ids.json").read_text()) == sorted(fresh)


def test_plan_mode_runs_nothing_and_names_the_unfinished_stages(run_ctx, stages):
    """What the SLURM driver does each round: the loop over the same stage objects, asking ``finished()``."""
    from ablations.decide.loop import Ablation, Plan, Variant, with_candidate
    from ablations.recipe.schema import CandidateSpec

    cfg = run_ctx.cfg
    plan = Ablation(run_ctx, None, run_ctx.tokenizer().folder, progress=False, plan=Plan())
    base = plan.prepare(Variant("baseline", list(cfg.clean), list(cfg.filter)))
    assert base.tokens == stages["tokens"].folder
    assert base.summary["in"] == stages["process"].result().summary["in"]
    assert base.summary["kept"] == stages["dedup"].result().summary["kept"]
    assert plan.final_results(base, [0]) == [stages["train"].finished()["evals"][-1]["tasks"]]
    assert plan.plan.needs == []  # everything seed 0 needs is finished
    plan.final_results(base, [0, 1])
    (train,) = plan.plan.needs
    assert (train.kind, train.seed, train.variant.name) == ("train", 1, "baseline")
    assert train.stage.finished() is None and not train.stage.folder.exists()  # named, not run
    half = CandidateSpec(block="sampler", id="half", params={"rate": 0.5, "seed": 1})
    variant = plan.prepare(with_candidate(base, half))
    prepare = plan.plan.needs[-1]
    assert (prepare.kind, prepare.variant.name) == ("prepare", "baseline+half")
    assert prepare.stage.folder == variant.tokens and not variant.process.exists()
