"""Workflows and their definitions: list, read, validate, upload, and start an instance."""

from __future__ import annotations

import uuid
from typing import Any

import azure.functions as func
from jsonschema import Draft202012Validator

from api._management import api_base, instance_links, json_body, management_route
from api.management_sources import definition_sources, definitions_container, registry
from api.problems import json_response
from management.definitions import catalog, definition_view, upload, validate
from management.durable_http import DurableHttp
from management.errors import (
    Conflict,
    InputRejected,
    InvalidInput,
    NotFound,
    TooLarge,
    Unprocessable,
)
from management.instances import ACTIVE, check_instance_id
from orchestration.activity_registry import schema_errors
from orchestration.interpreter import ORCHESTRATOR_NAME
from orchestration.sources import DefinitionInvalid, DefinitionNotFound, load_definition
from orchestration.validation import has_errors
from runtime import runtime

__all__ = [
    "start_workflow",
    "upload_workflow_version",
    "validate_workflow",
    "workflow_document",
    "workflow_list",
]

_MAX = 1_000_000


def _name(req: func.HttpRequest) -> str:
    name: str = req.route_params["name"]
    if not name or len(name) > 128:
        raise NotFound(f"no workflow named {name[:40]!r}")
    return name


def _version(req: func.HttpRequest) -> str | None:
    version = req.params.get("version") or None
    if version is not None and len(version) > 64:
        raise InvalidInput("version", "expected a semantic version or 'latest'")
    return version


def _body(req: func.HttpRequest) -> bytes:
    body = req.get_body() or b""
    if len(body) > _MAX:
        raise TooLarge(f"the body is {len(body)} bytes; at most {_MAX} are accepted")
    return body


@management_route("workflows", ["GET"], "read")
async def workflow_list(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Every definition: name, versions and where each is, latest, description."""
    return {"items": catalog(definition_sources())}


@management_route("workflows/{name}", ["GET"], "read")
async def workflow_document(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """One definition (``?version=``, default the latest) with its states as a graph."""
    return definition_view(definition_sources(), _name(req), _version(req))


@management_route("workflows/validate", ["POST"], "read")
async def validate_workflow(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Every diagnostic of the definition in the body; stores nothing."""
    diagnostics = validate(_body(req), registry())
    return {"valid": not has_errors(diagnostics), "diagnostics": [d.to_json() for d in diagnostics]}


@management_route("workflows/{name}/versions", ["POST"], "write")
async def upload_workflow_version(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Validate, then store as ``workflow-definitions/<name>/<version>.json``: 201 new, 200 the
    same content again, 409 other content, 422 with every diagnostic."""
    name = _name(req)
    result = upload(
        definition_sources(),
        runtime().adapters.blobs,
        definitions_container(),
        name,
        _body(req),
        registry(),
    )
    location = f"{api_base(req)}/workflows/{name}?version={result['version']}"
    answer = json_response(
        {**result, "links": {"definition": location}}, 201 if result["created"] else 200
    )
    answer.headers["Location"] = location
    return answer


@management_route("workflows/{name}/instances", ["POST"], "write")
async def start_workflow(req: func.HttpRequest, durable: DurableHttp) -> Any:
    """Start the generic orchestrator on this workflow with the body as its input: 202 with our
    links; 400 input rejected (every error), 404 unknown workflow, 409 id taken."""
    name = _name(req)
    instance_id = check_instance_id(req.params.get("instanceId") or uuid.uuid4().hex)
    try:
        definition = load_definition(name, _version(req), definition_sources())
    except DefinitionNotFound as exc:
        raise NotFound(str(exc)) from None
    except DefinitionInvalid as exc:
        raise Unprocessable(str(exc)) from None
    given = json_body(req)
    schema = definition.document.get("input")
    if schema is not None:
        errors = schema_errors(Draft202012Validator(schema), given)
        if errors:
            raise InputRejected(name, [{"field": f, "message": m} for f, m in errors])
    existing = await durable.status(instance_id, show_input=False)
    if (
        existing.status in (200, 202)
        and isinstance(existing.body, dict)
        and existing.body.get("runtimeStatus") in ACTIVE
    ):
        raise Conflict(
            f"instance {instance_id} is {existing.body['runtimeStatus']}; choose "
            "another id or wait for it to end"
        )
    started = await durable.start(
        ORCHESTRATOR_NAME,
        instance_id,
        {
            "workflow": definition.name,
            "version": definition.version,
            "input": given,
            "hash": definition.hash,
        },
    )
    if started.status == 409:
        raise Conflict(f"instance {instance_id} is already running")
    if started.status != 202:
        raise InvalidInput(
            "instanceId",
            f"the Durable endpoint refused the start ({started.status}): {str(started.body)[:200]}",
        )
    links = instance_links(req, instance_id)
    answer = json_response(
        {
            "instanceId": instance_id,
            "workflow": definition.name,
            "version": definition.version,
            "hash": definition.hash,
            "links": links,
        },
        202,
    )
    answer.headers["Location"] = links["status"]
    return answer
