"""Reading the Service Bus emulator's Config.json format, and subscription rules."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from devhost.messaging.config import load_config, parse_config, parse_duration, subscription_path
from devhost.messaging.errors import ConfigError
from devhost.messaging.filters import subscription_accepts
from devhost.messaging.runtime import config_path

EMULATOR_SAMPLE = {
    "UserConfig": {
        "Namespaces": [
            {
                "Name": "sbemulatorns",
                "Queues": [
                    {
                        "Name": "queue.1",
                        "Properties": {
                            "DeadLetteringOnMessageExpiration": False,
                            "DefaultMessageTimeToLive": "PT1H",
                            "DuplicateDetectionHistoryTimeWindow": "PT20S",
                            "ForwardDeadLetteredMessagesTo": "",
                            "ForwardTo": "",
                            "LockDuration": "PT1M",
                            "MaxDeliveryCount": 3,
                            "RequiresDuplicateDetection": False,
                            "RequiresSession": False,
                        },
                    }
                ],
                "Topics": [
                    {
                        "Name": "topic.1",
                        "Properties": {
                            "DefaultMessageTimeToLive": "PT1H",
                            "DuplicateDetectionHistoryTimeWindow": "PT20S",
                            "RequiresDuplicateDetection": True,
                        },
                        "Subscriptions": [
                            {
                                "Name": "subscription.1",
                                "Properties": {
                                    "LockDuration": "PT30S",
                                    "MaxDeliveryCount": 5,
                                    "RequiresSession": True,
                                },
                                "Rules": [
                                    {
                                        "Name": "app-prop-filter-1",
                                        "Properties": {
                                            "FilterType": "Correlation",
                                            "CorrelationFilter": {
                                                "ContentType": "application/text",
                                                "CorrelationId": "id1",
                                                "Label": "",
                                                "Properties": {"prop1": "value1"},
                                            },
                                        },
                                    }
                                ],
                            },
                            {
                                "Name": "subscription.2",
                                "Rules": [
                                    {
                                        "Name": "sql",
                                        "Properties": {
                                            "FilterType": "Sql",
                                            "SqlFilter": {
                                                "SqlExpression": "sys.Label = 'hot' AND level = 3"
                                            },
                                        },
                                    }
                                ],
                            },
                        ],
                    }
                ],
            }
        ],
        "Logging": {"Type": "File"},
    },
}


def test_the_emulator_sample_reads_with_its_properties() -> None:
    config = parse_config(EMULATOR_SAMPLE)
    queue = config.entities["queue.1"]
    assert queue.max_delivery_count == 3
    assert queue.lock_duration == timedelta(minutes=1)
    assert queue.default_ttl == timedelta(hours=1)
    assert queue.duplicate_detection_window == timedelta(seconds=20)
    topic = config.topics["topic.1"]
    assert topic.requires_duplicate_detection
    sub = config.entities[subscription_path("topic.1", "subscription.1")]
    assert (sub.lock_duration, sub.max_delivery_count, sub.requires_session) == (
        timedelta(seconds=30),
        5,
        True,
    )


def test_correlation_and_sql_rules_select_messages() -> None:
    topic = parse_config(EMULATOR_SAMPLE).topics["topic.1"]
    corr, sql = topic.subscriptions["subscription.1"], topic.subscriptions["subscription.2"]
    system = {"content_type": "application/text", "correlation_id": "id1"}
    assert subscription_accepts(corr, system, {"prop1": "value1"})
    assert not subscription_accepts(corr, system, {"prop1": "other"})
    assert not subscription_accepts(corr, {**system, "correlation_id": "x"}, {"prop1": "value1"})
    assert subscription_accepts(sql, {"subject": "hot"}, {"level": 3})
    assert not subscription_accepts(sql, {"subject": "hot"}, {"level": 4})
    assert subscription_accepts((), {}, {})  # no rules: the $Default catch-all


def test_defaults_when_properties_are_absent() -> None:
    config = parse_config(
        {"UserConfig": {"Namespaces": [{"Name": "n", "Queues": [{"Name": "plain"}]}]}}
    )
    plain = config.entities["plain"]
    assert (
        plain.max_delivery_count,
        plain.lock_duration,
        plain.requires_session,
        plain.default_ttl,
    ) == (10, timedelta(minutes=1), False, None)


def test_ensure_queue_adds_missing_queues_with_defaults() -> None:
    config = parse_config(EMULATOR_SAMPLE)
    assert config.ensure_queue("queue.1", requires_session=True).requires_session is False
    assert config.ensure_queue("new", requires_session=True).requires_session is True
    config.ensure_subscription("t2", "s", requires_session=False)
    assert config.topics["t2"].subscriptions == {"s": ()}


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({}, "UserConfig"),
        ({"UserConfig": {"Namespaces": {}}}, "UserConfig.Namespaces: expected a list"),
        ({"UserConfig": {"Namespaces": [{"Queues": []}]}}, r"Namespaces\[0\].Name"),
        (
            {
                "UserConfig": {
                    "Namespaces": [
                        {
                            "Name": "n",
                            "Queues": [{"Name": "q", "Properties": {"MaxDeliveryCount": 0}}],
                        }
                    ]
                }
            },
            r"Queues\[0\].Properties.MaxDeliveryCount: expected an integer >= 1",
        ),
        (
            {
                "UserConfig": {
                    "Namespaces": [
                        {
                            "Name": "n",
                            "Queues": [{"Name": "q", "Properties": {"LockDuration": "1 minute"}}],
                        }
                    ]
                }
            },
            r"Queues\[0\].Properties.LockDuration: expected an ISO 8601 duration",
        ),
        (
            {
                "UserConfig": {
                    "Namespaces": [
                        {
                            "Name": "n",
                            "Queues": [{"Name": "q", "Properties": {"RequiresSession": "yes"}}],
                        }
                    ]
                }
            },
            "RequiresSession: expected true or false",
        ),
        (
            {
                "UserConfig": {
                    "Namespaces": [
                        {
                            "Name": "n",
                            "Topics": [
                                {
                                    "Name": "t",
                                    "Subscriptions": [
                                        {
                                            "Name": "s",
                                            "Rules": [
                                                {
                                                    "Name": "r",
                                                    "Properties": {
                                                        "FilterType": "Sql",
                                                        "SqlFilter": {
                                                            "SqlExpression": "a LIKE 'x%'"
                                                        },
                                                    },
                                                }
                                            ],
                                        }
                                    ],
                                }
                            ],
                        }
                    ]
                }
            },
            r"Rules\[0\].Properties.SqlFilter.SqlExpression: SQL filter clause",
        ),
        (
            {
                "UserConfig": {
                    "Namespaces": [
                        {
                            "Name": "n",
                            "Topics": [
                                {
                                    "Name": "t",
                                    "Subscriptions": [
                                        {
                                            "Name": "s",
                                            "Rules": [
                                                {
                                                    "Name": "r",
                                                    "Properties": {"FilterType": "Boolean"},
                                                }
                                            ],
                                        }
                                    ],
                                }
                            ],
                        }
                    ]
                }
            },
            "FilterType: expected 'Correlation' or 'Sql'",
        ),
    ],
)
def test_bad_configs_name_the_json_path(document: object, where: str) -> None:
    with pytest.raises(ConfigError, match=where):
        parse_config(document)


def test_load_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sb.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"sb\.json: not valid JSON"):
        load_config(path)
    path.write_text(json.dumps({"UserConfig": {"Namespaces": [{}]}}))
    with pytest.raises(ConfigError, match=r"sb.json: UserConfig.Namespaces\[0\].Name"):
        load_config(path)
    assert load_config(tmp_path / "absent.json").entities == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1M", timedelta(minutes=1)),
        ("PT20S", timedelta(seconds=20)),
        ("P14D", timedelta(days=14)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("00:05:00", timedelta(minutes=5)),
        ("1.00:00:00", timedelta(days=1)),
    ],
)
def test_durations_read_iso_and_timespan(text: str, expected: timedelta) -> None:
    assert parse_duration(text, "x") == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "5 minutes", 60])
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(ConfigError, match="x: expected an ISO 8601 duration"):
        parse_duration(text, "x")


def test_the_config_file_comes_from_the_setting_or_the_app_dir(tmp_path: Path) -> None:
    def host(**settings: str) -> Any:
        return SimpleNamespace(app_dir=tmp_path, settings=settings)

    assert config_path(host()) is None
    (tmp_path / "servicebus.config.json").write_text("{}")
    assert config_path(host()) == tmp_path / "servicebus.config.json"
    (tmp_path / "other.json").write_text("{}")
    assert config_path(host(DEVHOST_SERVICEBUS_CONFIG="other.json")) == tmp_path / "other.json"
    with pytest.raises(ConfigError, match=r"DEVHOST_SERVICEBUS_CONFIG: file .*absent\.json"):
        config_path(host(DEVHOST_SERVICEBUS_CONFIG="absent.json"))
