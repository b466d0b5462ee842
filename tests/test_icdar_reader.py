"""ICDAR2017 reader: raw OCR or gold side, one document per file, true CER in metadata, bad files skipped."""

from helpers import counter, read_all

from pipelines.readers.icdar import IcdarBookReader

ENG = "ocr_gold/icdar2017/Full_12M/eng_monograph"


def test_ocr_and_gold_sides_of_the_same_documents(shared_data):
    ocr = read_all(IcdarBookReader(str(shared_data / ENG), side="ocr", source="icdar", limit=4))
    gold = read_all(IcdarBookReader(str(shared_data / ENG), side="gold", source="icdar", limit=4))
    assert [d.id for d in ocr] == [d.id for d in gold] == ["icdar/1", "icdar/2", "icdar/3", "icdar/4"]
    assert ocr[1].text.startswith(",1, 1 Ims plain to you tbe fact") and gold[1].text.startswith("plain to you the")
    assert all(0 <= d.metadata["cer"] < 1 and "@" not in g.text for d, g in zip(ocr, gold, strict=True))


def test_a_file_that_is_not_icdar_is_skipped(tmp_path):
    (tmp_path / "1.txt").write_text("[OCR_toInput] abc\n[OCR_aligned] abc\n[ GS_aligned] abd\n")
    (tmp_path / "2.txt").write_text("just some text\n")
    reader = IcdarBookReader(str(tmp_path), side="gold")
    (doc,) = read_all(reader)
    assert doc.text == "abd" and round(doc.metadata["cer"], 3) == 0.333
    assert counter(reader, "skipped_not_icdar") == 1


def write_icdar(path, ocr: str, gold: str) -> None:
    path.write_text(f"[OCR_toInput] {ocr.replace('@', '')}\n[OCR_aligned] {ocr}\n[ GS_aligned] {gold}\n")


def test_a_document_with_too_little_gold_has_no_cer_and_the_skip_is_counted(tmp_path):
    write_icdar(tmp_path / "1.txt", "the cat sat", "the cat sal")  # gold everywhere: CER 1/11
    write_icdar(tmp_path / "2.txt", "the cat sat on the mat", "t@@@@@@@@@@@@@@@@@@@@@")  # one gold char of 22
    write_icdar(tmp_path / "3.txt", "the cat", "@@@@@@@")  # no gold at all
    ocr_reader = IcdarBookReader(str(tmp_path), side="ocr")
    ocr = read_all(ocr_reader)
    assert [d.text for d in ocr] == ["the cat sat", "the cat sat on the mat", "the cat"]  # every OCR side is read
    assert round(ocr[0].metadata["cer"], 3) == 0.091 and ocr[0].metadata["gold_coverage"] == 1.0
    assert ["cer" in d.metadata for d in ocr] == [True, False, False]
    assert round(ocr[1].metadata["gold_coverage"], 3) == 0.045 and ocr[2].metadata["gold_coverage"] == 0.0
    assert counter(ocr_reader, "cer_skipped_low_gold_coverage") == 2
    gold_reader = IcdarBookReader(str(tmp_path), side="gold")
    assert [d.text for d in read_all(gold_reader)] == ["the cat sal"]
    assert counter(gold_reader, "skipped_no_gold") == 2
    lenient = read_all(IcdarBookReader(str(tmp_path), side="ocr", min_gold_coverage=0.01))
    assert round(lenient[1].metadata["cer"], 3) == round(21 / 1, 3)  # a sliver of gold: 21 errors per gold char


def test_the_real_document_without_gold_has_no_cer(shared_data):
    from filters.signals.goldtext import read_icdar

    doc = read_icdar(shared_data / "ocr_gold/icdar2019/evaluation_4M_without_Finnish/DE/DE2/26.txt")
    assert doc.gold_coverage < 0.02 and doc.cer is None
    assert doc.cer_or_none(0.0) > 10  # what the CER said before: many times the text's length
