"""Where paperatlas may connect: only ``http``/``https``, and in shared mode only public addresses.

A shared server (``serve --shared``) fetches URLs that people type into a web form, so a URL must
not reach the server's own loopback, the private network behind it, link-local addresses (where
cloud metadata services live: 169.254.169.254), carrier-grade NAT, multicast or unspecified
addresses. Checking the name before the request is not enough: a name can resolve to a public
address when checked and to 127.0.0.1 when connected (DNS rebinding). So the check happens where
the connection is made: ``GuardedTransport`` resolves the host itself, vets *every* address it
resolves to, and connects to a vetted address; TLS still verifies the certificate against the
original host name (httpcore passes it as the server name) and the Host header is unchanged. The
fetcher checks again after each redirect, since each new URL is a new connection.

An administrator can allow hosts (an internal mirror, a proxy) with ``allow_hosts``: exact names
or ``*.suffix``; those skip the address check.

Addresses written in the old inet_aton forms (``2130706433``, ``0177.0.0.1``, ``0x7f.1``) are
read the way the C library reads them, so ``127.0.0.1`` in disguise is still loopback; IPv6 forms
that embed an IPv4 address (``::ffff:127.0.0.1``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``,
IPv4-compatible ``::/96``) are judged by the address they embed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from ..errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[tuple[Any, ...]]]  # socket.getaddrinfo's signature

SCHEMES = ("http", "https")
ALLOW_HINT = ("a shared server fetches only public addresses; an administrator can allow this host "
              "(the fetch_allow_hosts setting)")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_IETF_V4 = ipaddress.ip_network("192.0.0.0/24")  # protocol assignments; Oracle's metadata is 192.0.0.192
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


class FetchRefused(InvalidInput):
    """A URL paperatlas will not fetch: another scheme, or (shared mode) a non-public address."""


def address_problem(addr: Address) -> str | None:
    """Why a shared server must not connect to ``addr`` (None: a public address it may reach)."""
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_v4(addr)
        if embedded is not None:
            inner = address_problem(embedded)
            return f"it embeds {embedded}, {inner}" if inner else None
    checks: tuple[tuple[bool, str], ...] = (
        (addr.is_loopback, "a loopback address"),
        (addr.is_unspecified, "an unspecified address"),
        (addr.is_link_local, "a link-local address (cloud metadata services live there)"),
        (addr.is_multicast, "a multicast address"),
        (isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT, "a carrier-grade NAT address"),
        (isinstance(addr, ipaddress.IPv4Address) and addr in _IETF_V4, "an IETF protocol address"),
        (isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local, "a site-local address"),
        (addr.is_reserved, "a reserved address"),
        (addr.is_private, "a private address"),
        (not addr.is_global, "not a public address"),
    )
    return next((why for hit, why in checks if hit), None)


def _embedded_v4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if any(addr in net for net in _NAT64) or (addr in _V4_COMPATIBLE and int(addr) > 1):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read as inet_aton reads it (1 to 4 parts, each decimal, octal ``0..`` or hex
    ``0x..``; the last part fills the remaining bytes), or None if it is not such a number."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or any(p == "" for p in parts):
        return None
    values = []
    for part in parts:
        text = part.lower()
        try:
            if text.startswith("0x"):
                values.append(int(text[2:] or "0", 16))
            elif len(text) > 1 and text.startswith("0"):
                values.append(int(text[1:], 8))
            else:
                values.append(int(text, 10))
        except ValueError:
            return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = last
    for i, v in enumerate(head):
        number |= v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def literal_address(host: str) -> Address | None:
    """The IP address ``host`` spells (with or without IPv6 brackets), or None for a name."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return legacy_ipv4(bare) if ":" not in bare else None


class Guard:
    """The fetch policy of one fetcher: ``shared`` turns the address checks on."""

    def __init__(self, shared: bool = False, allow_hosts: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        self.shared = shared
        self.allow_hosts = tuple(h.strip().lower().rstrip(".") for h in allow_hosts if h.strip())
        self.resolver: Resolver = resolver or socket.getaddrinfo

    def allowed_host(self, host: str) -> bool:
        name = host.strip("[]").lower().rstrip(".")
        return any(name == a or (a.startswith("*.") and name.endswith(a[1:])) for a in self.allow_hosts)

    def check_url(self, url: str, shown: str) -> None:
        """Refuse other schemes always, and (shared) hosts that resolve to a non-public address.
        ``shown``: the URL as messages may show it (credentials removed)."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in SCHEMES:
            raise FetchRefused(f"refused to fetch {shown}: only http and https URLs are fetched",
                               hint="give an http:// or https:// URL")
        if not parts.hostname:
            raise FetchRefused(f"refused to fetch {shown}: the URL names no host", hint="give a full URL, https://host/path")
        if self.shared:
            try:
                self.vet(parts.hostname, parts.port or (443 if parts.scheme.lower() == "https" else 80), shown)
            except httpcore.ConnectError:
                return  # a name that does not resolve: the request itself fails and says so

    def vet(self, host: str, port: int, shown: str | None = None) -> list[str]:
        """The addresses to connect to for ``host``: every one it resolves to, each checked
        (shared mode; an allowed host skips the check). Raises FetchRefused."""
        literal = literal_address(host)
        if literal is not None:
            addresses: list[Address] = [literal]
        else:
            try:
                infos = self.resolver(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from None
            addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos))
        if self.shared and not self.allowed_host(host):
            for addr in addresses:
                why = address_problem(addr)
                if why:
                    where = f"{host} is {addr}" if literal is not None else f"{host} resolves to {addr}"
                    raise FetchRefused(f"refused to fetch {shown or host}: {where}, {why}", hint=ALLOW_HINT)
        return [str(a) for a in addresses]


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses the guard vetted at connect time."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self.guard.vet(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # try the next address, as socket.create_connection does
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections go only where the guard allows (no proxies: a proxy
    would connect to the target on our behalf, past the check)."""

    def __init__(self, guard: Guard, verify: bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        # httpx builds its connection pool in __init__ without a way to pass a network backend;
        # the pool is replaced by the same pool over the guarded backend (tests/test_fetch_guard.py
        # would fail if httpx stopped using it).
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(verify=verify),
                                             network_backend=_GuardedBackend(guard))
