"""``reocr``: read the worst pages of a book again with another OCR engine and keep whichever text is better.

A page whose estimated CER (``ocr_cer_estimate``, ``filters/signals/cer_estimate.py``) is above ``threshold`` and
whose page image can be found is read by the engine; the new text is kept only when its estimated CER is lower.
The engine is configured directly (``engine`` + ``engine_params``) or taken from a finished OCR benchmark
(``benchmark``): only a system whose paired interval against the existing text (``existing_system``, scored in the
benchmark) excludes no difference on pages of the book's language, over at least ``min_pages`` common pages
(``choice.py``); when none does, the existing text is kept and every page tried says why. Off unless a recipe lists
it; an ablation candidate like any block ("re-OCR the worst pages").
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from datatrove.data import Document
from datatrove.utils.logging import logger

from filters.cleanup.base import PageRewriter
from filters.textview import TextView
from pipelines.ocr.choice import BenchmarkChoice, Choice
from pipelines.ocr.pages import EngineError, OcrPage


def iso639_3(code: str | None) -> str:
    """'en' -> 'eng' (engines' models are keyed by ISO 639-3, as the benchmark's pages.csv); '' when unknown."""
    if not code:
        return ""
    try:
        import langcodes

        return langcodes.Language.get(code).to_alpha3()
    except (LookupError, ValueError):
        return ""


class ReOcr(PageRewriter):
    """Re-OCR pages whose estimated CER is above ``threshold``; keep the text with the lower estimate.

    ``images``: where a page's image is, a template relative to ``image_root`` with ``{page_dir}``,
    ``{page_stem}`` (file name up to its first dot), ``{page_name}``, ``{page_index}`` (0-based), ``{page_number}``
    and ``{book}`` taken from ``metadata.page_files``. ``metadata["reocr"]`` records, per page tried, the system,
    both estimates and which text was kept; stats count ``pages_checked``, ``pages_above_threshold``,
    ``pages_no_image``, ``pages_no_evidence`` (the benchmark shows no engine better than the existing text: kept),
    ``pages_reocr_failed``, ``pages_replaced`` and ``pages_kept_original``.
    """

    name = "🔁 re-OCR bad pages"

    def __init__(
        self,
        image_root: str,
        images: str = "{page_dir}/{page_stem}.png",
        threshold: float = 0.10,
        engine: str = "",
        engine_params: dict | None = None,
        benchmark: str = "",
        existing_system: str = "",
        min_pages: int = 20,
        model: str = "",
    ):
        super().__init__()
        if bool(engine) == bool(benchmark):
            raise ValueError("reocr: set exactly one of engine (with engine_params) and benchmark")
        self.image_root = Path(image_root)
        self.images = images
        self.threshold = threshold
        self.engine_name, self.engine_params = engine, dict(engine_params or {})
        if engine:
            from pipelines.ocr.engines import ENGINES

            ENGINES.resolve_params(engine, self.engine_params)  # a wrong engine parameter fails when the block is made
        self.benchmark, self.existing_system, self.min_pages = benchmark, existing_system, min_pages
        self.model = model
        self._engines: dict[str, Any] = {}
        self._evidence = None  # BenchmarkChoice, read on first use
        self._choices: dict[str, Choice] = {}
        self._estimator = None

    @property
    def estimator(self):
        if self._estimator is None:
            from filters.signals.cer_estimate import CerEstimateSignal

            self._estimator = CerEstimateSignal(self.model)
        return self._estimator

    def choose(self, language: str) -> Choice:
        """The system for a book in ``language`` (ISO 639-3), None to keep the existing text; decided once."""
        if self.engine_name:
            return Choice(self.engine_name, "configured")
        if language not in self._choices:
            if self._evidence is None:
                self._evidence = BenchmarkChoice(self.benchmark, self.existing_system, self.min_pages)
            choice = self._evidence.choose(language)
            logger.info(f"reocr: language {language or '(unknown)'}: {choice.reason}")
            self._choices[language] = choice
        return self._choices[language]

    def engine_for(self, language: str) -> tuple[str | None, Any]:
        """(system name, engine) for a book in ``language``, built and checked once; (None, reason) when the
        benchmark shows no engine better than the existing text."""
        from pipelines.ocr.engines import ENGINES

        choice = self.choose(language)
        if choice.system is None:
            return None, choice.reason
        name = choice.system
        if self.engine_name:
            spec = {"engine": self.engine_name, "params": self.engine_params}
        else:
            spec = self._evidence.runnable[name]
        if name not in self._engines:
            engine = ENGINES.build(spec["engine"], spec["params"])
            engine.check()  # EngineUnavailable stops the run: a configuration problem, not a page's
            self._engines[name] = engine
        return name, self._engines[name]

    def image_path(self, doc: Document, index: int) -> Path | None:
        files = doc.metadata.get("page_files") or []
        if len(files) != int(doc.metadata.get("n_pages", len(files))) or index >= len(files):
            return None
        page_file = files[index]
        name = posixpath.basename(page_file)
        rel = self.images.format(
            page_dir=posixpath.dirname(page_file) or ".",
            page_stem=name.split(".")[0],
            page_name=name,
            page_index=index,
            page_number=index + 1,
            book=doc.id.split("/", 1)[-1],
        )
        path = self.image_root / rel
        return path if path.is_file() else None

    def _estimate(self, doc: Document, text: str) -> float | None:
        probe = Document(text=text, id=doc.id, metadata={"language": doc.metadata.get("language")})
        return self.estimator.page_scores(probe, TextView(text))[0][0]

    def rewrite(self, doc: Document, view: TextView) -> list[str] | None:  # long: one decision per page, recorded
        from filters.pages import split_pages

        pages = split_pages(doc.text, doc.metadata.get("page_offsets"))
        scores = self.estimator.page_scores(doc, view)
        language = iso639_3(doc.metadata.get("language"))
        record, changed = [], False
        for i, (estimate, _) in enumerate(scores):
            self.stat_update("pages_checked")
            if estimate is None or estimate <= self.threshold:
                continue
            self.stat_update("pages_above_threshold")
            image = self.image_path(doc, i)
            if image is None:
                self.stat_update("pages_no_image")
                record.append({"page": i, "estimate": estimate, "kept": "original", "reason": "no image"})
                continue
            system, engine = self.engine_for(language)
            if system is None:
                self.stat_update("pages_no_evidence")
                record.append({"page": i, "estimate": estimate, "kept": "original", "reason": engine})
                continue
            try:
                text = engine.recognize(OcrPage(f"{doc.id}#{i}", image, language=language)).strip("\n\f ")
            except EngineError as e:
                self.stat_update("pages_reocr_failed")
                logger.warning(f"reocr: {doc.id} page {i}: {e}")
                record.append(
                    {
                        "page": i,
                        "estimate": estimate,
                        "system": system,
                        "kept": "original",
                        "reason": f"engine failed: {str(e)[:200]}",
                    }
                )
                continue
            new = self._estimate(doc, text)
            better = new is not None and new < estimate
            self.stat_update("pages_replaced" if better else "pages_kept_original")
            record.append(
                {
                    "page": i,
                    "estimate": estimate,
                    "system": system,
                    "new_estimate": new,
                    "kept": "reocr" if better else "original",
                }
            )
            if better:
                pages[i], changed = text, True
        if record:
            doc.metadata["reocr"] = record
        return pages if changed else None
