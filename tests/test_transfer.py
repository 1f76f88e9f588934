"""Moving a library between catalogs (``library export`` / ``library import``) and backing up a
live catalog (``backup``).

Paper ids differ between catalogs, so everything here compares papers by their sources: the
sample file each record came from (by its original name, whatever the copy is called) and the
record's id in it.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import CatalogMaker

from paperatlas import Atlas, Filters, Settings
from paperatlas.cli import cli
from paperatlas.errors import InvalidInput, LibraryError, TransferError
from paperatlas.ingest import Overrides
from paperatlas.models import Paper
from paperatlas.services import library, review
from paperatlas.services.catalog import backup
from paperatlas.services.ingest import ingest_paths, ingest_samples
from paperatlas.services.transfer import export_library, import_library

SAMPLES = Path(__file__).parent.parent / "paperatlas" / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())["files"]
NAMES = sorted(MANIFEST)  # the five sample listings
COPY = "renamed-"  # catalog B reads copies of the samples, renamed, in another folder

Sig = frozenset[tuple[str, str]]


# -- comparing catalogs ----------------------------------------------------------------------------
def _sig(paper: Paper) -> Sig:
    """A paper as its sources: (sample file name, record id) of each record."""
    return frozenset((s.file.removeprefix(COPY), s.record_id) for s in paper.sources)


def _sigs(atlas: Atlas, ids: list[str]) -> list[Sig]:
    papers = atlas.store.papers.by_ids(ids)
    return [_sig(papers[i]) for i in ids]


def _partition(atlas: Atlas) -> set[Sig]:
    """Which records are one paper, for the whole catalog."""
    return {_sig(p) for p in atlas.store.papers.iter(Filters())}


def _library(atlas: Atlas) -> dict[str, Any]:
    """The library, by paper sources instead of paper ids."""
    lib = library.library(atlas)
    return {
        "stars": set(_sigs(atlas, lib.starred)),
        "tags": {tag: set(_sigs(atlas, ids)) for tag, ids in lib.tagged.items()},
        "notes": {_sigs(atlas, [n.paper_id])[0]: n.body for n in lib.notes},
        "lists": {lst.name: _sigs(atlas, lst.paper_ids) for lst in lib.lists},
    }


def _decisions(atlas: Atlas) -> list[tuple[Any, ...]]:
    """A person's decisions as stored: kind, times, and the records they link (by identity)."""
    return [(a.kind, a.decided_at, a.undone_at, [(d, tuple(x), tuple(y)) for d, x, y in a.links])
            for a in review.decisions(atlas)]


def _state(atlas: Atlas) -> tuple[Any, ...]:
    return _library(atlas), _decisions(atlas), _partition(atlas)


def _ingest_copies(atlas: Atlas, folder: Path, names: list[str]) -> None:
    """Ingest renamed copies of these sample files from ``folder``, in this order, each with what
    is known about it (as ``ingest_samples`` does)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        copy = folder / (COPY + name)
        shutil.copyfile(SAMPLES / name, copy)
        known = {k: v for k, v in MANIFEST[name].items() if k in ("venue", "year", "track", "session")}
        [report] = ingest_paths(atlas, [copy], overrides=Overrides(**known))
        assert report.ok and report.found > 0


def _export(atlas: Atlas) -> str:
    buf = io.StringIO()
    export_library(atlas, buf)
    return buf.getvalue()


# -- catalog A: a library with every kind of thing -------------------------------------------------
@pytest.fixture
def made(atlas: Atlas) -> dict[str, Any]:
    """Catalog A: the samples, a hand merge, a keep-apart, a split of an automatic merge, three
    stars, four tags, two notes, two lists of five items in all."""
    ingest_samples(atlas)
    papers = atlas.store.papers.list(Filters(), limit=None)
    singles = [p for p in papers if len(p.sources) == 1 and p.title]
    twice = [p for p in papers if len(p.sources) == 2]
    s = [p.id for p in singles[:12]]
    merged = review.merge(atlas, s[0], s[1]).papers[0].id
    review.keep_apart(atlas, s[2], s[3])
    split = review.split(atlas, twice[0].id)
    assert len(split.papers) == 2
    for pid in (merged, s[4], s[5]):
        library.star(atlas, pid)
    library.add_tag(atlas, s[4], "to-read")
    library.add_tag(atlas, s[6], "to-read")
    library.add_tag(atlas, s[6], "graphs")
    library.add_tag(atlas, merged, "graphs")
    library.set_note(atlas, s[5], "check the proofs")
    library.set_note(atlas, merged, "two listings, one paper")
    library.create_list(atlas, "week 1", [s[7], s[4], merged])
    library.create_list(atlas, "later", [s[8], s[9]])
    return {"atlas": atlas, "merged": merged, "singles": s, "split": [p.id for p in split.papers],
            "split_sig": _sig(twice[0])}


EXPORTED = {"stars": 3, "tags": 4, "notes": 2, "lists": 2, "list_items": 5, "feedback": 0, "decisions": 3}


def test_export_holds_the_whole_library(made: dict[str, Any]) -> None:
    a: Atlas = made["atlas"]
    buf = io.StringIO()
    assert export_library(a, buf) == EXPORTED
    data = json.loads(buf.getvalue())
    assert data["format"] == "paperatlas-library" and data["version"] == 1
    assert [d["kind"] for d in data["decisions"]] == ["merge", "distinct", "split"]
    assert sorted(lst["name"] for lst in data["lists"]) == ["later", "week 1"]
    assert {n["body"] for n in data["notes"]} == {"check the proofs", "two listings, one paper"}
    assert sorted(set(data["sources"].values())) == NAMES


def test_round_trip_into_a_fresh_catalog_of_moved_copies(made: dict[str, Any], tmp_path: Path, settings: Settings,
                                                         new_catalogs: CatalogMaker) -> None:
    a: Atlas = made["atlas"]
    text = _export(a)
    wanted = _library(a)
    with Atlas.open(new_catalogs.new(tmp_path), settings) as b:
        _ingest_copies(b, tmp_path / "elsewhere", NAMES[::-1])  # another folder, names and order
        assert library.library(b).starred == [] and review.decisions(b) == []
        report = import_library(b, io.StringIO(text))
        assert report.exported == EXPORTED
        assert report.added == {"stars": 3, "tags": 4, "notes": 2, "list_items": 5, "feedback": 0, "decisions": 3}
        assert report.present == report.missing == dict.fromkeys(report.added, 0)
        assert report.missing_papers == []
        assert report.lists_created == 2 and report.notes_appended == 0
        assert report.merges_applied == 1  # the hand merge
        assert report.separations_applied == 1  # the split: B merged those records when reading them
        got = _library(b)
        assert got["stars"] == wanted["stars"]
        assert got["tags"] == wanted["tags"]
        assert got["notes"] == wanted["notes"]
        assert got["lists"] == wanted["lists"]  # in list order
        assert _decisions(b) == _decisions(a)
        # The hand-merged paper is one paper in B too, with the library state of A's.
        [merged_sig] = _sigs(a, [made["merged"]])
        assert len(merged_sig) == 2 and merged_sig in _partition(b)
        assert library.state(b, _find(b, merged_sig)).tags == ["graphs"]
        # The kept-apart papers stay apart.
        for sig in _sigs(a, made["singles"][2:4]):
            assert sig in _partition(b)
        # The split paper: B merged its two records when it read the files; the imported split
        # says they are two papers.
        for sig in _sigs(a, made["split"]):
            assert sig in _partition(b), "the imported split is not applied"
        assert made["split_sig"] not in _partition(b)
        assert _partition(b) == _partition(a)


def _find(atlas: Atlas, sig: Sig) -> str:
    [pid] = [p.id for p in atlas.store.papers.iter(Filters()) if _sig(p) == sig]
    return pid


def _paperatlas(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process, as a person runs it."""
    return subprocess.run([sys.executable, "-m", "paperatlas", *args], capture_output=True, text=True, timeout=600)


def test_the_cli_round_trip(made: dict[str, Any], tmp_path: Path, settings: Settings, new_catalogs: CatalogMaker) -> None:
    a: Atlas = made["atlas"]
    file = tmp_path / "library.json"
    run = CliRunner().invoke
    result = run(cli, ["library", "export", str(file), "--db", a.store.location, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"file": str(file), **EXPORTED}
    b_path = new_catalogs.new(tmp_path)
    with Atlas.open(b_path, settings) as b:
        _ingest_copies(b, tmp_path / "elsewhere", NAMES[2:] + NAMES[:2])
    result = run(cli, ["library", "import", str(file), "--db", str(b_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["added"] == {"stars": 3, "tags": 4, "notes": 2, "list_items": 5, "feedback": 0, "decisions": 3}
    assert report["lists_created"] == 2 and report["missing_papers"] == []
    # Again, in a process of its own: the import starts a keyword warm-up that the command must
    # let finish before it closes the catalog and exits (nothing on standard error).
    again = _paperatlas("library", "import", str(file), "--db", str(b_path))
    assert again.returncode == 0, again.stderr
    assert "stars       0 added, 3 already here, 0 name papers not in this catalog" in again.stdout
    assert again.stderr == ""
    with Atlas.open(b_path, settings) as b:
        assert _library(b) == _library(a)
        assert _partition(b) == _partition(a)


def test_importing_twice_adds_nothing_the_second_time(made: dict[str, Any], tmp_path: Path, settings: Settings,
                                                     new_catalogs: CatalogMaker) -> None:
    text = _export(made["atlas"])
    with Atlas.open(new_catalogs.new(tmp_path), settings) as b:
        _ingest_copies(b, tmp_path / "elsewhere", NAMES)
        import_library(b, io.StringIO(text))
        before = _state(b)
        report = import_library(b, io.StringIO(text))
        assert report.added == dict.fromkeys(report.added, 0)
        assert report.present == {"stars": 3, "tags": 4, "notes": 2, "list_items": 5, "feedback": 0, "decisions": 3}
        assert report.missing == dict.fromkeys(report.missing, 0)
        assert (report.lists_created, report.notes_appended, report.merges_applied, report.separations_applied) == (0, 0, 0, 0)
        assert _state(b) == before
        assert len(library.library(b).notes) == 2 and all("---" not in n.body for n in library.library(b).notes)


def test_import_into_the_catalog_it_came_from_changes_nothing(made: dict[str, Any]) -> None:
    a: Atlas = made["atlas"]
    before = _state(a)
    report = import_library(a, io.StringIO(_export(a)))
    assert report.added == dict.fromkeys(report.added, 0) and report.missing == dict.fromkeys(report.missing, 0)
    assert _state(a) == before


def test_papers_the_catalog_lacks_are_reported_not_fatal(atlas: Atlas, tmp_path: Path, settings: Settings,
                                                         new_catalogs: CatalogMaker) -> None:
    """Catalog B read only three of the five listings: what names the other two is reported."""
    lacking = [n for n in NAMES if n.startswith(("000_", "002_"))]  # the two ICLR 2021 listings
    kept = [n for n in NAMES if n not in lacking]
    with Atlas.open(new_catalogs.new(tmp_path), settings) as b:
        _ingest_copies(b, tmp_path / "elsewhere", kept)
        titles_in_b = {p.title.lower() for p in b.store.papers.iter(Filters())}
        ingest_samples(atlas)
        papers = atlas.store.papers.list(Filters(), limit=None)
        gone = [p for p in papers if len(p.sources) == 1 and p.title and p.title.lower() not in titles_in_b
                and p.sources[0].file in lacking][:2]
        here = [p for p in papers if len(p.sources) == 1 and p.title and p.sources[0].file in kept][:3]
        assert len(gone) == 2 and len(here) == 3
        for p in (*gone, *here):
            library.star(atlas, p.id)
        library.add_tag(atlas, gone[0].id, "lost")
        library.add_tag(atlas, here[0].id, "kept")
        library.set_note(atlas, gone[1].id, "a note on a paper B lacks")
        library.create_list(atlas, "mixed", [here[1].id, gone[0].id, here[2].id])
        review.merge(atlas, here[0].id, here[1].id)  # both in B
        review.keep_apart(atlas, gone[0].id, gone[1].id)  # neither in B
        text = _export(atlas)

        report = import_library(b, io.StringIO(text))
        assert report.missing == {"stars": 2, "tags": 1, "notes": 1, "list_items": 1, "feedback": 0, "decisions": 1}
        # A's four stars: the two papers B lacks, the merged paper (its two stars became one), one more.
        assert report.added == {"stars": 2, "tags": 1, "notes": 0, "list_items": 2, "feedback": 0, "decisions": 2}
        assert {m["id"] for m in report.missing_papers} == {gone[0].id, gone[1].id}
        assert {m["title"] for m in report.missing_papers} == {gone[0].title, gone[1].title}
        assert report.merges_applied == 1
        got = _library(b)
        merged = _sig(here[0]) | _sig(here[1])
        assert got["stars"] == {merged, _sig(here[2])}
        assert got["tags"] == {"kept": {merged}}
        assert got["notes"] == {}
        assert got["lists"] == {"mixed": [merged, _sig(here[2])]}
        assert len(review.decisions(b)) == 2  # the keep-apart is kept for when those files come

        # The missing listings arrive: importing again brings the rest.
        _ingest_copies(b, tmp_path / "later", lacking)
        assert _sig(gone[0]) in _partition(b) and _sig(gone[1]) in _partition(b)
        again = import_library(b, io.StringIO(text))
        assert again.missing == dict.fromkeys(again.missing, 0) and again.missing_papers == []
        assert again.added == {"stars": 2, "tags": 1, "notes": 1, "list_items": 1, "feedback": 0, "decisions": 0}
        assert again.present == {"stars": 2, "tags": 1, "notes": 0, "list_items": 2, "feedback": 0, "decisions": 2}
        got, wanted = _library(b), _library(atlas)
        assert {k: got[k] for k in ("stars", "tags", "notes")} == {k: wanted[k] for k in ("stars", "tags", "notes")}
        # The late item joins the end of the list.
        assert got["lists"] == {"mixed": [merged, _sig(here[2]), _sig(gone[0])]}


# -- bad input -------------------------------------------------------------------------------------
@pytest.fixture
def b_with_library(tmp_path: Path, settings: Settings, made: dict[str, Any],
                   new_catalogs: CatalogMaker) -> Iterator[tuple[Atlas, str]]:
    """Catalog B with the samples and a small library of its own, and A's export."""
    text = _export(made["atlas"])
    with Atlas.open(new_catalogs.new(tmp_path), settings) as b:
        _ingest_copies(b, tmp_path / "elsewhere", NAMES)
        first = b.store.papers.list(Filters(), limit=2)
        library.star(b, first[0].id)
        library.add_tag(b, first[1].id, "mine")
        library.create_list(b, "my list", [first[0].id])
        yield b, text


def _damaged(text: str, change: Any) -> str:
    data = json.loads(text)
    change(data)
    return json.dumps(data)


def _set(key: str, value: Any) -> Any:
    return lambda data: data.__setitem__(key, value)


def _empty_last_tag(data: dict[str, Any]) -> None:
    data["tags"][-1]["tag"] = "   "  # after the stars and decisions in the file


BAD = [
    ("not json", lambda text: "{not json", TransferError, "is not JSON"),
    ("another program", lambda text: json.dumps({"name": "zotero-export", "version": 1, "items": []}),
     TransferError, "is not a paperatlas library export"),
    ("a list", lambda text: "[1, 2, 3]", TransferError, "is not a paperatlas library export"),
    ("newer version", lambda text: _damaged(text, _set("version", 99)), TransferError, "newer paperatlas"),
    ("damaged shape", lambda text: _damaged(text, _set("stars", {})), TransferError, "'stars' must be a JSON list"),
    ("empty tag", lambda text: _damaged(text, _empty_last_tag), LibraryError, "the tag is empty"),
]


@pytest.mark.parametrize(("make", "error", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_input_is_a_clear_error_and_writes_nothing(
    b_with_library: tuple[Atlas, str], make: Any, error: type[Exception], message: str
) -> None:
    b, text = b_with_library
    before = _state(b)
    with pytest.raises(error, match=message) as caught:
        import_library(b, io.StringIO(make(text)))
    assert isinstance(caught.value, InvalidInput) and caught.value.hint
    assert _state(b) == before


@pytest.mark.parametrize(("make", "message"), [(case[1], case[3]) for case in BAD], ids=[case[0] for case in BAD])
def test_bad_input_on_the_command_line(
    b_with_library: tuple[Atlas, str], tmp_path: Path, make: Any, message: str
) -> None:
    b, text = b_with_library
    before = _state(b)
    file = tmp_path / "bad.json"
    file.write_text(make(text))
    result = CliRunner().invoke(cli, ["library", "import", str(file), "--db", b.store.location])
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and message in result.output and "hint:" in result.output
    assert "Traceback" not in result.output
    assert _state(b) == before


def test_a_newer_export_names_the_version(b_with_library: tuple[Atlas, str]) -> None:
    b, text = b_with_library
    with pytest.raises(TransferError) as caught:
        import_library(b, io.StringIO(_damaged(text, _set("version", 99))))
    assert "newer paperatlas" in caught.value.message and "99" in caught.value.message
    assert "upgrade" in caught.value.hint


# -- backup ----------------------------------------------------------------------------------------
def test_backup_of_a_live_catalog(atlas: Atlas, tmp_path: Path, settings: Settings) -> None:
    ingest_samples(atlas)
    ids = [p.id for p in atlas.store.papers.list(Filters(), limit=3)]
    library.star(atlas, ids[0])
    library.add_tag(atlas, ids[1], "backed-up")
    library.set_note(atlas, ids[2], "in the copy")
    library.create_list(atlas, "reading", ids)
    review.keep_apart(atlas, ids[0], ids[1])
    dest = tmp_path / "backups" / "copy.sqlite"
    # The catalog stays open (and was just written) while the command line backs it up.
    result = CliRunner().invoke(cli, ["backup", str(dest), "--db", str(atlas.store.path), "--json"])
    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert done["papers"] == 705 and done["path"] == str(dest) and done["bytes"] == dest.stat().st_size
    library.star(atlas, ids[1])  # the original goes on working
    with Atlas.open(dest, settings) as copy:
        assert copy.store.papers.count(Filters()) == 705
        assert _partition(copy) == _partition(atlas)
        lib = library.library(copy)
        assert lib.starred == [ids[0]]
        assert lib.tagged == {"backed-up": [ids[1]]}
        assert [(n.paper_id, n.body) for n in lib.notes] == [(ids[2], "in the copy")]
        assert [(lst.name, lst.paper_ids) for lst in lib.lists] == [("reading", ids)]
        assert [a.kind for a in review.decisions(copy)] == ["distinct"]
    assert library.library(atlas).starred == [ids[1], ids[0]]


def test_backup_through_the_service_while_open(atlas: Atlas, tmp_path: Path, settings: Settings) -> None:
    ingest_samples(atlas)
    [pid] = [p.id for p in atlas.store.papers.list(Filters(), limit=1)]
    library.star(atlas, pid)
    dest = tmp_path / "copy.sqlite"
    report = backup(atlas, dest)
    assert (report.path, report.papers) == (str(dest), 705)
    with Atlas.open(dest, settings) as copy:
        assert _partition(copy) == _partition(atlas)
        assert library.library(copy).starred == [pid]


def test_backup_never_overwrites(atlas: Atlas, tmp_path: Path) -> None:
    ingest_samples(atlas)
    dest = tmp_path / "taken.sqlite"
    dest.write_bytes(b"something precious")
    result = CliRunner().invoke(cli, ["backup", str(dest), "--db", atlas.store.location])
    assert result.exit_code == 1
    assert "error:" in result.output and "exists" in result.output and "hint:" in result.output
    assert dest.read_bytes() == b"something precious"


def test_not_interested_marks_travel_with_the_library(tmp_path: Path, settings: Settings,
                                                      new_catalogs: CatalogMaker) -> None:
    from paperatlas.recommend import set_not_interested

    with Atlas.open(new_catalogs.new(tmp_path), settings) as a:
        ingest_samples(a)
        pids = sorted(a.store.papers.ids_matching(Filters()))[:3]
        library.set_stars(a, pids[:1])
        set_not_interested(a, "starred", pids[1])
        buf = io.StringIO()
        assert export_library(a, buf)["feedback"] == 1
        titles = {a.store.papers.get(pids[1]).title}
    with Atlas.open(new_catalogs.new(tmp_path), settings) as b:
        ingest_samples(b)
        report = import_library(b, io.StringIO(buf.getvalue()))
        assert report.added["feedback"] == 1
        [(pid, kind)] = b.store.library.feedback("starred").items()
        assert kind == "not_interested" and b.store.papers.get(pid).title in titles


def test_migrate_copies_the_whole_catalog_and_refuses_a_catalog_that_is_not_empty(
        tmp_path: Path, settings: Settings, new_catalogs: CatalogMaker) -> None:
    source = new_catalogs.new(tmp_path)
    with Atlas.open(source, settings) as atlas:
        ingest_samples(atlas)
        first = atlas.store.papers.list(Filters(), limit=1)[0].id
        library.star(atlas, first)
        papers = atlas.store.papers.count(Filters())
    target = new_catalogs.new(tmp_path)
    run = CliRunner().invoke(cli, ["migrate", "--db", str(source), "--to", str(target), "--json"], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    tables = json.loads(run.output)["tables"]
    assert tables["papers"] == {"here": papers, "there": papers} and tables["stars"] == {"here": 1, "there": 1}
    assert all(t["here"] == t["there"] for t in tables.values())
    with Atlas.open(target, settings) as copy:
        assert copy.store.papers.count(Filters()) == papers and copy.store.library.starred_ids() == [first]
    again = CliRunner().invoke(cli, ["migrate", "--db", str(source), "--to", str(target)])
    assert again.exit_code == 1 and "error" in again.output
