"""hOCR books: one multi-page file per book, or one file per page grouped into books by a file-name pattern."""

from __future__ import annotations

import codecs
import posixpath
import re
from collections.abc import Iterator

import lxml.html
from datatrove.data import Document
from datatrove.io import DataFolderLike
from datatrove.utils.logging import logger
from lxml import etree

from filters.pages import natural_key
from pipelines.readers.base import BadInput, BookReader, BookRef, PageText
from pipelines.readers.xmlsafe import path_matches

LINE_CLASSES = {"ocr_line", "ocrx_line", "ocr_header", "ocr_caption", "ocr_textfloat"}
BLOCK_CLASSES = {"ocr_par", "ocr_carea"}
_WCONF = re.compile(r"\bx_wconf\s+(-?\d+(?:\.\d+)?)")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARED = re.compile(rb"""(?:encoding|charset)\s*=\s*["']?([A-Za-z0-9._:-]+)""")


def _classes(el: etree._Element) -> set[str]:
    return set((el.get("class") or "").split())


def _norm(text: str) -> str:
    return " ".join(text.split())


def decode_html(data: bytes, path: str) -> str:
    """Text of an hOCR file: BOM, then the declared encoding (XML declaration or meta charset), else UTF-8."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding is None:
        m = _DECLARED.search(data[:2048])
        encoding = m.group(1).decode("ascii") if m else "utf-8"
    try:
        text = data.decode("utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise BadInput("invalid_encoding", path, str(e)) from None
    return _XML_DECL.sub("", text, count=1)


class _PageBuilder:
    """Walks one ocr_page: lines in document order, a new paragraph at each ocr_par / ocr_carea."""

    def __init__(self) -> None:
        self.paragraphs: list[list[str]] = [[]]
        self.loose: list[str] = []  # words outside any line
        self.confidences: list[float] = []

    def break_paragraph(self) -> None:
        self._flush_loose()
        if self.paragraphs[-1]:
            self.paragraphs.append([])

    def _flush_loose(self) -> None:
        if self.loose:
            self.paragraphs[-1].append(" ".join(self.loose))
            self.loose = []

    def _word(self, el: etree._Element) -> str:
        text = _norm(el.text_content())
        if text and (m := _WCONF.search(el.get("title") or "")):
            self.confidences.append(float(m.group(1)) / 100)
        return text

    def walk(self, el: etree._Element) -> None:
        cls = _classes(el)
        if cls & LINE_CLASSES:
            self._flush_loose()
            words = [w for w in el.iter(etree.Element) if "ocrx_word" in _classes(w)]
            line = " ".join(t for w in words if (t := self._word(w))) if words else _norm(el.text_content())
            if line:
                self.paragraphs[-1].append(line)
        elif "ocrx_word" in cls:
            if text := self._word(el):
                self.loose.append(text)
        else:
            block = bool(cls & BLOCK_CLASSES)
            if block:
                self.break_paragraph()
            for child in el.iterchildren(etree.Element):
                self.walk(child)
            if block:
                self.break_paragraph()

    def page(self) -> PageText:
        self._flush_loose()
        return PageText("\n\n".join("\n".join(p) for p in self.paragraphs if p), self.confidences)


def hocr_pages(data: bytes, path: str) -> list[PageText]:
    """Pages of an hOCR file (its ocr_page elements, or the whole body when it only has ocrx_word elements)."""
    if not data.strip():
        raise BadInput("empty", path)
    try:
        root = lxml.html.document_fromstring(decode_html(data, path))
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as e:
        raise BadInput("not_hocr", path, str(e)) from None
    elements = list(root.iter(etree.Element))
    pages = [el for el in elements if "ocr_page" in _classes(el)]
    if not pages and any("ocrx_word" in _classes(el) for el in elements):
        pages = [root]
    if not pages:
        raise BadInput("not_hocr", path, "no ocr_page or ocrx_word element")
    results = []
    for page in pages:
        builder = _PageBuilder()
        builder.walk(page)
        results.append(builder.page())
    return results


class HocrBookReader(BookReader):
    """Reads hOCR books: with ``book_pattern=None`` every file is a book (its ocr_page elements are the pages); with
    a regex, files are grouped by ``re.match(book_pattern, file_name).group(1)`` within their folder, one or more
    pages per file, files in natural order of name. Files that do not match the pattern are ignored (logged).

    Lines are joined with newlines, paragraphs (ocr_par / ocr_carea) with a blank line; words are ocrx_word text
    when a line has words, else the line text. ``x_wconf`` (0-100) gives word confidences in 0..1. Bad files
    (``not_hocr``, ``invalid_encoding``, ``empty``, ``unreadable_file``) are skipped like ALTO pages: counted as
    ``skipped_pages_<reason>`` and listed in ``metadata["bad_pages"]``. ``page_files`` names the file of each page.
    """

    name = "📜 hOCR books"

    def __init__(self, path: DataFolderLike, glob_pattern: str = "*.html", book_pattern: str | None = None, **kwargs):
        super().__init__(path, **kwargs)
        self.glob_pattern = glob_pattern
        self.book_pattern = book_pattern
        self._book_re = re.compile(book_pattern) if book_pattern else None

    def list_units(self) -> list[BookRef]:
        files = [p for p in self.data_folder.list_files(recursive=True) if path_matches(p, self.glob_pattern)]
        if self._book_re is None:
            return [BookRef(posixpath.splitext(p)[0], (p,)) for p in sorted(files)]
        books: dict[str, list[str]] = {}
        unmatched = 0
        for path in files:
            folder, name = posixpath.split(path)
            if m := self._book_re.match(name):
                books.setdefault(posixpath.join(folder, m.group(1)), []).append(path)
            else:
                unmatched += 1
        if unmatched:
            logger.warning(f"[{self.source}] {unmatched} files do not match book_pattern {self.book_pattern!r}")
        return [
            BookRef(book_id, tuple(sorted(paths, key=lambda p: natural_key(posixpath.basename(p)))))
            for book_id, paths in sorted(books.items())
        ]

    def read_file(self, path: str) -> list[PageText] | BadInput:
        try:
            with self.data_folder.open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            return BadInput("unreadable_file", path, str(e))
        try:
            return hocr_pages(data, path)
        except BadInput as bad:
            return bad

    def read_unit(self, unit: BookRef) -> Iterator[Document | BadInput]:
        pages: list[tuple[str, PageText | BadInput]] = []
        for path in unit.paths:
            result = self.read_file(path)
            if isinstance(result, BadInput) and len(unit.paths) == 1:
                raise result  # a one-file book: skipped with the file's own reason
            if isinstance(result, BadInput):
                pages.append((path, result))
            else:
                pages.extend((path, page) for page in result)
        folder = posixpath.dirname(unit.paths[0]) if len(unit.paths) > 1 else unit.paths[0]
        yield self.book_from_pages(unit.id, folder, pages, {})
