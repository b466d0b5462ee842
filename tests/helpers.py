"""Small helpers shared by tests."""

from __future__ import annotations


def read_all(reader, world_size: int = 1) -> list:
    """Every document a reader yields over all ranks, in rank order."""
    return [doc for rank in range(world_size) for doc in reader.run(rank=rank, world_size=world_size)]


def counter(step, key: str) -> int:
    """A stats counter of a datatrove step (0 when never updated)."""
    metrics = step.stats.stats  # a dict; datatrove Stats itself has no __contains__
    return int(metrics[key].total) if key in metrics else 0


class Plant:
    """Unpickled, it creates the file ``marker``: what a hostile model or checkpoint file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))
