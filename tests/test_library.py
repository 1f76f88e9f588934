"""The library (stars, tags, notes, reading lists) over a real catalog, its exports, and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperatlas import Atlas, Filters, export
from paperatlas.cli import cli
from paperatlas.errors import LibraryError, NotFound
from paperatlas.models import Paper
from paperatlas.services import library
from paperatlas.services.ingest import ingest_samples


@pytest.fixture
def seeded(atlas: Atlas) -> Atlas:
    ingest_samples(atlas)
    return atlas


@pytest.fixture
def ids(seeded: Atlas) -> list[str]:
    return [p.id for p in seeded.store.papers.list(Filters(), limit=6)]


def test_star_unstar_round_trip(seeded: Atlas, ids: list[str]) -> None:
    assert library.star(seeded, ids[0]).starred
    assert library.star(seeded, ids[0]).starred  # starring twice is harmless
    library.star(seeded, ids[1])
    assert [p.id for p in library.selection(seeded, starred=True)] == [ids[1], ids[0]]  # newest first
    assert not library.unstar(seeded, ids[0]).starred
    assert [p.id for p in library.selection(seeded, starred=True)] == [ids[1]]


def test_unknown_paper_is_not_found_and_changes_nothing(seeded: Atlas, ids: list[str]) -> None:
    with pytest.raises(NotFound):
        library.star(seeded, "no-such-id")
    lst = library.create_list(seeded, "to read")
    with pytest.raises(NotFound):
        library.add_to_list(seeded, lst.id, "no-such-id")
    with pytest.raises(NotFound):
        library.add_to_list(seeded, 999, ids[0])
    assert library.selection(seeded, starred=True) == []
    assert library.get_list(seeded, lst.id).paper_ids == []


def test_tags_are_cleaned_and_counted(seeded: Atlas, ids: list[str]) -> None:
    assert library.add_tag(seeded, ids[0], "  To   Read ").tags == ["to read"]
    library.add_tag(seeded, ids[1], "to read")
    library.add_tag(seeded, ids[1], "diffusion")
    lib = library.library(seeded)
    assert lib.tags == [("diffusion", 1), ("to read", 2)]
    assert lib.tagged["to read"] == [ids[0], ids[1]]
    assert library.remove_tag(seeded, ids[1], "TO READ").tags == ["diffusion"]
    with pytest.raises(LibraryError, match="empty"):
        library.add_tag(seeded, ids[0], "   ")
    with pytest.raises(LibraryError, match="longer"):
        library.add_tag(seeded, ids[0], "x" * 65)


def test_notes_set_replace_delete(seeded: Atlas, ids: list[str]) -> None:
    assert library.set_note(seeded, ids[0], "first").note == "first"
    assert library.set_note(seeded, ids[0], "second\nline").note == "second\nline"
    assert [n.body for n in library.library(seeded).notes] == ["second\nline"]
    assert library.set_note(seeded, ids[0], "  ").note == ""
    assert library.library(seeded).notes == []
    with pytest.raises(LibraryError):
        library.set_note(seeded, ids[0], "x" * (library.NOTE_MAX + 1))


def test_reading_lists(seeded: Atlas, ids: list[str]) -> None:
    lst = library.create_list(seeded, " ICLR  posters ")
    assert lst.name == "ICLR posters"
    with pytest.raises(LibraryError, match="exists"):
        library.create_list(seeded, "ICLR posters")
    library.add_to_list(seeded, lst.id, ids[2])
    library.add_to_list(seeded, lst.id, ids[0])
    assert library.add_to_list(seeded, lst.id, ids[2]).paper_ids == [ids[2], ids[0]]  # order kept, no duplicate
    assert library.state(seeded, ids[0]).lists == [lst.id]
    other = library.create_list(seeded, "other")
    with pytest.raises(LibraryError, match="another list"):
        library.rename_list(seeded, other.id, "ICLR posters")
    assert library.rename_list(seeded, lst.id, "posters").name == "posters"
    assert library.find_list(seeded, "posters").id == lst.id
    assert library.remove_from_list(seeded, lst.id, ids[2]).paper_ids == [ids[0]]
    assert [p.id for p in library.selection(seeded, list_id=lst.id)] == [ids[0]]
    library.delete_list(seeded, lst.id)
    assert [x.name for x in library.reading_lists(seeded)] == ["other"]
    assert library.state(seeded, ids[0]).lists == []  # its items went with it
    with pytest.raises(NotFound):
        library.find_list(seeded, "posters")


def test_states_of_many_papers_at_once(seeded: Atlas, ids: list[str]) -> None:
    library.star(seeded, ids[0])
    library.add_tag(seeded, ids[1], "a")
    library.set_note(seeded, ids[2], "n")
    states = library.states(seeded, ids[:4])
    assert [s.starred for s in states.values()] == [True, False, False, False]
    assert states[ids[1]].tags == ["a"] and states[ids[2]].note == "n" and states[ids[3]].tags == []


def _export(atlas: Atlas, fmt: str, **which: object) -> str:
    buf = io.StringIO()
    library.export_selection(atlas, buf, fmt, **which)
    return buf.getvalue()


def test_bibtex_of_starred_papers(seeded: Atlas, ids: list[str]) -> None:
    for pid in ids[:3]:
        library.star(seeded, pid)
    text = _export(seeded, "bibtex", starred=True)
    assert text.count("\n@") + text.startswith("@") == 3
    for pid in ids[:3]:
        assert seeded.store.papers.get(pid).title.split()[0].strip("{}$\\") in text
    assert seeded.store.papers.get(ids[4]).title not in text


def test_csl_json_fields() -> None:
    paper = Paper(
        id="abc", title="Learning $\\alpha$-Divergences", authors=["Ada Lovelace", "Ludwig van Beethoven", "Plato"],
        venue="ICLR", year=2023, links={"forum": "https://openreview.net/forum?id=X"}, ids={"doi": "10.1/xyz"},
        abstract="We study.", track="Poster",
    )
    buf = io.StringIO()
    assert export.write_csl([paper, paper], buf) == 2
    items = json.loads(buf.getvalue())
    item = items[0]
    assert item["type"] == "paper-conference"
    assert item["title"] == "Learning α-Divergences"
    assert item["author"] == [
        {"family": "Lovelace", "given": "Ada"}, {"family": "van Beethoven", "given": "Ludwig"}, {"literal": "Plato"},
    ]
    assert item["container-title"] == "ICLR"
    assert item["issued"] == {"date-parts": [[2023]]}
    assert item["URL"] == "https://openreview.net/forum?id=X" and item["DOI"] == "10.1/xyz"
    assert item["id"] == "lovelace2023learning" and items[1]["id"] == "lovelace2023learninga"
    assert export.csl_name("Curie, Marie") == {"family": "Curie", "given": "Marie"}


def test_markdown_is_readable_and_inert() -> None:
    paper = Paper(
        id="p", title="Fast <script>alert(1)</script> [nets](javascript:alert(1))", authors=["A B", "C_D"],
        venue="ICLR", year=2023, track="Oral", links={"pdf": "javascript:alert(1)"},
        code_urls=["https://github.com/org/repo", "javascript:alert(2)"],
    )
    good = Paper(id="q", title="Good", authors=["X Y"], links={"forum": "https://openreview.net/forum?id=Q (1)"})
    buf = io.StringIO()
    assert export.write_markdown([paper, good], buf, heading="Starred papers") == 2
    text = buf.getvalue()
    lines = text.splitlines()
    assert lines[0] == "# Starred papers"
    assert "javascript:" not in text.replace("\\(javascript:alert\\(1\\)\\)", "")  # never a link target
    assert "<script>" not in text and "\\<script\\>" in text
    assert "Code: [github.com/org/repo](https://github.com/org/repo)" in text
    assert "*ICLR 2023, Oral*" in text and "C\\_D" in text
    assert lines[-1] == "2. [Good](https://openreview.net/forum?id=Q%20%281%29) — X Y"


def test_csv_and_markdown_of_a_tag(seeded: Atlas, ids: list[str]) -> None:
    library.add_tag(seeded, ids[0], "read")
    library.add_tag(seeded, ids[3], "read")
    rows = list(csv.DictReader(io.StringIO(_export(seeded, "csv", tag="read"))))
    assert [r["id"] for r in rows] == [ids[0], ids[3]]
    md = _export(seeded, "markdown", tag="read")
    assert md.startswith("# Papers tagged read\n") and md.count("\n1. ") == 1 and "\n2. " in md
    with pytest.raises(LibraryError):
        library.selection(seeded)


def test_cli_commands(seeded: Atlas, ids: list[str], tmp_path: Path) -> None:
    db = ["--db", seeded.store.location]
    seeded.close()
    run = CliRunner().invoke
    assert run(cli, ["star", ids[0], ids[1], *db]).exit_code == 0
    assert run(cli, ["star", ids[1], "--remove", *db]).exit_code == 0
    listed = run(cli, ["star", *db])
    assert listed.output.startswith(ids[0] + "\t") and ids[1] not in listed.output
    assert "tags: to-read" in run(cli, ["tag", ids[0], "To-Read", *db]).output
    assert run(cli, ["note", ids[0], "remember this", *db]).exit_code == 0
    assert run(cli, ["note", ids[0], *db]).output.strip() == "remember this"
    assert run(cli, ["list", "create", "week 1", ids[0], ids[2], *db]).output.strip() == "list 'week 1' (2 papers)"
    assert run(cli, ["list", "add", "week 1", ids[2], "--remove", *db]).exit_code == 0
    shown = json.loads(run(cli, ["list", "show", "--json", *db]).output)
    assert shown[0]["name"] == "week 1" and shown[0]["paper_ids"] == [ids[0]]
    out = tmp_path / "starred.bib"
    assert run(cli, ["library", "--format", "bibtex", "-o", str(out), *db]).exit_code == 0
    assert out.read_text().startswith("@")
    csl = json.loads(run(cli, ["library", "--format", "csl", "--list", "week 1", *db]).output)
    assert len(csl) == 1 and csl[0]["title"] and csl[0]["type"] in ("paper-conference", "article")
    bad = run(cli, ["star", "nope", *db])
    assert bad.exit_code == 1 and "no paper with id" in bad.output


def test_changes_of_many_check_every_id_first(seeded: Atlas, ids: list[str]) -> None:
    with pytest.raises(NotFound):
        library.set_stars(seeded, [ids[0], "no-such-id", ids[1]])
    assert library.selection(seeded, starred=True) == []  # a typo changes nothing
    assert [s.starred for s in library.set_stars(seeded, ids[:2])] == [True, True]
    assert [s.starred for s in library.set_stars(seeded, ids[:1], starred=False)] == [False]
    with pytest.raises(LibraryError, match="empty"):
        library.set_tags(seeded, ids[2], ["good", "  "])
    assert library.state(seeded, ids[2]).tags == []
    assert library.set_tags(seeded, ids[2], ["Good", "later"]).tags == ["good", "later"]
    assert library.set_tags(seeded, ids[2], ["LATER"], present=False).tags == ["good"]
    library.create_list(seeded, "week 2")
    with pytest.raises(NotFound):
        library.change_list(seeded, "week 2", [ids[3], "no-such-id"])
    assert library.find_list(seeded, "week 2").paper_ids == []
    assert library.change_list(seeded, "week 2", [ids[3], ids[4]]).paper_ids == [ids[3], ids[4]]
    assert library.change_list(seeded, "week 2", [ids[3]], present=False).paper_ids == [ids[4]]
    with pytest.raises(NotFound):
        library.change_list(seeded, "no such list", [ids[0]])
