"""remove_page_separators: pages merged on output, words rejoined across pages, offsets true for one page."""

from __future__ import annotations

from cleanup_util import book, old_books, pages_of, run
from helpers import counter

from filters.cleanup.page_separators import RemovePageSeparators


def test_pages_join_with_a_paragraph_break_a_space_or_a_rejoined_word():
    block = RemovePageSeparators()
    pages = ["The end of a sentence.", "A new one that runs", "over the page and in-", "vestigates.", "", "Last."]
    (doc,) = run(block, book(*pages))
    assert pages_of(doc) == ["The end of a sentence.\n\nA new one that runs over the page and investigates.\n\nLast."]
    assert doc.metadata["page_offsets"] == [0] and doc.metadata["n_pages"] == 1
    assert doc.metadata["pages_merged"] == 6
    assert counter(block, "joined_hyphen") == 1
    assert counter(block, "joined_sentence") == 1
    assert counter(block, "joined_paragraph") == 2


def test_a_lower_case_start_continues_the_sentence_and_compounds_keep_their_hyphen():
    (doc,) = run(RemovePageSeparators(paragraph_separator="\n"), book("He said.", "then left; a well-", "known man."))
    assert pages_of(doc) == ["He said. then left; a well-known man."]


def test_real_book_becomes_one_page_with_all_its_words(shared_data):
    (doc,) = old_books(shared_data, ("b",))
    words = doc.text.split()
    (out,) = run(RemovePageSeparators(), doc)
    assert len(pages_of(out)) == 1
    assert "\f" not in out.text
    assert len(out.text.split()) <= len(words)
    assert "".join(out.text.split()).replace("-", "") == "".join(words).replace("\f", "").replace("-", "")
