"""The Durable Functions HTTP API (``/runtime/webhooks/durabletask/...``).

The same routes serve the SDK's ``DurableOrchestrationClient`` (its ``rpcBaseUrl`` points here)
and people or tools using the documented HTTP API, with the documented status codes: 202 for
accepted work, 200/202 for finished/running status, 404 for unknown instances and 410 for
operations on instances that are no longer running.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from ..durable import instance_store
from ..durable.client import RUNNING, DurableClient, Outcome
from ..durable.engine import DurableEngine
from ..durable.history import EventType
from ..durable.instance_store import InstanceFilter, InstanceRow
from ..durable.protocol import TERMINAL
from .params import INT32_MAX, BadParameter, moment, parse_json, seconds, whole_number
from .problems import problem

__all__ = ["PREFIX", "DurableApi"]

PREFIX = "/runtime/webhooks/durabletask"
# The SDK client talks to the extension's local RPC endpoint, which takes bodies that the SDK
# has JSON-encoded twice (a JSON string holding the JSON text); the public API takes plain JSON.
RPC_PREFIX = "/durabletask"
_BAD_ID = re.compile(r"[/\\#?\x00-\x1f\x7f]")


def _json_or_none(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


class DurableApi:
    def __init__(self, engine: DurableEngine, base_url: str, hub_name: str) -> None:
        self.engine = engine
        self.client = DurableClient(engine)
        self.base_url = base_url.rstrip("/")
        self.hub_name = hub_name

    # ---------------------------------------------------------------------------- bindings
    def client_binding(self) -> str:
        """The durable client binding's JSON, as the extension gives it to the worker."""
        api = f"{self.base_url}{PREFIX}"
        instance = f"{api}/instances/INSTANCEID"
        create = f"{api}/orchestrators/{{functionName}}[/{{instanceId}}]"
        return json.dumps(
            {
                "taskHubName": self.hub_name,
                "creationUrls": {
                    "createNewInstancePostUri": create,
                    "createAndWaitOnNewInstancePostUri": create
                    + "?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}",
                },
                "managementUrls": self._links("INSTANCEID", instance),
                "baseUrl": api,
                "requiredQueryStringParameters": "",
                "rpcBaseUrl": f"{self.base_url}{RPC_PREFIX}/",
                "httpBaseUrl": "",
            }
        )

    def _links(self, instance_id: str, instance_url: str | None = None) -> dict[str, str]:
        url = instance_url or f"{self.base_url}{PREFIX}/instances/{instance_id}"
        return {
            "id": instance_id,
            "statusQueryGetUri": url,
            "sendEventPostUri": f"{url}/raiseEvent/{{eventName}}",
            "terminatePostUri": f"{url}/terminate?reason={{text}}",
            "rewindPostUri": f"{url}/rewind?reason={{text}}",
            "purgeHistoryDeleteUri": url,
            "restartPostUri": f"{url}/restart",
            "suspendPostUri": f"{url}/suspend?reason={{text}}",
            "resumePostUri": f"{url}/resume?reason={{text}}",
        }

    def routes(self) -> list[web.RouteDef]:
        return [*self._routes_under(PREFIX), *self._routes_under(RPC_PREFIX)]

    def _routes_under(self, p: str) -> list[web.RouteDef]:
        # aiohttp's default segment pattern refuses "{" and "}", which instance ids, event
        # names and entity keys may hold (the extension takes any character but "/").
        iid, seg = "{instance_id:[^/]+}", ":[^/]+}"
        return [
            web.post(p + "/orchestrators/{name" + seg, self.start),
            web.post(p + "/orchestrators/{name" + seg + "/", self.start),  # empty id: a new one
            web.post(p + "/orchestrators/{name" + seg + "/" + iid, self.start),
            web.get(p + "/instances", self.query),
            web.get(p + "/instances/", self.query),
            web.delete(p + "/instances", self.purge_many),
            web.delete(p + "/instances/", self.purge_many),
            web.get(p + "/instances/" + iid, self.status),
            web.delete(p + "/instances/" + iid, self.purge_one),
            web.post(p + "/instances/" + iid + "/raiseEvent/{event" + seg, self.raise_event),
            web.post(
                p + "/instances/" + iid + "/{verb:terminate|suspend|resume|rewind}", self.control
            ),
            web.post(p + "/instances/" + iid + "/restart", self.restart),
            web.post(p + "/entities/{name" + seg + "/{key" + seg, self.signal_entity),
            web.get(p + "/entities/{name" + seg + "/{key" + seg, self.read_entity),
            web.get(p + "/entities/{name" + seg, self.list_entities),
            web.get(p + "/entities", self.list_entities),
        ]

    # ----------------------------------------------------------------------------- helpers
    def _instance(self, instance_id: str) -> InstanceRow | None:
        return instance_store.instance(self.engine.store.conn(), instance_id)

    @staticmethod
    async def _body(request: web.Request) -> tuple[str | None, web.Response | None]:
        """The request's JSON body as text (None when empty), or a 400 problem."""
        raw = await request.read()
        if not raw.strip():
            return None, None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, problem(
                400, f"request body: expected UTF-8 text, byte {exc.start} is not ({exc.reason})"
            )
        value, error = parse_json(text, "request body")
        if error is not None:
            return None, problem(400, error)
        if request.path.startswith(RPC_PREFIX + "/") and isinstance(value, str):
            _, error = parse_json(value, "request body")
            if error is not None:
                return None, problem(400, f"{error}; expected a JSON string holding JSON")
            return value, None
        return text, None

    def status_json(
        self,
        row: InstanceRow,
        history: bool = False,
        history_output: bool = False,
        show_input: bool = True,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": row.name,
            "instanceId": row.id,
            "runtimeStatus": row.status,
            "input": _json_or_none(row.input) if show_input else None,
            "customStatus": _json_or_none(row.custom_status),
            "output": _json_or_none(row.output),
            "createdTime": row.created[:19] + "Z",
            "lastUpdatedTime": row.updated[:19] + "Z",
        }
        if row.version is not None:
            body["version"] = row.version
        if history:
            events = instance_store.history(self.engine.store.conn(), row.id)
            body["historyEvents"] = [self._public_event(e, history_output) for e in events]
        return body

    @staticmethod
    def _public_event(evt: dict[str, Any], with_output: bool) -> dict[str, Any]:
        out = {k: v for k, v in evt.items() if k not in ("IsPlayed",)}
        out["EventType"] = EventType(evt["EventType"]).name
        if not with_output:
            out.pop("Result", None)
        return out

    # ------------------------------------------------------------------------------- start
    async def start(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        instance_id = request.match_info.get("instance_id") or uuid.uuid4().hex
        if name not in self.engine.orch.orchestrators:
            message = (
                f"The function '{name}' doesn't exist, is disabled, or is not an"
                " orchestrator function."
            )
            return problem(400, message, field="functionName", ExceptionMessage=message)
        if not instance_id.strip() or len(instance_id) > 256 or _BAD_ID.search(instance_id):
            message = "instanceId: expected 1-256 characters without / \\ # ? or control characters"
            return problem(400, message, field="instanceId", ExceptionMessage=message)
        body, error = await self._body(request)
        if error is not None:
            return error
        wait = _wait_for_completion(request.query)
        version = request.query.get("version")
        if await self.client.start(name, instance_id, body, version) is Outcome.CONFLICT:
            return problem(
                409,
                f"An orchestration instance with ID '{instance_id}' is already"
                " running; choose another ID or wait for it to finish.",
                instanceId=instance_id,
            )
        if wait is not None:
            row = await self._wait_until_done(instance_id, *wait)
            if row is not None and row.status == "Completed":
                return web.Response(text=row.output or "null", content_type="application/json")
            if row is not None:
                return web.json_response(self.status_json(row))
        links = self._links(instance_id)
        return web.json_response(
            links, status=202, headers={"Location": links["statusQueryGetUri"], "Retry-After": "10"}
        )

    async def _wait_until_done(
        self, instance_id: str, timeout: float, interval: float
    ) -> InstanceRow | None:
        """The instance's row once it ended, or None after ``timeout`` seconds (wall clock)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            row = self._instance(instance_id)
            if row is not None and row.status in TERMINAL:
                return row
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            await asyncio.sleep(min(interval, remaining, 0.05) or 0.001)

    # ------------------------------------------------------------------------------ status
    async def status(self, request: web.Request) -> web.Response:
        row = self._instance(request.match_info["instance_id"])
        if row is None:
            return problem(404, f"No instance with ID '{request.match_info['instance_id']}' found.")
        q = request.query
        body = self.status_json(
            row,
            history=_flag(q.get("showHistory")),
            history_output=_flag(q.get("showHistoryOutput")),
            show_input=_flag(q.get("showInput"), True),
        )
        code = 202 if row.status in RUNNING else 200
        if row.status == "Failed" and _flag(q.get("returnInternalServerErrorOnFailure")):
            code = 500
        headers = {"Location": str(request.url), "Retry-After": "10"} if code == 202 else {}
        return web.json_response(body, status=code, headers=headers)

    @staticmethod
    def _filtered(q: Any, *, created_to_default: datetime | None = None) -> InstanceFilter:
        """The instance filters of the query (created time, status, id prefix), checked."""
        return InstanceFilter(
            created_from=moment(q, "createdTimeFrom"),
            created_to=moment(q, "createdTimeTo", default=created_to_default),
            statuses=tuple(_statuses(q.get("runtimeStatus", ""))),
            id_prefix=q.get("instanceIdPrefix") or None,
        )

    async def query(self, request: web.Request) -> web.Response:
        q = request.query
        where = self._filtered(q)
        offset, limit = _page(request)
        rows = instance_store.instances(
            self.engine.store.conn(), where, offset, None if limit is None else limit + 1
        )
        show_input = _flag(q.get("showInput"), False)
        return web.json_response(
            [self.status_json(r, show_input=show_input) for r in rows[:limit]],
            headers=_next_page(rows, offset, limit),
        )

    # ------------------------------------------------------------------------------- purge
    async def purge_one(self, request: web.Request) -> web.Response:
        deleted = await self.client.purge([request.match_info["instance_id"]])
        if not deleted:
            return problem(
                404,
                f"No completed instance with ID"
                f" '{request.match_info['instance_id']}' found to purge.",
            )
        return web.json_response({"instancesDeleted": deleted})

    async def purge_many(self, request: web.Request) -> web.Response:
        # As the extension: createdTimeFrom is required, createdTimeTo defaults to now, so a
        # DELETE without a filter never purges everything.
        if not request.query.get("createdTimeFrom"):
            return problem(
                400,
                "Please provide value for 'createdTimeFrom' parameter.",
                field="createdTimeFrom",
            )
        where = self._filtered(request.query, created_to_default=self.engine.clock.now())
        deleted = await self.client.purge_matching(where)
        if not deleted:
            return problem(404, "No completed instances matched the filter.")
        return web.json_response({"instancesDeleted": deleted})

    # ------------------------------------------------------------------------------ events
    async def raise_event(self, request: web.Request) -> web.Response:
        iid, name = request.match_info["instance_id"], request.match_info["event"]
        body, error = await self._body(request)
        if error is not None:
            return error
        outcome = await self.client.raise_event(iid, name, body)
        if outcome is Outcome.NOT_FOUND:
            return problem(404, f"No instance with ID '{iid}' found.")
        if outcome is Outcome.GONE:
            return problem(
                410, f"Instance '{iid}' is no longer running; the event was not delivered."
            )
        return web.Response(status=202)

    async def control(self, request: web.Request) -> web.Response:
        iid, verb = request.match_info["instance_id"], request.match_info["verb"]
        reason = request.query.get("reason", "")
        outcome = await self.client.control(iid, verb, reason)
        if outcome is Outcome.NOT_FOUND:
            return problem(404, f"No instance with ID '{iid}' found.")
        if outcome is Outcome.GONE:
            need = "failed" if verb == "rewind" else "running"
            return problem(410, f"Instance '{iid}' is not {need}; cannot {verb} it.")
        return web.Response(status=202)

    async def restart(self, request: web.Request) -> web.Response:
        iid = request.match_info["instance_id"]
        new_id = (
            uuid.uuid4().hex if _flag(request.query.get("restartWithNewInstanceId"), True) else iid
        )
        outcome = await self.client.restart(iid, new_id)
        if outcome is Outcome.NOT_FOUND:
            return problem(404, f"No instance with ID '{iid}' found.")
        if outcome is Outcome.CONFLICT:
            return problem(
                409, f"Instance '{new_id}' is still running; cannot restart it with the same ID."
            )
        return web.json_response(new_id, status=202)

    # ---------------------------------------------------------------------------- entities
    async def signal_entity(self, request: web.Request) -> web.Response:
        name, key = request.match_info["name"], request.match_info["key"]
        if name.lower() not in self.engine.entities.entities:
            return problem(404, f"No entity function named '{name}'.", field="entityName")
        body, error = await self._body(request)
        if error is not None:
            return error
        op = request.query.get("op", "")
        await self.client.signal_entity(f"@{name.lower()}@{key}", op, body)
        return web.Response(status=202)

    async def read_entity(self, request: web.Request) -> web.Response:
        name, key = request.match_info["name"], request.match_info["key"]
        row = instance_store.entity(self.engine.store.conn(), f"@{name.lower()}@{key}")
        if row is None:
            return problem(404, f"Entity @{name}@{key} does not exist.")
        return web.Response(
            status=200,
            text=row.state if row.state is not None else "null",
            content_type="application/json",
        )

    async def list_entities(self, request: web.Request) -> web.Response:
        name = request.match_info.get("name")
        q = request.query
        fetch_state = _flag(q.get("fetchState"))
        updated_from, updated_to = (
            moment(q, "lastOperationTimeFrom"),
            moment(q, "lastOperationTimeTo"),
        )
        offset, limit = _page(request)
        rows = instance_store.entities(
            self.engine.store.conn(),
            name,
            updated_from,
            updated_to,
            offset,
            None if limit is None else limit + 1,
        )
        out = []
        for row in rows[:limit]:
            item: dict[str, Any] = {
                "entityId": {"name": row.name, "key": row.key},
                "lastOperationTime": row.updated.isoformat(),
            }
            if fetch_state:
                item["state"] = _json_or_none(row.state)
            out.append(item)
        return web.json_response(out, headers=_next_page(rows, offset, limit))


_STATUSES = {
    s.lower(): s
    for s in (
        "Pending",
        "Running",
        "Suspended",
        "Completed",
        "Failed",
        "Terminated",
        "ContinuedAsNew",
        "Canceled",
    )
}
_TOKEN = "x-ms-continuation-token"
_MAX_OFFSET = 2**62  # far more rows than a store holds, and still an SQLite integer


_MAX_WAIT = 24 * 3600.0


def _wait_for_completion(query: Any) -> tuple[float, float] | None:
    """``?timeout=S&pollingInterval=S`` of createAndWaitOnNewInstancePostUri: wait up to S
    seconds for the new instance to finish. Both or neither, as the extension reads them."""
    timeout = seconds(query, "timeout", high=_MAX_WAIT)
    interval = seconds(query, "pollingInterval", high=_MAX_WAIT)
    if timeout is None or interval is None:
        return None
    if interval > timeout:
        raise BadParameter(
            "pollingInterval", f"expected at most the timeout ({timeout:g} s), got {interval:g}"
        )
    return timeout, interval


def _statuses(raw: str) -> list[str]:
    """``runtimeStatus=Running,completed``: the extension's status names, in any case. An
    unknown name is refused rather than dropped, so a typo cannot widen a query or a purge."""
    names = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = [n for n in names if n.lower() not in _STATUSES]
    if unknown:
        raise BadParameter(
            "runtimeStatus",
            f"unknown status {unknown[0]!r}; expected any of {', '.join(_STATUSES.values())}",
        )
    return [_STATUSES[n.lower()] for n in names]


def _page(request: web.Request) -> tuple[int, int | None]:
    """The offset a continuation token asks for, and ``top`` (None: everything)."""
    limit = whole_number(request.query, "top", low=1, high=INT32_MAX)
    token = request.headers.get(_TOKEN)
    if not token:
        return 0, limit
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode())
    except ValueError:
        offset = -1
    if not 0 <= offset <= _MAX_OFFSET:
        raise BadParameter(_TOKEN, "not a token this host issued")
    return offset, limit


def _next_page(rows: list[Any], offset: int, limit: int | None) -> dict[str, str]:
    """The continuation header when there is more than ``limit`` rows (one more was read)."""
    if limit is None or len(rows) <= limit:
        return {}
    return {_TOKEN: base64.urlsafe_b64encode(str(offset + limit).encode()).decode()}


def _flag(value: str | None, default: bool = False) -> bool:
    """A boolean query flag as the extension reads it (.NET ``bool.TryParse``: ``true`` or
    ``false`` in any case); anything else leaves the default."""
    text = (value or "").strip().lower()
    return {"true": True, "false": False}.get(text, default)
