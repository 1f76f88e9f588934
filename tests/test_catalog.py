"""The catalog file: migrations, one transaction per file, re-ingest, crash safety."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from _catalog_helpers import jsonl_file as _jsonl
from _catalog_helpers import phrase_papers

from paperatlas import Atlas, CatalogError, Filters, NotFound, Settings
from paperatlas.services.ingest import ingest_paths
from paperatlas.store.sqlite import SQLiteStore, migrations
from paperatlas.store.sqlite.writer import SQLiteWriter


def _conn(atlas: Atlas) -> sqlite3.Connection:
    """The SQLite store's own connection, to inspect what the store API does not show."""
    assert isinstance(atlas.store, SQLiteStore)
    return atlas.store.db.conn


def test_migrations_are_named_and_recorded(atlas: Atlas) -> None:
    names = [r[0] for r in _conn(atlas).execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in migrations.MIGRATIONS]
    assert names[0] == "m001_core"


def test_wal_mode(atlas: Atlas) -> None:
    assert _conn(atlas).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_catalog_is_refused(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "c.sqlite"
    Atlas.open(path, settings).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO _migrations VALUES ('m999_future', 'x')")
    db.commit()
    db.close()
    with pytest.raises(CatalogError, match="newer paperatlas"):
        Atlas.open(path, settings)


def test_not_a_catalog_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogError, match="cannot open the catalog"):
        Atlas.open(path, settings)


def test_failure_mid_file_leaves_catalog_as_before(atlas: Atlas, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_paths(atlas, [_jsonl(tmp_path / "a.jsonl", 50)])
    before = [p.id for p in atlas.store.papers.iter(Filters())]
    calls = {"n": 0}
    real = SQLiteWriter.add_record

    def dies_at_100(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 100:
            raise KeyboardInterrupt  # what a Ctrl-C mid-file looks like
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLiteWriter, "add_record", dies_at_100)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(atlas, [_jsonl(tmp_path / "b.jsonl", 300, start=1000)])
    assert calls["n"] == 100  # it did die inside file b
    assert [p.id for p in atlas.store.papers.iter(Filters())] == before
    assert [f["name"] for f in atlas.store.papers.files()] == ["a.jsonl"]


# The child ingests two files; inside the second file's write transaction (at its first progress
# call, after 500 records) it says so and waits to be killed.
KILLED_CHILD = """
import sys, time
from pathlib import Path
from paperatlas import Atlas, Settings
from paperatlas.services.ingest import ingest_paths

db, home, f1, f2 = sys.argv[1:5]
stored = []

def progress(n):
    if stored:  # file 1 is stored: this is file 2, mid-file
        print("MID f2", flush=True)
        time.sleep(600)

with Atlas.open(db, Settings(home=Path(home))) as atlas:
    ingest_paths(atlas, [f1, f2], progress=progress, on_file=lambda report: stored.append(report.path))
print("FINISHED", flush=True)
"""


def test_killed_process_leaves_whole_files_only(catalog_location: str | Path, tmp_path: Path, settings: Settings) -> None:
    """SIGKILL a real ingest in the middle of its second file: the first file is in the catalog
    completely, nothing of the second, and the catalog opens undamaged and takes the second after."""
    f1 = _jsonl(tmp_path / "f1.jsonl", 3000)
    f2 = _jsonl(tmp_path / "f2.jsonl", 3000, start=10000)
    db = catalog_location
    errors = tmp_path / "child.err"
    with errors.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED_CHILD, str(db), str(settings.home), str(f1), str(f2)],
            stdout=subprocess.PIPE, stderr=err, text=True,
        )
    watchdog = threading.Timer(300, proc.kill)  # a hung child fails the test instead of hanging it
    watchdog.start()
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line.strip())
            if line.strip() == "MID f2":
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        watchdog.cancel()
        proc.kill()
    assert lines[-1:] == ["MID f2"], (lines, errors.read_text()[-2000:])  # the kill landed inside file 2's transaction
    assert proc.returncode == -signal.SIGKILL
    with Atlas.open(db, settings) as atlas:
        if isinstance(atlas.store, SQLiteStore):  # the file (a PostgreSQL server rolls the session's transaction back)
            assert _conn(atlas).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [(f["name"], f["papers"]) for f in atlas.store.papers.files()] == [("f1.jsonl", 3000)]
        assert atlas.store.papers.count(Filters()) == 3000
        titles = {p.title for p in atlas.store.papers.iter(Filters())}
        assert titles == {f"Paper number {i} about topic {i % 7}" for i in range(3000)}  # f1 whole, nothing of f2
        [again] = ingest_paths(atlas, [f2])  # and the catalog takes file 2 afresh
        assert (again.error, again.new) == (None, 3000)
        assert atlas.store.papers.count(Filters()) == 6000


CLOSE_AFTER_INGEST = """
import json, sys
from pathlib import Path
from paperatlas import Atlas, Settings
from paperatlas.services.ingest import ingest_paths

home = Path(sys.argv[1])
src = home / "a.jsonl"
src.write_text("".join(json.dumps({"id": str(i), "title": f"Paper {i}", "authors": ["A B"]}) + "\\n" for i in range(50)))
for i in range(10):
    with Atlas.open(home / f"c{i}.sqlite", Settings(home=home)) as atlas:
        [report] = ingest_paths(atlas, [src])
        assert report.new == 50
print("DONE", flush=True)
"""


def test_closing_right_after_an_ingest_is_clean(tmp_path: Path, settings: Settings) -> None:
    """An ingest starts bringing the keyword index up to date in the background; closing the
    Atlas right after must neither crash nor leave that work failing on a closed catalog.
    (In a child process, so a crash fails this test and not the test run.)"""
    settings.home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", CLOSE_AFTER_INGEST, str(settings.home)],
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout.strip()) == (0, "DONE"), done.stderr[-2000:]
    assert "warming up the keyword index failed" not in done.stderr, done.stderr[-2000:]
    assert "Error" not in done.stderr, done.stderr[-2000:]


def test_reingest_of_changed_file_updates_and_keeps_missing(atlas: Atlas, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "a.jsonl", 10)
    ingest_paths(atlas, [path])
    lines = path.read_text().splitlines()
    changed = json.loads(lines[0])
    changed["abstract"] = "A corrected abstract, longer than before. " * 3
    path.write_text("\n".join([json.dumps(changed)] + lines[1:8]) + "\n")
    [report] = ingest_paths(atlas, [path])
    assert (report.found, report.new, report.updated, report.unchanged) == (8, 0, 1, 7)
    assert any("not in it any more" in w for w in report.warnings)
    assert atlas.store.papers.count(Filters()) == 10
    [paper] = [p for p in atlas.store.papers.iter(Filters()) if p.title == "Paper number 0 about topic 0"]
    assert paper.abstract.startswith("A corrected abstract")


@pytest.mark.parametrize("one_call", [True, False], ids=["one-ingest", "two-ingests"])
def test_same_content_under_another_name_is_unchanged_not_a_second_source(atlas: Atlas, tmp_path: Path, one_call: bool) -> None:
    """The same bytes from another path are the file already read: reported unchanged, naming
    the stored path, and the papers keep their one source."""
    a = _jsonl(tmp_path / "a.jsonl", 20)
    b = tmp_path / "copy.jsonl"
    b.write_bytes(a.read_bytes())
    first, second = ingest_paths(atlas, [a, b]) if one_call else ingest_paths(atlas, [a]) + ingest_paths(atlas, [b])
    assert (first.found, first.new) == (20, 20)
    assert (second.error, second.found, second.unchanged, second.new, second.merged) == (None, 20, 20, 0, 0)
    assert second.same_as == str(a.resolve())
    assert atlas.store.papers.count(Filters()) == 20
    assert all(len(p.sources) == 1 and p.sources[0].file == "a.jsonl" for p in atlas.store.papers.iter(Filters()))
    assert [f["name"] for f in atlas.store.papers.files()] == ["a.jsonl"]


def test_unknown_paper_is_not_found(atlas: Atlas) -> None:
    with pytest.raises(NotFound):
        atlas.store.papers.get("nope")


def test_filters(atlas: Atlas, tmp_path: Path) -> None:
    ingest_paths(atlas, [_jsonl(tmp_path / "a.jsonl", 14), _jsonl(tmp_path / "b.jsonl", 3, start=100, venue="Other")])
    count = atlas.store.papers.count
    assert count(Filters(venue="testconf")) == 14
    assert count(Filters(venue="Other", year=2024)) == 3
    assert count(Filters(author="shared person")) == 17
    assert count(Filters(author="Person Shared")) == 17  # any order
    assert count(Filters(author="author 3")) == 1  # whole words: not "Author 13"
    assert count(Filters(year_from=2024, year_to=2024)) == 17
    assert count(Filters(year=1999)) == 0
    # what the removed text filter did, done by search: papers 3, 10 and 101 are about topic 3
    about_3 = phrase_papers(atlas, "topic 3")
    assert sorted(p.title for p in about_3) == [
        "Paper number 10 about topic 3", "Paper number 101 about topic 3", "Paper number 3 about topic 3",
    ]


def test_stats_counts_files_and_coverage(atlas: Atlas, seed_paths: list[Path]) -> None:
    ingest_paths(atlas, seed_paths)
    s = atlas.store.papers.stats()
    assert s["papers"] == 705 and s["records"] == 713
    assert s["multi_source_papers"] == 8
    assert {f["name"][:3]: f["claimed_total"] for f in s["files"]}["000"] == 693
    assert s["coverage"]["abstract"] == 705
    assert s["coverage"]["title"] == 705 - 22


def test_papers_for_indexing_hold_what_the_indexes_read(atlas: Atlas, seed_paths: list[Path]) -> None:
    from paperatlas.search.document import embedding_text, embedding_title, keyword_fields

    ingest_paths(atlas, seed_paths)
    ids = [p.id for p in atlas.store.papers.iter(Filters())]
    full, lean = atlas.store.papers.by_ids(ids), atlas.store.papers.for_indexing(ids + ["no-such-id"])
    assert set(lean) == set(full) and len(full) == 705
    for pid, paper in full.items():
        assert keyword_fields(lean[pid]) == keyword_fields(paper)
        assert embedding_text(lean[pid]) == embedding_text(paper)
        assert embedding_title(lean[pid]) == embedding_title(paper)
    assert any(p.code_urls for p in lean.values())  # the seeds have code links, no keywords
