"""Config models of the sections that ``pipelines/`` owns: data sources, blocks and the executor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from filters.pages import PAGE_SEPARATOR


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class SourceBase(Strict):
    name: str = Field(description="short name; prefix of document ids and key of the source's stats")
    limit: int = Field(-1, description="documents to read from this source over the whole run; -1 = all")

    def reader_kwargs(self) -> dict[str, Any]:
        return {"source": self.name, "limit": self.limit}


class LocalSource(SourceBase):
    path: str = Field(description="folder (local path or fsspec URL) holding the files")
    glob_pattern: str | None = None

    def check_available(self) -> str | None:
        """Why the source cannot be read, or None. Only local paths are checked before the run."""
        if "://" in self.path or Path(self.path).is_dir():
            return None
        return f"folder {self.path!r} does not exist"


class TextSource(LocalSource):
    format: Literal["text"] = "text"
    book_pattern: str | None = Field(None, description="regex on page file paths; group 1 = book id")
    encoding: str = "utf-8"
    form_feed_pages: bool = True

    def build(self, **extra):
        from pipelines.readers.text import TextBookReader

        glob = self.glob_pattern or "**/*.txt"
        return TextBookReader(
            self.path,
            glob_pattern=glob,
            book_pattern=self.book_pattern,
            encoding=self.encoding,
            form_feed_pages=self.form_feed_pages,
            **self.reader_kwargs(),
            **extra,
        )


class FieldMapping(Strict):
    text_field: str = "text"
    pages_field: str | None = None
    id_field: str | None = "id"
    metadata_fields: list[str] | dict[str, str] | None = None

    def mapping_kwargs(self) -> dict[str, Any]:
        return {
            "text_field": self.text_field,
            "pages_field": self.pages_field,
            "id_field": self.id_field,
            "metadata_fields": self.metadata_fields,
        }


class JsonlSource(LocalSource, FieldMapping):
    format: Literal["jsonl"] = "jsonl"

    def build(self, **extra):
        from pipelines.readers.records import JsonlBookReader

        return JsonlBookReader(
            self.path, glob_pattern=self.glob_pattern, **self.mapping_kwargs(), **self.reader_kwargs(), **extra
        )


class ParquetSource(LocalSource, FieldMapping):
    format: Literal["parquet"] = "parquet"

    def build(self, **extra):
        from pipelines.readers.records import ParquetBookReader

        return ParquetBookReader(
            self.path, glob_pattern=self.glob_pattern, **self.mapping_kwargs(), **self.reader_kwargs(), **extra
        )


class HubSource(SourceBase, FieldMapping):
    format: Literal["hub"] = "hub"
    repo: str = Field(description="dataset repository on the Hugging Face Hub, e.g. storytracer/LoC-PD-Books")
    subset: str | None = None
    split: str = "train"
    revision: str | None = None

    def check_available(self) -> str | None:
        """Ask the Hub for the dataset (one quick request) so that an offline run fails at once, not after retries."""
        if Path(self.repo).is_dir():
            return None  # a local dataset folder, loaded by the same datasets code
        from huggingface_hub import HfApi, constants

        if constants.HF_HUB_OFFLINE:
            return f"Hub dataset {self.repo!r} cannot be read: HF_HUB_OFFLINE is set"
        try:
            HfApi().dataset_info(self.repo, revision=self.revision, timeout=10)
        except Exception as e:  # network errors, missing or gated repos: all mean "cannot read it from here"
            return f"cannot reach Hub dataset {self.repo!r}: {type(e).__name__}: {str(e)[:200]}"
        return None

    def build(self, **extra):
        from pipelines.readers.records import HubBookReader

        return HubBookReader(
            self.repo,
            subset=self.subset,
            split=self.split,
            revision=self.revision,
            **self.mapping_kwargs(),
            **self.reader_kwargs(),
            **extra,
        )


class AltoSource(LocalSource):
    format: Literal["alto"] = "alto"
    use_mets: bool = True
    join_printed_hyphens: bool = Field(True, description="join line-end hyphens printed in the text (no markup)")

    def build(self, **extra):
        from pipelines.readers.alto import AltoBookReader

        return AltoBookReader(
            self.path,
            glob_pattern=self.glob_pattern or "*.xml",
            use_mets=self.use_mets,
            join_printed_hyphens=self.join_printed_hyphens,
            **self.reader_kwargs(),
            **extra,
        )


class HocrSource(LocalSource):
    format: Literal["hocr"] = "hocr"
    book_pattern: str | None = Field(None, description="regex on page file names; group 1 = book id")

    def build(self, **extra):
        from pipelines.readers.hocr import HocrBookReader

        return HocrBookReader(
            self.path,
            glob_pattern=self.glob_pattern or "*.html",
            book_pattern=self.book_pattern,
            **self.reader_kwargs(),
            **extra,
        )


class IcdarSource(LocalSource):
    """ICDAR2017 post-OCR files: raw OCR or its gold transcription, with the true CER in metadata."""

    format: Literal["icdar2017"] = "icdar2017"
    side: Literal["ocr", "gold"] = "ocr"

    def build(self, **extra):
        from pipelines.readers.icdar import IcdarBookReader

        return IcdarBookReader(
            self.path, side=self.side, glob_pattern=self.glob_pattern or "**/*.txt", **self.reader_kwargs(), **extra
        )


Source = Annotated[
    TextSource | JsonlSource | ParquetSource | HubSource | AltoSource | HocrSource | IcdarSource,
    Field(discriminator="format"),
]
SOURCE_FORMATS = ("text", "jsonl", "parquet", "hub", "alto", "hocr", "icdar2017")


class DataConfig(Strict):
    sources: list[Source] = Field(min_length=1)
    page_separator: str = PAGE_SEPARATOR

    @model_validator(mode="after")
    def _unique_names(self) -> DataConfig:
        names = [s.name for s in self.sources]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"source names must be unique; repeated: {sorted(dup)}")
        return self


class BlockSpec(Strict):
    """One block of the recipe: a registry name or dotted path, its parameters, and what to keep of its drops."""

    block: str
    id: str | None = Field(None, description="name in stats and folders; defaults to the block name")
    params: dict[str, Any] = Field(default_factory=dict)
    keep_dropped: bool = Field(False, description="write the documents this block drops to an exclusion folder")

    @model_validator(mode="after")
    def _check_block(self) -> BlockSpec:
        from filters.registry import drops_documents, resolved_params

        self.params = resolved_params(self.block, self.params)  # raises BlockError naming the parameter
        if self.keep_dropped and not drops_documents(self.block):
            raise ValueError(f"block {self.block!r} does not drop documents, so keep_dropped has nothing to keep")
        if self.id is None:
            self.id = self.block.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        return self


class SlurmResources(Strict):
    """Resources of one kind of SLURM job."""

    cpus_per_task: int = Field(1, ge=1)
    mem_per_cpu_gb: int = Field(2, ge=1)
    gpus: int = Field(0, ge=0, description="GPUs per job (training)")
    time: str = Field("01:00:00", description="wall-clock limit, SLURM syntax")


class SlurmConfig(Strict):
    """Where and how FineBooks submits its SLURM jobs (slurm/README.md)."""

    partition: str = "debug"
    account: str | None = None
    qos: str | None = None
    env_command: str | None = Field(
        None, description="shell line activating the Python environment in a job; default: the running venv"
    )
    sbatch_args: dict[str, str] = Field(
        default_factory=dict, description="extra #SBATCH options, e.g. {constraint: a100}"
    )
    processing: SlurmResources = SlurmResources()
    training: SlurmResources = SlurmResources(cpus_per_task=2)
    max_retries: int = Field(2, ge=0, description="resubmissions of a failed or preempted stage before giving up")
    poll_seconds: float = Field(5.0, gt=0, description="how often --wait polls the run state")


class RayConfig(Strict):
    address: str | None = Field(None, description="cluster address; None = start a local Ray instance")
    num_cpus: int | None = Field(None, description="CPUs of the local instance; None = all")
    cpus_per_task: int = 1
    mem_per_cpu_gb: float = 2


class ExecutorConfig(Strict):
    kind: Literal["local", "ray", "slurm"] = Field(
        "local", description="local: this machine; ray: datatrove's RayPipelineExecutor; slurm: sbatch jobs"
    )
    tasks: int = Field(1, ge=1, description="datatrove tasks (shards of the input)")
    workers: int = Field(-1, description="tasks run at once; -1 = all")
    start_method: Literal["forkserver", "spawn", "fork"] = "forkserver"
    slurm: SlurmConfig = SlurmConfig()
    ray: RayConfig = RayConfig()
