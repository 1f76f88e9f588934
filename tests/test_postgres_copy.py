"""The same catalog on both stores, and ``copy_catalog`` between them (tests/_postgres.py runs the
server): sources, programmes, watches and record extras read back the same from SQLite and
PostgreSQL, every table is copied with every count checked, and a failed copy keeps nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from _search_helpers import ids_by_record, write_jsonl
from test_postgres_store import SAMPLE_PAPERS, _view

from paperatlas import Atlas, Filters, Settings
from paperatlas.errors import CatalogError
from paperatlas.recommend.profiles import set_not_interested
from paperatlas.search import search
from paperatlas.services import library, review
from paperatlas.services.ingest import ingest_paths, ingest_samples
from paperatlas.store.protocol import COPY_TABLES, ProgrammeEntry, ProgrammeSession, SourceItem, Store, WatchInfo, WatchItem
from paperatlas.store.transfer import copy_catalog, copy_to


# -- copying a catalog between the stores -----------------------------------------------------------------
def _dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.dump_tables() as dump:
        return {table: sorted((row for rows in dump.rows(table, 100) for row in rows), key=repr) for table in COPY_TABLES}


def _fetch_log(store: Store) -> list[Any]:
    """A source with two items (one changed later) and two sync runs; what the store reads back."""
    store.sources.add("arxiv-cs", "arxiv", {"category": "cs.LG"})
    first = store.sources.start_run("arxiv-cs", 0)
    store.sources.put_items("arxiv-cs", [SourceItem("2401.1", "2024-01-02", "v1", b"<entry>one</entry>", "2024-01-02"),
                                         SourceItem("2401.2", "2024-01-02", "v1", b"<entry>two\x00</entry>")])
    store.sources.set_state("arxiv-cs", {"cursor": "abc", "seen": 2})
    store.sources.finish_run(first, "ok", {"items": 2, "new": 2}, None, 7)
    second = store.sources.start_run("arxiv-cs", 7)
    store.sources.put_items("arxiv-cs", [SourceItem("2401.1", "2024-01-03", "v2", b"<entry>one, revised</entry>")])
    store.sources.finish_run(second, "error", {"items": 1}, "HTTP 503", 7)
    info = store.sources.get("arxiv-cs")
    assert info is not None
    return [
        (info.name, info.kind, info.options, info.state, info.items, info.last_run and info.last_run.status),
        store.sources.versions("arxiv-cs", ["2401.1", "2401.2", "nope"]),
        store.sources.partition("arxiv-cs", "2024-01-03"), store.sources.partition("arxiv-cs", "2024-01-02"),
        [(r.source, r.status, r.counts, r.error, r.seq_from, r.seq_to) for r in store.sources.runs("arxiv-cs")],
        store.sources.add("arxiv-cs", "arxiv", {}), [x.name for x in store.sources.all()],
    ]


def test_sources_read_back_the_same_from_both_stores(pg_url: str, tmp_path: Path, settings: Settings) -> None:
    seen = []
    for location in (tmp_path / "catalog.sqlite", pg_url):
        with Atlas.open(location, settings) as atlas:
            seen.append(_fetch_log(atlas.store))
            assert atlas.store.sources.remove("arxiv-cs") and atlas.store.sources.all() == []
    assert seen[0] == seen[1]
    assert seen[0][1] == {"2401.1": "v2", "2401.2": "v1"} and seen[0][5] is None


def _programme(store: Store, paper_ids: list[str]) -> list[Any]:
    """A programme written, changed and read back through ``store.programme``: what it returns."""
    talks = ProgrammeSession("uid-1", "Oral 1A: Graphs", "2025-04-24T10:00:00+08:00", "2025-04-24T11:00:00+08:00",
                             "Asia/Singapore", room="Hall 1", kind="oral", url="https://iclr.cc/s/1",
                             entries=(ProgrammeEntry("A paper", paper_ids[0], None, {"doi": "10.1/x"}),
                                      ProgrammeEntry("Missing paper"), ProgrammeEntry("Board A12", paper_ids[1], "A12")))
    posters = ProgrammeSession("uid-2", "Poster session 2", "2025-04-25", None, None, all_day=True, kind="poster",
                               description="Ünïcode hall", entries=(ProgrammeEntry("Third", paper_ids[2], "B3"),))
    store.programme.replace("ICLR", 2025, "ics:iclr.ics", [talks, posters])
    store.programme.replace("NeurIPS", 2024, "listings", [posters])
    store.programme.replace("neurips ", 2024, "csv:n.csv", [posters, talks])  # the same programme, replaced whole
    store.programme.repoint("Iclr", 2025, {paper_ids[1]: paper_ids[3]})
    seen = [store.programme.sessions("iclr", 2025), store.programme.sessions("NEURIPS", 2024),
            [(i.venue, i.year, i.source, i.sessions, i.entries, i.unmatched) for i in store.programme.all()],
            store.programme.info("ICLR", 2026), store.programme.papers_under_keys(["nope", "t:x"])]
    return seen


def test_programmes_read_back_the_same_from_both_stores(pg_url: str, tmp_path: Path, settings: Settings) -> None:
    seen = []
    for location in (tmp_path / "catalog.sqlite", pg_url):
        with Atlas.open(location, settings) as atlas:
            ingest_samples(atlas)
            ids = [p.id for p in atlas.store.papers.list(Filters(), limit=4)]
            seen.append((ids, _programme(atlas.store, ids)))
            assert atlas.store.programme.remove("Neurips", 2024) and not atlas.store.programme.remove("Neurips", 2024)
            assert [i.venue for i in atlas.store.programme.all()] == ["ICLR"]
    assert seen[0] == seen[1]
    ids, (iclr, neurips, infos, missing, _keys) = seen[0]
    assert [[(e.ref, e.paper_id, e.board, e.ids) for e in s.entries] for s in iclr] == [
        [("A paper", ids[0], None, {"doi": "10.1/x"}), ("Missing paper", None, None, {}), ("Board A12", ids[3], "A12", {})],
        [("Third", ids[2], "B3", {})]]
    assert [s.key for s in neurips] == ["uid-2", "uid-1"] and neurips[0].all_day and neurips[0].description == "Ünïcode hall"
    # the latest import names the venue ("neurips "), spaces trimmed
    assert infos == [("ICLR", 2025, "ics:iclr.ics", 2, 4, 1), ("neurips", 2024, "csv:n.csv", 2, 4, 1)] and missing is None


def _watched(store: Store, paper_ids: list[str]) -> list[Any]:
    """Watches, items, follows, snapshots and counters written and read back through ``store.watches``."""
    w = store.watches
    assert w.add(WatchInfo("graphs", "query", "graph", {"venue": "ICLR"}, created_at="2025-01-01T00:00:00Z", created_seq=3))
    assert w.add(WatchInfo("graphs", "query")) is None
    w.add(WatchInfo("mine", "profile", profile="starred", created_at="2025-01-02T00:00:00Z"))
    items = [WatchItem("graphs", pid, "new", "", {"n": n}, f"T{n}", f"2025-01-0{n + 1}T00:00:00Z")
             for n, pid in enumerate(paper_ids[:3])]
    more = [WatchItem("mine", paper_ids[0], "trending", "w1 upvotes", {}, "T", "2025-01-05"),
            WatchItem("gone", paper_ids[0], "new", "", {}, "T", "2025-01-05")]  # no such watch: not stored
    reported = [w.report(items), w.report([*items, *more])]
    seen = w.mark_seen("mine", "2025-01-06")
    w.checked("graphs", "2025-01-07", "a problem")
    w.follow("ada lovelace", "Ada Lovelace", "2025-01-01")
    w.set_position("checked", 7)
    w.put_snapshots({paper_ids[0]: {"key": "arxiv:1", "v": 1}, paper_ids[1]: {"key": "arxiv:1", "v": 2}})
    w.put_snapshots({paper_ids[0]: {"key": "arxiv:1", "v": 3}})
    w.observe_counters([(paper_ids[0], "upvotes", 3, "2025-01-01"), (paper_ids[0], "upvotes", 9, "2025-01-08"),
                        (paper_ids[1], "upvotes", 1, "2025-01-02"), (paper_ids[1], "upvotes", 2, "2025-01-02")])
    return [reported, seen, w.all(), [(i.paper_id, i.reason, i.detail, i.seen_at) for i in w.items("graphs", limit=2)],
            w.items("mine", unseen=True), w.follows(), w.position("checked"), w.position("x"),
            w.snapshots(paper_ids[:3]), w.snapshots_by_key(["arxiv:1", "arxiv:2"]), w.last_counters(paper_ids[:2]),
            w.counter_series("2025-01-02"), w.counter_population(), w.counter_population("nowhere"),
            sorted(w.changed_papers(0, 5).items()), w.paper_times(paper_ids[:1]) != {}]


def test_watches_read_back_the_same_from_both_stores(pg_url: str, tmp_path: Path, settings: Settings) -> None:
    seen = []
    for location in (tmp_path / "catalog.sqlite", pg_url):
        with Atlas.open(location, settings) as atlas:
            ingest_samples(atlas)
            ids = [p.id for p in atlas.store.papers.list(Filters(), limit=4)]
            seen.append((ids, _watched(atlas.store, ids)))
            assert atlas.store.watches.remove("graphs") and atlas.store.watches.items("graphs") == []
    assert seen[0] == seen[1]
    ids, found = seen[0]
    # of two snapshots with one key, the one inserted last (an update keeps its place: SQLite's rowid)
    assert found[:2] == [[3, 1], 1] and found[9] == {"arxiv:1": {"key": "arxiv:1", "v": 2}}
    assert found[10] == {(ids[0], "upvotes"): 9, (ids[1], "upvotes"): 2} and found[12] == {"upvotes": 2}


def _made(atlas: Atlas) -> None:
    """The samples with everything a person does to a catalog: merges, a keep-apart, a split,
    stars, tags, notes, lists, 'not interested', vectors and a keyword index."""
    ingest_samples(atlas)
    papers = atlas.store.papers.list(Filters(), limit=None)
    singles = [p.id for p in papers if len(p.sources) == 1 and p.title][:12]
    twice = [p.id for p in papers if len(p.sources) == 2]
    merged = review.merge(atlas, singles[0], singles[1]).papers[0].id
    review.keep_apart(atlas, singles[2], singles[3])
    review.split(atlas, twice[0])
    for pid in (merged, singles[4], singles[5]):
        library.star(atlas, pid)
    library.add_tag(atlas, singles[4], "to-read")
    library.add_tag(atlas, merged, "graphs")
    library.set_note(atlas, singles[5], "check the proofs")
    library.create_list(atlas, "week 1", [singles[7], singles[4], merged])
    set_not_interested(atlas, "starred", singles[8])
    _fetch_log(atlas.store)
    _programme(atlas.store, singles[8:12])
    _watched(atlas.store, singles[8:12])
    atlas.indexes.sync_vectors()
    atlas.indexes.sync_keyword()


def test_copy_catalog_keeps_every_row_both_ways(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", embedder="hashing")
    with Atlas.open(tmp_path / "a.sqlite", settings) as a:
        _made(a)
        with Atlas.open(pg_url, settings) as pg:
            counts = copy_catalog(a.store, pg.store)
            assert set(counts) == set(COPY_TABLES) and all(src == dst for src, dst in counts.values())
            for table in ("papers", "records", "files", "block_keys", "paper_changes", "embeddings", "stars", "tags",
                          "notes", "lists", "list_items", "profile_feedback", "merge_actions", "merge_links", "sources",
                          "source_items", "sync_runs", "programmes", "programme_sessions", "programme_entries",
                          *(t for t in COPY_TABLES if t.startswith(("watch", "follows", "paper_snap", "counter_")))):
                assert counts[table][0] > 0, table
            assert counts["papers"] == (SAMPLE_PAPERS, SAMPLE_PAPERS)
            assert _view(pg) == _view(a)
            assert library.library(pg) == library.library(a)
            assert review.decisions(pg) == review.decisions(a) and pg.store.review.pending() == a.store.review.pending()
            assert pg.store.library.feedback("starred") == a.store.library.feedback("starred")
            assert pg.store.feed.last_change() == a.store.feed.last_change()
            assert [pg.store.programme.sessions("iclr", 2025), pg.store.programme.all()] == [
                a.store.programme.sessions("iclr", 2025), a.store.programme.all()]
            watched = [(x.store.watches.all(), x.store.watches.items("graphs"), x.store.watches.snapshots_by_key(["arxiv:1"]))
                       for x in (pg, a)]
            assert watched[0] == watched[1]
            model = a.indexes.require_vectors().model
            ids_a, vec_a = a.store.vectors.load_all(model, 64)
            ids_b, vec_b = pg.store.vectors.load_all(model, 64)
            assert dict(zip(ids_a, vec_a.tolist())) == dict(zip(ids_b, vec_b.tolist()))
            assert pg.indexes.sync_vectors() == 0  # nothing to embed again: the vectors came along
            for query in ("graph neural networks", "reinforcement learning"):
                # Papers of equal score come in the order the keyword index got them, which differs
                # (and hybrid moves the query towards the top keyword hits, so it may differ too).
                # So every hit is compared: k as large as the catalog.
                hits = [sorted((-round(h.score, 4), h.id) for h in search(x, query, mode=mode, k=SAMPLE_PAPERS).hits)
                        for x in (a, pg) for mode in ("keyword", "semantic")]
                assert hits[:2] == hits[2:] and len(hits[0]) > 20
            # and back into a new SQLite file: the same rows as the original, table by table
            with Atlas.open(tmp_path / "back.sqlite", settings) as back:
                again = copy_catalog(pg.store, back.store)
                assert again == counts
                assert _dump(back.store) == _dump(a.store)


def test_copy_catalog_needs_an_empty_destination_and_is_all_or_nothing(pg_url: str, tmp_path: Path,
                                                                       settings: Settings) -> None:
    with Atlas.open(tmp_path / "a.sqlite", settings) as a, Atlas.open(pg_url, settings) as pg:
        ingest_samples(a)
        calls = {"n": 0}

        def stop_midway(done: int, total: int) -> None:
            calls["n"] += 1
            if done > total // 2:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            copy_catalog(a.store, pg.store, progress=stop_midway)
        assert calls["n"] > 2 and pg.store.papers.count(Filters()) == 0 and pg.store.feed.last_change() == 0
        copy_catalog(a.store, pg.store)
        library.star(pg, pg.store.papers.list(Filters(), limit=1)[0].id)
        with pytest.raises(CatalogError) as caught:
            copy_catalog(a.store, pg.store)
        assert "is not empty" in caught.value.message and "papers" in caught.value.message
        assert pg.store.papers.count(Filters()) == SAMPLE_PAPERS and len(library.library(pg).starred) == 1




def test_record_extras_read_the_same_from_both_stores(pg_url: str, tmp_path: Path, settings: Settings) -> None:
    """What no field took (``PaperReads.extras``), a NUL in a key included (JSON escapes it)."""
    page = write_jsonl(tmp_path / "x.jsonl", [{"id": "a", "title": "Alpha paper", "tldr": "short", "mystery": {"k": 1}},
                                              {"id": "b", "title": "Beta paper"},
                                              {"id": "c", "title": "Gamma paper", "odd\x00key": "v"}])
    seen = []
    for location in (tmp_path / "catalog.sqlite", pg_url):
        with Atlas.open(location, settings) as atlas:
            ingest_paths(atlas, [page])
            ids = ids_by_record(atlas)
            extras = atlas.store.papers.extras([ids["a"], ids["b"], ids["c"]])
            seen.append([extras[ids[r]] for r in "abc"])
    assert seen[0] == seen[1] == [[("x.jsonl", {"tldr": "short", "mystery": {"k": 1}})], [], [("x.jsonl", {"odd\x00key": "v"})]]


def test_every_table_of_both_schemas_is_copied(pg_url: str, tmp_path: Path, settings: Settings) -> None:
    """A table a later migration adds must join ``protocol.COPY_TABLES`` (else ``copy_catalog``
    would leave it behind), on both stores."""
    with Atlas.open(tmp_path / "c.sqlite", settings):
        pass
    with sqlite3.connect(tmp_path / "c.sqlite") as conn:
        lite = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    with psycopg.connect(pg_url) as conn:
        pg = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    assert lite - {"_migrations", "sqlite_sequence"} == pg - {"_migrations"} == set(COPY_TABLES)
    # and the same columns, but for PostgreSQL's own (insertion order, Python's lower case)
    pg_only = {"seq", "venue_fold", "track_fold", "session_fold"}
    with sqlite3.connect(tmp_path / "c.sqlite") as conn:
        lite_columns = {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in COPY_TABLES}
    with psycopg.connect(pg_url) as conn:
        pg_columns = {t: {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns"
                                                     " WHERE table_schema = current_schema() AND table_name = %s", (t,))}
                      - pg_only for t in COPY_TABLES}
    assert {t: c - {"seq"} for t, c in lite_columns.items()} == {t: c - {"seq"} for t, c in pg_columns.items()}
    assert all(set(COPY_TABLES[t]) <= lite_columns[t] for t in COPY_TABLES)


def test_copy_to_a_url_opens_copies_and_closes(pg_url: str, tmp_path: Path, settings: Settings) -> None:
    with Atlas.open(tmp_path / "a.sqlite", settings) as a:
        ingest_samples(a)
        counts = copy_to(a.store, pg_url, settings.home)
        with pytest.raises(CatalogError, match="is not empty"):
            copy_to(a.store, pg_url, settings.home)
        with pytest.raises(CatalogError, match="cannot reach"):
            copy_to(a.store, "postgresql://nobody@127.0.0.1:1/none", settings.home)
    assert counts["papers"] == (SAMPLE_PAPERS, SAMPLE_PAPERS) and all(src == dst for src, dst in counts.values())
    with Atlas.open(pg_url, settings) as pg:
        assert pg.store.papers.count(Filters()) == SAMPLE_PAPERS
