"""Hostile text on the author pages, the venue page's paper list and the read links cannot run
script: author names, tracks, sessions and counter names carry the payloads of ``test_xss``,
and ``javascript:``/``data:`` URLs are written straight into papers' ``ids`` and ``links`` (as a
catalog from an older version, or edited by hand, could hold them: ingest already drops such
links) — none may become a link, on any page or in the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from _catalog_helpers import sql
from _web_helpers import LiveServer, browser_context  # noqa: F401 (fixture)
from conftest import CatalogMaker
from test_xss import HOOK, PAYLOADS, assert_inert

from paperatlas import Atlas, Settings
from paperatlas.services.ingest import ingest_paths

VENUE = "HOSTILEVENUE"
BAD_URLS = ["javascript:window.__xss.push('link')", " JAVASCRIPT:alert(1)", "data:text/html,<script>alert(1)</script>",
            "https://x.org/\" onmouseover=\"window.__xss.push('attr')", "java\nscript:alert(1)"]
BAD_IDS = {"arxiv": "javascript:alert('arxiv')//2301.00001", "openreview": "javascript:alert(1)",
           "doi": "10.1/\"><script>window.__xss.push('doi')</script>"}


def records() -> list[dict[str, Any]]:
    return [{"title": f"Hostile page {i} {p}", "authors": [f"Eve {p}", "Mallory O'Neil"],
             "abstract": f"hostile words {i}", "venue": VENUE, "year": 2024, "track": f"Oral {p}",
             "session": f"Session {p}", "counters": {f"votes {p}": i}, "code_urls": ["https://github.com/ok/repo"],
             "keywords": [], "links": {}, "ids": {}}
            for i, p in enumerate(PAYLOADS)]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("xss-pages")
    listing = folder / "hostile.jsonl"
    listing.write_text("".join(json.dumps(r) + "\n" for r in records()))
    settings, db = Settings(home=folder / "home"), catalogs.new(folder)
    with Atlas.open(db, settings) as atlas:
        report = ingest_paths(atlas, [listing])[0]
        assert report.ok and report.new == len(PAYLOADS), report
        atlas.settle(60)
        atlas.indexes.sync_keyword()
        # what ingest would refuse, written into the catalog directly: every paper's links and ids hostile
        links = {f"kind{i}": url for i, url in enumerate(BAD_URLS)} | {"pdf": BAD_URLS[0], "forum": BAD_URLS[3]}
        sql(atlas, "UPDATE papers SET links = ?, ids = ?", (json.dumps(links), json.dumps(BAD_IDS)))
    with Atlas.open(db, settings) as atlas:
        server = LiveServer(atlas)
        yield server
        server.stop()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:  # noqa: F811
    page = browser_context.new_page()
    page.dialogs, page.problems = [], []
    page.add_init_script(HOOK)
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    yield page
    page.close()


def ids(page: Any, live: LiveServer) -> list[str]:
    hits = page.request.get(f"{live.url}/api/venue/{VENUE}/2024?k=50&sort=title").json()["list"]["hits"]
    assert len(hits) == len(PAYLOADS)
    return [h["id"] for h in hits]


def test_no_link_from_hostile_ids_or_links_in_the_api(page: Any, live: LiveServer) -> None:
    for pid in ids(page, live):
        data = page.request.get(f"{live.url}/api/paper/{pid}").json()
        assert data["paper"]["links"]["pdf"] == BAD_URLS[0]  # the stored value is there, not shown as a link
        assert data["links"] == [], data["links"]
    for path in (f"/api/venue/{VENUE}/2024?k=50", "/api/search?q=hostile&k=50", "/api/author/" + quote("Mallory O'Neil")):
        body = page.request.get(live.url + path).json()
        hits = body["list"]["hits"] if "list" in body else body["hits"]
        assert hits and all(h["links"] == [] for h in hits), path


def test_author_pages_of_hostile_names(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/author/" + quote("Mallory O'Neil", safe=""))
    assert page.locator(".author-papers li.result").count() == len(PAYLOADS)
    assert page.locator(".coauthors li").count() == len(PAYLOADS)
    assert_inert(page, "author page with hostile co-authors")
    for i, p in enumerate(PAYLOADS):
        page.goto(live.url + "/author/" + quote(f"Eve {p}", safe=""))
        assert page.locator(".author-papers li.result").count() >= 1, p
        assert_inert(page, f"author page of payload {i}")
    # a name that is not there: the 404 page and its hint quote it
    page.goto(live.url + "/author/" + quote('<img src=x onerror="window.__xss.push(1)"> Nobody', safe=""))
    assert "Nobody" in page.inner_text("h1")
    assert_inert(page, "404 author page quoting a hostile name")
    # clicking a co-author from a card works even when the name holds quotes and slashes
    page.goto(live.url + "/author/" + quote("Mallory O'Neil", safe=""))
    page.locator(".coauthors a.author").nth(4).click()
    page.wait_for_selector(".author-papers li.result")
    assert_inert(page, "co-author page reached by a click")


def test_venue_list_with_hostile_tracks_counters_and_parameters(page: Any, live: LiveServer) -> None:
    base = f"{live.url}/venue/{VENUE}/2024"
    page.goto(base)
    assert page.locator(".venue-list li.result").count() == len(PAYLOADS)
    assert page.locator("select[name=sort] option").count() == 2 + len(PAYLOADS)  # track, title, one per counter
    assert_inert(page, "venue list with hostile tracks, sessions and counter names")
    for option in page.locator("select[name=sort] option").all()[2:5]:
        page.goto(base + "?" + urlencode({"sort": option.get_attribute("value")}))
        assert_inert(page, f"venue list sorted by {option.get_attribute('value')!r}")
    page.locator(".tracks a[data-session]").first.click()
    page.wait_for_selector(".chips .chip")
    assert_inert(page, "venue list narrowed to a hostile session")
    for query in ({"q": PAYLOADS[0], "sort": "title"}, {"sort": PAYLOADS[1]}, {"track": PAYLOADS[4], "q": "hostile"},
                  {"q": "hostile", "sort": "counter:" + PAYLOADS[0]}):
        page.goto(base + "?" + urlencode(query))
        assert_inert(page, f"venue list with {query}")


def test_cards_and_paper_pages_show_no_hostile_link(page: Any, live: LiveServer) -> None:
    for path in ("/?q=hostile", f"/venue/{VENUE}/2024", "/author/" + quote("Mallory O'Neil", safe="")):
        page.goto(live.url + path)
        assert page.locator("a.plink").count() == 0, path
        assert page.locator("li.result a.code").count() + page.locator("li.result a[href^='https://github.com/ok']").count() > 0
        assert_inert(page, f"cards on {path}")
    for pid in ids(page, live)[:4]:
        page.goto(f"{live.url}/paper/{pid}")
        assert page.locator(".paper-links").count() == 0
        assert_inert(page, f"paper page {pid} with hostile ids and links")
