"""The text of one page file in any of the project's page formats (txt, ALTO, hOCR, PAGE), read the way the book
readers read it: used where single pages are compared (the OCR benchmark's gold, engine outputs, OCR on disk)."""

from __future__ import annotations

from pathlib import Path

from pipelines.readers.base import BadInput, PageText
from pipelines.readers.xmlsafe import local_name, parse_xml

PAGE_FORMATS = ("txt", "alto", "hocr", "page")
_ROOTS = {"alto": ("alto", "not_alto"), "page": ("PcGts", "not_page")}


def page_text(data: bytes, fmt: str, where: str) -> PageText:
    """Text of one page in ``fmt``. ALTO is read diplomatically (a hyphen printed at a line end stays: whether it
    counts is for the comparison to decide). Raises ``BadInput`` with a short reason."""
    if fmt == "txt":
        try:
            return PageText(data.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise BadInput("invalid_encoding", where, str(e)) from None
    if fmt == "hocr":
        from pipelines.readers.hocr import hocr_pages

        pages = hocr_pages(data, where)
        return PageText("\n\n".join(p.text for p in pages), [c for p in pages for c in p.confidences])
    if fmt not in _ROOTS:
        raise BadInput("unknown_format", where, f"{fmt!r} is not one of {PAGE_FORMATS}")
    root = parse_xml(data, where)
    expected, reason = _ROOTS[fmt]
    if local_name(root.tag) != expected:
        raise BadInput(reason, where, f"root element {local_name(root.tag)!r}")
    if fmt == "alto":
        from pipelines.readers.alto import alto_page

        return alto_page(root, join_printed_hyphens=False)
    from pipelines.readers.page import page_xml_page

    return page_xml_page(root)


def read_page_file(path: Path, fmt: str) -> PageText:
    """``page_text`` of a file. Raises ``BadInput`` (``unreadable_file`` when it cannot be opened)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise BadInput("unreadable_file", str(path), str(e)) from None
    return page_text(data, fmt, str(path))
