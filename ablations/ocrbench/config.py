"""The OCR benchmark's config: which pages (gold), which systems, how text is normalised, how results are summarised.

One YAML file holds every choice, like a recipe; ``python run_ablation.py ocr-bench CONFIG`` runs it. Loaded with the
recipe loader (``${ENV}`` interpolation, ``--set`` overrides, ``file:line: key: message`` errors), and the resolved
config (every engine parameter pinned) is written next to the results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from ablations.ocrbench.normalize import Normalization
from filters.plugins import Registry
from pipelines.config import PluginItem, Strict

GROUPS = ("collection", "book", "century", "language", "script")  # page metadata results are grouped by


class GoldConfig(Strict):
    """Where the pages and their gold are: a CSV listing them (``pages_csv``) or a folder of images with gold files
    beside them (``folder``). Paths in the CSV are relative to ``root`` (default: the CSV's folder)."""

    pages_csv: str | None = Field(None, description="CSV with one row per page (like ocr_images/pages.csv)")
    folder: str | None = Field(None, description="folder of page images, each with a gold file of the same stem")
    root: str | None = Field(None, description="folder the CSV's image and gold paths are relative to")
    columns: dict[str, str] = Field(
        default_factory=lambda: {
            "collection": "set",
            "book": "book",
            "image": "image",
            "gold": "gold",
            "gold_format": "gold_format",
            "language": "language",
            "script": "script",
            "century": "century",
        },
        description="page field -> CSV column; every other column is kept as extra metadata",
    )
    image_extensions: list[str] = Field(default_factory=lambda: [".png", ".jpg", ".jpeg", ".tif", ".tiff"])
    language: str = Field("", description="folder mode: language (ISO 639-3) of every page")
    script: str = Field("", description="folder mode: script of every page")
    century: str = Field("", description="folder mode: century of every page")
    only: dict[str, list[str]] = Field(
        default_factory=dict, description="keep pages whose field is one of the values, e.g. {collection: [fr_16c]}"
    )
    limit_per_collection: int = Field(-1, description="first N pages of each collection (in id order); -1 = all")

    @model_validator(mode="after")
    def _one_source(self) -> GoldConfig:
        if (self.pages_csv is None) == (self.folder is None):
            raise ValueError("give exactly one of gold.pages_csv and gold.folder")
        if unknown := sorted(set(self.only) - {*GROUPS, "id"}):
            raise ValueError(f"gold.only keys must be page fields {('id', *GROUPS)}: got {unknown}")
        return self


class SystemSpec(PluginItem):
    """One system to compare: an OCR engine (``engine``: a name of ``ablations/ocrbench/engines.py`` or a dotted
    path to an ``OcrEngine`` subclass) and its parameters as keys beside ``id`` and ``scope``."""

    PLUGIN_KEY: ClassVar[str] = "engine"
    id: str = Field(description="short name of the system in tables and file names")
    engine: str = Field(description="tesseract, command, openai, existing, or mypkg.module:Engine")
    scope: dict[str, list[str]] = Field(
        default_factory=dict,
        description="pages this system is run on, by page field (e.g. {collection: [en_oldbooks]}); empty = all. "
        "A page out of scope is not counted for this system; a page in scope that fails is counted as failed",
    )

    @staticmethod
    def registry() -> Registry:
        from pipelines.ocr.engines import ENGINES

        return ENGINES

    @field_validator("id")
    @classmethod
    def _file_safe(cls, value: str) -> str:
        if not value or not all(c.isalnum() or c in "-_." for c in value):
            raise ValueError(f"system id {value!r}: use letters, digits, '-', '_' and '.' only (it names folders)")
        return value

    def build(self) -> Any:
        return self.registry().build(self.engine, self.params())

    def in_scope(self, fields: dict[str, str]) -> bool:
        return all(str(fields.get(key, "")) in values for key, values in self.scope.items())


class StatsConfig(Strict):
    bootstrap_samples: int = Field(1000, ge=100, description="resamples of pages for every interval")
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    seed: int = 0
    worst_pages: int = Field(5, ge=0, description="pages per system shown with an alignment excerpt in the report")


class OcrBenchConfig(Strict):
    """The whole benchmark."""

    name: str = Field(description="benchmark name: the output folder is <output_dir>/<name>")
    output_dir: str = "runs/ocrbench"
    gold: GoldConfig
    systems: list[SystemSpec] = Field(min_length=1)
    normalization: Normalization = Field(default_factory=Normalization)
    stats: StatsConfig = Field(default_factory=StatsConfig)
    progress: bool = Field(True, description="progress bars for engines that take seconds per page")
    workers: int = Field(1, ge=1, description="pages an engine reads at once (threads, one engine each)")

    @model_validator(mode="after")
    def _unique_ids(self) -> OcrBenchConfig:
        ids = [s.id for s in self.systems]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"system ids must be unique: {', '.join(dupes)} appear more than once")
        for system in self.systems:
            if unknown := sorted(set(system.scope) - {*GROUPS, "id"}):
                raise ValueError(f"system {system.id!r}: scope keys must be page fields {GROUPS}: got {unknown}")
        return self

    @property
    def out(self) -> Path:
        return Path(self.output_dir) / self.name
