"""Train the character n-gram KenLM model that ``kenlm_perplexity`` scores pages with.

    python -m filters.signals.train_kenlm --corpus ../shared/data/clean_books --order 5 \\
        --out ~/.cache/finebooks/models/kenlm-char5.binary

The corpus is clean reference text: folders of ``.txt`` books (searched recursively) or ICDAR2017 folders (their
gold side). Text is written as characters separated by spaces with ``▁`` between words, in pieces of about 200
characters, and fed to KenLM's ``lmplz`` (built from the kenlm sdist by ``python -m filters.signals.kenlm_bin``), then
``build_binary`` when ``--out`` ends in ``.binary``. Documents whose name is in ``--exclude`` (one relative path
a line) are left out, so that text scored later can be kept unseen.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from filters.signals.goldtext import read_texts
from filters.signals.kenlm_bin import require_tool
from filters.signals.kenlm_perplexity import char_sentences, default_model


def write_corpus(corpora: list[str], out, exclude: set[str], max_chars: int) -> tuple[int, int]:
    """Write the character corpus to the open file ``out``; return (documents, characters) written."""
    docs = chars = 0
    for corpus in corpora:
        for name, text in read_texts(corpus, side="gold"):
            if name in exclude or Path(name).name in exclude:
                continue
            docs += 1
            for sentence in char_sentences(text):
                out.write(sentence + "\n")
                chars += (len(sentence) + 1) // 2
            if max_chars and chars >= max_chars:
                return docs, chars
    return docs, chars


def train(
    corpora: list[str],
    out: str,
    order: int = 5,
    memory: str = "20%",
    exclude: set[str] | None = None,
    max_chars: int = 0,
    prune: str = "",
) -> dict:
    """Train and write the model; return a small record of what was done."""
    lmplz = require_tool("lmplz")
    out_path = Path(out).expanduser()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="kenlm-train-") as tmp:
        corpus_file = Path(tmp) / "corpus.txt"
        with corpus_file.open("w", encoding="utf-8") as f:
            docs, chars = write_corpus(corpora, f, exclude or set(), max_chars)
        if not docs:
            raise ValueError(f"no documents to train on in {corpora}")
        arpa = out_path if out_path.suffix != ".binary" else Path(tmp) / "model.arpa"
        cmd = [str(lmplz), "-o", str(order), "-S", memory, "-T", tmp, "--discount_fallback"]
        if prune:
            cmd += ["--prune", *prune.split()]
        with corpus_file.open("rb") as src, arpa.open("wb") as dst:
            proc = subprocess.run(cmd, stdin=src, stdout=dst, stderr=subprocess.PIPE)
        if proc.returncode:
            raise RuntimeError(f"lmplz failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}")
        if out_path.suffix == ".binary":
            build_binary = require_tool("build_binary")
            proc = subprocess.run([str(build_binary), str(arpa), str(out_path)], capture_output=True)
            if proc.returncode:
                raise RuntimeError(f"build_binary failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    record = {
        "model": str(out_path),
        "corpora": [str(Path(c).resolve()) for c in corpora],
        "excluded": sorted(exclude or ()),
        "order": order,
        "documents": docs,
        "characters": chars,
        "seconds": round(time.time() - start, 1),
    }
    Path(str(out_path) + ".json").write_text(json.dumps(record, indent=1))
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", required=True, help="clean text folder (repeatable)")
    parser.add_argument("--out", default=default_model(), help="model file (.binary or .arpa)")
    parser.add_argument("--order", type=int, default=5)
    parser.add_argument("--memory", default="20%", help="lmplz -S")
    parser.add_argument("--prune", default="", help="lmplz --prune thresholds, e.g. '0 0 1'")
    parser.add_argument("--max-chars", type=int, default=0, help="stop after this many characters (0 = all)")
    parser.add_argument("--exclude", help="file listing document names to leave out (held-out text)")
    args = parser.parse_args(argv)
    exclude = set(Path(args.exclude).read_text().split()) if args.exclude else set()
    try:
        record = train(args.corpus, args.out, args.order, args.memory, exclude, args.max_chars, args.prune)
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(
        f"trained {args.order}-gram char model on {record['documents']} documents, {record['characters']:,} "
        f"characters in {record['seconds']} s: {record['model']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
