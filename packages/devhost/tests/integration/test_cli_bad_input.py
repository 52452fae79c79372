"""The CLI's rows of docs/bad-input.md: every client command fails with one line on stderr and
exit code 1 (a usage error: 2), never a traceback, whatever it meets."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.cli import main
from devhost.testing import DevHost, free_port
from helpers.bad_input import Row, case_id, rows

ROWS = rows("devhost", "test_cli")
COMMANDS = (
    ["clock"],
    ["idle", "--timeout", "1"],
    ["send", "q", "--body", "x"],
    ["queues"],
    ["url"],
)


class _NotDevhost(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>\n<body>\n<h1>Not Found</h1>\n</body>\n</html>\n")

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory) -> Iterator[DevHost]:
    with DevHost(apps_dir / "patterns_app", data_dir=tmp_path_factory.mktemp("cli")) as running:
        yield running


@pytest.fixture(scope="module")
def other_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotDevhost)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def hangs_up() -> Iterator[str]:
    """A server that accepts each connection and closes it without an answer."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


def _cases(host: DevHost, other: str, hangs_up: str, tmp: Path) -> dict[str, list[list[str]]]:
    nobody = str(free_port())
    return {
        "no-host-answers": [[*c, "--port", nobody] for c in COMMANDS],
        "host-hangs-up": [[*c, "--url", hangs_up] for c in COMMANDS],
        "not-a-devhost": [[*c, "--url", other] for c in COMMANDS],
        "url-not-http": [
            [*c, "--url", url]
            for c in COMMANDS
            for url in ("ftp://127.0.0.1:7071", "127.0.0.1:7071", "http://")
        ],
        "port-out-of-range": [[*c, "--port", p] for c in COMMANDS for p in ("0", "70000")],
        "missing-file": [
            ["send", "q", "--file", str(tmp / "missing.json"), "--url", host.base_url]
        ],
        "property-without-value": [
            ["send", "fragile", "--body", "x", "--property", "rank", "--url", host.base_url]
        ],
        "refused-advance": [["clock", "--advance", "soon", "--url", host.base_url]],
        "refused-idle": [["idle", "--timeout", "1e9", "--url", host.base_url]],
        "refused-send": [["send", "nowhere", "--body", "x", "--url", host.base_url]],
        "unknown-queue": [["queues", "nowhere", "--url", host.base_url]],
        "start-on-a-port-in-use": [
            [
                "start",
                "--app-dir",
                str(host.host.app_dir),
                "--port",
                str(host.host.port),
                "--data-dir",
                str(tmp / "other"),
            ]
        ],
    }


def test_every_cli_row_has_a_case(host, other_server, hangs_up, tmp_path) -> None:
    assert sorted(case_id(r) for r in ROWS) == sorted(
        _cases(host, other_server, hangs_up, tmp_path)
    )


@pytest.mark.parametrize("row", ROWS, ids=case_id)
def test_cli(
    row: Row, host, other_server, hangs_up, tmp_path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEVHOST_URL", raising=False)
    for argv in _cases(host, other_server, hangs_up, tmp_path)[case_id(row)]:
        assert main(argv) == row.exit_code, argv
        captured = capsys.readouterr()
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("devhost: "), (argv, captured.err)
        for phrase in row.phrases:
            assert phrase in lines[0], (argv, lines[0])


def test_a_bad_devhost_url_variable_is_named(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVHOST_URL", "not a url")
    assert main(["clock"]) == 1
    assert capsys.readouterr().err == (
        "devhost: DEVHOST_URL: expected a URL such as http://127.0.0.1:7071, got 'not a url'\n"
    )
