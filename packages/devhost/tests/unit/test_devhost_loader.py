"""Indexing a v2 app from function_app.py, and the errors when that cannot be done."""

import sys
import textwrap

import pytest

from devhost.loader import AppLoadError, load_app, unload_app


@pytest.fixture
def app_dir(tmp_path):
    yield tmp_path
    unload_app(tmp_path)


def write_app(folder, source):
    (folder / "function_app.py").write_text(textwrap.dedent(source), encoding="utf-8")


def test_loads_functions_with_their_triggers_and_helper_modules(app_dir):
    (app_dir / "greetings.py").write_text("def greet(n):\n    return f'hi {n}'\n")
    write_app(
        app_dir,
        """
        import azure.durable_functions as df
        import azure.functions as func
        from greetings import greet

        app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

        @app.route(route="hello/{name}")
        def hello(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse(greet(req.route_params["name"]))

        @app.activity_trigger(input_name="n")
        def act(n: str) -> str:
            return greet(n)
    """,
    )
    loaded = load_app(app_dir)
    assert {f.name: f.trigger_type for f in loaded.functions} == {
        "hello": "httpTrigger",
        "act": "activityTrigger",
    }
    assert set(loaded.by_trigger("activityTrigger")) == {"act"}
    hello = loaded.by_trigger("httpTrigger")["hello"]
    assert hello.trigger["route"] == "hello/{name}"
    assert hello.binding("$return")["type"] == "http"
    unload_app(app_dir)
    assert "greetings" not in sys.modules
    assert str(app_dir.resolve()) not in sys.path


def test_missing_function_app_py(app_dir):
    with pytest.raises(
        AppLoadError,
        match=r"function_app\.py: not found; the v2 programming"
        " model needs function_app.py",
    ):
        load_app(app_dir)


def test_import_error_names_the_file_and_the_exception(app_dir):
    write_app(app_dir, "import no_such_module_for_devhost\n")
    with pytest.raises(AppLoadError) as caught:
        load_app(app_dir)
    message = str(caught.value)
    assert str(app_dir.resolve() / "function_app.py") in message
    assert "import failed: ModuleNotFoundError" in message
    assert "no_such_module_for_devhost" in message
    assert "function_app" not in sys.modules


def test_exception_at_import_is_reported(app_dir):
    write_app(app_dir, "raise RuntimeError('settings missing: FOO')\n")
    with pytest.raises(AppLoadError, match="import failed: RuntimeError: settings missing: FOO"):
        load_app(app_dir)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import azure.functions as func\na = func.FunctionApp()\nb = func.FunctionApp()\n", 2),
        ("X = 1\n", 0),
    ],
)
def test_exactly_one_app_at_module_level(app_dir, source, found):
    write_app(app_dir, source)
    with pytest.raises(
        AppLoadError, match=f"expected exactly one FunctionApp/DFApp at module level, found {found}"
    ):
        load_app(app_dir)


def test_duplicate_function_names_are_an_indexing_error(app_dir):
    write_app(
        app_dir,
        """
        import azure.functions as func
        app = func.FunctionApp()

        @app.function_name("same")
        @app.route(route="a")
        def a(req):
            return "a"

        @app.function_name("same")
        @app.route(route="b")
        def b(req):
            return "b"
    """,
    )
    with pytest.raises(AppLoadError, match=r"function_app\.py: .*same"):
        load_app(app_dir)


def test_installed_packages_inside_the_app_folder_stay_loaded(app_dir):
    """A virtual environment in the app folder (``.venv``, ``.python_packages``) is not the
    app: unloading it would leave objects made earlier pointing at classes imported anew."""
    package = app_dir / ".venv" / "lib" / "python3.11" / "site-packages" / "lazy_lib_for_devhost"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    (app_dir / "helper_for_devhost.py").write_text("X = 1\n")
    write_app(
        app_dir,
        """
        import sys
        sys.path.append(str(__import__("pathlib").Path(__file__).parent / ".venv" / "lib"
                            / "python3.11" / "site-packages"))
        import azure.functions as func
        import helper_for_devhost
        import lazy_lib_for_devhost

        app = func.FunctionApp()

        @app.route(route="x")
        def x(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("x")
    """,
    )
    loaded = load_app(app_dir)
    library = sys.modules["lazy_lib_for_devhost"]
    try:
        unload_app(loaded)
        assert "helper_for_devhost" not in sys.modules
        assert sys.modules.get("lazy_lib_for_devhost") is library
    finally:
        sys.modules.pop("lazy_lib_for_devhost", None)
        sys.path[:] = [p for p in sys.path if str(app_dir) not in p]
