"""wandb modes: auto = online when logged in, else offline; online without a login falls back to offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from ablations.recipe.schema import TrackingConfig
from ablations.train.tracking import _record_payloads, wandb_mode


@pytest.fixture
def no_login(tmp_path: Path, monkeypatch) -> Path:
    for var in ("WANDB_API_KEY", "WANDB_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine example.org login me password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    return netrc


def test_default_is_auto() -> None:
    assert TrackingConfig().wandb == "auto"


def test_auto_is_offline_without_a_login(no_login) -> None:
    assert wandb_mode("auto") == "offline"


def test_auto_is_online_with_an_api_key(no_login, monkeypatch) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert wandb_mode("auto") == "online"


def test_auto_is_online_with_a_netrc_entry_for_the_wandb_host(no_login: Path) -> None:
    no_login.write_text("machine api.wandb.ai login user password " + "k" * 40 + "\n")
    assert wandb_mode("auto") == "online"


def test_netrc_entry_must_match_a_custom_wandb_host(no_login: Path, monkeypatch) -> None:
    no_login.write_text("machine api.wandb.ai login user password " + "k" * 40 + "\n")
    monkeypatch.setenv("WANDB_BASE_URL", "https://wandb.mycompany.org")
    assert wandb_mode("auto") == "offline"


def test_online_without_a_login_falls_back_to_offline(no_login) -> None:
    assert wandb_mode("online") == "offline"


def test_explicit_offline_and_disabled_are_kept(no_login, monkeypatch) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert (wandb_mode("offline"), wandb_mode("disabled"), wandb_mode("online")) == ("offline", "disabled", "online")


def test_run_file_records_are_reassembled_across_blocks() -> None:
    import struct

    def record(kind: int, payload: bytes) -> bytes:
        return struct.pack("<IHB", 0, len(payload), kind) + payload

    header = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
    first = record(1, b"a" * 10)
    room = 32768 - len(header) - len(first) - 7  # a record split over the block boundary
    data = header + first + record(2, b"b" * room) + record(4, b"c" * 5) + record(1, b"d")
    assert list(_record_payloads(data)) == [b"a" * 10, b"b" * room + b"c" * 5, b"d"]
    with pytest.raises(ValueError, match="not a wandb run file"):
        list(_record_payloads(b"garbage"))
