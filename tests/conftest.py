from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import paperatlas
from paperatlas import Atlas, Settings

if TYPE_CHECKING:
    from _postgres import PostgresServer

SAMPLES = Path(paperatlas.__file__).parent / "samples"

# -- which store the catalog fixtures open ------------------------------------------------------------
# `pytest --store=postgres` (or PAPERATLAS_TEST_STORE=postgres) runs every test that makes a
# catalog through these fixtures on a PostgreSQL catalog of a real server started for the session
# (tests/_postgres.py): `atlas`, `catalog_location` and `new_catalogs` (several catalogs) per test,
# and `catalogs` for module-scoped seeded catalogs. `--store=both` runs the per-test ones on both
# stores (module-scoped catalogs are the first store's; CI runs the suite once per store instead,
# scripts/test.sh). Tests marked `sqlite_only` (they read SQLite itself) always get a SQLite catalog.
STORES = ("sqlite", "postgres")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--store", choices=[*STORES, "both"], default=None,
                     help="the store of the catalog fixtures (default: $PAPERATLAS_TEST_STORE, else sqlite)")
    parser.addoption("--store-tests-only", action="store_true",
                     help="run only the tests whose catalog comes from the store fixtures, and the PostgreSQL"
                          " store's own (a CI job for the second store)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test reads the SQLite catalog itself; never run on PostgreSQL")


# Tests that take the `atlas` fixture but read or write the SQLite catalog itself: they always get
# a SQLite catalog. (Their owners may move this to `@pytest.mark.sqlite_only` on the test.)
SQLITE_ONLY = {
    # its file: SQLite's backup API makes a copy opened as a catalog file (test_postgres_store.py
    # covers pg_dump's); WAL; the migrations table of SQLite's schema
    "test_transfer.py::test_backup_of_a_live_catalog", "test_transfer.py::test_backup_through_the_service_while_open",
    "test_catalog.py::test_wal_mode", "test_catalog.py::test_migrations_are_named_and_recorded",
    # its classes (a patched SQLiteWriter)
    "test_catalog.py::test_failure_mid_file_leaves_catalog_as_before",
    # its one-writer lock: on PostgreSQL a library write does not wait for an import (row locks;
    # test_postgres_store.py::test_a_writer_waits_at_most_its_deadline covers its waiting)
    "test_web_limits.py::test_a_write_waits_for_an_import_at_most_its_budget",
}


def _sqlite_only(path: Path, name: str, marked: bool) -> bool:
    return marked or f"{path.name}::{name}" in SQLITE_ONLY


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.Function) and f"{item.path.name}::{item.originalname}" in SQLITE_ONLY:
            item.add_marker(pytest.mark.sqlite_only)
    if config.getoption("--store-tests-only"):
        # the suite's store-independent tests, and the PostgreSQL store's own
        keep = [item for item in items if not item.get_closest_marker("sqlite_only")
                and {"store_kind", "catalogs", "postgres_server"} & set(getattr(item, "fixturenames", ()))]
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def selected_stores(config: pytest.Config) -> list[str]:
    choice = config.getoption("--store") or os.environ.get("PAPERATLAS_TEST_STORE") or "sqlite"
    if choice not in (*STORES, "both"):
        raise pytest.UsageError(f"PAPERATLAS_TEST_STORE={choice!r}: use sqlite, postgres or both")
    return list(STORES) if choice == "both" else [choice]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    stores = selected_stores(metafunc.config)
    only_sqlite = _sqlite_only(metafunc.definition.path, metafunc.definition.originalname,
                               metafunc.definition.get_closest_marker("sqlite_only") is not None)
    if "store_kind" in metafunc.fixturenames and len(stores) > 1 and not only_sqlite:
        metafunc.parametrize("store_kind", stores, indirect=True)


_ON_POSTGRES: dict[str, str] = {}  # test id -> outcome, for tests whose catalog was a PostgreSQL one


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    funcargs = getattr(item, "funcargs", {})
    on_postgres = funcargs.get("store_kind") == "postgres" or getattr(funcargs.get("catalogs"), "kind", "") == "postgres"
    if on_postgres and (call.when == "call" or report.outcome != "passed"):
        _ON_POSTGRES[item.nodeid] = report.outcome
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _ON_POSTGRES:
        passed = sum(outcome == "passed" for outcome in _ON_POSTGRES.values())
        terminalreporter.write_line(f"on PostgreSQL catalogs: {len(_ON_POSTGRES)} tests, {passed} passed")


@pytest.fixture
def store_kind(request: pytest.FixtureRequest) -> str:
    """The store this test's catalog is in."""
    if request.node.get_closest_marker("sqlite_only"):
        return "sqlite"
    return str(getattr(request, "param", selected_stores(request.config)[0]))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session, started on first use (in the system's temporary
    folder: pytest's own is private to root, and the server runs as another account)."""
    from _postgres import start_server

    server = start_server()
    yield server
    server.close()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, migrated database on the session's server (for tests of the PostgreSQL store itself)."""
    name = postgres_server.new_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture
def catalog_location(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str | Path]:
    """Where a fresh catalog of the selected store is: a file in the test's folder, or a new
    database (a copy of the migrated template) on the session's PostgreSQL server."""
    if store_kind == "sqlite":
        yield tmp_path / "catalog.sqlite"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.new_database()
    yield server.url(name)
    server.drop_database(name)


class CatalogMaker:
    """New catalogs of the selected store, for tests that build their own (several, or one
    module-scoped seeded catalog handed out as copies): ``new(folder)`` gives the location of a
    fresh one (a file in ``folder``, or a new database); ``copy(location, folder)`` a copy of a
    closed one: the file and its ``.index`` folder, or ``CREATE DATABASE … TEMPLATE`` (its
    derived indexes are rebuilt on first use: 0.1 s for the 705 sample papers)."""

    def __init__(self, kind: str, request: pytest.FixtureRequest) -> None:
        self.kind, self._request, self._names = kind, request, 0
        self.made: list[str] = []  # the databases made here

    def _server(self) -> PostgresServer:
        server: PostgresServer = self._request.getfixturevalue("postgres_server")
        return server

    def new(self, folder: Path) -> str | Path:
        self._names += 1
        if self.kind == "sqlite":
            return folder / f"catalog-{self._names}.sqlite"
        server = self._server()
        self.made.append(server.url(server.new_database()))
        return self.made[-1]

    def copy(self, location: str | Path, folder: Path, indexes: bool = True) -> str | Path:
        if self.kind == "sqlite":
            self._names += 1
            target = folder / f"catalog-{self._names}.sqlite"
            shutil.copy(location, target)
            if indexes and Path(f"{location}.index").is_dir():
                shutil.copytree(f"{location}.index", f"{target}.index")
            return target
        server = self._server()
        self.made.append(server.url(server.new_database(template=str(location).rsplit("/", 1)[1])))
        return self.made[-1]

    def drop(self, location: str | Path) -> None:
        """Drop a database made here (a file goes with its test's folder)."""
        if self.kind != "sqlite":
            self._server().drop_database(str(location).rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def catalogs(request: pytest.FixtureRequest) -> CatalogMaker:
    """A ``CatalogMaker`` for the selected store (the first, with ``--store=both``); its databases
    go when the session's server does."""
    return CatalogMaker(selected_stores(request.config)[0], request)


@pytest.fixture
def new_catalogs(store_kind: str, request: pytest.FixtureRequest) -> Iterator[CatalogMaker]:
    """A ``CatalogMaker`` for a test that needs several catalogs, in this test's store (like
    ``atlas``: both in turn with ``--store=both``); its databases are dropped after the test."""
    maker = CatalogMaker(store_kind, request)
    yield maker
    for location in maker.made:
        maker.drop(location)


def replace_catalog(location: str | Path, request: pytest.FixtureRequest) -> None:
    """Put a new, empty catalog where the closed one at ``location`` was (its derived indexes
    left behind): the file and its WAL deleted, or the database dropped and created again."""
    if "://" not in str(location):
        for leftover in Path(location).parent.glob(Path(location).name + "*"):
            if leftover.is_file():
                leftover.unlink()
        return
    from _postgres import TEMPLATE

    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = str(location).rsplit("/", 1)[1]
    server.drop_database(name)
    server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")


# -- the common fixtures -------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own PAPERATLAS_HOME, so no test touches ~/.paperatlas."""
    home = tmp_path / "home"
    monkeypatch.setenv("PAPERATLAS_HOME", str(home))
    for name in ("PAPERATLAS_CONFIG", "PAPERATLAS_DB", "PAPERATLAS_SEARCH_MODE", "PAPERATLAS_EMBEDDER"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def settings(_home: Path) -> Settings:
    return Settings(home=_home)


@pytest.fixture
def atlas(catalog_location: str | Path, settings: Settings) -> Iterator[Atlas]:
    """A fresh catalog (a file in the test's folder, or a PostgreSQL database: see ``--store``),
    opened as the application opens it."""
    with Atlas.open(catalog_location, settings) as opened:
        yield opened


@pytest.fixture
def seed_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.txt"))
