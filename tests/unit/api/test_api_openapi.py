"""api/openapi.json describes every route of the API blueprint, and nothing it lacks."""

from __future__ import annotations

import json
import re
from typing import Any

import azure.durable_functions as df
import pytest
from jsonschema import Draft202012Validator

import api
from api.openapi import OPENAPI_FILE

SPEC = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


def blueprint_routes() -> dict[tuple[str, str], Any]:
    app = df.DFApp()
    app.register_functions(api.blueprint)
    routes = {}
    for function in app.get_functions():
        trigger = function.get_trigger()
        for method in trigger.methods:
            # A catch-all held to the empty path ({*root:maxlength(0)}) is the prefix's root.
            path = "/" + re.sub(r"^\{\*\w+:maxlength\(0\)\}$", "", trigger.route)
            routes[(path, str(method.value).lower())] = (function, trigger)
    return routes


ROUTES = blueprint_routes()


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): op
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if method != "parameters"
    }


def test_it_is_an_openapi_3_1_document_served_under_api() -> None:
    assert SPEC["openapi"] == "3.1.0"
    assert SPEC["servers"] == [{"url": "/api"}]
    for schema in SPEC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_route_of_the_blueprint_is_described_and_nothing_else() -> None:
    assert set(operations()) == set(ROUTES)


@pytest.mark.parametrize("key", sorted(ROUTES), ids=lambda k: f"{k[1]} {k[0]}")
def test_each_operation_names_its_function_params_and_auth(key: tuple[str, str]) -> None:
    function, trigger = ROUTES[key]
    path = key[0]
    operation = operations()[key]
    assert operation["operationId"] == function.get_function_name()
    declared = {p["name"] for p in SPEC["paths"][path].get("parameters", []) if p["in"] == "path"}
    assert declared == set(re.findall(r"{(\w+)}", path))
    anonymous = str(trigger.auth_level.value).lower() == "anonymous"
    assert (operation.get("security") == []) == anonymous
    assert any(code.startswith("2") for code in operation["responses"])


def test_every_reference_resolves() -> None:
    text = OPENAPI_FILE.read_text(encoding="utf-8")
    for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node: Any = SPEC
        for part in ref.split("/"):
            node = node[part]
