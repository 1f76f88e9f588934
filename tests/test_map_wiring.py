"""The topic map wired in: the stored maps index, ``paperatlas map`` (text, --json, --html) and
``/api/map/{venue}/{year}`` with the venue page's partial.

Real catalog files of the bundled samples (ICLR 2021: 122 papers), vectors from the model-free
``hashing`` embedder (the map does not care where vectors come from), a live server on loopback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _web_helpers import LiveServer, browser_context, build_seeded, shoot  # noqa: F401 (fixture)
from click.testing import CliRunner
from conftest import CatalogMaker

from paperatlas import Atlas, Settings
from paperatlas.cli import cli
from paperatlas.errors import EmbedderUnavailable, InvalidInput, NotFound
from paperatlas.ingest import Overrides
from paperatlas.maps.html import script_json, standalone_html
from paperatlas.services import library, maps
from paperatlas.services.ingest import ingest_bytes

ICLR_2021 = 122  # papers of ICLR 2021 in the bundled samples


def hashing(home: Path) -> Settings:
    return Settings(home=home, embedder="hashing")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> str | Path:
    """The sample catalog with every paper embedded (hashing embedder), closed."""
    folder = tmp_path_factory.mktemp("maps")
    path = build_seeded(catalogs.new(folder), hashing(folder / "home"))
    with Atlas.open(path, hashing(folder / "home")) as atlas:
        atlas.indexes.sync_vectors()
        assert atlas.indexes.coverage() == 1.0
    return path


@pytest.fixture
def catalog(seeded: str | Path, tmp_path: Path, catalogs: CatalogMaker) -> Iterator[str | Path]:
    copy = catalogs.copy(seeded, tmp_path)
    yield copy
    catalogs.drop(copy)


@pytest.fixture
def atlas(catalog: str | Path, tmp_path: Path) -> Iterator[Atlas]:
    with Atlas.open(catalog, hashing(tmp_path / "home")) as opened:
        yield opened


def ingest_one(atlas: Atlas, title: str, venue: str = "ICLR", embed: bool = True) -> None:
    record = {"title": title, "abstract": "A study of protein folding with graph networks.", "authors": ["Ada Lovelace"]}
    data = (json.dumps(record) + "\n").encode()
    report = ingest_bytes(atlas, f"{title}.jsonl", data, overrides=Overrides(venue=venue, year=2021))
    assert report.ok, report
    if embed:
        atlas.indexes.sync_vectors()


# -- the derived index ---------------------------------------------------------------------------------
def test_a_venue_map_is_built_once_and_read_back_while_the_papers_stay(atlas: Atlas, catalog: str | Path,
                                                                       tmp_path: Path) -> None:
    first = maps.venue_map(atlas, "ICLR", 2021)
    assert first.built and len(first.map.points) == ICLR_2021 and first.missing == 0
    again = maps.venue_map(atlas, "ICLR", 2021)
    assert not again.built and again.map.to_json() == first.map.to_json()
    assert [c.top for c in again.map.clusters] == [c.top for c in first.map.clusters]
    # another process (a new Atlas on the same catalog, on this machine) reads the stored map too
    with Atlas.open(catalog, hashing(tmp_path / "home")) as other:
        stored = maps.stored_venue_map(other, "ICLR", 2021)
        assert stored is not None and stored.map.to_json() == first.map.to_json()
    assert atlas.store.index_folder is not None
    assert len(list((atlas.store.index_folder / "maps").glob("*.json"))) == 1


def test_a_new_paper_in_the_venue_builds_the_map_again(atlas: Atlas) -> None:
    before = maps.venue_map(atlas, "ICLR", 2021)
    ingest_one(atlas, "Folding proteins with message passing")
    assert maps.stored_venue_map(atlas, "ICLR", 2021) is None  # the stored one is for the old set
    after = maps.venue_map(atlas, "ICLR", 2021)
    assert after.built and len(after.map.points) == ICLR_2021 + 1 and after.key != before.key
    assert not maps.venue_map(atlas, "ICLR", 2021).built


def test_a_paper_of_another_venue_does_not_touch_the_map(atlas: Atlas) -> None:
    maps.venue_map(atlas, "ICLR", 2021)
    ingest_one(atlas, "Elsewhere", venue="NeurIPS")
    assert not maps.venue_map(atlas, "ICLR", 2021).built


def test_map_of_any_set_and_the_papers_without_a_vector(atlas: Atlas) -> None:
    ids = sorted(atlas.store.papers.ids_matching(maps.Filters(venue="ICLR", year=2021)))[:30]
    result = maps.map_of(atlas, list(reversed(ids)))
    assert sorted(p.id for p in result.map.points) == ids and result.built
    stored = atlas.store.papers.by_ids(ids)
    assert {pid: info["title"] for pid, info in result.papers.items()} == {pid: stored[pid].title for pid in ids}
    # a paper added but not embedded yet is left off, and the notes say so
    ingest_one(atlas, "Not embedded yet", embed=False)
    result = maps.venue_map(atlas, "ICLR", 2021)
    assert result.missing == 1 and len(result.map.points) == ICLR_2021
    assert any("1 of 123 papers have no vector yet" in note for note in result.map.notes)


def test_bad_requests_are_named(atlas: Atlas, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotFound, match="no papers of Nowhere 2021"):
        maps.venue_map(atlas, "Nowhere", 2021)
    with pytest.raises(InvalidInput, match="needs a venue"):
        maps.venue_map(atlas, None, 2021)
    with pytest.raises(NotFound, match="'nope' is not in the catalog"):
        maps.map_of(atlas, ["nope"])
    real = maps.importlib.util.find_spec
    monkeypatch.setattr(maps.importlib.util, "find_spec", lambda name, *a: None if name == "openTSNE" else real(name, *a))
    with pytest.raises(EmbedderUnavailable, match="openTSNE") as caught:
        maps.venue_map(atlas, "ICLR", 2021)
    assert "paperatlas[maps]" in caught.value.hint


# -- the command ---------------------------------------------------------------------------------------
def run(catalog: str | Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["map", "--db", str(catalog), *args], env={"PAPERATLAS_EMBEDDER": "hashing"},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_json_has_exactly_the_documented_shape(catalog: str | Path) -> None:
    data = json.loads(run(catalog, "--venue", "ICLR", "--year", "2021", "--json"))
    assert set(data) == {"method", "clusters", "points"}
    assert all(set(c) == {"id", "label", "size", "parent"} for c in data["clusters"])
    assert all(set(p) == {"id", "x", "y", "cluster"} for p in data["points"]) and len(data["points"]) == ICLR_2021
    assert data["method"]["seed"] == 0 and data["method"]["vectors"] == "hashing+title30"
    again = run(catalog, "--venue", "ICLR", "--year", "2021", "--json")  # the stored map, byte for byte
    assert again == json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_cli_text_lists_topics_and_says_when_the_map_was_stored(catalog: str | Path) -> None:
    assert "built now" in run(catalog, "--venue", "ICLR", "--year", "2021")
    text = run(catalog, "--venue", "ICLR", "--year", "2021")
    assert f"{ICLR_2021} papers" in text and "stored map" in text
    assert re.search(r"^\s+1\s+\d+\s+\S", text, re.M)


def test_cli_unknown_venue_fails_with_a_hint(catalog: str | Path) -> None:
    result = CliRunner().invoke(cli, ["map", "--db", str(catalog), "--venue", "Nowhere", "--year", "2021"],
                                env={"PAPERATLAS_EMBEDDER": "hashing"})
    assert result.exit_code == 1 and "no papers of Nowhere 2021" in result.output


def test_cli_html_is_one_offline_file(catalog: str | Path, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    run(catalog, "--venue", "ICLR", "--year", "2021", "--html", str(out))
    page = out.read_text(encoding="utf-8")
    data_block = re.search(r'<script type="application/json" class="pa-map-data">(.*?)</script>', page, re.S)
    assert data_block is not None
    data = json.loads(data_block.group(1))
    assert len(data["points"]) == ICLR_2021 and len(data["papers"]) == ICLR_2021
    rest = page.replace(data_block.group(0), "")
    # nothing to fetch: no URL at all outside the data, no src/href/import pointing anywhere
    assert not re.search(r"https?://", rest) and not re.search(r"\bsrc=", rest) and "<link" not in rest and "@import" not in rest
    assert "default-src 'none'" in rest  # and the page forbids fetching, should a URL slip in
    assert "openreview.net" in data_block.group(1)  # a click opens the paper's own page


def test_html_escapes_every_title() -> None:
    evil = '</script><script>alert(1)</script><!--'
    data = {"method": {}, "clusters": [{"id": "1", "label": evil, "size": 1, "parent": None}],
            "points": [{"id": "a", "x": 0.0, "y": 0.0, "cluster": "1"}], "papers": {"a": {"title": evil}}}
    page = standalone_html(data, evil)
    assert "<script>alert" not in page and "<!--" not in page
    assert page.count("</script>") == 2  # the data block's and map.js's own
    assert json.loads(script_json(data)) == data


# -- the web -------------------------------------------------------------------------------------------
def test_api_serves_the_map_and_the_venue_page_draws_it(catalog: str | Path, tmp_path: Path) -> None:
    atlas = Atlas.open(catalog, hashing(tmp_path / "home"))
    server = LiveServer(atlas)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            response = client.get("/api/map/ICLR/2021")
            assert response.status_code == 200, response.text
            data = response.json()
            assert {"available", "method", "clusters", "points", "notes", "papers"} <= set(data) and data["available"]
            assert len(data["points"]) == ICLR_2021
            topics = [c for c in data["clusters"] if c["parent"] is None]
            assert all(c["top"] and set(c["top"]) <= set(data["papers"]) for c in topics)
            assert client.get("/api/map/ICLR/2021").json() == data  # the stored map
            assert data["starred"] == [] and data["recommended"] == []  # nothing starred yet
            starred_id = data["points"][0]["id"]
            library.star(atlas, starred_id)
            marked = client.get("/api/map/ICLR/2021").json()
            assert marked["starred"] == [starred_id]  # colour by library: your stars on the map
            assert set(marked["recommended"]) <= {p["id"] for p in marked["points"]} - {starred_id}
            assert marked["recommended"], "the starred paper recommends others of the venue"
            missing = client.get("/api/map/Nowhere/2021")
            assert missing.status_code == 404 and "no papers of Nowhere" in missing.json()["error"]["message"]
            # a venue whose papers have no vector yet: no map, and what to run (a 200: the page is fine)
            ingest_one(atlas, "Unembedded", venue="NEWCONF", embed=False)
            pending = client.get("/api/map/NEWCONF/2021")
            assert pending.status_code == 200 and pending.json()["available"] is False
            assert "paperatlas index" in pending.json()["hint"]
            page = client.get("/venue/ICLR/2021").text
            assert 'data-api="/api/map/ICLR/2021"' in page and '<script src="/static/map.js" defer>' in page
            assert client.get("/static/map.js").status_code == 200 and client.get("/static/map.css").status_code == 200
            assert any(p["path"] == "/api/map/{venue}/{year}" or "/api/map/" in p["path"]
                       for p in [{"path": k} for k in client.get("/api/openapi.json").json()["paths"]])
    finally:
        server.stop()
        atlas.close()


# -- the page in a browser -----------------------------------------------------------------------------
def test_the_venue_page_draws_the_map_and_its_tools_work(catalog: str | Path, tmp_path: Path, browser_context: Any) -> None:  # noqa: F811
    atlas = Atlas.open(catalog, hashing(tmp_path / "home"))
    server = LiveServer(atlas)
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url + "/venue/ICLR/2021")
        page.wait_for_selector(f'.pa-map[data-ready="{ICLR_2021}"]', timeout=120_000)
        painted = page.evaluate("""() => { const c = document.querySelector('.pa-map-canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
        assert painted > ICLR_2021 * 4  # every paper a dot of several pixels
        topics = page.locator(".pa-map-topic-item")
        assert topics.count() >= 2 and "papers" in topics.first.inner_text()
        shoot(page, "map-venue")
        data = page.evaluate("() => fetch('/api/map/ICLR/2021').then(r => r.json())")
        paper_id = data["points"][0]["id"]
        title = data["papers"][paper_id]["title"]
        page.locator(".pa-map-canvas").scroll_into_view_if_needed()  # the whole canvas in the viewport
        box = page.locator(".pa-map-canvas").bounding_box()
        x, y = page.evaluate(f"() => document.querySelector('.pa-map').paMapScreen({json.dumps(paper_id)})")
        # hover: the title
        page.mouse.move(box["x"] + x, box["y"] + y)
        assert page.locator(".pa-map-tip").is_visible() and title[:30] in page.locator(".pa-map-tip").inner_text()
        # search lights up matches
        word = max(re.findall(r"[A-Za-z]{6,}", title), key=len)
        page.fill(".pa-map-search", word.lower())
        expected = sum(word.lower() in (info["title"] + " " + " ".join(info["authors"])).lower()
                       for info in data["papers"].values())
        assert page.locator(".pa-map-found").inner_text() == f"{expected} match{'' if expected == 1 else 'es'}"
        page.fill(".pa-map-search", "")
        # shift+drag over the whole canvas lists every paper
        page.keyboard.down("Shift")
        page.mouse.move(box["x"] + 2, box["y"] + 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2, steps=5)
        page.mouse.up()
        page.keyboard.up("Shift")
        assert page.locator(".pa-map-picked h3").inner_text() == f"{ICLR_2021} papers in the box"
        # colour by track, by library, back to topic: repainted without errors
        for how in ("track", "library", "topic"):
            page.select_option(".pa-map-by", how)
        # click opens the paper
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_url(f"**/paper/{paper_id}")
        assert not errors, errors
    finally:
        page.close()
        server.stop()
        atlas.close()


def test_the_offline_file_draws_without_a_server(catalog: str | Path, tmp_path: Path, browser_context: Any) -> None:  # noqa: F811
    out = tmp_path / "map.html"
    run(catalog, "--venue", "ICLR", "--year", "2021", "--html", str(out))
    page = browser_context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(out.as_uri())
        page.wait_for_selector(f'.pa-map[data-ready="{ICLR_2021}"]')
        assert requests == [out.as_uri()]  # nothing fetched but the file itself
        shoot(page, "map-offline")
    finally:
        page.close()
