"""Speed, memory and recall of our book MinHash stage vs datatrove's default MinHash, on a >= 1 GB corpus.

Usage: .venv/bin/python bench/dedup_speed.py [--gb 1.05] [--work runs/bench/dedup_speed] [--tasks 2] [--workers 2]

1. Builds (or reuses) the corpus under ``<work>/corpus`` (gitignored, never committed): every ECCO-TCP book and
   every Gutenberg e-text (licence header/footer cut) of ../shared/data/clean_books, each repeated until the
   corpus reaches ``--gb`` GB of text: copy 0 as is, copies 1.. with OCR-like character noise at 0.5, 1, 2, 3, 5 %
   per character in turn (``dedup_common.ocr_noise``), metadata ``word_confidence`` = 1 - 4 x noise (so the
   clean copy is the best one). Documents are shuffled over ``--tasks`` JSONL.gz files.
2. Runs, back to back, each in its own process (wall time; CPU seconds, largest RSS of one process and peak
   summed RSS of the process tree, pool workers included, sampled every 0.2 s): ours (the ``minhash`` stage
   with its pinned defaults, containment report included), datatrove's ``MinhashConfig()`` defaults, ours again.
3. Recall on the planted duplicates: the fraction of noisy copies put in the same cluster as their clean copy,
   per noise level; merges across different base books are listed (some are real: a work inside collected works).
Prints a markdown summary and writes ``<work>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedup_common import (  # noqa: E402
    REPO,
    clusters_of,
    datatrove_clusters,
    groups,
    ocr_noise,
    run_datatrove_default,
    run_ours,
    shared_data,
    strip_gutenberg,
    write_corpus,
)

LEVELS = (0.005, 0.01, 0.02, 0.03, 0.05)
ID = re.compile(r"^b(\d+)-c(\d+)$")


def base_books() -> list[tuple[str, str]]:
    root = shared_data() / "clean_books"
    books = [
        (f"ecco_tcp/{p.name}", p.read_text(encoding="utf-8", errors="replace"))
        for p in sorted(root.glob("ecco_tcp/*.txt"))
    ]
    for p in sorted(root.glob("gutenberg/*/*.txt")):
        books.append(
            (f"gutenberg/{p.parent.name}/{p.name}", strip_gutenberg(p.read_text(encoding="utf-8", errors="replace")))
        )
    return books


def build_corpus(folder: Path, gb: float, files: int) -> dict:
    params = {"gb": gb, "files": files, "levels": LEVELS, "version": 1}
    meta_path = folder / "corpus.json"
    if meta_path.exists() and json.loads(meta_path.read_text())["params"] == params:
        return json.loads(meta_path.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    books = base_books()
    base_bytes = sum(len(t.encode("utf-8")) for _, t in books)
    copies = math.ceil(gb * 1e9 / base_bytes)
    rng = np.random.default_rng(0)
    docs = []
    for b, (_, text) in enumerate(books):
        for c in range(copies):
            level = 0.0 if c == 0 else LEVELS[(c - 1) % len(LEVELS)]
            docs.append(
                {
                    "id": f"b{b:03d}-c{c:02d}",
                    "text": ocr_noise(text, level, rng),
                    "metadata": {"noise": level, "word_confidence": round(1 - 4 * level, 3)},
                }
            )
    order = rng.permutation(len(docs))
    docs = [docs[i] for i in order]
    total = sum(len(d["text"].encode("utf-8")) for d in docs)
    write_corpus(docs, folder, files)
    meta = {"params": params, "bases": [n for n, _ in books], "copies": copies, "documents": len(docs), "bytes": total}
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def measure(cmd: list[str]) -> dict:
    """Run ``cmd``; wall seconds, and from the process tree sampled every 0.2 s (pool workers included): CPU
    seconds (user + system, last value seen per process), the largest RSS of one process, the peak summed RSS."""
    import psutil

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_tree, peak_one, cpu = [0], [0], {}
    done = threading.Event()

    def sample():
        root = psutil.Process(proc.pid)
        while not done.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    rss, t = p.memory_info().rss, p.cpu_times()
                except psutil.Error:
                    continue
                total += rss
                peak_one[0] = max(peak_one[0], rss)
                cpu[p.pid] = max(cpu.get(p.pid, 0.0), t.user + t.system)
            peak_tree[0] = max(peak_tree[0], total)
            time.sleep(0.2)

    t = threading.Thread(target=sample, daemon=True)
    start = time.time()
    t.start()
    out, err = proc.communicate()
    wall = time.time() - start
    done.set()
    t.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-4000:]}")
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(sum(cpu.values()), 1),
        "max_rss_one_process_mb": round(peak_one[0] / 2**20),
        "peak_tree_rss_mb": round(peak_tree[0] / 2**20),
        "child": json.loads(out.strip().splitlines()[-1]),
    }


def recall(cluster: dict[str, int], meta: dict) -> dict:
    by_base: dict[int, dict[int, int]] = defaultdict(dict)
    for doc, c in cluster.items():
        b, k = map(int, ID.match(doc).groups())
        by_base[b][k] = c
    hits: Counter = Counter()
    totals: Counter = Counter()
    for copies in by_base.values():
        orig = copies[0]
        for k, c in copies.items():
            if k == 0:
                continue
            level = LEVELS[(k - 1) % len(LEVELS)]
            totals[level] += 1
            hits[level] += int(orig >= 0 and c == orig)
    cross = set()
    for members in groups(cluster).values():
        bases = sorted({int(ID.match(d).group(1)) for d in members})
        for i in range(len(bases)):
            for j in range(i + 1, len(bases)):
                cross.add((meta["bases"][bases[i]], meta["bases"][bases[j]]))
    return {
        "overall": round(sum(hits.values()) / sum(totals.values()), 4),
        "by_noise": {str(lv): round(hits[lv] / totals[lv], 4) if totals[lv] else None for lv in LEVELS},
        "cross_base_pairs": sorted(cross),
    }


def child(kind: str, corpus: Path, work: Path, tasks: int, workers: int) -> None:
    start = time.time()
    if kind == "ours":
        folder = run_ours(corpus, work, tasks, workers)
        steps = json.loads((folder / "manifest.json").read_text())["step_seconds"]
    else:
        folder = run_datatrove_default(corpus, work, tasks, workers)
        steps = {}
    print(json.dumps({"folder": str(folder), "seconds": round(time.time() - start, 1), "steps": steps}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.05)
    ap.add_argument("--work", default=str(REPO / "runs/bench/dedup_speed"))
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--child", choices=["ours", "datatrove"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = Path(args.work).resolve()
    corpus = work / "corpus"
    if args.child:
        child(args.child, corpus, Path(args.out), args.tasks, args.workers)
        return
    t0 = time.time()
    meta = build_corpus(corpus, args.gb, args.tasks)
    print(
        f"corpus: {meta['documents']} books, {meta['bytes'] / 1e9:.2f} GB, {len(meta['bases'])} bases x "
        f"{meta['copies']} copies ({time.time() - t0:.0f} s)",
        flush=True,
    )
    results = {"corpus": {k: v for k, v in meta.items() if k != "bases"}, "machine": machine(), "runs": []}
    for i, kind in enumerate(["ours", "datatrove", "ours"]):
        out = work / f"run{i}_{kind}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        load_before = os.getloadavg()[0]
        cmd = [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--out",
            str(out),
            "--work",
            str(work),
            "--tasks",
            str(args.tasks),
            "--workers",
            str(args.workers),
        ]
        m = measure(cmd)
        folder = Path(m["child"]["folder"])
        if kind == "ours":
            cluster = clusters_of(folder, "minhash_cluster")
        else:
            cluster = datatrove_clusters(corpus, folder, args.tasks)
        m |= {"kind": kind, "load_before": round(load_before, 2), "recall": recall(cluster, meta)}
        results["runs"].append(m)
        print(json.dumps(m), flush=True)
    (work / "results.json").write_text(json.dumps(results, indent=1))
    print(report(results))


def machine() -> dict:
    import platform

    import psutil

    return {
        "cpus": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


def report(results: dict) -> str:
    runs = results["runs"]
    lines = [
        "| run | wall s | CPU s | max RSS one process MB | peak tree RSS MB | recall | "
        + " | ".join(f"recall @{lv:.1%}" for lv in LEVELS)
        + " |"
    ]
    lines.append("|" + "---|" * (6 + len(LEVELS)))
    for r in runs:
        rec = r["recall"]
        lines.append(
            f"| {r['kind']} | {r['wall_s']} | {r['cpu_s']} | {r['max_rss_one_process_mb']} | "
            f"{r['peak_tree_rss_mb']} | {rec['overall']} | "
            + " | ".join(str(rec["by_noise"][str(lv)]) for lv in LEVELS)
            + " |"
        )
    dt = next(r for r in runs if r["kind"] == "datatrove")
    ours = [r for r in runs if r["kind"] == "ours"]
    lines.append("")
    lines.append("speed-up (datatrove / ours), wall: " + ", ".join(f"{dt['wall_s'] / o['wall_s']:.2f}x" for o in ours))
    lines.append("speed-up (datatrove / ours), CPU: " + ", ".join(f"{dt['cpu_s'] / o['cpu_s']:.2f}x" for o in ours))
    for r in runs:
        lines.append(
            f"{r['kind']} steps: {r['child']['steps'] or '(datatrove: not split)'}; "
            f"merges across bases: {r['recall']['cross_base_pairs']}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
