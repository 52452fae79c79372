"""The app's servicebus.config.json, read as devhost's Service Bus stand-in reads it."""

from __future__ import annotations

from pathlib import Path

from devhost.messaging.config import load_config


def test_the_repository_config_declares_the_product_queues() -> None:
    config = load_config(Path(__file__).parents[2] / "servicebus.config.json")
    assert config.entities["schema-changes"].requires_duplicate_detection
    assert config.entities["schema-changes"].max_delivery_count == 10
    assert config.entities["device-events"].requires_session
