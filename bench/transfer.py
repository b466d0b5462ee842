"""Verdicts across scales and learning rates (issue #16, items 3-4; results go to BENCHMARKS.md).

  .venv/bin/python bench/transfer.py                      # everything (hours on 2 CPU cores), resumable
  .venv/bin/python bench/transfer.py --scales small --lrs default --candidates gold keep_noisiest
  .venv/bin/python bench/transfer.py --summary            # from whatever is finished

Every candidate is decided against the quickstart's baseline (configs/quickstart.yaml: its sources, clean-up,
measuring blocks, tokenizer and tasks, read through the recipe loader; nothing from ../shared/data is copied)
at each setting: a scale and a learning-rate protocol.

- Scales: ``small`` is the quickstart's (hidden 64, 2 layers, its token budget); ``large`` has hidden 128, 4 layers
  and twice the tokens: 6 x params x tokens is 10.0x the small one's (1.31M against 0.26M parameters, embeddings
  tied and counted).
- Learning-rate protocols (of the recipe's ``training.learning_rate``): default, third (/3), triple (x3), and
  reduced (/10), our reading of "Can Small Training Runs Reliably Guide Data Curation?" (ICLR 2026, arXiv
  2512.24503): proxies trained with a much smaller learning rate rank recipes as tuned large runs do; the stored
  abstract does not name a factor, so one order of magnitude. By default the small scale runs all four and the
  large one the default only. The reference the small-scale settings are measured against is the large scale's
  protocol whose baseline scores best (``tuned_reference``; ``--reference`` names another): to tune it, train the
  large baseline at the other rates (``--scales large --lrs third triple --candidates``, no candidate: the baseline
  only), then the candidates at the best one if it is not the default.
- Candidates (``expected``: the known answer, where there is one): ``gold`` swaps the OCR side of every ICDAR
  source for its gold transcription (known good: never drop); ``keep_noisiest`` keeps only the pages whose
  estimated CER is above 10% (removes the clean part: known bad, never keep); ``random_drop`` drops a random 10% of
  the books (near-neutral: at the quickstart's budget (100k tokens since 2026-11-30) a run sees under one epoch,
  so a keep would be wrong and a small loss doubtful); the real book blocks: the quickstart's candidates
  (page_furniture, ocr_quality_filter) and dehyphenate and unwrap_lines with their parameters pinned in
  configs/blocks/cleanup.yaml.

Each (scale, protocol, candidate, seed) run's final scores are appended to ``<work>/results.jsonl`` as soon as it
finishes; a rerun skips those rows (and reuses every finished stage folder). One process at a time per --work.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.transfer_summary import markdown, read_rows, row_key, summarize  # noqa: E402

QUICKSTART = REPO / "configs" / "quickstart.yaml"
RESULTS = "results.jsonl"  # in --work: one row per finished run
SCALES = {
    "small": {"model": {"hidden_size": 64, "num_layers": 2, "num_heads": 4, "intermediate_size": 256}, "tokens": 1},
    "large": {"model": {"hidden_size": 128, "num_layers": 4, "num_heads": 4, "intermediate_size": 512}, "tokens": 2},
}
PROTOCOLS = {"default": 1.0, "third": 1 / 3, "triple": 3.0, "reduced": 0.1}
SCALE_PROTOCOLS = {"small": list(PROTOCOLS), "large": ["default"]}
EXPECTED = {"gold": "keep", "keep_noisiest": "drop", "random_drop": "inconclusive"}
# the quickstart's OCR-quality candidate (used when the quickstart has none of that id); keep_noisiest swaps min/max
QUALITY = {
    "level": "page",
    "min": {},
    "max": {"ocr_cer_estimate": 0.10},
    "min_kept_fraction": 0.5,
    "min_page_words": 50,
}
CANDIDATES = ["gold", "keep_noisiest", "random_drop", "page_furniture", "ocr_quality_filter", "dehyphenate",
              "unwrap_lines"]  # fmt: skip


def setting_config(work: Path, scale: str, protocol: str, threads: int):
    """The quickstart recipe at ``scale`` and learning-rate ``protocol``, its runs under ``work``."""
    from ablations.recipe.loader import load_recipe

    qs = load_recipe(QUICKSTART)
    spec = SCALES[scale]
    return qs.model_copy(
        update={
            "experiment": qs.experiment.model_copy(update={"name": "transfer", "output_dir": str(work / "runs")}),
            "model": qs.model.model_copy(update=spec["model"]),
            "training": qs.training.model_copy(
                update={
                    "token_budget": qs.training.token_budget * spec["tokens"],
                    "learning_rate": float(f"{qs.training.learning_rate * PROTOCOLS[protocol]:.6g}"),
                    "threads": threads,
                }
            ),
            "ablation": qs.ablation.model_copy(update={"candidates": []}),
            "tracking": qs.tracking.model_copy(update={"wandb": "disabled"}),
        }
    )


def candidate_variant(base, name: str, cfg, qs_candidates: list):
    """The baseline plus candidate ``name`` (a block, or other input data for ``gold``)."""
    import yaml

    from ablations.decide.loop import Variant, with_candidate
    from ablations.recipe.schema import CandidateSpec
    from pipelines.config import DataConfig, SourceSpec

    if name == "gold":
        sources = [
            SourceSpec.model_validate(s.model_dump() | {"side": "gold"}) if s.model_dump().get("side") == "ocr" else s
            for s in cfg.data.sources
        ]
        data = DataConfig(sources=sources, page_separator=cfg.data.page_separator)
        return Variant("baseline+gold", base.clean, base.filter, data=data)
    known = {c.id: c for c in qs_candidates}
    if name in known:
        return with_candidate(base, known[name])
    if name in ("keep_noisiest", "ocr_quality_filter"):
        params = QUALITY | ({"min": QUALITY["max"], "max": {}} if name == "keep_noisiest" else {})
        return with_candidate(
            base, CandidateSpec(block="ocr_quality_filter", id=name, section="filter", params=params)
        )
    if name == "random_drop":
        return with_candidate(base, CandidateSpec(block="sampler", id=name, params={"rate": 0.9, "seed": 7}))
    pinned = yaml.safe_load((REPO / "configs/blocks/cleanup.yaml").read_text())["clean"]
    params = next(b["params"] for b in pinned if b["block"] == name)
    return with_candidate(base, CandidateSpec(block=name, section="clean", params=params))


def params_of(cfg) -> int:
    from ablations.train.hf import build_model

    return sum(p.numel() for p in build_model(cfg.model, cfg.tokenizer.vocab_size, 0).parameters())


def missing(results: Path, scale: str, protocol: str, names: list[str], seeds: list[int]) -> dict[str, list[int]]:
    """Per candidate (the baseline first), the seeds of this setting with no row in ``results`` yet."""
    done = {row_key(r) for r in read_rows(results)}
    return {n: [s for s in seeds if (scale, protocol, n, s) not in done] for n in ["baseline", *names]}


def run_setting(work: Path, scale: str, protocol: str, names: list[str], seeds: list[int], threads: int) -> None:
    """Train what is missing of one setting, appending a row per finished run."""
    from ablations.decide.loop import Variant
    from ablations.experiment import make_ablation, setup_run
    from ablations.recipe.loader import load_recipe
    from pipelines.chain import run_chain

    results = work / RESULTS
    todo = missing(results, scale, protocol, names, seeds)
    if not any(todo.values()):
        return
    cfg = setting_config(work, scale, protocol, threads)
    run = setup_run(cfg, REPO)
    run_chain(run.processing(cfg.blocks()))  # the baseline's data: the tokenizer is trained on it
    ab = make_ablation(run, REPO)
    base = ab.prepare(Variant("baseline", list(cfg.clean), list(cfg.filter)))
    weights = {t.name: t.weight for t in cfg.evaluation.tasks}
    n_params = params_of(cfg)
    qs_candidates = load_recipe(QUICKSTART).ablation.candidates
    for name, left in todo.items():
        if not left:
            continue
        v = base if name == "baseline" else ab.prepare(candidate_variant(base, name, cfg, qs_candidates))
        if v.empty:
            print(f"{scale}/{protocol} {name}: removes every book, not trained", flush=True)
            continue
        for seed in left:
            t0 = time.time()
            (tasks,) = ab.final_results(v, [seed])
            row = {
                "scale": scale,
                "protocol": protocol,
                "candidate": name,
                "seed": seed,
                "learning_rate": cfg.training.learning_rate,
                "params": n_params,
                "tokens": cfg.training.token_budget,
                "flops": 6 * n_params * cfg.training.token_budget,
                "seconds": round(time.time() - t0, 1),
                "expected": EXPECTED.get(name),
                "weights": weights,
                "tasks": {t: [[r["id"], r["score"]] for r in items] for t, items in tasks.items()},
            }
            with open(results, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{scale}/{protocol} {name} seed {seed}: {row['seconds']} s", flush=True)


def write_summary(work: Path, reference: str | None = None) -> dict[str, Any]:
    summary = summarize(read_rows(work / RESULTS), reference)
    (work / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    text = markdown(summary)
    (work / "summary.md").write_text(text)
    print(text)
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/finebooks-transfer"))
    ap.add_argument("--scales", nargs="+", choices=list(SCALES), default=list(SCALES))
    ap.add_argument("--lrs", nargs="+", choices=list(PROTOCOLS), help="default: all at small, default at large")
    ap.add_argument("--candidates", nargs="*", choices=CANDIDATES, default=CANDIDATES, help="none: the baseline only")
    ap.add_argument("--reference", help="setting the others are measured against (default: the best large one)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--threads", type=int, default=2, help="torch threads per run (1 on a shared machine)")
    ap.add_argument("--summary", action="store_true", help="only summarise the finished rows")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args.work.mkdir(parents=True, exist_ok=True)
    if not args.summary:
        for scale in args.scales:
            for protocol in args.lrs or SCALE_PROTOCOLS[scale]:
                run_setting(args.work, scale, protocol, args.candidates, args.seeds, args.threads)
    write_summary(args.work, args.reference)


if __name__ == "__main__":
    main()
