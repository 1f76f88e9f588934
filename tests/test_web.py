"""The web UI and JSON API through Starlette's TestClient, over a real catalog of the seed listings."""

from __future__ import annotations

import html as html_lib
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from _web_helpers import SAMPLE_PAPERS, SAMPLES, build_seeded
from conftest import CatalogMaker
from starlette.routing import Route
from starlette.testclient import TestClient

from paperatlas import Atlas, Filters, Settings
from paperatlas.web import ServerOptions, WebSettings, create_app
from paperatlas.web.api import doc_path
from paperatlas.web.security import CSP, Busy, Runner, safe_url, snippet_html

BASE = "http://testserver"
HIT_FIELDS = {"id", "score", "title", "label", "authors", "venue", "year", "track", "session", "url", "code_urls",
              "counters", "snippet", "why", "preview", "sources", "links", "tldr", "tldr_source"}
ERROR_FIELDS = {"status", "message", "hint"}


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> str | Path:
    folder = tmp_path_factory.mktemp("seeded")
    return build_seeded(catalogs.new(folder), Settings(home=folder / "home"))


@pytest.fixture
def db_path(seeded_file: str | Path, tmp_path: Path, catalogs: CatalogMaker) -> Iterator[str | Path]:
    """A fresh copy of the seeded catalog for each test (library writes stay in the test)."""
    copy = catalogs.copy(seeded_file, tmp_path)
    yield copy
    catalogs.drop(copy)


@contextmanager
def open_client(db_path: str | Path, settings: Settings, **options: Any) -> Iterator[TestClient]:
    """The app over the catalog at ``db_path`` (opened with ``settings``); the Atlas is closed
    after the app stops, as ``paperatlas serve`` does."""
    with Atlas.open(db_path, settings) as atlas:
        app = create_app(atlas, ServerOptions(allowed_hosts=("testserver",), **options))
        with TestClient(app, base_url=BASE) as client:
            yield client


@pytest.fixture
def client(db_path: str | Path, settings: Settings) -> Iterator[TestClient]:
    with open_client(db_path, settings) as c:
        yield c


def atlas_of(client: TestClient) -> Atlas:
    return client.app.state.atlas  # type: ignore[attr-defined,no-any-return]


def csrf(client: TestClient, path: str = "/library") -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get(path).text)
    assert match, "every page embeds the CSRF token"
    return match.group(1)


def writer(client: TestClient) -> dict[str, str]:
    return {"Origin": BASE, "X-CSRF-Token": csrf(client)}


def some_ids(client: TestClient, n: int = 3, **query: str) -> list[str]:
    return [h["id"] for h in client.get("/api/search", params={"k": n, **query}).json()["hits"]]


def json_link(html: str) -> str:
    match = re.search(r'<a href="([^"]+)" class="json">', html)
    assert match, "every page links its JSON data"
    return html_lib.unescape(match.group(1))


def rel_link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return html_lib.unescape(match.group(1)) if match else None


def assert_error(r: Any, status: int, what: object = None) -> dict[str, Any]:
    """The JSON error envelope with this status."""
    assert r.status_code == status, (what, r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/json", what
    error = r.json()["error"]
    assert set(error) == ERROR_FIELDS and error["status"] == status, (what, error)
    return error  # type: ignore[no-any-return]


# -- every route, both renderings ------------------------------------------------------------------
def test_every_page_renders_and_serves_the_same_data_as_json(client: TestClient) -> None:
    pid = some_ids(client, 1, q="diffusion")[0]
    pages = {
        "/?q=diffusion&venue=ICLR": {"query", "total", "hits", "facets", "mode", "took_ms", "page", "pages", "notes",
                                     "requested_mode", "params"},
        f"/paper/{pid}": {"paper", "sources", "bibtex", "library", "has_math", "lists"},
        f"/paper/{pid}/related": {"paper_id", "hits"},
        "/venues": {"venues"},
        "/venue/ICLR/2023": {"venue", "year", "tracks", "sources", "papers"},
        "/library": {"starred", "tags", "notes", "lists", "exports"},
        "/import": {"formats"},
        "/api": {"openapi", "paths"},
    }
    for url, fields in pages.items():
        page = client.get(url)
        assert page.status_code == 200, url
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"] == CSP
        assert re.fullmatch(r"app;dur=\d+\.\d", page.headers["server-timing"]), url
        data = client.get(json_link(page.text))
        assert data.status_code == 200 and data.headers["content-type"] == "application/json", url
        assert fields <= set(data.json()), (url, set(data.json()))


def test_search_results_have_snippets_and_library_state(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "diffusion", "k": 5}).json()
    assert data["query"] == "diffusion" and data["total"] >= 5 and len(data["hits"]) == 5
    hit = data["hits"][0]
    assert HIT_FIELDS | {"starred", "tags"} == set(hit)
    assert any("<mark>" in h["snippet"].lower() for h in data["hits"])
    page = client.get("/", params={"q": "diffusion"}).text
    assert "<mark>" in page.lower() and f'data-id="{hit["id"]}"' in page


def test_facet_counts_match_the_catalog(client: TestClient) -> None:
    papers = atlas_of(client).store.papers  # the SQL side; facets come from the keyword index
    facets = client.get("/api/search").json()["facets"]
    venues = {f["value"]: f["count"] for f in facets["venue"]}
    assert venues == {"ICLR": papers.count(Filters(venue="ICLR"))}
    years = {f["value"]: f["count"] for f in facets["year"]}
    assert years == {"2023": papers.count(Filters(year=2023)), "2021": papers.count(Filters(year=2021))}
    narrowed = client.get("/api/search", params={"venue": "ICLR", "year": "2021"}).json()
    assert narrowed["total"] == papers.count(Filters(venue="ICLR", year=2021)) > 0
    tracks = {f["value"]: f["count"] for f in narrowed["facets"]["track"]}
    assert tracks == {"Poster": narrowed["total"]}
    assert any(f["active"] for f in narrowed["facets"]["venue"])
    html = client.get("/", params={"venue": "ICLR", "year": "2021"}).text
    assert f'<strong id="total">{narrowed["total"]}</strong>' in html
    count = narrowed["total"]
    assert re.search(rf'data-value="Poster">Poster</a>\s*<span class="count">{count}</span>', html)


def test_bad_parameters_are_400_with_a_hint(client: TestClient) -> None:
    for params in ({"year": "twenty"}, {"mode": "magic"}, {"page": "99999"}):
        r = client.get("/api/search", params=params)
        assert assert_error(r, 400, params)["hint"], params
    assert client.get("/", params={"year": "x"}).status_code == 400


def test_odd_parameters_are_never_a_500_and_always_the_error_envelope(client: TestClient) -> None:
    problems: list[str] = []

    def expect_400(what: object, r: Any) -> None:
        try:
            assert_error(r, 400, what)
        except AssertionError as exc:  # collected, so one run names every odd input that slips through
            problems.append(str(exc).splitlines()[0])

    odd_urls = [
        "/api/venue/ICLR/%C2%B2",  # '²' passes str.isdigit() but not int()
        "/api/venue/ICLR/99999999999999999999",
        "/api/search?year=%C2%B2",
        "/api/search?year_from=%C2%B2",
        "/api/search?page=99999999999",
        "/api/search?k=%C2%B2",
        "/api/paper/x/related?k=99999999999",
    ]
    for url in odd_urls:
        expect_400(url, client.get(url))
    queries = [{"qid": 1, "query": "diffusion"}]
    odd_bodies: list[dict[str, Any]] = [
        {"queries": queries, "filters": [1]},
        {"queries": queries, "filters": {"nope": 1}},
        {"queries": queries, "filters": {"year": "²"}},
        {"queries": queries, "k": "x"},
        {"queries": queries, "k": 0},
        {"queries": queries, "k": -3},
        {"queries": queries, "k": 10**20},
        {"queries": queries, "mode": "magic"},
        {"queries": [1]},
    ]
    for body in odd_bodies:
        expect_400(body, client.post("/api/search/batch", json=body))
    for page in ("/venue/ICLR/%C2%B2", "/venue/ICLR/99999999999999999999", "/?year=%C2%B2", "/?page=99999999999"):
        r = client.get(page)
        if not (r.status_code == 400 and r.headers["content-type"].startswith("text/html") and "Traceback" not in r.text):
            problems.append(f"{page}: {r.status_code}")
    # the server is still fine afterwards, on the same client
    after = client.get("/api/search", params={"q": "diffusion", "k": 3})
    assert after.status_code == 200 and len(after.json()["hits"]) == 3
    batch = client.post("/api/search/batch", json={"queries": queries, "k": 2})
    assert batch.status_code == 200 and len(batch.json()["results"][0]["hits"]) == 2
    assert problems == []


def test_paper_page_shows_sources_code_counters_bibtex(client: TestClient) -> None:
    pid = some_ids(client, 1, q="Ramanujan")[0]
    data = client.get(f"/api/paper/{pid}").json()
    assert data["paper"]["counters"] and data["bibtex"].startswith("@")
    source = data["sources"][0]
    assert {"file", "format", "record_id", "fields"} <= set(source)
    assert "title" in {f for s in data["sources"] for f in s["fields"]}
    html = client.get(f"/paper/{pid}").text
    assert 'id="bibtex"' in html and 'id="copy-bibtex"' in html and source["file"] in html
    assert "papers.cool" in html  # popularity counters
    with_code = client.get("/api/search", params={"has_code": "1", "k": 1}).json()["hits"][0]
    page = client.get(f"/paper/{with_code['id']}").text
    assert f'href="{with_code["code_urls"][0]}"' in page


def test_katex_only_where_there_is_maths(client: TestClient) -> None:
    has_math = lambda pid: client.get(f"/api/paper/{pid}").json()["has_math"]  # noqa: E731
    math = [pid for pid in some_ids(client, 10, q="preconditioner") if has_math(pid)]
    plain = [pid for pid in some_ids(client, 10, q="pruning") if not has_math(pid)]
    assert math and plain, "a seed abstract has $\\boldsymbol{P}$; most have no maths"
    assert "/static/katex/katex.min.js" in client.get(f"/paper/{math[0]}").text
    for url in (f"/paper/{plain[0]}", "/", "/library", "/venues"):
        assert "katex" not in client.get(url).text


def test_pages_stay_small(client: TestClient) -> None:
    page = client.get("/", params={"k": 100})
    assets = [client.get(u).content for u in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)]
    assert len(page.content) + sum(map(len, assets)) < 200 * 1024
    assert client.get("/", headers={"Accept-Encoding": "gzip"}).headers.get("content-encoding") == "gzip"


# -- library writes through the API ------------------------------------------------------------------
def test_star_tag_note_list_round_trips(client: TestClient) -> None:
    a, b = some_ids(client, 2)
    h = writer(client)
    assert client.post(f"/api/library/star/{a}", headers=h).json()["starred"] is True
    assert client.post(f"/api/library/tags/{a}", headers=h, json={"tag": "To Read"}).json()["tags"] == ["to read"]
    assert client.put(f"/api/library/note/{a}", headers=h, json={"body": "check eq. 3"}).json()["note"] == "check eq. 3"
    created = client.post("/api/library/lists", headers=h, json={"name": "week 1", "paper_id": a}).json()
    assert created["paper_ids"] == [a]
    lid = created["id"]
    assert client.post(f"/api/library/lists/{lid}/items", headers=h, json={"paper_id": b}).json()["paper_ids"] == [a, b]
    assert client.patch(f"/api/library/lists/{lid}", headers=h, json={"name": "week one"}).json()["name"] == "week one"
    lib = client.get("/api/library").json()
    assert [p["id"] for p in lib["starred"]] == [a]
    assert lib["tags"][0]["tag"] == "to read" and lib["notes"][0]["body"] == "check eq. 3"
    assert [p["id"] for p in lib["lists"][0]["papers"]] == [a, b]
    expected = {"paper_id": a, "starred": True, "tags": ["to read"], "note": "check eq. 3", "lists": [lid]}
    assert client.get(f"/api/paper/{a}").json()["library"] == expected
    hit = next(h for h in client.get("/api/search", params={"k": 2}).json()["hits"] if h["id"] == a)
    assert hit["starred"] is True and hit["tags"] == ["to read"]  # search rows carry the library state
    html = client.get("/library").text
    assert "week one" in html and "check eq. 3" in html
    # and back
    assert client.delete(f"/api/library/star/{a}", headers=h).json()["starred"] is False
    assert client.delete(f"/api/library/tags/{a}/to read", headers=h).json()["tags"] == []
    assert client.delete(f"/api/library/note/{a}", headers=h).json()["note"] == ""
    assert client.delete(f"/api/library/lists/{lid}/items/{b}", headers=h).json()["paper_ids"] == [a]
    assert client.delete(f"/api/library/lists/{lid}", headers=h).json() == {"ok": True}
    assert client.get("/api/library").json()["lists"] == []


def test_library_errors(client: TestClient) -> None:
    h = writer(client)
    assert_error(client.post("/api/library/star/nope", headers=h), 404)
    pid = some_ids(client, 1)[0]
    r = client.post(f"/api/library/tags/{pid}", headers=h, json={"tag": "  "})
    assert assert_error(r, 400)["message"] == "the tag is empty"
    assert_error(client.post(f"/api/library/tags/{pid}", headers=h, json=["x"]), 400)
    assert_error(client.post(f"/api/library/tags/{pid}", headers={**h, "Content-Type": "application/json"}, content=b"{not"), 400)
    assert assert_error(client.post(f"/api/library/tags/{pid}", headers=h), 400)["message"] == "'tag' is missing"
    client.post("/api/library/lists", headers=h, json={"name": "x"})
    dup = client.post("/api/library/lists", headers=h, json={"name": "x"})
    assert "exists" in assert_error(dup, 400)["message"]
    assert_error(client.delete("/api/library/lists/999", headers=h), 404)


def test_html_forms_post_and_come_back(client: TestClient) -> None:
    pid = some_ids(client, 1)[0]
    token = csrf(client)
    form = {"_csrf": token, "next": f"/paper/{pid}"}
    r = client.post(f"/api/library/star/{pid}", data=form, headers={"Origin": BASE}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/paper/{pid}"
    assert client.get(f"/api/paper/{pid}").json()["library"]["starred"]
    unstar = {**form, "_method": "DELETE", "next": "https://evil.example/"}
    r = client.post(f"/api/library/star/{pid}", data=unstar, headers={"Referer": f"{BASE}/paper/{pid}"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # never redirected off-site
    assert not client.get(f"/api/paper/{pid}").json()["library"]["starred"]


def test_exports_of_the_library(client: TestClient) -> None:
    ids = some_ids(client, 3, venue="ICLR")
    h = writer(client)
    for pid in ids:
        client.post(f"/api/library/star/{pid}", headers=h)
    bib = client.get("/api/library/export", params={"format": "bibtex"})
    assert bib.status_code == 200 and bib.text.count("@inproceedings{") == 3
    assert bib.headers["content-disposition"] == 'attachment; filename="starred-papers.bib"'
    csl = client.get("/api/library/export", params={"format": "csl", "starred": "1"}).json()
    assert [c["type"] for c in csl] == ["paper-conference"] * 3 and all(c["issued"]["date-parts"] for c in csl)
    md = client.get("/api/library/export", params={"format": "markdown"}).text
    assert md.startswith("# Starred papers\n\n1. ")
    assert client.get("/api/library/export", params={"format": "csv"}).text.count("\n") >= 4
    client.post(f"/api/library/tags/{ids[0]}", headers=h, json={"tag": "read"})
    assert client.get("/api/library/export", params={"format": "bibtex", "tag": "read"}).text.count("@") == 1
    assert_error(client.get("/api/library/export", params={"format": "docx"}), 400)
    assert_error(client.get("/api/library/export", params={"list": "7"}), 404)
    links = client.get("/api/library").json()["exports"]
    assert set(links) == {"bibtex", "csl", "csv", "markdown", "jsonl"}
    assert all(client.get(u).status_code == 200 for u in links.values())


# -- who may write -----------------------------------------------------------------------------------
def test_writes_need_csrf_token_and_same_origin(client: TestClient) -> None:
    pid = some_ids(client, 1)[0]
    token = csrf(client)
    url = f"/api/library/star/{pid}"
    for headers in ({}, {"Origin": BASE}, {"X-CSRF-Token": token}, {"Origin": "https://evil.example", "X-CSRF-Token": token},
                    {"Origin": "null", "X-CSRF-Token": token}, {"Referer": "https://evil.example/x", "X-CSRF-Token": token},
                    {"Origin": BASE, "X-CSRF-Token": token + "x"}):
        assert_error(client.post(url, headers=headers), 403, headers)
    assert not client.get(f"/api/paper/{pid}").json()["library"]["starred"]
    assert client.post(url, headers={"Referer": f"{BASE}/library", "X-CSRF-Token": token}).status_code == 200
    r = client.post("/import", data={"_csrf": "wrong", "text": "x"}, headers={"Origin": BASE})
    assert r.status_code == 403 and "CSRF" in r.text
    assert_error(client.post("/api/ingest", data={"text": ""}, headers={"Origin": BASE}), 403)  # before validation


def test_host_header_must_name_this_server(client: TestClient) -> None:
    assert client.get("/api/library", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/api/library", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/api/library", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/api/library").status_code == 200  # "testserver", allowed by ServerOptions.allowed_hosts


def test_shared_mode_is_read_only_without_the_token(db_path: str | Path, settings: Settings) -> None:
    with open_client(db_path, settings, shared=True, token="s3cret") as client:
        pid = some_ids(client, 1)[0]
        assert client.get("/").status_code == 200 and client.get(f"/paper/{pid}").status_code == 200
        assert "star-form" not in client.get("/").text and "/import" not in client.get("/venues").text
        h = writer(client)
        r = client.post(f"/api/library/star/{pid}", headers=h)
        assert "read-only" in assert_error(r, 403)["message"]
        wrong = client.post(f"/api/library/star/{pid}", headers={"Authorization": "Bearer wrong"})
        assert "wrong or revoked token" in assert_error(wrong, 401)["message"] and wrong.headers["www-authenticate"]
        assert client.post(f"/api/library/star/{pid}", headers={"Authorization": "Bearer s3cret"}).json()["starred"]
        assert client.get("/?token=nope").status_code == 403
        login = client.get("/?token=s3cret&q=x", follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/?q=x"
        assert "httponly" in login.headers["set-cookie"].lower() and "samesite=strict" in login.headers["set-cookie"].lower()
        assert "star-form" in client.get("/").text  # the cookie is kept by the client
        assert client.delete(f"/api/library/star/{pid}", headers=writer(client)).json()["starred"] is False
        assert_error(client.delete(f"/api/library/star/{pid}"), 403)  # the cookie alone is not enough


# -- limits and errors ---------------------------------------------------------------------------------
def test_request_size_limits(db_path: str | Path, settings: Settings) -> None:
    with open_client(db_path, settings, max_upload_bytes=64 * 1024) as client:
        pid = some_ids(client, 1)[0]
        h = writer(client)
        big = client.put(f"/api/library/note/{pid}", headers=h, json={"body": "x" * (1024**2 + 10)})
        assert_error(big, 413)
        streamed = client.put(f"/api/library/note/{pid}", headers={**h, "Content-Type": "application/json"},
                              content=(b"x" * 65536 for _ in range(20)))
        assert_error(streamed, 413)
        upload = client.post("/api/ingest", headers=h, files={"file": ("big.txt", b"y" * (65 * 1024))})
        assert_error(upload, 413)
        ok = client.put(f"/api/library/note/{pid}", headers=h, json={"body": "x" * 90_000})
        assert ok.status_code == 200
    with open_client(db_path, settings) as client:  # the default upload limit is 20 MB
        r = client.post("/api/ingest", headers={"Content-Length": str(21 * 1024**2)}, content=b"")
        assert_error(r, 413)


def test_not_found_and_method_errors(client: TestClient) -> None:
    for url in ("/api/paper/nope", "/api/nothing/here", "/api/venue/NoSuch/1999", "/api/paper/nope/related"):
        assert_error(client.get(url), 404, url)
    page = client.get("/paper/nope")
    assert page.status_code == 404 and "no paper with id" in page.text and "Traceback" not in page.text
    assert client.get("/no/such/page").status_code == 404
    assert_error(client.put("/api/venues"), 405)
    assert client.get("/venue/ICLR/20x3").status_code == 400


def web_settings(home: Path, options: ServerOptions, **settings: Any) -> WebSettings:
    """What the app would read from a catalog opened with these settings and these options."""
    with Atlas.open(settings=Settings(home=home, **settings), memory=True) as atlas:
        return WebSettings.of(atlas, options)


def test_web_settings_come_from_the_catalog_settings_and_the_options(_home: Path) -> None:
    ws = web_settings(_home, ServerOptions(shared=True, token="t", queue_wait_s=0.3), workers=3, time_budget_s=0.5,
                      page_size=7, search_mode="keyword")
    assert (ws.workers, ws.time_budget_s, ws.page_size, ws.search_mode) == (3, 0.5, 7, "keyword")
    assert (ws.shared, ws.token, ws.queue_wait_s) == (True, "t", 0.3)


def test_page_size_and_search_mode_settings_reach_the_pages(db_path: str | Path, _home: Path) -> None:
    with open_client(db_path, Settings(home=_home, page_size=7, search_mode="keyword")) as client:
        data = client.get("/api/search", params={"q": "diffusion"}).json()
        assert data["k"] == 7 and len(data["hits"]) == 7
        assert data["requested_mode"] == "keyword" and data["mode"] == "keyword" and data["notes"] == []
        page = client.get("/", params={"q": "diffusion"}).text
        assert page.count('<li class="result"') == 7


def test_time_budget_and_concurrency_cap(_home: Path) -> None:
    runner = Runner(web_settings(_home, ServerOptions(queue_wait_s=0.3), time_budget_s=0.2, workers=1))

    async def slow_then_blocked() -> None:
        with pytest.raises(Busy, match="longer than 0.2 s"):
            await runner.call(time.sleep, 1.0)
        with pytest.raises(Busy, match="no free worker"):  # the abandoned call still holds the only slot
            await runner.call(lambda: None)
        await anyio.sleep(1.0)
        assert await runner.call(lambda: 42) == 42

    anyio.run(slow_then_blocked)


def test_budget_counts_from_start_and_queue_is_first_come_first_served(_home: Path) -> None:
    # 6 calls of 0.15 s on one worker: the last starts after 0.75 s of waiting, far past its
    # 0.3 s budget, yet it runs: the budget counts its own running time only.
    runner = Runner(web_settings(_home, ServerOptions(queue_wait_s=5.0), time_budget_s=0.3, workers=1))
    order: list[int] = []

    def work(i: int) -> int:
        time.sleep(0.15)
        order.append(i)
        return i

    async def burst() -> list[int]:
        results: list[int] = []

        async def one(i: int) -> None:
            results.append(await runner.call(work, i))

        async with anyio.create_task_group() as tg:
            for i in range(6):
                tg.start_soon(one, i)
                await anyio.sleep(0.01)  # arrive in order
        return results

    assert anyio.run(burst) == [0, 1, 2, 3, 4, 5]
    assert order == [0, 1, 2, 3, 4, 5] and runner.reads.free == 1 and runner.waiting == 0


def test_too_many_waiting_is_refused_at_once(_home: Path) -> None:
    runner = Runner(web_settings(_home, ServerOptions(max_waiting=2, queue_wait_s=5.0), workers=1))

    async def flood() -> list[str]:
        outcomes: list[str] = []

        async def one() -> None:
            try:
                await runner.call(time.sleep, 0.2)
                outcomes.append("ok")
            except Busy as exc:
                outcomes.append(exc.message)

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(one)
        return outcomes

    outcomes = anyio.run(flood)
    assert outcomes.count("ok") == 3  # one running + two waiting
    assert sum("2 requests waiting" in o for o in outcomes) == 2


# -- import -------------------------------------------------------------------------------------------
def test_import_pasted_seed_text(client: TestClient) -> None:
    text = (SAMPLES / "003_3626c9e8004709cb.txt").read_text()
    page = client.post("/import", data={"_csrf": csrf(client), "text": text}, headers={"Origin": BASE})
    assert page.status_code == 200
    assert "25 of 91 present" in page.text and "paperscool" in page.text
    api = client.post("/api/ingest", headers=writer(client), json={"text": text, "name": "notable.txt", "venue": "ICLR"})
    body = api.json()
    report = body["report"]
    assert api.status_code == 200 and report["format"] == "paperscool" and report["found"] == 25
    assert report["completeness"].startswith("25 of 91 present")
    # the seeded catalog holds this page already: nothing new
    assert report["new"] == 0 and body["papers_in_catalog"] == SAMPLE_PAPERS
    upload = client.post("/api/ingest", headers=writer(client), files={"file": ("notable.txt", text.encode())})
    assert upload.status_code == 200 and upload.json()["report"]["path"] == "notable.txt"


def test_import_of_new_papers_makes_them_searchable(client: TestClient) -> None:
    records = [{"title": f"Zyxwvut quokka estimation {i}", "authors": ["Ada Quokka"], "abstract": "quokka counting",
                "venue": "TESTCONF", "year": 2024} for i in range(3)]
    text = "".join(json.dumps(r) + "\n" for r in records)
    r = client.post("/api/ingest", headers=writer(client), json={"text": text, "name": "quokka.jsonl"})
    assert r.status_code == 200 and r.json()["report"]["new"] == 3
    assert r.json()["papers_in_catalog"] == SAMPLE_PAPERS + 3
    found = client.get("/api/search", params={"q": "zyxwvut quokka"}).json()
    assert found["total"] == 3 and {h["venue"] for h in found["hits"]} == {"TESTCONF"}
    assert client.get("/venue/TESTCONF/2024").status_code == 200


def test_import_of_a_bad_file_is_a_400_report(client: TestClient) -> None:
    bad = client.post("/api/ingest", headers=writer(client), files={"file": ("x.bin", b"\x00\x01\x02garbage\xff" * 50)})
    assert_error(bad, 400)
    body = bad.json()
    assert body["report"]["error"] and body["ok"] is False
    page = client.post("/import", data={"_csrf": csrf(client), "text": "  "}, headers={"Origin": BASE})
    assert page.status_code == 400 and "nothing to import" in page.text
    assert_error(client.post("/api/ingest", headers=writer(client), json={"text": "x", "format": "nope"}), 400)


def test_batch_search(client: TestClient) -> None:
    queries = [{"qid": "a", "query": "diffusion"}, {"qid": "b", "query": "graph"}]
    r = client.post("/api/search/batch", json={"queries": queries, "k": 3})
    body = r.json()
    assert r.status_code == 200 and body["k"] == 3
    results = body["results"]
    assert [x["qid"] for x in results] == ["a", "b"] and all(len(x["hits"]) <= 3 for x in results)
    assert {"qid", "mode", "total", "notes", "hits"} <= set(results[0])
    assert results[0]["hits"] and set(results[0]["hits"][0]) == HIT_FIELDS  # the one hit shape
    assert all(h["snippet"] == "" for x in results for h in x["hits"])  # batch mode computes no snippets
    same = client.get("/api/search", params={"q": "diffusion", "k": 3}).json()
    assert [h["id"] for h in results[0]["hits"]] == [h["id"] for h in same["hits"]]
    filtered = client.post("/api/search/batch", json={"queries": [{"qid": 1, "query": "diffusion"}], "k": 5,
                                                      "filters": {"venue": "ICLR", "year": 2023}}).json()
    assert filtered["results"][0]["hits"] and all((h["venue"], h["year"]) == ("ICLR", 2023)
                                                  for h in filtered["results"][0]["hits"])
    assert_error(client.post("/api/search/batch", data={"queries": "x"}), 400)
    assert_error(client.post("/api/search/batch", json={"queries": "x"}), 400)


# -- search modes: auto, hybrid and semantic over the embedded sample catalog ---------------------------
@pytest.fixture(scope="module")
def embedded(seeded_file: str | Path, tmp_path_factory: pytest.TempPathFactory,
             catalogs: CatalogMaker) -> tuple[str | Path, Settings]:
    """The sample catalog with every paper embedded by the real model (about a minute), and the
    settings whose home holds the prepared model."""
    folder = tmp_path_factory.mktemp("embedded")
    settings = Settings(home=folder / "home")
    path = catalogs.copy(seeded_file, folder)
    with Atlas.open(path, settings) as atlas:
        assert atlas.indexes.sync_vectors() == SAMPLE_PAPERS
        assert atlas.indexes.coverage() == 1.0
    return path, settings


@pytest.fixture
def embedded_client(embedded: tuple[str | Path, Settings], tmp_path: Path,
                    catalogs: CatalogMaker) -> Iterator[TestClient]:
    path, settings = embedded
    copy = catalogs.copy(path, tmp_path)
    with open_client(copy, settings) as c:
        yield c
    catalogs.drop(copy)


def page_ids(client: TestClient, **params: Any) -> list[str]:
    return [h["id"] for h in client.get("/api/search", params=params).json()["hits"]]


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_vector_modes_count_every_ranked_paper_and_page_through_them(embedded_client: TestClient, mode: str) -> None:
    client = embedded_client
    query = {"q": "diffusion", "mode": mode}  # the page size setting: 20 a page
    data = client.get("/api/search", params=query).json()
    assert data["mode"] == mode and data["notes"] == [] and data["k"] == 20 and len(data["hits"]) == 20
    # every paper has a vector, so the ranking pages through the whole catalog
    assert data["total"] == SAMPLE_PAPERS and data["page"] == 1
    assert data["pages"] == -(-SAMPLE_PAPERS // 20) > 1
    narrowed = client.get("/api/search", params={**query, "venue": "ICLR"}).json()
    assert narrowed["total"] == atlas_of(client).store.papers.count(Filters(venue="ICLR")) > 20
    assert all(h["venue"] == "ICLR" for h in narrowed["hits"])

    html = client.get("/", params=query).text
    assert f'<strong id="total">{SAMPLE_PAPERS}</strong>' in html and 'class="pager"' in html
    assert f"page 1 of {data['pages']}" in html and rel_link(html, "prev") is None
    following = rel_link(html, "next")
    assert following is not None and "page=2" in following
    second = client.get(following)
    assert second.status_code == 200 and f"page 2 of {data['pages']}" in second.text
    assert rel_link(second.text, "prev") is not None and rel_link(second.text, "next") is not None
    one, two = page_ids(client, **query), page_ids(client, **query, page=2)
    assert len(two) == 20 and not set(one) & set(two)
    assert re.findall(r'<li class="result" data-id="([^"]+)"', second.text) == two
    last = client.get("/", params={**query, "page": data["pages"]}).text
    assert rel_link(last, "next") is None and rel_link(last, "prev") is not None
    assert 1 <= len(page_ids(client, **query, page=data["pages"])) <= 20


def test_auto_mode_is_hybrid_once_the_semantic_index_is_complete(embedded_client: TestClient) -> None:
    client = embedded_client
    page = client.get("/", params={"q": "diffusion"})  # no mode: the search_mode setting, "auto"
    assert page.status_code == 200
    data = client.get(json_link(page.text)).json()
    assert data["requested_mode"] == "auto" and data["mode"] == "hybrid" and data["notes"] == []
    assert data["semantic_coverage"] == 1.0
    assert client.get("/api/search", params={"q": "diffusion"}).json()["mode"] == "hybrid"
    assert re.search(r'<span class="took">[^<]*hybrid', page.text)
    assert '<p class="note">' not in page.text
    batch = client.post("/api/search/batch", json={"queries": [{"qid": 1, "query": "diffusion"}]}).json()
    assert batch["results"][0]["mode"] == "hybrid"
    assert client.get("/api/search", params={"q": "diffusion", "mode": "keyword"}).json()["mode"] == "keyword"


def test_auto_mode_is_keyword_with_a_note_while_the_semantic_index_is_incomplete(embedded_client: TestClient) -> None:
    client = embedded_client
    record = {"title": "Zyxwvut quokka estimation", "authors": ["Ada Quokka"], "abstract": "Counting quokkas.",
              "venue": "TESTCONF", "year": 2024}
    r = client.post("/api/ingest", headers=writer(client), json={"text": json.dumps(record) + "\n", "name": "one.jsonl"})
    assert r.status_code == 200 and r.json()["report"]["new"] == 1  # one paper without a vector
    page = client.get("/", params={"q": "diffusion"})
    data = client.get(json_link(page.text)).json()
    assert data["requested_mode"] == "auto" and data["mode"] == "keyword"
    assert data["total"] < SAMPLE_PAPERS  # keyword counts matches, not the whole catalog
    [note] = data["notes"]
    assert "semantic index covers" in note and "paperatlas index" in note
    assert f'<p class="note">{html_lib.escape(note, quote=False)}</p>' in page.text
    assert client.get("/api/search", params={"q": "quokka"}).json()["total"] == 1  # the new paper is searchable
    hybrid = client.get("/api/search", params={"q": "diffusion", "mode": "hybrid"}).json()
    assert hybrid["mode"] == "hybrid" and any("semantic index covers" in n for n in hybrid["notes"])
    # 705 of 706 papers embedded: the note must not round that up to a complete index
    covered = re.search(r"covers ([0-9.]+)%", note)
    assert covered and float(covered.group(1)) < 100, f"the note calls an incomplete index complete: {note!r}"


def test_auto_mode_without_any_vectors_says_why_it_runs_keyword(client: TestClient) -> None:
    page = client.get("/", params={"q": "diffusion"})
    data = client.get(json_link(page.text)).json()
    assert data["requested_mode"] == "auto" and data["mode"] == "keyword"
    [note] = data["notes"]
    assert "semantic index covers 0%" in note and "paperatlas index" in note
    assert '<p class="note">' in page.text


# -- the description -----------------------------------------------------------------------------------
def test_openapi_lists_every_route(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    routes = [r for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
    assert len(routes) > 30
    for route in routes:
        for method in route.methods - {"HEAD"}:
            assert method.lower() in spec["paths"][doc_path(route.path)], (method, route.path)
    page = client.get("/api").text
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in page


def test_untrusted_text_helpers() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JaVaScRiPt:alert(1)") is None and safe_url("java\nscript:alert(1)") is None
    assert safe_url("data:text/html,<script>") is None and safe_url("//evil.example") is None
    assert safe_url("https://github.com/a/b") == "https://github.com/a/b"
    expected = "a <mark>b</mark> &lt;c&gt; &lt;script&gt;x&lt;/script&gt;"
    assert str(snippet_html("a <mark>b</mark> &lt;c&gt; <script>x</script>")) == expected
