"""The recipe's ``dedup:`` section: dedup stages run in order on the process stage's output.

Each item is one stage: a dedup kind (``kind``: a name of ``KINDS`` below, or a dotted path to a user's own
``DedupKind`` subclass, ``mypackage.dedup:MyDedup``), its ``id`` and ``keep_dropped``, and the kind's parameters as
keys beside them, checked against the kind's ``__init__`` (``pipelines/dedup/kinds.py`` documents the built-in
ones). The resolved recipe pins every default.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from filters.plugins import Registry
from pipelines.config import ExecutorConfig, PluginItem

KINDS: dict[str, str] = {
    "minhash": "pipelines.dedup.kinds:MinhashDedup",
    "exact": "pipelines.dedup.kinds:ExactDedup",
    "repeated_paragraphs": "pipelines.dedup.kinds:RepeatedParagraphs",
}


class DedupKind:
    """Base of the dedup kinds: the ``__init__`` parameters are the recipe keys, ``steps`` the datatrove steps.

    A subclass takes its own parameters and passes ``**kwargs`` (``id``, ``keep_dropped``: set by the stage) on to
    this ``__init__``. ``steps`` returns the stage's ``pipelines.dedup.steps.Step`` list: the steps read
    ``input_folder/output``, work in ``folder``, and the last one, named ``apply`` (``steps._apply_steps``: count,
    apply, count, write ``folder/output``), holds the counters the stage summary reads.
    """

    def __init__(self, id: str, keep_dropped: bool = True):
        self.id = id
        self.keep_dropped = keep_dropped

    def steps(self, input_folder: Path, folder: Path, executor: ExecutorConfig) -> list:
        raise NotImplementedError

    # Optional: first steps that fewer parameters decide than the whole kind (minhash signatures do not depend on
    # the thresholds) run in a stage of their own, ``dedup-shared-<hash of shared_key()>``, that stages differing
    # in other parameters reuse (a sweep over a threshold computes the signatures once).
    def shared_key(self) -> dict | None:
        """What decides ``shared_steps`` (None: the kind has no shared steps)."""
        return None

    def shared_steps(self, input_folder: Path, shared: Path, executor: ExecutorConfig) -> list:
        """The shared steps, working in ``shared``."""
        return []

    def steps_after_shared(self, input_folder: Path, shared: Path, folder: Path, executor: ExecutorConfig) -> list:
        """The other steps (in ``folder``), reading what the shared steps wrote in ``shared``."""
        raise NotImplementedError


REGISTRY = Registry("dedup kind", KINDS, base=DedupKind, reserved={"id", "keep_dropped"})


class DedupSpec(PluginItem):
    """One dedup stage of the recipe: ``kind``, ``id``, ``keep_dropped`` and the kind's parameters."""

    PLUGIN_KEY: ClassVar[str] = "kind"
    kind: str = Field(description="minhash, exact, repeated_paragraphs, or mypkg.module:MyDedup")
    id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="stage name in summaries, folders and metadata keys (<id>_cluster, ...); defaults to the kind",
    )
    keep_dropped: bool = Field(True, description="write the books this stage drops to its excluded/ folder")

    @staticmethod
    def registry() -> Registry:
        return REGISTRY

    def check_plugin(self) -> None:
        if self.id is None:
            self.id = self.kind.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        self.build()  # the kind's own checks of its parameters together

    def build(self) -> DedupKind:
        return REGISTRY.build(self.kind, self.params(), id=self.id, keep_dropped=self.keep_dropped)

    def steps(self, input_folder: Path, folder: Path, executor: ExecutorConfig) -> list:
        """The datatrove steps of this stage (the kind's ``steps``)."""
        return self.build().steps(input_folder, folder, executor)
