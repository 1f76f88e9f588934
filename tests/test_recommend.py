"""Recommendations: profiles from the library, the ranker's pure parts against hand-worked values,
reasons, "not interested", batch mode in its exact format, and bad input."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from conftest import CatalogMaker

from paperatlas import Atlas, Filters, InvalidInput, NotFound
from paperatlas.cli import cli
from paperatlas.embeddings import HashingEmbedder
from paperatlas.recommend import Profile, profile_names, rank, recommend, set_not_interested
from paperatlas.recommend.batch import recommend_batch
from paperatlas.search import search
from paperatlas.services import library, review
from paperatlas.services.ingest import ingest_paths, ingest_samples


# -- the ranker's pure functions, against values worked out by hand ------------------------------
def test_zscore() -> None:
    assert rank.zscore(np.array([1.0, 2.0, 3.0])).tolist() == pytest.approx([-1.2247449, 0.0, 1.2247449])
    assert rank.zscore(np.array([5.0, 5.0])).tolist() == [0.0, 0.0]  # no spread: no signal


def test_recency_weights_halve_every_half_life_with_a_floor() -> None:
    assert rank.recency_weights([0, 365, 730, 10_000], 365).tolist() == pytest.approx([1.0, 0.5, 0.25, 0.1])
    assert rank.recency_weights([0, 999], 0).tolist() == [1.0, 1.0]


def test_author_affinity_counts_library_papers_of_each_candidate_author() -> None:
    library = {"Ada Lovelace": 2, "Alan Turing": 1}
    got = rank.author_affinity([["Ada Lovelace", "Alan Turing"], ["Grace Hopper"], ["Ada Lovelace", "Ada Lovelace"]], library)
    assert got.tolist() == pytest.approx([math.log(4), 0.0, math.log(3)])


def test_best_cosine_names_the_nearest_library_paper() -> None:
    library = np.array([[1.0, 0.0], [0.0, 1.0]])
    candidates = np.array([[0.6, 0.8], [1.0, 0.0]])
    sims, nearest = rank.best_cosine(candidates, library)
    assert sims.tolist() == pytest.approx([0.8, 1.0]) and nearest.tolist() == [1, 0]


def test_fuse_adds_weighted_zscores_and_skips_silent_signals() -> None:
    a, b = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    assert rank.fuse([(a, 1.0), (b, 0.5)]).tolist() == pytest.approx([-0.6123724, 0.0, 0.6123724])
    assert rank.fuse([(a, 1.0), (np.ones(3), 2.0), (b, 0.0)]).tolist() == pytest.approx(rank.zscore(a).tolist())


def test_term_contributions_rank_terms_by_weight_times_value() -> None:
    w = np.array([0.5, -1.0, 2.0, 0.1])
    row = sp.csr_matrix(np.array([[0.4, 0.3, 0.1, 0.0]]))
    ups, downs = rank.term_contributions(w, row, ["alpha", "beta", "gamma", "delta"])
    assert ups == ["alpha", "gamma"]  # 0.5 x 0.4 and 2.0 x 0.1 tie at 0.2: the stable order keeps alpha first
    assert downs == ["beta"]


def test_linear_svm_separates_the_profile_from_the_rest() -> None:
    rows = sp.csr_matrix(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.0, 1.0]]))
    w, b = rank.linear_svm(rows, np.array([1, 1, 0, 0, 0]), np.ones(5), c=1.0)
    scores = rows @ w + b
    assert min(scores[:2]) > max(scores[2:])


# -- on a catalog ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> str | Path:
    """The sample listings with a (fast, model-free) semantic index, built once and copied."""
    from paperatlas import Settings

    folder = tmp_path_factory.mktemp("samples")
    location = catalogs.new(folder)
    with Atlas.open(location, Settings(home=folder, embedder="hashing")) as atlas:
        ingest_samples(atlas)
        atlas.indexes.sync_vectors()
        atlas.indexes.sync_terms()
    return location


@pytest.fixture
def rec(samples: str | Path, tmp_path: Path, catalogs: CatalogMaker) -> Atlas:
    from paperatlas import Settings

    location = catalogs.copy(samples, tmp_path)
    atlas = Atlas.open(location, Settings(home=tmp_path, embedder="hashing"))
    yield atlas
    atlas.close()
    catalogs.drop(location)


def _ids(atlas: Atlas, query: str, k: int = 3) -> list[str]:
    return [h.id for h in search(atlas, f'"{query}"', mode="keyword", k=k).hits]


def test_starred_reinforcement_learning_papers_bring_more_of_them(rec: Atlas) -> None:
    liked = _ids(rec, "offline reinforcement learning", 3)
    assert len(liked) == 3
    library.set_stars(rec, liked)
    res = recommend(rec, "starred", k=10)
    assert not set(liked) & {r.id for r in res.items}  # the profile's own papers are left out
    about_rl = [r for r in res.items if "reinforcement" in (r.paper.title + r.paper.abstract).lower()]
    assert len(about_rl) >= 7, [r.paper.title for r in res.items]
    first = res.items[0]
    assert first.terms_up and first.closest and first.closest[0][0] in liked
    assert "similar to" in first.why and first.kinds[:2] == ["similar", "terms"]
    assert res.candidates == rec.store.papers.count(Filters()) - 3


def test_filters_and_since_narrow_the_candidates(rec: Atlas) -> None:
    library.set_stars(rec, _ids(rec, "diffusion", 2))
    iclr = recommend(rec, "starred", filters=Filters(venue="ICLR", year=2023), k=50)
    assert iclr.items and all((r.paper.venue, r.paper.year) == ("ICLR", 2023) for r in iclr.items)
    assert recommend(rec, "starred", since=timedelta(days=1), k=5).items  # everything was added just now
    assert recommend(rec, "starred", filters=Filters(venue="Nowhere"), k=5).items == []


def test_not_interested_leaves_a_paper_out_until_undone(rec: Atlas) -> None:
    library.set_stars(rec, _ids(rec, "graph neural", 2))
    top = recommend(rec, "starred", k=5).items[0].id
    assert set_not_interested(rec, "starred", top)
    assert top not in {r.id for r in recommend(rec, "starred", k=50).items}
    assert set_not_interested(rec, "starred", top, undo=True)
    assert recommend(rec, "starred", k=5).items[0].id == top
    with pytest.raises(NotFound):
        set_not_interested(rec, "starred", "no-such-paper")
    with pytest.raises(InvalidInput):
        set_not_interested(rec, "colour:blue", top)


def test_not_interested_follows_a_merge(rec: Atlas) -> None:
    library.set_stars(rec, _ids(rec, "transformer", 2))
    a, b = [h.id for h in search(rec, "video", mode="keyword", k=2).hits]
    set_not_interested(rec, "starred", b)
    review.merge(rec, a, b)
    assert rec.store.library.feedback("starred") == {a: "not_interested"}


def test_profiles_of_the_library_and_an_empty_one(rec: Atlas) -> None:
    pid = _ids(rec, "diffusion", 1)[0]
    library.set_tags(rec, pid, ["gen"])
    library.create_list(rec, "mine", [pid])
    names = {n: c for n, _, c in profile_names(rec)}
    assert names == {"starred": 0, "tag:gen": 1, "list:mine": 1}
    assert recommend(rec, "tag:gen", k=3).items and recommend(rec, "list:mine", k=3).items
    with pytest.raises(InvalidInput, match="no papers yet") as err:
        recommend(rec, "starred")
    assert "star" in err.value.hint


def test_one_paper_profile_works_like_related_papers(rec: Atlas) -> None:
    [pid] = _ids(rec, "mixture of experts", 1)
    res = recommend(rec, Profile("one", [pid]), k=5)
    assert len(res.items) == 5 and all(r.closest[0][0] == pid for r in res.items)


def test_authors_are_a_signal_that_can_be_switched_off(rec: Atlas) -> None:
    with_authors = [p for p in rec.store.papers.iter(Filters()) if len(p.authors) >= 2][:3]
    library.set_stars(rec, [p.id for p in with_authors])
    res = recommend(rec, "starred", k=50)
    assert any("author" in r.kinds for r in res.items)
    off = recommend(rec, "starred", k=50, use_authors=False)
    assert not any("author" in r.kinds for r in off.items)


def test_new_papers_join_the_term_index_without_refitting(rec: Atlas, tmp_path: Path) -> None:
    terms = rec.indexes.terms()
    fitted = terms.fitted
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps({"title": "Quokka reinforcement learning", "abstract": "Offline policies for quokkas."}) + "\n")
    [report] = ingest_paths(rec, [path])
    terms = rec.indexes.terms()
    assert terms.fitted == fitted and report.paper_ids[0] in terms.row_of


# -- batch mode -----------------------------------------------------------------------------------
def _refs(atlas: Atlas, ids: list[str]) -> list[dict[str, str]]:
    papers = atlas.store.papers.by_ids(ids)
    return [{"file": papers[i].sources[0].file, "record_id": papers[i].sources[0].record_id} for i in ids]


def test_batch_lines_in_the_exact_format(rec: Atlas) -> None:
    liked = _ids(rec, "reinforcement learning", 3)
    lines = [
        {"qid": "q1", "positives": _refs(rec, liked), "negatives": [], "venue": "ICLR", "year": 2021},
        {"qid": "q2", "positives": _refs(rec, liked[:1]) + [{"file": "nowhere.json", "record_id": "7"}]},
        {"qid": "q3", "positives": [{"file": "nowhere.json", "record_id": "7"}]},
        {"qid": "q4", "positives": "not a list"},
    ]
    out = list(recommend_batch(rec, lines, k=5))
    assert [o["qid"] for o in out] == ["q1", "q2", "q3", "q4"]
    assert set(out[0]) == {"qid", "hits"} and len(out[0]["hits"]) == 5
    for hit in out[0]["hits"]:
        assert set(hit) == {"id", "score", "title", "sources", "why"}
        assert hit["id"] not in liked and hit["sources"][0]["file"] and hit["why"]
    papers = rec.store.papers.by_ids([h["id"] for h in out[0]["hits"]])
    assert all((p.venue, p.year) == ("ICLR", 2021) for p in papers.values())
    assert out[1]["missing"] == [{"file": "nowhere.json", "record_id": "7"}] and out[1]["hits"]
    assert out[2]["hits"] == [] and "none of its positives" in out[2]["error"]
    assert out[3]["hits"] == [] and out[3]["hint"]


def test_cli_batch_reports_bad_lines_and_goes_on(rec: Atlas, tmp_path: Path) -> None:
    liked = _ids(rec, "diffusion", 2)
    batch = tmp_path / "profiles.jsonl"
    batch.write_text("this is not json\n" + json.dumps({"qid": 7, "positives": _refs(rec, liked)}) + "\n")
    result = CliRunner().invoke(cli, ["recommend", "--batch", str(batch), "-k", "3", "--db", str(rec.store.location)])
    assert result.exit_code == 0, result.output
    first, second = [json.loads(line) for line in result.output.splitlines()]
    assert first["hits"] == [] and "not JSON" in first["error"]
    assert second["qid"] == 7 and len(second["hits"]) == 3


def test_cli_recommend_empty_profile_says_how_to_start(rec: Atlas) -> None:
    result = CliRunner().invoke(cli, ["recommend", "--starred", "--db", str(rec.store.location)])
    assert result.exit_code == 2 and "no papers yet" in result.output and "paperatlas star" in result.output
    both = CliRunner().invoke(cli, ["recommend", "--starred", "--tag", "x", "--db", str(rec.store.location)])
    assert both.exit_code == 2 and "choose one profile" in both.output


def test_cli_library_import_of_my_papers_into_a_list_then_recommend(rec: Atlas, tmp_path: Path) -> None:
    bib = tmp_path / "mine.bib"
    bib.write_text("@inproceedings{me2022,\n title={Offline Reinforcement Learning for Quokka Herding},\n"
                   " author={Quokka, Ada and Levine, Sergey},\n year={2022}, booktitle={ICLR}}\n")
    db = str(rec.store.location)
    result = CliRunner().invoke(cli, ["library", "import", str(bib), "--list", "mine", "--db", db])
    assert result.exit_code == 0, result.output
    assert "1 papers in the list 'mine'" in result.output
    out = CliRunner().invoke(cli, ["recommend", "--list", "mine", "-k", "3", "--json", "--db", db])
    data = json.loads(out.output)
    assert data["profile"] == "list:mine" and len(data["hits"]) == 3 and all(h["why"] for h in data["hits"])


def test_term_only_ranking_says_so_without_vectors(tmp_path: Path, catalog_location: str | Path) -> None:
    from paperatlas import Settings

    with Atlas.open(catalog_location, Settings(home=tmp_path, embedder="no-such-embedder-for-test")) as atlas:
        path = tmp_path / "a.jsonl"
        topic = ["robots", "graphs"]
        rows = [{"title": f"Paper {i} on {topic[i % 2]}", "abstract": f"We study {topic[i % 2]} number {i}."} for i in range(40)]
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        [report] = ingest_paths(atlas, [path])
        atlas.use_embedder(HashingEmbedder())  # present but with no vectors stored yet
        res = recommend(atlas, Profile("p", report.paper_ids[:2]), k=5)
        assert res.items and any("terms only" in n for n in res.notes)


# -- the web page and API ------------------------------------------------------------------------
def test_for_you_page_api_and_not_interested_over_http(rec: Atlas) -> None:
    from starlette.testclient import TestClient

    from paperatlas.web import ServerOptions, create_app

    liked = _ids(rec, "offline reinforcement learning", 2)
    library.set_stars(rec, liked)
    app = create_app(rec, ServerOptions(allowed_hosts=("testserver",), csrf_secret="s3cret"))
    with TestClient(app) as client:
        page = client.get("/for-you")
        assert page.status_code == 200 and 'class="why"' in page.text and "not interested" in page.text
        data = client.get("/api/recommend", params={"profile": "starred", "k": 5}).json()
        assert data["profile"] == "starred" and len(data["hits"]) == 5 and all(h["why"] for h in data["hits"])
        top = data["hits"][0]["id"]
        refused = client.post(f"/api/recommend/not-interested/{top}", json={"profile": "starred"})
        assert refused.status_code == 403  # no CSRF token
        headers = {"X-CSRF-Token": "s3cret", "Origin": "http://testserver"}
        done = client.post(f"/api/recommend/not-interested/{top}", json={"profile": "starred"}, headers=headers)
        assert done.status_code == 200 and done.json() == {"profile": "starred", "paper_id": top, "not_interested": True}
        after = client.get("/api/recommend", params={"profile": "starred", "k": 50}).json()
        assert top not in {h["id"] for h in after["hits"]}
        undo = client.delete(f"/api/recommend/not-interested/{top}", params={"profile": "starred"}, headers=headers)
        assert undo.status_code == 200 and undo.json()["not_interested"] is False
        empty = client.get("/for-you", params={"profile": "tag:nothing"})
        assert empty.status_code == 200 and "is not a profile of this library" in empty.text
        bad = client.get("/api/recommend", params={"profile": "starred", "year": "²"})
        assert bad.status_code == 400 and bad.json()["error"]["message"]
        profiles = client.get("/api/recommend/profiles").json()["profiles"]
        assert profiles[0] == {"name": "starred", "label": "your starred papers", "papers": 2,
                               "href": "/for-you?profile=starred"}
