"""Hostile listings cannot run script in the UI: every text field and URL of an ingested JSONL file
carries payloads; every page type is opened in Chromium and nothing may execute. A control page
that renders the same payloads raw must execute some, so this test can fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from _web_helpers import LiveServer, browser_context, build_seeded, shoot  # noqa: F401 (fixture)
from conftest import CatalogMaker

from paperatlas import Atlas, Settings
from paperatlas.services.ingest import ingest_paths

PAYLOADS = [
    '<script>window.__xss.push("script")</script>',
    "<img src=x onerror=\"window.__xss.push('img')\">",
    "<svg onload=\"window.__xss.push('svg')\"></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss.push('mathml')\">",
    '"><script>window.__xss.push("attribute-break")</script>',
    "'><img src=x onerror=alert('single-quote')>",
    '\\href{javascript:window.__xss.push("katex-text")}{click me}',
    '$\\href{javascript:alert("katex-math")}{x}$ and $\\url{javascript:alert(2)}$',
    "{{7*7}} {% if 1 %}jinja{% endif %}",
    "<a href=\"javascript:window.__xss.push('a')\" id=\"xss-link\">link</a>",
    "<iframe srcdoc=\"<script>parent.__xss.push('iframe')</script>\"></iframe>",
    '</textarea><script>window.__xss.push("textarea")</script>',
    "<details open ontoggle=\"window.__xss.push('details')\">",
]
HOOK = "window.__xss = [];"
SCAN = """() => {
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) { if (a.name.toLowerCase().startsWith('on')) out.push(el.tagName + '[' + a.name + ']'); }
    if (el.tagName === 'SCRIPT' && !(el.getAttribute('src') || '').startsWith('/static/')) out.push('script');
    if (['IFRAME', 'OBJECT', 'EMBED', 'MGLYPH'].includes(el.tagName)) out.push(el.tagName);
    const href = (el.getAttribute('href') || '/').trim();
    if (el.tagName === 'A' && !/^(https?:|\\/|#|\\?)/i.test(href)) out.push('link ' + el.getAttribute('href'));
    if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') out.push('img');
  }
  return out;
}"""


def hostile_records() -> list[dict[str, Any]]:
    return [
        {
            "title": f"Hostile {i} {p}",
            "authors": [f"Eve {p}", "Mallory O'Neil"],
            "abstract": f"We study $x_{i}^2$ hostile {i} {p} and more words about {p}",
            "venue": f"VEN{i} {p}", "year": 2024, "track": f"Oral {p}", "session": f"Session {p}",
            "keywords": [p, "ok"],
            "pdf_url": f"javascript:window.__xss.push('pdf{i}')", "url": "javascript:alert('site')",
            "code": "javascript:alert('code')", "doi": f"10.1/{p}",
            "github": f"https://github.com/x/y{i}\" onmouseover=\"window.__xss.push('href')",
        }
        for i, p in enumerate(PAYLOADS)
    ]


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in hostile_records()))
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, hostile_file: Path, catalogs: CatalogMaker) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("xss")
    settings = Settings(home=folder / "home")
    db = build_seeded(catalogs.new(folder), settings)
    with Atlas.open(db, settings) as atlas:
        report = ingest_paths(atlas, [hostile_file])[0]
        assert report.ok and report.found == len(PAYLOADS) and report.new == len(PAYLOADS), report
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


def assert_inert(page: Any, what: str) -> None:
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") == [], what
    assert page.dialogs == [], what
    assert page.evaluate(SCAN) == [], what
    refused = [p for p in page.problems if "Content Security Policy" in p or "Refused" in p]
    assert refused == [], f"{what}: markup reached the page and only CSP stopped it: {refused}"


def csrf_headers(page: Any, live: LiveServer) -> dict[str, str]:
    page.goto(live.url + "/library")
    return {"X-CSRF-Token": page.get_attribute('meta[name="csrf-token"]', "content"), "Origin": live.url}


def hostile_ids(page: Any, live: LiveServer) -> list[str]:
    hits = page.request.get(live.url + "/api/search?q=hostile&k=50").json()["hits"]
    by_number = {int(h["title"].split()[1]): h["id"] for h in hits if h["title"].startswith("Hostile ")}
    assert sorted(by_number) == list(range(len(PAYLOADS)))
    return [by_number[i] for i in range(len(PAYLOADS))]  # ids[i] carries PAYLOADS[i]


def test_control_page_executes_the_payloads(page: Any) -> None:
    page.goto("about:blank")
    page.set_content("<!doctype html><body>" + "\n".join(PAYLOADS) + "</body>")
    page.wait_for_timeout(300)
    executed = page.evaluate("window.__xss") + page.dialogs
    assert len(executed) >= 3, "the payloads must be live when rendered raw, or this test proves nothing"


def test_search_results_and_facets(page: Any, live: LiveServer) -> None:
    for query in ("hostile", "<script>", "onerror img", '"><script>'):
        page.goto(live.url + "/?q=" + query.replace("#", "%23"))
        assert page.locator("li.result").count() > 0, query
        assert_inert(page, f"search {query!r}")
    venue = page.locator('.facet[data-facet="venue"] li a').first
    venue.click()
    assert_inert(page, "search narrowed by a hostile venue facet")
    page.goto(live.url + "/?track=" + "Oral <script>window.__xss.push(\"script\")</script>")
    assert_inert(page, "search with a hostile filter chip")
    # a note that quotes the query back (a typed year filter that is not a year)
    typed = "hostile year:<img/src=x/onerror=window.__xss.push('note')>"
    page.goto(live.url + "/?" + urlencode({"q": typed}))
    assert "year:<img/src=x/onerror=window.__xss.push('note')>" in " ".join(page.locator(".note").all_inner_texts())
    assert_inert(page, "search with a note quoting a hostile query")


def test_every_paper_page_and_related(page: Any, live: LiveServer) -> None:
    ids = hostile_ids(page, live)
    for pid in ids:
        page.goto(f"{live.url}/paper/{pid}")
        page.wait_for_selector(".abstract .katex")  # KaTeX ran over the hostile abstract
        assert_inert(page, f"paper {pid}")
    page.goto(f"{live.url}/paper/{ids[8]}")
    assert "{{7*7}}" in page.inner_text("h1") and "49" not in page.inner_text("h1")
    shoot(page, "xss-paper")
    page.goto(f"{live.url}/paper/{ids[0]}/related")
    assert_inert(page, "related page")
    page.goto(live.url + "/paper/%3Cscript%3Ewindow.__xss.push(1)%3C%2Fscript%3E")
    assert_inert(page, "error page naming a hostile id")


def test_venues_pages(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/venues")
    assert_inert(page, "venues")
    for i in (0, 1, 4):
        page.goto(live.url + "/venues")
        page.locator("table.venues a", has_text=re.compile(rf"^VEN{i}\s")).click()
        page.wait_for_selector("section.tracks")
        assert_inert(page, f"venue page of VEN{i}")


def test_library_after_starring_tagging_noting(page: Any, live: LiveServer) -> None:
    headers = csrf_headers(page, live)
    for i, pid in enumerate(hostile_ids(page, live)):
        base = f"{live.url}/api/library"
        assert page.request.post(f"{base}/star/{pid}", headers=headers).ok
        assert page.request.post(f"{base}/tags/{pid}", headers=headers, data={"tag": PAYLOADS[i][:64]}).ok
        assert page.request.put(f"{base}/note/{pid}", headers=headers, data={"body": PAYLOADS[i]}).ok
        assert page.request.post(f"{base}/lists", headers=headers, data={"name": f"L{i} {PAYLOADS[i]}"[:120], "paper_id": pid}).ok
    page.goto(live.url + "/library")
    assert page.locator(".starred li.result").count() == len(PAYLOADS)
    assert_inert(page, "library")
    page.goto(f"{live.url}/paper/{hostile_ids(page, live)[11]}")  # the note with </textarea> in it
    assert page.input_value('textarea[name="body"]') == PAYLOADS[11]
    assert_inert(page, "paper page with a hostile note, tags and lists")
    md = page.request.get(live.url + "/api/library/export?format=markdown").text()
    targets = re.findall(r"(?<!\\)\]\(([^)]*)\)", md)  # Markdown link targets (unescaped "](")
    assert all(t.startswith("https://") for t in targets), targets
    assert "<script>" not in md and "\\<script\\>" in md


def test_import_report(page: Any, live: LiveServer, hostile_file: Path) -> None:
    page.goto(live.url + "/import")
    page.fill("#text", hostile_file.read_text() + '{"title": ""}\n{oops<script>window.__xss.push("warn")</script>\n')
    page.fill('input[name="name"]', '<img src=x onerror="window.__xss.push(\'name\')">.jsonl')
    page.click("#import-submit")
    page.wait_for_selector("#report")
    assert_inert(page, "import report")
