"""HTTP triggers on devhost: routing, methods, request and response objects, prefixes."""

import http.client
import json
import shutil

import pytest

from devhost.testing import DevHost


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory):
    with DevHost(apps_dir / "http_app", data_dir=tmp_path_factory.mktemp("http")) as running:
        yield running


def header(answer, name):
    return next((v for k, v in answer.headers.items() if k.lower() == name.lower()), None)


def assert_problem(answer, status):
    assert answer.status == status, answer.text
    assert header(answer, "Content-Type").startswith("application/problem+json")
    body = answer.json()
    assert body["status"] == status
    return body


def test_route_parameters_including_an_optional_one(host):
    answer = host.http("GET", "/api/echo/5/bob")
    assert answer.status == 200
    assert answer.json()["route"] == {"id": "5", "name": "bob"}
    assert host.http("GET", "/api/echo/5").json()["route"] == {"id": "5"}


def test_catch_all_segment_receives_the_rest_of_the_path(host):
    assert host.http("GET", "/api/files/a/b/c.txt").json()["route"] == {"path": "a/b/c.txt"}
    assert host.http("GET", "/api/files").json()["route"] == {}


def test_type_constraints_that_do_not_match_give_404(host):
    ok = host.http("GET", "/api/typed/true/2024-02-29/ABC")
    assert ok.json()["route"] == {"flag": "true", "day": "2024-02-29", "code": "ABC"}
    for path in (
        "/api/echo/five",
        "/api/typed/maybe/2024-02-29/ABC",
        "/api/typed/true/someday/ABC",
        "/api/typed/true/2024-02-29/ABCD",
        "/api/pages/11",
        "/api/nothing/here",
    ):
        body = assert_problem(host.http("GET", path), 404)
        assert path in body["detail"]


def test_default_value_and_range_constraint(host):
    assert host.http("GET", "/api/pages").json()["route"] == {"n": "1"}
    assert host.http("GET", "/api/pages/7").json()["route"] == {"n": "7"}


def test_literal_route_wins_over_a_parameter_and_methods_pick_among_matches(host):
    assert host.http("GET", "/api/items/special").json()["which"] == "special"
    deleted = host.http("DELETE", "/api/items/special").json()
    assert deleted["which"] == "item"
    assert deleted["route"] == {"id": "special"}


def test_wrong_method_gives_405_with_the_allowed_list(host):
    body = assert_problem(host.http("POST", "/api/items/3"), 405)
    assert body["allow"] == ["DELETE", "GET"]
    assert "DELETE, GET" in body["detail"]
    assert assert_problem(host.http("GET", "/api/submit"), 405)["allow"] == ["POST", "PUT"]


def test_request_headers_query_body_and_json_reach_an_async_function(host):
    answer = host.http(
        "PUT", "/api/submit", json={"a": [1, 2]}, headers={"X-Test": "yes"}, params={"q": "v w"}
    )
    assert answer.status == 200
    seen = answer.json()
    assert seen["method"] == "PUT"
    assert seen["query"] == {"q": "v w"}
    assert seen["header"] == "yes"
    assert seen["contentType"] == "application/json"
    assert json.loads(seen["body"]) == {"a": [1, 2]}
    assert seen["json"] == {"a": [1, 2]}
    assert seen["url"] == f"{host.base_url}/api/submit?q=v+w"


def test_async_functions_run_on_the_host_loop_and_sync_ones_on_the_pool(host):
    assert host.http("POST", "/api/submit", json=1).json()["thread"] == "devhost"
    assert host.http("GET", "/api/echo/1").json()["thread"].startswith("fn")


def test_get_json_on_a_malformed_body_raises_value_error_in_the_function(host):
    answer = host.http(
        "POST", "/api/submit", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status == 400
    assert answer.text == "body: expected JSON"


def test_raw_body_bytes_are_passed_through(host):
    seen = host.http(
        "POST", "/api/echo/9", data="line1\nline2", headers={"Content-Type": "text/plain"}
    ).json()
    assert seen["body"] == "line1\nline2"
    assert seen["contentType"] == "text/plain"


def test_http_response_status_headers_body_and_mimetype(host):
    answer = host.http("GET", "/api/made")
    assert answer.status == 201
    assert answer.text == "a,b\n1,2\n"
    assert header(answer, "Content-Type") == "text/csv; charset=utf-8"
    assert header(answer, "X-Made-By") == "http_app"
    assert header(answer, "Cache-Control") == "no-store"


def test_return_a_str(host):
    answer = host.http("GET", "/api/plain", params={"who": "devhost"})
    assert answer.status == 200
    assert answer.text == "hello devhost"
    assert header(answer, "Content-Type").startswith("text/plain")


def test_out_binding_of_http_response(host):
    answer = host.http("GET", "/api/out", params={"n": "3"})
    assert answer.status == 202
    assert answer.text == "via out 3"


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/fails?why=test", "Function 'fails' failed: RuntimeError: broken on purpose (test)"),
        ("/api/fails-async", "Function 'fails_async' failed: KeyError: 'missing-key'"),
        (
            "/api/wrong-type",
            "Function 'wrong_type' failed: TypeError: output '$return' (http) cannot take a dict",
        ),
    ],
)
def test_a_function_that_raises_gives_500_problem_json_and_the_host_keeps_serving(
    host, path, detail
):
    body = assert_problem(host.http("GET", path), 500)
    assert body["detail"] == detail
    assert host.http("GET", "/api/plain").status == 200


def _app_with_prefix(apps_dir, folder, prefix):
    folder.mkdir()
    shutil.copy(apps_dir / "http_app" / "function_app.py", folder / "function_app.py")
    (folder / "host.json").write_text(
        json.dumps({"version": "2.0", "extensions": {"http": {"routePrefix": prefix}}})
    )
    return folder


@pytest.mark.parametrize(("prefix", "base"), [("v1/fn", "/v1/fn"), ("", ""), ("/", "")])
def test_route_prefix_from_host_json(apps_dir, tmp_path, prefix, base):
    app_dir = _app_with_prefix(apps_dir, tmp_path / "app", prefix)
    with DevHost(app_dir, data_dir=tmp_path / "data") as other:
        assert other.http("GET", f"{base}/plain").text == "hello world"
        assert other.http("GET", f"{base}/echo/4/x").json()["route"] == {"id": "4", "name": "x"}
        if base:
            assert other.http("GET", "/api/plain").status == 404
        # devhost's own routes are not shadowed by an empty prefix.
        assert other.http("GET", "/admin/host/status").json()["state"] == "Running"


def test_repeated_query_names_and_headers_are_comma_joined_and_empty_query_values_dropped(host):
    # What the Functions host hands the worker (StringValues joined; empty query values left out).
    conn = http.client.HTTPConnection("127.0.0.1", int(host.base_url.rsplit(":", 1)[1]))
    try:
        conn.putrequest("GET", "/api/echo/1?tag=a&tag=b&empty=&one=1")
        conn.putheader("X-Test", "first")
        conn.putheader("X-Test", "second")
        conn.endheaders()
        seen = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    assert seen["query"] == {"tag": "a,b", "one": "1"}
    assert seen["header"] == "first,second"
