"""Recall of the minhash dedup stage on known duplicate pairs: ICDAR2017 raw OCR vs gold of the same document.

Usage: .venv/bin/python bench/dedup_recall.py [--work runs/bench/dedup_recall] [--min-similarity 0.3 0.25 0.2]
       [--no-datatrove]

For the monographs (English + French) and, separately, the periodicals of ../shared/data/ocr_gold/icdar2017,
a corpus holds both versions of every document: ``[OCR_toInput]`` and ``[ GS_aligned]`` with the alignment gaps
('@') and the no-gold marks ('#') deleted. Our minhash stage (pinned defaults; one run per ``--min-similarity``)
and datatrove's default MinHash (``MinhashConfig()``) dedup each corpus; reported: recall (share of documents
whose two versions end in one cluster), by OCR length and for documents whose gold has many '#' holes, and false
merges (pairs of different documents in one cluster, listed). Prints markdown; writes ``<work>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedup_common import (  # noqa: E402
    REPO,
    clusters_of,
    datatrove_clusters,
    groups,
    run_datatrove_default,
    run_ours,
    shared_data,
    write_corpus,
)

SETS = {"monographs": ("eng_monograph", "fr_monograph"), "periodicals": ("eng_periodical", "fr_periodical")}
LENGTHS = ((0, 2000), (2000, 10000), (10000, 10**9))
HOLES = 0.1  # gold with more than this share of '#' is reported apart


def icdar_docs(subsets: tuple[str, ...]) -> tuple[list[dict], dict[str, dict]]:
    root = shared_data() / "ocr_gold/icdar2017/Full_12M"
    docs, info = [], {}
    for sub in subsets:
        for f in sorted((root / sub).glob("*.txt"), key=lambda p: int(p.stem)):
            lines = f.read_text(encoding="utf-8").split("\n")
            ocr = lines[0].removeprefix("[OCR_toInput] ")
            gold_aligned = lines[2].removeprefix("[ GS_aligned] ")
            gold = gold_aligned.replace("@", "").replace("#", "")
            key = f"{sub}/{f.stem}"
            info[key] = {"chars": len(ocr), "holes": gold_aligned.count("#") / max(len(gold_aligned), 1)}
            docs.append({"id": f"{key}/ocr", "text": ocr, "metadata": {}})
            docs.append({"id": f"{key}/gold", "text": gold, "metadata": {}})
    return docs, info


def score(cluster: dict[str, int], info: dict[str, dict]) -> dict:
    same = {k: cluster.get(f"{k}/ocr", -1) >= 0 and cluster[f"{k}/ocr"] == cluster.get(f"{k}/gold") for k in info}
    by_len = {}
    for lo, hi in LENGTHS:
        keys = [k for k, v in info.items() if lo <= v["chars"] < hi]
        if keys:
            by_len[f"{lo}-{hi if hi < 10**9 else ''}"] = [sum(same[k] for k in keys), len(keys)]
    holed = [k for k, v in info.items() if v["holes"] > HOLES]
    false = []
    for members in groups(cluster).values():
        docs = sorted({m.rsplit("/", 1)[0] for m in members})
        false += [(a, b) for i, a in enumerate(docs) for b in docs[i + 1 :]]
    by_lang = defaultdict(lambda: [0, 0])
    for k, ok in same.items():
        by_lang[k.split("/")[0]][0] += ok
        by_lang[k.split("/")[0]][1] += 1
    return {
        "recall": round(sum(same.values()) / len(same), 4),
        "pairs": len(same),
        "missed": sorted(k for k, ok in same.items() if not ok),
        "by_subset": dict(by_lang),
        "by_length": by_len,
        "holed_gold": [sum(same[k] for k in holed), len(holed)],
        "false_merges": false,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=str(REPO / "runs/bench/dedup_recall"))
    ap.add_argument("--min-similarity", type=float, nargs="+", default=[0.3, 0.25, 0.2])
    ap.add_argument("--no-datatrove", action="store_true")
    ap.add_argument("--tasks", type=int, default=2)
    args = ap.parse_args()
    work = Path(args.work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    results = {}
    for name, subsets in SETS.items():
        docs, info = icdar_docs(subsets)
        corpus = work / name / "corpus"
        write_corpus(docs, corpus, args.tasks)
        runs = {}
        for sim in args.min_similarity:
            folder = run_ours(corpus, work / name / f"ours_{sim}", args.tasks, args.tasks, min_similarity=sim)
            runs[f"ours min_similarity={sim}"] = score(clusters_of(folder, "minhash_cluster"), info)
        if not args.no_datatrove:
            folder = run_datatrove_default(corpus, work / name, args.tasks, args.tasks)
            runs["datatrove MinhashConfig()"] = score(datatrove_clusters(corpus, folder, args.tasks), info)
        results[name] = {
            "documents": len(info),
            "with_holed_gold": sum(v["holes"] > HOLES for v in info.values()),
            "max_holes": round(max(v["holes"] for v in info.values()), 3),
            "runs": runs,
        }
    (work / "results.json").write_text(json.dumps(results, indent=1))
    print(report(results))


def report(results: dict) -> str:
    lines = []
    for name, r in results.items():
        lines.append(
            f"**{name}**: {r['documents']} documents ({r['with_holed_gold']} with > {HOLES:.0%} of the gold "
            f"marked '#'; largest share {r['max_holes']:.1%})"
        )
        lines.append("")
        lines.append("| run | recall | by subset | by OCR length (chars): found/pairs | holed gold | false merges |")
        lines.append("|---|---|---|---|---|---|")
        for run, s in r["runs"].items():
            subsets = ", ".join(f"{k} {a}/{b}" for k, (a, b) in s["by_subset"].items())
            lengths = ", ".join(f"{k}: {a}/{b}" for k, (a, b) in s["by_length"].items())
            holed = f"{s['holed_gold'][0]}/{s['holed_gold'][1]}"
            lines.append(f"| {run} | {s['recall']} | {subsets} | {lengths} | {holed} | {len(s['false_merges'])} |")
        lines.append("")
        for run, s in r["runs"].items():
            lines.append(f"- {run}: missed {s['missed'][:20]}{' ...' if len(s['missed']) > 20 else ''}")
            if s["false_merges"]:
                lines.append(f"  false merges: {s['false_merges'][:20]}")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
