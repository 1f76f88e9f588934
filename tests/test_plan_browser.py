"""The plan page in a real headless Chromium (as tests/test_browser.py): no CSP violations or
script errors, the print stylesheet hides the site's chrome and keeps the plan, no sideways
scroll at 390 px. Screenshots: ``bench/out/screenshots/plan*.png``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _web_helpers import LiveServer, browser_context, shoot  # noqa: F401 (fixture)
from conftest import CatalogMaker

from paperatlas import Atlas, Filters, Settings
from paperatlas.services import library
from paperatlas.services import plan as service
from paperatlas.services.ingest import ingest_paths

DATA = Path(__file__).parent / "data" / "programme"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("plan-live")
    settings = Settings(home=folder / "home")
    with Atlas.open(catalogs.new(folder), settings) as atlas:
        ingest_paths(atlas, [DATA / "iclr2023_papers.jsonl"])
        ids = {p.title.split()[0]: p.id for p in atlas.store.papers.list(Filters(venue="ICLR", year=2023), limit=None)}
        service.import_programme(atlas, DATA / "iclr2023_programme.csv", "ICLR", 2023, tz="Africa/Kigali")
        library.create_list(atlas, "mine", [ids["Diffusion"], ids["A"], ids["Robust"]])
        library.star(atlas, ids["Graph"])
        server = LiveServer(atlas)
        yield server
        server.stop()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:  # noqa: F811
    page = browser_context.new_page()
    page.problems = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    yield page
    page.close()


def test_plan_page_screen_print_and_mobile(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/plan?venue=ICLR&year=2023&list=mine")
    sessions = page.locator(".plan-session h2").all_inner_texts()
    assert sessions[:3] == ["Poster Session 1", "Poster Session 2", "Poster Session 3"]
    assert page.locator(".plan-session.clash").count() == 2  # sessions 1 and 2 overlap, each with your papers
    assert page.locator(".plan-session").nth(1).locator(".board").all_inner_texts()[:2] == ["A7", "B1"]
    shoot(page, "plan")
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator(".plan-actions").is_hidden()
    assert page.locator(".plan-session").first.is_visible()
    shoot(page, "plan-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "plan-mobile")
    assert page.problems == []
