"""Containment pairs and near-duplicate clusters found in ../shared/data/clean_books/gutenberg, for a hand check.

Usage: .venv/bin/python bench/dedup_containment.py [--work runs/bench/dedup_containment]

The 68 e-texts (Gutenberg licence header and footer left in, as a library would ingest them) go through the
recipe's dedup stages with their pinned defaults, twice: ``repeated_paragraphs`` then ``minhash``, and
``minhash`` alone (the licence is then only discounted as boilerplate samples). Prints every containment pair
(contained, container, score, sizes), every near-duplicate cluster, and the repeated paragraphs removed;
writes ``<work>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedup_common import REPO, shared_data, write_corpus  # noqa: E402


def corpus_docs() -> list[dict]:
    root = shared_data() / "clean_books/gutenberg"
    return [
        {"id": f"{p.parent.name}/{p.stem}".replace("\r", " "), "text": p.read_text(encoding="utf-8", errors="replace")}
        for p in sorted(root.glob("*/*.txt"))
    ]


def run_chain(specs: list, corpus: Path, work: Path, tasks: int) -> list[Path]:
    from pipelines.config import ExecutorConfig
    from pipelines.dedup.stage import DedupStage

    folders, source = [], corpus
    for spec in specs:
        res = DedupStage(spec, source, ExecutorConfig(tasks=tasks, workers=tasks), work).run()
        folders.append(res.folder)
        source = res.folder
    return folders


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def main() -> None:
    from pipelines.dedup.config import DedupSpec

    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=str(REPO / "runs/bench/dedup_containment"))
    ap.add_argument("--tasks", type=int, default=2)
    args = ap.parse_args()
    work = Path(args.work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    corpus = work / "corpus"
    docs = corpus_docs()
    write_corpus(docs, corpus, args.tasks)
    results = {}
    for name, specs in {
        "repeated_paragraphs then minhash": [DedupSpec(kind="repeated_paragraphs"), DedupSpec(kind="minhash")],
        "minhash alone": [DedupSpec(kind="minhash")],
    }.items():
        folders = run_chain(specs, corpus, work / name.replace(" ", "_"), args.tasks)
        last = folders[-1]
        removed = [r for f in sorted((folders[0] / "removed_paragraphs").glob("*.jsonl")) for r in jsonl(f)]
        results[name] = {
            "summary": json.loads((last / "manifest.json").read_text())["summary"],
            "containment": jsonl(last / "containment.jsonl"),
            "clusters": jsonl(last / "clusters.jsonl"),
            "removed_paragraphs": len({r["hash"] for r in removed}),
            "removed_examples": sorted({r["text"][:90].replace("\n", " ") for r in removed})[:8],
        }
    (work / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(report(results, len(docs)))


def report(results: dict, n: int) -> str:
    lines = []
    for name, r in results.items():
        lines.append(
            f"**{name}** ({n} e-texts): {len(r['containment'])} containment pairs, {len(r['clusters'])} "
            f"near-duplicate clusters, {r['removed_paragraphs']} distinct repeated paragraphs removed"
        )
        lines.append("")
        lines.append("| contained | container | containment | samples (contained / container) |")
        lines.append("|---|---|---|---|")
        for p in r["containment"]:
            lines.append(
                f"| {p['contained']} | {p['container']} | {p['containment']} | "
                f"{p['contained_samples']} / {p['container_samples']} |"
            )
        lines.append("")
        for c in r["clusters"]:
            lines.append(f"- cluster (min similarity {c['min_similarity']}): kept {c['kept']}; members {c['members']}")
        if r["removed_examples"]:
            lines.append(f"- removed paragraphs, e.g.: {r['removed_examples']}")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
