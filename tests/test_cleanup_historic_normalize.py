"""historic_normalize: each group of historic letter mappings is a switch pinned in the config."""

from __future__ import annotations

from cleanup_util import book, pages_of, run
from helpers import counter

from filters.cleanup.historic_normalize import HistoricNormalize
from filters.registry import resolved_params


def test_default_mappings_and_letters_kept_by_default():
    block = HistoricNormalize()
    (doc,) = run(block, book("ſome ﬁne ﬂowers ꝛc. and uͤber", "Cæsar and œuvre", "plain"))
    assert pages_of(doc) == ["some fine flowers etc. and über", "Cæsar and œuvre", "plain"]
    assert counter(block, "chars_replaced") == 5
    assert counter(block, "pages_changed") == 1


def test_switches_and_extra_mappings():
    block = HistoricNormalize(long_s=False, ae=True, oe=True, extra={"vv": "w", "ꝛ": "r"})
    (doc,) = run(block, book("ſome Cæsar œuvre vvorld ꝛeſt"))
    assert pages_of(doc) == ["ſome Caesar oeuvre world reſt"]


def test_unchanged_book_keeps_its_text_object_and_parameters_are_pinned():
    doc = book("modern text only")
    text = doc.text
    (out,) = run(HistoricNormalize(), doc)
    assert out.text is text
    assert resolved_params("historic_normalize", {}) == {
        "long_s": True,
        "ligatures": True,
        "etc_abbreviation": True,
        "r_rotunda": True,
        "superscript_e": True,
        "ae": False,
        "oe": False,
        "extra": None,
    }
