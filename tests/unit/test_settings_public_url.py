"""The app's public base URL: PUBLIC_BASE_URL when set, else the host's WEBSITE_HOSTNAME, so
links follow the port the host listens on (devhost and Core Tools on any port, Azure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settings import load


def url(**values: str) -> str:
    return load(values).public_base_url()


@pytest.mark.parametrize(
    ("hostname", "expected"),
    [
        ("127.0.0.1:7181", "http://127.0.0.1:7181"),  # devhost
        ("localhost:7071", "http://localhost:7071"),  # Core Tools
        ("[::1]:7072", "http://[::1]:7072"),
        ("app.localhost:8080", "http://app.localhost:8080"),
        ("func-abc.azurewebsites.net", "https://func-abc.azurewebsites.net"),  # Azure
        ("10.0.0.4:80", "https://10.0.0.4:80"),
    ],
)
def test_links_follow_the_hosts_address(hostname: str, expected: str) -> None:
    assert url(WEBSITE_HOSTNAME=hostname) == expected


def test_an_explicit_public_url_wins_without_its_trailing_slash() -> None:
    assert (
        url(PUBLIC_BASE_URL="https://approvals.example.com/", WEBSITE_HOSTNAME="127.0.0.1:1")
        == "https://approvals.example.com"
    )


def test_neither_setting_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        url()


@given(port=st.integers(1, 65535))
def test_any_devhost_port_makes_links_on_that_port(port: int) -> None:
    assert url(WEBSITE_HOSTNAME=f"127.0.0.1:{port}") == f"http://127.0.0.1:{port}"
