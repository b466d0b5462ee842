"""unwrap_lines: printed lines joined into paragraphs page by page; page separators stay."""

from __future__ import annotations

from cleanup_util import book, old_books, pages_of, run
from helpers import counter

from filters.cleanup.unwrap_lines import UnwrapLines

PARAGRAPHS = (
    "The first paragraph runs over\n"
    "several printed lines of about\n"
    "the same length until it ends.\n"
    "\n"
    "A second paragraph starts after\n"
    "a blank line and it ends with a\n"
    "short line.\n"
    "A third one follows at once and\n"
    "its lines are joined with spaces."
)


def test_lines_become_paragraphs_at_blank_lines_and_after_short_lines():
    block = UnwrapLines()
    (doc,) = run(block, book(PARAGRAPHS))
    assert pages_of(doc) == [
        "The first paragraph runs over several printed lines of about the same length until it ends.\n\n"
        "A second paragraph starts after a blank line and it ends with a short line.\n\n"
        "A third one follows at once and its lines are joined with spaces."
    ]
    assert counter(block, "lines_joined") == 5
    assert counter(block, "paragraphs") == 3


def test_indented_lines_start_paragraphs_and_attached_dashes_join_without_space():
    text = (
        "one line of text that is long\n  an indented line starts anew\nand it ends with a dash—\n"
        "then more text goes on here"
    )
    (doc,) = run(UnwrapLines(), book(text))
    assert pages_of(doc) == [
        "one line of text that is long\n\n"
        "an indented line starts anew and it ends with a dash—then more text goes on here"
    ]


def test_page_separators_stay_and_every_page_is_unwrapped_on_its_own():
    (doc,) = run(UnwrapLines(paragraph_separator="\n"), book("a b\nc d", "", "e f\n\ng h"))
    assert pages_of(doc) == ["a b c d", "", "e f\ng h"]


def test_an_unchanged_book_keeps_its_text_object():
    doc = book("already one paragraph", "and another")
    text = doc.text
    (out,) = run(UnwrapLines(), doc)
    assert out.text is text


def test_real_ocr_pages_keep_their_count_and_characters_and_lose_most_line_breaks(shared_data):
    docs = old_books(shared_data, ("c", "g"))
    before = [(d.metadata["n_pages"], d.text) for d in docs]
    out = run(UnwrapLines(), *docs)
    for (n, text), doc in zip(before, out, strict=True):
        assert len(pages_of(doc)) == n
        assert "".join(doc.text.split()) == "".join(text.split())  # only whitespace changes
        assert doc.text.count("\n") < 0.5 * text.count("\n")
