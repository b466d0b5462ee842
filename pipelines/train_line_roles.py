"""Train the line-role classifier (``page_furniture`` with ``line_model``) on books whose lines carry roles.

    DATA=../shared/data
    python -m pipelines.train_line_roles --out ~/.cache/finebooks/models/line-roles.npz \\
        --train alto:$DATA/ocr_images/fr_16c --train alto:$DATA/ocr_images/fr_17c ... \\
        --train page:$DATA/ocr_images/de_ocrd

``--train`` (repeatable) is ``FORMAT:FOLDER``: a reader of ``pipelines/readers/registry.py`` that writes
``metadata.page_layout`` (``alto``: SegmOnto tags; ``page``: PAGE region types) and a folder of its books; a bare
folder means ``alto``. Every folder is one set (its lines are weighted together, ``filters/cleanup/line_model.py``).
Books whose roles say nothing but "text" are skipped (``only_text_roles``), and pages whose layout does not describe
their text are left out. The model sits here, not in ``filters/``, because it reads books through the readers
(``pipelines`` may import ``filters``, not the other way round). The model file (default:
``$FINEBOOKS_CACHE/models/line-roles.npz``) holds its training record, also written as ``<file>.json``: sets
with books, lines per class and skips, features and their fingerprint, parameters, seed, package versions,
in-sample accuracy, seconds. The same data and seed give the same model.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from filters.layout import has_roles
from filters.model_file import cached_model, training_stamp
from filters.pages import split_pages

PACKAGES = ("scikit-learn", "numpy", "rapidfuzz")


def default_model() -> str:
    return cached_model("line-roles.npz")


@dataclass
class LabelledBook:
    group: str  # the set (training folder) it came from
    id: str
    page_lines: list[list[str]]
    layouts: list


def read_set(spec: str, skipped: Counter) -> tuple[str, list[LabelledBook]]:
    """(set name, its books with roles) of ``FORMAT:FOLDER``; books without roles are counted in ``skipped``."""
    from pipelines.readers.registry import REGISTRY

    fmt, _, folder = spec.partition(":") if ":" in spec and not os.path.isdir(spec) else ("alto", "", spec)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"--train {spec!r}: no folder {folder!r}")
    reader = REGISTRY.resolve(fmt)(folder)
    name = Path(folder.rstrip("/")).name
    books = []
    for doc in reader.run():
        layouts = doc.metadata.get("page_layout")
        if not layouts:
            skipped["no_layout"] += 1
        elif not has_roles(layouts):
            skipped["only_text_roles"] += 1
        else:
            pages = split_pages(doc.text, doc.metadata["page_offsets"])
            books.append(LabelledBook(name, doc.id, [p.split("\n") for p in pages], layouts))
    return name, books


def examples(books: list[LabelledBook]) -> tuple[list, list[str], list[str]]:
    """Feature rows, classes and set of every line with a role in ``books``."""
    from filters.cleanup.line_model import book_examples
    from filters.cleanup.page_furniture import PageFurniture

    heuristic = PageFurniture()
    rows, labels, groups = [], [], []
    for b in books:
        r, y, _ = book_examples(
            b.page_lines, b.layouts, heuristic.find(b.page_lines, ["\n".join(x) for x in b.page_lines])
        )
        rows += r
        labels += y
        groups += [b.group] * len(y)
    return rows, labels, groups


def train(specs: list[str], out: str, seed: int = 0) -> dict:
    """Read, featurize, fit and save; return the training record (with the file's sha256)."""
    import numpy as np

    from filters.cleanup.line_features import FEATURES
    from filters.cleanup.line_model import PARAMS, fingerprint, fit

    t0 = time.time()
    books, sets = [], []
    for spec in specs:
        skipped: Counter = Counter()
        name, got = read_set(spec, skipped)
        books += got
        sets.append({"source": spec, "set": name, "books": len(got), "skipped": dict(skipped)})
        print(f"{spec}: {len(got)} books with roles; skipped: {dict(skipped) or 'none'}", flush=True)
    rows, labels, groups = examples(books)
    if not rows:
        raise ValueError(f"--train {specs}: no line with a role in any book: nothing to learn from")
    for s in sets:
        s["lines"] = dict(Counter(y for y, g in zip(labels, groups, strict=True) if g == s["set"]))
    print(f"fitting on {len(rows)} lines: {dict(Counter(labels))}", flush=True)
    model = fit(rows, labels, groups, seed=seed)
    predicted, _ = model.predict(rows)
    accuracy = float(np.mean(np.asarray(predicted) == np.asarray(labels)))
    model.record = {
        **model.record, "sets": sets, "lines": len(rows), "classes": list(model.classes), "features": list(FEATURES),
        "fingerprint": fingerprint(), "params": dict(PARAMS), "seed": seed,
        "in_sample_accuracy": round(accuracy, 4), **training_stamp(t0, PACKAGES),
    }  # fmt: skip
    digest = model.save(out)
    print(f"in-sample accuracy {accuracy:.3f}; model: {out} (sha256 {digest[:12]}, record {out}.json)")
    return {**model.record, "sha256": digest}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", action="append", required=True, help="FORMAT:FOLDER of role-tagged books")
    parser.add_argument("--out", default=default_model(), help="model file (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        train(args.train, args.out, args.seed)
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
