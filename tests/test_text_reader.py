"""Plain-text books: page files grouped into books, one file per book, bad files counted and skipped."""

from __future__ import annotations

from collections import Counter

from helpers import counter, read_all

from filters.pages import PAGE_SEPARATOR, split_pages
from pipelines.readers.text import TextBookReader

OLD_BOOKS = "ocr_pages/old_books/tesseract_otsu_txt"


def test_old_books_page_files_form_ten_books_in_page_order(shared_data):
    folder = shared_data / OLD_BOOKS
    reader = TextBookReader(str(folder), glob_pattern="*.txt", book_pattern=r"^([a-z]+)\d+", source="old_books")
    docs = read_all(reader)
    files = sorted(p.name for p in folder.glob("*.txt"))
    per_book = Counter(name[0] for name in files)
    assert len(docs) == 10
    assert {d.id: d.metadata["n_pages"] for d in docs} == {f"old_books/{b}": n for b, n in per_book.items()}
    book_a = next(d for d in docs if d.id == "old_books/a")
    page_files = book_a.metadata["page_files"]
    assert page_files[:3] == ["a006.tess.txt", "a013.tess.txt", "a014.tess.txt"]
    pages = split_pages(book_a.text, book_a.metadata["page_offsets"])
    assert len(pages) == per_book["a"] == book_a.text.count(PAGE_SEPARATOR) + 1
    for page, name in zip(pages, page_files, strict=True):
        assert page == (folder / name).read_text(encoding="utf-8").replace("\r\n", "\n")


def test_sharding_splits_books_between_tasks(shared_data):
    reader = TextBookReader(str(shared_data / OLD_BOOKS), glob_pattern="*.txt", book_pattern=r"^([a-z]+)\d+")
    ids = [[d.id for d in reader.run(rank=r, world_size=3)] for r in range(3)]
    flat = [i for shard in ids for i in shard]
    assert all(ids) and len(flat) == len(set(flat)) == 10


def test_global_limit_counts_books_over_all_tasks(shared_data):
    reader = TextBookReader(str(shared_data / OLD_BOOKS), glob_pattern="*.txt", book_pattern=r"^([a-z]+)\d+", limit=4)
    assert len(read_all(reader, world_size=3)) == 4


def test_bad_pages_are_skipped_with_reason_and_the_book_kept(tmp_path):
    (tmp_path / "x001.txt").write_text("first page of x")
    (tmp_path / "x002.txt").write_bytes(b"caf\xe9 latin-1 bytes")
    (tmp_path / "x010.txt").write_text("tenth page of x")
    (tmp_path / "y001.txt").write_bytes(b"\xff\xfe\x00broken")
    (tmp_path / "z001.txt").write_text("   \n")
    reader = TextBookReader(str(tmp_path), glob_pattern="*.txt", book_pattern=r"^([a-z])\d+", source="s")
    docs = read_all(reader)
    assert [d.id for d in docs] == ["s/x"]
    x = docs[0]
    assert x.metadata["page_files"] == ["x001.txt", "x010.txt"]
    assert x.metadata["bad_pages"] == [{"file": "x002.txt", "reason": "invalid_encoding"}]
    assert counter(reader, "skipped_pages_invalid_encoding") == 1  # x002, inside book x
    assert counter(reader, "skipped_invalid_encoding") == 1  # y: its only page is unreadable
    assert counter(reader, "skipped_empty") == 1  # z: blank


def test_one_book_per_file_with_form_feed_pages_and_skip_log(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    (books / "one.txt").write_text("page one\f\npage two\f\npage three")
    (books / "two.txt").write_text("a book without page breaks")
    (books / "bad.txt").write_bytes(b"\x80\x81")
    (books / "empty.txt").write_text("")
    reader = TextBookReader(str(books), source="b", skip_log=str(tmp_path / "skips"))
    docs = {d.id: d for d in read_all(reader)}
    assert sorted(docs) == ["b/one", "b/two"]
    assert split_pages(docs["b/one"].text, docs["b/one"].metadata["page_offsets"]) == [
        "page one",
        "page two",
        "page three",
    ]
    assert docs["b/two"].metadata["n_pages"] == 1
    log = (tmp_path / "skips" / "00000.jsonl").read_text()
    assert '"reason": "invalid_encoding"' in log and '"reason": "empty"' in log and "bad.txt" in log
