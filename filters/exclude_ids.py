"""Drop documents by id: how evaluation documents are taken out of the training pool before processing."""

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter


class ExcludeIdsFilter(BaseFilter):
    """Drops the documents whose id is in ``ids`` (reason ``eval_holdout``)."""

    name = "🚫 exclude ids"

    def __init__(self, ids: list[str] = (), exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.ids = frozenset(ids)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return (False, "eval_holdout") if doc.id in self.ids else True
