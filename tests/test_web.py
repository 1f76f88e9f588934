"""The web UI and JSON API through Starlette's TestClient, over a real catalog of the seed listings."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import Iterator

import anyio
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from paperatlas.catalog import Catalog, Filters
from paperatlas.ingest import Overrides, ingest_paths
from paperatlas.web import Settings, create_app
from paperatlas.web.api import doc_path
from paperatlas.web.security import CSP, Busy, Runner, safe_url, snippet_html

SAMPLES = Path(__file__).parent.parent / "paperatlas" / "samples"
BASE = "http://127.0.0.1:8000"


def ingest_seeds(path: Path) -> None:
    manifest = json.loads((SAMPLES / "manifest.json").read_text())["files"]
    with Catalog(path) as catalog:
        for seed in sorted(SAMPLES.glob("*.txt")):
            known = {k: v for k, v in manifest[seed.name].items() if k in ("venue", "year", "track", "session")}
            assert ingest_paths(catalog, [seed], overrides=Overrides(**known))[0].ok


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "catalog.sqlite"
    ingest_seeds(path)
    return path


@pytest.fixture
def db_path(seeded_file: Path, tmp_path: Path) -> Path:
    """A fresh copy of the seeded catalog for each test (library writes stay in the test)."""
    target = tmp_path / "catalog.sqlite"
    shutil.copy(seeded_file, target)
    return target


def open_client(db_path: Path, **settings: object) -> TestClient:
    return TestClient(create_app(db_path, Settings(**settings)), base_url=BASE)  # type: ignore[arg-type]


@pytest.fixture
def client(db_path: Path) -> Iterator[TestClient]:
    with open_client(db_path) as c:
        yield c


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
    return match.group(1).replace("&amp;", "&")


# -- every route, both renderings ------------------------------------------------------------------
def test_every_page_renders_and_serves_the_same_data_as_json(client: TestClient) -> None:
    pid = some_ids(client, 1, q="diffusion")[0]
    pages = {
        "/?q=diffusion&venue=ICLR": {"query", "total", "hits", "facets", "mode", "took_ms"},
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
    assert {"id", "title", "authors", "venue", "year", "track", "session", "snippet", "why", "starred", "code_urls"} <= set(hit)
    assert any("<mark>" in h["snippet"].lower() for h in data["hits"])
    page = client.get("/", params={"q": "diffusion"}).text
    assert "<mark>" in page.lower() and f'data-id="{hit["id"]}"' in page


def test_facet_counts_match_the_catalog(client: TestClient, db_path: Path) -> None:
    facets = client.get("/api/search").json()["facets"]
    with Catalog(db_path) as catalog:
        venues = {f["value"]: f["count"] for f in facets["venue"]}
        assert venues == {"ICLR": catalog.count(Filters(venue="ICLR"))}
        years = {f["value"]: f["count"] for f in facets["year"]}
        assert years == {"2023": catalog.count(Filters(year=2023)), "2021": catalog.count(Filters(year=2021))}
        narrowed = client.get("/api/search", params={"venue": "ICLR", "year": "2021"}).json()
        assert narrowed["total"] == catalog.count(Filters(venue="ICLR", year=2021))
    tracks = {f["value"]: f["count"] for f in narrowed["facets"]["track"]}
    assert tracks == {"Poster": narrowed["total"]}
    assert any(f["active"] for f in narrowed["facets"]["venue"])
    html = client.get("/", params={"venue": "ICLR", "year": "2021"}).text
    assert f'<strong id="total">{narrowed["total"]}</strong>' in html
    assert re.search(r'data-value="Poster">Poster</a>\s*<span class="count">%d</span>' % narrowed["total"], html)


def test_bad_parameters_are_400_with_a_hint(client: TestClient) -> None:
    for params in ({"year": "twenty"}, {"mode": "magic"}, {"page": "99999"}):
        r = client.get("/api/search", params=params)
        assert r.status_code == 400 and r.json()["error"]["hint"], params
    assert client.get("/", params={"year": "x"}).status_code == 400


def test_paper_page_shows_sources_code_counters_bibtex(client: TestClient) -> None:
    pid = some_ids(client, 1, q="Ramanujan")[0]
    data = client.get(f"/api/paper/{pid}").json()
    assert data["paper"]["counters"] and data["bibtex"].startswith("@")
    source = data["sources"][0]
    assert {"file", "format", "record_id", "fields"} <= set(source) and "title" in {f for s in data["sources"] for f in s["fields"]}
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
    assert client.get(f"/api/paper/{a}").json()["library"] == {"paper_id": a, "starred": True, "tags": ["to read"], "note": "check eq. 3", "lists": [lid]}
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
    assert client.post("/api/library/star/nope", headers=h).status_code == 404
    pid = some_ids(client, 1)[0]
    r = client.post(f"/api/library/tags/{pid}", headers=h, json={"tag": "  "})
    assert r.status_code == 400 and r.json()["error"]["message"] == "the tag is empty"
    assert client.post(f"/api/library/tags/{pid}", headers=h, json=["x"]).status_code == 400
    assert client.post(f"/api/library/tags/{pid}", headers={**h, "Content-Type": "application/json"}, content=b"{not").status_code == 400
    assert client.post(f"/api/library/tags/{pid}", headers=h).json()["error"]["message"] == "'tag' is missing"
    client.post("/api/library/lists", headers=h, json={"name": "x"})
    dup = client.post("/api/library/lists", headers=h, json={"name": "x"})
    assert dup.status_code == 400 and "exists" in dup.json()["error"]["message"]
    assert client.delete("/api/library/lists/999", headers=h).status_code == 404


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
    assert client.get("/api/library/export", params={"format": "docx"}).status_code == 400
    assert client.get("/api/library/export", params={"list": "7"}).status_code == 404
    links = client.get("/api/library").json()["exports"]
    assert set(links) == {"bibtex", "csl", "csv", "markdown", "jsonl"} and all(client.get(u).status_code == 200 for u in links.values())


# -- who may write -----------------------------------------------------------------------------------
def test_writes_need_csrf_token_and_same_origin(client: TestClient) -> None:
    pid = some_ids(client, 1)[0]
    token = csrf(client)
    url = f"/api/library/star/{pid}"
    for headers in ({}, {"Origin": BASE}, {"X-CSRF-Token": token}, {"Origin": "https://evil.example", "X-CSRF-Token": token},
                    {"Origin": "null", "X-CSRF-Token": token}, {"Referer": "https://evil.example/x", "X-CSRF-Token": token},
                    {"Origin": BASE, "X-CSRF-Token": token + "x"}):
        r = client.post(url, headers=headers)
        assert r.status_code == 403, headers
        assert set(r.json()["error"]) == {"status", "message", "hint"}
    assert not client.get(f"/api/paper/{pid}").json()["library"]["starred"]
    assert client.post(url, headers={"Referer": f"{BASE}/library", "X-CSRF-Token": token}).status_code == 200
    r = client.post("/import", data={"_csrf": "wrong", "text": "x"}, headers={"Origin": BASE})
    assert r.status_code == 403 and "CSRF" in r.text
    assert client.post("/api/ingest", data={"text": ""}, headers={"Origin": BASE}).status_code == 403  # before validation


def test_host_header_must_name_this_server(client: TestClient) -> None:
    assert client.get("/api/library", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/api/library", headers={"Host": "localhost:8000"}).status_code == 200


def test_shared_mode_is_read_only_without_the_token(db_path: Path) -> None:
    with open_client(db_path, shared=True, token="s3cret") as client:
        pid = some_ids(client, 1)[0]
        assert client.get("/").status_code == 200 and client.get(f"/paper/{pid}").status_code == 200
        assert "star-form" not in client.get("/").text and "/import" not in client.get("/venues").text
        h = writer(client)
        r = client.post(f"/api/library/star/{pid}", headers=h)
        assert r.status_code == 403 and "read-only" in r.json()["error"]["message"]
        assert client.post(f"/api/library/star/{pid}", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert client.post(f"/api/library/star/{pid}", headers={"Authorization": "Bearer s3cret"}).json()["starred"]
        assert client.get("/?token=nope").status_code == 403
        login = client.get("/?token=s3cret&q=x", follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/?q=x"
        assert "httponly" in login.headers["set-cookie"].lower() and "samesite=strict" in login.headers["set-cookie"].lower()
        assert "star-form" in client.get("/").text  # the cookie is kept by the client
        assert client.delete(f"/api/library/star/{pid}", headers=writer(client)).json()["starred"] is False
        assert client.delete(f"/api/library/star/{pid}").status_code == 403  # the cookie alone is not enough


# -- limits and errors ---------------------------------------------------------------------------------
def test_request_size_limits(db_path: Path) -> None:
    with open_client(db_path, max_upload_bytes=64 * 1024) as client:
        pid = some_ids(client, 1)[0]
        h = writer(client)
        big = client.put(f"/api/library/note/{pid}", headers=h, json={"body": "x" * (1024**2 + 10)})
        assert big.status_code == 413 and big.json()["error"]["status"] == 413
        streamed = client.put(f"/api/library/note/{pid}", headers={**h, "Content-Type": "application/json"},
                              content=(b"x" * 65536 for _ in range(20)))
        assert streamed.status_code == 413
        upload = client.post("/api/ingest", headers=h, files={"file": ("big.txt", b"y" * (65 * 1024))})
        assert upload.status_code == 413
        ok = client.put(f"/api/library/note/{pid}", headers=h, json={"body": "x" * 90_000})
        assert ok.status_code == 200
    with open_client(db_path) as client:  # the default upload limit is 20 MB
        r = client.post("/api/ingest", headers={"Content-Length": str(21 * 1024**2)}, content=b"")
        assert r.status_code == 413


def test_not_found_and_method_errors(client: TestClient) -> None:
    for url in ("/api/paper/nope", "/api/nothing/here", "/api/venue/NoSuch/1999", "/api/paper/nope/related"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert set(r.json()["error"]) == {"status", "message", "hint"} and r.json()["error"]["status"] == 404
    page = client.get("/paper/nope")
    assert page.status_code == 404 and "no paper with id" in page.text and "Traceback" not in page.text
    assert client.get("/no/such/page").status_code == 404
    assert client.put("/api/venues").status_code == 405
    assert client.get("/venue/ICLR/20x3").status_code == 400


def test_time_budget_and_concurrency_cap() -> None:
    runner = Runner(Settings(time_budget_s=0.2, workers=1, queue_wait_s=0.3))

    async def slow_then_blocked() -> None:
        with pytest.raises(Busy, match="longer than 0.2 s"):
            await runner.call(time.sleep, 1.0)
        with pytest.raises(Busy, match="no free worker"):  # the abandoned call still holds the only slot
            await runner.call(lambda: None)
        await anyio.sleep(1.0)
        assert await runner.call(lambda: 42) == 42

    anyio.run(slow_then_blocked)


def test_budget_counts_from_start_and_queue_is_first_come_first_served() -> None:
    # 6 calls of 0.15 s on one worker: the last starts after 0.75 s of waiting, far past its
    # 0.3 s budget, yet it runs: the budget counts its own running time only.
    runner = Runner(Settings(time_budget_s=0.3, workers=1, queue_wait_s=5.0))
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
    assert order == [0, 1, 2, 3, 4, 5] and runner.free == 1 and runner.waiting == 0


def test_too_many_waiting_is_refused_at_once() -> None:
    runner = Runner(Settings(workers=1, max_waiting=2, queue_wait_s=5.0))

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
    report = api.json()["report"]
    assert api.status_code == 200 and report["format"] == "paperscool" and report["found"] == 25
    assert report["completeness"].startswith("25 of 91 present")
    upload = client.post("/api/ingest", headers=writer(client), files={"file": ("notable.txt", text.encode())})
    assert upload.json()["report"]["path"] == "notable.txt"


def test_import_of_a_bad_file_is_a_400_report(client: TestClient) -> None:
    bad = client.post("/api/ingest", headers=writer(client), files={"file": ("x.bin", b"\x00\x01\x02garbage\xff" * 50)})
    assert bad.status_code == 400
    body = bad.json()
    assert body["error"]["status"] == 400 and body["report"]["error"] and body["ok"] is False
    page = client.post("/import", data={"_csrf": csrf(client), "text": "  "}, headers={"Origin": BASE})
    assert page.status_code == 400 and "nothing to import" in page.text
    assert client.post("/api/ingest", headers=writer(client), json={"text": "x", "format": "nope"}).status_code == 400


def test_batch_search(client: TestClient) -> None:
    r = client.post("/api/search/batch", json={"queries": [{"qid": "a", "query": "diffusion"}, {"qid": "b", "query": "graph"}], "k": 3})
    results = r.json()["results"]
    assert [x["qid"] for x in results] == ["a", "b"] and all(len(x["hits"]) <= 3 for x in results)
    assert results[0]["hits"] and {"id", "score", "title"} == set(results[0]["hits"][0])
    assert client.post("/api/search/batch", data={"queries": "x"}).status_code == 400
    assert client.post("/api/search/batch", json={"queries": "x"}).status_code == 400


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
    assert str(snippet_html("a <mark>b</mark> &lt;c&gt; <script>x</script>")) == "a <mark>b</mark> &lt;c&gt; &lt;script&gt;x&lt;/script&gt;"
