"""OCR text with its true character error rate, from every OCR/gold format the project reads: the training and
evaluation data of the CER estimator (``filters.signals.train_cer``, ``bench/cer_estimate.py``).

Sources are written ``KIND:PATH``:

- ``icdar:FOLDER``: ICDAR2017 / ICDAR2019 post-OCR files (any depth); each file is a page, its CER the aligned one
  (``filters.signals.goldtext.IcdarDoc.cer``); files whose gold covers too little of the OCR have no CER and are
  skipped (counted). The collection of a page is its folder's name (``eng_monograph``, ``DE3``, ...).
- ``ght:FILE.tsv``: GHT sentence pairs, joined in file order into pieces of about ``piece_chars`` characters; the CER
  of a piece is its sentences' edit distances over their gold length; the OCR side is detokenised (``detokenize``).
- ``pages:OCR_FOLDER,GOLD_FOLDER``: page OCR and page gold with the same file stem (``a006.tess.txt`` and
  ``a006.txt``: the stem is the name up to its first dot); CER = Levenshtein distance over the gold length, on
  whitespace-normalised text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from filters.signals.goldtext import icdar_files, read_ght, read_icdar

_SPACE_BEFORE = re.compile(r" ([,.;:!?)\]}'’”»]|n't|'s|'d|'ll|'re|'ve|'m)")
_SPACE_AFTER = re.compile(r"([(\[{‘“«]) ")


def detokenize(sentence: str) -> str:
    """GHT sentences are tokenised (``word , word``, ``\\"``): print spacing back, so token shapes match real OCR."""
    text = sentence.replace('\\"', '"')
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", text))


@dataclass(frozen=True)
class GoldPage:
    id: str
    text: str  # the OCR text
    cer: float  # its true character error rate
    collection: str  # the subset or folder it came from
    source: str  # the KIND:PATH it was read from
    side: str = "ocr"  # "gold": the gold transcription itself, a page with CER 0 (``read_gold(gold_pages=True)``)


def _gold_page(page: GoldPage, gold: str) -> GoldPage:
    return GoldPage(f"{page.id}#gold", gold, 0.0, page.collection, page.source, "gold")


class GoldSourceError(ValueError):
    """A gold source that cannot be read, naming it."""


def _icdar(path: Path, source: str, skipped: Counter, gold_pages: bool) -> list[GoldPage]:
    out = []
    for p in icdar_files(path):
        if p.name == "readme.txt":
            continue
        try:
            doc = read_icdar(p)
        except (ValueError, UnicodeDecodeError) as e:
            skipped[f"unreadable: {e.__class__.__name__}"] += 1
            continue
        cer = doc.cer
        if cer is None:
            skipped["no gold"] += 1
            continue
        text = " ".join(doc.ocr_input.split())
        if not text:
            skipped["empty OCR"] += 1
            continue
        out.append(GoldPage(str(p.relative_to(path)), text, cer, p.parent.name, source))
        if gold_pages and doc.gold:
            out.append(_gold_page(out[-1], doc.gold))
    return out


def _ght(path: Path, source: str, piece_chars: int, gold_pages: bool) -> list[GoldPage]:
    from rapidfuzz.distance import Levenshtein

    out: list[GoldPage] = []
    ocr: list[str] = []
    gold: list[str] = []
    errors = gold_chars = 0

    def flush() -> None:
        nonlocal errors, gold_chars
        if ocr and gold_chars:
            out.append(GoldPage(f"{path.name}#{len(out)}", " ".join(ocr), errors / gold_chars, path.stem, source))
            if gold_pages:
                out.append(_gold_page(out[-1], " ".join(gold)))
        ocr.clear()
        gold.clear()
        errors = gold_chars = 0

    for pair in read_ght(path):
        ocr.append(detokenize(pair.ocr))
        gold.append(detokenize(pair.gold))
        errors += Levenshtein.distance(pair.ocr, pair.gold)
        gold_chars += len(pair.gold)
        if sum(map(len, ocr)) >= piece_chars:
            flush()
    flush()
    return out


def _pages(ocr_dir: Path, gold_dir: Path, source: str, skipped: Counter, gold_pages: bool) -> list[GoldPage]:
    from rapidfuzz.distance import Levenshtein

    gold = {p.name.split(".")[0]: p for p in sorted(gold_dir.glob("*.txt"))}
    out = []
    for p in sorted(ocr_dir.glob("*.txt")):
        stem = p.name.split(".")[0]
        if stem not in gold:
            skipped["no gold file"] += 1
            continue
        text = " ".join(p.read_text(encoding="utf-8", errors="replace").split())
        truth = " ".join(gold[stem].read_text(encoding="utf-8", errors="replace").split())
        if not truth or not text:
            skipped["empty OCR or gold"] += 1
            continue
        out.append(GoldPage(stem, text, Levenshtein.distance(text, truth) / len(truth), ocr_dir.name, source))
        if gold_pages:
            out.append(_gold_page(out[-1], truth))
    return out


def read_gold(
    source: str, piece_chars: int = 1500, skipped: Counter | None = None, gold_pages: bool = False
) -> list[GoldPage]:
    """The pages of one ``KIND:PATH`` source (skips counted in ``skipped`` by reason); with ``gold_pages``, each
    page's gold transcription follows it as a page of CER 0 (``side="gold"``), so that the model learns what
    correct text of the collection's period and spelling looks like (historic spelling is not an OCR error)."""
    skipped = Counter() if skipped is None else skipped
    kind, sep, rest = source.partition(":")
    if not sep or kind not in ("icdar", "ght", "pages"):
        raise GoldSourceError(f"gold source {source!r}: write it as icdar:FOLDER, ght:FILE.tsv or pages:OCR,GOLD")
    paths = [Path(p).expanduser() for p in rest.split(",")]
    if kind == "pages" and len(paths) != 2:
        raise GoldSourceError(f"gold source {source!r}: pages needs two folders, pages:OCR_FOLDER,GOLD_FOLDER")
    for p in paths:
        if not p.exists():
            raise GoldSourceError(f"gold source {source!r}: {p} does not exist")
    if kind == "icdar":
        pages = _icdar(paths[0], source, skipped, gold_pages)
    elif kind == "ght":
        pages = _ght(paths[0], source, piece_chars, gold_pages)
    else:
        pages = _pages(paths[0], paths[1], source, skipped, gold_pages)
    if not pages:
        raise GoldSourceError(f"gold source {source!r}: no OCR page with gold found")
    return pages
