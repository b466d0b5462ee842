"""Layout roles of lines as the readers find them: SegmOnto/eScriptorium tags in ALTO and PAGE region types,
mapped onto the one role vocabulary of ``filters/layout.py`` (``ROLES``).

SegmOnto labels (ALTO ``TAGREFS`` -> ``OtherTag/@LABEL``) may carry a subtype and a number, ``MainZone:column#1``:
the number is dropped, the subtype is used where it names a role (``QuireMarksZone:catchword``). Zone labels tag
TextBlocks, line labels TextLines; a line's role is its line label's role when that is specific (heading, drop
capital, page number, ...) and either the zone is not furniture or the line label is furniture too
(``RunningTitleZone`` + ``HeadingLine`` is a running title; ``MainZone`` + ``NumberingLine`` a page number); else
the zone's role. The CREMMA and OCR-D variants (``Main``, ``RunningTitle``, ``Numbering``, ``Signatures``,
``Title``, ``Margin``, ``Stamp``, ``text``, ``default``) and the PAGE region types (``heading``, ``paragraph``,
``header``, ``footer``, ``page-number``, ``footnote``, ``marginalia``, ``catch-word``, ``signature-mark``,
``drop-capital``, ``caption``, ...) map onto the same roles. An unknown label is "other" (main text), and the
readers count it by name (``unknown_label``: ``unknown_region_type_<label>``); no label is None.
"""

from __future__ import annotations

import re

from filters.layout import FURNITURE

# normalised label (lower case, no "zone"/"line" suffix, no "-", "_" or spaces) -> role; None: defers to the zone
LABEL_ROLES: dict[str, str | None] = {
    # SegmOnto zones and lines
    "main": "text",
    "default": None,
    "custom": None,
    "interlinear": None,
    "heading": "heading",
    "runningtitle": "running-title",
    "numbering": "page-number",
    "quiremarks": "signature",
    "margintext": "marginalia",
    "dropcapital": "drop-capital",
    "digitizationartefact": "artefact",
    "damage": "artefact",
    "stamp": "stamp",
    "seal": "stamp",
    "graphic": "figure",
    "titlepage": "title-page",
    "table": "table",
    "music": "other",
    # CREMMA, OCR-D ALTO, Transkribus structure tags
    "title": "heading",
    "signatures": "signature",
    "margin": "marginalia",
    "text": "text",
    "commentary": "marginalia",
    "illustration": "figure",
    # PAGE region types
    "paragraph": "text",
    "header": "running-title",
    "footer": "running-title",
    "pagenumber": "page-number",
    "footnote": "footnote",
    "footnotecontinued": "footnote",
    "endnote": "footnote",
    "marginalia": "marginalia",
    "catchword": "catchword",
    "signaturemark": "signature",
    "caption": "figure",
    "credit": "other",
    "floating": "text",
    "tocentry": "text",
    "listlabel": "text",
    "other": "other",
}
# subtypes that name a role of their own
SUBTYPE_ROLES = {
    "catchword": "catchword",
    "signature": "signature",
    "pagenumber": "page-number",
    "folio": "page-number",
}
_SUFFIX = re.compile(r"(zone|line)$")


def _label_key(label: str) -> tuple[str | None, str]:
    """(the role a subtype names or None, the normalised base label) of a non-empty label."""
    base, _, subtype = label.strip().split("#")[0].partition(":")
    sub = re.sub(r"[-_\s]", "", subtype.lower())
    key = re.sub(r"[-_\s]", "", base.lower())
    return SUBTYPE_ROLES.get(sub), key if key in LABEL_ROLES else _SUFFIX.sub("", key)


def label_role(label: str | None) -> str | None:
    """Role of one SegmOnto / PAGE / CREMMA label; "other" for an unknown one, None for none (or a default line)."""
    if not label or not label.strip():
        return None
    role, key = _label_key(label)
    return role or LABEL_ROLES.get(key, "other")


def unknown_label(label: str | None) -> str | None:
    """The label (stripped) when the vocabulary does not know it (``label_role`` reads it as "other"), else None:
    the readers count these, so that no unknown region type becomes main text unseen."""
    if not label or not label.strip():
        return None
    role, key = _label_key(label)
    return None if role or key in LABEL_ROLES else label.strip()


def line_role(zone: str | None, line: str | None) -> str | None:
    """Role of a line from the roles of its zone and of its own label (see the module docstring)."""
    if line not in (None, "text") and (zone not in FURNITURE or line in FURNITURE):
        return line
    return zone if zone is not None else line


class LayoutBuilder:
    """Collects the line records of one page while its text is assembled (the ``page_layout`` entry)."""

    def __init__(self) -> None:
        self.records: list[tuple[int, int, str | None, str | None, list | None, float | None, str | None]] = []

    def add(self, start: int, end: int, role: str | None, region: str | None, box=None, size=None, style=None) -> None:
        self.records.append((start, end, role, region, box, size, style))

    def build(self, length: int) -> dict | None:
        """The page's layout dict, or None when no line has a role."""
        if not any(r[2] is not None for r in self.records):
            return None
        cols = list(zip(*self.records, strict=True))
        out = {"length": length, "start": list(cols[0]), "end": list(cols[1])}
        out |= {"role": list(cols[2]), "region": list(cols[3])}
        for k, col in zip(("box", "font_size", "font_style"), cols[4:], strict=True):
            if any(v is not None for v in col):
                out[k] = list(col)
        return out


def lines_of_regions(text: str, regions: list[dict], builder: LayoutBuilder) -> None:
    """Line records of a PAGE page: every line of a region's text span gets the role of the region's type."""
    for region in regions:
        role = label_role(region.get("type"))
        pos = region["start"]
        for line in text[region["start"] : region["end"]].split("\n"):
            builder.add(pos, pos + len(line), role, region.get("id"))
            pos += len(line) + 1
