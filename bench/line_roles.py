"""Line-role classifier vs roles from the file vs heuristics, leave one set out (issue #13, items 3 and 5).

Usage: OMP_NUM_THREADS=1 .venv/bin/python bench/line_roles.py [--json out.json] [--seed 0]  (about 2-4 min; one thread
per fit avoids thread contention on a busy machine)

Sets and gold as in ``bench/furniture_roles.py`` (the ALTO sets of ``ocr_images`` and the PAGE of ``de_ocrd``;
``alto/dach_gt`` has no role but "text" and is neither trained on nor scored). For each set S in turn the
classifier is trained (``pipelines/train_line_roles.py``, the same code as the command) on the books of every other
set and scored on S only, so no page it is scored on was seen in training. On the same pages:

- (a) ``page_furniture`` with ``by_role: auto`` on the book as read (roles from the file);
- (b) ``page_furniture`` with the fold's ``line_model`` on the book with ``page_layout`` deleted (the text alone);
- (c) ``page_furniture`` with the layout deleted and no model: the repetition heuristic;
- (d) (b) and (c) combined: a line goes when either removes it (union).

Issue #27: ``structure/ocrd_train`` (OCR-D's structure ground truth, 30 short books of 1-6 pages) is an eighth set,
trained on and held out like the others. Below the per-set rows the table gives the pooled figure and the worst
fold (lowest furniture F1 among the sets with gold furniture).

Furniture: precision/recall/F1 over line records of the lines each removes (gold: role in ``FURNITURE``). Headings:
(a) the role read from the file, (b) the classifier's class ``heading``, (c) the Markdown writer's capitalisation
rule for books without roles (``pipelines/markdown/heuristic.py``: an ALL CAPS first line of a paragraph or a Title
Case one-line paragraph; paragraphs split at blank lines), scored against gold role ``heading`` over the lines with a
record. WER of the page text against its gold main text (non-furniture lines) before and after each system,
summed over pages.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.furniture_roles import line_index, removed_lines, sets, shared_data, wer  # noqa: E402
from filters.cleanup.line_model import book_examples, fit  # noqa: E402
from filters.cleanup.page_furniture import PageFurniture  # noqa: E402
from filters.layout import FURNITURE, has_roles, layout_problem  # noqa: E402
from filters.pages import split_pages  # noqa: E402
from pipelines.markdown.heuristic import is_caps_heading, is_title_heading  # noqa: E402
from pipelines.readers.page import PageXmlBookReader  # noqa: E402
from pipelines.train_line_roles import LabelledBook  # noqa: E402


def markdown_headings(lines: list[str]) -> set[int]:
    """Lines the release Markdown would mark as headings (its rule 4, paragraphs split at blank lines)."""
    out, start = set(), 0
    for i in range(len(lines) + 1):
        if i == len(lines) or not lines[i].strip():
            para = [j for j in range(start, i) if lines[j].strip()]
            if para and is_caps_heading(lines[para[0]].strip()):
                out.add(para[0])
            elif len(para) == 1 and is_title_heading(lines[para[0]].strip()):
                out.add(para[0])
            start = i + 1
    return out


def read(root: Path) -> dict[str, list]:
    """{set: [(doc, LabelledBook, examples)]} of the books whose roles say more than "text"."""
    out = {}
    extra = [("ocrd_train", PageXmlBookReader(str(root / "structure" / "ocrd_train")))]
    for name, reader in sets(root) + extra:
        books = []
        for doc in reader.run():
            layouts = doc.metadata.get("page_layout")
            if not has_roles(layouts):
                continue
            pages = split_pages(doc.text, doc.metadata["page_offsets"])
            book = LabelledBook(name, doc.id, [p.split("\n") for p in pages], layouts)
            heur = PageFurniture().find(book.page_lines, pages)
            books.append((doc, book, book_examples(book.page_lines, layouts, heur)))
        if books:
            out[name] = books
    return out


def run_block(doc, **params) -> list[str]:
    d = copy.deepcopy(doc)
    if params.get("by_role") == "never":
        del d.metadata["page_layout"]
    (out,) = list(PageFurniture(**params).run(iter([d])))
    return split_pages(out.text, out.metadata["page_offsets"])


def score_book(c: Counter, doc, book, model, model_path: str) -> None:  # long: three systems, two tasks, one page
    pages = split_pages(doc.text, doc.metadata["page_offsets"])
    outs = {
        "a": run_block(doc, by_role="auto"),
        "b": run_block(doc, by_role="never", line_model=model_path),
        "c": run_block(doc, by_role="never"),
    }
    heuristic = PageFurniture().find(book.page_lines, pages)
    classes = model.book_roles(book.page_lines, heuristic, set(range(len(pages))))
    for p, (page, layout) in enumerate(zip(pages, book.layouts, strict=True)):
        if layout is None or layout_problem(layout, page) is not None:
            continue
        c["pages"] += 1
        lines = page.split("\n")
        idx = line_index(page, layout)
        roles = dict(zip(idx, layout["role"], strict=True))
        gold = {i for i, r in roles.items() if r in FURNITURE}
        main = "\n".join(lines[i] for i in idx if i not in gold)
        e, n = wer(page, main)
        c["gold"] += len(gold)
        c["words"] += n
        c["wer_before_e"] += e
        for s, out in outs.items():
            gone = removed_lines(page, out[p])
            c[f"{s}_removed"] += len(gone)
            c[f"{s}_tp"] += len(gone & gold)
            c[f"wer_{s}_e"] += wer(out[p], main)[0]
        union = removed_lines(page, outs["b"][p]) | removed_lines(page, outs["c"][p])
        c["d_removed"] += len(union)
        c["d_tp"] += len(union & gold)
        heads = {
            "a": {i for i in idx if roles[i] == "heading"},
            "b": {i for i in idx if classes[p].get(i) == "heading"},
            "c": markdown_headings(lines) & set(idx),
        }
        c["gold_headings"] += len(heads["a"])
        for s, got in heads.items():
            c[f"h{s}_found"] += len(got)
            c[f"h{s}_tp"] += len(got & heads["a"])


def prf(tp: int, found: int, gold: int) -> tuple[float | None, float | None, float | None]:
    p = tp / found if found else None
    r = tp / gold if gold else None
    f = 2 * p * r / (p + r) if p is not None and r is not None and p + r else (0.0 if gold else None)
    return p, r, f


def folds(data: dict[str, list], seed: int, tmp: str) -> list[dict]:
    rows = []
    for held in data:
        X, y, g = [], [], []
        for name, books in data.items():
            if name != held:
                for _, _, (r, lab, _) in books:
                    X += r
                    y += lab
                    g += [name] * len(lab)
        t0 = time.process_time()
        model = fit(X, y, g, seed=seed)
        fit_s = time.process_time() - t0
        path = os.path.join(tmp, f"{held}.npz")
        model.save(path)
        c: Counter = Counter()
        t0 = time.process_time()
        for doc, book, _ in data[held]:
            score_book(c, doc, book, model, path)
        rows.append({"set": held, "train_lines": len(y), "fit_cpu_s": round(fit_s, 2),
                     "score_cpu_s": round(time.process_time() - t0, 2), "counts": dict(c)})  # fmt: skip
    return rows


def fmt(x: float | None, pct: bool = False) -> str:
    return "–" if x is None else (f"{100 * x:.2f}" if pct else f"{x:.3f}")


def table(rows: list[dict]) -> None:
    total: Counter = Counter()
    for r in rows:
        total.update(r["counts"])
    print(
        "| set | pages | gold furniture | furniture P / R / F1 (a) file | (b) classifier | (c) heuristic | (d) b or c "
        "| gold headings | headings P / R / F1 (b) classifier | (c) Markdown rule | WER % before | after (a) | (b) "
        "| (c) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    worst = {s: min((r for r in rows if r["counts"].get("gold")), key=lambda r, s=s: f1(r, s)) for s in "bcd"}
    for name, c in [*((r["set"], Counter(r["counts"])) for r in rows), ("all (pooled)", total)]:
        cells = [" / ".join(fmt(x) for x in prf(c[f"{s}_tp"], c[f"{s}_removed"], c["gold"])) for s in "abcd"]
        heads = [" / ".join(fmt(x) for x in prf(c[f"h{s}_tp"], c[f"h{s}_found"], c["gold_headings"])) for s in "bc"]
        w = [fmt(c[f"wer_{s}_e"] / c["words"], True) if c["words"] else "–" for s in ("before", "a", "b", "c")]
        print(f"| {name} | {c['pages']} | {c['gold']} | {' | '.join(cells)} | {c['gold_headings']} | "
              f"{' | '.join(heads)} | {' | '.join(w)} |")  # fmt: skip
    cells = [f"{fmt(f1(worst[s], s))} ({worst[s]['set']})" for s in "bcd"]
    print(f"| worst fold (F1) | | | | {' | '.join(cells)} | | | | | | | |")


def f1(row: dict, system: str) -> float:
    c = Counter(row["counts"])
    return prf(c[f"{system}_tp"], c[f"{system}_removed"], c["gold"])[2] or 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.time()
    data = read(shared_data())
    with tempfile.TemporaryDirectory() as tmp:
        rows = folds(data, args.seed, tmp)
    table(rows)
    for r in rows:
        print(f"{r['set']}: trained on {r['train_lines']} lines of the other sets, fit {r['fit_cpu_s']} s CPU, "
              f"scoring {r['score_cpu_s']} s CPU")  # fmt: skip
    print(f"total {time.time() - t0:.0f} s; python {platform.python_version()} on {platform.machine()} "
          f"{os.cpu_count()} cpus")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
