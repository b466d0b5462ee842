"""The line-role classifier: trained by its command on real role-tagged books, used by page_furniture on others."""

from __future__ import annotations

import copy

import pytest
from cleanup_util import book, pages_of, run
from helpers import counter

from filters.cleanup.line_model import FORMAT, LineModelError, fingerprint, load_model
from filters.cleanup.page_furniture import PageFurniture
from filters.layout import FURNITURE, layout_problem, line_roles
from filters.model_file import load_model_file, save_model_file
from pipelines.config import BlockSpec
from pipelines.process import check_models, model_fingerprints
from pipelines.readers.alto import AltoBookReader
from pipelines.readers.base import SourceUnavailable
from pipelines.readers.page import PageXmlBookReader
from pipelines.train_line_roles import main as train_main
from pipelines.train_line_roles import train

TRAIN = ("alto:ocr_images/fr_16c", "alto:ocr_images/lat_cremma", "page:ocr_images/de_ocrd")
HELD_OUT = ("ocr_images/fr_18c", "ocr_images/co_corse")  # never trained on


@pytest.fixture(scope="module")
def model_file(shared_data, tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("line") / "line-roles.npz")
    fmt_path = [s.split(":", 1) for s in TRAIN]
    record = train([f"{f}:{shared_data / p}" for f, p in fmt_path], out)
    assert record["fingerprint"] == fingerprint() and record["lines"] > 2000
    assert {"text", "heading", "page-number", "running-title", "signature"} <= set(record["classes"])
    assert record["dropped_long_furniture"] > 0  # lat_cremma's body text in a RunningTitle zone is not learned
    return out


def held_out_books(shared_data) -> list:
    return [d for folder in HELD_OUT for d in AltoBookReader(str(shared_data / folder)).run()]


def furniture_f1(docs: list, **params) -> float:
    """F1 of the lines ``page_furniture`` removes from the books with their layout hidden, against gold roles."""
    tp = removed = gold_n = 0
    for doc in docs:
        hidden = copy.deepcopy(doc)
        del hidden.metadata["page_layout"]
        (out,) = run(PageFurniture(by_role="never", **params), hidden)
        for page, layout, after in zip(pages_of(doc), doc.metadata["page_layout"], pages_of(out), strict=True):
            assert layout_problem(layout, page) is None
            gold = {i for i, r in line_roles(layout, page).items() if r in FURNITURE}
            kept, j, gone = after.split("\n"), 0, set()
            for i, line in enumerate(page.split("\n")):
                if j < len(kept) and kept[j] == line:
                    j += 1
                else:
                    gone.add(i)
            tp, removed, gold_n = tp + len(gone & gold), removed + len(gone), gold_n + len(gold)
    return 2 * tp / (removed + gold_n)


def test_trained_model_removes_furniture_of_held_out_sets_better_than_the_heuristic(shared_data, model_file):
    docs = held_out_books(shared_data)
    classifier, heuristic = furniture_f1(docs, line_model=model_file), furniture_f1(docs)
    assert classifier > heuristic and classifier >= 0.9, (classifier, heuristic)


def test_roles_from_the_file_come_before_the_model_and_the_decision_is_recorded(shared_data, model_file):
    (doc,) = AltoBookReader(str(shared_data / "ocr_images/co_corse")).run()
    n = doc.metadata["n_pages"]
    block = PageFurniture(line_model=model_file)
    (out,) = run(block, copy.deepcopy(doc))
    assert out.metadata["page_furniture_by"] == {"role": n, "model": 0, "heuristic": 0}
    assert counter(block, "pages_by_role") == n and counter(block, "pages_by_model") == 0
    del doc.metadata["page_layout"]
    block = PageFurniture(line_model=model_file)
    (out,) = run(block, doc)
    assert out.metadata["page_furniture_by"] == {"role": 0, "model": n, "heuristic": 0}
    assert counter(block, "model_page_number") == counter(block, "lines_removed") >= 11  # co_corse: 11 gold numbers


def test_page_reader_books_run_through_the_model(shared_data, model_file):
    docs = list(PageXmlBookReader(str(shared_data / "ocr_images/de_ocrd")).run())
    block = PageFurniture(by_role="never", line_model=model_file)
    outs = run(block, *docs)
    pages = sum(d.metadata["n_pages"] for d in docs)
    assert len(outs) == len(docs) and counter(block, "pages_by_model") > 0
    assert counter(block, "pages_by_model") + counter(block, "model_skipped_empty_page") == pages  # 2 blank pages


def test_a_page_without_lines_is_a_counted_skip(model_file):
    block = PageFurniture(line_model=model_file)
    (out,) = run(block, book("12\nSome words of a page here.\nand more of them", "", "   \n", "13\nMore text."))
    assert counter(block, "model_skipped_empty_page") == 2 and counter(block, "pages_by_model") == 2
    assert out.metadata["page_furniture_by"] == {"role": 0, "model": 2, "heuristic": 2}
    assert len(pages_of(out)) == 4
    (empty,) = run(PageFurniture(line_model=model_file), book(""))
    assert empty.text == ""


def test_missing_model_names_the_key_and_the_file(tmp_path):
    missing = tmp_path / "nothing.npz"
    with pytest.raises(FileNotFoundError, match=r"page_furniture: line_model: .*nothing\.npz.*train_line_roles"):
        run(PageFurniture(line_model=str(missing)), book("a line", "another"))
    assert PageFurniture.model_files({"line_model": str(missing)}) == [str(missing)]
    assert PageFurniture.model_files({"line_model": ""}) == []


def test_the_model_is_part_of_the_stage_key_and_a_missing_one_stops_the_run_before_it_starts(model_file, tmp_path):
    (entry,) = model_fingerprints([BlockSpec(block="page_furniture", params={"line_model": model_file})])[
        "page_furniture"
    ]
    assert entry["path"] == model_file and len(entry["sha256"]) == 64
    assert model_fingerprints([BlockSpec(block="page_furniture", params={"line_model": ""})]) == {}
    missing = tmp_path / "none.npz"
    with pytest.raises(
        SourceUnavailable, match=f"block 'page_furniture' reads model file {missing}.*train_line_roles"
    ):
        check_models([BlockSpec(block="page_furniture", params={"line_model": str(missing)})])


def test_incompatible_or_foreign_model_file_is_a_clear_error(tmp_path, model_file):
    old = tmp_path / "old.npz"
    header, arrays = load_model_file(model_file, FORMAT, "line-role model", "train")
    header = {**header, "fingerprint": "0123456789abcdef", "features": ["chars"]}
    save_model_file(old, {k: v for k, v in header.items() if k != "record"}, arrays, header["record"])
    with pytest.raises(LineModelError, match=r"line_model: .*old\.npz: trained on features \['chars'\].*retrain"):
        load_model(old)
    junk = tmp_path / "junk.npz"
    junk.write_text("not a model")
    with pytest.raises(LineModelError, match=r"junk\.npz: not a line-role model file"):
        load_model(junk)
    save_model_file(junk, {"format": "finebooks-cer-estimator/2"}, {}, {})
    with pytest.raises(LineModelError, match="expected format finebooks-line-roles/2"):
        load_model(junk)


def test_train_command_fails_clearly_on_a_missing_folder_or_books_without_roles(tmp_path, shared_data, capsys):
    assert train_main(["--train", f"alto:{tmp_path / 'none'}", "--out", str(tmp_path / "m.npz")]) == 2
    assert "no folder" in capsys.readouterr().err
    dach = shared_data / "alto/dach_gt"  # every region "text" or untyped: nothing to learn
    assert train_main(["--train", f"page:{dach}", "--out", str(tmp_path / "m.npz")]) == 2
    assert "no line with a role" in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()
