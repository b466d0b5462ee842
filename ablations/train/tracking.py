"""wandb logging of one training run.

``tracking.wandb``: ``auto`` (default) logs online when the user is logged in to wandb (``WANDB_API_KEY``, or an
entry for the wandb host in ``~/.netrc`` / ``$NETRC``, which ``wandb login`` writes) and offline otherwise;
``offline`` always writes local files only (``<train stage>/wandb/offline-run-*``, ``wandb sync`` uploads them
later); ``online`` needs a login and falls back to offline with a warning without one; ``disabled`` turns wandb off.
"""

from __future__ import annotations

import netrc
import os
from pathlib import Path
from urllib.parse import urlparse

from datatrove.utils.logging import logger

from ablations.recipe.schema import TrackingConfig


def logged_in() -> bool:
    """Whether wandb has credentials here, checked without a network call."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL") or "https://api.wandb.ai").hostname
    path = os.environ.get("NETRC") or str(Path.home() / ".netrc")
    try:
        return netrc.netrc(path).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def wandb_mode(setting: str) -> str:
    """The mode wandb runs in for a ``tracking.wandb`` setting: online, offline or disabled."""
    if setting == "auto":
        return "online" if logged_in() else "offline"
    if setting == "online" and not logged_in():
        logger.warning("tracking.wandb is online but no wandb login was found (wandb login, WANDB_API_KEY): offline")
        return "offline"
    return setting


class RunLogger:
    def __init__(self, cfg: TrackingConfig, folder: Path, name: str, config: dict):
        self.run = None
        self.mode = wandb_mode(cfg.wandb)
        if self.mode == "disabled":
            return
        import wandb

        os.environ.setdefault("WANDB_SILENT", "true")
        self.run = wandb.init(
            project=cfg.project, name=name, dir=str(folder), mode=self.mode, config=config, reinit="finish_previous"
        )

    def log(self, values: dict, step: int) -> None:
        if self.run is not None:
            self.run.log(values, step=step)

    def finish(self) -> None:
        if self.run is not None:
            self.run.finish()


# --- reading an offline run back (the .wandb file is a LevelDB-style log of protobuf records) ----------------------
_BLOCK = 32768
_HEADER = 7  # file header: b":W&B", magic 0xBEE1, version 0; record header: crc32c (4), length (2), type (1)
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def _record_payloads(data: bytes):
    """The payloads of the log records in ``data`` (a whole .wandb file), reassembled across 32 KiB blocks."""
    import struct

    if data[:4] != b":W&B" or struct.unpack("<H", data[4:6])[0] != 0xBEE1:
        raise ValueError("not a wandb run file (no :W&B header)")
    pos, parts = _HEADER, []
    while pos + _HEADER <= len(data):
        room = _BLOCK - pos % _BLOCK
        if room < _HEADER:  # the block's tail is padding
            pos += room
            continue
        length, kind = struct.unpack("<HB", data[pos + 4 : pos + 7])
        if kind == 0 and length == 0:
            pos += room  # zero padding up to the next block
            continue
        chunk = data[pos + _HEADER : pos + _HEADER + length]
        pos += _HEADER + length
        if kind == _FULL:
            yield chunk
        elif kind == _FIRST:
            parts = [chunk]
        elif kind == _MIDDLE:
            parts.append(chunk)
        elif kind == _LAST:
            yield b"".join([*parts, chunk])
            parts = []


def offline_history(run_file: Path) -> list[dict]:
    """The rows a run logged (``RunLogger.log``), read back from its ``run-<id>.wandb`` file: one dict per
    ``log`` call, with ``_step``."""
    import json

    from wandb.proto import wandb_internal_pb2 as pb

    rows = []
    for payload in _record_payloads(Path(run_file).read_bytes()):
        record = pb.Record()
        record.ParseFromString(payload)
        if record.WhichOneof("record_type") != "history":
            continue
        row = {}
        for item in record.history.item:
            key = item.key or "/".join(item.nested_key)
            row[key] = json.loads(item.value_json) if item.value_json else None
        rows.append(row)
    return rows
