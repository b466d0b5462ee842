"""Safe XML parsing and path matching shared by the ALTO and hOCR readers."""

from __future__ import annotations

import posixpath
from fnmatch import fnmatchcase

from lxml import etree

from pipelines.readers.base import BadInput

_ENCODING_ERRORS = {etree.ErrorTypes.ERR_INVALID_ENCODING, etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING}
_ENTITY_ERRORS = {etree.ErrorTypes.ERR_ENTITY_LOOP, etree.ErrorTypes.ERR_RESOURCE_LIMIT}


def safe_xml_parser() -> etree.XMLParser:
    """A parser that never fetches anything and never expands entities in element text."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def local_name(tag: object) -> str:
    """Tag name without namespace ('' for comments and processing instructions)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def parse_xml(data: bytes, path: str) -> etree._Element:
    """Parse XML bytes safely; raise ``BadInput`` with a short reason when they cannot be used."""
    if not data.strip():
        raise BadInput("empty", path)
    if b"<!ENTITY" in data:  # no OCR format needs entity declarations; they are how expansion bombs work
        raise BadInput("xml_entities", path)
    try:
        return etree.fromstring(data, safe_xml_parser())
    except etree.XMLSyntaxError as e:
        if e.code in _ENCODING_ERRORS:
            raise BadInput("invalid_encoding", path, str(e)) from None
        if e.code in _ENTITY_ERRORS or "amplification" in str(e):
            raise BadInput("xml_entities", path, str(e)) from None
        raise BadInput("malformed_xml", path, str(e)) from None


def read_xml(folder, path: str) -> etree._Element | BadInput:
    """The parsed root of the file ``path`` in a datatrove folder, or a ``BadInput`` saying why it cannot be read
    (``unreadable_file`` and the reasons of ``parse_xml``)."""
    try:
        with folder.open(path, "rb") as f:
            return parse_xml(f.read(), path)
    except OSError as e:
        return BadInput("unreadable_file", path, str(e))
    except BadInput as bad:
        return bad


def path_matches(rel_path: str, pattern: str) -> bool:
    """A pattern without '/' matches the file name at any depth, one with '/' the relative path ('**/': 0+ dirs)."""
    if "/" not in pattern:
        return fnmatchcase(posixpath.basename(rel_path), pattern)
    return fnmatchcase(rel_path, pattern) or (pattern.startswith("**/") and fnmatchcase(rel_path, pattern[3:]))
