"""Config names of the book readers (the ``reader`` plug-in kind, ``filters/plugins.py``).

A recipe's data source names its reader with ``format``: a name below, or a dotted path to a user's own
``BookReader`` subclass (``mypackage.readers:MyReader``). Every other key of the source except ``name`` and
``limit`` is a parameter of the reader's ``__init__``, checked against its signature; the resolved recipe pins
every default.
"""

from __future__ import annotations

from filters.plugins import Registry
from pipelines.readers.base import BookReader

READERS: dict[str, str] = {
    "text": "pipelines.readers.text:TextBookReader",
    "jsonl": "pipelines.readers.records:JsonlBookReader",
    "parquet": "pipelines.readers.records:ParquetBookReader",
    "hub": "pipelines.readers.records:HubBookReader",
    "alto": "pipelines.readers.alto:AltoBookReader",
    "hocr": "pipelines.readers.hocr:HocrBookReader",
    "page": "pipelines.readers.page:PageXmlBookReader",
    "icdar2017": "pipelines.readers.icdar:IcdarBookReader",
}

# set by the source's own keys (``name`` is the reader's ``source``) or by the process stage, never as parameters
FRAMEWORK_ARGS = ("source", "limit", "page_separator", "default_metadata", "skip_log", "progress")

REGISTRY = Registry("reader", READERS, base=BookReader, reserved=FRAMEWORK_ARGS)
