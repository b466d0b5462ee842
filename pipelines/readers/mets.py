"""METS beside a book's pages: the physical page order (``physical_order``) and the work's bibliographic metadata
(``mets_fields``): MODS, else Dublin Core.

The record read is the one the METS names for the whole work (the ``DMDID`` of the first ``div`` of the logical
structMap that has one), else the first MODS (or DC) record in the file; fields come from that record's own
elements, never from a ``relatedItem`` (series, host) inside it:

- ``title``: ``titleInfo`` (the first that is not an alternative title): ``nonSort`` + ``title``;
- ``author``: every ``name`` whose ``roleTerm`` is ``aut``/``author`` (``cre``/``creator`` when none is),
  ``displayForm`` or its ``namePart``s (given before family), joined with "; ";
- ``date``: ``originInfo/dateIssued`` (the ``keyDate`` one first), else ``dateCreated``; ``year`` its first
  four-digit number;
- ``language``: the first ``languageTerm`` code, as ISO 639-1 where it has one (``deu`` -> ``de``), so that the
  OCR-quality signals read it as they read a detected language;
- ``identifiers``: ``{type: value}`` of its ``identifier``s and ``recordInfo/recordIdentifier``;
- ``license``: the ``accessCondition`` of type ``use and reproduction`` (else the first), its text and link.

Dublin Core (``dc:title``, ``creator``, ``date``, ``language``, ``identifier``, ``rights``) fills the same keys.
Keys without a value are left out.
"""

from __future__ import annotations

import posixpath
import re

from lxml import etree

from pipelines.readers.xmlsafe import local_name

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
MODS = "http://www.loc.gov/mods/v3"
DC = "http://purl.org/dc/elements/1.1/"
ISO639_1 = {  # ISO 639-2 (B and T) -> 639-1, for the languages of the collections we know of
    "deu": "de", "ger": "de", "eng": "en", "fra": "fr", "fre": "fr", "lat": "la", "ita": "it", "spa": "es",
    "nld": "nl", "dut": "nl", "por": "pt", "dan": "da", "swe": "sv", "nor": "no", "pol": "pl", "ces": "cs",
    "cze": "cs", "hun": "hu", "fin": "fi", "rus": "ru", "grc": "grc", "ell": "el", "gre": "el", "heb": "he",
    "cos": "co", "cat": "ca", "slv": "sl", "bul": "bg",
}  # fmt: skip
AUTHOR_ROLES = ("aut", "author")
CREATOR_ROLES = ("cre", "creator")


def _text(el: etree._Element | None) -> str | None:
    text = " ".join("".join(el.itertext()).split()) if el is not None else ""
    return text or None


def _own(record: etree._Element, name: str) -> list[etree._Element]:
    """Elements ``name`` (MODS namespace) inside ``record`` but not inside a ``relatedItem`` of it."""
    out = []
    for el in record.iter(f"{{{MODS}}}{name}"):
        a = el.getparent()
        while a is not None and a is not record and local_name(a.tag) != "relatedItem":
            a = a.getparent()
        if a is record:
            out.append(el)
    return out


def language_code(code: str | None) -> str | None:
    """ISO 639-1 for a 639-2 code where there is one; other codes as given (lower case, region dropped)."""
    if not code or not code.strip():
        return None
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return ISO639_1.get(code, code)


def _year(date: str | None) -> int | None:
    m = re.search(r"(?<!\d)(\d{4})(?!\d)", date or "")
    return int(m.group(1)) if m else None


def _name(el: etree._Element) -> str | None:
    if shown := _text(next(el.iterchildren(f"{{{MODS}}}displayForm"), None)):
        return shown
    parts = {p.get("type"): _text(p) for p in el.iterchildren(f"{{{MODS}}}namePart")}
    if "family" in parts or "given" in parts:
        return " ".join(p for p in (parts.get("given"), parts.get("family")) if p) or None
    return " ".join(p for p in parts.values() if p) or None


def _authors(record: etree._Element) -> str | None:
    named = [(n, {(_text(r) or "").lower() for r in n.iter(f"{{{MODS}}}roleTerm")}) for n in _own(record, "name")]
    for roles in (AUTHOR_ROLES, CREATOR_ROLES):
        found = [_name(n) for n, terms in named if terms & set(roles)]
        if found := [f for f in found if f]:
            return "; ".join(found)
    return None


def mods_fields(record: etree._Element) -> dict:
    """The keys of the module docstring from one ``mods:mods`` record."""
    out: dict = {}
    titles = [t for t in _own(record, "titleInfo") if t.get("type") != "alternative"] or _own(record, "titleInfo")
    for info in titles:
        parts = [_text(next(info.iterchildren(f"{{{MODS}}}{k}"), None)) for k in ("nonSort", "title")]
        if title := " ".join(p for p in parts if p):
            out["title"] = title
            break
    if author := _authors(record):
        out["author"] = author
    dates = sorted(_own(record, "dateIssued"), key=lambda d: d.get("keyDate") != "yes") or _own(record, "dateCreated")
    if date := next((t for d in dates if (t := _text(d))), None):
        out["date"] = date
    if lang := next((c for t in _own(record, "languageTerm") if (c := language_code(_text(t)))), None):
        out["language"] = lang
    ids = {(i.get("type") or "id"): _text(i) for i in _own(record, "identifier") if _text(i)}
    ids |= {(i.get("source") or "record"): _text(i) for i in _own(record, "recordIdentifier") if _text(i)}
    if ids:
        out["identifiers"] = ids
    access = _own(record, "accessCondition")
    use = [a for a in access if (a.get("type") or "").lower() == "use and reproduction"] or access[:1]
    if use:
        text, href = _text(use[0]), use[0].get(XLINK_HREF)
        out["license"] = f"{text} ({href})" if text and href else (text or href)
    return {k: v for k, v in out.items() if v}


def dc_fields(root: etree._Element) -> dict:
    """The same keys from Dublin Core elements (``dc:*``) anywhere in ``root``."""

    def values(name: str) -> list[str]:
        return [t for el in root.iter(f"{{{DC}}}{name}") if (t := _text(el))]

    out: dict = {}
    for key, name in (("title", "title"), ("date", "date"), ("license", "rights")):
        if found := values(name):
            out[key] = found[0]
    if creators := values("creator"):
        out["author"] = "; ".join(creators)
    if langs := values("language"):
        out["language"] = language_code(langs[0])
    if ids := values("identifier"):
        out["identifiers"] = {"id": ids[0]} if len(ids) == 1 else {f"id{i + 1}": v for i, v in enumerate(ids)}
    return {k: v for k, v in out.items() if v}


def _work_record(root: etree._Element) -> etree._Element | None:
    """The dmdSec the logical structMap names for the work, else None."""
    sections = {d.get("ID"): d for d in root.iter("{*}dmdSec")}
    for smap in root.iter("{*}structMap"):
        if (smap.get("TYPE") or "").upper() != "LOGICAL":
            continue
        for div in smap.iter("{*}div"):
            for ref in (div.get("DMDID") or "").split():
                if ref in sections:
                    return sections[ref]
    return None


def mets_fields(root: etree._Element) -> dict:
    """Title, author, date, year, language, identifiers and licence of the work a METS file describes."""
    work = _work_record(root)
    scope = work if work is not None else root
    mods = next(scope.iter(f"{{{MODS}}}mods"), None)
    out = mods_fields(mods) if mods is not None else {}
    if not out:
        out = dc_fields(scope)
    if (year := _year(out.get("date"))) is not None:
        out["year"] = year
    return out


def resolve_href(href: str, folder: str) -> str:
    """Path relative to the data folder of a METS FLocat href (relative to the METS's ``folder``); URLs are matched
    by file name within ``folder``."""
    href = href.removeprefix("file://")
    if "://" in href:
        href = href.split("?")[0].rstrip("/").rpartition("/")[2]
    return posixpath.normpath(posixpath.join(folder, href)) if folder else posixpath.normpath(href)


def physical_order(root: etree._Element, mets_folder: str, pages: list[str]) -> list[str] | None:
    """``pages`` in the METS physical structMap's order, or None unless the METS references every one of them."""
    hrefs: dict[str, list[str]] = {}
    for file in root.iter("{*}file"):
        hrefs[file.get("ID")] = [loc.get(XLINK_HREF) or "" for loc in file.iter("{*}FLocat")]
    physical = [m for m in root.iter("{*}structMap") if (m.get("TYPE") or "").upper() == "PHYSICAL"]
    if not physical:
        return None
    divs = [d for d in physical[0].iter("{*}div") if (d.get("TYPE") or "").lower() == "page"]
    orders = [d.get("ORDER") or "" for d in divs]
    if all(o.strip().lstrip("-").isdigit() for o in orders):
        divs = [divs[i] for i in sorted(range(len(divs)), key=lambda i: int(orders[i]))]
    present = set(pages)
    ordered: list[str] = []
    for div in divs:
        for fptr in div.iterchildren("{*}fptr"):
            for href in hrefs.get(fptr.get("FILEID"), []):
                path = resolve_href(href, mets_folder)
                if path in present and path not in ordered:
                    ordered.append(path)
    return ordered if len(ordered) == len(present) else None
