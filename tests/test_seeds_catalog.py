"""The five seed listings end to end: 713 records, 705 papers, the 8 known cross-file merges."""

from __future__ import annotations

from pathlib import Path

from _catalog_helpers import phrase_papers

from paperatlas import Atlas, Filters
from paperatlas.services.ingest import ingest_paths


def test_seeds_make_705_papers_with_8_cross_file_merges(atlas: Atlas, seed_paths: list[Path]) -> None:
    reports = ingest_paths(atlas, seed_paths)
    assert [r.error for r in reports] == [None] * 5
    assert sum(r.found for r in reports) == 713
    assert atlas.store.papers.count(Filters()) == 705
    by_file = {Path(r.path).name[:3]: r for r in reports}
    assert by_file["000"].claimed_total == 693
    assert by_file["000"].completeness == "25 of 693 present: the copy is truncated"
    assert by_file["003"].completeness == "25 of 91 present: the copy is truncated"
    assert sum(r.merged for r in reports) == 8
    multi = [p for p in atlas.store.papers.iter(Filters()) if len({s.file for s in p.sources}) > 1]
    pairs = sorted(tuple(sorted(s.file[:3] for s in p.sources)) for p in multi)
    assert pairs == [("000", "002")] * 3 + [("001", "003")] * 5


def test_same_title_different_abstracts_stay_two_papers(atlas: Atlas, seed_paths: list[Path]) -> None:
    ingest_paths(atlas, seed_paths)
    nlrl = phrase_papers(atlas, "Natural Language Reinforcement Learning")
    same_title = [p for p in nlrl if p.title == "Natural Language Reinforcement Learning"]
    assert len(same_title) == 2
    assert same_title[0].abstract != same_title[1].abstract


def test_reingest_changes_nothing(atlas: Atlas, seed_paths: list[Path]) -> None:
    ingest_paths(atlas, seed_paths)
    before = [(p.id, p.title, p.abstract, len(p.sources)) for p in atlas.store.papers.iter(Filters())]
    again = ingest_paths(atlas, seed_paths)
    assert [(r.new, r.merged, r.updated) for r in again] == [(0, 0, 0)] * 5
    assert [r.unchanged for r in again] == [r.found for r in again]
    assert [(p.id, p.title, p.abstract, len(p.sources)) for p in atlas.store.papers.iter(Filters())] == before


def test_merged_paper_keeps_both_sources_and_where_each_field_came_from(atlas: Atlas, seed_paths: list[Path]) -> None:
    ingest_paths(atlas, seed_paths)
    [paper] = phrase_papers(atlas, "Encoding Recurrence into Transformers")
    assert {s.format for s in paper.sources} == {"iclr_virtual", "paperscool"}
    assert paper.counters == {"papers.cool PDF": 7, "papers.cool Kimi": 12}
    assert paper.session == "Poster Session 6"
    assert paper.field_sources["session"].format == "iclr_virtual"
    assert paper.track and paper.track.lower() == "notable-top-5%"
    assert paper.field_sources["track"].format == "paperscool"
    assert paper.authors[0] == "Feiqing Huang" and len(paper.authors) == 7


def test_papers_cool_counters_and_code_link_are_kept(atlas: Atlas, seed_paths: list[Path]) -> None:
    ingest_paths(atlas, seed_paths)
    [paper] = phrase_papers(atlas, "Ramanujan")
    assert paper.title == "REVISITING PRUNING AT INITIALIZATION THROUGH THE LENS OF RAMANUJAN GRAPH"
    assert paper.counters == {"papers.cool PDF": 60, "papers.cool Kimi": 203}
    assert any(u.startswith("https://github.com/VITA-G") for u in paper.code_urls)


def test_abstract_only_record_merges_into_titled_paper(atlas: Atlas, seed_paths: list[Path]) -> None:
    ingest_paths(atlas, seed_paths)
    [paper] = phrase_papers(atlas, "Consistent Contrast for Unsupervised")
    assert paper.title == "CO2: Consistent Contrast for Unsupervised Visual Representation Learning"
    assert sorted(s.format for s in paper.sources) == ["abstracts", "hf_viewer"]
    assert paper.field_sources["title"].format == "hf_viewer"
    assert paper.ids["openreview"]


def test_code_url_found_in_latex_url_of_abstract_only_record(atlas: Atlas, seed_paths: list[Path]) -> None:
    ingest_paths(atlas, seed_paths)
    [paper] = phrase_papers(atlas, "diffusion recovery likelihood")
    assert paper.title == ""
    assert "https://github.com/ruiqigao/recovery_likelihood" in paper.code_urls
