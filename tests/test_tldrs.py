"""TL;DRs of papers: the authors' own from a source, else extractive; exported in JSONL with
where each came from, and an extractive one read back is not taken for an author's."""

from __future__ import annotations

import io
import json
from pathlib import Path

from conftest import CatalogMaker

from paperatlas import Atlas, Filters
from paperatlas.services.catalog import export_papers
from paperatlas.services.ingest import ingest_paths
from paperatlas.services.tldrs import EXTRACTIVE, SOURCE, Tldr, source_tldr, tldrs
from paperatlas.settings import Settings

ABSTRACT = ("Transformers are widely used in many areas. In this paper we propose a sparse attention method for "
            "long documents. Experiments on three benchmarks show gains.")
CONTRIBUTION = "In this paper we propose a sparse attention method for long documents."


def test_the_first_authors_tldr_of_the_records_is_taken_whatever_its_key_is_called() -> None:
    extras = [("a.json", {"keywords note": "x"}), ("b.json", {"TL;DR": "  We make  attention sparse. "}),
              ("c.json", {"tldr": "Another one."})]
    assert source_tldr(extras) == Tldr("We make attention sparse.", SOURCE, "b.json")


def test_an_exported_extractive_tldr_read_back_is_not_an_authors() -> None:
    extras = [("export.jsonl", {"tldr": "A sentence we picked.", "tldr_source": "extractive"}),
              ("openreview.json", {"TL;DR": "The authors' words."})]
    assert source_tldr(extras) == Tldr("The authors' words.", SOURCE, "openreview.json")
    assert source_tldr(extras[:1]) is None


def test_a_long_source_tldr_is_cut_at_a_word_boundary() -> None:
    found = source_tldr([("a.json", {"tldr": "word " * 100})])
    assert found is not None and len(found.text) <= 300 and found.text.endswith("\u2026")
    assert "wor\u2026" not in found.text


def _listing(tmp_path: Path) -> Path:
    path = tmp_path / "listing.jsonl"
    rows = [{"title": "Sparse attention for long documents", "abstract": ABSTRACT, "venue": "ICLR", "year": 2024,
             "tldr": "Attention that skips most pairs."},
            {"title": "Sparse attention, again", "abstract": ABSTRACT, "venue": "ICLR", "year": 2024},
            {"title": "A paper with no abstract", "venue": "ICLR", "year": 2024}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _exported(atlas: Atlas) -> dict[str, dict[str, object]]:
    out = io.StringIO()
    export_papers(atlas, out, "jsonl")
    return {line["title"]: line for line in map(json.loads, out.getvalue().splitlines())}


def test_cards_get_the_source_tldr_or_the_contribution_sentence(atlas: Atlas, tmp_path: Path) -> None:
    ingest_paths(atlas, [_listing(tmp_path)])
    papers = {p.title: p for p in atlas.store.papers.list(Filters(), limit=10)}
    found = tldrs(atlas, papers.values())
    assert found[papers["Sparse attention for long documents"].id] == Tldr("Attention that skips most pairs.", SOURCE,
                                                                          "listing.jsonl")
    assert found[papers["Sparse attention, again"].id] == Tldr(CONTRIBUTION, EXTRACTIVE)
    assert papers["A paper with no abstract"].id not in found


def test_jsonl_export_carries_the_tldr_and_its_source_and_reads_back_the_same(
        atlas: Atlas, tmp_path: Path, settings: Settings, new_catalogs: CatalogMaker) -> None:
    ingest_paths(atlas, [_listing(tmp_path)])
    first = _exported(atlas)
    assert first["Sparse attention for long documents"]["tldr"] == "Attention that skips most pairs."
    assert first["Sparse attention for long documents"]["tldr_source"] == "source"
    assert first["Sparse attention, again"]["tldr"] == CONTRIBUTION
    assert first["Sparse attention, again"]["tldr_source"] == "extractive"
    assert first["A paper with no abstract"]["tldr"] is None and first["A paper with no abstract"]["tldr_source"] is None

    dump = tmp_path / "export.jsonl"
    dump.write_text("".join(json.dumps(line) + "\n" for line in first.values()), encoding="utf-8")
    with Atlas.open(new_catalogs.new(tmp_path), settings) as fresh:
        [report] = ingest_paths(fresh, [dump])
        assert report.ok, report.error
        again = _exported(fresh)
    assert {t: (line["tldr"], line["tldr_source"]) for t, line in again.items()} == \
        {t: (line["tldr"], line["tldr_source"]) for t, line in first.items()}



def test_cards_and_the_paper_page_show_the_tldr_and_whose_it_is(catalog_location: str | Path, tmp_path: Path,
                                                                settings: Settings) -> None:
    from starlette.testclient import TestClient

    from paperatlas.web import ServerOptions, create_app

    listing = _listing(tmp_path)
    rows = [json.loads(line) for line in listing.read_text(encoding="utf-8").splitlines()]
    rows[0]["tldr"] = "Attention that skips <b>most</b> pairs."  # listing text is escaped where shown
    listing.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with Atlas.open(catalog_location, settings) as atlas:
        ingest_paths(atlas, [listing])
        app = create_app(atlas, ServerOptions(allowed_hosts=("testserver",)))
        with TestClient(app, base_url="http://testserver") as client:
            hits = {h["title"]: h for h in client.get("/api/search", params={"q": "sparse attention"}).json()["hits"]}
            page = client.get("/", params={"q": "sparse attention"}).text
            first = hits["Sparse attention for long documents"]
            paper = client.get(f"/paper/{first['id']}").text
    assert (first["tldr"], first["tldr_source"]) == ("Attention that skips <b>most</b> pairs.", "source")
    assert (hits["Sparse attention, again"]["tldr"], hits["Sparse attention, again"]["tldr_source"]) == \
        (CONTRIBUTION, "extractive")
    assert '<p class="tldr src">Attention that skips &lt;b&gt;most&lt;/b&gt; pairs.</p>' in page
    assert f'<p class="tldr">{CONTRIBUTION}</p>' in page
    shown = "Attention that skips &lt;b&gt;most&lt;/b&gt; pairs."
    assert f'<p class="tldr src">{shown} <span class="from">(listing.jsonl)</span></p>' in paper
