"""Subscription rules: which messages sent to a topic a subscription receives a copy of.

Supported, as the emulator's ``Config.json`` writes them:

- ``"FilterType": "Correlation"`` with ``CorrelationFilter`` (``ContentType``, ``CorrelationId``,
  ``Label``/``Subject``, ``MessageId``, ``ReplyTo``, ``ReplyToSessionId``, ``SessionId``, ``To``
  and application ``Properties``): every given field must equal the message's.
- ``"FilterType": "Sql"`` with ``SqlFilter.SqlExpression`` limited to ``TRUE``/``1=1``,
  ``FALSE``/``1=0`` and conjunctions of equalities ``name = 'text'`` or ``name = 42``, where
  ``name`` is an application property or ``sys.<Property>``. Anything else is rejected with a
  clear error rather than evaluated wrongly.

A subscription with no rules receives everything (Service Bus's ``$Default`` rule); with several
rules, a message matching any of them is copied once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devhost.messaging.errors import ConfigError

__all__ = ["Rule", "parse_rule", "subscription_accepts"]

# Correlation-filter keys and SQL ``sys.`` names -> the message's system property names.
_SYSTEM_PROPERTIES = {
    "contenttype": "content_type",
    "correlationid": "correlation_id",
    "label": "subject",
    "subject": "subject",
    "messageid": "message_id",
    "replyto": "reply_to",
    "replytosessionid": "reply_to_session_id",
    "sessionid": "session_id",
    "to": "to",
}


@dataclass(frozen=True)
class Rule:
    """A rule as ``(system property, value)`` and ``(application property, value)`` equalities.

    An empty rule accepts everything (SQL ``TRUE``); ``reject_all`` is SQL ``FALSE``.
    """

    name: str
    system: tuple[tuple[str, Any], ...] = ()
    application: tuple[tuple[str, Any], ...] = ()
    reject_all: bool = False

    def matches(self, system: Mapping[str, Any], application: Mapping[str, Any]) -> bool:
        if self.reject_all:
            return False
        return all(system.get(k) == v for k, v in self.system) and all(
            k in application and application[k] == v for k, v in self.application
        )


def subscription_accepts(
    rules: tuple[Rule, ...],
    system: Mapping[str, Any],
    application: Mapping[str, Any],
) -> bool:
    """True when a subscription with ``rules`` takes a copy of the message."""
    return not rules or any(rule.matches(system, application) for rule in rules)


_TRUE = re.compile(r"^\s*(?:TRUE|1\s*=\s*1)\s*$", re.IGNORECASE)
_FALSE = re.compile(r"^\s*(?:FALSE|1\s*=\s*0)\s*$", re.IGNORECASE)
_EQUALITY = re.compile(
    r"^\s*(?P<name>(?:sys\.|user\.)?[A-Za-z_][\w.-]*)\s*=\s*"
    r"(?:'(?P<text>(?:[^']|'')*)'|(?P<number>-?\d+(?:\.\d+)?))\s*$",
    re.IGNORECASE,
)


def _parse_sql(
    expression: str, where: str
) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]], bool]:
    if _TRUE.match(expression):
        return [], [], False
    if _FALSE.match(expression):
        return [], [], True
    system: list[tuple[str, Any]] = []
    application: list[tuple[str, Any]] = []
    for clause in re.split(r"\s+AND\s+", expression.strip(), flags=re.IGNORECASE):
        match = _EQUALITY.match(clause)
        if not match:
            raise ValueError(
                f"{where}: SQL filter clause {clause!r} is not supported by devhost; expected "
                "TRUE, FALSE, 1=1, 1=0 or equalities name = 'text' / name = 42 joined by AND"
            )
        name = match["name"]
        if match["text"] is not None:
            value: Any = match["text"].replace("''", "'")
        else:
            number = match["number"]
            value = float(number) if "." in number else int(number)
        if name.lower().startswith("sys."):
            key = _SYSTEM_PROPERTIES.get(name[4:].lower())
            if key is None:
                raise ValueError(f"{where}: unknown system property {name!r} in SQL filter")
            system.append((key, value))
        else:
            application.append((name[5:] if name.lower().startswith("user.") else name, value))
    return system, application, False


def parse_rule(document: object, where: str) -> Rule:
    """Read one entry of a subscription's ``Rules`` list; errors name the JSON path."""
    if not isinstance(document, dict) or not isinstance(document.get("Name"), str):
        raise ConfigError(f"{where}.Name: expected a rule object with a Name")
    props = document.get("Properties", {})
    filter_type = str(props.get("FilterType", "")).lower() if isinstance(props, dict) else ""
    if filter_type == "correlation":
        spec = props.get("CorrelationFilter", {})
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}.Properties.CorrelationFilter: expected an object")
        system = []
        for key, value in spec.items():
            if key == "Properties":
                continue
            mapped = _SYSTEM_PROPERTIES.get(key.lower())
            if mapped is None:
                raise ConfigError(
                    f"{where}.Properties.CorrelationFilter.{key}: unknown field; "
                    f"expected one of {sorted(_SYSTEM_PROPERTIES)}"
                )
            if value not in ("", None):
                system.append((mapped, value))
        application = spec.get("Properties", {}) or {}
        if not isinstance(application, dict):
            raise ConfigError(
                f"{where}.Properties.CorrelationFilter.Properties: expected an "
                "object of application properties"
            )
        return Rule(document["Name"], tuple(system), tuple(application.items()))
    if filter_type == "sql":
        spec = props.get("SqlFilter", {})
        expression = spec.get("SqlExpression") if isinstance(spec, dict) else None
        if not isinstance(expression, str):
            raise ConfigError(f"{where}.Properties.SqlFilter.SqlExpression: expected a string")
        try:
            system_eq, application_eq, reject = _parse_sql(
                expression, f"{where}.Properties.SqlFilter.SqlExpression"
            )
        except ValueError as error:
            raise ConfigError(str(error)) from error
        return Rule(document["Name"], tuple(system_eq), tuple(application_eq), reject)
    raise ConfigError(f"{where}.Properties.FilterType: expected 'Correlation' or 'Sql'")
