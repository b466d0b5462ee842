"""Every check that can be done before work, done before work: by ``--check``, at the start of a local run and
before the SLURM driver submits anything.

A problem of the recipe (a holdout source that is no data source, a tokenizer that cannot be loaded, model
dimensions that cannot be built, an output folder that cannot be written, a SLURM partition the cluster does not
have) raises ConfigError naming the key path with file:line (exit code 2); unavailable data (a source folder, a
model file a block reads, an evaluation task's file) raises SourceUnavailable naming the key (exit code 3); a SLURM
cluster that cannot be asked raises SlurmError (exit code 4). Each kind lists all its problems at once.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from ablations.recipe.loader import ConfigError, key_place
from ablations.recipe.schema import RecipeConfig
from ablations.run_context import run_dir_of
from ablations.slurm.submit import SlurmError
from filters.model_file import PICKLE, is_pickle
from pipelines.process import check_sources, model_fingerprints
from pipelines.readers.base import SourceUnavailable

Problem = tuple[tuple, str]  # (key path, what is wrong)


def preflight(
    cfg: RecipeConfig, config: str | Path, overrides: list[str] | None = None, stage: str = "ablate"
) -> None:
    """Run every early check of a recipe up to ``stage`` (process, tokenize or ablate); raise at the first kind of
    failure: ConfigError, then SourceUnavailable (the data), then SlurmError."""
    training = stage == "ablate" and bool(cfg.evaluation.tasks)
    problems = holdout_problems(cfg) + output_problems(cfg)
    if stage != "process":
        problems += model_problems(cfg) + tokenizer_problems(cfg)
    if cfg.executor.kind == "slurm":
        problems += partition_problems(cfg)

    def said(found: list[Problem]) -> str:
        return "\n  ".join(f"{key_place(config, overrides, loc)}: {'.'.join(map(str, loc))}: {m}" for loc, m in found)

    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in {config} found before any work:\n  " + said(problems))
    check_sources(cfg.data)  # the process stage's own check (its message says what to set)
    missing = data_problems(cfg) + (task_problems(cfg) if training else [])
    if missing:
        raise SourceUnavailable("data needed by the recipe cannot be read (nothing was run):\n  " + said(missing))


def holdout_problems(cfg: RecipeConfig) -> list[Problem]:
    holdout, names = cfg.evaluation.holdout, [s.name for s in cfg.data.sources]
    if holdout and holdout.source not in names:
        return [(("evaluation", "holdout", "source"), f"{holdout.source!r} is not a data source (sources: {names})")]
    return []


def output_problems(cfg: RecipeConfig) -> list[Problem]:
    """The run folder, or the nearest folder above it that exists, must be a folder this process can write to."""
    path = run_dir_of(cfg)
    while not path.exists() and path != path.parent:
        path = path.parent
    key = ("experiment", "output_dir")
    if not path.is_dir():
        return [(key, f"{run_dir_of(cfg)} cannot be created: {path} is not a folder")]
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        return [(key, f"{run_dir_of(cfg)} cannot be written: {path}: {e.strerror}")]
    return []


def model_problems(cfg: RecipeConfig) -> list[Problem]:
    """Dimensions the model can be built with (and split over nanotron's tensor-parallel GPUs)."""
    m, tp = cfg.model, cfg.training.nanotron.tp
    if cfg.training.backend == "nanotron" and m.num_heads % tp:
        return [(("model", "num_heads"), f"{m.num_heads} heads cannot be split over training.nanotron.tp = {tp}")]
    if m.hidden_size % m.num_heads:
        return [(("model", "num_heads"), f"{m.num_heads} heads do not divide hidden_size {m.hidden_size}")]
    if (m.hidden_size // m.num_heads) % 2:
        return [(("model", "hidden_size"), f"head size {m.hidden_size // m.num_heads} is odd (rotary needs even)")]
    return []


MAX_VOCAB = 2**16  # token shards hold 2-byte token ids (ablations/train/tokens.py, the trainers' readers)


def tokenizer_problems(cfg: RecipeConfig) -> list[Problem]:
    """A pretrained tokenizer must load; its vocabulary (the model's) must fit the 2-byte token shards."""
    t = cfg.tokenizer
    if t.kind != "pretrained":
        if t.vocab_size > MAX_VOCAB:
            return [
                (("tokenizer", "vocab_size"), f"{t.vocab_size} does not fit 2-byte token ids (at most {MAX_VOCAB})")
            ]
        return []
    if not t.pretrained:
        return [(("tokenizer", "pretrained"), "tokenizer.kind=pretrained needs a name or local path")]
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(t.pretrained)
    except Exception as e:  # transformers raises OSError, ValueError or hub errors alike
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        return [(("tokenizer", "pretrained"), f"cannot load tokenizer {t.pretrained!r}: {first}")]
    if not 256 <= len(tok) <= MAX_VOCAB:  # the model's vocabulary is the tokenizer's
        why = f"has {len(tok)} tokens: the model's vocabulary must be 256 to {MAX_VOCAB} (2-byte token ids)"
        return [(("tokenizer", "pretrained"), f"tokenizer {t.pretrained!r} {why}")]
    return []


def partition_problems(cfg: RecipeConfig) -> list[Problem]:
    """The partition must be one the cluster has (``sinfo``); SlurmError when the cluster cannot be asked."""
    partition = cfg.executor.slurm.partition
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SlurmError(f"cannot ask SLURM for its partitions (sinfo): {e}") from None
    if out.returncode != 0:
        raise SlurmError(f"cannot ask SLURM for its partitions (sinfo): {out.stderr.strip() or out.returncode}")
    known = [p.rstrip("*") for p in out.stdout.split()]
    if partition not in known:
        return [(("executor", "slurm", "partition"), f"{partition!r} is not a partition of this cluster ({known})")]
    return []


def data_problems(cfg: RecipeConfig) -> list[Problem]:
    """The holdout's text source readable; every model file a block or candidate reads present."""
    out: list[Problem] = []
    holdout = cfg.evaluation.holdout
    if holdout and holdout.text_source and (why := holdout.text_source.check_available()):
        out.append((("evaluation", "holdout", "text_source"), why))
    candidates = [[v.spec for v in c.variants()] if c.section != "dedup" else [] for c in cfg.ablation.candidates]
    for section, blocks in (("clean", [[b] for b in cfg.clean]), ("filter", [[b] for b in cfg.filter])) + (
        ("ablation.candidates", candidates),  # every variant of a sweep (it may sweep a model file)
    ):
        for i, variants in enumerate(blocks):
            for b in variants:
                for m in model_fingerprints([b]).get(b.id, []):
                    if m["sha256"] is None:
                        out.append(((*section.split("."), i, "params"), f"block {b.id!r} reads {m['path']}: missing"))
                    elif is_pickle(m["path"]):  # the block would refuse it in the run: retrain first
                        why = f"{PICKLE}; retrain it (README: the block's trainer)"
                        out.append(((*section.split("."), i, "params"), f"block {b.id!r} reads {m['path']}: {why}"))
    return out


def task_problems(cfg: RecipeConfig) -> list[Problem]:
    """Every evaluation task's file exists and gives items (or text); a text task without a file needs a holdout."""
    from ablations.eval.tasks import TextTask, build_items, make_task

    out: list[Problem] = []
    shared = shared_default()
    for i, t in enumerate(cfg.evaluation.tasks):
        key = ("evaluation", "tasks", i, "path")
        task = make_task(t.kind, t.params)
        path = Path(t.path) if t.path else (shared / task.default_path if shared and task.default_path else None)
        if path is None:
            if isinstance(task, TextTask) and cfg.evaluation.holdout:
                continue  # scored on the held-out documents
            why = "the shared data folder is not set (FINEBOOKS_SHARED_DATA)" if task.default_path else "no file"
            out.append((key, f"task {t.name!r}: {why}: set its path"))
            continue
        if not path.exists():
            out.append((key, f"task {t.name!r}: {path} does not exist"))
            continue
        try:
            if isinstance(task, TextTask):
                if not task.chunks(path):
                    out.append((key, f"task {t.name!r}: no text in {path}"))
            else:
                build_items(task, path, t.max_items, cfg.experiment.seed, name=t.name)
        except Exception as e:  # a user's task may raise anything while reading its file
            out.append((key, f"task {t.name!r}: cannot read {path}: {type(e).__name__}: {e}"))
    return out


def shared_default() -> Path | None:
    """The shared data folder the evaluator uses (FINEBOOKS_SHARED_DATA, else ../shared/data beside the repo)."""
    repo = Path(__file__).resolve().parents[1]
    path = Path(os.environ.get("FINEBOOKS_SHARED_DATA") or repo.parent / "shared" / "data")
    return path if path.is_dir() else None
