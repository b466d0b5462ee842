"""What the readers find beside the pages (#27 items 3-4), per collection of ``../shared/data``: books, their METS/MODS
(or Dublin Core) fields, unknown layout types counted by name, and page breaks that are gaps (pages that do not
follow each other, which the Markdown writer and ``remove_page_separators`` no longer join across).

Usage: .venv/bin/python bench/library_metadata.py [--data ../shared/data]
Prints one Markdown table (BENCHMARKS.md, "Library metadata and structure"). Reads only; about a minute.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from filters.pages import PAGE_SEPARATOR, consecutive_pages
from pipelines.readers.alto import AltoBookReader
from pipelines.readers.page import PageXmlBookReader

FIELDS = ("title", "author", "year", "language", "identifiers", "license")
# (collection, reader, folder under the data folder, reader options)
COLLECTIONS = [
    ("structure/ocrd_train (PAGE + METS)", PageXmlBookReader, "structure/ocrd_train", {}),
    ("alto/dach_gt (ALTO)", AltoBookReader, "alto/dach_gt", {"glob_pattern": "**/*.xml"}),
    ("alto/bl_newspaper (ALTO + METS)", AltoBookReader, "alto/bl_newspaper", {"glob_pattern": "**/*.xml"}),
]


def measure(reader, folder: Path, options: dict) -> dict:
    """Books, fields found, unknown layout types and page gaps of one collection."""
    docs = list(reader(str(folder), source=folder.name, **options).run())
    fields = Counter(f for d in docs for f in FIELDS if d.metadata.get(f))
    unknown: Counter = Counter()
    breaks = gaps = 0
    for d in docs:
        unknown.update(d.metadata.get("unknown_region_types") or {})
        pages = d.text.count(PAGE_SEPARATOR) + 1
        follows = consecutive_pages(d.metadata, pages)
        breaks, gaps = breaks + len(follows), gaps + follows.count(False)
    return {"books": len(docs), "fields": fields, "unknown": unknown, "breaks": breaks, "gaps": gaps}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = ap.parse_args()
    print("| collection | books | " + " | ".join(FIELDS) + " | unknown layout types | page breaks that are gaps |")
    print("|---|---|" + "---|" * len(FIELDS) + "---|---|")
    for name, reader, rel, options in COLLECTIONS:
        m = measure(reader, args.data / rel, options)
        unknown = ", ".join(f"{t} {n}" for t, n in m["unknown"].most_common()) or "none"
        cells = " | ".join(str(m["fields"][f]) for f in FIELDS)
        print(f"| {name} | {m['books']} | {cells} | {unknown} | {m['gaps']} of {m['breaks']} |")


if __name__ == "__main__":
    main()
