"""Conference programmes and plans (issue 10, item 4): reading ICS/CSV/JSON programmes (real
calendars from Mini-Conf, hand-made and broken ones), matching them to a real catalog, the pure
plan function against hand-worked expectations, ICS/Markdown exports, CLI and web."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from paperatlas import Atlas, Filters
from paperatlas.cli import cli
from paperatlas.errors import InvalidInput
from paperatlas.plan import Pick, build_plan
from paperatlas.plan.boards import board_in, leading_board, walking_order
from paperatlas.plan.export import event_uid, to_ics, to_markdown
from paperatlas.plan.ics import read_ics
from paperatlas.plan.refs import entry_from_text
from paperatlas.plan.tables import read_csv, read_json
from paperatlas.plan.times import parse_time
from paperatlas.plan.topics import same_topic, shared_keywords
from paperatlas.services import library
from paperatlas.services import plan as service
from paperatlas.services.ingest import ingest_paths
from paperatlas.store.protocol import ProgrammeEntry, ProgrammeSession
from paperatlas.web import ServerOptions, create_app

DATA = Path(__file__).parent / "data" / "programme"
VENUE, YEAR = "ICLR", 2023


@pytest.fixture
def conf(atlas: Atlas) -> dict[str, str]:
    """The catalog with the eight ICLR 2023 papers of ``iclr2023_papers.jsonl``: title -> id."""
    ingest_paths(atlas, [DATA / "iclr2023_papers.jsonl"])
    return {p.title: p.id for p in atlas.store.papers.list(Filters(venue=VENUE, year=YEAR), limit=None)}


def short(conf: dict[str, str], words: str) -> str:
    return next(pid for title, pid in conf.items() if title.startswith(words))


def entries(atlas: Atlas) -> dict[str, list[tuple[str | None, str | None]]]:
    return {s.name: [(e.paper_id, e.board) for e in s.entries] for s in atlas.store.programme.sessions(VENUE, YEAR)}


# -- boards ------------------------------------------------------------------------------------
def test_boards_walk_in_natural_order() -> None:
    # digits before letters, numbers by value, letters case-folded, boardless last (worked by hand)
    boards = ["B1", "A10", None, "A2", "a7", "9", "10"]
    assert [boards[i] for i in walking_order(boards)] == ["9", "10", "A2", "a7", "A10", "B1", None]


def test_board_numbers_found_in_locations_and_lines() -> None:
    assert board_in("Hall E #123") == ("123", "Hall E")
    assert board_in("Exhibit Hall, Poster 42") == ("42", "Exhibit Hall")
    assert board_in("Auditorium") == (None, "Auditorium")
    assert leading_board("[A12] A Title") == ("A12", "A Title")
    assert leading_board("#7 Another Title") == ("7", "Another Title")
    assert leading_board("1. A numbered list item")[0] is None


# -- reading and matching ----------------------------------------------------------------------
def test_csv_programme_matches_ids_and_titles_and_reports_unknown_papers(atlas: Atlas, conf: dict[str, str]) -> None:
    res = service.import_programme(atlas, DATA / "iclr2023_programme.csv", VENUE, YEAR, tz="Africa/Kigali")
    assert (res.sessions, res.report.entries, res.report.matched, res.report.unmatched) == (4, 9, 8, 1)
    assert res.report.unmatched_refs == ["A Paper The Catalog Does Not Have"]
    got = entries(atlas)
    # by OpenReview id; by a lower-cased title; an accent the programme dropped still matches
    assert got["Poster Session 1"] == [(short(conf, "Sparse"), "A10"), (short(conf, "Diffusion"), "A2")]
    assert (short(conf, "Équivariant"), "10") in got["Poster Session 3"]
    assert (None, "11") in got["Poster Session 3"]
    first = atlas.store.programme.sessions(VENUE, YEAR)[0]
    assert (first.starts_at, first.ends_at, first.tz, first.room, first.kind) == (
        "2023-05-02T10:30:00+02:00", "2023-05-02T12:30:00+02:00", "Africa/Kigali", "Hall E", "poster")


def test_json_programme_nested_sessions_split_date_and_time(atlas: Atlas, conf: dict[str, str]) -> None:
    res = service.import_programme(atlas, DATA / "iclr2023_programme.json", VENUE, YEAR)
    assert (res.sessions, res.report.matched, res.report.unmatched) == (3, 4, 0)
    sessions = {s.name: s for s in atlas.store.programme.sessions(VENUE, YEAR)}
    assert sessions["Poster Session 2"].starts_at == "2023-05-02T11:30:00+02:00"  # "date" + "start": "11:30" in the file's zone
    assert sessions["Poster Session 2"].ends_at == "2023-05-02T13:30:00+02:00"
    assert [(e.paper_id, e.board) for e in sessions["Poster Session 2"].entries] == [
        (short(conf, "A Theory"), "B1"), (short(conf, "Graph"), "A7")]  # "[B1] title" and an arXiv id
    assert sessions["Closing remarks"].entries == ()


def test_ics_programme_zones_folds_prose_and_one_event_per_poster(atlas: Atlas, conf: dict[str, str]) -> None:
    res = service.import_programme(atlas, DATA / "iclr2023_posters.ics", VENUE, YEAR)
    assert res.warnings == []
    assert res.report.paper_events == 2 and res.report.unmatched == 0
    sessions = {s.name: s for s in atlas.store.programme.sessions(VENUE, YEAR)}
    ps1 = sessions["Poster Session 1"]
    assert (ps1.starts_at, ps1.tz, ps1.room) == ("2023-05-02T10:30:00+02:00", "Kigali Time", "Hall E")  # the VTIMEZONE's TZID
    # the OpenReview URL is folded across two lines; "Coffee is served…" is prose, not a paper
    assert [(e.paper_id, e.board) for e in ps1.entries] == [(short(conf, "Sparse"), "A10"), (short(conf, "Diffusion"), "A2")]
    assert sessions["Poster Session 2"].starts_at == "2023-05-02T11:30:00+02:00"  # floating, placed in X-WR-TIMEZONE
    gathered = sessions["Posters 2023-05-03 10:30, Hall E"]  # two one-poster events at 08:30Z, shown in Kigali time
    assert [(e.paper_id, e.board) for e in gathered.entries] == [(short(conf, "Robust"), "12"), (short(conf, "Tokenizers"), "9")]
    assert (sessions["Workshops"].starts_at, sessions["Workshops"].ends_at, sessions["Workshops"].all_day) == (
        "2023-05-05", "2023-05-06", True)


def test_real_calendars_from_mini_conf() -> None:
    iclr = read_ics((DATA / "iclr-2020-sample_cal.ics").read_bytes(), "iclr-2020-sample_cal.ics")
    assert iclr.warnings == [] and len(iclr.sessions) == 56
    assert sum(1 for s in iclr.sessions if s.kind == "poster") == 20
    p1s3 = next(s for s in iclr.sessions if s.name == "Poster Day 1 Session 3 (P1S3)")
    # 12:00Z and 14:00Z, in the calendar's America/New_York (EDT, UTC-4); its LOCATION is a link
    assert (p1s3.starts_at, p1s3.ends_at, p1s3.tz) == (
        "2020-04-27T08:00:00-04:00", "2020-04-27T10:00:00-04:00", "America/New_York")
    assert p1s3.url == "https://iclr.cc/virtual/papers.html?session=Mon+Session+3&filter=keywords" and p1s3.room is None
    chil = read_ics((DATA / "acm-chil-2020.ics").read_bytes(), "acm-chil-2020.ics")
    assert chil.warnings == [] and len(chil.sessions) == 21
    assert {s.tz for s in chil.sessions} == {"America/Toronto"}


BROKEN = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
    "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Mars/Olympus:20230501T100000\r\nDTEND;TZID=Mars/Olympus:20230501T120000\r\n"
    "SUMMARY:Poster Session 1\r\nthis line is broken\r\nLOCATION:Hall A\r\nEND:VEVENT\r\n"  # the broken line is line 9
    "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:2023050XT100000\r\nSUMMARY:Poster Session 2\r\nEND:VEVENT\r\n"  # BEGIN on line 12
    "BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20230503T100000\r\nSUMMARY:Poster Session 3\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20230503T100000\r\nSUMMARY:Dropped\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"  # line 22
    "END:VCALENDAR\r\n")


def test_broken_ics_gives_warnings_naming_lines_not_crashes() -> None:
    parsed = read_ics(BROKEN.encode(), "broken.ics")
    assert [s.name for s in parsed.sessions] == ["Poster Session 1", "Poster Session 2", "Poster Session 3"]
    text = "\n".join(parsed.warnings)
    assert "broken.ics:9: not a 'NAME:value' line" in text
    assert "broken.ics:4: DTSTART time zone 'Mars/Olympus' is unknown" in text
    assert "broken.ics:12: DTSTART '2023050XT100000' is not a date or date-time" in text
    assert "1 event(s) have times without a time zone" in text
    assert "broken.ics:22: 'Dropped' is cancelled (STATUS:CANCELLED); skipped" in text
    s1, s2, s3 = parsed.sessions
    assert (s1.starts_at, s1.tz, s1.room) == ("2023-05-01T10:00:00", None, "Hall A")  # floating: as written
    assert s2.starts_at is None and s3.starts_at == "2023-05-03T10:00:00"


def test_bad_programmes_are_clear_errors(atlas: Atlas, conf: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.ics"
    empty.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n")
    with pytest.raises(InvalidInput, match="empty.ics: the programme has no sessions"):
        service.import_programme(atlas, empty, VENUE, YEAR)
    with pytest.raises(InvalidInput, match="not an iCalendar file"):
        read_ics(b"hello\r\n", "x.ics")
    with pytest.raises(InvalidInput, match=r"no session column.*found columns 'Paper', 'Board'"):
        read_csv(b"Paper,Board\nA title,12\n", "p.csv")
    assert atlas.store.programme.info(VENUE, YEAR) is None  # nothing half-stored
    odd = read_csv(b"session,start,tz,title\nS1,2023-05-02 10:00,Mars/Base,x\nS1,not a time,,y\n", "odd.csv")
    assert "odd.csv:2: time zone 'Mars/Base' is unknown; times kept floating" in odd.warnings
    assert "odd.csv:3: start 'not a time' is not a date or time" in "\n".join(odd.warnings)


def test_catalog_ids_floating_times_and_tz_option(atlas: Atlas, conf: dict[str, str], tmp_path: Path) -> None:
    table = tmp_path / "ids.csv"
    table.write_text(f"Session Name;Start Time;Paper ID;Link\nS1;2023-05-02 10:00;{short(conf, 'Graph')};\n"
                     "S1;2023-05-02 10:00;;https://arxiv.org/abs/2301.00008v2\n")  # semicolons; an arXiv URL with a version
    res = service.import_programme(atlas, table, VENUE, YEAR)
    assert [pid for pid, _ in entries(atlas)["S1"]] == [short(conf, "Graph"), short(conf, "Calibrated")]
    assert res.warnings == ["ids.csv: 1 session(s) have times without a time zone; kept as written (floating):"
                            " give --tz ZONE (e.g. Africa/Kigali) so calendar exports land at the conference's hour"]
    floating = tmp_path / "floating.ics"
    floating.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:20230502T100000\r\n"
                        "SUMMARY:Poster Session 1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    res = service.import_programme(atlas, floating, VENUE, YEAR, tz="Africa/Kigali")
    assert res.warnings == [] and atlas.store.programme.sessions(VENUE, YEAR)[0].starts_at == "2023-05-02T10:00:00+02:00"


def test_programme_from_listings(atlas: Atlas, conf: dict[str, str]) -> None:
    res = service.programme_from_listings(atlas, VENUE, YEAR)
    assert res.report.unmatched == 0
    assert list(entries(atlas)) == ["Oral Session 1", "Poster Session 1", "Poster Session 2", "Poster Session 3"]  # natural order
    got = {name: sorted(pid or "" for pid, _ in items) for name, items in entries(atlas).items()}
    assert got == {"Poster Session 1": sorted([short(conf, "Sparse"), short(conf, "Diffusion")]),
                   "Poster Session 2": sorted([short(conf, "A Theory"), short(conf, "Graph")]),
                   "Poster Session 3": sorted([short(conf, "Robust"), short(conf, "Tokenizers"), short(conf, "Équivariant")]),
                   "Oral Session 1": [short(conf, "Calibrated")]}


def test_programme_from_the_bundled_samples(atlas: Atlas) -> None:
    from paperatlas.services.ingest import ingest_samples

    ingest_samples(atlas)
    in_session = atlas.store.papers.ids_matching(Filters(venue="ICLR", year=2023, session="Poster Session 6"))
    assert len(in_session) > 100
    res = service.programme_from_listings(atlas, "ICLR", 2023)
    assert (res.sessions, res.report.entries, res.report.unmatched) == (1, len(in_session), 0)
    assert {pid for pid, _ in entries(atlas)["Poster Session 6"]} == in_session
    chosen = sorted(in_session)[:3]
    library.create_list(atlas, "iclr", chosen)
    plan = service.make_plan(atlas, "ICLR", 2023, "iclr", recommend=False).plan
    assert [ps.session.name for ps in plan.sessions] == ["Poster Session 6"]
    assert sorted(it.paper_id for it in plan.sessions[0].items) == chosen


# -- the plan (pure) ---------------------------------------------------------------------------
def _session(key: str, start: str | None, end: str | None, *papers: tuple[str, str | None]) -> ProgrammeSession:
    return ProgrammeSession(key, key.upper(), start, end, entries=tuple(ProgrammeEntry(p, p, b) for p, b in papers))


def test_build_plan_orders_walks_caps_and_flags_clashes() -> None:
    sessions = [
        _session("late", "2023-05-02T15:00:00+02:00", "2023-05-02T17:00:00+02:00", ("x", "3")),
        _session("a", "2023-05-02T10:00:00+02:00", "2023-05-02T12:00:00+02:00",
                 ("p1", "A10"), ("r1", "A2"), ("r2", "B1"), ("p2", None)),
        _session("b", "2023-05-02T09:30:00+00:00", "2023-05-02T10:00:00+00:00", ("p3", "7")),  # 11:30-12:00+02: overlaps a
        _session("c", "2023-05-02T12:00:00+02:00", "2023-05-02T13:00:00+02:00", ("p4", "1")),  # starts as a and b end: no clash
        _session("same", "2023-05-02T10:00:00+02:00", "2023-05-02T11:00:00+02:00", ("p1", "Z9")),  # only p1 again: no clash
        _session("untimed", None, None, ("r3", None)),
    ]
    picks = [Pick("p1", "list"), Pick("p2", "list"), Pick("p3", "starred"), Pick("p4", "starred"), Pick("gone", "list"),
             Pick("r1", "recommended", "why r1", 0.5), Pick("r2", "recommended", "why r2", 0.9),
             Pick("r3", "recommended", "", 0.1),
             Pick("p1", "recommended", "", 9.0)]  # a chosen paper recommended too stays chosen
    plan = build_plan(sessions, picks, {"p1": "Paper one"}, cap=3)
    # by start, then end (the shorter first); 'late' shows nothing of yours; untimed last
    assert [ps.session.key for ps in plan.sessions] == ["same", "a", "b", "c", "untimed"]
    a = plan.sessions[1]
    # p1, p2 chosen (always), then the best recommendation fills to the cap of 3: r2 (0.9), not r1 (0.5)
    assert [(it.paper_id, it.board, it.reason) for it in a.items] == [("p1", "A10", "list"), ("r2", "B1", "recommended"),
                                                                      ("p2", None, "list")]
    assert a.items[0].title == "Paper one" and a.items[1].title == "r2"
    assert [(c.first, c.second) for c in plan.clashes] == [("a", "b")]
    assert a.clashes == ("b",) and a.items[0].clashes == ("B",) and a.items[1].clashes == ()  # recommendations are not flagged
    assert [p.paper_id for p in plan.unscheduled] == ["gone"] and plan.chosen == 5


def test_build_plan_cap_zero_keeps_chosen_only() -> None:
    sessions = [_session("a", "2023-05-02T10:00", "2023-05-02T11:00", ("r", "1"), ("p", "2"))]
    plan = build_plan(sessions, [Pick("p", "starred"), Pick("r", "recommended", "", 1.0)], {}, cap=0)
    assert [it.paper_id for it in plan.sessions[0].items] == ["p"]


def test_topic_matched_fill_same_topic_and_shared_keywords() -> None:
    clusters = {"a": "t1", "b": "t1", "c": "t2", "d": "t1", "e": "t2", "f": "t3"}
    picks = same_topic(clusters, {"t1": "Graphs"}, ["a", "b", "c"], k=5)
    assert [(p.paper_id, p.score, p.why) for p in picks] == [("d", 2.0, "same topic as 2 of your papers: Graphs"),
                                                             ("e", 1.0, "same topic as 1 of your papers: t2")]
    keywords = {"a": ["GNN", "Graphs"], "b": ["diffusion"], "x": ["gnn", "transformers"], "y": ["Diffusion", "graphs"],
                "z": ["other"]}
    picks = shared_keywords(keywords, ["a", "b"], k=5)
    # y: 1/3 (graphs, with a) + 1/2 (diffusion, with b) = 5/6; x: 1/3 (gnn, with a); z shares nothing
    assert [(p.paper_id, round(p.score, 6), p.why) for p in picks] == [
        ("y", round(5 / 6, 6), "shares keywords with your papers: diffusion, graphs"),
        ("x", round(1 / 3, 6), "shares keywords with your papers: gnn")]


def test_plan_falls_back_to_topic_matched_papers(atlas: Atlas, tmp_path: Path) -> None:
    listing = tmp_path / "kw.jsonl"
    rows = [("k1", "Graph Transformers for Molecules", ["graphs", "chemistry"]), ("k2", "Message Passing Revisited", ["graphs"]),
            ("k3", "Protein Language Models", ["biology"]), ("k4", "Scaling Diffusion", ["diffusion"])]
    listing.write_text("".join(json.dumps({"id": i, "title": t, "keywords": kw, "venue": "TestConf", "year": 2024,
                                           "authors": ["A B"]}) + "\n" for i, t, kw in rows))
    ingest_paths(atlas, [listing])
    ids = {p.title.split()[0]: p.id for p in atlas.store.papers.list(Filters(venue="TestConf"), limit=None)}
    table = tmp_path / "p.csv"
    table.write_text("session,start,end,board,title\n" + "".join(
        f"S1,2024-01-02T10:00:00+00:00,2024-01-02T12:00:00+00:00,{n},{t}\n" for n, (_, t, _) in enumerate(rows, 1)))
    service.import_programme(atlas, table, "TestConf", 2024)
    library.create_list(atlas, "mine", [ids["Graph"]])
    res = service.make_plan(atlas, "TestConf", 2024, "mine", profile="tag:nothing-tagged")  # the recommender has no profile
    assert [(it.paper_id, it.reason, it.why) for it in res.plan.sessions[0].items] == [
        (ids["Graph"], "list", "in your list mine"),
        (ids["Message"], "recommended", "shares keywords with your papers: graphs")]
    assert res.notes[0].startswith("no recommendations (papers tagged nothing-tagged has no papers yet); topic-matched")


# -- re-import keeps chosen papers -------------------------------------------------------------
def test_reimport_updates_sessions_and_keeps_every_chosen_paper(atlas: Atlas, conf: dict[str, str]) -> None:
    service.import_programme(atlas, DATA / "iclr2023_programme.csv", VENUE, YEAR, tz="Africa/Kigali")
    library.create_list(atlas, "mine", [short(conf, "Diffusion"), short(conf, "A Theory"), short(conf, "Robust")])
    library.star(atlas, short(conf, "Graph"))
    library.star(atlas, short(conf, "Calibrated"))
    before = service.make_plan(atlas, VENUE, YEAR, "mine", recommend=False)
    placed = {it.paper_id: ps.session.name for ps in before.plan.sessions for it in ps.items}
    assert placed[short(conf, "Diffusion")] == "Poster Session 1" and len(placed) == 5
    assert [(c.first, c.second) for c in before.plan.clashes] != []  # sessions 1 and 2 overlap in v1

    res = service.import_programme(atlas, DATA / "iclr2023_programme_v2.csv", VENUE, YEAR, tz="Africa/Kigali")
    assert res.chosen_scheduled == 4 and res.chosen_lost == [short(conf, "Calibrated")]  # the oral left the programme
    after = service.make_plan(atlas, VENUE, YEAR, "mine", recommend=False)
    where = {it.paper_id: (ps.session.name, it.board) for ps in after.plan.sessions for it in ps.items}
    assert where == {short(conf, "Diffusion"): ("Poster Session 2", "B12"), short(conf, "A Theory"): ("Poster Session 2", "B1"),
                     short(conf, "Graph"): ("Poster Session 2", "A7"), short(conf, "Robust"): ("Poster Session 3 (moved)", "12")}
    assert [p.paper_id for p in after.plan.unscheduled] == [short(conf, "Calibrated")]
    assert after.plan.clashes == []
    assert [it.board for it in after.plan.sessions[0].items] == ["A7", "B1", "B12"]  # walking order


def test_plan_follows_papers_merged_after_the_import(atlas: Atlas, conf: dict[str, str], tmp_path: Path) -> None:
    from paperatlas.services import review

    extra = tmp_path / "extended.jsonl"
    extra.write_text(json.dumps({"id": "x1", "title": "Manifolds Learned by Diffusion Models: Extended Version", "venue": "ICLR",
                                 "year": 2023, "authors": ["Zed"]}) + "\n")
    ingest_paths(atlas, [extra])
    service.import_programme(atlas, DATA / "iclr2023_programme.csv", VENUE, YEAR, tz="Africa/Kigali")
    diffusion = short(conf, "Diffusion")
    library.star(atlas, diffusion)
    papers = atlas.store.papers.list(Filters(venue=VENUE, year=YEAR), limit=None)
    other = next(p.id for p in papers if p.title.startswith("Manifolds"))
    merged = review.merge(atlas, other, diffusion).papers[0].id
    assert not atlas.store.papers.exists(diffusion) and atlas.store.library.starred_ids() == [merged]
    res = service.make_plan(atlas, VENUE, YEAR, recommend=False)
    assert [(ps.session.name, [(it.paper_id, it.board) for it in ps.items]) for ps in res.plan.sessions] == [
        ("Poster Session 1", [(merged, "A2")])]
    assert res.plan.unscheduled == [] and res.notes[0].startswith("the catalog changed since the programme was imported: 1 of")


def test_stars_of_other_conferences_are_not_unscheduled(atlas: Atlas, conf: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "neurips.jsonl"
    other.write_text(json.dumps({"id": "n1", "title": "A NeurIPS Paper About Something Else", "venue": "NeurIPS", "year": 2023,
                                 "authors": ["Someone"]}) + "\n")
    ingest_paths(atlas, [other])
    neurips = atlas.store.papers.list(Filters(venue="NeurIPS"), limit=None)[0].id
    library.star(atlas, neurips)
    service.import_programme(atlas, DATA / "iclr2023_programme.csv", VENUE, YEAR, tz="Africa/Kigali")
    res = service.make_plan(atlas, VENUE, YEAR, recommend=False)
    assert res.plan.sessions == [] and res.plan.unscheduled == [] and res.plan.chosen == 0
    assert res.notes[0] == "none of your starred papers is in ICLR 2023: star some, or plan from a list (--list NAME)"
    library.create_list(atlas, "mine", [neurips, short(conf, "Graph")])  # a list named for the plan counts whole
    res = service.make_plan(atlas, VENUE, YEAR, "mine", recommend=False)
    assert [p.paper_id for p in res.plan.unscheduled] == [neurips]
    assert res.titles[neurips] == "A NeurIPS Paper About Something Else"


def test_recommendations_fill_sessions_up_to_the_cap(atlas: Atlas, conf: dict[str, str]) -> None:
    service.import_programme(atlas, DATA / "iclr2023_programme.csv", VENUE, YEAR, tz="Africa/Kigali")
    library.create_list(atlas, "mine", [short(conf, "Diffusion"), short(conf, "Robust")])
    res = service.make_plan(atlas, VENUE, YEAR, "mine", cap=2)
    chosen = {short(conf, "Diffusion"), short(conf, "Robust")}
    items = [it for ps in res.plan.sessions for it in ps.items]
    assert chosen <= {it.paper_id for it in items}
    assert all(len(ps.items) <= 2 for ps in res.plan.sessions)
    recommended = [it for it in items if it.reason == "recommended"]
    assert recommended and all(it.paper_id not in chosen and it.why for it in recommended)


# -- exports -----------------------------------------------------------------------------------
def test_ics_export_is_valid_rfc5545_with_stable_uids(atlas: Atlas, conf: dict[str, str]) -> None:
    service.import_programme(atlas, DATA / "iclr2023_posters.ics", VENUE, YEAR)
    library.create_list(atlas, "mine", [short(conf, "Diffusion"), short(conf, "Robust")])
    plan = service.make_plan(atlas, VENUE, YEAR, "mine", recommend=False).plan
    one = to_ics(plan, VENUE, YEAR, datetime(2023, 4, 1, 12, 0, tzinfo=UTC))
    two = to_ics(plan, VENUE, YEAR, datetime(2023, 4, 2, 12, 0, tzinfo=UTC))
    cal = icalendar.Calendar.from_ical(one)
    events = list(cal.walk("VEVENT"))
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    assert [str(e["SUMMARY"]) for e in events] == ["Poster Session 1 (1 paper)", "Posters 2023-05-03 10:30, Hall E (1 paper)"]
    assert all(not e.errors for e in events)
    assert events[0].decoded("DTSTART") == datetime(2023, 5, 2, 8, 30, tzinfo=UTC)
    assert events[0].decoded("DTSTAMP") == datetime(2023, 4, 1, 12, 0, tzinfo=UTC)
    assert "[A2] Diffusion Models Learn Low-Dimensional Manifolds (in your list)" in str(events[0]["DESCRIPTION"])
    uid = str(events[0]["UID"])
    assert uid == event_uid(VENUE, YEAR, "uid:ps1@iclr.example")
    assert uid == str(icalendar.Calendar.from_ical(two).walk("VEVENT")[0]["UID"])  # another DTSTAMP, the same UID
    assert len({str(e["UID"]) for e in events}) == 2
    per_paper = icalendar.Calendar.from_ical(to_ics(plan, VENUE, YEAR, per_paper=True)).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in per_paper] == ["A2 · Diffusion Models Learn Low-Dimensional Manifolds",
                                                      "12 · Robust Offline Reinforcement Learning with Pessimism"]
    assert str(per_paper[0]["UID"]) == event_uid(VENUE, YEAR, "uid:ps1@iclr.example", short(conf, "Diffusion")) != uid


def test_markdown_export_escapes_titles() -> None:
    sessions = [_session("a", "2023-05-02T10:00:00+02:00", "2023-05-02T12:00:00+02:00", ("p", "A1"))]
    plan = build_plan(sessions, [Pick("p", "starred")], {"p": "Learning *fast* with [links](x) <b>"})
    text = to_markdown(plan, "ICLR", 2023, "your starred papers")
    assert "- **A1** Learning \\*fast\\* with \\[links\\](x) \\<b\\> _(starred)_" in text
    assert "## A\n\n2023-05-02 10:00–12:00" in text


# -- command line and web ------------------------------------------------------------------------
def test_cli_programme_import_and_plan(atlas: Atlas, conf: dict[str, str], tmp_path: Path) -> None:
    db = atlas.location
    library.create_list(atlas, "mine", [short(conf, "Diffusion"), short(conf, "Graph")])
    runner = CliRunner()
    out = runner.invoke(cli, ["programme", "import", str(DATA / "iclr2023_programme.csv"), "--venue", "ICLR", "--year", "2023",
                              "--tz", "Africa/Kigali", "--json", "--db", db], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["unmatched_first"] == ["A Paper The Catalog Does Not Have"]
    ics = tmp_path / "plan.ics"
    out = runner.invoke(cli, ["plan", "--venue", "ICLR", "--year", "2023", "--list", "mine", "--no-recommend", "--json",
                              "--ics", str(ics), "--db", db], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [[it["board"] for it in s["items"]] for s in data["sessions"]] == [["A2"], ["A7"]]
    assert data["sessions"][0]["clashes_with"] == [data["sessions"][1]["key"]]
    assert len(icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")) == 2
    out = runner.invoke(cli, ["plan", "--venue", "ICLR", "--year", "2023", "--list", "mine", "--no-recommend", "--markdown",
                              "--db", db], catch_exceptions=False)
    assert out.output.startswith("# ICLR 2023: my plan\n") and "- **A7** Graph Neural Networks at the Edge of Chaos" in out.output
    out = runner.invoke(cli, ["programme", "show", "--venue", "iclr", "--year", "2023", "--json", "--db", db],
                        catch_exceptions=False)  # the venue matches case-insensitively
    assert [s["name"] for s in json.loads(out.output)["sessions"]] == ["Poster Session 1", "Poster Session 2", "Poster Session 3",
                                                                        "Oral Session 1"]
    out = runner.invoke(cli, ["programme", "remove", "--venue", "ICLR", "--year", "2023", "--json", "--db", db])
    assert json.loads(out.output) == {"venue": "ICLR", "year": 2023, "removed": True}
    out = runner.invoke(cli, ["plan", "--venue", "ICLR", "--year", "2023", "--db", db])
    assert out.exit_code == 1 and "no programme for ICLR 2023" in out.output


def test_web_plan_page_downloads_and_escaping(atlas: Atlas, conf: dict[str, str], tmp_path: Path) -> None:
    evil = tmp_path / "evil.csv"
    evil.write_text("session,start,board,title\n<script>alert(1)</script>,2023-05-02 10:00,<b>7</b>,"
                    "Diffusion Models Learn Low-Dimensional Manifolds\n")
    service.import_programme(atlas, evil, VENUE, YEAR)
    library.create_list(atlas, "mine", [short(conf, "Diffusion")])
    app = create_app(atlas, ServerOptions(allowed_hosts=("testserver",)))
    with TestClient(app, base_url="http://testserver") as client:
        page = client.get("/plan", params={"venue": "ICLR", "year": "2023", "list": "mine"})
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "&lt;b&gt;7&lt;/b&gt;" in page.text and "Diffusion Models Learn Low-Dimensional Manifolds" in page.text
        assert '<link rel="stylesheet" href="/static/plan.css">' in page.text and "style=" not in page.text
        assert "@media print" in client.get("/static/plan.css").text
        ics = client.get("/plan.ics", params={"venue": "ICLR", "year": "2023", "list": "mine"})
        assert ics.headers["content-type"].startswith("text/calendar")
        assert len(icalendar.Calendar.from_ical(ics.content).walk("VEVENT")) == 1
        ics = client.get("/plan.ics", params={"venue": "ICLR", "year": "2023", "list": "mine", "events": "paper"})
        assert [str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(ics.content).walk("VEVENT")] == [
            "<b>7</b> · Diffusion Models Learn Low-Dimensional Manifolds"]
        api = client.get("/api/plan", params={"venue": "ICLR", "year": "2023", "list": "mine"}).json()
        assert api["sessions"][0]["items"][0]["board"] == "<b>7</b>"
        md = client.get("/plan.md", params={"venue": "ICLR", "year": "2023", "list": "mine"})
        assert md.status_code == 200 and "\\<script\\>" in md.text
        index = client.get("/plan")
        assert index.status_code == 200 and "/plan?venue=ICLR&amp;year=2023" in index.text
        assert client.get("/plan", params={"venue": "ICLR"}).status_code == 400
        assert client.get("/plan", params={"venue": "Nope", "year": "1999"}).status_code == 404


# -- any input -----------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_reference_and_time_readers_accept_any_text(text: str) -> None:
    walking_order([text, "A1", None])
    board_in(text)
    leading_board(text)
    entry_from_text(text)
    parse_time(text, None, "2023-05-02")


ICS_LINES = st.sampled_from(["BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VEVENT", "END:VEVENT", "VERSION:2.0", "SUMMARY:S",
                             "DTSTART:20230502T100000Z", "DTSTART;TZID=X/Y:20230502T1000", "DTEND;VALUE=DATE:2023", "UID:u",
                             "DURATION:PT1H", "DURATION:bad", "LOCATION:Hall #3", "DESCRIPTION:#A1 Title\\nline", " folded",
                             "BEGIN:VTIMEZONE", "END:VTIMEZONE", "TZID:X/Y", "garbage line", ""])


@settings(max_examples=150, deadline=None)
@given(st.lists(ICS_LINES, max_size=30))
def test_ics_reader_raises_only_invalid_input(lines: list[str]) -> None:
    data = "\r\n".join(["BEGIN:VCALENDAR", *lines, "END:VCALENDAR"]).encode()
    try:
        read_ics(data, "fuzz.ics")
    except InvalidInput:
        pass


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["session,start,end,board,title\n", "[", '{"sessions": [', ""]))
def test_csv_and_json_readers_raise_only_invalid_input(data: bytes, head: str) -> None:
    for reader in (read_csv, read_json):
        try:
            reader(head.encode() + data, "fuzz")
        except InvalidInput:
            pass
