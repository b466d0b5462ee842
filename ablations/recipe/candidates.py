"""Ablation candidates: a block or a dedup stage to try, alone or as a sweep of parameter values.

A candidate names a clean/filter block (``section: clean`` or ``filter``, a name of ``filters/registry.py``) or a
dedup kind (``section: dedup``, a name of ``pipelines/dedup/config.py``: minhash, exact, repeated_paragraphs) in
``block``, with its parameters in ``params``. ``sweep`` maps parameter paths (dotted into ``params``:
``max.ocr_cer_estimate``) to lists of values; with several paths the variants are their grid. Each variant is
checked here, at load, like any block, and is named ``<id>[<path>=<value>,...]``; the loop trains every variant
beside the others against the same recipe and lets at most the best one join it (ablations/decide/sweep.py).
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, model_validator

from filters.plugins import PluginError
from pipelines.config import BlockSpec, Strict
from pipelines.dedup.config import REGISTRY as DEDUP_KINDS
from pipelines.dedup.config import DedupSpec

MAX_VARIANTS = 16  # a grid larger than this is refused at load: each variant trains several seeds
DEDUP_ID = r"^[A-Za-z0-9_.-]+$"  # a dedup stage's id names folders and metadata keys


class SweepError(PluginError):
    """A problem of the ``sweep`` of a candidate; ``key`` is its place under the candidate, ``("sweep", path)`` (the
    recipe loader reports the line of that path)."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.key = ("sweep", path) if path else ("sweep",)


@dataclass
class CandidateVariant:
    """One variant of a candidate: the block (or dedup stage) it adds, with its swept values."""

    id: str  # unique in the experiment: the candidate's id, with the swept values when it is a sweep
    section: str  # clean | filter | dedup
    spec: BlockSpec | DedupSpec  # what joins the recipe (its id is the candidate's)
    sweep: str | None = None  # the candidate's id when it is a sweep
    values: dict[str, Any] = field(default_factory=dict)  # swept path -> value


def _format(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def variant_id(base: str, values: dict[str, Any]) -> str:
    """``ocr_quality_filter[max.ocr_cer_estimate=0.1]``; a candidate without a sweep keeps its id."""
    if not values:
        return base
    return base + "[" + ",".join(f"{path}={_format(v)}" for path, v in values.items()) + "]"


def set_path(params: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``params`` with the dotted ``path`` set to ``value``; its parent mappings must exist."""
    out = copy.deepcopy(params)
    *parents, last = path.split(".")
    if not parents and last not in out:  # a nested key may be new (``max: {}`` gains a signal): the block checks it
        raise SweepError(f"{path!r} is not a parameter of the block (its parameters: {', '.join(out)})", path)
    target = out
    for i, key in enumerate(parents):
        if not isinstance(target.get(key), dict):
            where = ".".join(parents[: i + 1])
            raise SweepError(f"params.{where} is not a mapping of parameters, so {path!r} cannot be swept", path)
        target = target[key]
    target[last] = value
    return out


class CandidateSpec(Strict):
    """One ``ablation.candidates`` item."""

    block: str = Field(description="a clean/filter block, or with section: dedup a dedup kind (minhash, exact, ...)")
    id: str | None = Field(None, description="name in verdicts, stats and folders; defaults to the block name")
    params: dict[str, Any] = Field(default_factory=dict, description="the block's (or dedup kind's) parameters")
    keep_dropped: bool | None = Field(
        None, description="write what it drops to an exclusion folder; default: false for blocks, true for dedup"
    )
    section: Literal["clean", "filter", "dedup"] = Field("filter", description="where the block joins the recipe")
    sweep: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="parameter path (dotted into params) -> values; several paths: their grid. The variants are "
        "trained beside each other and at most the best joins the recipe",
    )

    @model_validator(mode="after")
    def _check(self) -> CandidateSpec:
        if self.id is None:
            self.id = self.block.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        if self.keep_dropped is None:
            self.keep_dropped = self.section == "dedup"
        spec = self._spec(self.params)
        self.params = spec.params() if isinstance(spec, DedupSpec) else spec.params  # every default pinned
        self._check_sweep()
        return self

    def _spec(self, params: dict[str, Any]) -> BlockSpec | DedupSpec:
        """The block or dedup stage with ``params``; PluginError naming the parameter, ValueError otherwise."""
        if self.section != "dedup":
            from filters.registry import drops_documents, resolved_params

            resolved = resolved_params(self.block, params)  # PluginError naming the parameter
            if self.keep_dropped and not drops_documents(self.block):
                raise ValueError(f"block {self.block!r} does not drop documents, so keep_dropped has nothing to keep")
            keep = bool(self.keep_dropped)
            return BlockSpec.model_construct(block=self.block, id=self.id, params=resolved, keep_dropped=keep)
        return self._dedup_spec(params)

    def _dedup_spec(self, params: dict[str, Any]) -> DedupSpec:
        import re

        kind = self.block
        if kind not in DEDUP_KINDS.entries and ":" not in kind and "." not in kind:
            known = ", ".join(repr(n) for n in DEDUP_KINDS.names())
            raise ValueError(f"unknown dedup kind {kind!r} (section: dedup): one of {known}, or mypkg.module:Class")
        if not re.match(DEDUP_ID, self.id):
            raise ValueError(f"id {self.id!r} of a dedup candidate names folders: letters, digits, _ . - only")
        resolved = DEDUP_KINDS.resolve_params(kind, params)  # PluginError naming the parameter
        spec = DedupSpec.model_construct(kind=kind, id=self.id, keep_dropped=self.keep_dropped)
        spec.__pydantic_extra__ = resolved
        spec.build()  # the kind's own checks of its parameters together
        return spec

    def _check_sweep(self) -> None:
        for path, values in self.sweep.items():
            if not values:
                raise SweepError("an empty list of values: give at least one", path)
            seen = [json.dumps(v, sort_keys=True) for v in values]
            if len(set(seen)) < len(seen):
                raise SweepError(f"values repeat ({values}): each variant must differ", path)
        n = 1
        for values in self.sweep.values():
            n *= len(values)
        if n > MAX_VARIANTS:
            raise SweepError(f"the grid has {n} variants, more than {MAX_VARIANTS}: sweep fewer values")
        self.variants()  # every variant's parameters are checked now, at load

    def variants(self) -> list[CandidateVariant]:
        """The candidate's variants: itself alone, or one per value (per grid point) of its sweep."""
        if not self.sweep:
            return [CandidateVariant(self.id, self.section, self._spec(self.params))]
        out = []
        paths = list(self.sweep)
        for combo in itertools.product(*(self.sweep[p] for p in paths)):
            values = dict(zip(paths, combo, strict=True))
            params = self.params
            for path, value in values.items():
                params = set_path(params, path, value)
            try:
                spec = self._spec(params)
            except (PluginError, ValueError) as e:
                said = ", ".join(f"{p}={_format(v)}" for p, v in values.items())
                raise SweepError(f"variant {said}: {e}", paths[0] if len(paths) == 1 else None) from e
            out.append(CandidateVariant(variant_id(self.id, values), self.section, spec, self.id, values))
        return out
