"""A shared server in a real browser (Chromium, issue 15): an anonymous visitor reads only; a
user signs in once with their token at /login, stars a paper into their own library through the
page's own form (CSRF token and same-origin POST as the browser sends them), and is anonymous
again after the token is revoked. Screenshot: bench/out/screenshots/login.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _catalog_helpers import jsonl_file
from _web_helpers import LiveServer, browser_context, shoot  # noqa: F401 (fixture)

from paperatlas import Atlas, Settings
from paperatlas.services import users
from paperatlas.services.ingest import ingest_paths
from paperatlas.web import ServerOptions


@pytest.fixture
def shared(tmp_path: Path, catalog_location: str | Path) -> Iterator[tuple[LiveServer, Atlas]]:
    settings = Settings(home=tmp_path / "home")
    with Atlas.open(catalog_location, settings) as atlas:
        ingest_paths(atlas, [jsonl_file(tmp_path / "papers.jsonl", 5)])
        atlas.settle(60)
        server = LiveServer(atlas, ServerOptions(shared=True, token="owner-secret"))
        server.server.config.app.state.sessions.cache_s = 0  # a revocation counts at once
        yield server, atlas
        server.stop()


def test_sign_in_star_into_your_own_library_and_lose_it_on_revoke(shared: tuple[LiveServer, Atlas],
                                                                    browser_context: Any) -> None:  # noqa: F811
    server, atlas = shared
    ada, token = users.add_user(atlas, "ada")
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(server.url + "/")
    assert page.locator(".star-form").count() == 0  # read-only: no star buttons
    page.click("text=sign in")
    assert page.url.endswith("/login?next=/")
    page.fill("input[name=token]", "pa_wrong")
    page.click("button:has-text('Sign in')")
    assert "wrong or revoked token" in page.inner_text("main")
    page.fill("input[name=token]", token)
    shoot(page, "login")
    page.click("button:has-text('Sign in')")
    page.wait_for_url(server.url + "/")
    assert "ada" in page.inner_text("footer")
    first = page.locator(".star-form button").first
    paper_id = first.get_attribute("data-id")
    first.click()
    page.wait_for_selector(f".star-form button.on[data-id='{paper_id}']")
    assert atlas.for_user(ada.id).library.starred_ids() == [paper_id]
    assert atlas.library.starred_ids() == []  # the owner's library is untouched
    page.goto(server.url + "/library")
    assert paper_id in page.content()
    users.revoke_user(atlas, "ada")
    page.goto(server.url + "/library")
    assert "sign in" in page.inner_text("footer") and page.locator(".star-form").count() == 0
    assert problems == []
    page.close()
