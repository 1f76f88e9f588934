"""The fetch guard: only http/https; in shared mode no loopback, private, link-local, CGNAT,
multicast, unspecified or metadata address, however the address is written, checked where the
connection is made (so DNS rebinding does not get past it) and again after each redirect; hosts an
administrator allows pass. Names are resolved by a stand-in resolver: no test looks up a name."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from _replay import Replay, Reply

from paperatlas.sources.guard import FetchRefused, Guard, address_problem, legacy_ipv4, literal_address
from paperatlas.sources.http import Fetcher, FetchError, redact, retry_after


def resolver(table: dict[str, list[str]]) -> Any:
    """getaddrinfo over a fixed table; a name answered from a list of lists answers the next list
    each time (a name that changes its address between two look-ups)."""
    calls: dict[str, int] = {}

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = table[host]
        n = calls[host] = calls.get(host, -1) + 1
        chosen = answers[min(n, len(answers) - 1)] if isinstance(answers[0], list) else answers
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in chosen]
    return getaddrinfo


@pytest.fixture
def server() -> Iterator[Replay]:
    with Replay() as replay:
        replay.route("/ok", lambda r: Reply(200, b"fine", {"Content-Type": "text/plain"}))
        yield replay


@pytest.mark.parametrize("address, why", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fd00:ec2::254", "private"),
    ("100.64.0.1", "carrier-grade NAT"), ("100.100.100.200", "carrier-grade NAT"), ("192.0.0.192", "IETF protocol"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
    ("::ffff:127.0.0.1", "embeds 127.0.0.1, a loopback"), ("::ffff:10.0.0.1", "embeds 10.0.0.1, a private"),
    ("2002:7f00:1::", "embeds 127.0.0.1"), ("64:ff9b::a9fe:a9fe", "embeds 169.254.169.254"),
    ("::7f00:1", "embeds 127.0.0.1"), ("198.18.0.1", "private"),
])
def test_addresses_a_shared_server_must_not_reach(address: str, why: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and why in problem


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("text, address", [
    ("2130706433", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("127.0.1", "127.0.0.1"), ("0xA9.0xFE.0xA9.0xFE", "169.254.169.254"),
    ("10.0.0.1", "10.0.0.1"), ("1.2.3.4", "1.2.3.4"),
])
def test_old_ipv4_spellings_are_read_as_the_c_library_reads_them(text: str, address: str) -> None:
    assert str(legacy_ipv4(text)) == address == str(literal_address(text))


@pytest.mark.parametrize("text", ["256.1.1.1", "1.2.3.4.5", "0x1g.0.0.1", "08.0.0.1", "example.org", "1..2", ""])
def test_names_and_impossible_numbers_are_not_addresses(text: str) -> None:
    assert legacy_ipv4(text) is None


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost.:80/", "http://[::1]:8000/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
    "http://10.0.0.5/", "http://100.64.1.1/", "http://224.0.0.1/", "http://0.0.0.0:8000/",
    "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://127.1/", "https://metadata.google.internal/",
    "http://rebind.test/",
])
def test_shared_mode_refuses_urls_that_reach_inside(url: str) -> None:
    guard = Guard(shared=True, resolver=resolver({"localhost.": ["127.0.0.1"], "metadata.google.internal": ["169.254.169.254"],
                                                  "rebind.test": ["93.184.216.34", "10.0.0.7"]}))
    with pytest.raises(FetchRefused, match="refused to fetch") as caught:
        guard.check_url(url, url)
    assert "fetch_allow_hosts" in caught.value.hint


def test_a_public_name_passes_and_local_mode_checks_only_the_scheme() -> None:
    Guard(shared=True, resolver=resolver({"arxiv.example": ["93.184.216.34"]})).check_url("https://arxiv.example/x", "")
    Guard(shared=False).check_url("http://127.0.0.1:8000/", "")  # a person's own machine may fetch its own servers


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://example.org/", "javascript:alert(1)"])
def test_only_http_and_https_ever(url: str) -> None:
    for shared in (False, True):
        with pytest.raises(FetchRefused, match="only http and https"):
            Guard(shared=shared).check_url(url, url)


def test_allowed_hosts_pass_by_name_or_suffix() -> None:
    guard = Guard(shared=True, allow_hosts=["mirror.lab.internal", "*.corp.example"],
                  resolver=resolver({"mirror.lab.internal": ["10.1.1.1"], "papers.corp.example": ["192.168.3.3"],
                                     "other.internal": ["10.1.1.2"]}))
    guard.check_url("http://mirror.lab.internal/api", "")
    guard.check_url("http://papers.corp.example/x", "")
    with pytest.raises(FetchRefused):
        guard.check_url("http://other.internal/x", "")


def test_shared_fetcher_connects_to_the_vetted_address_with_the_original_host(server: Replay) -> None:
    guard = Guard(shared=True, allow_hosts=["replay.test"], resolver=resolver({"replay.test": ["127.0.0.1"]}))
    with Fetcher(guard=guard) as fetcher:
        response = fetcher.fetch(f"http://replay.test:{server.port}/ok")
    assert response.body == b"fine"
    assert server.requests("/ok")[0].headers["host"] == f"replay.test:{server.port}"


def test_dns_rebinding_between_the_check_and_the_connection_is_caught(server: Replay) -> None:
    """The name resolves to a public address when the URL is checked and to loopback when the
    connection is made: the connection is refused, and nothing reaches the local server."""
    guard = Guard(shared=True, resolver=resolver({"rebind.test": [["93.184.216.34"], ["127.0.0.1"]]}))
    with Fetcher(guard=guard, retries=0) as fetcher, pytest.raises(FetchRefused, match="resolves to 127.0.0.1, a loopback"):
        fetcher.fetch(f"http://rebind.test:{server.port}/ok")
    assert server.requests() == []


def test_a_redirect_to_a_private_address_is_refused(server: Replay) -> None:
    server.route("/go", lambda r: Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/iam"}))
    server.route("/loop", lambda r: Reply(301, headers={"Location": f"http://127.0.0.1:{server.port}/ok"}))
    guard = Guard(shared=True, allow_hosts=["replay.test"], resolver=resolver({"replay.test": ["127.0.0.1"]}))
    with Fetcher(guard=guard) as fetcher:
        with pytest.raises(FetchRefused, match="169.254.169.254 is 169.254.169.254, a link-local"):
            fetcher.fetch(f"http://replay.test:{server.port}/go")
        with pytest.raises(FetchRefused, match="127.0.0.1 is 127.0.0.1, a loopback"):
            fetcher.fetch(f"http://replay.test:{server.port}/loop")
    assert [r.path for r in server.requests()] == ["/go", "/loop"]


def test_a_redirect_to_another_host_drops_the_credentials(server: Replay) -> None:
    with Replay() as other:
        other.route("/landing", lambda r: Reply(200, b"here"))
        server.route("/moved", lambda r: Reply(307, headers={"Location": f"http://localhost:{other.port}/landing"}))
        with Fetcher() as fetcher:
            fetcher.fetch(f"{server.url}/moved", headers={"x-api-key": "sk-1", "Authorization": "Bearer t"})
        assert server.requests()[0].headers["x-api-key"] == "sk-1"
        landed = other.requests("/landing")[0].headers
        assert "x-api-key" not in landed and "authorization" not in landed


def test_too_many_redirects(server: Replay) -> None:
    server.route("/again", lambda r: Reply(302, headers={"Location": "/again"}))
    with Fetcher(max_redirects=3) as fetcher, pytest.raises(FetchError, match="more than 3 redirects"):
        fetcher.fetch(f"{server.url}/again")
    assert len(server.requests("/again")) == 4


def test_credentials_never_in_messages(server: Replay) -> None:
    assert redact("https://user:pw@api.example.org/x?api_key=SECRET&query=a%20b&token=T") == \
        "https://***@api.example.org/x?api_key=REDACTED&query=a+b&token=REDACTED"
    with Fetcher(retries=0) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(f"{server.url}/missing", params={"api_key": "SECRET-42", "q": "x"})
    assert "SECRET-42" not in str(caught.value) and "api_key=REDACTED" in str(caught.value)


def test_retry_after_forms() -> None:
    assert retry_after("120", 0.0) == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412420.0) == 60.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412540.0) == 0.0  # already past
    assert retry_after("soon", 0.0) is None and retry_after(None, 0.0) is None


def test_a_key_the_server_echoes_in_its_error_is_not_shown(server: Replay) -> None:
    server.route("/denied", lambda r: Reply(403, f'{{"message": "key {r.headers.get("x-api-key")} is not valid"}}'.encode()))
    with Fetcher(retries=0) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(f"{server.url}/denied", headers={"x-api-key": "sk-ECHO-9"})
    assert "sk-ECHO-9" not in str(caught.value) and "key REDACTED is not valid" in str(caught.value)
    assert "API key in the settings" in caught.value.hint
