"""The CER estimator end to end on real data: trained with its command on a small OCR/gold sample, run as the
``ocr_cer_estimate`` block before ``ocr_quality_filter`` in CER units, its errors, determinism and stage key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datatrove.data import Document
from helpers import counter
from scipy.stats import spearmanr

from filters.model_file import ModelFileError
from filters.ocr_quality_filter import OcrQualityFilter
from filters.pages import join_pages
from filters.registry import build_block
from filters.signals.base import BOOK_KEY, PAGE_KEY
from filters.signals.cer_estimate import NOTE_KEY, CerEstimateSignal
from filters.signals.cer_gold import read_gold
from filters.signals.cer_model import load_model
from filters.signals.goldtext import icdar_files, read_icdar
from filters.signals.train_cer import main as train_main
from pipelines.config import BlockSpec
from pipelines.process import check_models, model_fingerprints
from pipelines.readers.base import SourceUnavailable

ICDAR19 = "ocr_gold/icdar2019/evaluation_4M_without_Finnish"


def sources(data: Path) -> list[str]:
    pages = data / "ocr_pages/old_books"
    return [
        f"icdar:{data / ICDAR19 / 'EN/EN1'}",
        f"icdar:{data / ICDAR19 / 'FR/FR2'}",
        f"pages:{pages / 'tesseract_otsu_txt'},{pages / 'groundtruth'}",
    ]


def gold_args(specs: list[str]) -> list[str]:
    """``--gold`` arguments, fitting on one thread (many on a shared 2-core machine cost minutes)."""
    return [arg for spec in specs for arg in ("--gold", spec)] + ["--threads", "1"]


@pytest.fixture(scope="module")
def model(shared_data, tmp_path_factory) -> Path:
    """A model trained with the command on English and French ICDAR2019 pages and old_books Tesseract pages."""
    out = tmp_path_factory.mktemp("cer") / "cer.npz"
    assert train_main([*gold_args(sources(shared_data)), "--out", str(out), "--seed", "0"]) == 0
    return out


def run(steps: list, docs: list[Document]) -> list[Document]:
    stream = iter(docs)
    for step in steps:
        stream = step.run(stream)
    return list(stream)


def test_the_command_writes_a_model_with_its_training_record(model):
    record = json.loads(Path(f"{model}.json").read_text())
    # every OCR page and its gold transcription as a page of CER 0
    assert [s["pages"] for s in record["sources"]] == [2 * 48, 2 * 49, 2 * 320] and record["gold_pages"]
    assert record["sources"][1]["skipped"] == {"no gold": 1}
    assert record["sources"][0]["collections"] == {"EN1": 2 * 48}
    assert {"en", "fr"} <= set(record["languages"]) and record["seed"] == 0
    assert set(record["packages"]) >= {"scikit-learn", "wordfreq", "py3langid"}
    assert 0 <= record["in_sample_mae"] < 0.05 and len(record["sha256"]) == 64
    assert load_model(model).record["pages"] == 2 * 417


def test_estimates_rank_pages_of_a_collection_it_never_saw(model, shared_data):
    """Dutch ICDAR2019 pages (NL1; the model saw English and French only): estimates in [0, 1] that order the
    pages by their true CER."""
    pages = read_gold(f"icdar:{shared_data / ICDAR19 / 'NL/NL1'}")
    docs = [Document(text=p.text, id=p.id, metadata={}) for p in pages]
    out = run([build_block("ocr_cer_estimate", {"model": str(model)})], docs)
    est = [d.metadata[BOOK_KEY]["ocr_cer_estimate"] for d in out]
    assert all(0.0 <= e <= 1.0 for e in est) and len(est) == len(pages) > 40
    assert spearmanr(est, [p.cer for p in pages]).statistic > 0.3
    assert {d.metadata["language"] for d in out} == {"nl"} and not any(NOTE_KEY in d.metadata for d in out)


@pytest.fixture(scope="module")
def clean_and_garbage(shared_data) -> tuple[list[str], list[str]]:
    """Clean pages (gold of ICDAR2017 English monographs) and garbage OCR of the same pages (scrambled)."""
    docs = [read_icdar(p) for p in icdar_files(shared_data / "ocr_gold/icdar2017/Full_12M/eng_monograph")[:6]]
    bad = [
        " ".join(w if i % 2 else w[:1] + "^" + w[1:] + "3" for i, w in enumerate(d.ocr_input.split())) for d in docs
    ]
    return [d.gold for d in docs], bad


def book(pages: list[str], id_: str) -> Document:
    text, offsets = join_pages(pages)
    return Document(text=text, id=id_, metadata={"page_offsets": offsets, "n_pages": len(pages)})


def test_the_filter_in_cer_units_drops_garbage_and_keeps_clean_books(model, clean_and_garbage):
    clean, bad = clean_and_garbage
    flt = OcrQualityFilter(min={}, max={"ocr_cer_estimate": 0.1})
    kept = run([CerEstimateSignal(str(model)), flt], [book(clean[:3], "clean"), book(bad[:3], "garbage")])
    assert [d.id for d in kept] == ["clean"]
    assert kept[0].metadata[BOOK_KEY]["ocr_cer_estimate"] < 0.1
    assert counter(flt, "dropped_ocr_cer_estimate_above_max") == 1


def test_page_level_drops_the_garbage_pages_of_a_book(model, clean_and_garbage):
    clean, bad = clean_and_garbage
    flt = OcrQualityFilter(min={}, max={"ocr_cer_estimate": 0.1}, level="page", min_kept_fraction=0.3)
    (doc,) = run([CerEstimateSignal(str(model)), flt], [book([clean[0], bad[1], clean[2], ""], "mixed")])
    assert doc.text == join_pages([clean[0], clean[2], ""])[0]  # an empty page has no estimate, so no say
    pages = doc.metadata[PAGE_KEY]["ocr_cer_estimate"]
    assert pages["values"][2] is None and all(v < 0.1 for v in pages["values"][:2])


def test_a_page_without_tokens_has_no_estimate(model, clean_and_garbage):
    (doc,) = run([CerEstimateSignal(str(model))], [book([clean_and_garbage[0][0], "  \n "], "blank")])
    assert doc.metadata[PAGE_KEY]["ocr_cer_estimate"]["values"][1] is None
    assert doc.metadata[PAGE_KEY]["ocr_cer_estimate"]["n"][1] == 0


def test_a_language_without_word_list_is_estimated_and_noted(model, shared_data):
    """Early modern Latin (ICDAR2019 DE4): no wordfreq list, still an estimate, with a note, not an abstention."""
    pages = read_gold(f"icdar:{shared_data / ICDAR19 / 'DE/DE4'}")[:5]
    out = run([CerEstimateSignal(str(model))], [Document(text=p.text, id=p.id, metadata={}) for p in pages])
    latin = [d for d in out if d.metadata["language"] == "la"]
    assert latin, "DE4 reads as Latin"
    for d in latin:
        assert 0.0 <= d.metadata[BOOK_KEY]["ocr_cer_estimate"] <= 1.0
        assert "no word list for language 'la'" in d.metadata[NOTE_KEY]["ocr_cer_estimate"]
        assert "ocr_cer_estimate" not in d.metadata.get("ocr_signals_abstained", {})


def test_a_missing_or_bad_model_file_is_a_clear_error(tmp_path, clean_and_garbage):
    doc = book(clean_and_garbage[0][:1], "x")
    missing = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match=r"nope\.npz.*python -m filters\.signals\.train_cer"):
        CerEstimateSignal(str(missing)).measure(doc)
    bad = tmp_path / "bad.npz"
    bad.write_text("not a model\n")
    with pytest.raises(ModelFileError, match=r"bad\.npz: not a CER estimator model file"):
        CerEstimateSignal(str(bad)).measure(doc)


def test_the_command_fails_clearly_on_a_bad_source(tmp_path, capsys):
    out = str(tmp_path / "m.npz")
    assert train_main(["--gold", "icdar2019:/some/where", "--out", out]) == 2
    assert "icdar2019:/some/where" in capsys.readouterr().err
    assert train_main(["--gold", f"icdar:{tmp_path / 'missing'}", "--out", out]) == 2
    assert "missing does not exist" in capsys.readouterr().err
    assert train_main(["--gold", f"pages:{tmp_path}", "--out", out]) == 2
    assert "pages:OCR_FOLDER,GOLD_FOLDER" in capsys.readouterr().err
    assert not Path(out).exists()


def test_same_data_and_seed_give_the_same_model_and_a_new_model_a_new_stage(model, shared_data, tmp_path):
    spec = sources(shared_data)[:1]
    paths = [tmp_path / f"{name}.npz" for name in ("a", "b")]
    for path in paths:
        assert train_main([*gold_args(spec), "--out", str(path), "--seed", "3"]) == 0
    docs = [Document(text=p.text, id=p.id, metadata={}) for p in read_gold(spec[0])[:20]]
    estimates = []
    for path in [*paths, model]:
        out = run([CerEstimateSignal(str(path))], [Document(d.text, d.id, metadata={}) for d in docs])
        estimates.append([d.metadata[BOOK_KEY]["ocr_cer_estimate"] for d in out])
    assert estimates[0] == estimates[1] and estimates[0] != estimates[2]
    # the process stage's key holds the model file's sha256: another model file, another stage
    keys = [
        model_fingerprints([BlockSpec(block="ocr_cer_estimate", params={"model": str(p)})]) for p in (paths[0], model)
    ]
    record = json.loads(Path(f"{model}.json").read_text())
    assert keys[1]["ocr_cer_estimate"] == [{"path": str(model), "sha256": record["sha256"]}]
    assert keys[0] != keys[1]


def test_calibration_measures_the_estimate_where_a_model_exists(model, shared_data, tmp_path):
    from filters.signals import calibrate

    pages = shared_data / "ocr_pages/old_books"
    args = [
        "--clean",
        str(pages / "groundtruth"),
        "--raw",
        str(pages / "tesseract_otsu_txt"),
        "--limit",
        "15",
        "--piece-words",
        "0",
    ]
    out = tmp_path / "cal"
    code = calibrate.main([*args, "--signals", "garbage_ratio", "--cer-model", str(model), "--out", str(out)])
    assert code == 0
    assert "| ocr_cer_estimate | 15 | 15 |" in (out / "report.md").read_text()
    snippet = calibrate.yaml.safe_load((out / "thresholds.yaml").read_text())["filter"]
    assert BlockSpec(**snippet[0]).params == {"model": str(model)}
    assert "ocr_cer_estimate" in BlockSpec(**snippet[-1]).params["max"]
    assert calibrate.default_signals(str(tmp_path / "none.npz")) == list(calibrate.DEFAULT_SIGNALS)


def test_a_missing_model_file_stops_the_process_stage_before_it_runs(model, tmp_path):
    blocks = [BlockSpec(block="ocr_cer_estimate", params={"model": str(model)})]
    check_models(blocks)  # present: nothing to say
    missing = tmp_path / "none.npz"
    with pytest.raises(SourceUnavailable, match=f"block 'ocr_cer_estimate' reads model file {missing}.*train_cer"):
        check_models([BlockSpec(block="ocr_cer_estimate", params={"model": str(missing)})])
