"""dehyphenate: line-end hyphens joined when the joined form is a word, compounds kept, pages untouched."""

from __future__ import annotations

import pytest
from cleanup_util import book, old_books, page_named, pages_of, run
from helpers import counter

from filters.cleanup.dehyphenate import Dehyphenate


def dehyphenate(*pages: str, **params) -> tuple[list[str], Dehyphenate]:
    block = Dehyphenate(**params)
    (doc,) = run(block, book(*pages))
    return pages_of(doc), block


def test_joins_a_word_broken_at_the_line_end_when_the_joined_form_is_a_dictionary_word():
    pages, block = dehyphenate("who went to in-\nvestigate into the massacres\nnext line")
    assert pages == ["who went to investigate\ninto the massacres\nnext line"]
    assert counter(block, "hyphens_joined") == 1
    assert counter(block, "hyphen_joined_dictionary") == 1


def test_keeps_a_compound_whose_joined_form_is_no_word():
    pages, block = dehyphenate("he was a well-\nknown man of the town")
    assert pages == ["he was a well-known\nman of the town"]
    assert counter(block, "hyphen_kept_dictionary") == 1


def test_the_books_own_usage_decides_before_the_dictionary():
    kept, _ = dehyphenate("It is to-day. And to-\nday again.")
    joined, block = dehyphenate("It is today. And to-\nday again.")
    assert kept == ["It is to-day. And to-day\nagain."]
    assert joined == ["It is today. And today\nagain."]
    assert counter(block, "hyphen_joined_book") == 1


def test_keeps_the_hyphen_before_a_capital_and_joins_soft_hyphens():
    assert dehyphenate("the Anglo-\nSaxon kings")[0] == ["the Anglo-Saxon\nkings"]
    assert dehyphenate("an exam\u00ad\nple here")[0] == ["an example\nhere"]


def test_unknown_words_follow_the_unknown_parameter():
    assert dehyphenate("a zxq-\nvbn here")[0] == ["a zxq-vbn\nhere"]
    assert dehyphenate("a zxq-\nvbn here", unknown="join")[0] == ["a zxqvbn\nhere"]


def test_a_line_left_empty_goes_and_one_blank_line_between_the_halves_is_skipped():
    assert dehyphenate("to in-\nvestigate\nmore")[0] == ["to investigate\nmore"]
    assert dehyphenate("to in-\n\nvestigate more")[0] == ["to investigate\nmore"]
    assert dehyphenate("to in-\n\nvestigate more", skip_blank_line=False)[0] == ["to in-\n\nvestigate more"]


def test_numbers_and_dashes_are_not_word_breaks_and_pages_are_not_joined():
    text = "the years 1909-\n10 were hard\nend of in-"
    pages, block = dehyphenate(text, "vestigate the rest")
    assert pages == [text, "vestigate the rest"]
    assert counter(block, "hyphens_joined") == 0


def test_language_selects_the_dictionary():
    assert dehyphenate("le gouver-\nnement est", language="fr")[0] == ["le gouvernement\nest"]
    assert dehyphenate("le gouver-\nnement est", language="en")[0] == ["le gouver-nement\nest"]
    with pytest.raises(ValueError, match="no word list for language 'xx'"):
        Dehyphenate(language="xx")


def test_real_ocr_book_loses_its_line_end_hyphens_and_keeps_its_pages(shared_data):
    (doc,) = old_books(shared_data, ("a",))
    n_pages = doc.metadata["n_pages"]
    breaks_before = doc.text.count("-\n")
    block = Dehyphenate()
    (out,) = run(block, doc)
    assert len(pages_of(out)) == n_pages
    page = page_named(out, "a006")
    assert "to investigate\ninto the massacres" in page
    assert "in-\nvestigate" not in page
    assert out.text.count("-\n") < 0.2 * breaks_before
    assert counter(block, "hyphens_joined") + counter(block, "hyphens_kept") >= 0.9 * breaks_before
    assert counter(block, "hyphens_joined") > 4 * counter(block, "hyphens_kept")
