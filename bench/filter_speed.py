"""Throughput of the default clean+filter stack vs datatrove's stock web filters, on the same books, same run.

    .venv/bin/python bench/filter_speed.py [--books ../shared/data/clean_books/ecco_tcp] [--limit 0]

Stacks (each gets its own fresh copy of every book, one process, so CPU seconds = seconds on one core):
- ours: the clean-up blocks registered in ``filters/registry.py`` with their defaults (Gutenberg boilerplate,
  ftfy unicode fix, page furniture, dehyphenation, line unwrapping) and the default ``ocr_quality_filter``
  (dictionary ratio + garbage ratio + word confidence, computed through the shared ``text_view``; the two token
  signals together, one lookup per distinct token: ``filters/signals/word_signals.py``);
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

from filters.registry import BLOCKS, build_block  # noqa: E402
from filters.signals.goldtext import read_texts  # noqa: E402

OUR_CLEAN = ("gutenberg_boilerplate", "unicode_fix", "page_furniture", "dehyphenate", "unwrap_lines")
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


def main(argv: list[str] | None = None) -> int:
    data = Path(os.environ.get("FINEBOOKS_SHARED_DATA") or ROOT.parent / "shared" / "data")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--books", default=str(data / "clean_books" / "ecco_tcp"))
    parser.add_argument("--limit", type=int, default=0, help="books (0 = all)")
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench" / "filter_speed.json"))
    args = parser.parse_args(argv)
    books = read_texts(args.books)[: args.limit or None]
    mb = sum(len(t.encode("utf-8")) for _, t in books) / 1e6
    clean = [name for name in OUR_CLEAN if name in BLOCKS]
    ours = [build_block(n, {}) for n in clean] + [build_block("ocr_quality_filter", {})]
    stock = [build_block(n, {}) for n in STOCK]
    load_before = os.getloadavg()[0]
    run_stack(ours, fresh(books[:2]))  # warm-up: word lists, language model, regexes
    run_stack(stock, fresh(books[:1]))
    c0 = time.process_time()
    words = sum(len(t.split()) for _, t in books)
    split_cpu = time.process_time() - c0
    ours_cpu, ours_wall, ours_kept = run_stack(ours, fresh(books))
    stock_cpu, stock_wall, stock_kept = run_stack(stock, fresh(books))
    result = {
        "books": len(books),
        "source": args.books,
        "MB": round(mb, 2),
        "words": words,
        "ours": {
            "blocks": [*clean, "ocr_quality_filter"],
            "cpu_s": round(ours_cpu, 2),
            "wall_s": round(ours_wall, 2),
            "kept": ours_kept,
            "MB_per_s_per_core": round(mb / ours_cpu, 3),
        },
        "stock": {
            "blocks": list(STOCK),
            "cpu_s": round(stock_cpu, 2),
            "wall_s": round(stock_wall, 2),
            "kept": stock_kept,
            "MB_per_s_per_core": round(mb / stock_cpu, 3),
        },
        "bare_split_MB_per_s": round(mb / split_cpu, 1) if split_cpu else None,
        "ratio_ours_over_stock": round(stock_cpu / ours_cpu, 1),
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
