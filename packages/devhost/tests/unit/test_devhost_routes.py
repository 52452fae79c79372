"""Route templates: the ASP.NET syntax the Functions host matches HTTP triggers with."""

import pytest

from devhost.web.routes import RouteError, RouteTemplate


def match(template: str, path: str) -> dict[str, str] | None:
    return RouteTemplate.parse(template).match(path)


def test_literal_segments_match_case_insensitively_and_only_whole_paths():
    assert match("orders/open", "orders/open") == {}
    assert match("orders/open", "ORDERS/Open/") == {}
    assert match("orders/open", "orders") is None
    assert match("orders/open", "orders/open/extra") is None
    assert match("orders/open", "orders/opened") is None


def test_parameters_capture_one_segment_each_and_are_url_decoded():
    assert match("users/{id}/posts/{post}", "users/42/posts/hello%20world") == {
        "id": "42",
        "post": "hello world",
    }
    assert match("users/{id}", "users/a/b") is None
    assert match("users/{id}", "users") is None


def test_optional_parameter_may_be_left_out():
    template = "items/{category}/{id?}"
    assert match(template, "items/books/7") == {"category": "books", "id": "7"}
    assert match(template, "items/books") == {"category": "books"}
    assert match(template, "items") is None


def test_default_value_fills_a_missing_segment():
    assert match("pages/{n=1}", "pages") == {"n": "1"}
    assert match("pages/{n=1}", "pages/3") == {"n": "3"}
    assert match("pages/{n:int=1}", "pages") == {"n": "1"}


def test_catch_all_takes_the_rest_of_the_path_including_slashes():
    assert match("files/{*path}", "files/a/b/c.txt") == {"path": "a/b/c.txt"}
    assert match("files/{*path}", "files") == {}
    assert match("files/{**path}", "files/x/y") == {"path": "x/y"}


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        ("int", ["42", "-7"], ["4.2", "abc"]),
        ("long", ["9000000000"], ["x1"]),
        ("bool", ["true", "False"], ["yes", "1"]),
        (
            "guid",
            ["0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5bd9cb469fa16570867728950e"],
            ["0f8fad5b-d9cb-469f", "not-a-guid"],
        ),
        ("alpha", ["abcXYZ"], ["abc1", "a-b"]),
        ("double", ["3.14", "-2", "10"], ["3.1.4", "pi"]),
        ("datetime", ["2024-02-29", "2024-02-29T10:30:00Z"], ["yesterday", "2024-2-1"]),
        ("minlength(3)", ["abc", "abcdef"], ["ab"]),
        ("maxlength(3)", ["a", "abc"], ["abcd"]),
        ("length(2)", ["ab"], ["a", "abc"]),
        ("length(2,4)", ["ab", "abcd"], ["a", "abcde"]),
        ("min(10)", ["10", "99"], ["9", "ten"]),
        ("max(10)", ["10", "-5"], ["11"]),
        ("range(1,5)", ["1", "5", "3"], ["0", "6"]),
        ("regex(^[a-z]{{3}}$)", ["abc", "XYZ"], ["abcd", "ab1"]),
        ("regex(^\\d+(-\\d+)?$)", ["12", "12-34"], ["12-", "a"]),
        ("regex(ab|cd)", ["cd", "xaby"], ["ef"]),  # unanchored, as ASP.NET's IsMatch
    ],
)
def test_constraints_accept_and_reject(constraint, good, bad):
    template = RouteTemplate.parse(f"v/{{x:{constraint}}}")
    for value in good:
        assert template.match(f"v/{value}") == {"x": value}, value
    for value in bad:
        assert template.match(f"v/{value}") is None, value


def test_constraints_combine_and_apply_to_optional_parameters():
    template = RouteTemplate.parse("v/{x:int:range(1,5)?}")
    assert template.match("v/3") == {"x": "3"}
    assert template.match("v/9") is None
    assert template.match("v") == {}
    assert match("v/{name:alpha:minlength(2)}", "v/a") is None


def test_precedence_puts_literals_first_and_loose_routes_last():
    templates = [
        RouteTemplate.parse(t)
        for t in ("{*rest}", "items/{id?}", "items/{id}", "{a}/{b}", "items/special")
    ]
    ordered = [t.template for t in sorted(templates, key=lambda t: t.precedence)]
    assert ordered == ["items/special", "items/{id}", "items/{id?}", "{a}/{b}", "{*rest}"]


@pytest.mark.parametrize(
    ("template", "complaint"),
    [
        ("a//b", "empty segment"),
        ("a/{x", "cannot parse segment"),
        ("a/x}", "cannot parse segment"),
        ("a/{1x}", "cannot parse parameter"),
        ("a/{}", "cannot parse parameter"),
        ("a/{x?y}", "cannot parse parameter"),
        ("a/{x:bogus}", "unknown constraint 'bogus'"),
        ("a/{x:regex(()}", "bad regex"),
        ("{*rest}/tail", "catch-all must be the last segment"),
        ("{x}/{X}", "appears twice"),
    ],
)
def test_bad_templates_raise_route_error_quoting_the_template(template, complaint):
    with pytest.raises(RouteError) as caught:
        RouteTemplate.parse(template)
    assert complaint in str(caught.value)
    assert repr(template) in str(caught.value)


def _triggers(*routes: str) -> list[str]:
    """The paths devhost serves for HTTP functions with ``routes`` (prefix ``api``)."""
    from devhost.loader import FunctionInfo
    from devhost.web.http_triggers import HttpTriggers

    functions = [
        FunctionInfo(
            f"f{i}", {"type": "httpTrigger", "route": r, "methods": ["GET"]}, [], lambda: None
        )
        for i, r in enumerate(routes)
    ]
    triggers = HttpTriggers(functions, lambda *a, **k: None, "api")  # type: ignore[arg-type,return-value]
    return [route.path for route in triggers.web_routes()]  # type: ignore[attr-defined]


def test_the_site_root_leads_to_the_app_only_when_it_has_a_root_route():
    # Like the Functions host's home page: "/" leads to "/api/" when the app answers there.
    assert _triggers("{*root:maxlength(0)}", "items") == ["/api/{tail:.*}", "/"]
    assert _triggers("items", "items/{id}") == ["/api/{tail:.*}"]
