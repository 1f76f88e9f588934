"""Hostile requests never get a 500: for EVERY route of the route table (``api.ENDPOINTS``, read at
collection time, so routes added later are covered too), hypothesis sends hostile path parameters
(unicode, ``..``, NUL, very long, negative and huge numbers), query parameters (each declared one
plus unknown ones, wrong types, repeated keys, huge values, broken percent-escapes) and bodies
(wrong JSON types, deep nesting, huge strings, non-JSON, wrong or missing content types, forms,
uploads), with and without the write token, to the app over a small real catalog (with every name
look-up and outbound connection refused: a fuzzed source sync must fail cleanly, never go out).

Every answer must be produced (no exception escapes the app), never be a 5xx other than a 503
(busy, with Retry-After), never show a traceback, and under ``/api/`` every error must be the JSON
envelope ``{"error": {"status", "message", "hint"}}`` of ``pages.error_response``. A failure names
the route and the request. Bounded and seeded: ``derandomize=True``, ``PAPERATLAS_API_FUZZ_EXAMPLES``
examples per route (default 40); ``PAPERATLAS_API_FUZZ_EXAMPLES=2000`` for a longer hunt.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from _web_helpers import SAMPLES
from conftest import CatalogMaker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from paperatlas import Atlas, Settings
from paperatlas.ingest import Overrides
from paperatlas.services.ingest import ingest_paths
from paperatlas.web import ServerOptions, create_app
from paperatlas.web.api import ENDPOINTS, Endpoint

BASE = "http://testserver"
TOKEN = "fuzz-token-0123456789"
ERROR_FIELDS = {"status", "message", "hint"}
FUZZ = settings(
    max_examples=int(os.environ.get("PAPERATLAS_API_FUZZ_EXAMPLES", "40")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


# -- the app over a small real catalog ------------------------------------------------------------------
@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    """No name look-up and no connection leaves this machine, whatever a fuzzed request sets up
    (``POST /sources`` with a hostile URL, then a sync): the fetch fails, which must still be no 500."""

    def no_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, f"test_api_fuzz: no look-up of {host!r}")

    def no_connect(self: socket.socket, address: Any) -> Any:
        raise ConnectionRefusedError(f"test_api_fuzz: no connection to {address!r}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", no_lookup)
        mp.setattr(socket.socket, "connect", no_connect)
        mp.setattr(socket.socket, "connect_ex", no_connect)
        yield


@pytest.fixture(scope="module")
def client(offline: None, tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> Iterator[TestClient]:
    """Two sample pages (25 + 50 papers) in a catalog with its keyword index, served with a write
    token; shared by every example of every route (writes accumulate, as on a real server). The
    PostgreSQL store's connections are libpq's, which the ``offline`` patch of Python's sockets does not reach."""
    folder = tmp_path_factory.mktemp("api-fuzz")
    settings_ = Settings(home=folder / "home")
    with Atlas.open(catalogs.new(folder), settings_) as atlas:
        reports = ingest_paths(atlas, [SAMPLES / "000_e93c1171be98b26e.txt"], overrides=Overrides(venue="ICLR", year=2021))
        reports += ingest_paths(atlas, [SAMPLES / "003_3626c9e8004709cb.txt"])
        assert all(r.ok for r in reports), reports
        atlas.settle(60)
        atlas.indexes.sync_keyword()
        app = create_app(atlas, ServerOptions(token=TOKEN, allowed_hosts=("testserver",)))
        with TestClient(app, base_url=BASE, raise_server_exceptions=False) as c:
            yield c


@pytest.fixture(scope="module")
def known(client: TestClient) -> dict[str, list[str]]:
    """Real values to mix in, so the fuzz reaches past 404 into the handlers' own checks."""
    hits = client.get("/api/search", params={"k": 5}).json()["hits"]
    made = client.post("/api/library/lists", json={"name": "fuzz"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert made.status_code == 200, made.text
    list_ids = [str(v) for v in re.findall(r'"id":\s*(\d+)', made.text)[:1]] or ["1"]
    return {
        "id": [h["id"] for h in hits],
        "list_id": list_ids,
        "venue": ["ICLR", "-"],
        "year": ["2021", "2023", "-"],
        "name": [h["authors"][0] for h in hits if h.get("authors")][:3] or ["Yoshua Bengio"],
        "tag": ["to-read"],
    }


# -- hostile values -------------------------------------------------------------------------------------
NUMBERS = ["0", "-1", "1", "2", "99999999999999999999", "-99999999999999999999", "1e309", "NaN", "inf", "0x10",
           "1.5", " 7 ", "²", "٣", "１２", "9" * 400, "-0", "+3", "1_000"]
WEIRD = ["", " ", "..", "../..", "../../etc/passwd", "%00", "\x00", "\ud800", "\udfff", "\ufeff", "\u202e", "☃" * 3,
         "a/b", "//", "\\", "'\"<script>alert(1)</script>", "${jndi:x}", "{{7*7}}", "%s%n", "NULL", "true", "[]",
         "{}", "tag:", "list:", "list:999999", "tag:" + "x" * 300, "counter:", "counter:views", "relevance", "é" * 50,
         "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\r\nSet-Cookie: x=1", "x" * 5000]
hostile_text = st.one_of(
    st.sampled_from(NUMBERS + WEIRD),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.binary(max_size=30).map(lambda b: b.decode("latin-1")),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                        st.floats(allow_nan=False), hostile_text)
json_value = st.recursive(json_scalar,
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
                          max_leaves=12)
# raw query tails: broken percent-escapes, invalid UTF-8, empty and repeated keys
RAW_QUERY = ["", "%", "%ZZ", "%C0%80", "%FF%FE", "k=%00", "q=%ED%A0%80", "&&&", "=", "==x", "k&k&k", "page=1&page=-5",
             "k=" + "9" * 100, "q=" + "%41" * 3000, ";", "a[]=1&a[]=2", "x=" + "%25" * 50]


def deep(depth: int, kind: str) -> bytes:
    return (b"[" * depth + b"]" * depth) if kind == "list" else (b'{"a":' * depth + b"1" + b"}" * depth)


def fill_path(e: Endpoint, draw: Any, known: dict[str, list[str]]) -> str:
    """The endpoint's path with every {param} replaced by a hostile or a real value, escaped or raw."""

    def one(m: re.Match[str]) -> str:
        name, conv = m.group(1), m.group(2)
        value = draw(st.one_of(st.sampled_from(known.get(name) or ["x"]), hostile_text), label=f"path {name}")
        mode = draw(st.sampled_from(["quote", "quote", "keep-slash", "raw"]), label=f"escape {name}")
        if mode == "raw":  # printable ASCII as is (a '..' segment or a '/' reaches the router)
            value = "".join(c for c in value if 32 < ord(c) < 127 and c not in "?#") or "x"
            return value
        safe = "/" if mode == "keep-slash" or conv == "path" and mode != "quote" else ""
        return quote(value.encode("utf-8", "surrogatepass"), safe=safe) or "%20"

    return PARAM.sub(one, e.path)


def query_string(e: Endpoint, draw: Any) -> str:
    declared = [n for n, where, _ in e.params if where == "query"]
    names = st.sampled_from([*declared, "k", "page", "q", "format", "preview", "_method", "unknown", "%", "", "x" * 300])
    pairs = draw(st.lists(st.tuples(names, hostile_text), max_size=8), label="query")
    text = urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in pairs])
    tail = draw(st.sampled_from(RAW_QUERY), label="raw query")
    joined = "&".join(p for p in (text, tail) if p)
    return f"?{joined}" if joined else ""


@dataclass
class Hostile:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None

    def describe(self) -> str:
        body = self.content[:300] if self.content is not None else (self.data or self.files)
        return f"{self.method} {self.url[:600]} headers={self.headers} body={body!r}"


def latin1(text: str) -> str:
    """Any text (lone surrogates too) as a str httpx will encode: its UTF-8 bytes read as Latin-1."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def body_of(e: Endpoint, draw: Any, req: Hostile) -> None:
    """A JSON, form, multipart, raw or missing body, over the endpoint's declared body fields."""
    fields = [n for n, where, _ in e.params if where == "body"] or ["x"]
    keys = st.sampled_from([*fields, "_method", "_csrf", "next", "unknown", ""])
    kind = draw(st.sampled_from(["json", "json", "json", "json-any", "deep", "huge", "form", "multipart", "raw", "none"]),
                label="body kind")
    ctype = draw(st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain", "",
                                  "application/x-www-form-urlencoded", "multipart/form-data", "application/json\x7f"]),
                 label="content type")
    if kind == "json":
        obj = draw(st.dictionaries(keys, json_value, max_size=6), label="json body")
        req.content = json.dumps(obj, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
        req.headers["content-type"] = "application/json" if draw(st.booleans()) else ctype
    elif kind == "json-any":
        req.content = json.dumps(draw(json_value, label="json value")).encode("utf-8", "surrogatepass")
        req.headers["content-type"] = "application/json"
    elif kind == "deep":
        depth = draw(st.sampled_from([201, 1000, 5000, 100_000, 400_000]), label="depth")
        req.content = deep(depth, draw(st.sampled_from(["list", "dict"])))
        req.headers["content-type"] = "application/json"
    elif kind == "huge":
        size = draw(st.sampled_from([100_000, 1024**2 + 1, 3 * 1024**2]), label="size")
        name = draw(keys)
        req.content = json.dumps({name: "x" * size}).encode()
        req.headers["content-type"] = draw(st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
    elif kind == "form":
        req.data = {draw(keys): latin1(draw(hostile_text)) for _ in range(draw(st.integers(0, 4)))}
    elif kind == "multipart":
        payload = draw(st.one_of(st.binary(max_size=2000),
                                 st.sampled_from([b"", b"\x1f\x8b\x08\x00", b"@article{x, title={" * 50])))
        filename = draw(st.sampled_from(["a.bib", "../../x.json", "", "\x00.txt", "é" * 300, "a.json.gz"]))
        req.files = {draw(st.sampled_from(["file", "text", "x"])): (filename, payload, "application/octet-stream")}
        req.data = {draw(keys): latin1(draw(hostile_text))}
    elif kind == "raw":
        req.content = draw(st.binary(max_size=2000), label="raw body")
        if ctype:
            req.headers["content-type"] = ctype


@st.composite
def requests(draw: Any, e: Endpoint, known: dict[str, list[str]]) -> Hostile:
    other = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW"])
    method = e.method if draw(st.integers(0, 9)) else draw(other, label="other method")
    req = Hostile(method, fill_path(e, draw, known) + query_string(e, draw))
    auth = draw(st.sampled_from(["token", "token", "token", "none", "wrong", "csrf-wrong"]), label="auth")
    if auth == "token":
        req.headers["authorization"] = f"Bearer {TOKEN}"
    elif auth == "wrong":
        req.headers["authorization"] = draw(st.sampled_from(["Bearer ", "Bearer x", "Basic Zm9vOmJhcg==", "Bearer " + "é" * 10]))
    elif auth == "csrf-wrong":
        req.headers |= {"origin": BASE, "x-csrf-token": "nope"}
    if draw(st.booleans()):
        req.headers["accept"] = draw(st.sampled_from(["application/json", "text/html", "*/*", "", "\x7f"]))
    if method in BODY_METHODS or draw(st.integers(0, 9)) == 0:
        body_of(e, draw, req)
    return req


# -- the property ---------------------------------------------------------------------------------------
def check(client: TestClient, e: Endpoint, req: Hostile) -> None:
    what = f"route {e.method} {e.path}: request {req.describe()}"
    headers = {k.encode(): v.encode("utf-8") for k, v in req.headers.items()}  # raw bytes: httpx would refuse non-ASCII str
    r = client.request(req.method, req.url, headers=headers, content=req.content, data=req.data, files=req.files)
    text = r.text
    assert r.status_code < 500 or r.status_code == 503, f"{what}\n→ {r.status_code} {text[:800]}"
    if r.status_code == 503:
        assert r.headers.get("retry-after"), f"{what}\n→ 503 without Retry-After"
    assert "Traceback" not in text, f"{what}\n→ a traceback: {text[:800]}"
    path = r.request.url.path
    if path.startswith("/api/") and r.status_code >= 400 and req.method != "HEAD":
        assert r.headers.get("content-type") == "application/json", f"{what}\n→ {r.status_code} {r.headers} {text[:400]}"
        error = r.json().get("error")
        assert isinstance(error, dict) and set(error) >= ERROR_FIELDS and error["status"] == r.status_code, (
            f"{what}\n→ {r.status_code} not the error envelope: {text[:400]}")


ROUTES = [pytest.param(e, id=f"{e.method} {e.path}") for e in ENDPOINTS]


def test_the_route_table_is_fuzzed_whole() -> None:
    assert len(ROUTES) == len(ENDPOINTS) >= 30
    assert any(e.method != "GET" for e in ENDPOINTS) and any("{" in e.path for e in ENDPOINTS)


@pytest.mark.parametrize("endpoint", ROUTES)
@FUZZ
@given(data=st.data())
def test_hostile_requests_never_get_a_500(client: TestClient, known: dict[str, list[str]], endpoint: Endpoint,
                                          data: st.DataObject) -> None:
    check(client, endpoint, data.draw(requests(endpoint, known), label="request"))


@pytest.mark.parametrize("endpoint", ROUTES)
def test_deep_json_and_broken_encodings_are_refused_cleanly(client: TestClient, known: dict[str, list[str]],
                                                            endpoint: Endpoint) -> None:
    """The worst cases, sent to every route whatever hypothesis draws: nesting past the
    interpreter's recursion limit, invalid UTF-8 in JSON, an over-long body, a NUL path."""
    path = PARAM.sub(lambda m: (known.get(m.group(1)) or ["x"])[0], endpoint.path)
    auth = {"authorization": f"Bearer {TOKEN}"}
    # every declared body field holding a lone surrogate (valid JSON, not encodable UTF-8)
    fields = [n for n, where, _ in endpoint.params if where == "body" and not n.startswith("_")] or ["name"]
    surrogates = ("{" + ", ".join(f'"{n}": "\\ud800 x"' for n in fields) + "}").encode()
    check(client, endpoint, Hostile(endpoint.method, path, {**auth, "content-type": "application/json"}, surrogates))
    for content, ctype in ((deep(100_000, "list"), "application/json"), (deep(100_000, "dict"), "application/json"),
                           (b'{"name": "\xff\xfe", "tag": "\xc0\x80"}', "application/json"),
                           (b'{"a": "\\ud800"}', "application/json"), (b"x" * (1024**2 + 10), "application/json"),
                           (b"a=%ZZ&b=\xff", "application/x-www-form-urlencoded"),
                           (b"--b\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=b")):
        check(client, endpoint, Hostile(endpoint.method, path, {**auth, "content-type": ctype}, content))
    for value in ("%00%ED%A0%80" + "9" * 30, "9" * 20, "%C2%B2", "-1"):  # past SQLite's 64-bit integers; '²'.isdigit()
        check(client, endpoint, Hostile(endpoint.method, PARAM.sub(value, endpoint.path), auth))
