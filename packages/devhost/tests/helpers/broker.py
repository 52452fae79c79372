"""The broker set-up the unit tests of devhost's Service Bus share: a clock moved by hand and
a config with one entity of each kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devhost.messaging.config import BrokerConfig, EntityProperties, Topic, subscription_path
from devhost.messaging.filters import Rule

__all__ = ["StepClock", "make_config"]


class StepClock:
    """The time source the broker reads; tests move it by hand."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def forward(self, **kwargs: float) -> None:
        self.moment += timedelta(**kwargs)


def make_config() -> BrokerConfig:
    config = BrokerConfig()
    config.entities["orders"] = EntityProperties(max_delivery_count=3)
    config.entities["devices"] = EntityProperties(requires_session=True)
    config.entities["dedup"] = EntityProperties(
        requires_duplicate_detection=True, duplicate_detection_window=timedelta(minutes=1)
    )
    config.entities["short"] = EntityProperties(
        default_ttl=timedelta(seconds=10), dead_lettering_on_expiration=True
    )
    topic = Topic(
        "events",
        subscriptions={
            "all": (),
            "red": (Rule("red", application=(("colour", "red"),)),),
            "nothing": (Rule("none", reject_all=True),),
        },
    )
    config.topics["events"] = topic
    for sub in topic.subscriptions:
        config.entities[subscription_path("events", sub)] = EntityProperties()
    return config
