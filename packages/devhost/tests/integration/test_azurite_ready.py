"""Azurite is ready only when all of it is: a blob written at once and then a stop (or the
host's death, which sends Azurite SIGTERM) is still there at the next start."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

from devhost.azurite import Azurite, find_azurite

BINARY = find_azurite(Path(__file__).parent)


@pytest.fixture
def binary() -> Path:
    if BINARY is None:  # make setup installs it; a missing one is a broken set-up, not a skip
        pytest.fail("no azurite: run make setup (npm install)")
    return BINARY


def _listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_start_returns_when_every_service_listens(binary: Path, tmp_path: Path) -> None:
    azurite = Azurite.start(binary, tmp_path / "azurite")
    try:
        ports = (azurite.blob_port, azurite.queue_port, azurite.table_port)
        # Azurite starts them in this order and only then handles SIGTERM by saving.
        assert [_listens(port) for port in ports] == [True, True, True]
    finally:
        azurite.stop()


def test_a_blob_written_right_after_start_survives_a_stop(binary: Path, tmp_path: Path) -> None:
    folder = tmp_path / "azurite"
    # Before the fix one round in eight lost its blob; a few rounds make a regression likely
    # to show without making the suite slow.
    for round_ in range(3):
        azurite = Azurite.start(binary, folder)
        try:
            blobs = BlobServiceClient.from_connection_string(azurite.connection_string)
            blobs.get_container_client(f"round{round_}").create_container()
            blobs.get_blob_client(f"round{round_}", "b").upload_blob(b"kept")
        finally:
            azurite.stop()  # SIGTERM, as the host's death sends it
    azurite = Azurite.start(binary, folder)
    try:
        blobs = BlobServiceClient.from_connection_string(azurite.connection_string)
        for round_ in range(3):
            assert blobs.get_blob_client(f"round{round_}", "b").download_blob().readall() == b"kept"
    finally:
        azurite.stop()
