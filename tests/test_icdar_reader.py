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
