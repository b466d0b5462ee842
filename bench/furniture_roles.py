"""Page furniture removal against gold layout roles: (a) by role from the file, (c) today's repetition heuristic.

Usage: .venv/bin/python bench/furniture_roles.py [--json out.json]

Each set is read book by book with the project's reader (ALTO: eScriptorium/CREMMA sets of ``ocr_images``; PAGE:
``ocr_images/de_ocrd`` and ``alto/dach_gt``). The gold is the ``page_layout`` the reader writes: a line is gold
furniture when its role is in ``FURNITURE`` (running-title, page-number, signature, catchword, stamp, artefact),
gold main text otherwise. Scored only on pages whose layout is valid in a book whose roles say more than "text".

- (a) ``page_furniture`` with ``by_role="auto"`` (the default) on the book as read;
- (c) ``page_furniture`` with the layout hidden (``page_layout`` deleted): the repetition heuristic alone.

Removed lines are found by aligning the page's lines before and after (the block deletes whole lines and keeps
the order). Precision and recall are over line records; WER = word-level Levenshtein distance between the page
text and the gold main text (its non-furniture lines) / gold words, summed over pages, tokens split at whitespace.
(a) reads the very roles it is scored against, so its figures check the plumbing, not a model.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rapidfuzz.distance import Levenshtein  # noqa: E402

from filters.cleanup.page_furniture import PageFurniture  # noqa: E402
from filters.layout import FURNITURE, ROLES, has_roles, layout_problem  # noqa: E402
from filters.pages import split_pages  # noqa: E402
from pipelines.readers.alto import AltoBookReader  # noqa: E402
from pipelines.readers.page import PageXmlBookReader  # noqa: E402

LONG = 5  # a furniture line of this many words or more is most likely a gold error (body text in a wrong zone)
ALTO_SETS = ("fr_16c", "fr_17c", "fr_18c", "lat_cremma", "fr_cremma", "co_corse")


def shared_data() -> Path:
    env = os.environ.get("FINEBOOKS_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def sets(root: Path) -> list[tuple[str, object]]:
    out = [(s, AltoBookReader(str(root / "ocr_images" / s))) for s in ALTO_SETS]
    out.append(("de_ocrd", PageXmlBookReader(str(root / "ocr_images" / "de_ocrd"))))
    out.append(("dach_gt", PageXmlBookReader(str(root / "alto" / "dach_gt"))))
    return out


def removed_lines(before: str, after: str) -> set[int]:
    """Indices of the lines of ``before`` missing from ``after`` (lines deleted, order kept)."""
    kept, j, gone = after.split("\n"), 0, set()
    for i, line in enumerate(before.split("\n")):
        if j < len(kept) and kept[j] == line:
            j += 1
        else:
            gone.add(i)
    return gone


def line_index(page: str, layout: dict) -> list[int]:
    """Line index (in ``page.split("\\n")``) of every record of ``layout``."""
    starts, pos = {}, 0
    for i, line in enumerate(page.split("\n")):
        starts[pos] = i
        pos += len(line) + 1
    return [starts[s] for s in layout["start"]]


def wer(text: str, gold: str) -> tuple[int, int]:
    g = gold.split()
    return Levenshtein.distance(text.split(), g), len(g)


def score_set(name: str, reader) -> dict:  # long: one pass scores both systems on every page of a set
    c: Counter = Counter()
    roles: Counter = Counter()
    missed: Counter = Counter()
    wrong: list[str] = []
    all_roles: Counter = Counter()
    for doc in reader.run():
        layouts = doc.metadata.get("page_layout")
        c["books"] += 1
        c["pages_read"] += doc.metadata["n_pages"]
        all_roles.update(r for lay in layouts or () if lay for r in lay["role"])
        c["pages_with_layout"] += sum(lay is not None for lay in layouts or ())
        if not has_roles(layouts):
            c["books_without_furniture_roles"] += 1
            continue
        pages = split_pages(doc.text, doc.metadata["page_offsets"])
        hidden = copy.deepcopy(doc)
        del hidden.metadata["page_layout"]
        outs = {}
        for system, d, by_role in (("a", copy.deepcopy(doc), "auto"), ("c", hidden, "never")):
            t0 = time.process_time()
            (out,) = list(PageFurniture(by_role=by_role).run(iter([d])))
            c[f"{system}_cpu_s"] += time.process_time() - t0
            outs[system] = split_pages(out.text, out.metadata["page_offsets"])
        for p, (page, layout) in enumerate(zip(pages, layouts, strict=True)):
            if layout is None or layout_problem(layout, page) is not None:
                c["pages_unscored"] += 1
                continue
            c["pages"] += 1
            lines = page.split("\n")
            idx = line_index(page, layout)
            gold = {i for i, r in zip(idx, layout["role"], strict=True) if r in FURNITURE}
            roles_of = dict(zip(idx, layout["role"], strict=True))
            roles.update(r for r in layout["role"] if r in FURNITURE)
            c["gold_long"] += sum(len(lines[i].split()) >= LONG for i in gold)
            main = "\n".join(lines[i] for i in idx if i not in gold)
            c["gold"] += len(gold)
            e, n = wer(page, main)
            c["wer_before_e"] += e
            c["words"] += n
            for system in ("a", "c"):
                gone = removed_lines(page, outs[system][p])
                c[f"{system}_removed"] += len(gone)
                c[f"{system}_tp"] += len(gone & gold)
                e, _ = wer(outs[system][p], main)
                c[f"wer_{system}_e"] += e
                if system == "c":
                    missed.update(layout["role"][idx.index(i)] for i in gold - gone)
                    c["c_tp_short"] += sum(len(lines[i].split()) < LONG for i in gone & gold)
                    wrong.extend(f"{lines[i][:30]} [{roles_of.get(i)}]" for i in sorted(gone - gold))
    return {
        "set": name,
        "counts": dict(c),
        "gold_roles": dict(roles),
        "all_roles": dict(all_roles),
        "heuristic_missed": dict(missed),
        "heuristic_false_positives": wrong,
    }


def figures(r: dict) -> dict:
    c = r["counts"]
    out = {"set": r["set"], "pages": c.get("pages", 0), "gold": c.get("gold", 0), "words": c.get("words", 0)}
    for s in ("a", "c"):
        rem, tp = c.get(f"{s}_removed", 0), c.get(f"{s}_tp", 0)
        out[f"{s}_removed"] = rem
        out[f"{s}_precision"] = tp / rem if rem else None
        out[f"{s}_recall"] = tp / c["gold"] if c.get("gold") else None
        out[f"wer_{s}"] = c.get(f"wer_{s}_e", 0) / c["words"] if c.get("words") else None
    short = c.get("gold", 0) - c.get("gold_long", 0)
    out["gold_long"] = c.get("gold_long", 0)
    out["c_recall_short"] = c.get("c_tp_short", 0) / short if short else None
    out["wer_before"] = c.get("wer_before_e", 0) / c["words"] if c.get("words") else None
    return out


def fmt(x: float | None, pct: bool = False) -> str:
    return "–" if x is None else (f"{100 * x:.2f}" if pct else f"{x:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    root = shared_data()
    results = [score_set(name, reader) for name, reader in sets(root)]
    rows = [figures(r) for r in results]
    print(
        "| set | pages | gold furniture lines (long) | (a) by role P / R | (c) heuristic P / R (removed) "
        "| (c) R without long | WER % before | after (a) | after (c) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for f in rows:
        print(
            f"| {f['set']} | {f['pages']} | {f['gold']} ({f['gold_long']}) | {fmt(f['a_precision'])} / "
            f"{fmt(f['a_recall'])} | {fmt(f['c_precision'])} / {fmt(f['c_recall'])} ({f['c_removed']}) "
            f"| {fmt(f['c_recall_short'])} | {fmt(f['wer_before'], True)} "
            f"| {fmt(f['wer_a'], True)} | {fmt(f['wer_c'], True)} |"
        )
    names = [r for r in ROLES if any(r in x["all_roles"] for x in results)] + ["None"]
    print("\n| set | pages (with layout) | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for r in results:
        n = r["all_roles"]
        cells = [str(n.get(x if x != "None" else None, 0)) for x in names]
        print(
            f"| {r['set']} | {r['counts']['pages_read']} ({r['counts']['pages_with_layout']}) | "
            + " | ".join(cells)
            + " |"
        )
    for r in results:
        print(f"{r['set']}: gold {r['gold_roles']} heuristic missed {r['heuristic_missed']}")
        print(f"  heuristic false positives: {r['heuristic_false_positives'][:12]}")
        print(f"  counts {r['counts']}")
    print(f"python {platform.python_version()} on {platform.machine()} {os.cpu_count()} cpus")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "results": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
