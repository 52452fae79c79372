"""Outbound HTTP: the destination guard (allow-list, addresses after DNS, every redirect) and the
client (statuses, Retry-After, size cap, timeouts) against servers on 127.0.0.1 only."""

from __future__ import annotations

import gzip
import ipaddress
import ssl
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.errors import AdapterConfigurationError
from adapters.outbound_guard import AllowList, DestinationNotAllowed, vet_destination
from adapters.outbound_http import (
    HttpFailure,
    OutboundHttp,
    OutboundRequest,
    parse_retry_after,
)
from tests.support.recording_server import RecordingServer, Reply, recording_server

__all__ = ["recording_server"]  # the fixture


def no_dns(host: str, port: int) -> list[Any]:
    raise AssertionError(f"no DNS lookup expected, got one for {host}")


def dns(table: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address(a) for a in table.get(host, [])]

    return resolve


def refused(url: str, allowed: str = "", resolve: Any = no_dns) -> str:
    with pytest.raises(DestinationNotAllowed) as caught:
        vet_destination(url, AllowList.parse(allowed), resolve)
    assert type(caught.value).__name__ == "Http.DestinationNotAllowed"
    return str(caught.value)


# ---- the allow-list --------------------------------------------------------------------------


def test_allow_list_entries_of_every_form() -> None:
    allow = AllowList.parse(
        " api.example.com, *.partner.org:8443 ,127.0.0.1:9000, 10.2.0.0/16,"
        "[::1]:8080, 2001:db8::7, Bücher.DE., * "
    )
    assert allow.any_public
    assert allow.permits_name("api.example.com", 443)
    assert allow.permits_name("a.b.partner.org", 8443)
    assert allow.permits_name("xn--bcher-kva.de", 80)
    assert allow.lists_address(ipaddress.ip_address("127.0.0.1"), 9000)
    assert not allow.lists_address(ipaddress.ip_address("127.0.0.1"), 9001)
    assert allow.lists_address(ipaddress.ip_address("10.2.3.4"), 1)
    assert allow.lists_address(ipaddress.ip_address("::1"), 8080)
    assert allow.lists_address(ipaddress.ip_address("2001:db8::7"), 443)
    strict = AllowList.parse("*.partner.org:8443")
    assert not strict.permits_name("partner.org", 8443)  # subdomains only
    assert not strict.permits_name("evilpartner.org", 8443)
    assert not strict.permits_name("a.partner.org", 443)


@pytest.mark.parametrize(
    "entry",
    [
        "exa mple.com",
        "host:99999",
        "host:",
        "10.0.0.0/33",
        "http://x.com",
        "a..b",
        "[::1",
        "*.",
        "x.com/path",
        "\x00",
    ],
)
def test_a_bad_allow_list_entry_is_named(entry: str) -> None:
    with pytest.raises(AdapterConfigurationError, match="OUTBOUND_HTTP_ALLOWED_HOSTS entry"):
        AllowList.parse(f"good.example.com,{entry}")


# ---- destinations ----------------------------------------------------------------------------


def test_loopback_is_refused_unless_listed_as_an_ip() -> None:
    assert "not in OUTBOUND_HTTP_ALLOWED_HOSTS" in refused("http://127.0.0.1:8080/")
    assert "loopback address" in refused("http://127.0.0.1:8080/", "*")
    vetted = vet_destination("http://127.0.0.1:8080/x", AllowList.parse("127.0.0.1"), no_dns)
    assert (vetted.host, vetted.port, str(vetted.address)) == ("127.0.0.1", 8080, "127.0.0.1")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://168.63.129.16/",
        "http://[::ffff:169.254.169.254]/",
        "http://[64:ff9b::a9fe:a9fe]/",
    ],
)
def test_metadata_endpoints_are_refused_even_when_listed(url: str) -> None:
    everything = "*,0.0.0.0/0,::/0,169.254.0.0/16"
    assert "cloud metadata" in refused(url, everything)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://[::1]/", "loopback"),
        ("http://[fe80::1]/", "link-local"),
        ("http://169.254.1.1/", "link-local"),
        ("http://100.64.0.1/", "non-public"),
        ("http://0.0.0.0/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[2002:0a00:0001::1]/", "private"),  # 6to4 around 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused_for_any_public(url: str, kind: str) -> None:
    assert f"a {kind} address" in refused(url, "*")


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.com/", "only http and https"),
        ("gopher://127.0.0.1:70/", "only http and https"),
        ("/relative", "only http and https"),
        ("http://user:secret@api.example.com/", "credentials in the URL"),
        ("http:///nohost", "names no host"),
        ("not a url at all", "only http and https"),
    ],
)
def test_urls_that_are_not_plain_http_are_refused(url: str, needle: str) -> None:
    assert needle in refused(url, "*,api.example.com")


def test_an_allowed_name_that_resolves_to_a_private_address_is_refused() -> None:
    resolve = dns({"api.example.com": ["8.8.4.4", "10.0.0.7"], "gone.example.com": []})
    assert "resolves to 10.0.0.7, a private address" in refused(
        "https://api.example.com/", "api.example.com", resolve
    )
    assert "does not resolve" in refused("https://gone.example.com/", "*", resolve)
    ok = vet_destination(
        "https://api.example.com/",
        AllowList.parse("api.example.com"),
        dns({"api.example.com": ["8.8.4.4"]}),
    )
    assert str(ok.address) == "8.8.4.4"
    # A private address is fine once listed as such.
    listed = vet_destination(
        "https://api.example.com/", AllowList.parse("api.example.com,10.0.0.0/8"), resolve
    )
    assert str(listed.address) == "8.8.4.4"


def test_names_not_on_the_list_are_refused_before_any_lookup() -> None:
    assert "not in OUTBOUND_HTTP_ALLOWED_HOSTS" in refused(
        "https://evil.example/", "api.example.com"
    )
    assert "not in OUTBOUND_HTTP_ALLOWED_HOSTS" in refused(
        "https://api.example.com:444/", "api.example.com:443"
    )


@settings(max_examples=500, deadline=None)
@given(st.ip_addresses())
def test_with_any_public_only_public_addresses_pass(address: Any) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    try:
        vetted = vet_destination(f"http://{host}/", AllowList.parse("*"), no_dns)
    except DestinationNotAllowed:
        return
    inner = address.ipv4_mapped if address.version == 6 and address.ipv4_mapped else address
    assert inner.is_global and not inner.is_multicast, address
    assert vetted.address == address


# ---- Retry-After -----------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7),
        (" 0 ", 0),
        ("Mon, 01 Jun 2026 08:00:30 GMT", 30),
        ("Mon, 01 Jun 2026 07:00:00 GMT", 0),
        ("99999999999", 86400),
        ("soon", None),
        ("", None),
        (None, None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_retry_after_reads_seconds_and_dates(value: str | None, seconds: int | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


# ---- the client against local servers --------------------------------------------------------


def client(allowed: str, max_bytes: int = 1024 * 1024, resolve: Any = None) -> OutboundHttp:
    kwargs = {"resolve": resolve} if resolve else {}
    return OutboundHttp(AllowList.parse(allowed), max_response_bytes=max_bytes, **kwargs)


def port_of(server: RecordingServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def failure(call: Any) -> HttpFailure | DestinationNotAllowed:
    with pytest.raises((HttpFailure, DestinationNotAllowed)) as caught:
        call()
    return caught.value


def test_a_json_answer_comes_back_as_data(recording_server: RecordingServer) -> None:
    recording_server.reply("POST", "/orders", Reply.json({"id": 7}, 201, {"X-Trace": "a"}))
    answer = client(f"127.0.0.1:{port_of(recording_server)}").send(
        OutboundRequest(
            "POST",
            f"{recording_server.url}/orders?x=1",
            {"Idempotency-Key": "k-1"},
            body={"item": "<b>"},
            has_body=True,
        )
    )
    assert answer["status"] == 201 and answer["body"] == {"id": 7}
    assert answer["headers"]["x-trace"] == "a"
    [sent] = recording_server.requests
    assert sent.json() == {"item": "<b>"} and sent.header("content-type") == "application/json"
    assert sent.header("idempotency-key") == "k-1"
    assert sent.header("host") == f"127.0.0.1:{port_of(recording_server)}"


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
    recording_server: RecordingServer,
) -> None:
    port = port_of(recording_server)
    recording_server.reply("GET", "/", Reply(200, b"hello", {"Content-Type": "text/plain"}))
    pinned = client(f"api.test:{port},127.0.0.1", resolve=dns({"api.test": ["127.0.0.1"]}))
    answer = pinned.send(OutboundRequest("GET", f"http://api.test:{port}/"))
    assert answer["body"] == "hello" and answer["url"] == f"http://api.test:{port}/"
    assert recording_server.requests[0].header("host") == f"api.test:{port}"


@pytest.mark.parametrize(
    ("status", "retry_after", "name", "hint"),
    [
        (503, "7", "Http.ServerError", " [retry-after 7s]"),
        (500, None, "Http.ServerError", ""),
        (429, "2", "Http.TooManyRequests", " [retry-after 2s]"),
        (404, "2", "Http.UnexpectedStatus", ""),
    ],
)
def test_statuses_outside_the_expected_are_named_errors(
    recording_server: RecordingServer, status: int, retry_after: str | None, name: str, hint: str
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    recording_server.reply("GET", "/x", Reply(status, b"{}", headers))
    error = failure(
        lambda: client(f"127.0.0.1:{port_of(recording_server)}").send(
            OutboundRequest("GET", f"{recording_server.url}/x")
        )
    )
    assert type(error).__name__ == name
    assert str(error).endswith(hint or str(error)[-10:])
    if name == "Http.UnexpectedStatus":
        assert "expected one of 2xx" in str(error)
    fine = client(f"127.0.0.1:{port_of(recording_server)}").send(
        OutboundRequest("GET", f"{recording_server.url}/x", expected=(status,))
    )
    assert fine["status"] == status


def test_a_redirect_to_a_refused_destination_sends_nothing_there() -> None:
    with RecordingServer() as allowed, RecordingServer() as other:
        for target in (
            f"{other.url}/steal",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "file:///etc/passwd",
        ):
            allowed.reply("GET", "/go", Reply(302, headers={"Location": target}))
            error = failure(
                lambda: client(f"127.0.0.1:{port_of(allowed)}").send(
                    OutboundRequest("GET", f"{allowed.url}/go")
                )
            )
            assert type(error).__name__ == "Http.DestinationNotAllowed", target
        assert other.requests == []
        assert len(allowed.requests) == 4


def test_redirects_are_followed_and_credentials_stay_with_their_origin() -> None:
    with RecordingServer() as first, RecordingServer() as second:
        first.reply("POST", "/start", Reply(303, headers={"Location": f"{second.url}/done"}))
        second.reply("GET", "/done", Reply.json({"ok": True}))
        both = client(f"127.0.0.1:{port_of(first)},127.0.0.1:{port_of(second)}")
        answer = both.send(
            OutboundRequest(
                "POST",
                f"{first.url}/start",
                {"Authorization": "Bearer s3cret"},
                body={"a": 1},
                has_body=True,
            )
        )
        assert answer["body"] == {"ok": True} and answer["url"] == f"{second.url}/done"
        [followed] = second.requests
        assert followed.method == "GET" and followed.body == b""
        assert followed.header("authorization") is None  # another origin: not sent on
        assert first.requests[0].header("authorization") == "Bearer s3cret"


def test_a_redirect_loop_ends(recording_server: RecordingServer) -> None:
    recording_server.reply("GET", "/loop", Reply(307, headers={"Location": "/loop"}))
    error = failure(
        lambda: client(f"127.0.0.1:{port_of(recording_server)}").send(
            OutboundRequest("GET", f"{recording_server.url}/loop")
        )
    )
    assert type(error).__name__ == "Http.TooManyRedirects"
    assert len(recording_server.requests) == 6


def test_the_response_size_is_capped_also_after_decompression(
    recording_server: RecordingServer,
) -> None:
    recording_server.reply("GET", "/big", Reply(200, b"x" * 5000))
    bomb = gzip.compress(b"0" * 2_000_000)
    recording_server.reply("GET", "/bomb", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    small = client(f"127.0.0.1:{port_of(recording_server)}", max_bytes=4096)
    for path in ("/big", "/bomb"):
        error = failure(
            lambda path=path: small.send(OutboundRequest("GET", f"{recording_server.url}{path}"))
        )
        assert type(error).__name__ == "Http.ResponseTooLarge", path
    # A request may lower the limit, never raise it.
    error = failure(
        lambda: small.send(OutboundRequest("GET", f"{recording_server.url}/big", max_bytes=10**9))
    )
    assert type(error).__name__ == "Http.ResponseTooLarge"
    error = failure(
        lambda: client(f"127.0.0.1:{port_of(recording_server)}").send(
            OutboundRequest("GET", f"{recording_server.url}/big", max_bytes=100)
        )
    )
    assert type(error).__name__ == "Http.ResponseTooLarge"


def test_a_server_that_does_not_answer_in_time_is_a_timeout(
    recording_server: RecordingServer,
) -> None:
    release = threading.Event()

    def slow(request: Any, match: Any) -> Reply:
        release.wait(5)
        return Reply(200)

    recording_server.reply("GET", "/slow", slow)
    try:
        error = failure(
            lambda: client(f"127.0.0.1:{port_of(recording_server)}").send(
                OutboundRequest("GET", f"{recording_server.url}/slow", timeout=0.3)
            )
        )
    finally:
        release.set()
    assert type(error).__name__ == "Http.Timeout"


def test_a_closed_port_is_a_connection_failure() -> None:
    with RecordingServer() as server:
        port = port_of(server)
    error = failure(
        lambda: client(f"127.0.0.1:{port}").send(
            OutboundRequest("GET", f"http://127.0.0.1:{port}/")
        )
    )
    assert type(error).__name__ == "Http.ConnectionFailed"


# ---- the activity's input --------------------------------------------------------------------

BASE = {"instanceId": "i-1", "step": "Call", "url": "https://api.example.com/x"}


def test_post_and_patch_carry_an_idempotency_key_of_instance_and_step() -> None:
    from activities.http_request import parse_request

    post, key = parse_request({**BASE, "method": "POST", "body": None})
    assert post.headers["Idempotency-Key"] == key and post.has_body and post.body is None
    again, same = parse_request({**BASE, "method": "POST"})
    assert same == key and not again.has_body
    assert parse_request({**BASE, "step": "Other"})[1] != key
    assert "Idempotency-Key" not in parse_request({**BASE, "method": "GET"})[0].headers
    own = parse_request({**BASE, "method": "PATCH", "headers": {"idempotency-key": "mine"}})[0]
    assert own.headers == {"idempotency-key": "mine"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"instanceId": ""}, "instanceId"),
        ({"step": 5}, "step"),
        ({"method": "get"}, "method"),
        ({"method": "TRACE"}, "method"),
        ({"url": 5}, "url"),
        ({"url": "x" * 9000}, "url"),
        ({"headers": []}, "headers"),
        ({"headers": {"Host": "evil"}}, "headers.Host"),
        ({"headers": {"Transfer-Encoding": "chunked"}}, "headers.Transfer-Encoding"),
        ({"headers": {"X-A": "1\r\nX-Injected: 2"}}, "headers.X-A"),
        ({"headers": {"X-A": 5}}, "headers.X-A"),
        ({"headers": {"Bad Name": "x"}}, "headers.'Bad Name'"),
        ({"expectedStatuses": []}, "expectedStatuses"),
        ({"expectedStatuses": [99]}, "expectedStatuses"),
        ({"expectedStatuses": [True]}, "expectedStatuses"),
        ({"timeoutSeconds": 0}, "timeoutSeconds"),
        ({"timeoutSeconds": 500}, "timeoutSeconds"),
        ({"timeoutSeconds": "5"}, "timeoutSeconds"),
        ({"maxResponseBytes": 0}, "maxResponseBytes"),
        ({"followRedirects": "no"}, "followRedirects"),
    ],
)
def test_a_bad_field_of_the_input_is_named(changes: dict[str, Any], field: str) -> None:
    from activities.http_request import parse_request
    from services.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        parse_request({**BASE, **changes})
    assert caught.value.field == field


# ---- TLS to the checked address, verified for the name ---------------------------------------


def _tls(tmp_path: Any, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``name`` from a throwaway CA, and a client
    context that trusts only that CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def subject(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(subject("test CA"))
        .issuer_name(subject("test CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(subject(name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (tmp_path / "leaf.pem").write_bytes(
        leaf.public_bytes(pem)
        + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "leaf.pem")
    client = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    return server, client


def test_https_goes_to_the_checked_address_and_verifies_the_name(tmp_path: Any) -> None:
    server_tls, trust = _tls(tmp_path, "api.test")
    with RecordingServer(tls=server_tls) as server:
        server.reply("GET", "/secure", Reply.json({"ok": True}))
        port = port_of(server)
        resolve = dns({"api.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        guarded = OutboundHttp(
            AllowList.parse(f"api.test:{port},other.test:{port},127.0.0.1"),
            max_response_bytes=1024,
            resolve=resolve,
            verify=trust,
        )
        answer = guarded.send(OutboundRequest("GET", f"https://api.test:{port}/secure"))
        assert answer["body"] == {"ok": True}
        assert server.requests[0].header("host") == f"api.test:{port}"
        # The same address under a name the certificate does not carry: refused by TLS.
        error = failure(
            lambda: guarded.send(OutboundRequest("GET", f"https://other.test:{port}/secure"))
        )
        assert type(error).__name__ == "Http.ConnectionFailed"
        assert len(server.requests) == 1
