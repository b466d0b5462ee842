"""Word error rate of Tesseract page text against gold, before and after the clean-up blocks; and their speed.

Usage: .venv/bin/python bench/cleanup_wer.py [--books a,b] [--speed-mb 4] [--json out.json]

WER: the Tesseract pages of ``ocr_pages/old_books`` (``tesseract_otsu_txt/<page>.tess.txt``) are read as books
with the project's ``TextBookReader`` (book_pattern ``^([a-z]+)\\d+``), run through the clean-up stack, split
back into pages by their ``page_offsets`` and compared page by page with the gold (``groundtruth/<page>.txt``).
WER = word-level Levenshtein distance / gold words, summed over pages. Tokens are whitespace-separated, so line
breaks and paragraph layout never count. Three normalisations, the same on both sides:

- ``strict`` (the main figure): tokens as printed, case and punctuation attached;
- ``folded``: lower case, curly quotes and apostrophes made straight (the gold's transcribers mix both styles);
- ``words``: ``folded`` with punctuation stripped from both ends of every token (empty tokens dropped).

The gold keeps printed running heads and page numbers on most pages, so ``page_furniture`` is scored twice:
its effect on WER (``stack minus page_furniture``), and an audit of every line it removed: found at the edge of
the gold page (printed furniture, which the gold transcribed too), found in the gold body (text lost), or not in
the gold at all (OCR noise).

Speed: every clean-up block over the books of ``clean_books`` (Gutenberg and ECCO-TCP, one page each) and over
the old_books pages, and datatrove's stock web filters (GopherRepetition, GopherQuality, C4Quality,
FineWebQuality) over the same old_books and the first ``--speed-mb`` MB of clean_books, in the same run, on one
core; every figure is CPU seconds of this process (``time.process_time``, which contention on a shared machine
inflates much less than wall time), best of several runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rapidfuzz.distance import Levenshtein  # noqa: E402
from rapidfuzz.fuzz import ratio  # noqa: E402

from filters.pages import split_pages  # noqa: E402

_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"'})
_PUNCT = "\"'!#$%&()*+,./:;<=>?@[\\]^_`{|}~«»—–-…·•"
NORMALISATIONS = ("strict", "folded", "words")


def shared_data() -> Path:
    env = os.environ.get("FINEBOOKS_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def tokens(text: str, how: str) -> list[str]:
    if how == "strict":
        return text.split()
    folded = text.translate(_FOLD).lower().split()
    if how == "folded":
        return folded
    return [t for t in (w.strip(_PUNCT) for w in folded) if t]


def default_stack() -> list[tuple[str, dict]]:
    """The clean-up stack measured here: (registry name, params); the order of configs/blocks/cleanup.yaml."""
    return [
        ("unicode_fix", {}),
        ("historic_normalize", {}),
        ("page_furniture", {}),
        ("dehyphenate", {}),
        ("unwrap_lines", {}),
    ]


def read_books(data: Path, books: list[str] | None = None) -> list:
    """old_books Tesseract pages as book Documents (the project's reader), optionally only some books."""
    from pipelines.readers.text import TextBookReader

    reader = TextBookReader(
        str(data / "ocr_pages/old_books/tesseract_otsu_txt"), glob_pattern="*.txt", book_pattern=r"^([a-z]+)\d+"
    )
    docs = list(reader.run())
    if books:
        docs = [d for d in docs if d.id.rsplit("/", 1)[-1] in books]
    return docs


def page_ids(doc) -> list[str]:
    return [Path(f).name.split(".")[0] for f in doc.metadata["page_files"]]


def gold_pages(data: Path, ids: list[str]) -> list[str]:
    return [(data / "ocr_pages/old_books/groundtruth" / f"{i}.txt").read_text(encoding="utf-8") for i in ids]


def apply(stack: list[tuple[str, dict]], docs: list) -> list:
    """Run the blocks over copies of ``docs``; each document must keep its page count."""
    from filters.registry import build_block

    out = [type(d)(text=d.text, id=d.id, metadata=dict(d.metadata)) for d in docs]
    for name, params in stack:
        out = list(build_block(name, params).run(iter(out)))
    for before, after in zip(docs, out, strict=True):
        n = len(split_pages(after.text, after.metadata["page_offsets"]))
        if n != before.metadata["n_pages"]:
            raise AssertionError(f"{after.id}: {n} pages after clean-up, {before.metadata['n_pages']} before")
    return out


def wer_by_book(docs: list, gold: dict[str, list[str]]) -> dict[str, dict[str, tuple[int, int]]]:
    """{book: {normalisation: (edits, gold words)}}."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for doc in docs:
        pages = split_pages(doc.text, doc.metadata["page_offsets"])
        res = {}
        for how in NORMALISATIONS:
            edits = words = 0
            for hyp, ref in zip(pages, gold[doc.id], strict=True):
                r = tokens(ref, how)
                edits += Levenshtein.distance(tokens(hyp, how), r)
                words += len(r)
            res[how] = (edits, words)
        out[doc.id.rsplit("/", 1)[-1]] = res
    return out


def total(by_book: dict[str, dict[str, tuple[int, int]]], how: str) -> float:
    e = sum(v[how][0] for v in by_book.values())
    n = sum(v[how][1] for v in by_book.values())
    return e / n


def furniture_audit(docs: list, gold: dict[str, list[str]]) -> dict[str, int]:
    """Classify every line page_furniture removes: at the gold page's edge, in the gold body, or not in gold."""
    from filters.cleanup.page_furniture import PageFurniture
    from filters.textview import text_view

    block = PageFurniture()
    counts: dict[str, int] = defaultdict(int)
    for doc in docs:
        view = text_view(doc)
        found = block.find(view.page_lines, view.pages)
        for p, gone in found.items():
            g_lines = [" ".join(line.lower().split()) for line in gold[doc.id][p].split("\n") if line.strip()]
            edges = g_lines[:2] + g_lines[-2:]
            body = " ".join(g_lines[2:-2])
            for i in gone:
                line = " ".join(view.page_lines[p][i].lower().split())
                if any(ratio(line, e) >= 60 for e in edges):
                    counts["at_gold_page_edge"] += 1
                elif len(line) >= 4 and line in body:
                    counts["in_gold_body"] += 1
                else:
                    counts["not_in_gold"] += 1
    return dict(counts)


def speed(stack: list[tuple[str, dict]], docs: list, repeats: int = 3) -> dict[str, float]:
    """Best of ``repeats`` seconds per block over ``docs`` (each block sees the output of the one before), and MB."""
    from filters.registry import build_block

    mb = sum(len(d.text.encode("utf-8")) for d in docs) / 1e6
    blocks = [(name, build_block(name, params)) for name, params in stack]
    times = {name: float("inf") for name, _ in stack}
    for _ in range(repeats):
        work = [type(d)(text=d.text, id=d.id, metadata=dict(d.metadata)) for d in docs]
        for name, block in blocks:
            start = time.process_time()
            work = list(block.run(iter(work)))
            times[name] = min(times[name], time.process_time() - start)
    return {"mb": mb, **times}


def clean_books(data: Path) -> list:
    from pipelines.readers.text import TextBookReader

    docs = []
    for sub in ("gutenberg", "ecco_tcp"):
        docs += list(TextBookReader(str(data / "clean_books" / sub), glob_pattern="**/*.txt").run())
    return docs


def first_mb(docs: list, max_mb: float) -> list:
    subset, mb = [], 0.0
    for d in docs:
        if mb >= max_mb:
            break
        subset.append(d)
        mb += len(d.text.encode("utf-8")) / 1e6
    return subset


def stock_speed(docs: list, repeats: int = 1) -> dict[str, float]:
    """datatrove's four stock web filters, each on every book (a drop would hide the later filters' cost); best of
    ``repeats`` runs, as for the clean-up stack."""
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    steps = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]
    mb = sum(len(d.text.encode("utf-8")) for d in docs) / 1e6
    best = float("inf")
    for _ in range(repeats):
        work = [type(d)(text=d.text, id=d.id, metadata=dict(d.metadata)) for d in docs]  # C4 rewrites the text
        start = time.process_time()
        for doc in work:
            for step in steps:
                step.filter(doc)
        best = min(best, time.process_time() - start)
    return {"mb": mb, "seconds": best}


def ftfy_speed(docs: list) -> dict:
    """``UnicodeFix.fix_page`` against plain ``ftfy.fix_text`` on every page: MB/s by CPU time, and equality."""
    import ftfy

    from filters.cleanup.unicode_fix import UnicodeFix
    from filters.textview import text_view

    block = UnicodeFix()
    pages = [p for d in docs for p in text_view(d).pages]
    mb = sum(len(p.encode("utf-8")) for p in pages) / 1e6
    start = time.process_time()
    ours = [block.fix_page(p) for p in pages]
    t_ours = time.process_time() - start
    start = time.process_time()
    plain = [ftfy.fix_text(p, config=block.config) for p in pages]
    t_plain = time.process_time() - start
    return {"ours": mb / t_ours, "ftfy": mb / t_plain, "same": ours == plain, "pages": len(pages)}


def full_stack() -> list[tuple[str, dict]]:
    """Every clean-up block, in the order of configs/blocks/cleanup.yaml (for the speed figures)."""
    return [("gutenberg_boilerplate", {})] + default_stack() + [("remove_page_separators", {})]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--books", default="", help="comma-separated book ids (a..j); default all")
    ap.add_argument("--speed-mb", type=float, default=4.0, help="MB of clean_books for the stock filters")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    data = shared_data()
    books = [b for b in args.books.split(",") if b]
    docs = read_books(data, books)
    gold = {d.id: gold_pages(data, page_ids(d)) for d in docs}
    stack = default_stack()
    runs = {"before": wer_by_book(docs, gold), "after": wer_by_book(apply(stack, docs), gold)}
    for name, _ in stack:
        runs[f"after, without {name}"] = wer_by_book(apply([b for b in stack if b[0] != name], docs), gold)
    for name, params in stack:
        runs[f"{name} alone"] = wer_by_book(apply([(name, params)], docs), gold)
    runs["after, dehyphenate unknown=join"] = wer_by_book(
        apply([(n, {"unknown": "join"} if n == "dehyphenate" else p) for n, p in stack], docs), gold
    )
    result: dict = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"}
    print(f"old_books: {len(docs)} books, {sum(d.metadata['n_pages'] for d in docs)} pages")
    print(f"stack: {' -> '.join(n for n, _ in stack)}\n")
    print("WER (word-level, %)      " + "  ".join(f"{h:>8s}" for h in NORMALISATIONS))
    for label, by_book in runs.items():
        print(f"{label:32s}" + "  ".join(f"{100 * total(by_book, h):8.2f}" for h in NORMALISATIONS))
    print("\nper book, strict WER %:  gold words  before  after  after without page_furniture")
    for book in runs["before"]:
        b, a = runs["before"][book]["strict"], runs["after"][book]["strict"]
        c = runs["after, without page_furniture"][book]["strict"]
        print(f"  {book}  {b[1]:10d}  {100 * b[0] / b[1]:6.2f}  {100 * a[0] / a[1]:6.2f}  {100 * c[0] / c[1]:6.2f}")
    audit = furniture_audit(docs, gold)
    print(f"\npage_furniture audit of removed lines: {audit}")
    result["wer"] = {k: {b: v for b, v in r.items()} for k, r in runs.items()}
    result["furniture_audit"] = audit
    if not args.no_speed:
        print("\nspeed, MB/s per core by CPU time (best of 5 runs on old_books, of 2 on clean_books):")
        books = clean_books(data)
        subset = first_mb(books, args.speed_mb)
        for label, ds, reps in (("old_books", docs, 5), ("clean_books", books, 2), ("stock subset", subset, 2)):
            s = speed(full_stack(), ds, repeats=reps)
            rate = s["mb"] / sum(v for k, v in s.items() if k != "mb")
            cells = "  ".join(f"{k} {s['mb'] / v:.0f}" for k, v in s.items() if k != "mb")
            print(f"  {label} ({s['mb']:.1f} MB, {len(ds)} books): whole stack {rate:.1f} | {cells}")
            result[f"speed_{label}"] = {**s, "stack_mb_s": rate}
        result["ftfy"] = ftfy_speed(docs + books)
        print(
            "  unicode_fix vs plain ftfy.fix_text, page by page on old_books + clean_books: {ours:.1f} vs "
            "{ftfy:.1f} MB/s, identical output: {same}".format(**result["ftfy"])
        )
        for label, ds, reps in (("stock subset", subset, 2), ("old_books", docs, 5)):
            stock = stock_speed(ds, reps)
            stock_rate = stock["mb"] / stock["seconds"]
            ours = result[f"speed_{label}"]["stack_mb_s"]
            print(
                f"  datatrove stock web filters on the same {len(ds)} books of {label} ({stock['mb']:.1f} MB): "
                f"{stock_rate:.2f} MB/s; clean-up stack / stock = {ours / stock_rate:.0f}x"
            )
            result[f"stock_{label}"] = {**stock, "mb_s": stock_rate, "ratio": ours / stock_rate}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
