"""Layout in a real headless Chromium: every page at a phone's 390 x 844 has no sideways scroll,
the search box is usable and results come before facets; the dark theme follows
``prefers-color-scheme``; the venue list and author pages work by clicking. Screenshots go to
``bench/out/screenshots/`` and the page weights (HTML + CSS + JS bytes) to
``bench/out/page_weights.json``.

The catalog: the bundled samples plus the hand-written listing of ``_page_records.py`` (one
paper there has a 126-character word in its title and a 150-character code URL, to find what
would overflow).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from _page_records import LONG, RECORDS, write_listing
from _web_helpers import SHOTS, LiveServer, browser_context, build_seeded, shoot  # noqa: F401 (fixture)
from conftest import CatalogMaker

from paperatlas import Atlas, Settings
from paperatlas.services.ingest import ingest_paths

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WEIGHTS = SHOTS.parent / "page_weights.json"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("layout")
    settings = Settings(home=folder / "home")
    db = build_seeded(catalogs.new(folder), settings)
    with Atlas.open(db, settings) as atlas:
        report = ingest_paths(atlas, [write_listing(folder / "pages.jsonl", [*RECORDS, LONG])])[0]
        assert report.ok and report.new == len(RECORDS) + 1, report
        atlas.settle(60)
        server = LiveServer(atlas)
        yield server
        server.stop()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:  # noqa: F811
    page = browser_context.new_page()
    page.problems, page.failed = [], []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("response", lambda r: page.failed.append((r.status, r.url)) if r.status >= 400 else None)
    yield page
    page.close()


def problems(page: Any, allowed: tuple[str, ...] = ()) -> list[str]:
    """Script errors and failed loads, but for loads of the paths in ``allowed`` and of the
    venue page's topic map: its data is 400 until ``paperatlas index`` has embedded the papers,
    which these catalogs never do (the map has its own tests)."""
    allowed = (*allowed, "/api/map/")
    unexpected = [f"{status} {url}" for status, url in page.failed if not any(a in url for a in allowed)]
    return unexpected + [p for p in page.problems if not p.startswith("Failed to load resource")]


def paper_id(page: Any, live: LiveServer, q: str) -> str:
    return str(page.request.get(f"{live.url}/api/search?q={quote(q)}&k=1").json()["hits"][0]["id"])


def every_page(page: Any, live: LiveServer) -> dict[str, str]:
    """Each kind of page, by name (a long-titled paper where one exists)."""
    long_id = page.request.get(f"{live.url}/api/venue/LONGCONF/2024").json()["list"]["hits"][0]["id"]
    return {
        "home": "/", "search": "/?q=diffusion", "search-filtered": "/?q=diffusion&venue=ICLR&year=2023",
        "paper": f"/paper/{long_id}", "paper-samples": f"/paper/{paper_id(page, live, 'diffusion')}",
        "related": f"/paper/{long_id}/related", "venues": "/venues", "venue": "/venue/ICLR/2023",
        "venue-long": "/venue/LONGCONF/2024", "venue-sorted": "/venue/TESTCONF/2024?sort=counter%3Ahf+upvotes&has_code=1",
        "author": "/author/Ada%20Lovelace", "author-long": "/author/Wolfeschlegelsteinhausenbergerdorff%20Hubert%20Blaine",
        "for-you": "/for-you", "library": "/library", "import": "/import", "api": "/api",
        "not-found": "/author/Nobody%20Atall",
    }


def weigh(page: Any, url: str) -> int:
    """Bytes of the HTML, CSS and JS the page loads, each fetched again uncached (a response the
    browser took from its cache has no body to count)."""
    loaded: set[str] = set()

    def on_request(request: Any) -> None:
        if request.resource_type in ("document", "stylesheet", "script"):
            loaded.add(request.url)

    page.on("request", on_request)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.remove_listener("request", on_request)
    return sum(len(page.request.get(u).body()) for u in sorted(loaded))


def background_luminance(page: Any, selector: str = "body") -> float:
    """Relative luminance (WCAG 2.x) of an element's computed background colour."""
    rgb = page.evaluate(f"getComputedStyle(document.querySelector({json.dumps(selector)})).backgroundColor")
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


# -- 390 px --------------------------------------------------------------------------------------------------
def test_no_page_scrolls_sideways_at_390px(page: Any, live: LiveServer) -> None:
    page.set_viewport_size(PHONE)
    wide = {}
    for name, path in every_page(page, live).items():
        page.goto(live.url + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > 391).slice(0, 3)
              .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
            wide[name] = (width, culprits)
        if name in ("search", "venue-sorted", "author", "paper"):
            shoot(page, f"mobile-{name}")
    assert wide == {}, wide
    assert problems(page, allowed=("/author/Nobody",)) == []  # the not-found page is a 404 itself


# Pages other parts of the UI add (watches, sources, trending, plan): the same rule, kept apart so
# that a failure here names the page, not the layout of the core pages above.
OTHER_PAGES = ("/watches", "/sources", "/trending", "/plan", "/plan?venue=ICLR&year=2023")


def test_the_other_pages_fit_at_390px(page: Any, live: LiveServer) -> None:
    page.set_viewport_size(PHONE)
    wide = {}
    for path in OTHER_PAGES:
        response = page.goto(live.url + path)
        assert response.status < 500, (path, response.status)
        page.wait_for_load_state("networkidle")
        if (width := page.evaluate("document.documentElement.scrollWidth")) > PHONE["width"]:
            wide[path] = width
    assert wide == {}, wide


def test_search_on_a_phone(page: Any, live: LiveServer) -> None:
    page.set_viewport_size(PHONE)
    page.goto(live.url + "/")
    box = page.locator("#q").bounding_box()
    assert box["width"] >= 300 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.locator("#q").fill("diffusion")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=diffusion*")
    first_result = page.locator("li.result").first.bounding_box()
    facets = page.locator("aside.facets").bounding_box()
    assert first_result["y"] < facets["y"], "results come before facets on a phone"
    assert first_result["y"] < PHONE["height"], "the first result shows without scrolling"
    page.set_viewport_size(DESKTOP)  # and beside them on a wide screen
    assert page.locator("aside.facets").bounding_box()["x"] < page.locator("li.result").first.bounding_box()["x"]


# -- dark theme --------------------------------------------------------------------------------------------------
def test_dark_theme_follows_the_system_setting(page: Any, live: LiveServer) -> None:
    page.set_viewport_size(DESKTOP)
    for scheme, dark in (("light", False), ("dark", True)):
        page.emulate_media(color_scheme=scheme)
        for path in ("/?q=diffusion", "/venue/TESTCONF/2024", "/author/Ada%20Lovelace"):
            page.goto(live.url + path)
            for selector in ("body", "header.top"):
                lum = background_luminance(page, selector)
                assert (lum < 0.05) if dark else (lum > 0.9), (scheme, path, selector, lum)
            text = page.evaluate("getComputedStyle(document.body).color")
            assert (text != "rgb(29, 35, 41)") if dark else (text == "rgb(29, 35, 41)"), (scheme, text)
    page.emulate_media(color_scheme="dark")
    page.goto(live.url + "/?q=diffusion")
    shoot(page, "dark-search")
    page.goto(live.url + "/venue/TESTCONF/2024")
    shoot(page, "dark-venue")
    page.set_viewport_size(PHONE)
    shoot(page, "dark-mobile-venue")
    page.emulate_media(color_scheme="light")
    assert problems(page) == []


# -- venue list and author pages by clicking ---------------------------------------------------------------------
def test_venue_list_sort_filter_and_click_through(page: Any, live: LiveServer) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(live.url + "/venue/TESTCONF/2024")
    assert page.locator(".venue-list li.result").count() == 5
    page.select_option("select[name=sort]", "counter:hf upvotes")  # submits itself (data-autosubmit)
    page.wait_for_url("**sort=counter*")
    assert page.locator(".venue-list li.result a.title").first.inner_text() == "Apple Orchards Of Gradients"
    page.check("input[name=has_code]")  # submits itself too
    page.wait_for_url("**has_code=1*")
    assert page.locator(".venue-list li.result a.title").all_inner_texts() == [
        "Mango Kernels For Graphs", "Zebra Stripes As Attention Maps", "Banana Diffusion Models At Scale"]
    page.click(".tracks a[data-track='Oral']")
    page.wait_for_url("**track=Oral*")
    assert page.locator(".venue-list li.result a.title").all_inner_texts() == ["Zebra Stripes As Attention Maps"]
    shoot(page, "venue-list")
    page.click(".chips a.chip:has-text('track')")
    page.wait_for_url(lambda url: "track=" not in url)
    assert page.locator(".venue-list li.result").count() == 3
    page.locator(".venue-list .authors a", has_text="Grace Hopper").first.click()
    page.wait_for_url("**/author/Grace%20Hopper")
    assert page.locator(".author-papers li.result").count() == 2
    page.goto(live.url + "/venue/ICLR/2023")
    assert page.locator(".venue-list li.result").count() == 20 and page.locator("nav.pager a[rel=next]").count() == 1
    shoot(page, "venue-iclr-2023")
    assert problems(page) == []


def test_author_page_by_clicking(page: Any, live: LiveServer) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(live.url + "/?q=zebra")
    page.locator("li.result .authors a", has_text="Féiqing Huang").click()
    page.wait_for_url("**/author/F%C3%A9iqing%20Huang")
    spellings = ("féiqing huang", "huang feiqing", "feiqing huang")
    mine = {r["title"] for r in RECORDS if any(a.lower() in spellings for a in r["authors"])}
    assert len(mine) == 3 and mine <= set(page.locator(".author-papers li.result a.title").all_inner_texts())
    assert page.locator(".coauthors li").first.inner_text().startswith("Ada Lovelace")
    shoot(page, "author")
    page.locator(".coauthors a", has_text="Ada Lovelace").click()
    page.wait_for_url("**/author/Ada%20Lovelace")
    assert page.locator(".author-papers li.result").count() == 3
    page.locator(".author-venues a", has_text="2024").first.click()
    page.wait_for_url("**/venue/*/2024")
    # the related list a paper page fetches links its authors too
    page.goto(live.url + "/?q=orchards")
    page.locator("li.result a.title").first.click()
    page.wait_for_selector("#related ol li a.author", timeout=20_000)
    name = page.locator("#related ol li a.author").first.inner_text()
    page.locator("#related ol li a.author").first.click()
    page.wait_for_selector(".author-papers li.result")
    assert page.inner_text("h1.author-name").startswith(name.split()[0]) or name in page.inner_text("main")
    assert problems(page) == []


def test_page_weights(page: Any, live: LiveServer) -> None:
    """HTML + CSS + JS bytes per page (KaTeX loads only on pages with maths); written for the report."""
    page.set_viewport_size(DESKTOP)
    weights = {name: weigh(page, live.url + path) for name, path in every_page(page, live).items()}
    SHOTS.parent.mkdir(parents=True, exist_ok=True)
    WEIGHTS.write_text(json.dumps(weights, indent=1, sort_keys=True) + "\n")
    print("\npage weights (bytes of HTML + CSS + JS):", json.dumps(weights, sort_keys=True))
    assert all(n > 1000 for n in weights.values()), weights  # every page loaded its HTML at least
    assert weights["venue"] < 200_000 and weights["author"] < 150_000, weights
