"""unicode_fix: ftfy page by page, exactly ftfy.fix_text, with its config pinned as block parameters."""

from __future__ import annotations

import ftfy
from cleanup_util import book, old_books, pages_of, run
from helpers import counter

from filters.cleanup.unicode_fix import UnicodeFix
from filters.registry import resolved_params


def test_repairs_mojibake_and_ligatures_and_keeps_curly_quotes():
    block = UnicodeFix()
    (doc,) = run(block, book("the \u00e2\u20ac\u0153ﬁrst\u00e2\u20ac\u009d page", "“quoted” and ﬂat", "plain"))
    assert pages_of(doc) == ["the “first” page", "“quoted” and flat", "plain"]
    assert counter(block, "pages_fixed") == 2


def test_html_entities_are_unescaped_only_before_the_first_angle_bracket_as_ftfy_does():
    page = "fish &amp; chips\na <b> tag\nsalt &amp; vinegar"
    (doc,) = run(UnicodeFix(), book(page))
    assert pages_of(doc) == ["fish & chips\na <b> tag\nsalt &amp; vinegar"] == [ftfy.fix_text(page)]


def test_control_characters_and_carriage_returns_are_handled_like_ftfy():
    page = "a\x07b\r\nnext\rline\x1b[31m red\x1b[0m"
    (doc,) = run(UnicodeFix(uncurl_quotes=True), book(page, "‘x’"))
    assert pages_of(doc) == [ftfy.fix_text(page, uncurl_quotes=True), "'x'"]


def test_an_ascii_book_is_not_rewritten():
    doc = book("nothing to fix here", "nor here")
    text = doc.text
    (out,) = run(UnicodeFix(), doc)
    assert out.text is text


def test_every_ftfy_setting_is_a_pinned_parameter():
    params = resolved_params("unicode_fix", {})
    assert params["uncurl_quotes"] is False and params["fix_latin_ligatures"] is True
    assert params["normalization"] == "NFC"
    fields = set(ftfy.TextFixerConfig._fields) - {"explain"}
    assert fields <= set(params)


def test_real_ocr_pages_equal_ftfy_fix_text_page_by_page(shared_data):
    docs = old_books(shared_data, ("a", "c", "f"))
    block = UnicodeFix()
    expected = [[ftfy.fix_text(p, config=block.config) for p in pages_of(d)] for d in docs]
    out = run(block, *docs)
    assert [pages_of(d) for d in out] == expected
    assert "ﬁ" not in "".join(d.text for d in out)
