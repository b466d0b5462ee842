"""A pass-through step that counts books, pages and bytes at one point of the pipeline."""

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep


class BookCounter(PipelineStep):
    """Counts ``documents``, ``pages`` and ``bytes`` (UTF-8) of the books flowing through it."""

    type = "🔢 - COUNTER"

    def __init__(self, label: str):
        self.label = label
        self.name = f"count {label}"
        super().__init__()  # names the stats after self.name

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update("documents")
            self.stat_update("pages", value=doc.metadata.get("n_pages", 1))
            self.stat_update("bytes", value=len(doc.text.encode("utf-8")))
            yield doc
