"""Helpers shared by the dedup benchmarks: the data folder, OCR-like noise, corpus files, and both MinHash runs.

Not a test fixture: benchmarks read ../shared/data directly and write only under a gitignored folder.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
_LETTERS = np.frombuffer("abcdefghijklmnopqrstuvwxyz".encode("utf-32-le"), dtype=np.uint32)
_GUTENBERG_START = re.compile(r"\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG[^\n]*\n")
_GUTENBERG_END = re.compile(r"\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG|End of (the )?Project Gutenberg", re.I)


def shared_data() -> Path:
    env = os.environ.get("FINEBOOKS_SHARED_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    if not path.is_dir():
        raise SystemExit(f"shared data folder not found at {path}; set FINEBOOKS_SHARED_DATA")
    return path


def strip_gutenberg(text: str) -> str:
    """The e-text between Project Gutenberg's START and END markers (the whole text when they are missing)."""
    m = _GUTENBERG_START.search(text)
    if m:
        text = text[m.end() :]
    m = _GUTENBERG_END.search(text)
    return text[: m.start()] if m else text


def ocr_noise(text: str, rate: float, rng: np.random.Generator) -> str:
    """Each character, with probability ``rate``: replaced by a random letter (60%), deleted (20%), or followed
    by an inserted letter (20%). Spaces and newlines are hit too, so words split and merge as in OCR."""
    if rate <= 0:
        return text
    a = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()
    hit = np.flatnonzero(rng.random(len(a)) < rate)
    op = rng.random(len(hit))
    sub = hit[op < 0.6]
    a[sub] = rng.choice(_LETTERS, len(sub))
    keep = np.ones(len(a), dtype=bool)
    keep[hit[(op >= 0.6) & (op < 0.8)]] = False
    ins = hit[op >= 0.8] + 1
    a = np.insert(a, ins, rng.choice(_LETTERS, len(ins)))
    keep = np.insert(keep, ins, True)
    return a[keep].tobytes().decode("utf-32-le")


def write_corpus(docs: list[dict], folder: Path, files: int) -> None:
    """JSONL.gz shards ``folder/output/<k>.jsonl.gz`` (the layout a dedup stage reads), docs dealt round-robin."""
    out = folder / "output"
    out.mkdir(parents=True, exist_ok=True)
    handles = [gzip.open(out / f"{k:05d}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) for k in range(files)]
    for i, d in enumerate(docs):
        handles[i % files].write(json.dumps(d, ensure_ascii=False) + "\n")
    for h in handles:
        h.close()


def read_docs(folder: Path) -> list[dict]:
    return [d for f in sorted(folder.glob("*.jsonl*")) for d in read_docs_file(f)]


def clusters_of(stage: Path, key: str) -> dict[str, int]:
    """Document id -> cluster id (-1 for none), from a finished stage's output and excluded folders."""
    out = {}
    for sub in ("output", "excluded"):
        for d in read_docs(stage / sub) if (stage / sub).is_dir() else []:
            out[d["id"]] = int(d.get("metadata", {}).get(key, -1))
    return out


def datatrove_clusters(corpus: Path, folder: Path, tasks: int) -> dict[str, int]:
    """Document id -> cluster id of a datatrove default run, read from its ``remove_ids/<rank>.clusters`` files.

    Not from the output's ``minhash_cluster_id``: datatrove 0.10.1's ``MinhashDedupFilter`` skips loading cluster
    ids on a task that has nothing to remove (no ``.remove`` file), so those books come out without the key.
    """
    files = sorted((corpus / "output").glob("*.jsonl*"))
    out = {}
    for rank in range(tasks):
        ids = [d["id"] for f in files[rank::tasks] for d in read_docs_file(f)]
        path = folder / "remove_ids" / f"{rank:06d}.clusters"
        pairs = np.fromfile(path, dtype="<u4").reshape(-1, 2) if path.exists() else np.empty((0, 2), dtype=int)
        found = dict(pairs.tolist())
        out |= {doc: found.get(i, -1) for i, doc in enumerate(ids)}
    return out


def read_docs_file(f: Path) -> list[dict]:
    with gzip.open(f, "rt", encoding="utf-8") if f.suffix == ".gz" else open(f, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def groups(cluster: dict[str, int]) -> dict[int, list[str]]:
    g = defaultdict(list)
    for doc, c in cluster.items():
        if c >= 0:
            g[c].append(doc)
    return g


def run_ours(corpus: Path, work: Path, tasks: int, workers: int, **overrides) -> Path:
    """Our minhash stage with its pinned defaults (plus ``overrides``); returns the stage folder."""
    from pipelines.config import ExecutorConfig
    from pipelines.dedup.config import DedupSpec
    from pipelines.dedup.stage import DedupStage

    spec = DedupSpec(kind="minhash", **overrides)
    res = DedupStage(spec, corpus, ExecutorConfig(tasks=tasks, workers=workers), work).run()
    return res.folder


def run_datatrove_default(corpus: Path, work: Path, tasks: int, workers: int) -> Path:
    """datatrove's four MinHash stages with ``MinhashConfig()`` defaults, as its example does; returns the folder
    whose output/ and excluded/ hold the books with ``minhash_cluster_id``."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    cfg = MinhashConfig()
    folder = work / "datatrove_default"
    src = str(corpus / "output")

    def reader():
        return JsonlReader(src, glob_pattern="*.jsonl*", add_file_path=False)

    def run(name, pipeline, n, w):
        LocalPipelineExecutor(pipeline, tasks=n, workers=w, logging_dir=str(folder / "logs" / name)).run()

    run("signatures", [reader(), MinhashDedupSignature(str(folder / "signatures"), config=cfg)], tasks, workers)
    buckets = MinhashDedupBuckets(str(folder / "signatures"), str(folder / "buckets"), config=cfg)
    run("buckets", [buckets], cfg.num_buckets, min(workers, cfg.num_buckets))
    cluster = MinhashDedupCluster(
        str(folder / "buckets"), str(folder / "remove_ids"), config=cfg, save_cluster_id=True
    )
    run("clusters", [cluster], 1, 1)
    filt = MinhashDedupFilter(
        str(folder / "remove_ids"),
        exclusion_writer=JsonlWriter(str(folder / "excluded"), output_filename="${rank}.jsonl"),
        load_cluster_ids=True,
    )
    writer = JsonlWriter(str(folder / "output"), output_filename="${rank}.jsonl")
    run("filter", [reader(), filt, writer], tasks, workers)
    return folder
