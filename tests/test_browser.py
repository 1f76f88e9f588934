"""The UI in a real headless Chromium (Debian's ``chromium`` package) driven by Playwright: search,
facets, keyboard, KaTeX, star, export, import. Screenshots go to ``bench/out/screenshots/``.

The browser must be installed (``apt-get install chromium``); without it these tests fail
(never skip), so a CI image that lacks it is noticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _web_helpers import SAMPLES, SHOTS, LiveServer, browser_context, build_seeded, shoot  # noqa: F401 (fixture)
from conftest import CatalogMaker

from paperatlas import Atlas, Settings


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    settings = Settings(home=folder / "home")
    db = build_seeded(catalogs.new(folder), settings)
    with Atlas.open(db, settings) as atlas:
        server = LiveServer(atlas)
        yield server
        server.stop()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:  # noqa: F811
    page = browser_context.new_page()
    page.problems = []  # console errors (CSP violations, script errors) and page errors
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    yield page
    page.close()


def api(page: Any, live: LiveServer, path: str) -> Any:
    return page.request.get(live.url + path).json()


# -- flows -----------------------------------------------------------------------------------------------
def test_search_filter_keyboard_star_open(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("diffusion")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=diffusion*")
    assert page.locator("li.result").count() > 3
    assert page.locator("li.result .snippet mark").count() > 0
    shoot(page, "search")

    venue = page.locator('.facet[data-facet="year"] li a').first
    value = venue.get_attribute("data-value")
    venue.click()
    page.wait_for_url(f"**year={value}*")
    assert page.locator(".chips .chip").first.inner_text().startswith(f"year: {value}")
    assert int(page.inner_text("#total")) == len(page.locator("li.result").all()) or int(page.inner_text("#total")) > 20
    shoot(page, "search-filtered")

    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    first = page.locator("li.result").first
    assert "selected" in (first.get_attribute("class") or "")
    pid = first.get_attribute("data-id")
    page.keyboard.press("s")
    page.wait_for_selector(f'li.result[data-id="{pid}"] button.star[aria-pressed="true"]')
    assert pid in [p["id"] for p in api(page, live, "/api/library")["starred"]]
    page.keyboard.press("o")
    page.wait_for_url(f"**/paper/{pid}")
    assert page.locator("button.star.on").count() == 1
    page.wait_for_selector("#related ol li", timeout=20_000)  # fetched after the page showed
    shoot(page, "paper")
    assert page.problems == []


def test_paper_maths_copy_tag_note(page: Any, live: LiveServer) -> None:
    pid = api(page, live, "/api/search?q=preconditioner")["hits"][0]["id"]
    page.goto(f"{live.url}/paper/{pid}")
    page.wait_for_selector(".abstract .katex")
    assert page.locator(".abstract .katex").count() >= 1
    assert "\\boldsymbol" not in page.inner_text(".abstract")  # rendered, not raw
    page.click("#copy-bibtex")
    # a selector, not wait_for_function: its polling evaluates a string, which the page's CSP
    # (no 'unsafe-eval') refuses whenever the first check comes before the copy finished
    page.wait_for_selector("#copy-bibtex:text-is('Copied')")
    page.fill('input[name="tag"]', "Must Read")
    page.click('form.row-form button[type="submit"]')
    page.wait_for_selector('.tags .tag:has-text("must read")')
    page.fill('textarea[name="body"]', "compare with Shampoo")
    page.click('.note-form button[type="submit"]')
    page.wait_for_selector('.note-form .status:has-text("saved")')
    assert api(page, live, f"/api/paper/{pid}")["library"]["note"] == "compare with Shampoo"
    page.keyboard.press("s")  # on a paper page, s stars the paper itself
    page.wait_for_selector('button.star[aria-pressed="true"]')
    shoot(page, "paper-maths")
    assert page.problems == []


def test_library_export_starred_as_bibtex(page: Any, live: LiveServer) -> None:
    pids = [h["id"] for h in api(page, live, "/api/search?venue=ICLR&k=2")["hits"]]
    token = None
    page.goto(live.url + "/library")
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    for pid in pids:
        r = page.request.post(f"{live.url}/api/library/star/{pid}", headers={"X-CSRF-Token": token, "Origin": live.url})
        assert r.ok
    page.reload()
    assert page.locator(".starred li.result").count() >= 2
    shoot(page, "library")
    with page.expect_download() as info:
        page.click('.starred .exports a:text-is("bibtex")')
    download = info.value
    assert download.suggested_filename == "starred-papers.bib"
    text = Path(download.path()).read_text()
    assert text.count("@inproceedings{") >= 2
    assert page.problems == []


def test_venues_pages(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/venues")
    shoot(page, "venues")
    page.click('a:text-is("ICLR") >> nth=0')
    page.wait_for_url("**/venue/ICLR/**")
    assert page.locator(".present").count() >= 1
    shoot(page, "venue")
    assert page.problems == []


def test_paste_to_ingest(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/import")
    page.fill("#text", (SAMPLES / "003_3626c9e8004709cb.txt").read_text())
    page.fill('input[name="name"]', "notable-top-5.txt")
    page.click("#import-submit")
    page.wait_for_selector("#report")
    assert "25 of 91 present" in page.inner_text(".completeness")
    assert page.inner_text("code.format") == "paperscool"
    shoot(page, "import")
    assert page.problems == []


def test_screenshots_exist() -> None:
    names = ["search", "search-filtered", "paper", "paper-maths", "library", "venues", "venue", "import"]
    for name in names:
        path = SHOTS / f"{name}.png"
        assert path.exists() and path.stat().st_size > 10_000, path
