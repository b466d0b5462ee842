"""Known-answer validation of the ablation loop (results go to BENCHMARKS.md).

  .venv/bin/python bench/validate_ablation.py contrast --budgets 25000 50000 100000 200000
  .venv/bin/python bench/validate_ablation.py null --repeats 10
  .venv/bin/python bench/validate_ablation.py random_drop --repeats 4 [--rate 0.7]
  ... --data-order paired|shuffled (default paired: training.data_order; results in <work>/<test>-<order>.json)

- contrast: gold text against high-error OCR of the same sentences (GHT "low" quality pairs, dev split) as two
  training sets; the verdict must favour gold or be inconclusive, never OCR. Swept over token budgets to find the
  smallest compute at which it becomes decisive. Evaluated on GHT test pairs (other sentences), BLiMP and bits per
  byte of held-out gold sentences (GHT test split: in-domain), and, reported but not decided on (weight 0), bits
  per byte of 18th-century books (out of domain: at this scale OCR-trained models predict it better).
- null: a candidate that keeps every book but reshuffles the data (datatrove's sampler at rate 1.0 with another
  seed): identical data, another sample order. Any keep or drop verdict is false; reports the rate. With the paired
  data order the two variants then train identically (the order follows document ids, not the sampler), so this
  null only means something with ``--data-order shuffled``.
- random_drop: a candidate that drops a random share (``--rate``: kept share, 0.7) of books. With a budget under
  one epoch it changes nothing but which documents are seen: any keep or drop is false, and the rate is reported;
  with the paired order 70-90% of the documents are shared, the case common random numbers must not make
  overconfident.
The gold and OCR sides of the contrast carry the same document ids (``ght<k>``), so the paired order pairs each
OCR document with its gold.
Every run lives under --work (default /tmp/finebooks-validate); training sets derived from shared data are
written there, never into the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THREADS = 2  # --threads
AVERAGE = 1  # --average-checkpoints: decide on scores averaged over the last N checkpoints
SHARED = Path(os.environ.get("FINEBOOKS_SHARED_DATA") or REPO.parent / "shared" / "data")


def base_config(
    work: Path, name: str, budget: int, seeds: int, data: dict, ecco_weight: float = 0.0, order: str = "paired"
) -> dict:
    return {
        "experiment": {"name": name, "output_dir": str(work / "runs"), "seed": 0},
        "data": data,
        "tokenizer": {"vocab_size": 2048, "sample_documents": 200, "sample_chars": 2_000_000},
        "model": {"hidden_size": 64, "num_layers": 2, "num_heads": 4, "intermediate_size": 256, "max_seq_len": 128},
        "training": {
            "token_budget": budget,
            "batch_size": 16,
            "checkpoints": 2,
            "warmup_steps": 10,
            "threads": THREADS,
            "data_order": order,
        },
        "evaluation": {
            "tasks": [
                {
                    "name": "ght_test",
                    "kind": "gold_vs_ocr",
                    "path": str(SHARED / "ocr_gold/ght/guten_ht_low_test.tsv"),
                    "max_items": 300,
                },
                {"name": "blimp", "kind": "blimp", "max_items": 300},
                # in-domain held-out clean text: gold sentences of the GHT test split (not trained on)
                {"name": "bpb_gold", "kind": "bpb", "path": str(work / "heldout_ght_gold"), "max_items": 150},
                # out-of-domain clean text (18th century): reported, not decided on (weight 0)
                {
                    "name": "bpb_ecco",
                    "kind": "bpb",
                    "path": str(work / "heldout_ecco"),
                    "max_items": 150,
                    "weight": ecco_weight,
                },
            ]
        },
        "ablation": {"seeds": seeds, "max_seeds": seeds, "average_checkpoints": AVERAGE},
        "executor": {"tasks": 1, "workers": 1},
        "tracking": {"wandb": "disabled"},
    }


def ght_corpora(work: Path) -> tuple[Path, Path]:
    """GHT low-quality dev pairs as two JSONL corpora of 40-sentence documents: gold side and OCR side."""
    gold_dir, ocr_dir = work / "ght_gold", work / "ght_ocr"
    first = (gold_dir / "docs.jsonl").open().readline() if (gold_dir / "docs.jsonl").exists() else ""
    if not first.startswith('{"id": "ght'):  # written before both sides shared their ids: write again
        gold_dir.mkdir(parents=True, exist_ok=True)
        ocr_dir.mkdir(parents=True, exist_ok=True)
        with open(SHARED / "ocr_gold/ght/guten_ht_low_dev.tsv", encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        for folder, field in ((gold_dir, "output"), (ocr_dir, "input")):
            with open(folder / "docs.jsonl", "w", encoding="utf-8") as out:
                for k in range(0, len(rows), 40):
                    text = " ".join(r[field].strip() for r in rows[k : k + 40])
                    out.write(json.dumps({"id": f"ght{k // 40}", "text": text}) + "\n")
    return gold_dir, ocr_dir


def heldout_ecco(work: Path) -> None:
    """Five ECCO-TCP books (not in any training set here) as the held-out clean text for bits per byte."""
    folder = work / "heldout_ecco"
    folder.mkdir(parents=True, exist_ok=True)
    for p in sorted((SHARED / "clean_books/ecco_tcp").glob("*"))[:5]:
        (folder / (p.stem + ".txt")).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")


def heldout_ght_gold(work: Path) -> None:
    """The gold side of the GHT low-quality test pairs, as held-out clean text in the training data's domain."""
    folder = work / "heldout_ght_gold"
    folder.mkdir(parents=True, exist_ok=True)
    with open(SHARED / "ocr_gold/ght/guten_ht_low_test.tsv", encoding="utf-8", newline="") as f:
        gold = [r["output"].strip() for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    (folder / "gold.txt").write_text(" ".join(gold), encoding="utf-8")


def jsonl_source(name: str, folder: Path) -> dict:
    return {"name": name, "format": "jsonl", "path": str(folder), "id_field": "id"}


def contrast(work: Path, budgets: list[int], seeds: int, order: str) -> list[dict]:
    from ablations.decide.loop import Variant
    from ablations.decide.stats import decide
    from ablations.experiment import make_ablation, setup_run
    from ablations.recipe.schema import RecipeConfig
    from pipelines.chain import run_chain
    from pipelines.config import DataConfig

    gold, ocr = ght_corpora(work)
    out = []
    for budget in budgets:
        t0 = time.time()
        raw = base_config(work, f"contrast_{budget}", budget, seeds, {"sources": [jsonl_source("ght", ocr)]}, 0, order)
        cfg = RecipeConfig.model_validate(raw)
        run = setup_run(cfg, REPO)
        run_chain(run.processing([]))  # the baseline's data: the tokenizer is trained on it
        ab = make_ablation(run, REPO)
        base = ab.prepare(Variant("ocr", [], []))
        gold_v = ab.prepare(Variant("gold", [], [], data=DataConfig(sources=[jsonl_source("ght", gold)])))
        s = list(range(seeds))
        weights = {t.name: t.weight for t in cfg.evaluation.tasks}
        v = decide(ab.final_results(base, s), ab.final_results(gold_v, s), weights, samples=1000)
        row = {"budget": budget, "seeds": seeds, "minutes": round((time.time() - t0) / 60, 1), **v.as_dict()}
        out.append(row)
        print(json.dumps({k: row[k] for k in ("budget", "verdict", "delta", "low", "high", "mde", "minutes")}))
    return out


def candidates_test(
    work: Path, kind: str, repeats: int, seeds: int, budget: int, order: str, keep_rate: float
) -> list[dict]:
    from ablations.decide.loop import Variant, with_candidate
    from ablations.decide.stats import decide
    from ablations.experiment import make_ablation, setup_run
    from ablations.recipe.schema import CandidateSpec, RecipeConfig
    from pipelines.chain import run_chain

    gold, _ = ght_corpora(work)
    raw = base_config(work, f"{kind}", budget, seeds, {"sources": [jsonl_source("gold", gold)]}, 0, order)
    cfg = RecipeConfig.model_validate(raw)
    run = setup_run(cfg, REPO)
    run_chain(run.processing([]))  # the baseline's data: the tokenizer is trained on it
    ab = make_ablation(run, REPO)
    base = ab.prepare(Variant("baseline", [], []))
    weights = {t.name: t.weight for t in cfg.evaluation.tasks}
    s = list(range(seeds))
    out = []
    for r in range(repeats):
        rate = 1.0 if kind == "null" else keep_rate
        cand = CandidateSpec(block="sampler", id=f"{kind}_{r}", params={"rate": rate, "seed": 1000 + r})
        variant = ab.prepare(with_candidate(base, cand))
        v = decide(ab.final_results(base, s), ab.final_results(variant, s), weights, samples=1000)
        out.append({"repeat": r, **v.as_dict()})
        print(
            json.dumps(
                {
                    "repeat": r,
                    "verdict": v.verdict,
                    "delta": v.delta,
                    "low": v.low,
                    "high": v.high,
                    "mde": v.mde,
                    "kept_books": variant.summary["kept"]["documents"],
                }
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("test", choices=["contrast", "null", "random_drop"])
    ap.add_argument("--work", type=Path, default=Path("/tmp/finebooks-validate"))
    ap.add_argument("--budgets", type=int, nargs="+", default=[25_000, 50_000, 100_000, 200_000])
    ap.add_argument("--budget", type=int, default=50_000, help="token budget of the null / random_drop tests")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--data-order", choices=["paired", "shuffled"], default="paired")
    ap.add_argument("--threads", type=int, default=2, help="torch threads per run (1 on a shared machine)")
    ap.add_argument("--average-checkpoints", type=int, default=1, help="ablation.average_checkpoints (2: both)")
    ap.add_argument("--rate", type=float, default=0.7, help="random_drop: the share of books kept")
    args = ap.parse_args()
    global THREADS, AVERAGE
    THREADS, AVERAGE = args.threads, args.average_checkpoints
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args.work.mkdir(parents=True, exist_ok=True)
    heldout_ecco(args.work)
    heldout_ght_gold(args.work)
    if args.test == "contrast":
        rows = contrast(args.work, args.budgets, args.seeds, args.data_order)
    else:
        rows = candidates_test(args.work, args.test, args.repeats, args.seeds, args.budget, args.data_order, args.rate)
        verdicts = [r["verdict"] for r in rows]
        print(
            f"{args.test}: verdicts {verdicts}; false keep/drop rate "
            f"{sum(v != 'inconclusive' for v in verdicts) / len(verdicts):.2f}"
            if args.test == "null"
            else f"{args.test}: verdicts {verdicts}; kept {verdicts.count('keep')}, dropped "
            f"{verdicts.count('drop')} of {len(verdicts)}"
        )
    out = args.work / f"{args.test}-{args.data_order}-avg{args.average_checkpoints}.json"
    out.write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
