"""OCR engines of the benchmark: Tesseract and a command template on real pages, and the engine registry's
parameter checks (the OpenAI-compatible endpoint: test_ocrbench_openai.py)."""

from __future__ import annotations

import csv
import re
import sys
import time
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from ablations.ocrbench.pages import BenchPage
from filters.plugins import PluginError
from pipelines.ocr.command import CommandEngine
from pipelines.ocr.engines import ENGINES, OcrEngine, sha256_file
from pipelines.ocr.openai_engine import OpenAiEngine
from pipelines.ocr.pages import EngineError, EngineUnavailable, OcrPage
from pipelines.ocr.tesseract import TesseractEngine

EN_PAGE = "en_oldbooks/a/a006.png"
DE_PAGE = "de_ocrd/laube_europa0202_1837/laube_europa0202_1837_0105.jpg"
MODELS = {"eng": "eng", "deu": "frk+deu"}


def bench_page(data: Path, image: str) -> BenchPage:
    """The pages.csv row of ``image`` as a BenchPage."""
    root = data / "ocr_images"
    with open(root / "pages.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["image"] == image)
    gold, fmt = root / row["gold"], row["gold_format"]
    return BenchPage(image, root / row["image"], gold=gold, gold_format=fmt, language=row["language"])


def gold_words(page: BenchPage) -> list[str]:
    if page.gold_format == "txt":
        text = page.gold.read_text(encoding="utf-8")
    else:  # PAGE: every line's text, order does not matter for a share of words
        root = etree.parse(str(page.gold)).getroot()
        lines = root.iter("{*}TextLine")
        text = " ".join(u.text or "" for line in lines for u in line.findall("{*}TextEquiv/{*}Unicode"))
    return words(text)


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def found_share(ocr: str, gold: list[str]) -> float:
    found = set(words(ocr))
    return sum(w in found for w in gold) / len(gold)


def cropped(page: OcrPage, tmp_path: Path, top: float = 0.3, bottom: float = 0.5) -> OcrPage:
    """A band of the page (shares of its height) as a smaller image: keeps a run through tesseract short. The
    default band holds the first paragraph of the English page."""
    with Image.open(page.image) as image:
        part = image.crop((0, int(image.height * top), image.width, int(image.height * bottom)))
        path = tmp_path / "crop.png"
        part.save(path)
    return OcrPage(page.id, path, language=page.language)


# --- tesseract ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("image, share", [(EN_PAGE, 0.8), (DE_PAGE, 0.7)])
def test_tesseract_reads_real_pages_with_the_model_of_their_language(shared_data, image, share):
    page = bench_page(shared_data, image)
    engine = TesseractEngine(models=MODELS)
    engine.check()
    text = engine.recognize(page)
    assert found_share(text, gold_words(page)) > share
    assert engine.last_notes == []


def test_tesseract_describe_names_version_models_and_model_hashes():
    engine = TesseractEngine(models=MODELS, default_model="lat")
    engine.check()
    info = engine.describe()
    assert info["version"].startswith("tesseract 5")
    assert set(info["traineddata_sha256"]) == {"eng", "frk", "deu", "lat"}
    eng = Path(info["tessdata_dir"]) / "eng.traineddata"
    assert info["traineddata_sha256"]["eng"] == sha256_file(eng)


def test_tesseract_missing_model_or_binary_is_unavailable():
    with pytest.raises(EngineUnavailable, match="missing.*nosuchmodel"):
        TesseractEngine(models={"eng": "eng+nosuchmodel"}).check()
    with pytest.raises(EngineUnavailable, match="not found"):
        TesseractEngine(models=MODELS, binary="no-such-tesseract").check()


def test_tesseract_unknown_language_fails_the_page_unless_a_default_model(shared_data, tmp_path):
    page = cropped(bench_page(shared_data, EN_PAGE), tmp_path)
    page = OcrPage(page.id, page.image, language="fin")
    with pytest.raises(EngineError, match="no model for language 'fin'"):
        TesseractEngine(models=MODELS).recognize(page)
    assert "written" in TesseractEngine(models=MODELS, default_model="eng").recognize(page)


def test_tesseract_command_line_has_psm_oem_and_extra_args(tmp_path):
    engine = TesseractEngine(models=MODELS, psm=6, oem=1, extra_args=["-c", "preserve_interword_spaces=1"])
    args = engine.command(OcrPage("p", tmp_path / "x.png", language="deu"))
    assert args[2:] == ["stdout", "-l", "frk+deu", "--psm", "6", "--oem", "1", "-c", "preserve_interword_spaces=1"]


# --- command template --------------------------------------------------------------------------------------------


def test_command_runs_tesseract_into_an_hocr_file(shared_data, tmp_path):
    page = cropped(bench_page(shared_data, EN_PAGE), tmp_path)
    engine = CommandEngine(
        command=["tesseract", "{image}", "{output_base}", "-l", "{lang}", "--psm", "3", "hocr"],
        output="file",
        format="hocr",
        languages={"eng": "eng"},
        env={"OMP_THREAD_LIMIT": "1"},
        version_command=["tesseract", "--version"],
    )
    engine.check()
    text = engine.recognize(page)
    assert text.startswith("When this book was written")
    assert found_share(text, words("the Armenian Massacres of April in Cilicia were instigated by")) == 1
    assert engine.describe()["version"].startswith("tesseract 5")


def python_engine(code: str, **params) -> CommandEngine:
    return CommandEngine(command=[sys.executable, "-c", code, *params.pop("args", [])], **params)


def test_command_fills_placeholders_and_leaves_other_braces(tmp_path):
    page = OcrPage("set/book/p1", tmp_path / "p1.png", language="deu")
    page.image.write_bytes(b"not read by this command")
    engine = python_engine("import sys; print({'args': sys.argv[1:]})", args=["{lang}", "{page_id}", "{image}"])
    assert engine.recognize(page) == str({"args": ["deu", "set/book/p1", str(page.image)]})
    mapped = python_engine("import sys; print(sys.argv[1])", args=["{lang}"], languages={"deu": "frk"})
    assert mapped.recognize(page) == "frk"
    with pytest.raises(EngineError, match="no entry for language 'deu'"):
        python_engine("print(1)", args=["{lang}"], languages={"eng": "eng"}).recognize(page)


def test_command_failure_reports_exit_code_and_end_of_stderr(tmp_path):
    page = OcrPage("p", tmp_path / "p.png", language="eng")
    page.image.write_bytes(b"")
    engine = python_engine("import sys; sys.stderr.write('noise ' * 500 + 'model weights missing'); sys.exit(3)")
    with pytest.raises(EngineError, match="code 3.*model weights missing") as failure:
        engine.recognize(page)
    assert len(str(failure.value)) < 600


def test_command_timeout_and_missing_output_file_fail_the_page(tmp_path):
    page = OcrPage("p", tmp_path / "p.png", language="eng")
    page.image.write_bytes(b"")
    start = time.monotonic()
    with pytest.raises(EngineError, match="timed out after 0.5 s"):
        python_engine("import time; time.sleep(30)", timeout_s=0.5).recognize(page)
    assert time.monotonic() - start < 5
    with pytest.raises(EngineError, match="no output file output.txt"):
        python_engine("print('to stdout only')", args=["{output}"], output="file").recognize(page)
    with pytest.raises(EngineError, match="unreadable alto output"):
        python_engine("print('<alto')", format="alto").recognize(page)


def test_command_program_must_exist():
    with pytest.raises(EngineUnavailable, match="no-such-ocr"):
        CommandEngine(command=["no-such-ocr", "{image}"]).check()


# --- registry ----------------------------------------------------------------------------------------------------


def test_registry_resolves_every_engine_and_pins_defaults():
    assert {"tesseract", "command", "openai"} <= set(ENGINES.names())
    for name in ("tesseract", "command", "openai"):
        assert issubclass(ENGINES.resolve(name), OcrEngine)
    params = ENGINES.resolve_params("tesseract", {"models": {"eng": "eng"}})
    assert params["psm"] == 3 and params["threads"] == 1 and params["extra_args"] == []
    engine = ENGINES.build("openai", {"url": "http://localhost:8000/v1", "model": "m"})
    assert isinstance(engine, OpenAiEngine) and engine.max_image_side == 1600


@pytest.mark.parametrize(
    "name, params, key",
    [
        ("tesseract", {"models": {"eng": "eng"}, "psm": "many"}, "psm"),
        ("tesseract", {"models": {"eng": "eng"}, "pms": 3}, "pms"),
        ("tesseract", {}, "models"),
        ("command", {"command": ["x"], "format": "pdf"}, "format"),
        ("command", {"command": ["x"], "output": "socket"}, "output"),
        ("openai", {"model": "m"}, "url"),
        ("openai", {"url": "http://h/v1", "model": "m", "max_image_side": "big"}, "max_image_side"),
    ],
)
def test_registry_bad_parameters_name_the_key(name, params, key):
    with pytest.raises(PluginError, match=repr(key)) as error:
        ENGINES.resolve_params(name, params)
    assert error.value.key == key


@pytest.mark.parametrize(
    "name, params, key",
    [
        ("tesseract", {"models": {}, "psm": 14}, "psm"),
        ("command", {"command": ["ocr", "{image}"], "output": "file"}, "command"),
        ("openai", {"url": "localhost:8000/v1", "model": "m"}, "url"),
    ],
)
def test_engine_rejects_impossible_values_when_built(name, params, key):
    with pytest.raises(PluginError) as error:
        ENGINES.build(name, params)
    assert error.value.key == key
