"""Plain-text books: one book per file, or one page per file grouped into books by a file-name pattern."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from datatrove.data import Document
from datatrove.io import DataFolderLike

from filters.pages import natural_key
from pipelines.readers.base import BadInput, BookReader, BookRef, PageText


class TextBookReader(BookReader):
    """Reads ``.txt`` books.

    With ``book_pattern`` unset every file is a book, split into pages at form feeds (``\f``, as pdftotext
    writes them) when ``form_feed_pages`` is on. With it set, every file is a page and the pattern's first
    group, matched against the path relative to ``data_folder``, names the book: ``^([a-z]+)\\d+`` groups the
    pages ``a006.txt, a013.txt, ...`` into book ``a``. Pages are ordered by natural sort of their paths.
    A page that cannot be decoded is skipped (counted as ``skipped_pages_<reason>``); its book is kept.
    """

    name = "📄 text books"

    def __init__(
        self,
        path: DataFolderLike,
        glob_pattern: str = "**/*.txt",
        book_pattern: str | None = None,
        encoding: str = "utf-8",
        form_feed_pages: bool = True,
        **kwargs,
    ):
        super().__init__(path, **kwargs)
        self.glob_pattern = glob_pattern
        self.book_pattern = re.compile(book_pattern) if book_pattern else None
        self.encoding = encoding
        self.form_feed_pages = form_feed_pages

    def list_units(self) -> list[BookRef]:
        files = sorted(self.data_folder.list_files(glob_pattern=self.glob_pattern), key=natural_key)
        if self.book_pattern is None:
            return [BookRef(id=re.sub(r"\.txt$", "", f), paths=(f,)) for f in files]
        books: dict[str, list[str]] = defaultdict(list)
        for f in files:
            m = self.book_pattern.search(f)
            if m is None:
                self.stat_update("skipped_pages_no_book_match")
                continue
            books[m.group(1)].append(f)
        return [BookRef(id=b, paths=tuple(books[b])) for b in sorted(books, key=natural_key)]

    def _read_page(self, path: str) -> str:
        try:
            with self.data_folder.open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise BadInput("unreadable_file", path, str(e)) from e
        try:
            return raw.decode(self.encoding).replace("\r\n", "\n")
        except UnicodeDecodeError as e:
            raise BadInput("invalid_encoding", path, str(e)) from e

    def _page(self, path: str) -> PageText | BadInput:
        try:
            return PageText(self._read_page(path))
        except BadInput as bad:
            return bad

    def read_unit(self, unit: BookRef) -> Iterator[Document]:
        pages = [(path, self._page(path)) for path in unit.paths]
        first = pages[0][1]
        if self.book_pattern is None and self.form_feed_pages and isinstance(first, PageText) and "\f" in first.text:
            pages = [(pages[0][0], PageText(p.strip("\n"))) for p in first.text.split("\f")]
        yield self.book_from_pages(unit.id, unit.id, pages, {})
