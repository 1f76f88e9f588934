"""The catalog file: migrations, one transaction per file, re-ingest, crash safety."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperatlas.catalog import Catalog, Filters, migrations
from paperatlas.catalog import write as write_module
from paperatlas.errors import CatalogError, NotFound
from paperatlas.ingest import ingest_paths


def _jsonl(path: Path, n: int, start: int = 0, venue: str = "TestConf") -> Path:
    with path.open("w") as fp:
        for i in range(start, start + n):
            fp.write(json.dumps({
                "id": f"rec{i}", "title": f"Paper number {i} about topic {i % 7}",
                "authors": [f"Author {i}", "Shared Person"], "abstract": f"Abstract {i} " * 5,
                "venue": venue, "year": 2024,
            }) + "\n")
    return path


def test_migrations_are_named_and_recorded(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as cat:
        names = [r[0] for r in cat.db.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in migrations.MIGRATIONS]
    assert names[0] == "m001_core"


def test_wal_mode(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as cat:
        assert cat.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_catalog_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    Catalog(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO _migrations VALUES ('m999_future', 'x')")
    db.commit()
    db.close()
    with pytest.raises(CatalogError, match="newer paperatlas"):
        Catalog(path)


def test_not_a_catalog_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogError, match="cannot open the catalog"):
        Catalog(path)


def test_failure_mid_file_leaves_catalog_as_before(catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_paths(catalog, [_jsonl(tmp_path / "a.jsonl", 50)])
    before = [p.id for p in catalog.iter_papers()]
    calls = {"n": 0}
    real = write_module.BatchWriter.insert_record

    def dies_at_100(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 100:
            raise KeyboardInterrupt  # what a Ctrl-C mid-file looks like
        return real(self, *args, **kwargs)

    monkeypatch.setattr(write_module.BatchWriter, "insert_record", dies_at_100)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(catalog, [_jsonl(tmp_path / "b.jsonl", 300, start=1000)])
    assert [p.id for p in catalog.iter_papers()] == before
    assert [f["name"] for f in catalog.files()] == ["a.jsonl"]


def test_killed_process_leaves_whole_files_only(tmp_path: Path) -> None:
    """SIGKILL a real ingest at some point: every file is in the catalog completely or not at all."""
    files = [_jsonl(tmp_path / f"f{i}.jsonl", 3000, start=i * 10000) for i in range(4)]
    db = tmp_path / "c.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperatlas", "ingest", "--db", str(db), *map(str, files)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not (db.exists() and Path(str(db) + "-wal").exists()):
        time.sleep(0.01)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Catalog(db) as cat:
        per_file = {f["name"]: f["papers"] for f in cat.files()}
        assert all(n == 3000 for n in per_file.values())
        assert cat.count() == 3000 * len(per_file)


def test_reingest_of_changed_file_updates_and_keeps_missing(catalog: Catalog, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "a.jsonl", 10)
    ingest_paths(catalog, [path])
    lines = path.read_text().splitlines()
    changed = json.loads(lines[0])
    changed["abstract"] = "A corrected abstract, longer than before. " * 3
    path.write_text("\n".join([json.dumps(changed)] + lines[1:8]) + "\n")
    [report] = ingest_paths(catalog, [path])
    assert (report.found, report.new, report.updated, report.unchanged) == (8, 0, 1, 7)
    assert any("not in it any more" in w for w in report.warnings)
    assert catalog.count() == 10
    [paper] = catalog.papers(Filters(text="Paper number 0 "), limit=None)
    assert paper.abstract.startswith("A corrected abstract")


def test_same_content_under_another_name_merges_not_duplicates(catalog: Catalog, tmp_path: Path) -> None:
    a = _jsonl(tmp_path / "a.jsonl", 20)
    b = tmp_path / "copy.jsonl"
    b.write_bytes(a.read_bytes())
    ingest_paths(catalog, [a, b])
    assert catalog.count() == 20
    assert all(len(p.sources) == 2 for p in catalog.iter_papers())


def test_unknown_paper_is_not_found(catalog: Catalog) -> None:
    with pytest.raises(NotFound):
        catalog.get("nope")


def test_filters(catalog: Catalog, tmp_path: Path) -> None:
    ingest_paths(catalog, [_jsonl(tmp_path / "a.jsonl", 14), _jsonl(tmp_path / "b.jsonl", 3, start=100, venue="Other")])
    assert catalog.count(Filters(venue="testconf")) == 14
    assert catalog.count(Filters(venue="Other", year=2024)) == 3
    assert catalog.count(Filters(author="shared person")) == 17
    assert catalog.count(Filters(text="topic 3")) == 3  # papers 3, 10 and 101
    assert catalog.count(Filters(year=1999)) == 0


def test_stats_counts_files_and_coverage(catalog: Catalog, seed_paths: list[Path]) -> None:
    ingest_paths(catalog, seed_paths)
    s = catalog.stats()
    assert s["papers"] == 705 and s["records"] == 713
    assert s["multi_source_papers"] == 8
    assert {f["name"][:3]: f["claimed_total"] for f in s["files"]}["000"] == 693
    assert s["coverage"]["abstract"] == 705
    assert s["coverage"]["title"] == 705 - 22


def test_papers_for_indexing_hold_what_the_indexes_read(tmp_path: Path, seed_paths: list[Path]) -> None:
    from paperatlas.search.document import embedding_text, embedding_title, keyword_fields

    with Catalog(tmp_path / "c.sqlite") as cat:
        ingest_paths(cat, seed_paths)
        ids = [p.id for p in cat.iter_papers()]
        full, lean = cat.papers_by_ids(ids), cat.papers_for_indexing(ids + ["no-such-id"])
        assert set(lean) == set(full) and len(full) == 705
        for pid, paper in full.items():
            assert keyword_fields(lean[pid]) == keyword_fields(paper)
            assert embedding_text(lean[pid]) == embedding_text(paper)
            assert embedding_title(lean[pid]) == embedding_title(paper)
        assert any(p.code_urls for p in lean.values())  # the seeds have code links, no keywords
