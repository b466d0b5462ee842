"""A text as dinglehopper's command line reads a plain text file, so that the raw metrics equal its CLI on files.

dinglehopper 0.11 (``ocr_files.plain_extract``) opens a text file with the detected encoding (a UTF-8 BOM detected as
UTF-8-SIG, so the BOM is dropped) in universal-newline mode (CR LF and CR become LF), takes its lines
(``readlines``: a final line break opens no empty line), strips every line of surrounding whitespace
(``str.strip``), passes each through its fixed ``NFC_SBB`` table (``normalize_sbb``) and joins the lines with LF; the
CER counts the grapheme clusters of that text without normalising it again. ``as_read`` does the same to a string,
whatever file or engine it came from; ``file_conventions`` is only the first part (BOM and line ends), for texts
that are normalised otherwise.
"""

from __future__ import annotations

import unicodedata

BOM = "\ufeff"

# dinglehopper's NFC_SBB table (extracted_text.unjoin_ligatures, then substitute_equivalences), applied in this
# order by str.replace after NFC
_UNJOIN = (
    ("\ueba6", "ſſ"),
    ("\ueba7", "ſſi"),
    ("\uf502", "ch"),
    ("\ueec4", "ck"),
    ("\uf4f9", "ll"),
    ("\ueba2", "ſi"),
    ("\ueada", "ſt"),
    ("\ufb01", "fi"),
    ("\ufb00", "ff"),
    ("\ufb02", "fl"),
    ("\ufb03", "ffi"),
    ("\ueec5", "ct"),
    ("\ueedc", "tz"),
    ("\uf532", "as"),
    ("\uf533", "is"),
    ("\uf534", "us"),
    ("\uf535", "Qu"),
    ("\u0133", "ij"),
    ("\ue8bf", "q&"),
    ("\ueba5", "ſp"),
    ("\ufb06", "st"),
)
_EQUIVALENCES = (
    ("\ue72b", "ü"),
    ("\ue42c", "ä"),
    ("==", "\u2013"),
    ("\u2014", "\u2013"),
    ("\ue644", "ö"),
    ("\u2019", "'"),
    ("\u2e17", "-"),
    ("a\u0364", "ä"),
    ("o\u0364", "ö"),
    ("u\u0364", "ü"),
    ("\uf50e", "q\u0301"),
)


def file_conventions(text: str) -> str:
    """``text`` without a leading BOM, its line ends (CR LF, CR) as LF: how a file is decoded, not what it says."""
    if text.startswith(BOM):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sbb(line: str) -> str:
    """dinglehopper's ``normalize_sbb``: NFC, then its ligature and equivalence table."""
    line = unicodedata.normalize("NFC", line)
    for old, new in (*_UNJOIN, *_EQUIVALENCES):
        line = line.replace(old, new)
    return line


def as_read(text: str) -> str:
    """``text`` as dinglehopper's CLI reads it from a plain text file (module docstring)."""
    text = file_conventions(text)
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return "\n".join(sbb(line.strip()) for line in lines)
