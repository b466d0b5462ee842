"""Datatrove readers that yield one Document per book, page boundaries kept."""

from pipelines.readers.base import BadInput, BookReader, BookRef, SourceUnavailable

__all__ = ["BadInput", "BookReader", "BookRef", "SourceUnavailable"]
