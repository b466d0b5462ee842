"""Small helpers for the clean-up block tests: books made of pages we write, and running one block."""

from __future__ import annotations

from datatrove.data import Document

from filters.pages import join_pages, split_pages


def book(*pages: str, doc_id: str = "t/book") -> Document:
    text, offsets = join_pages(list(pages))
    return Document(text=text, id=doc_id, metadata={"page_offsets": offsets, "n_pages": len(pages)})


def run(block, *docs: Document) -> list[Document]:
    return list(block.run(iter(docs)))


def pages_of(doc: Document) -> list[str]:
    """The pages of a document by its offsets, checking that offsets and n_pages agree with the text."""
    pages = split_pages(doc.text, doc.metadata["page_offsets"])
    assert len(pages) == doc.metadata["n_pages"]
    assert "\f".join(pages) == doc.text.replace("\n\f\n", "\f"), "page offsets do not match the separators"
    return pages


def old_books(shared_data, books: tuple[str, ...] = ()) -> list[Document]:
    """Tesseract pages of ocr_pages/old_books as books (TextBookReader, book_pattern '^([a-z]+)\\d+')."""
    from pipelines.readers.text import TextBookReader

    reader = TextBookReader(
        str(shared_data / "ocr_pages/old_books/tesseract_otsu_txt"), glob_pattern="*.txt", book_pattern=r"^([a-z]+)\d+"
    )
    docs = list(reader.run())
    return [d for d in docs if not books or d.id.rsplit("/", 1)[-1] in books]


def page_named(doc: Document, page_id: str) -> str:
    """The current text of the page read from file ``<page_id>.tess.txt``."""
    names = [f.split(".")[0] for f in doc.metadata["page_files"]]
    return pages_of(doc)[names.index(page_id)]
