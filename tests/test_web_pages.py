"""Author pages, read links, the venue page's paper list (sorts, has-code, paging, track and
session filters) through Starlette's TestClient over a real catalog (of the store ``--store`` selects).

The catalog is a small JSON Lines listing written for these tests (``_page_records.py``, no outside source):
two venues, tracks, sessions, popularity counters on some papers, code on some, and one author
written three ways ("Féiqing Huang", "HUANG Feiqing", "feiqing huang"), so every expected value
here is worked out by hand from ``RECORDS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _page_records import RECORDS, write_listing
from conftest import CatalogMaker
from starlette.testclient import TestClient

from paperatlas import Atlas, Settings
from paperatlas.links import link_rows, paper_links, web_url
from paperatlas.models import Paper
from paperatlas.services.ingest import ingest_paths
from paperatlas.web import ServerOptions, create_app
from paperatlas.web.author_views import author_key, author_url

BASE = "http://testserver"


ORDER_BY_TITLE = ["Apple Orchards Of Gradients", "Banana Diffusion Models At Scale", "Kiwi Diffusion Without Noise",
                  "Mango Kernels For Graphs", "Zebra Stripes As Attention Maps"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> tuple[str | Path, Path]:
    """The catalog's location, and the folder of its listing and home."""
    folder = tmp_path_factory.mktemp("pages")
    listing = write_listing(folder / "listing.jsonl", RECORDS)
    location = catalogs.new(folder)
    with Atlas.open(location, Settings(home=folder / "home")) as atlas:
        report = ingest_paths(atlas, [listing])[0]
        assert report.ok and report.new == len(RECORDS), report
        atlas.settle(60)
        atlas.indexes.sync_keyword()
    return location, folder


@pytest.fixture(scope="module")
def client(catalog: tuple[str | Path, Path]) -> Iterator[TestClient]:
    location, folder = catalog
    with Atlas.open(location, Settings(home=folder / "home")) as atlas:
        app = create_app(atlas, ServerOptions(allowed_hosts=("testserver",)))
        with TestClient(app, base_url=BASE) as c:
            yield c


def titles(rows: list[dict[str, Any]]) -> list[str]:
    return [r["title"] for r in rows]


def venue(client: TestClient, **query: Any) -> dict[str, Any]:
    response = client.get("/api/venue/TESTCONF/2024", params=query)
    assert response.status_code == 200, response.text
    return response.json()["list"]  # type: ignore[no-any-return]


# -- links -----------------------------------------------------------------------------------------------
def paper(**fields: Any) -> Paper:
    return Paper(id="p1", title="T", **fields)


def test_paper_links_from_ids_in_fixed_order() -> None:
    p = paper(ids={"doi": "10.1000/x#1?", "openreview": "AbC_-1", "arxiv": "2301.01234v2"})
    assert paper_links(p) == [
        ("pdf", "https://openreview.net/pdf?id=AbC_-1"),  # the reviewed version before arXiv's
        ("arxiv", "https://arxiv.org/abs/2301.01234v2"),
        ("openreview", "https://openreview.net/forum?id=AbC_-1"),
        ("doi", "https://doi.org/10.1000/x%231%3F"),  # "#" and "?" would end the path
    ]
    assert paper_links(paper(ids={"arxiv": "hep-th/9901001"})) == [
        ("pdf", "https://arxiv.org/pdf/hep-th/9901001"), ("arxiv", "https://arxiv.org/abs/hep-th/9901001")]


def test_paper_links_prefer_the_listings_pdf_and_keep_other_links_after() -> None:
    p = paper(ids={"arxiv": "2301.01234"},
              links={"pdf": "https://proc.example/p.pdf", "forum": "https://forum.example/t/1", "video": "https://v.example/1",
                     "arxiv": "https://arxiv.org/abs/2301.01234"})
    assert paper_links(p) == [
        ("pdf", "https://proc.example/p.pdf"), ("arxiv", "https://arxiv.org/abs/2301.01234"),
        ("forum", "https://forum.example/t/1"),  # not on openreview.net: not an OpenReview link
        ("video", "https://v.example/1"),
    ]
    assert link_rows(p, ("pdf",)) == [{"kind": "pdf", "label": "PDF", "url": "https://proc.example/p.pdf"}]


@pytest.mark.parametrize("bad", [
    "javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x",
    "https://x.org/a\"onmouseover=alert(1)", "https://x.org/<script>", "//x.org/a", "http:///nohost", "https://[::1",
    "ftp://x.org/a", "", None, 42, ["https://x.org"],
])
def test_no_link_from_a_url_that_is_not_plain_http(bad: Any) -> None:
    assert web_url(bad) is None
    assert paper_links(paper(links={"pdf": bad, "site": bad})) == []


@pytest.mark.parametrize("ids", [
    {"arxiv": "javascript:alert(1)"}, {"arxiv": "2301.1"}, {"arxiv": "1313.01234"}, {"openreview": "a b"},
    {"openreview": "javascript:alert(1)//"}, {"doi": "javascript:alert(1)"}, {"doi": "10.1/<x>"},
    {"doi": "10.1000/a b"}, {"arxiv": 2301.01234},
])
def test_an_id_that_does_not_look_like_one_gives_no_link(ids: dict[str, Any]) -> None:
    assert paper_links(paper(ids=ids)) == []


def test_links_in_api_and_on_cards(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "orchards"}).json()["hits"]
    assert hits[0]["title"] == "Apple Orchards Of Gradients"
    assert hits[0]["links"] == [
        {"kind": "pdf", "label": "PDF", "url": "https://openreview.net/pdf?id=OrchardForum1"},
        {"kind": "openreview", "label": "OpenReview", "url": "https://openreview.net/forum?id=OrchardForum1"}]
    pid = hits[0]["id"]
    page = client.get(f"/paper/{pid}").text
    assert 'href="https://openreview.net/forum?id=OrchardForum1"' in page
    data = client.get(f"/api/paper/{pid}").json()
    assert [link["kind"] for link in data["links"]] == ["pdf", "openreview"]
    search_page = client.get("/", params={"q": "mango"}).text
    assert '<a class="plink" href="https://doi.org/10.5555/mango(1)"' in search_page


# -- author pages ------------------------------------------------------------------------------------------
def test_author_key_folds_accents_case_and_order() -> None:
    assert author_key("Féiqing Huang") == author_key("HUANG Feiqing") == author_key("feiqing  huang") == ("feiqing", "huang")
    assert author_key("Geoffrey E. Hinton") != author_key("Geoffrey Hinton")
    assert author_url("A/B? #1") == "/author/A%2FB%3F%20%231"


def test_author_page_data(client: TestClient) -> None:
    for spelled in ("Féiqing Huang", "huang feiqing", "FEIQING HUANG"):
        data = client.get("/api/author/" + spelled).json()
        assert data["papers"] == 3, spelled
        # newest first: the two 2024 papers (by venue, then title) before the 2022 one
        assert titles(data["hits"]) == ["Apple Orchards Of Gradients", "Zebra Stripes As Attention Maps",
                                        "Cherry Picking Benchmarks Considered Harmful"]
        assert sorted(data["spellings"]) == ["Féiqing Huang", "HUANG Feiqing", "feiqing huang"]
    assert [(c["name"], c["papers"]) for c in data["coauthors"]] == [
        ("Ada Lovelace", 2), ("Geoffrey Hinton", 1), ("Grace Hopper", 1)]
    assert data["coauthors"][0]["href"] == "/author/Ada%20Lovelace"
    assert [(v["venue"], v["papers"], [y["year"] for y in v["years"]]) for v in data["venues"]] == [
        ("TESTCONF", 2, [2024]), ("OTHERCONF", 1, [2022])]
    assert data["venues"][0]["years"][0]["href"] == "/venue/TESTCONF/2024"
    assert data["hits"][0]["links"][0]["kind"] == "pdf"


def test_author_page_html_links_coauthors_and_venues(client: TestClient) -> None:
    page = client.get("/author/Ada%20Lovelace")
    assert page.status_code == 200
    assert "<h1 class=\"author-name\">Ada Lovelace" in page.text
    assert 'href="/author/F%C3%A9iqing%20Huang"' in page.text  # co-author, and in each card's byline
    assert 'href="/author/Grace%20Hopper"' in page.text
    assert 'href="/venue/TESTCONF/2024"' in page.text
    assert 'href="/api/author/Ada%20Lovelace" class="json"' in page.text


def test_a_longer_name_is_another_spelling_not_the_same_author(client: TestClient) -> None:
    data = client.get("/api/author/Geoffrey Hinton").json()
    assert titles(data["hits"]) == ["Cherry Picking Benchmarks Considered Harmful"]
    assert [(o["name"], o["papers"]) for o in data["other_spellings"]] == [("Geoffrey E. Hinton", 1)]


def test_an_author_without_papers_is_404_with_a_hint(client: TestClient) -> None:
    response = client.get("/api/author/Nobody Atall")
    assert response.status_code == 404
    error = response.json()["error"]
    assert "Nobody Atall" in error["message"] and "author=Nobody+Atall" in error["hint"]
    # a name sharing words with known authors names them
    hint = client.get("/api/author/Hinton").json()["error"]
    assert client.get("/api/author/Hinton").status_code == 404
    assert "Geoffrey E. Hinton (1)" in hint["hint"] and "Geoffrey Hinton (1)" in hint["hint"]
    page = client.get("/author/Nobody%20Atall")
    assert page.status_code == 404 and "no papers by" in page.text
    assert client.get("/api/author/%20%20").status_code in (400, 404)
    assert client.get("/api/author/" + "x" * 400).status_code == 400


def test_authors_are_links_on_search_and_paper_pages(client: TestClient) -> None:
    page = client.get("/", params={"q": "zebra"}).text
    assert '<a href="/author/F%C3%A9iqing%20Huang">Féiqing Huang</a>' in page
    pid = client.get("/api/search", params={"q": "zebra"}).json()["hits"][0]["id"]
    assert '<a href="/author/Ada%20Lovelace">Ada Lovelace</a>' in client.get(f"/paper/{pid}").text


# -- venue page list -----------------------------------------------------------------------------------------
def test_venue_list_default_is_track_then_session_then_title(client: TestClient) -> None:
    data = venue(client)
    assert data["sort"] == "track" and data["total"] == 5
    assert titles(data["hits"]) == ["Zebra Stripes As Attention Maps", "Kiwi Diffusion Without Noise",
                                    "Mango Kernels For Graphs", "Apple Orchards Of Gradients",
                                    "Banana Diffusion Models At Scale"]
    # the counters the venue's papers carry, most common first, become sort options
    assert data["counters"] == [{"name": "hf upvotes", "papers": 3}, {"name": "papers.cool PDF", "papers": 2}]
    assert [s["value"] for s in data["sorts"]] == ["track", "title", "counter:hf upvotes", "counter:papers.cool PDF"]


def test_venue_list_sorts_by_title_and_by_each_counter(client: TestClient) -> None:
    assert titles(venue(client, sort="title")["hits"]) == ORDER_BY_TITLE
    # highest first; papers without the counter last, by title
    assert titles(venue(client, sort="counter:hf upvotes")["hits"]) == [
        "Apple Orchards Of Gradients", "Mango Kernels For Graphs", "Zebra Stripes As Attention Maps",
        "Banana Diffusion Models At Scale", "Kiwi Diffusion Without Noise"]
    assert titles(venue(client, sort="counter:papers.cool PDF")["hits"])[:2] == [
        "Banana Diffusion Models At Scale", "Apple Orchards Of Gradients"]


def test_venue_list_has_code_filter_and_paging(client: TestClient) -> None:
    data = venue(client, sort="title", has_code=1)
    assert titles(data["hits"]) == ["Banana Diffusion Models At Scale", "Mango Kernels For Graphs",
                                    "Zebra Stripes As Attention Maps"]
    assert [c["name"] for c in data["chips"]] == ["has_code"]
    assert titles(venue(client, sort="title", has_code=0)["hits"]) == ["Apple Orchards Of Gradients",
                                                                      "Kiwi Diffusion Without Noise"]
    first = venue(client, sort="title", k=2)
    assert titles(first["hits"]) == ORDER_BY_TITLE[:2] and first["pages"] == 3
    assert first["prev_href"] is None and first["next_href"] == "/venue/TESTCONF/2024?sort=title&page=2&k=2"
    last = venue(client, sort="title", k=2, page=3)
    assert titles(last["hits"]) == ORDER_BY_TITLE[4:] and last["next_href"] is None


def test_venue_list_track_and_session_filters_are_links(client: TestClient) -> None:
    data = client.get("/api/venue/TESTCONF/2024").json()
    oral = next(t for t in data["tracks"] if t["track"] == "Oral")
    assert oral["href"] == "/venue/TESTCONF/2024?track=Oral"
    session = next(s for s in oral["sessions"] if s["session"] == "Session 2")
    assert session["href"] == "/venue/TESTCONF/2024?track=Oral&session=Session+2"
    narrowed = client.get(session["href"].replace("/venue/", "/api/venue/")).json()
    assert titles(narrowed["list"]["hits"]) == ["Kiwi Diffusion Without Noise"]
    active = next(t for t in narrowed["tracks"] if t["track"] == "Oral")
    chosen = next(s for s in active["sessions"] if s["session"] == "Session 2")
    assert chosen["active"] and chosen["href"] == "/venue/TESTCONF/2024?track=Oral"  # clicking again removes it
    page = client.get("/venue/TESTCONF/2024", params={"track": "Poster"}).text
    assert page.count('<li class="result"') == 3
    assert '{# MAP: include "_map.html" here #}' not in page  # a template comment, not output


def test_venue_list_relevance_and_sorted_matches(client: TestClient) -> None:
    ranked = venue(client, q="diffusion")
    assert ranked["sort"] == "relevance" and ranked["sorts"][0]["value"] == "relevance"
    assert sorted(titles(ranked["hits"])) == ["Banana Diffusion Models At Scale", "Kiwi Diffusion Without Noise"]
    by_title = venue(client, q="diffusion", sort="title")
    assert titles(by_title["hits"]) == ["Banana Diffusion Models At Scale", "Kiwi Diffusion Without Noise"]
    by_counter = venue(client, q="diffusion", sort="counter:papers.cool PDF", has_code=1)
    assert titles(by_counter["hits"]) == ["Banana Diffusion Models At Scale"]
    # the other venue's "diffusion"-free paper never leaks in, nor the other venue at all
    assert all(h["venue"] == "TESTCONF" for h in by_title["hits"])


def test_venue_list_bad_sort_and_relevance_without_words(client: TestClient) -> None:
    response = client.get("/api/venue/TESTCONF/2024", params={"sort": "counter:nope"})
    assert response.status_code == 400
    assert "counter:hf upvotes" in response.json()["error"]["hint"]
    data = venue(client, sort="relevance")
    assert data["sort"] == "track" and any("needs words" in n for n in data["notes"])
    page = client.get("/venue/TESTCONF/2024", params={"sort": "counter:hf upvotes", "has_code": "1"})
    assert page.status_code == 200
    assert re.search(r'<option value="counter:hf upvotes" selected>', page.text)
    assert '<input type="checkbox" name="has_code" value="1" data-autosubmit checked>' in page.text


# -- the store's venue list and the author lookup, on whichever store the run selects (--store) ------------
def test_store_venue_papers_orders_filters_and_counts(atlas: Atlas, tmp_path: Path) -> None:
    from paperatlas import Filters
    from paperatlas.web.venue_views import sort_key

    assert ingest_paths(atlas, [write_listing(tmp_path / "listing.jsonl", RECORDS)])[0].new == len(RECORDS)
    papers = atlas.store.papers

    def listed(sort: str, counter: str | None = None, **filters: Any) -> list[str]:
        found, total = papers.venue_papers("TESTCONF", 2024, Filters(**filters), sort, counter, 50, 0)
        assert total == len(found)
        return [p.title for p in found]

    assert listed("title") == ORDER_BY_TITLE
    assert listed("counter", "hf upvotes") == ["Apple Orchards Of Gradients", "Mango Kernels For Graphs",
                                               "Zebra Stripes As Attention Maps", "Banana Diffusion Models At Scale",
                                               "Kiwi Diffusion Without Noise"]
    assert listed("track", track="Poster") == ["Mango Kernels For Graphs", "Apple Orchards Of Gradients",
                                               "Banana Diffusion Models At Scale"]
    assert listed("title", has_code=True, session="Session 1") == ["Mango Kernels For Graphs", "Zebra Stripes As Attention Maps"]
    page, total = papers.venue_papers("TESTCONF", 2024, Filters(), "title", None, 2, 2)
    assert [p.title for p in page] == ORDER_BY_TITLE[2:4] and total == 5
    assert papers.venue_counters("TESTCONF", 2024) == [("hf upvotes", 3), ("papers.cool PDF", 2)]
    assert papers.venue_counters("OTHERCONF", 2022) == []
    assert papers.venue_papers("NOSUCH", 2024, Filters(), "title", None, 10, 0) == ([], 0)
    # the Python order used for keyword matches is the store's order
    everything, _ = papers.venue_papers("TESTCONF", 2024, Filters(), "title", None, 50, 0)
    for sort, counter in (("title", None), ("track", None), ("counter", "hf upvotes"), ("counter", "papers.cool PDF")):
        in_python = [p.title for p in sorted(everything, key=lambda p: sort_key(p, sort, counter))]
        assert in_python == listed(sort, counter), (sort, counter)
    with pytest.raises(ValueError, match="unknown venue sort"):
        papers.venue_papers("TESTCONF", 2024, Filters(), "title; DROP TABLE papers", None, 10, 0)


def test_author_data_on_the_store(atlas: Atlas, tmp_path: Path) -> None:
    from paperatlas.errors import NotFound
    from paperatlas.web.author_views import author_data

    ingest_paths(atlas, [write_listing(tmp_path / "listing.jsonl", RECORDS)])
    data = author_data(atlas, "Huang Féiqing")
    assert data["papers"] == 3 and data["name"] in ("Féiqing Huang", "HUANG Feiqing", "feiqing huang")
    assert [c["name"] for c in data["coauthors"]] == ["Ada Lovelace", "Geoffrey Hinton", "Grace Hopper"]
    with pytest.raises(NotFound):
        author_data(atlas, "Grace Feiqing")
