"""Layout roles (page_layout) read from real ALTO and PAGE files, and page_furniture removing furniture by role."""

from __future__ import annotations

import copy

import pytest
from cleanup_util import pages_of, run
from helpers import counter

from filters.cleanup.page_furniture import PageFurniture
from filters.layout import FURNITURE, layout_problem
from pipelines.readers.alto import AltoBookReader, alto_page
from pipelines.readers.layout import label_role, line_role
from pipelines.readers.page import PageXmlBookReader, page_xml_page
from pipelines.readers.xmlsafe import parse_xml

FR_16C_BOOK = "ocr_images/fr_16c/bpt6k3041989v"
BEBEL_PAGE = "ocr_images/de_ocrd/bebel_frau_1879/bebel_frau_1879_0146.xml"
DACH_1580 = "alto/dach_gt/data/DE-1/ppn813172802"  # PAGE regions without types
DACH_TEXT = "alto/dach_gt/data/DE-525/urn_nbn_de_kobv_517-vlib-5075"  # every region "structure {type:text;}"


def records(layout: dict, text: str) -> list[tuple[str, str]]:
    """(role, line text) of every line record."""
    return [(r, text[s:e]) for s, e, r in zip(layout["start"], layout["end"], layout["role"], strict=True)]


def test_labels_of_segmonto_cremma_and_page_map_onto_one_vocabulary():
    assert label_role("MainZone:column#1") == "text"
    assert label_role("RunningTitleZone") == "running-title"
    assert label_role("QuireMarksZone:catchword") == "catchword"
    assert label_role("NumberingZone#2") == "page-number"
    assert label_role("HeadingLine") == "heading"
    assert label_role("DefaultLine") is None and label_role("") is None
    assert label_role("Signatures") == "signature" and label_role("Numbering") == "page-number"  # CREMMA
    assert label_role("catch-word") == "catchword" and label_role("signature-mark") == "signature"  # PAGE
    assert label_role("SomethingNewZone") == "other"
    assert line_role("running-title", "heading") == "running-title"  # a running title set as a heading line
    assert line_role("text", "page-number") == "page-number"
    assert line_role("text", None) == "text" and line_role(None, "heading") == "heading"


def test_alto_page_of_escriptorium_keeps_the_role_font_and_box_of_every_line(shared_data):
    path = shared_data / FR_16C_BOOK / "f103.xml"
    page = alto_page(parse_xml(path.read_bytes(), str(path)))
    layout = page.layout
    assert layout is not None and layout_problem(layout, page.text) is None
    lines = records(layout, page.text)
    assert lines[:2] == [("running-title", "DU MARIAGE."), ("page-number", "91")]
    assert len(lines) == len(page.text.split("\n")) - page.text.count("\n\n")  # every non-blank line has a record
    assert {r for r, _ in lines} <= {"running-title", "page-number", "text", "heading", "signature", "drop-capital"}
    x0, y0, x1, y1 = layout["box"][0]
    assert 0 < x0 < x1 < 1 and 0 < y0 < y1 < 0.2  # a running title at the top of the page


def test_page_xml_lines_take_the_type_of_their_region(shared_data):
    path = shared_data / BEBEL_PAGE
    page = page_xml_page(parse_xml(path.read_bytes(), str(path)))
    assert page.layout is not None and layout_problem(page.layout, page.text) is None
    lines = records(page.layout, page.text)
    assert lines[0] == ("page-number", "— 140 —")
    footnotes = [t for r, t in lines if r == "footnote"]
    assert len(footnotes) == 11 and footnotes[0].startswith("*) Herr Prof. Ad. Wagner")
    assert page.regions  # page_regions stay as they were
    assert set(page.layout["region"]) <= {r["id"] for r in page.regions}


def test_a_source_without_roles_has_no_layout(shared_data):
    (doc,) = list(PageXmlBookReader(str(shared_data / DACH_1580)).run())
    assert "page_regions" in doc.metadata and "page_layout" not in doc.metadata
    (doc,) = list(PageXmlBookReader(str(shared_data / DACH_TEXT)).run())
    assert {r for lay in doc.metadata["page_layout"] if lay for r in lay["role"]} <= {"text", None}


def fr_16c_book(shared_data):
    (doc,) = list(AltoBookReader(str(shared_data / FR_16C_BOOK)).run())
    return doc


def test_role_aware_furniture_removes_exactly_the_tagged_lines_and_keeps_the_layout_true(shared_data):
    doc = fr_16c_book(shared_data)
    before = pages_of(doc)
    layouts = copy.deepcopy(doc.metadata["page_layout"])
    expected, kept_records, n_furniture = [], [], 0
    for page, layout in zip(before, layouts, strict=True):
        n_furniture += sum(r in FURNITURE for r in layout["role"])
        starts = {s for s, r in zip(layout["start"], layout["role"], strict=True) if r in FURNITURE}
        pos, kept = 0, []
        for line in page.split("\n"):
            if pos not in starts:
                kept.append(line)
            pos += len(line) + 1
        expected.append("\n".join(kept))
        kept_records.append([x for x in records(layout, page) if x[0] not in FURNITURE])
    block = PageFurniture()
    (out,) = run(block, doc)
    after = pages_of(out)
    assert after == expected
    assert counter(block, "lines_removed") == n_furniture == 38
    assert counter(block, "pages_by_role") == 20 and counter(block, "running_heads") == 0  # no heuristic
    assert (
        counter(block, "role_page_number") + counter(block, "role_running_title") + counter(block, "role_signature")
        == n_furniture
    )
    for page, layout, want in zip(after, out.metadata["page_layout"], kept_records, strict=True):
        assert layout_problem(layout, page) is None
        assert records(layout, page) == want


def test_never_ignores_roles_and_runs_the_heuristic(shared_data):
    doc = fr_16c_book(shared_data)
    block = PageFurniture(by_role="never")
    run(block, doc)
    assert counter(block, "pages_by_role") == 0 and counter(block, "lines_removed") > 0
    assert counter(block, "role_page_number") == 0
    with pytest.raises(ValueError, match="by_role"):
        PageFurniture(by_role="always")
    with pytest.raises(ValueError, match="unknown roles"):
        PageFurniture(furniture_roles=("running-head",))


@pytest.mark.parametrize("book", [DACH_1580, DACH_TEXT])
def test_a_book_without_furniture_roles_gets_the_heuristic_as_before(shared_data, book):
    (doc,) = list(PageXmlBookReader(str(shared_data / book)).run())
    plain = copy.deepcopy(doc)
    plain.metadata.pop("page_layout", None)
    auto, never = PageFurniture(), PageFurniture(by_role="never")
    (a,) = run(auto, doc)
    (b,) = run(never, plain)
    assert a.text == b.text and counter(auto, "running_heads") == counter(never, "running_heads") > 0
    fallback = doc.metadata["n_pages"] if book == DACH_TEXT else 0  # counted where a layout exists
    assert counter(auto, "roles_fallback_only_text_roles") == fallback
    for page, regions in zip(pages_of(a), a.metadata["page_regions"], strict=True):
        for r in regions:  # regions moved to the remaining lines
            assert page[r["start"] : r["end"]].strip() and page[r["start"]] != "\n" and page[r["end"] - 1] != "\n"


def test_inconsistent_layouts_fall_back_to_the_heuristic_per_page_with_a_reason(shared_data):
    doc = fr_16c_book(shared_data)
    layouts = doc.metadata["page_layout"]
    layouts[0]["start"][1] += 1  # no longer the start of a line
    layouts[1]["length"] += 5  # the page text changed since it was read
    layouts[2] = None
    layouts[3]["role"] = layouts[3]["role"][:-1]
    block = PageFurniture()
    (out,) = run(block, doc)
    assert counter(block, "roles_fallback_offsets_not_lines") == 1
    assert counter(block, "roles_fallback_length_mismatch") == 1
    assert counter(block, "roles_fallback_no_layout") == 1
    assert counter(block, "roles_fallback_malformed") == 1
    assert counter(block, "pages_by_role") == 16
    assert counter(block, "running_heads") + counter(block, "page_numbers") > 0  # the heuristic ran on the four
    pages = pages_of(out)
    assert all(
        out.metadata["page_layout"][p] is None or layout_problem(out.metadata["page_layout"][p], pages[p]) is None
        for p in range(4, len(pages))
    )
    wrong = copy.deepcopy(doc)
    wrong.metadata["page_layout"] = wrong.metadata["page_layout"][:3]
    block = PageFurniture()
    run(block, wrong)
    assert counter(block, "roles_fallback_page_count_mismatch") == 20


ALTO_STYLED = """<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
<Styles><TextStyle ID="s1" FONTSIZE="18" FONTSTYLE="bold"/><TextStyle ID="s2" FONTSIZE="9"/></Styles>
<Tags><OtherTag ID="t1" LABEL="MainZone:column#1"/><OtherTag ID="t2" LABEL="HeadingLine"/></Tags>
<Layout><Page WIDTH="1000" HEIGHT="2000"><PrintSpace>
<TextBlock ID="b1" TAGREFS="t1">
 <TextLine TAGREFS="t2" HPOS="100" VPOS="200" WIDTH="500" HEIGHT="40">
  <String CONTENT="CHAPTER" STYLEREFS="s1"/></TextLine>
 <TextLine HPOS="100" VPOS="300" WIDTH="800" HEIGHT="20" STYLEREFS="s2"><String CONTENT="plain"/>
  <String CONTENT="emphasis" STYLE="italics"/></TextLine>
</TextBlock>
<ComposedBlock TYPE="Footer"><TextBlock ID="b2"><TextLine><String CONTENT="B2"/></TextLine></TextBlock></ComposedBlock>
</PrintSpace></Page></Layout></alto>"""


def test_alto_styles_and_composed_block_types_give_fonts_and_roles():
    page = alto_page(parse_xml(ALTO_STYLED.encode(), "styled.xml"))
    layout = page.layout
    assert records(layout, page.text) == [("heading", "CHAPTER"), ("text", "plain emphasis"), ("running-title", "B2")]
    assert layout["font_size"] == [18.0, 9.0, None]
    assert layout["font_style"] == ["bold", "italics", None]  # most characters of the line: "emphasis"
    assert layout["box"][:2] == [[0.1, 0.1, 0.6, 0.12], [0.1, 0.15, 0.9, 0.16]] and layout["box"][2] is None
    assert layout["region"] == ["b1", "b1", "b2"]
