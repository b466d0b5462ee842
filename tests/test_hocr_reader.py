"""HocrBookReader on the OCRopus hOCR of the old-books set and on small written fixtures."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from datatrove.data import Document

from filters.pages import split_pages
from pipelines.readers.hocr import HocrBookReader

BOOK_PATTERN = r"^([a-z]+)\d+"


def read(reader: HocrBookReader, rank: int = 0, world_size: int = 1) -> list[Document]:
    return list(reader.run(rank=rank, world_size=world_size))


def pages_of(doc: Document) -> list[str]:
    return split_pages(doc.text, doc.metadata["page_offsets"])


def stat(reader: HocrBookReader, name: str) -> float:
    return reader.stats.stats[name].total if name in reader.stats.stats else 0


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def word(text: str, conf: int | None = None) -> str:
    title = "bbox 0 0 10 10" + (f"; x_wconf {conf}" if conf is not None else "")
    return f"<span class='ocrx_word' title='{title}'>{text}</span>"


def hocr(*pages: str, head: str = "") -> str:
    """An XHTML hOCR document (Tesseract style) holding the given ocr_page bodies."""
    body = "".join(
        f"<div class='ocr_page' title='bbox 0 0 100 100; ppageno {i}'>{p}</div>" for i, p in enumerate(pages)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title>'
        f"{head}<meta name='ocr-system' content='tesseract'/></head><body>{body}</body></html>"
    )


def par(*lines: list[str]) -> str:
    spans = "".join("<span class='ocr_line'>" + " ".join(ws) + "</span>" for ws in lines)
    return f"<p class='ocr_par'>{spans}</p>"


def simple_page(text: str) -> str:
    return hocr(f"<span class='ocr_line'>{text}</span>")


# ---------- real data ----------


def test_old_books_hocr_grouped_by_pattern(shared_data: Path) -> None:
    folder = shared_data / "ocr_pages" / "old_books" / "ocropus_otsu_hocr"
    files = sorted(p.name for p in folder.glob("*.html"))
    expected = Counter(re.match(BOOK_PATTERN, name).group(1) for name in files)
    assert len(expected) == 10, f"expected the 10 old books in {folder}"
    reader = HocrBookReader(str(folder), book_pattern=BOOK_PATTERN, source="old_books")
    docs = read(reader)
    assert {d.id: d.metadata["n_pages"] for d in docs} == {f"old_books/{b}": n for b, n in expected.items()}
    for doc in docs:
        meta = doc.metadata
        assert len(meta["page_offsets"]) == len(meta["page_files"]) == meta["n_pages"]
        letter = doc.id.removeprefix("old_books/")
        assert meta["page_files"] == sorted(
            (f for f in files if f.startswith(letter)), key=lambda f: int(re.search(r"\d+", f).group())
        )
        # OCRopus 0.4 wrote ocr_line spans only: no ocrx_word, no x_wconf
        assert meta["word_confidence"] is None and set(meta["page_word_confidence"]) == {None}
        assert "bad_pages" not in meta
    (a,) = [d for d in docs if d.id == "old_books/a"]
    first = pages_of(a)[0].split("\n")
    assert first[:2] == [
        "When this bool was written, the writer was",
        "under the supposition then generally current that",
    ]


def test_old_books_sharding(shared_data: Path) -> None:
    folder = str(shared_data / "ocr_pages" / "old_books" / "ocropus_otsu_hocr")
    everything = {d.id for d in read(HocrBookReader(folder, book_pattern=BOOK_PATTERN))}
    shards = [{d.id for d in read(HocrBookReader(folder, book_pattern=BOOK_PATTERN), r, 2)} for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 5
    assert not shards[0] & shards[1] and shards[0] | shards[1] == everything


def test_old_books_one_book_per_file_without_pattern(shared_data: Path) -> None:
    folder = shared_data / "ocr_pages" / "old_books" / "ocropus_otsu_hocr"
    reader = HocrBookReader(str(folder), glob_pattern="b01*.html")
    docs = read(reader)
    assert [d.id for d in docs] == [f"books/{p.stem}" for p in sorted(folder.glob("b01*.html"))]
    assert all(d.metadata["n_pages"] == 1 for d in docs)


# ---------- written fixtures ----------


def test_multi_page_file_lines_paragraphs_and_confidence(tmp_path: Path) -> None:
    page1 = par([word("Hello", 90), word("world", 80)], [word("again", 70)]) + par([word("Next", 100)])
    page2 = "<div class='ocr_carea'>" + par([word("no"), word("conf")]) + "</div>"
    write(tmp_path / "book.hocr", hocr(page1, page2))
    (doc,) = read(HocrBookReader(str(tmp_path), glob_pattern="*.hocr"))
    assert doc.id == "books/book"
    assert pages_of(doc) == ["Hello world\nagain\n\nNext", "no conf"]
    assert doc.metadata["page_files"] == ["book.hocr", "book.hocr"]
    assert doc.metadata["page_word_confidence"] == [pytest.approx(0.85), None]
    assert doc.metadata["word_confidence"] == pytest.approx(0.85)


def test_words_without_lines_and_entities(tmp_path: Path) -> None:
    html = "<html><body><p class='ocr_par'>" + word("caf&eacute;&nbsp;au", 50) + word("lait") + "</p></body></html>"
    write(tmp_path / "w.html", html)
    (doc,) = read(HocrBookReader(str(tmp_path)))
    assert doc.text == "café au lait" and doc.metadata["word_confidence"] == pytest.approx(0.5)


def test_pages_in_natural_order(tmp_path: Path) -> None:
    for n in (10, 2, 1):
        write(tmp_path / f"x{n}.html", simple_page(f"page {n}"))
    (doc,) = read(HocrBookReader(str(tmp_path), book_pattern=BOOK_PATTERN))
    assert doc.id == "books/x" and pages_of(doc) == ["page 1", "page 2", "page 10"]


def test_declared_encoding_is_used(tmp_path: Path) -> None:
    html = simple_page("Œuvres complètes").replace("UTF-8", "windows-1252")
    write(tmp_path / "p1.html", html.encode("cp1252"))
    (doc,) = read(HocrBookReader(str(tmp_path)))
    assert doc.text == "Œuvres complètes"


def test_bad_files_are_skipped_pages(tmp_path: Path) -> None:
    write(tmp_path / "a1.html", simple_page("first page"))
    write(tmp_path / "a2.html", simple_page("caf\xe9").encode("latin-1"))  # declared UTF-8, invalid bytes
    write(tmp_path / "a3.html", "<html><body><p>Just a web page.</p></body></html>")
    write(tmp_path / "a4.html", "")
    write(tmp_path / "a5.html", simple_page("last page"))
    reader = HocrBookReader(str(tmp_path), book_pattern=BOOK_PATTERN)
    (doc,) = read(reader)
    assert pages_of(doc) == ["first page", "last page"]
    assert doc.metadata["bad_pages"] == [
        {"file": "a2.html", "reason": "invalid_encoding"},
        {"file": "a3.html", "reason": "not_hocr"},
        {"file": "a4.html", "reason": "empty"},
    ]
    for reason in ("invalid_encoding", "not_hocr", "empty"):
        assert stat(reader, f"skipped_pages_{reason}") == 1


def test_book_of_bad_files_gives_no_document(tmp_path: Path) -> None:
    write(tmp_path / "a1.html", simple_page("fine"))
    write(tmp_path / "b1.html", b"<html>\xff\xfe\xfa</html>")
    write(tmp_path / "b2.html", "<html><body>nothing</body></html>")
    reader = HocrBookReader(str(tmp_path), book_pattern=BOOK_PATTERN)
    assert [d.id for d in read(reader)] == ["books/a"]
    assert stat(reader, "skipped_no_readable_pages") == 1
    assert stat(reader, "skipped_pages_invalid_encoding") == stat(reader, "skipped_pages_not_hocr") == 1


def test_dtd_entities_are_not_expanded(tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    html = simple_page("x &l9; y").replace("<html", f'<!DOCTYPE html [<!ENTITY l0 "lol">{lol}]>\n<html', 1)
    write(tmp_path / "bomb.html", html)
    (doc,) = read(HocrBookReader(str(tmp_path)))
    assert "lol" not in doc.text and len(doc.text) < 100


def test_one_file_book_that_is_bad_is_skipped_with_its_reason(tmp_path: Path) -> None:
    write(tmp_path / "good.html", simple_page("fine"))
    write(tmp_path / "plain.html", "<html><body><p>Just a web page.</p></body></html>")
    reader = HocrBookReader(str(tmp_path))
    assert [d.id for d in read(reader)] == ["books/good"]
    assert stat(reader, "skipped_not_hocr") == 1 and stat(reader, "skipped_pages_not_hocr") == 0
