"""Throughput of the default clean+filter stack vs datatrove's stock web filters, on the same books, same run.

    .venv/bin/python bench/filter_speed.py [--books ../shared/data/clean_books/ecco_tcp] [--limit 0] [--cer-model PATH]

Stacks (each gets its own fresh copy of every book, one process, so CPU seconds = seconds on one core):
- ours: the clean-up blocks registered in ``filters/registry.py`` with their defaults (Gutenberg boilerplate,
  ftfy unicode fix, page furniture, dehyphenation, line unwrapping) and the default ``ocr_quality_filter``
  (dictionary ratio + garbage ratio + word confidence, computed through the shared ``text_view``; the two token
  signals together, one lookup per distinct token: ``filters/signals/word_signals.py``);
- ours + CER estimator: the same with the ``ocr_cer_estimate`` signal block before the filter, which also judges
  ``max: {ocr_cer_estimate: 0.1}`` (run when a CER model exists: ``--cer-model``, default the signal's default
  model file ``$FINEBOOKS_CACHE/models/cer-estimator.npz``);
- stock: datatrove's GopherRepetitionFilter, GopherQualityFilter, C4QualityFilter, FineWebQualityFilter with
  their defaults (as in issue 3's measurement);
- reference: a bare ``str.split()`` over the same text.
Reports MB/s per core (MB of input text / CPU seconds of the stack) and the ratio ours / stock, with the 1-minute
load average before and after (other jobs on the machine inflate wall time much more than CPU time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datatrove.data import Document  # noqa: E402

from filters.registry import BLOCKS, build_block, resolved_params  # noqa: E402
from filters.signals.cer_estimate import default_model  # noqa: E402
from filters.signals.goldtext import read_texts  # noqa: E402
from pipelines.fingerprint import file_sha256  # noqa: E402

OUR_CLEAN = ("gutenberg_boilerplate", "unicode_fix", "page_furniture", "dehyphenate", "unwrap_lines")
CER_MAX = 0.1  # the filter's estimated-CER maximum in the stack with the estimator
STOCK = ("gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality")


def fresh(books: list[tuple[str, str]]) -> list[Document]:
    return [Document(text=t, id=n, metadata={"page_offsets": [0], "n_pages": 1}) for n, t in books]


def run_stack(steps: list, docs: list[Document]) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, documents out) of the steps chained over ``docs``."""
    c0, w0 = time.process_time(), time.perf_counter()
    stream = iter(docs)
    for step in steps:
        stream = step.run(stream)
    kept = sum(1 for _ in stream)
    return time.process_time() - c0, time.perf_counter() - w0, kept


def build_stack(blocks: list[str], cer_model: str) -> list:
    """The steps of a stack; with the CER estimator, the filter also judges ``max: {ocr_cer_estimate: 0.1}``."""
    if "ocr_cer_estimate" not in blocks:
        return [build_block(n, {}) for n in blocks]
    steps = [build_block(n, {"model": cer_model} if n == "ocr_cer_estimate" else {}) for n in blocks[:-1]]
    defaults = resolved_params("ocr_quality_filter", {})
    cer_max = {**defaults["max"], "ocr_cer_estimate": CER_MAX}
    return [*steps, build_block("ocr_quality_filter", {"max": cer_max})]


def model_record(path: str) -> dict:
    return {"path": path, "sha256": file_sha256(Path(path).expanduser())}


def main(argv: list[str] | None = None) -> int:
    data = Path(os.environ.get("FINEBOOKS_SHARED_DATA") or ROOT.parent / "shared" / "data")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--books", default=str(data / "clean_books" / "ecco_tcp"))
    parser.add_argument("--limit", type=int, default=0, help="books (0 = all)")
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench" / "filter_speed.json"))
    parser.add_argument("--cer-model", default=default_model(), help="CER estimator model (default: %(default)s)")
    args = parser.parse_args(argv)
    books = read_texts(args.books)[: args.limit or None]
    mb = sum(len(t.encode("utf-8")) for _, t in books) / 1e6
    clean = [name for name in OUR_CLEAN if name in BLOCKS]
    stacks = {"ours": [*clean, "ocr_quality_filter"]}
    if Path(args.cer_model).expanduser().is_file():
        stacks["ours_with_cer_estimate"] = [*clean, "ocr_cer_estimate", "ocr_quality_filter"]
    stacks["stock"] = list(STOCK)
    load_before = os.getloadavg()[0]
    for blocks in stacks.values():
        run_stack(build_stack(blocks, args.cer_model), fresh(books[:2]))  # warm-up: word lists, models, regexes
    c0 = time.process_time()
    words = sum(len(t.split()) for _, t in books)
    split_cpu = time.process_time() - c0
    runs = {}
    for name, blocks in stacks.items():
        cpu, wall, kept = run_stack(build_stack(blocks, args.cer_model), fresh(books))
        runs[name] = {"blocks": blocks, "cpu_s": round(cpu, 2), "wall_s": round(wall, 2), "kept": kept,
                      "MB_per_s_per_core": round(mb / cpu, 3)}  # fmt: skip
    stock_cpu = runs["stock"]["cpu_s"]
    result = {
        "books": len(books),
        "source": args.books,
        "MB": round(mb, 2),
        "words": words,
        **runs,
        "cer_model": model_record(args.cer_model) if "ours_with_cer_estimate" in runs else None,
        "bare_split_MB_per_s": round(mb / split_cpu, 1) if split_cpu else None,
        **{
            f"ratio_{name}_over_stock": round(stock_cpu / r["cpu_s"], 1) for name, r in runs.items() if name != "stock"
        },
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
