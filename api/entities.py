"""Durable entities: list by name with paging, read one (the ``device`` entity, and any)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import azure.functions as func

from api._management import management_route, query_flag
from api.problems import query_int
from management.durable_http import DurableHttp
from management.errors import DurableUnreachable, InvalidInput, NotFound

__all__ = ["entity_list", "entity_state"]

_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
_KEY = re.compile(r"^[^\x00-\x1f\x7f/\\#?]{1,256}$")
MAX_TOP = 1000


def _name(req: func.HttpRequest) -> str:
    name: str = req.route_params["entityName"]
    if not _NAME.match(name):
        raise InvalidInput("entityName", "expected 1-128 letters, digits, _ . or -")
    return name.lower()  # Durable keeps entity names in lower case


def _token(text: str | None) -> str | None:
    """Durable's continuation token, which travels to the client base64url-wrapped (it goes
    back in a header, so it must never carry CR or LF)."""
    if not text:
        return None
    try:
        token = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        token = ""
    if not token or any(c in token for c in "\r\n\x00"):
        raise InvalidInput("continuationToken", "not a token this API issued")
    return token


@management_route("entities/{entityName}", ["GET"], "read")
async def entity_list(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Entities of one name: ``?top=&continuationToken=&fetchState=``."""
    name = _name(req)
    top = query_int(req, "top", 100, 1, MAX_TOP)
    answer = await durable.entities(
        name,
        top,
        _token(req.params.get("continuationToken")),
        fetch_state=query_flag(req, "fetchState", False),
    )
    if answer.status == 404:
        raise NotFound(f"no entity function named {name!r}")
    if answer.status == 400:
        raise InvalidInput(
            "continuationToken", "the Durable endpoint refused it: not a token this API issued"
        )
    if answer.status != 200 or not isinstance(answer.body, list):
        raise DurableUnreachable(f"the entity query answered {answer.status}")
    items = []
    for entity in answer.body:
        entity_id = entity.get("entityId") or {}
        item = {
            "name": entity_id.get("name"),
            "key": entity_id.get("key"),
            "lastOperationTime": entity.get("lastOperationTime"),
        }
        if "state" in entity:
            item["state"] = entity["state"]
        items.append(item)
    token = answer.continuation
    return {
        "items": items,
        "top": top,
        "continuationToken": base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
        if token
        else None,
    }


@management_route("entities/{entityName}/{entityKey}", ["GET"], "read")
async def entity_state(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """One entity's state; 404 if it does not exist."""
    name, key = _name(req), req.route_params["entityKey"]
    if not _KEY.match(key):
        raise InvalidInput(
            "entityKey", "expected 1-256 characters without / \\ # ? or control characters"
        )
    answer = await durable.entity(name, key)
    if answer.status == 404:
        raise NotFound(f"no entity @{name}@{key}")
    if answer.status != 200:
        raise DurableUnreachable(f"reading the entity answered {answer.status}")
    return {"name": name, "key": key, "state": answer.body}
