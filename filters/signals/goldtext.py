"""Readers for OCR text paired with gold text (ICDAR2017 post-OCR files, GHT sentence pairs) and plain folders.

Used by the model trainers (clean vs raw-OCR text), by calibration and by the gold benchmark. ICDAR2017 files
have three lines, ``[OCR_toInput] ...``, ``[OCR_aligned] ...`` and ``[ GS_aligned] ...``; in the aligned pair
``@`` is an alignment gap and ``#`` marks characters with no gold (skipped when scoring).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

_PREFIXES = ("[OCR_toInput] ", "[OCR_aligned] ", "[ GS_aligned] ")
# below this gold coverage a document has no CER: 22 of ICDAR2019's 2,960 evaluation documents (4 each in DE2, FR1,
# FR3, 3 in ES1 and NL1, 2 in SL1, 1 in FR2 and PL1) fall below, with CERs of 1.5 to 132 (gold a sliver of the
# OCR) or none (no gold at all); the next ones up (0.53-0.56, FR3 receipts) measure about 1.0; ICDAR2017 has
# none below 0.9
MIN_GOLD_COVERAGE = 0.5


@dataclass(frozen=True)
class IcdarDoc:
    path: str
    ocr_input: str
    ocr_aligned: str
    gold_aligned: str

    @property
    def gold(self) -> str:
        """The gold text where it exists (gaps and no-gold spans removed)."""
        return " ".join("".join(c for c in self.gold_aligned if c != "@").replace("#", " ").split())

    @property
    def ocr_scored(self) -> str:
        """The OCR text over the spans that have gold (what the CER measures)."""
        chars = (o for o, g in zip(self.ocr_aligned, self.gold_aligned, strict=True) if g != "#" and o != "@")
        return " ".join("".join(chars).split())

    def aligned_counts(self) -> tuple[int, int, int]:
        """(differing positions, gold characters, OCR characters) over the aligned spans with gold."""
        errors = gold_chars = ocr_chars = 0
        for o, g in zip(self.ocr_aligned, self.gold_aligned, strict=True):
            if g == "#":
                continue
            gold_chars += g != "@"
            ocr_chars += o != "@"
            errors += o != g
        return errors, gold_chars, ocr_chars

    @property
    def gold_coverage(self) -> float:
        """Gold characters / OCR characters over the spans with gold: near 1 for a transcribed document, near 0
        for one whose gold is (almost) all ``@`` gaps (ICDAR2019 DE2/26.txt: 15 gold characters for 986)."""
        _, gold_chars, ocr_chars = self.aligned_counts()
        return gold_chars / ocr_chars if ocr_chars else 0.0

    def cer_or_none(self, min_gold_coverage: float = MIN_GOLD_COVERAGE) -> float | None:
        """``cer``, or None when ``gold_coverage`` is below ``min_gold_coverage`` (no gold to measure against)."""
        errors, gold_chars, ocr_chars = self.aligned_counts()
        if not gold_chars or gold_chars < min_gold_coverage * ocr_chars:
            return None
        return errors / gold_chars

    @property
    def cer(self) -> float | None:
        """Character error rate: aligned positions that differ / gold characters, over spans with gold; None for
        a document with too little gold (``gold_coverage`` below ``MIN_GOLD_COVERAGE``)."""
        return self.cer_or_none()

    @property
    def gold_fraction(self) -> float:
        """Share of aligned positions that have gold."""
        return 1 - self.gold_aligned.count("#") / max(1, len(self.gold_aligned))


def read_icdar(path: str | Path) -> IcdarDoc:
    """One ICDAR2017 document; a malformed file is a ValueError naming it."""
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    if len(lines) < 3 or any(not line.startswith(p) for line, p in zip(lines, _PREFIXES, strict=False)):
        raise ValueError(f"{path}: not an ICDAR2017 post-OCR file (expected lines {', '.join(_PREFIXES)})")
    ocr_input, aligned, gold = (line[len(p) :] for line, p in zip(lines, _PREFIXES, strict=False))
    if len(aligned) != len(gold):
        raise ValueError(f"{path}: aligned OCR and gold differ in length ({len(aligned)} vs {len(gold)})")
    return IcdarDoc(str(path), ocr_input, aligned, gold)


def is_icdar_folder(folder: str | Path) -> bool:
    first = next(iter(sorted(Path(folder).rglob("*.txt"))), None)
    return first is not None and first.read_text(encoding="utf-8", errors="replace").startswith(_PREFIXES[0])


def icdar_files(folder: str | Path) -> list[Path]:
    return sorted(Path(folder).rglob("*.txt"), key=lambda p: (str(p.parent), len(p.name), p.name))


@dataclass(frozen=True)
class SentencePair:
    id: str
    ocr: str
    gold: str
    cer: float


def read_ght(path: str | Path) -> list[SentencePair]:
    """GHT sentence pairs (TSV: id, input, output, cer, lev)."""
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = {"id", "input", "output", "cer"} - set(rows.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: not a GHT pair file, missing columns {sorted(missing)}")
        return [SentencePair(r["id"], r["input"], r["output"], float(r["cer"])) for r in rows]


def read_texts(folder: str | Path, side: str = "gold", pattern: str = "*.txt") -> list[tuple[str, str]]:
    """(name, text) of every file under ``folder``: plain text files, or ICDAR2017 files (``side``: gold or ocr)."""
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"{folder}: no such file or folder")
    if folder.is_file():
        return [(folder.name, folder.read_text(encoding="utf-8", errors="replace"))]
    if is_icdar_folder(folder):
        out = []
        for p in icdar_files(folder):
            doc = read_icdar(p)
            out.append((str(p.relative_to(folder)), doc.gold if side == "gold" else doc.ocr_input))
        return out
    return [
        (str(p.relative_to(folder)), p.read_text(encoding="utf-8", errors="replace"))
        for p in sorted(folder.rglob(pattern))
    ]
