"""HTTP triggers exercising what devhost must hand a function and take back (our test app)."""

import asyncio
import json
import os
import threading

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
HOSTNAME_AT_IMPORT = os.environ.get("WEBSITE_HOSTNAME")


def _describe(req: func.HttpRequest, **extra: object) -> func.HttpResponse:
    """Everything the function saw, as JSON, so tests can compare it with what they sent."""
    body = {
        "method": req.method,
        "url": req.url,
        "route": dict(req.route_params),
        "query": dict(req.params),
        "header": req.headers.get("x-test"),
        "contentType": req.headers.get("Content-Type"),
        "body": req.get_body().decode("utf-8"),
        "thread": threading.current_thread().name,
        **extra,
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="echo/{id:int}/{name?}", methods=["GET", "POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return _describe(req)


@app.route(route="files/{*path}", methods=["GET"])
def files(req: func.HttpRequest) -> func.HttpResponse:
    return _describe(req)


@app.route(route="typed/{flag:bool}/{day:datetime}/{code:regex(^[A-Z]{{3}}$)}")
def typed(req: func.HttpRequest) -> func.HttpResponse:
    return _describe(req)


@app.route(route="pages/{n:range(1,10)=1}")
def pages(req: func.HttpRequest) -> func.HttpResponse:
    return _describe(req)


@app.route(route="items/special", methods=["GET"])
def special_item(req: func.HttpRequest) -> func.HttpResponse:
    return _describe(req, which="special")


@app.route(route="items/{id}", methods=["GET", "DELETE"])
def item(req: func.HttpRequest) -> func.HttpResponse:
    return _describe(req, which="item")


@app.route(route="submit", methods=["POST", "PUT"])
async def submit(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    try:
        payload = req.get_json()
    except ValueError:
        return func.HttpResponse("body: expected JSON", status_code=400)
    return _describe(req, json=payload)


@app.route(route="made", methods=["GET"])
def made(req: func.HttpRequest) -> func.HttpResponse:
    """A response with every part set by hand."""
    return func.HttpResponse(
        body=b"a,b\n1,2\n",
        status_code=201,
        mimetype="text/csv",
        charset="utf-8",
        headers={"X-Made-By": "http_app", "Cache-Control": "no-store"},
    )


@app.route(route="plain")
def plain(req: func.HttpRequest) -> str:
    """``$return`` as a str: the host answers 200 with the text."""
    return f"hello {req.params.get('who', 'world')}"


@app.route(route="out", methods=["GET"], binding_arg_name="res")
def out(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
    """The response through a named output binding instead of ``$return``."""
    res.set(func.HttpResponse(f"via out {req.params.get('n')}", status_code=202))


@app.route(route="fails")
def fails(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError(f"broken on purpose ({req.params.get('why', 'no reason')})")


@app.route(route="fails-async")
async def fails_async(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    raise KeyError("missing-key")


@app.route(route="wrong-type")
def wrong_type(req: func.HttpRequest) -> func.HttpResponse:
    return {"not": "a response"}  # type: ignore[return-value]


@app.route(route="hostname", methods=["GET"])
def hostname(req: func.HttpRequest) -> func.HttpResponse:
    """The address the host gave the app, now and when the app was imported."""
    return func.HttpResponse(
        json.dumps({"now": os.environ.get("WEBSITE_HOSTNAME"), "atImport": HOSTNAME_AT_IMPORT}),
        mimetype="application/json",
    )
