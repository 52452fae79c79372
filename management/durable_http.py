"""The Durable HTTP API, through the durable client binding's own endpoint.

The SDK's ``DurableOrchestrationClient`` answers most calls with a bare ``Exception`` and has no
paging, so the management API speaks to the same endpoint the SDK uses (the binding's
``rpcBaseUrl``: the Functions host's local Durable endpoint in Azure, devhost's locally) with
the same URLs and bodies, and keeps the status codes and continuation tokens. No system key
ever leaves this module: callers get data, not Durable's URLs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp

__all__ = ["CONTINUATION_HEADER", "DurableAnswer", "DurableHttp", "DurableUnavailable"]

CONTINUATION_HEADER = "x-ms-continuation-token"
_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)


class DurableUnavailable(RuntimeError):
    """The Durable endpoint did not answer (or answered something that is not HTTP)."""


@dataclass(frozen=True)
class DurableAnswer:
    """One answer of the Durable endpoint: status, parsed JSON body, continuation token."""

    status: int
    body: Any
    continuation: str | None = None


def _segment(text: str) -> str:
    return quote(text, safe="")


def _encoded(value: Any) -> str:
    """A request body as the SDK sends it to the RPC endpoint: JSON text inside a JSON string."""
    return json.dumps(json.dumps(value))


class DurableHttp:
    """Calls on one Durable endpoint (``base_url`` ends with ``/``)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    @classmethod
    def of(cls, client: Any) -> DurableHttp:
        """The endpoint of a ``DurableOrchestrationClient`` (the binding's ``rpcBaseUrl``)."""
        # The SDK keeps the binding private; its rpc_base_url is what its own calls use.
        bindings = getattr(client, "_orchestration_bindings", None)
        url = getattr(bindings, "rpc_base_url", None)
        if not isinstance(url, str) or not url:
            raise DurableUnavailable("the durable client binding has no rpcBaseUrl")
        return cls(url)

    async def _call(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        *,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> DurableAnswer:
        url = self.base_url + path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        sent = dict(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/json"
        try:
            async with (
                aiohttp.ClientSession(timeout=_TIMEOUT) as session,
                session.request(method, url, data=body, headers=sent) as answer,
            ):
                text = await answer.text()
                continuation = answer.headers.get(CONTINUATION_HEADER) or None
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DurableUnavailable(f"the Durable endpoint did not answer: {exc}") from exc
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = text
        return DurableAnswer(status, parsed, continuation)

    # ----------------------------------------------------------------------- orchestrations
    async def start(self, orchestrator: str, instance_id: str, value: Any) -> DurableAnswer:
        return await self._call(
            "POST",
            f"orchestrators/{_segment(orchestrator)}/{_segment(instance_id)}",
            body=_encoded(value),
        )

    async def status(
        self, instance_id: str, *, history: bool = False, show_input: bool = True
    ) -> DurableAnswer:
        query = {"showInput": str(show_input).lower()}
        if history:
            query |= {"showHistory": "true", "showHistoryOutput": "true"}
        return await self._call("GET", f"instances/{_segment(instance_id)}", query)

    async def query(
        self,
        filters: Mapping[str, str],
        top: int,
        continuation: str | None,
        *,
        show_input: bool = False,
    ) -> DurableAnswer:
        query = {**filters, "top": str(top), "showInput": str(show_input).lower()}
        headers = {CONTINUATION_HEADER: continuation} if continuation else None
        return await self._call("GET", "instances/", query, headers=headers)

    async def raise_event(self, instance_id: str, name: str, data: Any) -> DurableAnswer:
        return await self._call(
            "POST",
            f"instances/{_segment(instance_id)}/raiseEvent/{_segment(name)}",
            body=_encoded(data),
        )

    async def control(self, instance_id: str, verb: str, reason: str) -> DurableAnswer:
        """``terminate``, ``suspend``, ``resume`` or ``rewind`` with a reason."""
        return await self._call(
            "POST", f"instances/{_segment(instance_id)}/{verb}", {"reason": reason}
        )

    async def restart(self, instance_id: str, new_instance_id: bool) -> DurableAnswer:
        return await self._call(
            "POST",
            f"instances/{_segment(instance_id)}/restart",
            {"restartWithNewInstanceId": str(new_instance_id).lower()},
        )

    async def purge(self, instance_id: str) -> DurableAnswer:
        return await self._call("DELETE", f"instances/{_segment(instance_id)}")

    # ----------------------------------------------------------------------------- entities
    async def entities(
        self, name: str, top: int, continuation: str | None, *, fetch_state: bool
    ) -> DurableAnswer:
        headers = {CONTINUATION_HEADER: continuation} if continuation else None
        return await self._call(
            "GET",
            f"entities/{_segment(name)}",
            {"top": str(top), "fetchState": str(fetch_state).lower()},
            headers=headers,
        )

    async def entity(self, name: str, key: str) -> DurableAnswer:
        return await self._call("GET", f"entities/{_segment(name)}/{_segment(key)}")
