"""page_furniture: running heads, page numbers, signatures, catchwords and notices found by repetition."""

from __future__ import annotations

from cleanup_util import book, old_books, page_named, pages_of, run
from helpers import counter

from filters.cleanup.page_furniture import PageFurniture, line_key

BODY = [
    "It was the best of times, it was the worst\nof times, it was the age of wisdom, and",
    "the season of Light, it was the season of\nDarkness, it was the spring of hope,",
    "everything before us, we had nothing\nbefore us, we were all going direct to",
    "Heaven, we were all going direct the\nother way; in short, the period was",
    "so far like the present period, that some\nof its noisiest authorities insisted on",
    "its being received, for good or for evil,\nin the superlative degree of comparison",
]


def printed_book() -> list[str]:
    """Six pages as an OCR engine reads them: alternating running heads with page numbers, OCR noise in one head,
    a printed signature at the foot of a page and a catchword at the foot of another."""
    heads = [
        "36 THE HISTORY OF ENGLAND",
        "THE HISTORY OF ENGLAND. 37",
        "38 THE HISTORY OF ENGLAND",
        "THE HlSTORY 0F ENGLAND 39",
        "40 THE HISTORY OF ENGLAND",
        "THE HISTORY OF ENGLAND. 41",
    ]
    pages = [f"{h}\n\n{b}" for h, b in zip(heads, BODY, strict=True)]
    pages[1] += "\n\nB2"
    pages[2] += "\nHeaven,"
    pages[3] += "\n\nB3"
    pages[5] += "\n\nB4"
    return pages


def test_running_heads_signatures_and_catchwords_go_and_the_body_stays():
    block = PageFurniture()
    (doc,) = run(block, book(*printed_book()))
    pages = [p.strip() for p in pages_of(doc)]
    assert pages == BODY
    assert counter(block, "running_heads") == 6
    assert counter(block, "signatures") == 3
    assert counter(block, "catchwords") == 1
    assert counter(block, "lines_removed") == 10


def test_page_numbers_alone_at_the_foot_and_notices_anywhere():
    pages = [f"{b}\n\n{n}" for b, n in zip(BODY, ["- 7 -", "8", "9", "(10)", "l1", "12"], strict=True)]
    pages[2] = "Digitized by Google\n" + pages[2]
    block = PageFurniture()
    (doc,) = run(block, book(*pages))
    assert [p.strip() for p in pages_of(doc)] == BODY
    assert counter(block, "page_numbers") == 6
    assert counter(block, "notices") == 1


def test_a_line_repeated_on_most_pages_goes_wherever_it_stands():
    stamp = "PROPERTY OF THE PUBLIC LIBRARY"
    tails = ["\n" + BODY[(i + 3) % 6] for i in range(6)]
    pages = [b + (f"\n{stamp}" if i % 3 else "") + t for i, (b, t) in enumerate(zip(BODY, tails, strict=True))]
    block = PageFurniture(catchwords=False)
    (doc,) = run(block, book(*pages))
    assert pages_of(doc) == [b + t for b, t in zip(BODY, tails, strict=True)]
    assert counter(block, "repeated_lines") == 4


def test_body_lines_that_do_not_repeat_stay_and_short_books_are_left_alone_below_min_pages():
    doc = book(*BODY)
    text = doc.text
    (out,) = run(PageFurniture(), doc)
    assert out.text is text
    two = book("HEAD\n\nbody one", "HEAD\n\nbody two")
    text = two.text
    (out,) = run(PageFurniture(min_pages=3), two)
    assert out.text is text


def test_a_two_page_book_loses_its_running_head_repeated_once():
    (out,) = run(PageFurniture(), book("HEAD\n\nbody one", "HEAD\n\nbody two"))
    assert [p.strip() for p in pages_of(out)] == ["body one", "body two"]


FULL = [f"ſo daß wir allhier die gantze Sache {n} nach der Ordnung vnd" for n in range(9)]


def test_signature_and_lone_catchword_at_the_foot_go_by_shape_a_sentence_end_or_a_short_page_stays():
    page = "\n".join([*FULL, "a iij", "Regi-"])
    block = PageFurniture()
    (out,) = run(block, book(page))
    assert pages_of(out)[0].strip() == "\n".join(FULL)
    assert counter(block, "signatures") == 1 and counter(block, "catchwords") == 1
    ends = "\n".join([*FULL, "werden."])
    short = BODY[0] + "\n" + BODY[1] + "\nRegi-"
    (out,) = run(PageFurniture(), book(ends, short))
    assert pages_of(out) == [ends, short]


def test_line_keys_ignore_page_numbers_case_and_spacing():
    assert line_key("THE HISTORY OF 37", 12, 4) == line_key("38 The History of", 12, 4) == ("text", "thehistoryof")
    assert line_key("( 14 )", 12, 4) == line_key("l4", 12, 4) == ("number", "#")
    assert line_key("PREFACE. vii", 12, 4) == ("text", "preface")
    assert line_key("A iij", 12, 4) == line_key("B2", 12, 4) == ("signature", "$")
    assert line_key("I did it", 12, 4) == ("text", "ididit")  # a lone capital I is a word, not a numeral
    assert line_key("one two three four five six seven eight nine ten eleven twelve thirteen", 12, 4) is None


def test_real_ocr_book_a_loses_its_page_numbers_and_book_c_its_running_heads(shared_data):
    docs = old_books(shared_data, ("a", "c", "e"))
    a_before = page_named(docs[0], "a020")
    assert a_before.startswith("10\n")
    n_pages = [d.metadata["n_pages"] for d in docs]
    block = PageFurniture()
    a, c, e = run(block, *docs)
    assert [len(pages_of(d)) for d in (a, c, e)] == n_pages
    assert page_named(a, "a020") == a_before[len("10\n") :]
    for page in pages_of(c)[1:]:
        first = page.strip().split("\n")[0]
        assert "ENCHANTER" not in first and "FISHERMAN’S SON" not in first
        assert not page.strip().split("\n")[-1].strip().isdigit()  # page numbers at the foot
    assert "The white horse was as swift as the plunging wave" in page_named(c, "c016")
    assert all("CORSET AND THE CRINOLINE" not in p for p in pages_of(e))
    assert counter(block, "running_heads") >= 60
    assert counter(block, "page_numbers") >= 50
