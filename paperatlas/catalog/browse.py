"""Read queries for browsing: venue overviews, and the plain-SQL search the web UI falls back on
while no keyword index is available (substring match, facet counts by GROUP BY).

Each function takes the ``Catalog`` and reads through its connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .read import filter_sql

if TYPE_CHECKING:  # the catalog does not depend on the search package at run time
    from ..search.types import SearchFilters
    from . import Catalog

FACET_COLUMNS = ("venue", "year", "track", "session")


def _same(column: str, value: Any) -> tuple[str, list[Any]]:
    """``column = value`` where a None value means the column is NULL."""
    if value is None:
        return f"{column} IS NULL", []
    return f"{column} = ?", [value]  # exact, so the (venue, year) index is used


def venue_years(catalog: "Catalog") -> list[dict[str, Any]]:
    """One row per (venue, year): papers, tracks, sessions, and papers with code."""
    rows = catalog.db.execute(
        "SELECT venue, year, count(*), count(DISTINCT track), count(DISTINCT session),"
        " sum(code_urls != '[]') FROM papers GROUP BY venue, year ORDER BY venue IS NULL, venue, year DESC"
    )
    keys = ("venue", "year", "papers", "tracks", "sessions", "with_code")
    return [dict(zip(keys, row)) for row in rows]


def venue_tracks(catalog: "Catalog", venue: str | None, year: int | None) -> list[dict[str, Any]]:
    """Papers per (track, session) of one venue and year."""
    v_sql, v_args = _same("venue", venue)
    y_sql, y_args = _same("year", year)
    rows = catalog.db.execute(
        f"SELECT track, session, count(*) FROM papers WHERE {v_sql} AND {y_sql}"
        " GROUP BY track, session ORDER BY track IS NULL, track, session IS NULL, session",
        [*v_args, *y_args],
    )
    return [{"track": t, "session": s, "papers": n} for t, s, n in rows]


def venue_sources(catalog: "Catalog", venue: str | None, year: int | None) -> list[dict[str, Any]]:
    """The files that hold papers of one venue and year, with what each page claims to list."""
    v_sql, v_args = _same("p.venue", venue)
    y_sql, y_args = _same("p.year", year)
    rows = catalog.db.execute(
        "SELECT f.name, f.format, f.records, f.claimed_total, f.page_venue, f.page_track,"
        " count(DISTINCT r.paper_id) FROM files f JOIN records r ON r.file_id = f.id"
        f" JOIN papers p ON p.id = r.paper_id WHERE {v_sql} AND {y_sql} GROUP BY f.id ORDER BY f.id",
        [*v_args, *y_args],
    )
    keys = ("file", "format", "records", "claimed_total", "page_venue", "page_track", "papers")
    return [dict(zip(keys, row)) for row in rows]


def _where(text: str, filters: "SearchFilters") -> tuple[str, list[Any]]:
    clauses, args = filter_sql(filters)
    for word in text.split():
        clauses.append("instr(lower(title || ' ' || abstract), lower(?)) > 0")
        args.append(word)
    return " AND ".join(["1", *clauses]), args


def search_ids(
    catalog: "Catalog", text: str, filters: "SearchFilters", limit: int, offset: int = 0
) -> tuple[list[tuple[str, float]], int]:
    """Papers containing every word of ``text`` (title matches first), and how many match."""
    where, args = _where(text, filters)
    words = text.split()
    in_title = " + ".join(["0"] + ["(instr(lower(title), lower(?)) > 0)" for _ in words])
    rows = catalog.db.execute(
        f"SELECT id, {in_title} AS score FROM papers WHERE {where}"
        " ORDER BY score DESC, year DESC, title LIMIT ? OFFSET ?",
        [*words, *args, limit, offset],
    ).fetchall()
    total = int(catalog.db.execute(f"SELECT count(*) FROM papers WHERE {where}", args).fetchone()[0])
    return [(pid, float(score)) for pid, score in rows], total


def facet_counts(
    catalog: "Catalog", text: str, filters: "SearchFilters", limit: int = 20
) -> dict[str, list[tuple[str, int]]]:
    """The most common values of venue, year, track, session and author among the matches."""
    where, args = _where(text, filters)
    out: dict[str, list[tuple[str, int]]] = {}
    for column in FACET_COLUMNS:
        rows = catalog.db.execute(
            f"SELECT {column}, count(*) AS n FROM papers WHERE {where} AND {column} IS NOT NULL"
            f" GROUP BY {column} ORDER BY n DESC, {column} LIMIT ?",
            [*args, limit],
        )
        out[column] = [(str(value), int(n)) for value, n in rows]
    rows = catalog.db.execute(
        f"SELECT a.value, count(*) AS n FROM papers, json_each(papers.authors) AS a WHERE {where}"
        " GROUP BY a.value ORDER BY n DESC, a.value LIMIT ?",
        [*args, limit],
    )
    out["author"] = [(str(value), int(n)) for value, n in rows]
    return out
