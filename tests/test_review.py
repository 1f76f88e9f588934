"""Merging in the catalog: the review queue, merge and split by hand, decisions that survive
re-ingest, rebuilding and moving the data folder, library state that follows a merge, the group
guard, bad titles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _catalog_helpers import sql
from click.testing import CliRunner

from paperatlas import Atlas, Filters, Settings
from paperatlas.cli import cli
from paperatlas.errors import MergeError, NotFound
from paperatlas.ingest import Overrides
from paperatlas.services import library, review
from paperatlas.services.ingest import ingest_paths

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


def _count(atlas: Atlas) -> int:
    return atlas.store.papers.count(Filters())


def _papers(atlas: Atlas) -> list:
    return list(atlas.store.papers.iter(Filters()))


def _one(atlas: Atlas, text: str) -> str:
    [paper] = [p for p in _papers(atlas) if text.lower() in (p.title + p.abstract).lower()]
    return paper.id


def _files(atlas: Atlas, pid: str) -> list[str]:
    return sorted(s.file for s in atlas.store.papers.get(pid).sources)


def _rebuild(atlas: Atlas, paths: list[Path]) -> None:
    """Throw away everything ingest made (decisions stay), then ingest these files again."""
    # the only raw SQL here: there is no API to forget every file
    sql(atlas, "DELETE FROM records", (), *(f"DELETE FROM {table}" for table in ("match_keys", "block_keys", "papers",
                                                                                 "files", "merge_review")))
    ingest_paths(atlas, paths)


def _move(paths: list[Path], folder: Path) -> list[Path]:
    """Move the data files into another folder (as when a data folder is moved or renamed)."""
    folder.mkdir(parents=True)
    moved = []
    for n, path in enumerate(paths):
        target = folder / f"{n}-{path.name}"
        shutil.move(path, target)
        moved.append(target)
    return moved


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


def test_uncertain_pair_waits_in_the_review_queue(atlas: Atlas, pair: list[Path]) -> None:
    reports = ingest_paths(atlas, pair)
    assert (reports[1].merged, reports[1].review) == (1, 1)
    assert reports[1].candidates >= 2
    [waiting] = review.pending(atlas)
    assert {waiting.title_a, waiting.title_b} == {"Pruning Attention in Molecular Networks",
                                                  "Learning Sparse Graphs with Attention"}
    assert "same authors" in waiting.reason
    assert _count(atlas) == 3


def test_reingest_does_not_duplicate_papers_or_queue(atlas: Atlas, pair: list[Path]) -> None:
    ingest_paths(atlas, pair)
    pair[1].write_text(pair[1].read_text() + json.dumps(_paper("A Third Paper Appears", ["Fay Gold"])) + "\n")
    again = ingest_paths(atlas, pair)
    assert [(r.new, r.merged) for r in again] == [(0, 0), (1, 0)]
    assert _count(atlas) == 4 and len(review.pending(atlas)) == 1


def test_merge_by_hand_moves_records_and_library_state(atlas: Atlas, pair: list[Path]) -> None:
    ingest_paths(atlas, pair)
    keep, gone = _one(atlas, "Learning Sparse Graphs"), _one(atlas, "Pruning Attention")
    for pid in (keep, gone):
        library.star(atlas, pid)
        library.add_tag(atlas, pid, "graphs")
    library.add_tag(atlas, gone, "to-read")
    library.set_note(atlas, gone, "my note")
    week = library.create_list(atlas, "week", [gone])
    done = review.merge(atlas, keep, gone)
    assert done.kind == "merge" and [p.id for p in done.papers] == [keep]
    paper = atlas.store.papers.get(keep)
    assert {s.file for s in paper.sources} == {"official.jsonl", "submissions.jsonl"}
    assert paper.abstract == ABSTRACT and paper.field_sources["abstract"].file == "submissions.jsonl"
    with pytest.raises(NotFound):
        atlas.store.papers.get(gone)
    lib = library.library(atlas)
    assert lib.starred == [keep]
    assert lib.tagged == {"graphs": [keep], "to-read": [keep]}
    assert [(n.paper_id, n.body) for n in lib.notes] == [(keep, "my note")]
    assert library.get_list(atlas, week.id).paper_ids == [keep]
    assert library.state(atlas, keep).lists == [week.id]
    assert review.pending(atlas) == []
    assert [a.kind for a in review.decisions(atlas)] == ["merge"]


def test_merge_keeps_both_notes(atlas: Atlas, pair: list[Path]) -> None:
    ingest_paths(atlas, pair)
    keep, gone = _one(atlas, "Learning Sparse Graphs"), _one(atlas, "Pruning Attention")
    library.set_note(atlas, keep, "mine")
    library.set_note(atlas, gone, "theirs")
    review.merge(atlas, keep, gone)
    note = library.state(atlas, keep).note
    assert note.startswith("mine") and note.endswith("theirs")


def test_merge_decision_survives_reingest_of_a_changed_file(atlas: Atlas, pair: list[Path]) -> None:
    ingest_paths(atlas, pair)
    keep = _one(atlas, "Learning Sparse Graphs")
    review.merge(atlas, keep, _one(atlas, "Pruning Attention"))
    rows = [json.loads(line) for line in pair[1].read_text().splitlines()]
    rows[0]["abstract"] = ABSTRACT + " Revised."
    _write(pair[1], rows)
    [report] = ingest_paths(atlas, pair[1:])
    assert (report.updated, report.new) == (1, 0)
    assert len(atlas.store.papers.get(keep).sources) == 2 and atlas.store.papers.get(keep).abstract.endswith("Revised.")


def test_merge_decision_survives_rebuild_in_any_order(atlas: Atlas, pair: list[Path]) -> None:
    ingest_paths(atlas, pair)
    review.merge(atlas, _one(atlas, "Learning Sparse Graphs"), _one(atlas, "Pruning Attention"))
    for order in (pair, pair[::-1]):
        _rebuild(atlas, order)
        assert _count(atlas) == 2
        merged = _one(atlas, "Pruning Attention") if order[0] == pair[1] else _one(atlas, "Learning Sparse")
        assert len(atlas.store.papers.get(merged).sources) == 2
        assert review.pending(atlas) == []


def test_merge_decision_survives_moving_the_data_folder(atlas: Atlas, pair: list[Path], tmp_path: Path) -> None:
    """Decisions name a file by its content when first read, not by its path: the same files in
    another folder (under other names) are the same sources."""
    ingest_paths(atlas, pair)
    keep = _one(atlas, "Learning Sparse Graphs")
    review.merge(atlas, keep, _one(atlas, "Pruning Attention"))
    moved = _move(pair, tmp_path / "moved")
    assert not pair[0].exists() and not pair[1].exists()
    again = ingest_paths(atlas, moved)  # the same content from another place: nothing new
    assert [(r.found, r.unchanged, r.new, r.merged) for r in again] == [(2, 2, 0, 0), (2, 2, 0, 0)]
    assert _count(atlas) == 2 and _files(atlas, keep) == ["official.jsonl", "submissions.jsonl"]
    # The moved file then changes: still the same source, its record stays merged.
    rows = [json.loads(line) for line in moved[1].read_text().splitlines()]
    rows[0]["abstract"] = ABSTRACT + " Revised."
    _write(moved[1], rows)
    [report] = ingest_paths(atlas, moved[1:])
    assert (report.updated, report.new) == (1, 0)
    assert _count(atlas) == 2
    assert atlas.store.papers.get(keep).abstract.endswith("Revised.") and len(atlas.store.papers.get(keep).sources) == 2
    assert review.pending(atlas) == []


def test_decisions_survive_rebuilding_from_a_moved_data_folder(atlas: Atlas, pair: list[Path], tmp_path: Path) -> None:
    """A catalog rebuilt from copies of the files in another folder, in any order, keeps a hand
    merge and a keep-apart."""
    extra = _write(tmp_path / "c" / "more.jsonl", [_paper("Learning Dense Maps with Convolution Layers")])
    files = [*pair, extra]
    ingest_paths(atlas, files)
    assert _count(atlas) == 4
    review.merge(atlas, _one(atlas, "Learning Sparse Graphs"), _one(atlas, "Pruning Attention"))
    review.keep_apart(atlas, _one(atlas, "Learning Sparse Graphs"), _one(atlas, "Dense Maps"))
    assert review.pending(atlas) == []
    copies = tmp_path / "copies"
    copies.mkdir()
    moved = []
    for n, path in enumerate(files):
        moved.append(copies / f"renamed{n}.jsonl")
        shutil.copyfile(path, moved[-1])
        path.unlink()
    for order in (moved, moved[::-1], [moved[1], moved[2], moved[0]]):
        _rebuild(atlas, order)
        assert _count(atlas) == 3
        merged = _one(atlas, "sparse attention patterns")  # the abstract only the merged paper has
        assert _files(atlas, merged) == ["renamed0.jsonl", "renamed1.jsonl"]
        assert len(atlas.store.papers.get(_one(atlas, "Dense Maps")).sources) == 1
        assert review.pending(atlas) == []


def test_split_restores_the_parts_with_their_own_sources(atlas: Atlas, pair: list[Path]) -> None:
    ingest_paths(atlas, pair)
    keep, gone = _one(atlas, "Learning Sparse Graphs"), _one(atlas, "Pruning Attention")
    review.merge(atlas, keep, gone)
    done = review.split(atlas, keep)
    assert done.kind == "split"
    assert [p.id for p in done.papers] == [keep, gone]  # the merged-in paper gets its id back
    assert _files(atlas, keep) == ["official.jsonl"]
    assert _files(atlas, gone) == ["submissions.jsonl"]
    assert atlas.store.papers.get(gone).abstract == ABSTRACT and atlas.store.papers.get(keep).abstract == ""
    kinds = [(a.kind, a.undone_at is not None) for a in review.decisions(atlas)]
    assert kinds == [("merge", True), ("split", False)]
    _rebuild(atlas, pair)
    assert _count(atlas) == 3  # neither the undone merge nor the rules join them again


def test_split_of_an_automatic_merge_stays_split(atlas: Atlas, pair: list[Path]) -> None:
    ingest_paths(atlas, pair)
    auto = _one(atlas, "Heavy Tails")
    assert len(atlas.store.papers.get(auto).sources) == 2
    parts = [p.id for p in review.split(atlas, auto).papers]
    assert len(parts) == 2 and all(len(atlas.store.papers.get(p).sources) == 1 for p in parts)
    assert atlas.store.papers.get(parts[0]).title == atlas.store.papers.get(parts[1]).title == "Robust Estimation of Heavy Tails"
    _rebuild(atlas, pair)
    assert len([p for p in _papers(atlas) if "Heavy Tails" in p.title]) == 2
    with pytest.raises(MergeError):
        review.split(atlas, parts[0])


def test_keep_apart_answers_the_queue_and_survives_rebuild(atlas: Atlas, pair: list[Path]) -> None:
    ingest_paths(atlas, pair)
    a, b = _one(atlas, "Learning Sparse"), _one(atlas, "Pruning Attention")
    done = review.keep_apart(atlas, a, b)
    assert done.kind == "distinct" and [p.id for p in done.papers] == [a, b]
    assert review.pending(atlas) == []
    _rebuild(atlas, pair)
    assert review.pending(atlas) == [] and _count(atlas) == 3


def test_merge_errors(atlas: Atlas, pair: list[Path]) -> None:
    ingest_paths(atlas, pair)
    pid = _one(atlas, "Learning Sparse")
    with pytest.raises(MergeError):
        review.merge(atlas, pid, pid)
    with pytest.raises(NotFound):
        review.merge(atlas, pid, "nope")
    with pytest.raises(MergeError):
        review.keep_apart(atlas, pid, pid)
    assert review.decisions(atlas) == [] and _count(atlas) == 3


def test_group_guard_stops_a_merge_group_at_eight(atlas: Atlas, tmp_path: Path) -> None:
    # Each listing differs in a byte (the same bytes from another path are one file, read once).
    paths = [_write(tmp_path / f"copy{i}" / "list.jsonl", [_paper("A Paper That Every Listing Names", listing=i)])
             for i in range(11)]
    reports = ingest_paths(atlas, paths)
    assert all(r.found == 1 and not r.unchanged for r in reports)
    sizes = sorted(len(p.sources) for p in _papers(atlas))
    assert sizes == [3, 8]  # the ninth record starts a second group, queued against the first
    [waiting] = review.pending(atlas)
    assert "merge group stops at 8" in waiting.reason
    assert sum(r.review for r in reports) == 1


def test_the_same_file_from_another_path_is_read_once(atlas: Atlas, tmp_path: Path) -> None:
    rows = [_paper("A Paper That Every Listing Names")]
    paths = [_write(tmp_path / f"copy{i}" / "list.jsonl", rows) for i in range(3)]
    [first] = ingest_paths(atlas, paths[:1])
    [later] = ingest_paths(atlas, paths[1:2])
    assert (first.new, first.unchanged, first.same_as) == (1, 0, None)
    assert (later.found, later.new, later.unchanged) == (1, 0, 1)
    assert later.same_as == str(paths[0].resolve())  # the stored path it was read from
    [paper] = _papers(atlas)
    assert len(paper.sources) == 1


def test_the_same_file_twice_in_one_ingest_is_read_once(atlas: Atlas, tmp_path: Path) -> None:
    rows = [_paper("A Paper That Every Listing Names")]
    paths = [_write(tmp_path / f"copy{i}" / "list.jsonl", rows) for i in range(3)]
    reports = ingest_paths(atlas, paths)
    assert [(r.new, r.unchanged) for r in reports] == [(1, 0), (0, 1), (0, 1)]
    [paper] = _papers(atlas)
    assert len(paper.sources) == 1
    # Reported as in separate ingests: unchanged, the same as the stored path.
    assert reports[1].same_as == reports[2].same_as == str(paths[0].resolve())


def test_bad_titles_never_mass_merge(atlas: Atlas, tmp_path: Path) -> None:
    thin = ["Withdraw", "BLANK", "", "...", "$\\alpha$", "Introduction", "?"]
    paths = []
    for i in range(4):
        rows = [{"title": t or "x", "authors": [f"Person{i}{j} Name{i}{j}"], "abstract": "Short."} for j, t in enumerate(thin)]
        paths.append(_write(tmp_path / f"bad{i}.jsonl", rows))
    crowd = [f"Member{k} Team" for k in range(200)]
    paths.append(_write(tmp_path / "big.jsonl", [{"title": "Results From A Large Team", "authors": crowd}]))
    paths.append(_write(tmp_path / "big2.jsonl", [{"title": "Results From A Large Team", "authors": crowd[::-1]}]))
    reports = ingest_paths(atlas, paths, skip_bad=True)
    assert all(r.ok for r in reports)
    assert max(len(p.sources) for p in _papers(atlas)) == 2
    assert sum(r.merged for r in reports) == 1  # only the 200-author paper, seen twice


def test_one_record_joins_two_papers_it_matches(atlas: Atlas, tmp_path: Path) -> None:
    """An abstract-only copy and an official entry without abstract meet through a record with both."""
    official = _write(tmp_path / "official.jsonl",
                      [_paper("Learning Sparse Graphs with Attention", id="abc123", openreview_id="abc123")])
    copy = tmp_path / "abstracts.txt"
    copy.write_text(f"Total: 1\n\n{ABSTRACT}\n")
    full = _write(tmp_path / "full.jsonl",
                  [_paper("Learning Sparse Graphs with Attention", abstract=ABSTRACT, openreview_id="abc123")])
    reports = ingest_paths(atlas, [official])
    reports += ingest_paths(atlas, [copy], overrides=Overrides(venue="ICLR", year=2021))
    assert _count(atlas) == 2
    reports += ingest_paths(atlas, [full])
    assert _count(atlas) == 1
    [paper] = atlas.store.papers.list(Filters(), limit=None)
    assert len(paper.sources) == 3 and reports[2].merged == 1


def test_a_bridge_never_joins_papers_a_person_split(atlas: Atlas, tmp_path: Path) -> None:
    official = _write(tmp_path / "official.jsonl", [_paper("Learning Sparse Graphs with Attention", openreview_id="abc123")])
    copy = tmp_path / "abstracts.txt"
    copy.write_text(f"Total: 1\n\n{ABSTRACT}\n")
    full = _write(tmp_path / "full.jsonl",
                  [_paper("Learning Sparse Graphs with Attention", abstract=ABSTRACT, openreview_id="abc123")])
    ingest_paths(atlas, [official])
    ingest_paths(atlas, [copy], overrides=Overrides(venue="ICLR", year=2021))
    review.keep_apart(atlas, _one(atlas, "Learning Sparse"), _one(atlas, "sparse attention patterns"))
    ingest_paths(atlas, [full])
    assert _count(atlas) == 2


def test_seeds_stay_705_papers_with_nothing_to_review(atlas: Atlas, seed_paths: list[Path]) -> None:
    reports = ingest_paths(atlas, seed_paths)
    assert _count(atlas) == 705
    assert sum(r.review for r in reports) == len(review.pending(atlas, limit=None))


# -- the command line ----------------------------------------------------------------------------
def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_cli_merges_merge_split(catalog_location: str | Path, tmp_path: Path, pair: list[Path], settings: Settings) -> None:
    db = str(catalog_location)
    with Atlas.open(db, settings) as opened:
        ingest_paths(opened, pair)
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
    assert result.exit_code == 2 and "cannot be merged with itself" in result.output  # bad input: exit 2
    result = CliRunner().invoke(cli, ["merge", waiting["paper_a"], "nope", "--db", db])
    assert result.exit_code == 1 and "no paper with id" in result.output


def test_split_gives_each_part_its_own_library_state_back(atlas: Atlas, tmp_path: Path) -> None:
    """merge A B then split A: B's star, tags, note, list place and feedback go back to B, and A
    keeps its own (and what was added to the merged paper afterwards)."""
    from paperatlas.recommend import set_not_interested

    path = tmp_path / "two.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"title": "Alpha paper about graphs", "abstract": "We study graphs in depth for many pages of text."},
        {"title": "Beta paper about robots", "abstract": "Robots that learn to grasp objects in kitchens."},
    ]) + "\n")
    [report] = ingest_paths(atlas, [path])
    a, b = report.paper_ids
    library.set_stars(atlas, [b])
    library.set_tags(atlas, a, ["graphs"])
    library.set_tags(atlas, b, ["robots", "shared"])
    library.set_tags(atlas, a, ["shared"])
    library.set_note(atlas, a, "note of A")
    library.set_note(atlas, b, "note of B")
    library.create_list(atlas, "reading", [b])
    set_not_interested(atlas, "tag:graphs", b)
    review.merge(atlas, a, b)
    merged = library.state(atlas, a)
    assert merged.starred and merged.tags == ["graphs", "robots", "shared"] and "note of B" in merged.note
    library.set_tags(atlas, a, ["added-after"])
    parts = [p.id for p in review.split(atlas, a).papers]
    assert parts[0] == a and len(parts) == 2
    back_a, back_b = library.state(atlas, a), library.state(atlas, parts[1])
    assert (back_a.starred, back_a.tags) == (False, ["added-after", "graphs", "shared"])
    assert (back_a.note, back_a.lists) == ("note of A", [])
    assert back_b.starred and back_b.tags == ["robots", "shared"] and back_b.note == "note of B"
    assert back_b.lists == [library.find_list(atlas, "reading").id]
    assert atlas.store.library.feedback("tag:graphs") == {parts[1]: "not_interested"}
