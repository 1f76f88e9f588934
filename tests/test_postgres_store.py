"""The PostgreSQL store on a real server (tests/_postgres.py): what only it can get wrong.

The rest of the suite runs on it with ``pytest --store=postgres`` (tests/conftest.py); here: bad
URLs, a server that goes away in the middle of a write and comes back, a catalog of a newer
version, two imports at once, the same answers as SQLite for the seeds, filters, orders, venue
pages and vectors, NUL characters, pg_dump backups. tests/test_postgres_copy.py: the other
namespaces on both stores, and ``copy_catalog`` between them with every count checked.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from _postgres import PostgresServer, free_port, start_server
from _search_helpers import ids_by_record, write_jsonl
from test_keyword import FILTER_CORPUS, TRICKY_FILTERS

from paperatlas import Atlas, Filters, Settings, deadline
from paperatlas.errors import CatalogError, InvalidInput, NotFound, WriteBusy
from paperatlas.services import library, review
from paperatlas.services.ingest import ingest_paths, ingest_samples
from paperatlas.store import open_store
from paperatlas.store.postgres import PostgresStore, index_folder
from paperatlas.store.transfer import copy_catalog

SAMPLE_PAPERS = 705


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own, which the test may stop and start."""
    server = start_server()
    yield server
    server.close()


def _view(atlas: Atlas) -> list[tuple[Any, ...]]:
    """Every paper as a reader sees it, in list order: id, title, venue, year, sources."""
    return [(p.id, p.title, p.venue, p.year, [(s.file, s.record_id) for s in p.sources])
            for p in atlas.store.papers.iter(Filters())]


# -- the same catalog on both stores ----------------------------------------------------------------
def test_seeds_give_705_papers_and_8_merges_on_both_stores(pg_url: str, tmp_path: Path, settings: Settings,
                                                           seed_paths: list[Path]) -> None:
    views = []
    for location in (tmp_path / "catalog.sqlite", pg_url):
        with Atlas.open(location, settings) as atlas:
            reports = ingest_paths(atlas, seed_paths)
            assert [r.error for r in reports] == [None] * 5
            assert sum(r.found for r in reports) == 713
            assert atlas.store.papers.count(Filters()) == SAMPLE_PAPERS
            assert sum(r.merged for r in reports) == 8
            multi = [p for p in atlas.store.papers.iter(Filters()) if len({s.file for s in p.sources}) > 1]
            assert sorted(tuple(sorted(s.file[:3] for s in p.sources)) for p in multi) == [("000", "002")] * 3 + [
                ("001", "003")] * 5
            views.append((_view(atlas), atlas.store.papers.stats()["coverage"], atlas.store.papers.venue_years(),
                          atlas.store.feed.last_change()))
    assert views[0] == views[1]  # the same ids, order (NULL venues first), sources and statistics


def test_venue_pages_read_the_same_from_both_stores(pg_url: str, tmp_path: Path, settings: Settings) -> None:
    """Every venue page (each sort, a counter, filters, paging) lists the same papers in the same
    order on both stores."""
    seen = []
    for location in (tmp_path / "catalog.sqlite", pg_url):
        with Atlas.open(location, settings) as atlas:
            ingest_samples(atlas)
            reads, pages = atlas.store.papers, []
            for row in reads.venue_years():
                venue, year = row["venue"], row["year"]
                pages.append(reads.venue_counters(venue, year))
                for sort in ("title", "track", "counter"):
                    for filters in (Filters(), Filters(has_code=True), Filters(author="a")):
                        for offset in (0, 40):
                            found, total = reads.venue_papers(venue, year, filters, sort, "papers.cool PDF", 50, offset)
                            pages.append((venue, year, sort, filters, offset, total, [p.id for p in found]))
            seen.append(pages)
    assert seen[0] == seen[1]
    [by_counter] = [page for page in seen[0] if page[:5] == ("ICLR", 2023, "counter", Filters(), 0)]
    assert by_counter[5] == 165 and len(by_counter[6]) == 50
    assert [("papers.cool Kimi", 25), ("papers.cool PDF", 25)] in seen[0]


def test_orders_and_case_folding_match_sqlite(pg_url: str, tmp_path: Path, settings: Settings) -> None:
    """Lists sort by name with A-Z folded only (SQLite's NOCASE), stars newest first, ties by
    insertion: the same on both stores."""
    names = ["beta", "Alpha", "Ärger", "alpha2", "Zed", "émile", "_under", "ärger"]
    out = []
    for location in (tmp_path / "catalog.sqlite", pg_url):
        with Atlas.open(location, settings) as atlas:
            ingest_samples(atlas)
            ids = [p.id for p in atlas.store.papers.list(Filters(), limit=4)]
            for name in names:
                atlas.store.library.create_list(name, at="2024-01-01T00:00:00Z")
            for pid in ids:
                atlas.store.library.star(pid, at="2024-01-01T00:00:00Z")  # one time: insertion decides
            out.append(([n for _, n, _ in atlas.store.library.lists()], atlas.store.library.starred_ids(), ids))
    assert out[0] == out[1]
    assert out[0][0] == ["_under", "Alpha", "alpha2", "beta", "Zed", "Ärger", "ärger", "émile"]
    assert out[0][1] == out[0][2][::-1]


@pytest.fixture(scope="module")
def filter_catalog(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("pg-filters")
    name = postgres_server.new_database()
    with Atlas.open(postgres_server.url(name), Settings(home=folder / "home")) as atlas:
        ingest_paths(atlas, [write_jsonl(folder / "filters.jsonl", FILTER_CORPUS)])
        assert atlas.settle(60)
        yield atlas, ids_by_record(atlas)
    postgres_server.drop_database(name)


@pytest.mark.parametrize("filters, expected", TRICKY_FILTERS, ids=[repr(f.to_dict()) for f, _ in TRICKY_FILTERS])
def test_filters_mean_the_same_on_postgres(filter_catalog: Any, filters: Filters, expected: set[str]) -> None:
    """The tricky filters of tests/test_keyword.py (Unicode case, accents, NFD, dotted İ, years,
    code) give the papers they give on SQLite and in the keyword index."""
    atlas, ids = filter_catalog
    back = {v: k for k, v in ids.items()}
    assert {back[p.id] for p in atlas.store.papers.list(filters, limit=None)} == expected
    assert {back[i] for i in atlas.store.papers.ids_matching(filters)} == expected
    assert atlas.store.papers.count(filters) == len(expected)


def test_vectors_come_back_exactly_and_pgvector_finds_the_nearest(pg_url: str) -> None:
    store = open_store(pg_url)
    try:
        with store.writer() as w:
            now = w.now()
            pids = [w.new_empty_paper([f"p{i:03d}"], now) for i in range(50)]
        rng = np.random.default_rng(0)
        vectors = rng.integers(-128, 128, size=(50, 24), dtype=np.int8)
        vectors[0, :2] = (-128, 127)  # the ends of the range
        store.vectors.store("m", [(f"h{i}", vectors[i], 0.01 * (i + 1)) for i in range(50)],
                            [(pid, f"h{i}") for i, pid in enumerate(pids)])
        ids, matrix = store.vectors.load_all("m", 24)
        got = dict(zip(ids, matrix))
        assert sorted(got) == pids and all(np.array_equal(got[p], vectors[i]) for i, p in enumerate(pids))
        assert np.array_equal(store.vectors.paper_vectors("m", [pids[7]])[pids[7]], vectors[7])
        assert store.vectors.existing_hashes("m", ["h1", "h2", "nope"]) == {"h1", "h2"}
        assert isinstance(store, PostgresStore)
        store.vectors.create_search_index("m", 24)
        query = vectors[7].astype(np.float32)
        cosine = (vectors.astype(np.float64) @ query) / (np.linalg.norm(vectors.astype(np.float64), axis=1)
                                                         * np.linalg.norm(query))
        order = np.argsort(-cosine)[:3]
        nearest = store.vectors.nearest("m", query, 3)
        assert [pid for pid, _ in nearest] == [pids[i] for i in order]
        assert [round(sim, 3) for _, sim in nearest] == [round(float(cosine[i]), 3) for i in order]
    finally:
        store.close()


# -- bad input ----------------------------------------------------------------------------------------
def test_an_unreachable_server_is_one_clear_error_without_the_password(settings: Settings) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(CatalogError) as caught:
        Atlas.open(f"postgresql://alice:s3cret@127.0.0.1:{port}/papers", settings)
    assert caught.value.message.startswith(f"cannot reach the catalog server postgresql://alice@127.0.0.1:{port}/papers")
    assert "s3cret" not in str(caught.value)
    assert "is the server running" in caught.value.hint and "PGPASSWORD" in caught.value.hint


def test_a_missing_database_or_a_foreign_one_is_refused(postgres_server: PostgresServer, settings: Settings) -> None:
    with pytest.raises(CatalogError) as caught:
        Atlas.open(postgres_server.url("no_such_db"), settings)
    assert "no_such_db" in caught.value.message and "does not exist" in caught.value.message
    assert "createdb no_such_db" in caught.value.hint
    name = postgres_server.new_database(template=None)
    postgres_server.execute("CREATE TABLE invoices (id int)", database=name)
    with pytest.raises(CatalogError) as foreign:
        Atlas.open(postgres_server.url(name), settings)
    assert "not a paperatlas catalog" in foreign.value.message and "createdb" in foreign.value.hint
    assert postgres_server.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database=name) == [(1,)]
    with pytest.raises(CatalogError) as scheme:
        Atlas.open("mysql://localhost/papers", settings)
    assert "mysql://" in scheme.value.message and "postgresql://" in scheme.value.hint
    # a URL that went through pathlib (as `--db` options are) is still the URL
    with pytest.raises(CatalogError) as mangled:
        Atlas.open(Path("postgresql://bob@127.0.0.1:1/x"), settings)
    assert "postgresql://bob@127.0.0.1:1/x" in mangled.value.message


def test_a_catalog_of_a_newer_version_is_refused(pg_url: str, settings: Settings) -> None:
    with Atlas.open(pg_url, settings) as atlas:
        ingest_samples(atlas)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', '2030-01-01T00:00:00Z')")
    with pytest.raises(CatalogError) as caught:
        Atlas.open(pg_url, settings)
    assert "newer paperatlas" in caught.value.message and "m999_from_the_future" in caught.value.message
    assert "upgrade" in caught.value.hint


def test_the_server_going_away_mid_write_fails_cleanly_and_the_pool_reconnects(own_server: PostgresServer,
                                                                                  tmp_path: Path) -> None:
    name = own_server.new_database()
    store = PostgresStore(own_server.url(name), home=tmp_path, wait_s=2)
    try:
        with store.writer() as w:
            pid = w.new_empty_paper(["kept"], w.now())
        with pytest.raises(CatalogError) as caught, store.writer() as w:
            w.put_star(pid, w.now())
            w.new_empty_paper(["lost"], w.now())
            own_server.stop()  # the server goes down with the transaction open
            w.put_tag(pid, "never", w.now())
        assert caught.value.message.startswith(f"the catalog server {store.location} failed")
        assert "nothing of the unfinished change was kept" in caught.value.hint
        with pytest.raises(CatalogError) as down:
            store.papers.count(Filters())  # still down: a clear error, after at most wait_s
        assert "cannot reach the catalog server" in down.value.message or "failed" in down.value.message
        own_server.start()
        assert store.papers.count(Filters()) == 1  # the pool reconnected; the lost transaction left nothing
        assert store.papers.exists("kept") and not store.papers.exists("lost")
        assert store.library.starred_ids() == [] and store.library.star(pid)
    finally:
        store.close()


# -- several writers at once --------------------------------------------------------------------------
def test_two_imports_at_once_make_the_same_catalog(pg_url: str, tmp_path: Path, settings: Settings,
                                                   seed_paths: list[Path]) -> None:
    """Two processes' worth of stores (two pools) ingest the seed files at the same time: the
    writers take turns, nothing fails, and the catalog is the one a single import makes."""
    errors: list[BaseException] = []
    atlases = [Atlas.open(pg_url, settings), Atlas.open(pg_url, settings)]

    def run(atlas: Atlas, paths: list[Path]) -> None:
        try:
            assert all(r.ok for r in ingest_paths(atlas, paths))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(atlases[0], seed_paths[0::2])),
               threading.Thread(target=run, args=(atlases[1], seed_paths[1::2]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for atlas in atlases:
        atlas.close()
    assert errors == []
    with Atlas.open(pg_url, settings) as atlas:
        assert atlas.store.papers.count(Filters()) == SAMPLE_PAPERS
        multi = [p for p in atlas.store.papers.iter(Filters()) if len({s.file for s in p.sources}) > 1]
        assert len(multi) == 8


def test_a_writer_waits_at_most_its_deadline(pg_url: str) -> None:
    store = open_store(pg_url)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.writer():
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(30)
        with pytest.raises(WriteBusy), deadline.within(0.3), store.writer() as w:
            w.new_empty_paper(["never"], w.now())
        assert store.library.create_list("not blocked") is not None  # library changes do not queue behind imports
    finally:
        release.set()
        thread.join(30)
    with store.writer() as w:
        w.new_empty_paper(["later"], w.now())
    assert store.papers.exists("later") and not store.papers.exists("never")
    store.close()


def test_a_library_change_after_a_merge_finds_the_paper_gone(pg_url: str, settings: Settings) -> None:
    with Atlas.open(pg_url, settings) as atlas:
        ingest_samples(atlas)
        a, b = [p.id for p in atlas.store.papers.list(Filters(), limit=2)]
        library.star(atlas, b)
        keep = review.merge(atlas, a, b).papers[0].id
        gone = b if keep == a else a
        with pytest.raises(NotFound):
            atlas.store.library.add_tag(gone, "late")
        assert atlas.store.library.starred_ids() == [keep]


def test_derived_indexes_live_under_home_by_url_without_password(pg_url: str, settings: Settings) -> None:
    with Atlas.open(pg_url, settings) as atlas:
        ingest_samples(atlas)
        atlas.settle(60)
        atlas.indexes.sync_keyword()
        folder = atlas.store.index_folder
        assert folder is not None and folder.parent == settings.home / "indexes"
        assert (folder / "keyword").is_dir()
    with_password = pg_url.replace("postgres@", "postgres:secret@")
    assert index_folder(with_password, settings.home) == folder and "secret" not in str(folder)


def test_a_nul_character_in_a_page_or_a_note(pg_url: str, postgres_server: PostgresServer, tmp_path: Path,
                                             settings: Settings) -> None:
    """PostgreSQL text cannot hold NUL (SQLite's can): a title that carries one is still stored
    (with U+FFFD in its place), and a note with one is refused with a clear message."""
    page = write_jsonl(tmp_path / "nul.jsonl", [{"id": "r\x001", "title": "Nul\x00Title", "abstract": "An abstract.",
                                                 "authors": ["Ada Lovelace"], "venue": "Conf\x00", "year": 2024}])
    with Atlas.open(pg_url, settings) as atlas:
        [report] = ingest_paths(atlas, [page])
        assert report.ok and report.new == 1
        [paper] = atlas.store.papers.list(Filters(), limit=None)
        assert (paper.title, paper.venue) == ("Nul\ufffdTitle", "Conf\ufffd")
        assert [rec.record_id for _, rec in atlas.store.papers.records_of(paper.id)] == ["r\x001"]  # as read (JSON)
        with pytest.raises(InvalidInput) as caught:
            library.set_note(atlas, paper.id, "a\x00b")
        assert "NUL" in caught.value.message and atlas.store.library.notes() == []
    with Atlas.open(tmp_path / "nul.sqlite", settings) as lite, Atlas.open(postgres_server.url(
            postgres_server.new_database()), settings) as copy:
        ingest_paths(lite, [page])
        assert lite.store.papers.list(Filters())[0].title == "Nul\x00Title"  # SQLite keeps it
        counts = copy_catalog(lite.store, copy.store)
        assert counts["papers"] == (1, 1) and copy.store.papers.list(Filters())[0].title == "Nul\ufffdTitle"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_catalog_maker_copies_a_closed_catalog(kind: str, request: pytest.FixtureRequest, tmp_path: Path,
                                               settings: Settings) -> None:
    """tests/conftest.py's ``CatalogMaker``, which module-scoped seeded catalogs can build on."""
    from conftest import CatalogMaker

    maker = CatalogMaker(kind, request)
    first = maker.new(tmp_path)
    with Atlas.open(first, settings) as atlas:
        ingest_samples(atlas)
    second = maker.copy(first, tmp_path)
    assert second != first and ("://" in str(second)) == (kind == "postgres")
    with Atlas.open(second, settings) as copy:
        library.star(copy, copy.store.papers.list(Filters(), limit=1)[0].id)
        assert copy.store.papers.count(Filters()) == SAMPLE_PAPERS
    with Atlas.open(first, settings) as atlas:
        assert atlas.store.papers.count(Filters()) == SAMPLE_PAPERS and library.library(atlas).starred == []


def test_backup_is_a_pg_dump_that_restores_to_the_same_catalog(pg_url: str, postgres_server: PostgresServer,
                                                               tmp_path: Path, settings: Settings) -> None:
    dest = tmp_path / "backups" / "catalog.dump"
    with Atlas.open(pg_url, settings) as atlas:
        ingest_samples(atlas)
        library.star(atlas, atlas.store.papers.list(Filters(), limit=1)[0].id)
        atlas.store.compact()  # VACUUM ANALYZE: nothing a reader sees changes
        atlas.store.backup(dest)
        with pytest.raises(CatalogError, match="exists"):
            atlas.store.backup(dest)
        before = (_view(atlas), library.library(atlas))
    restored = postgres_server.new_database(template=None)
    subprocess.run([str(postgres_server.bin / "pg_restore"), "--no-owner", "-d", postgres_server.url(restored), str(dest)],
                   check=True, capture_output=True)
    with Atlas.open(postgres_server.url(restored), settings) as copy:
        assert (_view(copy), library.library(copy)) == before and len(before[0]) == SAMPLE_PAPERS
