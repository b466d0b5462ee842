"""Config names of blocks, and validation of their parameters against the block's own signature.

A config names a block by a registry name (``gopher_quality``) or by a dotted path to a user's own
``PipelineStep`` subclass (``mypackage.blocks:MyFilter``). Parameters are checked against the block's
``__init__``: an unknown name or a wrong type is an error naming the parameter. ``resolved_params`` fills in
every default so that the resolved config pins them (upstream defaults drift between versions).
"""

from __future__ import annotations

import importlib
import inspect
import typing
from typing import Any

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
    "dict_ratio": "filters.signals.dict_ratio:DictRatioSignal",
    "garbage_ratio": "filters.signals.garbage_ratio:GarbageRatioSignal",
    "word_confidence": "filters.signals.word_confidence:WordConfidenceSignal",
    "kenlm_perplexity": "filters.signals.kenlm_perplexity:KenlmPerplexitySignal",
    "fasttext_quality": "filters.signals.fasttext_quality:FasttextQualitySignal",
    "lang_consistency": "filters.signals.lang_consistency:LangConsistencySignal",
    "ocr_quality_filter": "filters.ocr_quality_filter:OcrQualityFilter",
    # --- dedup blocks ---
}

# parameters that the pipeline builder sets itself and a config may not
RESERVED_PARAMS = {"exclusion_writer", "self"}


class BlockError(ValueError):
    """A block name or parameter that is wrong; ``key`` is the parameter at fault (or None for the name)."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


def resolve_block(name: str) -> type:
    """The class a config name (or ``module:Class`` / ``module.Class`` path) refers to."""
    target = BLOCKS.get(name, name)
    if ":" in target:
        module_name, _, attr = target.partition(":")
    elif "." in target:
        module_name, _, attr = target.rpartition(".")
    else:
        raise BlockError(f"unknown block {name!r}; known blocks: {', '.join(sorted(BLOCKS))}, or a dotted path")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, attr)
    except (ImportError, AttributeError) as e:
        raise BlockError(f"cannot import block {name!r} ({target}): {e}") from e
    from datatrove.pipeline.base import PipelineStep

    if not (inspect.isclass(cls) and issubclass(cls, PipelineStep)):
        raise BlockError(f"block {name!r} ({target}) is not a datatrove PipelineStep")
    return cls


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _as_lists(value: Any) -> Any:
    """Tuples (common in datatrove defaults) become lists, so the resolved config dumps as plain YAML."""
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    return value


def block_parameters(cls: type) -> dict[str, inspect.Parameter]:
    sig = inspect.signature(cls.__init__)
    return {
        n: p
        for n, p in sig.parameters.items()
        if n not in RESERVED_PARAMS and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def resolved_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check ``params`` against the block's signature and return them with every plain default filled in."""
    from pydantic import TypeAdapter, ValidationError

    cls = resolve_block(name)
    known = block_parameters(cls)
    for key in params:
        if key not in known:
            raise BlockError(f"block {name!r} has no parameter {key!r}; its parameters: {', '.join(known)}", key)
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # unresolvable forward references: check names only
        hints = {}
    out: dict[str, Any] = {}
    for key, p in known.items():
        if key in params:
            value = params[key]
            if key in hints:
                try:
                    value = TypeAdapter(hints[key]).validate_python(value)
                except ValidationError as e:
                    msg = e.errors()[0]["msg"]
                    raise BlockError(f"block {name!r} parameter {key!r}: {msg} (got {value!r})", key) from e
                except Exception:  # a type pydantic cannot build a validator for
                    pass
            out[key] = _as_lists(value)
        elif p.default is inspect.Parameter.empty:
            raise BlockError(f"block {name!r} needs parameter {key!r}", key)
        elif _is_plain(p.default):
            out[key] = _as_lists(p.default)
    return out


def build_block(name: str, params: dict[str, Any], **extra: Any):
    """Instantiate a block with validated parameters (plus builder-owned ones such as ``exclusion_writer``)."""
    cls = resolve_block(name)
    return cls(**resolved_params(name, params), **extra)


def drops_documents(name: str) -> bool:
    from datatrove.pipeline.filters.base_filter import BaseFilter

    return issubclass(resolve_block(name), BaseFilter)
