"""Model-based signals: KenLM char perplexity and the fastText classifier, trained here on small real text; and
language consistency with py3langid."""

from __future__ import annotations

import json
import re
import shutil
import sys

import pytest
from datatrove.data import Document

from bench.ocr_signals_gold import fasttext_held_out
from filters.pages import join_pages
from filters.signals import train_fasttext, train_kenlm
from filters.signals.base import BOOK_KEY, PAGE_KEY
from filters.signals.cer_estimate import CerEstimateSignal
from filters.signals.fasttext_quality import FasttextQualitySignal
from filters.signals.goldtext import icdar_files, read_icdar
from filters.signals.kenlm_bin import HOW, find_tool
from filters.signals.kenlm_perplexity import BOUNDARY, KenlmPerplexitySignal, char_sentences
from filters.signals.lang_consistency import LangConsistencySignal


@pytest.fixture(scope="module")
def worst_periodicals(shared_data):
    docs = [read_icdar(p) for p in icdar_files(shared_data / "ocr_gold/icdar2017/Full_12M/eng_periodical")]
    return sorted(docs, key=lambda d: d.cer, reverse=True)[:4]


@pytest.fixture(scope="module")
def small_clean(shared_data, tmp_path_factory):
    """Six ECCO-TCP books (clean 18th-century print), linked into a folder of their own."""
    folder = tmp_path_factory.mktemp("clean")
    for p in sorted((shared_data / "clean_books/ecco_tcp").glob("*.txt"))[:6]:
        (folder / p.name).symlink_to(p)
    return folder


def test_char_sentences_are_space_separated_characters_with_word_boundaries():
    assert list(char_sentences("ab  c\nd")) == [f"a b {BOUNDARY} c {BOUNDARY} d"]
    assert len(list(char_sentences("word " * 200, chunk_chars=100))) == 10


def test_kenlm_trainer_builds_a_model_that_prefers_gold_to_ocr(small_clean, worst_periodicals, tmp_path):
    if find_tool("lmplz") is None:
        pytest.fail(f"lmplz is not built: {HOW}", pytrace=False)
    out = tmp_path / "char4.binary"
    assert train_kenlm.main(["--corpus", str(small_clean), "--order", "4", "--out", str(out)]) == 0
    record = json.loads((tmp_path / "char4.binary.json").read_text())
    assert record["documents"] == 6 and record["order"] == 4
    step = KenlmPerplexitySignal(model=str(out))
    for d in worst_periodicals:
        gold = step.measure(Document(text=d.gold, id="g", metadata={}))
        ocr = step.measure(Document(text=d.ocr_scored, id="o", metadata={}))
        assert ocr > gold, (d.path, gold, ocr)


def test_kenlm_book_value_is_the_perplexity_of_all_pages_together(small_clean, tmp_path):
    if shutil.which("lmplz") is None and find_tool("lmplz") is None:
        pytest.fail(f"lmplz is not built: {HOW}", pytrace=False)
    out = tmp_path / "char3.arpa"
    train_kenlm.train([str(small_clean)], str(out), order=3, max_chars=300_000)
    step = KenlmPerplexitySignal(model=str(out))
    pages = ["The king is in his castle.", "Th^ k1ng iz im hs cast1e.", ""]
    text, offsets = join_pages(pages)
    doc = Document(text=text, id="b", metadata={"page_offsets": offsets})
    book = step.measure(doc)
    logp, n = step.score_text(pages[0])
    logp2, n2 = step.score_text(pages[1])
    assert book == pytest.approx(10 ** (-(logp + logp2) / (n + n2)))
    assert doc.metadata[PAGE_KEY]["kenlm_perplexity"]["values"][2] is None


def test_missing_kenlm_model_names_the_command_that_trains_it(tmp_path):
    step = KenlmPerplexitySignal(model=str(tmp_path / "none.binary"))
    with pytest.raises(FileNotFoundError, match="python -m filters.signals.train_kenlm"):
        step.measure(Document(text="some text", id="x", metadata={}))


def test_fasttext_trainer_splits_by_document_and_scores_gold_above_ocr(small_clean, shared_data, tmp_path):
    icdar = shared_data / "ocr_gold/icdar2017/Full_12M/eng_periodical"
    out = tmp_path / "ft.bin"
    record = train_fasttext.train(
        [str(small_clean), str(icdar)],
        [str(icdar), str(shared_data / "ocr_pages/old_books/tesseract_otsu_txt")],
        str(out),
        test_fraction=0.3,
        epoch=10,
        dim=16,
    )
    assert record["test_accuracy"] > 0.75
    test_names = {p.rsplit("/", 1)[-1] for p in record["raw_test_docs"] if "icdar" in p}
    train_names = {p.name for p in icdar_files(icdar)} - test_names
    assert test_names and train_names
    # ICDAR gold and OCR of one document are on the same side of the split
    assert all(train_fasttext.is_test_doc(n, 0.3) for n in test_names)
    assert not any(train_fasttext.is_test_doc(n, 0.3) for n in train_names)
    # the gold bench scores a document only if the model never trained on it: its test documents, other folders
    unseen = fasttext_held_out(json.loads((tmp_path / "ft.bin.json").read_text()))
    assert all(unseen(icdar / n) for n in test_names) and not any(unseen(icdar / n) for n in train_names)
    fr = shared_data / "ocr_gold/icdar2017/Full_12M/fr_periodical"
    assert all(unseen(p) for p in icdar_files(fr))
    step = FasttextQualitySignal(model=str(out))
    held_out = [read_icdar(icdar / n) for n in sorted(test_names)]
    worst = sorted(held_out, key=lambda d: d.cer, reverse=True)[:3]
    better = sum(
        step.measure(Document(text=d.gold, id="g", metadata={}))
        > step.measure(Document(text=d.ocr_input, id="o", metadata={}))
        for d in worst
    )
    assert better >= 2


def test_fasttext_training_gives_the_same_model_twice_in_one_process(small_clean, tmp_path):
    """The PyPI fastText builds leave most of the input matrix uninitialised; after a large block of non-zero
    memory has been freed in this process, training here used to give another model or a NaN loss."""
    models = []
    for i in range(3):
        garbage = b"\x7f" * 40_000_000  # freed below: the allocator may hand this memory to fastText next
        del garbage
        out = tmp_path / f"ft{i}.bin"
        train_fasttext.train([str(small_clean)], [str(small_clean)], str(out), epoch=1, dim=8, chunk_words=20)
        models.append(out.read_bytes())
    assert models[0] == models[1] == models[2]


def test_language_consistency_is_low_on_pages_in_another_language(shared_data):
    en = read_icdar(shared_data / "ocr_gold/icdar2017/Full_12M/eng_monograph/1.txt").gold
    fr = read_icdar(shared_data / "ocr_gold/icdar2017/Full_12M/fr_monograph/10.txt").gold
    pages = [" ".join(en.split()[:200]), " ".join(en.split()[200:400]), " ".join(fr.split()[:200])]
    text, offsets = join_pages(pages)
    doc = Document(text=text, id="b", metadata={"page_offsets": offsets})
    LangConsistencySignal(languages=("en", "fr", "de")).measure(doc)
    values = doc.metadata[PAGE_KEY]["lang_consistency"]["values"]
    assert doc.metadata["language"] == "en"
    assert values[0] > 0.8 and values[1] > 0.8 and values[2] < 0.2
    assert 0.5 < doc.metadata[BOOK_KEY]["lang_consistency"] < 0.8


@pytest.mark.parametrize(
    ("cls", "kind", "trainer"),
    [
        (KenlmPerplexitySignal, "KenLM model", "filters.signals.train_kenlm"),
        (FasttextQualitySignal, "fastText model", "filters.signals.train_fasttext"),
        (CerEstimateSignal, "CER estimator model", "filters.signals.train_cer"),
    ],
)
def test_a_missing_model_file_names_itself_and_its_trainer(cls, kind, trainer, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "model.bin"
    step = cls(model=str(missing))  # building the step does not load the model: the worker does
    expected = re.escape(f"{kind} '{missing}' not found; train one with: python -m {trainer} ")
    with pytest.raises(FileNotFoundError, match=expected):
        _ = step.model
    monkeypatch.setenv("FINEBOOKS_CACHE", str(tmp_path / "cache"))
    assert cls.model_files({}) == [str(tmp_path / "cache" / "models" / cls.default_file)]


@pytest.mark.parametrize(("block", "module"), [("fasttext_quality", "fasttext"), ("kenlm_perplexity", "kenlm")])
def test_a_block_whose_extra_is_not_installed_names_the_extra(block, module, monkeypatch):
    """fastText and KenLM are the optional ``signals`` extra (no shipped recipe uses them): building the block
    without the module says what to install. (``sys.modules[name] = None`` is Python's "cannot be imported".)"""
    from filters.registry import build_block

    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=re.escape(f"block {block} needs ") + r".*pip install -e '\.\[signals\]'"):
        build_block(block, {})
