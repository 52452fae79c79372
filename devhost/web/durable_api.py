"""The Durable Functions HTTP API (``/runtime/webhooks/durabletask/...``).

The same routes serve the SDK's ``DurableOrchestrationClient`` (its ``rpcBaseUrl`` points here)
and people or tools using the documented HTTP API, with the documented status codes: 202 for
accepted work, 200/202 for finished/running status, 404 for unknown instances and 410 for
operations on instances that are no longer running.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from ..durable.engine import DurableEngine
from ..durable.episode import post_entity_message
from ..durable.history import EventType, event
from ..durable.protocol import TERMINAL
from ..durable.store import from_ts, to_ts
from .problems import problem

__all__ = ["PREFIX", "DurableApi"]

PREFIX = "/runtime/webhooks/durabletask"
# The SDK client talks to the extension's local RPC endpoint, which takes bodies that the SDK
# has JSON-encoded twice (a JSON string holding the JSON text); the public API takes plain JSON.
RPC_PREFIX = "/durabletask"
_BAD_ID = re.compile(r"[/\\#?\x00-\x1f\x7f]")
_RUNNING = ("Pending", "Running", "Suspended")


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
    def _instance(self, instance_id: str) -> Any:
        return (
            self.engine.store.conn()
            .execute("SELECT * FROM instances WHERE id=?", (instance_id,))
            .fetchone()
        )

    async def _write(self, fn: Any, *args: Any) -> Any:
        """``fn(db, *args)`` in the engine's next group commit."""
        return await self.engine.write(fn, *args)

    @staticmethod
    async def _body(request: web.Request) -> tuple[str | None, web.Response | None]:
        """The request's JSON body as text (None when empty), or a 400 problem."""
        raw = await request.read()
        if not raw.strip():
            return None, None
        text = raw.decode("utf-8", errors="replace")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, problem(
                400,
                f"request body: expected JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            )
        if request.path.startswith(RPC_PREFIX + "/") and isinstance(value, str):
            try:
                json.loads(value)
            except json.JSONDecodeError:
                return None, problem(400, "request body: expected a JSON string holding JSON")
            return value, None
        return text, None

    def status_json(
        self, row: Any, history: bool = False, history_output: bool = False, show_input: bool = True
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": row["name"],
            "instanceId": row["id"],
            "runtimeStatus": row["status"],
            "input": _json_or_none(row["input"]) if show_input else None,
            "customStatus": _json_or_none(row["custom_status"]),
            "output": _json_or_none(row["output"]),
            "createdTime": row["created"][:19] + "Z",
            "lastUpdatedTime": row["updated"][:19] + "Z",
        }
        if row["version"] is not None:
            body["version"] = row["version"]
        if history:
            events = [
                json.loads(r[0])
                for r in self.engine.store.conn().execute(
                    "SELECT event FROM history WHERE instance_id=? ORDER BY n", (row["id"],)
                )
            ]
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
        version = request.query.get("version")
        created = await self._write(self._create, name, instance_id, body, version)
        if not created:
            return problem(
                409,
                f"An orchestration instance with ID '{instance_id}' is already"
                " running; choose another ID or wait for it to finish.",
                instanceId=instance_id,
            )
        links = self._links(instance_id)
        return web.json_response(
            links, status=202, headers={"Location": links["statusQueryGetUri"], "Retry-After": "10"}
        )

    def _create(
        self, db: Any, name: str, instance_id: str, body: str | None, version: str | None
    ) -> bool:
        row = db.execute("SELECT status FROM instances WHERE id=?", (instance_id,)).fetchone()
        if row is not None and row["status"] in _RUNNING:
            return False
        now = self.engine.clock.now()
        self.engine.orch.create(db, name, instance_id, body, now, version=version)
        return True

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
        code = 202 if row["status"] in _RUNNING else 200
        if row["status"] == "Failed" and _flag(q.get("returnInternalServerErrorOnFailure")):
            code = 500
        headers = {"Location": str(request.url), "Retry-After": "10"} if code == 202 else {}
        return web.json_response(body, status=code, headers=headers)

    def _filtered(self, q: Any) -> tuple[str, list[Any]] | web.Response:
        where: list[str] = []
        args: list[Any] = []
        for key, op in (("createdTimeFrom", ">="), ("createdTimeTo", "<=")):
            if q.get(key):
                try:
                    moment = datetime.fromisoformat(q[key])
                except ValueError:
                    return problem(400, f"{key}: expected an ISO 8601 timestamp", field=key)
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=datetime.now().astimezone().tzinfo)
                where.append(f"created {op} ?")
                args.append(to_ts(moment))
        if q.get("runtimeStatus"):
            statuses = [s.strip() for s in q["runtimeStatus"].split(",") if s.strip()]
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            args.extend(statuses)
        if q.get("instanceIdPrefix"):
            where.append("substr(id, 1, ?) = ?")
            args.extend([len(q["instanceIdPrefix"]), q["instanceIdPrefix"]])
        return (" WHERE " + " AND ".join(where)) if where else "", args

    async def query(self, request: web.Request) -> web.Response:
        q = request.query
        filtered = self._filtered(q)
        if isinstance(filtered, web.Response):
            return filtered
        clause, args = filtered
        offset = 0
        token = request.headers.get("x-ms-continuation-token")
        if token:
            try:
                offset = int(base64.urlsafe_b64decode(token.encode()).decode())
            except ValueError:
                return problem(400, "x-ms-continuation-token: not a token this host issued")
        top = q.get("top")
        limit = -1
        if top:
            if not top.isdigit() or int(top) < 1:
                return problem(400, "top: expected a positive integer", field="top")
            limit = int(top)
        rows = (
            self.engine.store.conn()
            .execute(
                f"SELECT * FROM instances{clause} ORDER BY created, id LIMIT ? OFFSET ?",
                [*args, limit + 1 if limit > 0 else -1, offset],
            )
            .fetchall()
        )
        headers = {}
        if limit > 0 and len(rows) > limit:
            rows = rows[:limit]
            headers["x-ms-continuation-token"] = base64.urlsafe_b64encode(
                str(offset + limit).encode()
            ).decode()
        show_input = _flag(q.get("showInput"), False)
        return web.json_response(
            [self.status_json(r, show_input=show_input) for r in rows], headers=headers
        )

    # ------------------------------------------------------------------------------- purge
    async def purge_one(self, request: web.Request) -> web.Response:
        deleted = await self._write(self._purge, [request.match_info["instance_id"]])
        if not deleted:
            return problem(
                404,
                f"No completed instance with ID"
                f" '{request.match_info['instance_id']}' found to purge.",
            )
        return web.json_response({"instancesDeleted": deleted})

    async def purge_many(self, request: web.Request) -> web.Response:
        filtered = self._filtered(request.query)
        if isinstance(filtered, web.Response):
            return filtered
        clause, args = filtered
        ids = [
            r[0]
            for r in self.engine.store.conn().execute(f"SELECT id FROM instances{clause}", args)
        ]
        deleted = await self._write(self._purge, ids)
        if not deleted:
            return problem(404, "No completed instances matched the filter.")
        return web.json_response({"instancesDeleted": deleted})

    def _purge(self, db: Any, ids: list[str]) -> int:
        deleted = 0
        for iid in ids:
            row = db.execute("SELECT status FROM instances WHERE id=?", (iid,)).fetchone()
            if row is None or row["status"] not in TERMINAL:
                continue
            for table in ("history", "inbox", "waiting", "work"):
                db.execute(f"DELETE FROM {table} WHERE instance_id=?", (iid,))
            db.execute("DELETE FROM instances WHERE id=?", (iid,))
            deleted += 1
        return deleted

    # ------------------------------------------------------------------------------ events
    async def raise_event(self, request: web.Request) -> web.Response:
        iid, name = request.match_info["instance_id"], request.match_info["event"]
        body, error = await self._body(request)
        if error is not None:
            return error
        outcome = await self._write(self._post_event, iid, name, body)
        if outcome == 404:
            return problem(404, f"No instance with ID '{iid}' found.")
        if outcome == 410:
            return problem(
                410, f"Instance '{iid}' is no longer running; the event was not delivered."
            )
        return web.Response(status=202)

    def _post_event(self, db: Any, iid: str, name: str, body: str | None) -> int:
        now = self.engine.clock.now()
        row = db.execute("SELECT status FROM instances WHERE id=?", (iid,)).fetchone()
        if row is None:
            return 404
        if row["status"] in TERMINAL:
            return 410
        self.engine.orch.post(
            db,
            iid,
            "event",
            event(EventType.EventRaised, now, Name=name, Input=body),
            now,
            name=name,
        )
        return 202

    async def control(self, request: web.Request) -> web.Response:
        iid, verb = request.match_info["instance_id"], request.match_info["verb"]
        reason = request.query.get("reason", "")
        outcome = await self._write(self._control, iid, verb, reason)
        if outcome == 404:
            return problem(404, f"No instance with ID '{iid}' found.")
        if outcome == 410:
            need = "failed" if verb == "rewind" else "running"
            return problem(410, f"Instance '{iid}' is not {need}; cannot {verb} it.")
        return web.Response(status=202)

    def _control(self, db: Any, iid: str, verb: str, reason: str) -> int:
        now = self.engine.clock.now()
        row = db.execute("SELECT * FROM instances WHERE id=?", (iid,)).fetchone()
        if row is None:
            return 404
        if verb == "rewind":
            if row["status"] != "Failed":
                return 410
            self.engine.orch.rewind(db, row, reason, now)
            return 202
        if row["status"] in TERMINAL:
            return 410
        self.engine.orch.post(
            db, iid, verb, event(EventType.GenericEvent, now, Input=json.dumps(reason)), now
        )
        return 202

    async def restart(self, request: web.Request) -> web.Response:
        iid = request.match_info["instance_id"]
        row = self._instance(iid)
        if row is None:
            return problem(404, f"No instance with ID '{iid}' found.")
        new_id = (
            uuid.uuid4().hex if _flag(request.query.get("restartWithNewInstanceId"), True) else iid
        )
        created = await self._write(self._create, row["name"], new_id, row["input"], row["version"])
        if not created:
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
        await self._write(self._signal, f"@{name.lower()}@{key}", op, body)
        return web.Response(status=202)

    def _signal(self, db: Any, entity_id: str, op: str, body: str | None) -> None:
        post_entity_message(
            db, entity_id, {"op": op, "input": body, "signal": True}, self.engine.clock.now()
        )

    async def read_entity(self, request: web.Request) -> web.Response:
        name, key = request.match_info["name"], request.match_info["key"]
        row = (
            self.engine.store.conn()
            .execute("SELECT state FROM entities WHERE id=?", (f"@{name.lower()}@{key}",))
            .fetchone()
        )
        if row is None:
            return problem(404, f"Entity @{name}@{key} does not exist.")
        return web.Response(
            status=200,
            text=row[0] if row[0] is not None else "null",
            content_type="application/json",
        )

    async def list_entities(self, request: web.Request) -> web.Response:
        name = request.match_info.get("name")
        fetch_state = _flag(request.query.get("fetchState"))
        sql, args = "SELECT * FROM entities", []
        if name:
            sql += " WHERE name = ?"
            args.append(name.lower())
        rows = self.engine.store.conn().execute(sql + " ORDER BY id", args).fetchall()
        out = []
        for row in rows:
            item: dict[str, Any] = {
                "entityId": {"name": row["name"], "key": row["key"]},
                "lastOperationTime": from_ts(row["updated"]).isoformat(),
            }
            if fetch_state:
                item["state"] = _json_or_none(row["state"])
            out.append(item)
        return web.json_response(out)


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("true", "1", "yes")
