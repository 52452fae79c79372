"""Where outbound HTTP may go: the allow-list ``OUTBOUND_HTTP_ALLOWED_HOSTS`` and the address
rules checked after DNS resolution.

A destination passes when its scheme is http or https, it names no credentials, its host (and
port) is on the allow-list, and **every** address the name resolves to is acceptable: public,
or inside an IP or CIDR entry of the list. Loopback, link-local, private, shared, reserved and
multicast addresses, also when smuggled inside IPv6 (``::ffff:127.0.0.1``, 6to4, NAT64), are
refused unless listed as an IP or CIDR; a host *name* on the list never opens them, so a DNS
answer cannot turn an allowed name into a door to the private network. The cloud metadata and
platform endpoints are refused whatever the list says. The connection then goes to the
address that was checked, never to a second lookup (no DNS rebinding between check and use).

Allow-list entries, comma-separated: ``api.example.com``, ``api.example.com:8443``,
``*.example.com`` (subdomains, not the domain itself), ``203.0.113.7``, ``[2001:db8::1]:443``,
``10.20.0.0/16``, and ``*`` (any public destination).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from adapters.errors import AdapterConfigurationError

__all__ = [
    "AllowList",
    "DestinationNotAllowed",
    "Resolver",
    "Vetted",
    "system_resolver",
    "vet_destination",
]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[Address]]

DEFAULT_PORTS = {"http": 80, "https": 443}
# Instance metadata and platform endpoints (AWS/Azure/GCP IMDS, ECS task metadata, Azure
# WireServer, Alibaba): refused even when an entry of the list covers them.
ALWAYS_REFUSED = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "168.63.129.16",
        "100.100.100.200",
        "fd00:ec2::254",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAME = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
    r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$"
)
_ENTRY_RULE = (
    "expected host, host:port, *.domain, an IP, [IPv6]:port, a CIDR such as 10.0.0.0/8, or *"
)


class DestinationNotAllowed(Exception):
    """The URL or an address it resolves to is not an allowed destination. Never retried."""


# The workflow sees the class name as the error name (orchestration.errors).
DestinationNotAllowed.__name__ = DestinationNotAllowed.__qualname__ = "Http.DestinationNotAllowed"


@dataclass(frozen=True)
class _HostEntry:
    name: str  # lower-case IDNA; "" for "*"
    wildcard: bool  # "*.name": any subdomain of name
    port: int | None


@dataclass(frozen=True)
class _NetworkEntry:
    network: Network
    port: int | None


@dataclass(frozen=True)
class AllowList:
    """The parsed ``OUTBOUND_HTTP_ALLOWED_HOSTS``."""

    hosts: tuple[_HostEntry, ...] = ()
    networks: tuple[_NetworkEntry, ...] = ()
    any_public: bool = False

    @classmethod
    def parse(cls, text: str | None) -> AllowList:
        """Read the setting; a bad entry raises ``AdapterConfigurationError`` naming it."""
        hosts: list[_HostEntry] = []
        networks: list[_NetworkEntry] = []
        any_public = False
        for raw in (text or "").split(","):
            entry = raw.strip()
            if not entry:
                continue
            if entry == "*":
                any_public = True
                continue
            parsed = _parse_entry(entry)
            if parsed is None:
                raise AdapterConfigurationError(
                    f"OUTBOUND_HTTP_ALLOWED_HOSTS entry {entry!r}: {_ENTRY_RULE}"
                )
            if isinstance(parsed, _NetworkEntry):
                networks.append(parsed)
            else:
                hosts.append(parsed)
        return cls(tuple(hosts), tuple(networks), any_public)

    def permits_name(self, host: str, port: int) -> bool:
        """Whether a host name (not an IP literal) may be called on ``port``."""
        for entry in self.hosts:
            if entry.port is not None and entry.port != port:
                continue
            if entry.wildcard and host.endswith("." + entry.name):
                return True
            if not entry.wildcard and host == entry.name:
                return True
        return self.any_public

    def lists_address(self, address: Address, port: int) -> bool:
        """Whether an IP or CIDR entry covers ``address`` on ``port``."""
        return any(
            (entry.port is None or entry.port == port) and address in entry.network
            for entry in self.networks
        )


def _parse_entry(entry: str) -> _HostEntry | _NetworkEntry | None:
    if "/" in entry:
        try:
            return _NetworkEntry(ipaddress.ip_network(entry, strict=False), None)
        except ValueError:
            return None
    host, port = entry, None
    bracketed = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?", entry)
    if bracketed:
        host, port = bracketed.group(1), _port(bracketed.group(2))
    elif entry.count(":") == 1:
        host, _, text = entry.partition(":")
        port = _port(text)
        if port is None:
            return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return _NetworkEntry(ipaddress.ip_network(address), port)
    wildcard = host.startswith("*.")
    name = _idna(host[2:] if wildcard else host)
    if name is None or not _NAME.match(name):
        return None
    return _HostEntry(name, wildcard, port)


def _port(text: str | None) -> int | None:
    if text is None or not text.isdigit() or not 0 < int(text) < 65536:
        return None
    return int(text)


def _idna(name: str) -> str | None:
    try:
        return name.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


@dataclass(frozen=True)
class Vetted:
    """A destination that passed: connect to ``address``, speak to ``host`` (Host, TLS SNI)."""

    url: httpx.URL
    host: str
    port: int
    address: Address


def system_resolver(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (``getaddrinfo``); an empty list when it does not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    found: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def vet_destination(
    url: str | httpx.URL, allow: AllowList, resolve: Resolver = system_resolver
) -> Vetted:
    """Check ``url`` and the addresses it resolves to; ``DestinationNotAllowed`` says why."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise DestinationNotAllowed(f"{_shown(url)} is not a URL") from None
    if parsed.scheme not in DEFAULT_PORTS:
        raise DestinationNotAllowed(
            f"{_shown(url)}: only http and https URLs may be called, "
            f"not {parsed.scheme or 'a relative URL'!r}"
        )
    if parsed.userinfo:
        raise DestinationNotAllowed(
            f"{_shown(url)}: credentials in the URL are refused; send them in a header"
        )
    host = parsed.raw_host.decode("ascii", "replace").lower().rstrip(".")
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    if not host:
        raise DestinationNotAllowed(f"{_shown(url)} names no host")
    literal = _ip_literal(host)
    if literal is not None:
        refusal = _refusal(literal, port, allow)
        if refusal and (
            allow.any_public or literal in ALWAYS_REFUSED or _embedded(literal) in ALWAYS_REFUSED
        ):
            raise DestinationNotAllowed(f"{host}:{port} is {refusal}")
        if refusal or not (allow.any_public or allow.lists_address(literal, port)):
            raise DestinationNotAllowed(f"{host}:{port} is not in OUTBOUND_HTTP_ALLOWED_HOSTS")
        return Vetted(parsed, host, port, literal)
    if not allow.permits_name(host, port):
        raise DestinationNotAllowed(f"{host}:{port} is not in OUTBOUND_HTTP_ALLOWED_HOSTS")
    addresses = resolve(host, port)
    if not addresses:
        raise DestinationNotAllowed(f"{host} does not resolve to any address")
    for address in addresses:
        refusal = _refusal(address, port, allow)
        if refusal:
            raise DestinationNotAllowed(f"{host}:{port} resolves to {address}, {refusal}")
    return Vetted(parsed, host, port, addresses[0])


def _ip_literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _embedded(address: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address, else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _public(address: Address) -> bool:
    inner = _embedded(address)
    return all(a.is_global and not a.is_multicast for a in {address, inner})


def _refusal(address: Address, port: int, allow: AllowList) -> str | None:
    """Why ``address`` may not be connected to, or None."""
    inner = _embedded(address)
    if address in ALWAYS_REFUSED or inner in ALWAYS_REFUSED:
        return "a cloud metadata or platform endpoint, which is always refused"
    if _public(address):
        return None
    if allow.lists_address(address, port) or (
        inner != address and allow.lists_address(inner, port)
    ):
        return None
    return (
        f"a {_kind(inner)} address, refused unless OUTBOUND_HTTP_ALLOWED_HOSTS lists it "
        "as an IP or CIDR"
    )


def _kind(address: Address) -> str:
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    return "non-public"


def _shown(value: object) -> str:
    text = repr(str(value))
    return text if len(text) <= 200 else text[:197] + "..."
