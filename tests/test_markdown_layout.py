"""The Markdown writer on small books of our own: heading levels from roles and font sizes, paragraphs over page
breaks, notes, page markers, front matter; bad layout falls back with a counted reason; the output config."""

from __future__ import annotations

import copy

import pytest
from helpers import counter

from ablations.recipe.loader import ConfigError, load_recipe
from filters.pages import join_pages
from pipelines.markdown.config import MarkdownOptions
from pipelines.markdown.step import MarkdownText
from pipelines.markdown.writer import book_markdown


def layout_of(page: str, roles: list, regions: list | None = None, sizes: list | None = None) -> dict:
    """A page_layout entry for the non-blank lines of ``page`` (in order)."""
    starts, pos = [], 0
    for line in page.split("\n"):
        if line:
            starts.append(pos)
        pos += len(line) + 1
    lengths = [len(x) for x in page.split("\n") if x]
    out = {"length": len(page), "start": starts, "end": [s + n for s, n in zip(starts, lengths, strict=True)]}
    out |= {"role": list(roles), "region": list(regions or ["r"] * len(roles))}
    if sizes:
        out["font_size"] = list(sizes)
    return out


PAGES = [
    "12\nCHAPTER ONE\nT\nhe rain fell all\nnight and the river\n\nA note in the margin\n*) A footnote.",
    "rose in the dark.\nIt was late.\n13",
]
ROLES = [
    ["page-number", "heading", "drop-capital", "text", "text", "marginalia", "footnote"],
    ["text", "text", "page-number"],
]
REGIONS = [["n", "h", "m", "m", "m", "g", "f"], ["m", "m", "n"]]


def book(roles=ROLES, sizes=None) -> tuple[str, dict]:
    text, offsets = join_pages(PAGES)
    layouts = [layout_of(p, r, g, s) for p, r, g, s in zip(PAGES, roles, REGIONS, sizes or [None, None], strict=True)]
    return text, {"page_offsets": offsets, "page_layout": layouts, "title": "Rain", "year": 1850, "source": "s"}


def test_roles_give_headings_paragraphs_over_pages_notes_and_no_furniture():
    text, meta = book()
    md, info = book_markdown(text, meta, MarkdownOptions(page_markers=True))
    assert info == info | {"layout": "roles", "fallback": None, "pages_fallback": {}}
    assert md.split("\n\n") == [
        "<!-- page 1 -->",
        "## CHAPTER ONE",
        "The rain fell all night and the river[^1][^2] <!-- page 2 --> rose in the dark. It was late.",
        "[^1]: A note in the margin",
        "[^2]: *) A footnote.",
    ]


def test_marginalia_inline_and_drop_and_front_matter():
    text, meta = book()
    md, _ = book_markdown(text, meta, MarkdownOptions(marginalia="inline", front_matter=True), "s/rain")
    assert md.startswith("---\nid: s/rain\ntitle: Rain\nyear: 1850\nsource: s\n---\n\n## CHAPTER ONE\n\n")
    assert "river[^1] rose in the dark. It was late.\n\nA note in the margin\n\n[^1]: *) A footnote." in md
    md, info = book_markdown(text, meta, MarkdownOptions(marginalia="drop"))
    assert "margin" not in md and info["counts"]["marginalia_dropped"] == 1


def test_font_sizes_set_heading_levels_and_promote_large_text():
    text, meta = book(sizes=[[None, 20.0, None, 10.0, 10.0, 8.0, 8.0], [10.0, 16.0, None]])
    meta["page_layout"][1]["region"] = ["m", "big", "n"]
    meta["page_layout"][1]["role"] = ["text", "heading", "page-number"]
    md, info = book_markdown(text, meta)
    assert "# CHAPTER ONE" in md.split("\n\n") and "## It was late." in md.split("\n\n")
    meta["page_layout"][1]["role"] = ["text", "text", "page-number"]  # 16 >= 1.25 x 10: a heading by size
    md, _ = book_markdown(text, meta)
    assert "## It was late." in md.split("\n\n")


def test_markdown_syntax_in_the_text_is_escaped():
    text, offsets = join_pages(["# 1. not\n\n- a list\n\n2. neither [^3] this."])
    md, _ = book_markdown(text, {"page_offsets": offsets})
    assert md.split("\n\n") == ["\\# 1. not", "\\- a list", "2\\. neither \\[^3] this."]


BAD = {
    "length_mismatch": lambda lay: lay.update(length=lay["length"] + 1),
    "offsets_out_of_order": lambda lay: lay["end"].__setitem__(-1, lay["length"] + 5),
    "unknown_role": lambda lay: lay["role"].__setitem__(0, "running-head"),
    "malformed": lambda lay: lay["role"].pop(),
}


@pytest.mark.parametrize("reason", sorted(BAD))
def test_a_page_with_bad_layout_is_read_by_the_heuristic_and_counted(reason):
    text, meta = book()
    BAD[reason](meta["page_layout"][1])
    md, info = book_markdown(text, meta)
    assert info["layout"] == "roles" and info["pages_fallback"] == {reason: 1}
    assert "13" in md.split()  # the page number of the bad page stays: the heuristic does not know it
    assert "12" not in md.split()  # the good page still drops its furniture


@pytest.mark.parametrize(
    "change,reason",
    [
        (lambda m: m.update(page_layout=m["page_layout"][:1]), "page_count_mismatch"),
        (lambda m: m.update(page_layout="nonsense"), "malformed_layout"),
        (lambda m: m.update(page_layout=[None, None]), "no_usable_page"),
        (lambda m: m.pop("page_layout"), "no_layout"),
    ],
)
def test_a_book_without_usable_layout_falls_back_to_the_heuristic_with_a_counted_reason(change, reason):
    text, meta = book()
    change(meta)
    md, info = book_markdown(text, meta)
    assert info["layout"] == "heuristic" and info["fallback"] == reason
    assert md.split() == " ".join(PAGES).replace("\nT\nhe", " T he").split()  # every word, furniture included
    step = MarkdownText()
    (doc,) = list(step.run(iter([_doc(text, meta)])))
    assert counter(step, f"fallback_{reason}") == 1
    assert doc.metadata["markdown_fallback"] == reason and doc.metadata["text_format"] == "markdown"
    assert "page_offsets" not in doc.metadata and "page_layout" not in doc.metadata


def _doc(text: str, meta: dict):
    from datatrove.data import Document

    return Document(text=text, id="s/rain", metadata=copy.deepcopy(meta))


def test_output_format_is_checked_when_the_recipe_loads(tmp_path):
    recipe = tmp_path / "r.yaml"
    base = "experiment: {name: t}\ndata:\n  sources: [{name: b, format: text, path: /tmp/b}]\n"
    recipe.write_text(base + "output:\n  format: html\n")
    with pytest.raises(ConfigError, match=r"output\.format"):
        load_recipe(recipe)
    recipe.write_text(base + "output:\n  format: markdown\n  markdown: {marginalia: keep}\n")
    with pytest.raises(ConfigError, match=r"output\.markdown\.marginalia"):
        load_recipe(recipe)
    recipe.write_text(base + "output:\n  format: markdown\n  markdown: {marginalia: drop, page_markers: true}\n")
    cfg = load_recipe(recipe)
    assert cfg.output.format == "markdown" and cfg.output.markdown.marginalia == "drop"


def test_process_stage_writes_markdown_when_the_output_says_so(tmp_path, shared_data):
    from pipelines.chain import run_processing
    from pipelines.config import DataConfig, ExecutorConfig
    from pipelines.jsonl import iterate_folder
    from pipelines.markdown.config import OutputConfig
    from pipelines.process import ProcessStage

    data = DataConfig(sources=[{"name": "b", "format": "alto", "path": str(shared_data / "ocr_images/fr_18c")}])
    output = OutputConfig(format="markdown", markdown=MarkdownOptions(page_markers=True))
    result = run_processing(data, [], [], ExecutorConfig(), tmp_path, progress=False, output=output)
    (doc,) = list(iterate_folder(result.folder / "output"))
    assert doc["metadata"]["text_format"] == "markdown" and "page_layout" not in doc["metadata"]
    assert doc["text"].startswith("<!-- page 1 -->") and "\f" not in doc["text"]
    assert result.summary["markdown"]["layout_roles"] == 1
    plain = ProcessStage(data, [], ExecutorConfig(), tmp_path)
    assert plain.folder != result.folder and "output" not in plain.key  # JSONL keeps the stage key it had
