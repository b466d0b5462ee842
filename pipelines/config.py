"""Config models of the sections that ``pipelines/`` owns: data sources, blocks and the executor; ``PluginItem``,
the recipe item that names a plug-in and sets its parameters as flat keys (sources here, dedup stages)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from filters.pages import PAGE_SEPARATOR
from filters.plugins import PluginError, Registry


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class ItemKeyError(PluginError):
    """A plug-in error at a key of the recipe item itself (a source's or dedup stage's flat parameters)."""


class PluginItem(BaseModel):
    """A recipe item that names a plug-in (``PLUGIN_KEY``: ``format`` of a source, ``kind`` of a dedup stage) and
    sets its parameters as keys beside the item's own fields.

    The parameters are checked against the plug-in's signature (``filters/plugins.py``): an unknown key, a missing
    required one or a wrong value is an ``ItemKeyError`` naming the key. After validation they hold every default
    (``params()``), are read as attributes (``source.path``) and dump flat, so the resolved recipe pins them.
    """

    model_config = ConfigDict(extra="allow", validate_default=True)
    PLUGIN_KEY: ClassVar[str]

    @staticmethod
    def registry() -> Registry:
        raise NotImplementedError

    def plugin(self) -> str:
        return getattr(self, self.PLUGIN_KEY)

    def params(self) -> dict[str, Any]:
        """The plug-in's parameters, every default filled in."""
        return dict(self.__pydantic_extra__ or {})

    @model_validator(mode="after")
    def _resolve_plugin(self) -> PluginItem:
        registry, name, given = self.registry(), self.plugin(), self.params()
        if name not in registry.entries and ":" not in name and "." not in name:
            known = ", ".join(repr(n) for n in registry.names())
            raise ValueError(
                f"unknown {registry.kind} {name!r}: one of {known}, or a dotted path (mypkg.module:Class)"
            )
        known = registry.parameters(name)
        for key in given:
            if key not in known:
                keys = ", ".join([*type(self).model_fields, *known])
                raise ItemKeyError(f"unknown key ({registry.kind} {name!r} takes {keys})", key)
        try:
            self.__pydantic_extra__ = registry.resolve_params(name, given)
        except PluginError as e:
            raise ItemKeyError(str(e), e.key) from e
        self.check_plugin()
        return self

    def check_plugin(self) -> None:
        """Further checks of a subclass, run after the parameters are resolved."""


class SourceSpec(PluginItem):
    """One data source: a reader (``format``: a name of ``pipelines/readers/registry.py`` or a dotted path to a
    ``BookReader`` subclass) and its ``__init__`` parameters as keys (``path``, ``glob_pattern``, ...)."""

    PLUGIN_KEY: ClassVar[str] = "format"
    name: str = Field(description="short name; prefix of document ids and key of the source's stats")
    format: str = Field(
        description="reader: text, jsonl, parquet, hub, alto, hocr, page, icdar2017, or mypkg.mod:Reader"
    )
    limit: int = Field(-1, description="documents to read from this source over the whole run; -1 = all")

    @staticmethod
    def registry() -> Registry:
        from pipelines.readers.registry import REGISTRY

        return REGISTRY

    def build(self, **extra: Any):
        """The reader, with framework-owned arguments (``page_separator``, ``skip_log``, ``progress``) in ``extra``."""
        return self.registry().build(self.format, self.params(), source=self.name, limit=self.limit, **extra)

    def check_available(self) -> str | None:
        """Why the source cannot be read, or None (the reader's own check: folder exists, Hub reachable)."""
        return self.build().check_available()


class DataConfig(Strict):
    sources: list[SourceSpec] = Field(min_length=1)
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
