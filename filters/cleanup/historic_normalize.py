"""Optional normalisation of historic letter forms (long s, ligatures, r rotunda, superscript e), page by page."""

from __future__ import annotations

from datatrove.data import Document

from filters.cleanup.base import PageRewriter
from filters.textview import TextView

# each group is one parameter of the block, so the resolved config pins exactly which mappings ran
GROUPS: dict[str, dict[str, str]] = {
    "long_s": {"ſ": "s", "ẛ": "ṡ"},
    "ligatures": {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"},
    # "ꝛc." is the abbreviation of et cetera in early modern print; replaced before r rotunda
    "etc_abbreviation": {"ꝛc.": "etc.", "⁊c.": "etc."},
    "r_rotunda": {"ꝛ": "r", "Ꝛ": "R"},
    # a, o, u with a small e above (German print) are the umlauts
    "superscript_e": {"a\u0364": "ä", "o\u0364": "ö", "u\u0364": "ü", "A\u0364": "Ä", "O\u0364": "Ö", "U\u0364": "Ü"},
    # letters in Danish, Norwegian, Icelandic, French, Old English: off unless the corpus is known to be English
    "ae": {"æ": "ae", "Æ": "Ae"},
    "oe": {"œ": "oe", "Œ": "Oe"},
}


class HistoricNormalize(PageRewriter):
    """Map historic letter forms to modern ones; each group of mappings is a switch (see ``GROUPS``).

    On by default: ``long_s`` (ſ -> s), ``ligatures`` (ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ), ``etc_abbreviation`` (ꝛc. -> etc.),
    ``r_rotunda`` (ꝛ -> r), ``superscript_e`` (uͤ -> ü). Off by default: ``ae`` (æ -> ae) and ``oe``
    (œ -> oe), letters of their own in several languages. ``extra`` adds mappings of your own (or overrides one).

    Stats: ``chars_replaced`` (occurrences replaced), ``pages_changed``.
    """

    name = "🪶 historic normalize"

    def __init__(
        self,
        long_s: bool = True,
        ligatures: bool = True,
        etc_abbreviation: bool = True,
        r_rotunda: bool = True,
        superscript_e: bool = True,
        ae: bool = False,
        oe: bool = False,
        extra: dict[str, str] | None = None,
    ):
        super().__init__()
        switches = {
            "long_s": long_s,
            "ligatures": ligatures,
            "etc_abbreviation": etc_abbreviation,
            "r_rotunda": r_rotunda,
            "superscript_e": superscript_e,
            "ae": ae,
            "oe": oe,
        }
        self.extra = dict(extra or {})
        mapping: dict[str, str] = {}
        for group, on in switches.items():
            if on:
                mapping.update(GROUPS[group])
        mapping.update(self.extra)
        if any(not k for k in mapping):
            raise ValueError("historic_normalize: a mapping has an empty key")
        # single characters go through one str.translate; longer keys through str.replace, longest first
        self.table = str.maketrans({k: v for k, v in mapping.items() if len(k) == 1})
        self.multi = sorted(((k, v) for k, v in mapping.items() if len(k) > 1), key=lambda kv: -len(kv[0]))
        self.keys = sorted(mapping, key=len, reverse=True)

    def normalize(self, text: str) -> tuple[str, int]:
        """The normalised text and how many occurrences were replaced."""
        n = 0
        for key, value in self.multi:
            if key in text:
                n += text.count(key)
                text = text.replace(key, value)
        for ch in self.table:
            c = chr(ch)
            if c in text:
                n += text.count(c)
        return (text.translate(self.table) if n else text), n

    def rewrite(self, doc: Document, view: TextView) -> list[str] | None:
        if not any(k in view.text for k in self.keys):
            return None
        new, total, changed = [], 0, 0
        for page in view.pages:
            text, n = self.normalize(page)
            new.append(text)
            total += n
            changed += n > 0
        if not total:
            return None
        self.stat_update("chars_replaced", value=total)
        self.stat_update("pages_changed", value=changed)
        return new
