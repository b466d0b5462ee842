"""Config names of clean/filter blocks (the ``block`` plug-in kind, ``filters/plugins.py``).

A config names a block by a registry name (``gopher_quality``) or by a dotted path to a user's own
``PipelineStep`` subclass (``mypackage.blocks:MyFilter``). Parameters are checked against the block's
``__init__``: an unknown name or a wrong type is an error naming the parameter. ``resolved_params`` fills in
every default so that the resolved config pins them (upstream defaults drift between versions).
"""

from __future__ import annotations

from typing import Any

from filters.plugins import PluginError, Registry
from filters.signals import SIGNALS

BLOCKS: dict[str, str] = {
    # ours
    "book_length": "filters.book_length:BookLengthFilter",
    "exclude_ids": "filters.exclude_ids:ExcludeIdsFilter",
    # datatrove's stock blocks, available by name (calibrate their parameters for books in the config)
    "gopher_quality": "datatrove.pipeline.filters.gopher_quality_filter:GopherQualityFilter",
    "gopher_repetition": "datatrove.pipeline.filters.gopher_repetition_filter:GopherRepetitionFilter",
    "c4_quality": "datatrove.pipeline.filters.c4_filters:C4QualityFilter",
    "fineweb_quality": "datatrove.pipeline.filters.fineweb_quality_filter:FineWebQualityFilter",
    "regex": "datatrove.pipeline.filters.regex_filter:RegexFilter",
    "sampler": "datatrove.pipeline.filters.sampler_filter:SamplerFilter",
    # --- clean-up blocks (text-rewriting) ---
    "gutenberg_boilerplate": "filters.cleanup.gutenberg:GutenbergBoilerplate",
    "unicode_fix": "filters.cleanup.unicode_fix:UnicodeFix",
    "historic_normalize": "filters.cleanup.historic_normalize:HistoricNormalize",
    "page_furniture": "filters.cleanup.page_furniture:PageFurniture",
    "dehyphenate": "filters.cleanup.dehyphenate:Dehyphenate",
    "unwrap_lines": "filters.cleanup.unwrap_lines:UnwrapLines",
    "remove_page_separators": "filters.cleanup.page_separators:RemovePageSeparators",
    # --- OCR-quality signals and filters ---
    **SIGNALS,  # every signal is also a block (filters/signals/__init__.py)
    "ocr_quality_filter": "filters.ocr_quality_filter:OcrQualityFilter",
    # --- re-OCR (runs an OCR engine of pipelines/ocr/, so it lives there) ---
    "reocr": "pipelines.ocr.reocr:ReOcr",
}


def _pipeline_step() -> type:
    from datatrove.pipeline.base import PipelineStep

    return PipelineStep


# ``exclusion_writer`` is set by the pipeline builder itself (``keep_dropped``), never by a config
REGISTRY = Registry("block", BLOCKS, base=_pipeline_step, reserved={"exclusion_writer"})
BlockError = PluginError  # the name the recipe loader and older user code know


def resolve_block(name: str) -> type:
    """The class a config name (or ``module:Class`` / ``module.Class`` path) refers to."""
    return REGISTRY.resolve(name)


def resolved_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check ``params`` against the block's signature and return them with every plain default filled in."""
    return REGISTRY.resolve_params(name, params)


def build_block(name: str, params: dict[str, Any], **extra: Any):
    """Instantiate a block with validated parameters (plus builder-owned ones such as ``exclusion_writer``)."""
    return REGISTRY.build(name, params, **extra)


def drops_documents(name: str) -> bool:
    from datatrove.pipeline.filters.base_filter import BaseFilter

    return issubclass(resolve_block(name), BaseFilter)
