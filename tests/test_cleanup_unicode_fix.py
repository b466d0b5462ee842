"""unicode_fix: ftfy page by page, exactly ftfy.fix_text, with its config pinned as block parameters."""

from __future__ import annotations

import ftfy
import pytest
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


def test_pages_no_fixer_can_change_skip_ftfy_and_are_returned_as_they_are():
    # ECCO-style print: '∣' line-break marks, '&c.', a bullet, curly quotes, dashes; no mojibake, already NFC
    page = "the mo∣ther & c. &c. ▪ “quoted” — ſ ⁂ ∣ end\nnext line & more"
    block = UnicodeFix()
    assert block.fix_page(page) is page
    assert ftfy.fix_text(page, config=block.config) == page


def test_mojibake_witnesses_are_read_from_the_pinned_ftfy():
    from ftfy.badness import BADNESS_RE

    from filters.cleanup.ftfy_inert import mojibake_witnesses, window_search

    witnesses = mojibake_witnesses(BADNESS_RE)
    assert witnesses is not None and window_search(BADNESS_RE, set()) is not None  # the fast path is in use
    assert {"Ã", "Â", "€", "\x80"} <= witnesses
    assert not {"∣", "▪", "&", "e", "ſ"} & witnesses
    assert all(ord(c) >= 0x80 for c in witnesses)


RISKY = [
    *"abcXYZ .,;&<>#\n\t0123∣▪ſ—’“”\xa0ﬁĲ\x1b\x85\r\u0301\u0308éeœ\ufeffＦ\u2028",
    *["&amp;", "&c.", "Ã©", "â€™", "Â ", "Ã ", "&#x2019;", "\x1b[31m", "ÃƒÂ©"],
]


@pytest.mark.parametrize("config", [{}, {"uncurl_quotes": True}, {"normalization": "NFKC", "unescape_html": True}])
def test_random_strings_of_risky_characters_equal_ftfy(config):
    import random

    from ftfy.badness import BADNESS_RE, is_bad

    from filters.cleanup.ftfy_inert import mojibake_witnesses, window_search

    rng = random.Random(7)
    alphabet = RISKY + sorted(mojibake_witnesses(BADNESS_RE))
    looks_bad = window_search(BADNESS_RE, set())
    block = UnicodeFix(**config)
    for _ in range(8_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        assert block.fix_page(s) == ftfy.fix_text(s, config=block.config), repr(s)
        lines = s.split("\n")
        if any(is_bad(line + "\n") for line in lines[:-1]) or is_bad(lines[-1]):
            assert looks_bad(s), repr(s)  # the windowed search never misses a segment ftfy finds bad


def test_clean_books_and_french_ocr_equal_ftfy_fix_text(shared_data):
    from filters.signals.goldtext import icdar_files, read_icdar, read_texts

    pages = [t for _, t in read_texts(shared_data / "clean_books/ecco_tcp")[:6]]
    pages += [t[:200_000] for _, t in read_texts(shared_data / "clean_books/gutenberg/Poe, Edgar Allan")[:2]]
    icdar = shared_data / "ocr_gold/icdar2017/Full_12M"
    pages += [
        read_icdar(p).ocr_input for sub in ("fr_monograph", "eng_periodical") for p in icdar_files(icdar / sub)[:150]
    ]
    for config in ({}, {"uncurl_quotes": True, "fix_character_width": True}):
        block = UnicodeFix(**config)
        assert [block.fix_page(p) for p in pages] == [ftfy.fix_text(p, config=block.config) for p in pages]
