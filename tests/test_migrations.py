"""Catalogs written by earlier versions migrate to exactly the schema of a fresh catalog, keep
their data, and a catalog from a newer version is refused without being touched."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from paperatlas import Atlas, CatalogError, Filters, Settings
from paperatlas.services import review
from paperatlas.services.ingest import ingest_paths
from paperatlas.store.sqlite import migrations

DATA = Path(__file__).parent / "data" / "migrations"


def _restore(dump: str, dest: Path) -> Path:
    """A catalog file from a SQL dump, as the old version left it."""
    db = sqlite3.connect(dest)
    db.executescript((DATA / dump).read_text())
    db.commit()
    db.close()
    return dest


def _schema(path: Path) -> list[tuple[str, str, str]]:
    """(type, name, SQL with comments and spacing normalised) of every schema object."""
    db = sqlite3.connect(path)
    rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    db.close()
    out = []
    for kind, name, sql in rows:
        text = re.sub(r"--[^\n]*", "", sql or "")
        out.append((kind, name, re.sub(r"\s+", " ", text).replace("( ", "(").replace(" )", ")").strip()))
    return out


def _columns(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    out = {t: db.execute(f"PRAGMA table_info({t})").fetchall() for t in tables}
    db.close()
    return out


@pytest.fixture
def fresh(tmp_path: Path, settings: Settings) -> Path:
    path = tmp_path / "fresh.sqlite"
    Atlas.open(path, settings).close()
    return path


@pytest.mark.parametrize("dump", ["first_shipped.sql", "pre_redesign.sql"])
def test_old_catalog_migrates_to_the_fresh_schema(dump: str, tmp_path: Path, settings: Settings, fresh: Path) -> None:
    old = _restore(dump, tmp_path / "old.sqlite")
    assert _schema(old) != _schema(fresh)  # the test starts from a real difference
    Atlas.open(old, settings).close()
    assert _schema(old) == _schema(fresh)
    assert _columns(old) == _columns(fresh)
    db = sqlite3.connect(old)
    assert [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")] == [n for n, _ in migrations.MIGRATIONS]


def test_first_shipped_catalog_keeps_its_papers(tmp_path: Path, settings: Settings) -> None:
    old = _restore("first_shipped.sql", tmp_path / "old.sqlite")
    with Atlas.open(old, settings) as atlas:
        titles = sorted(p.title for p in atlas.store.papers.iter(Filters()))
        assert titles == ["Attention Is All You Need", "Deep Residual Learning for Image Recognition"]
        # author words were filled in for the author filter
        [paper] = atlas.store.papers.list(Filters(author="Vaswani Ashish"))
        assert paper.title == "Attention Is All You Need"
        # the change feed still lists both papers, so derived indexes build from it
        assert len(atlas.store.feed.changes_since(0)[1]) == 2


def test_pre_redesign_catalog_keeps_library_and_decisions(tmp_path: Path, settings: Settings) -> None:
    old = _restore("pre_redesign.sql", tmp_path / "old.sqlite")
    with Atlas.open(old, settings) as atlas:
        assert atlas.store.papers.count(Filters()) == 3
        merged = next(p for p in atlas.store.papers.iter(Filters()) if len(p.sources) == 2)
        assert {s.file for s in merged.sources} == {"a.jsonl", "b.jsonl"}
        assert atlas.store.library.starred_ids() == [merged.id]
        assert atlas.store.library.tag_counts() == [("transformers", 1)]
        assert [n[1] for n in atlas.store.library.notes()] == ["read §3"]
        assert [name for _, name, _ in atlas.store.library.lists()] == ["classics"]
        kinds = [a.kind for a in review.decisions(atlas)]
        assert kinds == ["merge", "distinct"]
        # decisions now name records by source (the files' fingerprints when they were stored)
        first = review.decisions(atlas)[0]
        assert all(len(source) == 64 for _, (source, _), _ in first.links)
        # the hand merge can still be undone: split uses the migrated decision
        parts = review.split(atlas, merged.id).papers
        assert sorted(p.title for p in parts) == ["Attention Is All You Need", "Attention is all you need (extended)"]


def test_files_of_a_migrated_catalog_read_from_a_new_folder_are_unchanged(tmp_path: Path, settings: Settings) -> None:
    old = _restore("pre_redesign.sql", tmp_path / "old.sqlite")
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("a.jsonl", "b.jsonl"):
        shutil.copy(DATA / name, moved / name)
    with Atlas.open(old, settings) as atlas:
        reports = ingest_paths(atlas, [moved / "a.jsonl", moved / "b.jsonl"])
        assert [(r.unchanged, r.new, r.merged) for r in reports] == [(2, 0, 0), (2, 0, 0)]
        assert atlas.store.papers.count(Filters()) == 3


def test_catalog_of_a_newer_version_is_refused_untouched(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "newer.sqlite"
    Atlas.open(path, settings).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', '2030-01-01T00:00:00Z')")
    db.commit()
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(CatalogError, match="newer paperatlas") as err:
        Atlas.open(path, settings)
    assert "m999_from_the_future" in err.value.message and "upgrade" in err.value.hint
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_file_that_is_not_a_catalog_is_refused_with_a_hint(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n" * 50)
    with pytest.raises(CatalogError, match="cannot open the catalog") as err:
        Atlas.open(path, settings)
    assert "--db" in err.value.hint
    assert path.read_text().startswith("these are my notes")
