"""Merging in the catalog: the review queue, merge and split by hand, decisions that survive
re-ingest and rebuilding, library state that follows a merge, the group guard, bad titles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import paperatlas.cli_merge  # noqa: F401  (registers merges, merge, split)
from paperatlas.catalog import Catalog, Filters, review
from paperatlas.catalog.review import MergeError
from paperatlas.cli import cli
from paperatlas.errors import NotFound
from paperatlas.ingest import Overrides, ingest_paths

AUTHORS = ["Ann Lee", "Bo Chen", "Carla Diaz"]
ABSTRACT = ("We study how sparse attention patterns emerge in graph networks trained on molecules, and"
            " show that a simple pruning rule recovers them with little loss in accuracy across nine"
            " benchmarks while halving the memory needed at inference time on large inputs.")


def _write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _paper(title: str, authors: list[str] = AUTHORS, **extra: object) -> dict:
    return {"title": title, "authors": authors, "venue": "ICLR", "year": 2021, **extra}


def _one(cat: Catalog, text: str) -> str:
    [paper] = [p for p in cat.iter_papers() if text.lower() in (p.title + p.abstract).lower()]
    return paper.id


def _rebuild(cat: Catalog, paths: list[Path]) -> None:
    """Throw away everything ingest made (decisions stay), then ingest the same files again."""
    for table in ("records", "match_keys", "block_keys", "papers", "files", "merge_review"):
        cat.db.execute(f"DELETE FROM {table}")
    ingest_paths(cat, paths)


@pytest.fixture
def pair(tmp_path: Path) -> list[Path]:
    """Two listings of one venue: the second retitled one paper beyond recognition."""
    a = _write(tmp_path / "a" / "official.jsonl", [
        _paper("Learning Sparse Graphs with Attention"),
        _paper("Robust Estimation of Heavy Tails", ["Dan Evans", "Eve Fox"]),
    ])
    b = _write(tmp_path / "b" / "submissions.jsonl", [
        _paper("Pruning Attention in Molecular Networks", abstract=ABSTRACT),
        _paper("Robust Estimation of Heavy Tails", ["Dan Evans", "Eve Fox"]),
    ])
    return [a, b]


def test_uncertain_pair_waits_in_the_review_queue(catalog: Catalog, pair: list[Path]) -> None:
    reports = ingest_paths(catalog, pair)
    assert (reports[1].merged, reports[1].review) == (1, 1)
    assert reports[1].candidates >= 2
    [waiting] = review.pending(catalog.db)
    assert {waiting.title_a, waiting.title_b} == {"Pruning Attention in Molecular Networks", "Learning Sparse Graphs with Attention"}
    assert "same authors" in waiting.reason
    assert catalog.count() == 3


def test_reingest_does_not_duplicate_papers_or_queue(catalog: Catalog, pair: list[Path]) -> None:
    ingest_paths(catalog, pair)
    pair[1].write_text(pair[1].read_text() + json.dumps(_paper("A Third Paper Appears", ["Fay Gold"])) + "\n")
    again = ingest_paths(catalog, pair)
    assert [(r.new, r.merged) for r in again] == [(0, 0), (1, 0)]
    assert catalog.count() == 4 and len(review.pending(catalog.db)) == 1


def test_merge_by_hand_moves_records_and_library_state(catalog: Catalog, pair: list[Path]) -> None:
    ingest_paths(catalog, pair)
    keep, gone = _one(catalog, "Learning Sparse Graphs"), _one(catalog, "Pruning Attention")
    db = catalog.db
    for pid in (keep, gone):
        db.execute("INSERT INTO stars VALUES (?, 'then')", (pid,))
        db.execute("INSERT INTO tags VALUES (?, 'graphs', 'then')", (pid,))
    db.execute("INSERT INTO tags VALUES (?, 'to-read', 'then')", (gone,))
    db.execute("INSERT INTO notes VALUES (?, 'my note', 'then')", (gone,))
    db.execute("INSERT INTO lists (id, name, created_at) VALUES (1, 'week', 'then')")
    db.execute("INSERT INTO list_items VALUES (1, ?, 1, 'then')", (gone,))
    review.merge_papers(db, keep, gone)
    paper = catalog.get(keep)
    assert {s.file for s in paper.sources} == {"official.jsonl", "submissions.jsonl"}
    assert paper.abstract == ABSTRACT and paper.field_sources["abstract"].file == "submissions.jsonl"
    with pytest.raises(NotFound):
        catalog.get(gone)
    assert db.execute("SELECT paper_id FROM stars").fetchall() == [(keep,)]
    assert sorted(db.execute("SELECT paper_id, tag FROM tags")) == [(keep, "graphs"), (keep, "to-read")]
    assert db.execute("SELECT paper_id, body FROM notes").fetchall() == [(keep, "my note")]
    assert db.execute("SELECT paper_id FROM list_items").fetchall() == [(keep,)]
    assert review.pending(db) == []
    assert [a.kind for a in review.actions(db)] == ["merge"]


def test_merge_decision_survives_reingest_of_a_changed_file(catalog: Catalog, pair: list[Path]) -> None:
    ingest_paths(catalog, pair)
    keep = _one(catalog, "Learning Sparse Graphs")
    review.merge_papers(catalog.db, keep, _one(catalog, "Pruning Attention"))
    rows = [json.loads(line) for line in pair[1].read_text().splitlines()]
    rows[0]["abstract"] = ABSTRACT + " Revised."
    _write(pair[1], rows)
    [report] = ingest_paths(catalog, pair[1:])
    assert (report.updated, report.new) == (1, 0)
    assert len(catalog.get(keep).sources) == 2 and catalog.get(keep).abstract.endswith("Revised.")


def test_merge_decision_survives_rebuild_in_any_order(catalog: Catalog, pair: list[Path]) -> None:
    ingest_paths(catalog, pair)
    review.merge_papers(catalog.db, _one(catalog, "Learning Sparse Graphs"), _one(catalog, "Pruning Attention"))
    for order in (pair, pair[::-1]):
        _rebuild(catalog, order)
        assert catalog.count() == 2
        merged = _one(catalog, "Pruning Attention") if order[0] == pair[1] else _one(catalog, "Learning Sparse")
        assert len(catalog.get(merged).sources) == 2
        assert review.pending(catalog.db) == []


def test_split_restores_the_parts_with_their_own_sources(catalog: Catalog, pair: list[Path]) -> None:
    ingest_paths(catalog, pair)
    keep, gone = _one(catalog, "Learning Sparse Graphs"), _one(catalog, "Pruning Attention")
    review.merge_papers(catalog.db, keep, gone)
    parts = review.split_paper(catalog.db, keep)
    assert parts == [keep, gone]  # the merged-in paper gets its id back
    assert [s.file for s in catalog.get(keep).sources] == ["official.jsonl"]
    assert [s.file for s in catalog.get(gone).sources] == ["submissions.jsonl"]
    assert catalog.get(gone).abstract == ABSTRACT and catalog.get(keep).abstract == ""
    kinds = [(a.kind, a.undone_at is not None) for a in review.actions(catalog.db)]
    assert kinds == [("merge", True), ("split", False)]
    _rebuild(catalog, pair)
    assert catalog.count() == 3  # neither the undone merge nor the rules join them again


def test_split_of_an_automatic_merge_stays_split(catalog: Catalog, pair: list[Path]) -> None:
    ingest_paths(catalog, pair)
    auto = _one(catalog, "Heavy Tails")
    assert len(catalog.get(auto).sources) == 2
    parts = review.split_paper(catalog.db, auto)
    assert len(parts) == 2 and all(len(catalog.get(p).sources) == 1 for p in parts)
    assert catalog.get(parts[0]).title == catalog.get(parts[1]).title == "Robust Estimation of Heavy Tails"
    _rebuild(catalog, pair)
    assert len([p for p in catalog.iter_papers() if "Heavy Tails" in p.title]) == 2
    with pytest.raises(MergeError):
        review.split_paper(catalog.db, parts[0])


def test_keep_apart_answers_the_queue_and_survives_rebuild(catalog: Catalog, pair: list[Path]) -> None:
    ingest_paths(catalog, pair)
    review.keep_apart(catalog.db, _one(catalog, "Learning Sparse"), _one(catalog, "Pruning Attention"))
    assert review.pending(catalog.db) == []
    _rebuild(catalog, pair)
    assert review.pending(catalog.db) == [] and catalog.count() == 3


def test_merge_errors(catalog: Catalog, pair: list[Path]) -> None:
    ingest_paths(catalog, pair)
    pid = _one(catalog, "Learning Sparse")
    with pytest.raises(MergeError):
        review.merge_papers(catalog.db, pid, pid)
    with pytest.raises(NotFound):
        review.merge_papers(catalog.db, pid, "nope")


def test_group_guard_stops_a_merge_group_at_eight(catalog: Catalog, tmp_path: Path) -> None:
    paths = [_write(tmp_path / f"copy{i}" / "list.jsonl", [_paper("A Paper That Every Listing Names")]) for i in range(11)]
    reports = ingest_paths(catalog, paths)
    sizes = sorted(len(p.sources) for p in catalog.iter_papers())
    assert sizes == [3, 8]  # the ninth record starts a second group, queued against the first
    [waiting] = review.pending(catalog.db)
    assert "merge group stops at 8" in waiting.reason
    assert sum(r.review for r in reports) == 1


def test_bad_titles_never_mass_merge(catalog: Catalog, tmp_path: Path) -> None:
    thin = ["Withdraw", "BLANK", "", "...", "$\\alpha$", "Introduction", "?"]
    paths = []
    for i in range(4):
        rows = [{"title": t or "x", "authors": [f"Person{i}{j} Name{i}{j}"], "abstract": "Short."} for j, t in enumerate(thin)]
        paths.append(_write(tmp_path / f"bad{i}.jsonl", rows))
    crowd = [f"Member{k} Team" for k in range(200)]
    paths.append(_write(tmp_path / "big.jsonl", [{"title": "Results From A Large Team", "authors": crowd}]))
    paths.append(_write(tmp_path / "big2.jsonl", [{"title": "Results From A Large Team", "authors": crowd[::-1]}]))
    reports = ingest_paths(catalog, paths, skip_bad=True)
    assert all(r.ok for r in reports)
    assert max(len(p.sources) for p in catalog.iter_papers()) == 2
    assert sum(r.merged for r in reports) == 1  # only the 200-author paper, seen twice


def test_one_record_joins_two_papers_it_matches(catalog: Catalog, tmp_path: Path) -> None:
    """An abstract-only copy and an official entry without abstract meet through a record with both."""
    official = _write(tmp_path / "official.jsonl", [_paper("Learning Sparse Graphs with Attention", id="abc123", openreview_id="abc123")])
    copy = tmp_path / "abstracts.txt"
    copy.write_text(f"Total: 1\n\n{ABSTRACT}\n")
    full = _write(tmp_path / "full.jsonl", [_paper("Learning Sparse Graphs with Attention", abstract=ABSTRACT, openreview_id="abc123")])
    reports = ingest_paths(catalog, [official])
    reports += ingest_paths(catalog, [copy], overrides=Overrides(venue="ICLR", year=2021))
    assert catalog.count() == 2
    reports += ingest_paths(catalog, [full])
    assert catalog.count() == 1
    [paper] = catalog.papers(Filters(), limit=None)
    assert len(paper.sources) == 3 and reports[2].merged == 1


def test_a_bridge_never_joins_papers_a_person_split(catalog: Catalog, tmp_path: Path) -> None:
    official = _write(tmp_path / "official.jsonl", [_paper("Learning Sparse Graphs with Attention", openreview_id="abc123")])
    copy = tmp_path / "abstracts.txt"
    copy.write_text(f"Total: 1\n\n{ABSTRACT}\n")
    full = _write(tmp_path / "full.jsonl", [_paper("Learning Sparse Graphs with Attention", abstract=ABSTRACT, openreview_id="abc123")])
    ingest_paths(catalog, [official])
    ingest_paths(catalog, [copy], overrides=Overrides(venue="ICLR", year=2021))
    review.keep_apart(catalog.db, _one(catalog, "Learning Sparse"), _one(catalog, "sparse attention patterns"))
    ingest_paths(catalog, [full])
    assert catalog.count() == 2


def test_seeds_stay_705_papers_with_nothing_to_review(catalog: Catalog, seed_paths: list[Path]) -> None:
    reports = ingest_paths(catalog, seed_paths)
    assert catalog.count() == 705
    assert sum(r.review for r in reports) == len(review.pending(catalog.db))


# -- the command line ----------------------------------------------------------------------------
def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_cli_merges_merge_split(tmp_path: Path, pair: list[Path]) -> None:
    db = str(tmp_path / "c.sqlite")
    with Catalog(db) as cat:
        ingest_paths(cat, pair)
    code, output = _run("merges", "--pending", "--db", db, "--json")
    [waiting] = json.loads(output)
    assert code == 0 and waiting["reason"].startswith("same authors")
    code, output = _run("merges", "--db", db)
    assert "1 pairs waiting" in output
    code, output = _run("merge", waiting["paper_a"], waiting["paper_b"], "--db", db)
    assert code == 0 and "2 source(s)" in output
    code, output = _run("merges", "--decisions", "--db", db, "--json")
    assert [a["kind"] for a in json.loads(output)] == ["merge"]
    code, output = _run("split", waiting["paper_a"], "--db", db, "--json")
    assert code == 0 and len(json.loads(output)["papers"]) == 2
    code, output = _run("merge", "--distinct", waiting["paper_a"], waiting["paper_b"], "--db", db)
    assert code == 0 and "kept apart" in output
    result = CliRunner().invoke(cli, ["merge", waiting["paper_a"], waiting["paper_a"], "--db", db])
    assert result.exit_code == 1 and "cannot be merged with itself" in result.output
