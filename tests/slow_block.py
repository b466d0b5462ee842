"""A user block named by dotted path in tests: passes books through slowly, so a run can be killed mid-way."""

import time

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep


class SlowPass(PipelineStep):
    name = "🐢 slow pass"

    def __init__(self, seconds_per_book: float = 0.05):
        super().__init__()
        self.seconds_per_book = seconds_per_book

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            time.sleep(self.seconds_per_book)
            yield doc


class AlwaysFails(PipelineStep):
    """Raises on the first book: a stage that fails however often it is resubmitted."""

    name = "💥 always fails"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for _ in data:
            raise RuntimeError("this block always fails (tests/slow_block.py)")
        yield from ()
