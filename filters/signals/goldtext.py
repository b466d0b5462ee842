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

    @property
    def cer(self) -> float:
        """Character error rate: aligned positions that differ / gold characters, over spans with gold."""
        errors = gold_chars = 0
        for o, g in zip(self.ocr_aligned, self.gold_aligned, strict=True):
            if g == "#":
                continue
            if g != "@":
                gold_chars += 1
            if o != g:
                errors += 1
        return errors / gold_chars if gold_chars else 0.0

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
