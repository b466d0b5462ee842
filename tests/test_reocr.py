"""The ``reocr`` block on real pages: a page whose OCR is garbled is read again by Tesseract from its image and the
better text kept; a clean page is left alone; a page without an image is counted; the engine can come from a
finished OCR benchmark."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from datatrove.data import Document

import run_ablation
from ablations.ocrbench.metrics import char_errors
from filters.pages import join_pages, split_pages
from filters.registry import REGISTRY
from filters.signals.train_cer import main as train_main
from pipelines.ocr.choice import BenchmarkChoice
from pipelines.ocr.reocr import ReOcr, iso639_3

OLD = "ocr_pages/old_books/tesseract_otsu_txt"
IMAGES = "ocr_images/en_oldbooks"


@pytest.fixture(scope="module")
def model(shared_data, tmp_path_factory) -> Path:
    """A CER estimator trained on English ICDAR2019 pages only (not on the old_books pages tested here)."""
    out = tmp_path_factory.mktemp("cer") / "cer.npz"
    gold = f"icdar:{shared_data / 'ocr_gold/icdar2019/evaluation_4M_without_Finnish/EN/EN1'}"
    assert train_main(["--gold", gold, "--out", str(out), "--seed", "0", "--threads", "1"]) == 0
    return out


def garble(text: str) -> str:
    """Every other word broken the way bad OCR breaks words."""
    return " ".join(w if i % 2 else w[:1] + "^" + w[1:] + "3" for i, w in enumerate(text.split()))


def book(shared_data: Path) -> tuple[Document, dict[str, str]]:
    ocr = {p: (shared_data / OLD / f"{p}.tess.txt").read_text(encoding="utf-8") for p in ("a006", "a013")}
    gold = {p: (shared_data / IMAGES / "a" / f"{p}.txt").read_text(encoding="utf-8") for p in ("a006", "a013")}
    pages = [garble(ocr["a006"]), ocr["a013"], garble(ocr["a013"])]
    files = ["a/a006.tess.txt", "a/a013.tess.txt", "a/a999.tess.txt"]  # a999: no image
    text, offsets = join_pages(pages)
    meta = {"page_offsets": offsets, "n_pages": 3, "page_files": files, "language": "en"}
    return Document(text=text, id="old/a", metadata=meta), gold


def test_reocr_replaces_a_garbled_page_with_a_better_reading(shared_data, model):
    doc, gold = book(shared_data)
    garbled = split_pages(doc.text, doc.metadata["page_offsets"])
    block = REGISTRY.build(
        "reocr",
        {
            "image_root": str(shared_data / IMAGES),
            "images": "{page_dir}/{page_stem}.png",
            "threshold": 0.10,
            "engine": "tesseract",
            "engine_params": {"models": {"eng": "eng"}},
            "model": str(model),
        },
    )
    out = list(block.run(iter([doc])))[0]
    pages = split_pages(out.text, out.metadata["page_offsets"])
    record = {r["page"]: r for r in out.metadata["reocr"]}
    assert record[0]["kept"] == "reocr" and record[0]["new_estimate"] < 0.10 < record[0]["estimate"]
    assert record[2] == {"page": 2, "estimate": record[2]["estimate"], "kept": "original", "reason": "no image"}
    assert 1 not in record and pages[1] == garbled[1]  # the clean page: not tried, unchanged
    errors_before, n = char_errors(gold["a006"], garbled[0])
    errors_after, _ = char_errors(gold["a006"], pages[0])
    assert errors_after / n < 0.1 < errors_before / n  # the kept reading is truly better, by the gold
    stats = block.stats
    assert stats["pages_checked"].total == 3 and stats["pages_replaced"].total == 1
    assert stats["pages_no_image"].total == 1 and out.metadata["n_pages"] == 3


ORACLE = "import sys, pathlib; print(pathlib.Path(sys.argv[1]).with_suffix('.txt').read_text())"  # the gold beside
COPY = (  # the library's own text of the page, read again: no better and no worse
    "import sys, pathlib; p = pathlib.Path(sys.argv[1]); "
    "print((pathlib.Path(sys.argv[2]) / (p.stem + '.tess.txt')).read_text())"
)


@pytest.fixture(scope="module")
def bench(shared_data, tmp_path_factory) -> Path:
    """A 4-page benchmark of en_oldbooks: a perfect reader (the gold), a copy of the library's text, the library."""
    out = tmp_path_factory.mktemp("bench")
    config = {
        "name": "pick",
        "output_dir": str(out),
        "gold": {
            "pages_csv": str(shared_data / "ocr_images/pages.csv"),
            "only": {"collection": ["en_oldbooks"]},
            "limit_per_collection": 4,
        },
        "systems": [
            {"id": "oracle", "engine": "command", "command": [sys.executable, "-c", ORACLE, "{image}"]},
            {
                "id": "copy",
                "engine": "command",
                "command": [sys.executable, "-c", COPY, "{image}", str(shared_data / OLD)],
            },
            {"id": "library", "engine": "existing", "path": str(shared_data / OLD), "pattern": "{stem}.tess.txt"},
        ],
        "stats": {"bootstrap_samples": 200},
        "progress": False,
    }
    path = out / "bench.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    assert run_ablation.main(["ocr-bench", str(path)]) == 0
    return out / "pick"


def test_reocr_takes_an_engine_only_when_the_interval_separates_it_on_enough_pages(shared_data, bench):
    few = ReOcr(image_root=str(shared_data / IMAGES), benchmark=str(bench), min_pages=20)
    choice = few.choose("eng")  # 4 pages: a perfect reader is still not trusted
    assert choice.system is None and few.engine_for("eng")[0] is None
    assert "kept library" in choice.reason and "oracle: 4 pages < min_pages 20" in choice.reason
    enough = ReOcr(image_root=str(shared_data / IMAGES), benchmark=str(bench), min_pages=4)
    choice = enough.choose("eng")
    assert choice.system == "oracle" and "oracle better than library by" in choice.reason
    name, engine = enough.engine_for("eng")
    assert name == "oracle" and type(engine).__name__ == "CommandEngine"
    only_copy = BenchmarkChoice(str(bench), "library", 4)
    del only_copy.runnable["oracle"]
    assert only_copy.choose("eng").system is None and "copy: undecided" in only_copy.choose("eng").reason
    french = enough.choose("fra").reason  # no French pages benchmarked
    assert enough.choose("fra").system is None and "on language fra:" in french and "oracle: no common pages" in french


def test_reocr_keeps_the_existing_text_and_says_why(shared_data, model, bench):
    doc, _ = book(shared_data)
    before = doc.text
    block = ReOcr(image_root=str(shared_data / IMAGES), benchmark=str(bench), min_pages=20, model=str(model))
    out = list(block.run(iter([doc])))[0]
    record = {r["page"]: r for r in out.metadata["reocr"]}
    assert record[0]["kept"] == "original" and "4 pages < min_pages 20" in record[0]["reason"]
    assert out.text == before and block.stats["pages_no_evidence"].total == 1


def test_reocr_configuration_errors():
    with pytest.raises(ValueError, match="exactly one of engine"):
        ReOcr(image_root="/tmp")
    with pytest.raises(Exception, match="psm_mode"):
        ReOcr(image_root="/tmp", engine="tesseract", engine_params={"models": {}, "psm_mode": 3})
    assert iso639_3("en") == "eng" and iso639_3("la") == "lat" and iso639_3(None) == ""


def test_the_candidate_fragment_pins_every_parameter():
    fragment = yaml.safe_load((Path(__file__).parent.parent / "configs/blocks/reocr.yaml").read_text())
    item = fragment["ablation"]["candidates"][0]
    assert item["block"] == "reocr"
    assert set(item["params"]) == set(REGISTRY.parameters("reocr"))
    REGISTRY.resolve_params("reocr", item["params"])
