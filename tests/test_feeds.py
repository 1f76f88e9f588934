"""Atom feeds served by the web app (parsed with feedparser), the Watches, Sources and Trending
pages and their JSON, over a catalog synced from replayed OpenReview and Hugging Face answers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import feedparser
import pytest
from _replay import REMOTE, OpenReviewAPI, Replay, Reply, Request
from starlette.testclient import TestClient

from paperatlas import Atlas, Filters, Settings
from paperatlas.services import library
from paperatlas.services import sources as sources_svc
from paperatlas.services import watches as watches_svc
from paperatlas.sources.http import Fetcher
from paperatlas.web import ServerOptions, create_app

BASE = "http://testserver"


@pytest.fixture
def server() -> Iterator[Replay]:
    with Replay() as replay:
        yield replay


@pytest.fixture
def api(server: Replay) -> OpenReviewAPI:
    found = OpenReviewAPI()
    server.route("/notes", found.handler)
    return found


@pytest.fixture
def catalog(catalog_location: str | Path, settings: Settings, server: Replay, api: OpenReviewAPI) -> str | Path:
    """Six ICLR 2020 submissions synced; a watch; one decision and one later submission reported."""
    path = catalog_location
    later = api.notes.pop()
    with Atlas.open(path, settings) as atlas, Fetcher(sleep=lambda s: None, retries=1) as fetcher:
        sources_svc.add_source(atlas, "openreview", "iclr20", venue="ICLR.cc/2020/Conference", base_url=server.url, pace=0)
        sources_svc.sync(atlas, fetcher=fetcher, today=date(2026, 8, 1))
        watches_svc.add_watch(atlas, "iclr", filters=Filters(venue="ICLR"))
        api.notes.append(later)
        api.decide(api.notes[0]["id"], "ICLR 2020 Poster", "ICLR.cc/2020/Conference")
        sources_svc.sync(atlas, fetcher=fetcher, today=date(2026, 8, 2))
        first, second = atlas.store.papers.list(Filters(), None)[:2]
        library.add_tag(atlas, first.id, "to read")
        library.create_list(atlas, "reading", [second.id, first.id])
    return path


def open_client(path: str | Path, settings: Settings, **options: Any) -> Any:
    from contextlib import contextmanager

    @contextmanager
    def run() -> Iterator[TestClient]:
        with Atlas.open(path, settings) as atlas:
            app = create_app(atlas, ServerOptions(allowed_hosts=("testserver",), **options))
            with TestClient(app, base_url=BASE) as c:
                yield c
    return run()


@pytest.fixture
def client(catalog: str | Path, settings: Settings) -> Iterator[TestClient]:
    with open_client(catalog, settings) as c:
        yield c


def atom(client: TestClient, url: str) -> Any:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.text[:300])
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, (url, feed.get("bozo_exception"))
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [BASE + url]
    return feed


def test_watch_feed_has_stable_ids_and_times(client: TestClient) -> None:
    feed = atom(client, "/feeds/watch/iclr.atom")
    assert feed.feed.id == "tag:paperatlas,2026:watch/iclr" and len(feed.entries) == 2
    assert sorted(e.tags[0].term for e in feed.entries) == ["decision", "new"]
    assert {e.updated for e in feed.entries} == {"2026-08-02T12:00:00Z"}
    again = atom(client, "/feeds/watch/iclr.atom")
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]
    assert all(e.link.startswith(BASE + "/paper/") for e in feed.entries)


def test_list_tag_and_venue_feeds(client: TestClient) -> None:
    lists = client.get("/api/library/lists").json()["lists"]
    list_id = lists[0]["id"]
    feed = atom(client, f"/feeds/list/{list_id}.atom")
    assert feed.feed.title == "paperatlas list: reading" and len(feed.entries) == 2
    assert all(re.fullmatch(r"tag:paperatlas,2026:paper/[a-z0-9]+", e.id) for e in feed.entries)
    tagged = atom(client, "/feeds/tag/to%20read.atom")
    assert len(tagged.entries) == 1 and tagged.feed.id == "tag:paperatlas,2026:tag/to%20read"
    venue = atom(client, "/feeds/venue/ICLR/2020.atom")
    assert len(venue.entries) == 6 and venue.entries[0].summary
    for missing in ("/feeds/list/999.atom", "/feeds/tag/nothing.atom", "/feeds/venue/NeurIPS/1999.atom",
                    "/feeds/watch/nope.atom", "/feeds/watch/iclr.rss"):
        assert client.get(missing).status_code == 404, missing


def csrf(client: TestClient, path: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get(path).text)
    assert found
    return found.group(1)


def test_watches_page_shows_new_items_and_marks_them_seen(client: TestClient) -> None:
    page = client.get("/watches")
    assert page.status_code == 200 and 'href="/feeds/watch/iclr.atom"' in page.text
    assert "decision arrived: Submitted → Poster" in page.text and "2 new" in page.text
    data = client.get("/api/watches").json()
    assert [(w["name"], w["unseen"]) for w in data["watches"]] == [("iclr", 2)]
    token = csrf(client, "/watches")
    refused = client.post("/watches/iclr/seen", data={"next": "/watches"}, headers={"Origin": BASE})
    assert refused.status_code == 403  # no CSRF token
    done = client.post("/watches/iclr/seen", data={"_csrf": token, "next": "/watches"}, headers={"Origin": BASE},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/watches"
    assert client.get("/api/watches").json()["watches"][0]["unseen"] == 0
    assert "Nothing new since your last visit" in client.get("/watches").text


def test_sources_page_adds_and_syncs(client: TestClient, server: Replay) -> None:
    page = client.get("/sources")
    assert page.status_code == 200 and "iclr20" in page.text and "Sync now" in page.text
    token = csrf(client, "/sources")
    days = {"2026-08-20": json.loads((REMOTE / "huggingface" / "daily_papers_2026-08-20.json").read_text())}

    def daily(request: Request) -> Reply:
        return Reply(200, json.dumps(days.get(request.query["date"], [])).encode(), {"Content-Type": "application/json"})
    server.route("/api/daily_papers", daily)
    added = client.post("/sources", headers={"Origin": BASE, "X-CSRF-Token": token}, json={
        "kind": "hf-daily", "name": "hf", "base_url": server.url, "options": {"since": "2026-08-20", "pace": 0}})
    assert added.status_code == 200, added.text
    assert added.json()["name"] == "hf"
    bad = client.post("/sources", headers={"Origin": BASE, "X-CSRF-Token": token}, json={"kind": "nope"})
    assert bad.status_code == 400 and "unknown source kind" in bad.text  # the error page (not under /api/)
    synced = client.post("/sources/hf/sync", headers={"Origin": BASE, "X-CSRF-Token": token})
    assert synced.status_code == 200, synced.text
    [report] = synced.json()["sources"]
    assert report["source"] == "hf" and report["status"] == "ok" and report["new"] == len(days["2026-08-20"])
    listed = {s["name"]: s for s in client.get("/api/sources").json()["sources"]}
    assert listed["hf"]["last_sync"]["status"] == "ok" and listed["hf"]["items"] == len(days["2026-08-20"])


def test_shared_server_needs_the_token_and_refuses_loopback_urls(catalog: str | Path, settings: Settings, server: Replay) -> None:
    with open_client(catalog, settings, shared=True, token="tok") as c:
        body = {"kind": "url", "name": "local", "value": server.url + "/listing.json"}
        assert c.post("/sources", json=body, headers={"Origin": BASE}).status_code == 403
        refused = c.post("/sources", json=body, headers={"Authorization": "Bearer tok"})
        assert refused.status_code == 400 and "refused to fetch" in refused.text
        assert "Sync now" not in c.get("/sources").text  # read-only visitors see no write buttons


def test_trending_api_and_page(client: TestClient) -> None:
    data = client.get("/api/trending?days=7").json()
    assert data == {"days": 7, "venue": None, "papers": []}  # OpenReview notes carry no counters
    assert client.get("/api/trending?days=0").status_code == 400
    page = client.get("/trending")
    assert page.status_code == 200 and "Nothing rose" in page.text


def test_nav_links_and_openapi_list_the_new_routes(client: TestClient) -> None:
    home = client.get("/").text
    assert all(f'href="/{p}"' in home for p in ("watches", "trending", "sources"))
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/watches", "/api/trending", "/api/sources", "/feeds/watch/{name}", "/feeds/venue/{venue}/{year}"} <= set(paths)
