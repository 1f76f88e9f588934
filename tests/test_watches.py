"""Watches over replayed syncs (tests/_replay.py serves recorded responses on loopback): typed
reasons (new, new_version, decision, code, trending, followed_author), each item reported once
per watch until it changes again, profiles, follows, trending as a pure function worked by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from _replay import REMOTE, ArxivAPI, OpenReviewAPI, Replay, Reply, Request, recorded_arxiv

from paperatlas import Atlas, Filters
from paperatlas.errors import InvalidInput, NotFound
from paperatlas.services import library
from paperatlas.services import sources as sources_svc
from paperatlas.services import watches as svc
from paperatlas.sources.http import Fetcher
from paperatlas.watches import Change, arxiv_version, changes, reason_words
from paperatlas.watches.trending import Rise, modified_z, rises, rising, trending

QUERY = "/api/query"


@pytest.fixture
def server() -> Iterator[Replay]:
    with Replay() as replay:
        yield replay


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(sleep=lambda s: None, retries=1, backoff=0.0, timeout=5.0) as f:
        yield f


def sync(atlas: Atlas, fetcher: Fetcher, day: date) -> None:
    reports = sources_svc.sync(atlas, fetcher=fetcher, today=day)
    assert all(r.ok for r in reports), [r.summary() for r in reports]


def items(atlas: Atlas, name: str) -> list[tuple[str, str, str]]:
    """(paper's title start, reason, state) of every item the watch reported, sorted."""
    return sorted((i.title[:30], i.reason, i.state) for i in atlas.store.watches.items(name))


# -- the pure parts ------------------------------------------------------------------------------------
def test_changes_are_typed() -> None:
    before = {"version": 1, "track": "Submitted", "code": []}
    assert changes(None, before, is_new=True)[0].reason == "new"
    assert changes(None, before, is_new=False) == []  # no snapshot and not new: nothing known changed
    assert changes(before, dict(before), is_new=False) == []
    after = {"version": 2, "track": "Poster", "code": ["https://github.com/a/b"]}
    assert changes(before, after, is_new=False) == [
        Change("new_version", "v2", {"version": 2, "previous": 1}),
        Change("decision", "Poster", {"from": "Submitted", "to": "Poster"}),
        Change("code", "https://github.com/a/b", {"urls": ["https://github.com/a/b"]}),
    ]
    moved = changes({"version": None, "track": "Poster", "code": []}, {"version": None, "track": "Oral", "code": []}, False)
    assert [(c.reason, c.state) for c in moved] == [("track_changed", "Oral")]
    assert changes({"version": 3, "track": None, "code": ["x"]}, {"version": 2, "track": None, "code": []}, False) == []


def test_arxiv_versions_and_reasons_in_words() -> None:
    assert arxiv_version(["1912.04570v3", "http://arxiv.org/pdf/1912.04570v12", "hep-th/9901001v2"]) == 12
    assert arxiv_version(["1912.04570", "no id"]) is None
    assert reason_words("decision", {"from": "Submitted", "to": "Poster"}) == "decision arrived: Submitted → Poster"
    assert reason_words("trending", {"counter": "hf upvotes", "rise": 40, "value": 52, "days": 7}) == \
        "rising this week: hf upvotes +40 in 7 days (now 52)"


def test_modified_z_scores_worked_by_hand() -> None:
    # median 3, |deviations| 2 1 0 1 97 -> MAD 1: M = 0.6745 * (x - 3) / 1
    assert modified_z([1, 2, 3, 4, 100]) == pytest.approx([-1.349, -0.6745, 0.0, 0.6745, 65.4265])
    # median 0 and MAD 0 (most papers did not rise): MeanAD = 10/5 = 2, M = x / (1.253314 * 2)
    assert modified_z([0, 0, 0, 0, 10]) == pytest.approx([0, 0, 0, 0, 3.98943], abs=1e-5)
    assert modified_z([5, 5, 5]) == [0.0, 0.0, 0.0]


def test_rises_use_the_last_value_before_the_window_as_baseline() -> None:
    series = [("a", "hf upvotes", 10, "2026-08-01T12:00:00Z"), ("a", "hf upvotes", 30, "2026-08-09T12:00:00Z"),
              ("a", "hf upvotes", 50, "2026-08-10T12:00:00Z"), ("b", "hf upvotes", 7, "2026-08-09T12:00:00Z"),
              ("c", "hf upvotes", 4, "2026-08-01T12:00:00Z")]
    found = rises(series, "2026-08-05T00:00:00Z")
    # a: 50 - 10 (the value before the window); b: seen once, in the window: no rise; c: not seen in it
    assert [(r.paper_id, r.value, r.rise) for r in found] == [("a", 50, 40), ("b", 7, 0)]


def test_trending_is_judged_per_counter() -> None:
    quiet = [Rise(f"p{i}", "hf upvotes", 10, 0) for i in range(8)]
    found = [*quiet, Rise("hot", "hf upvotes", 90, 80), Rise("warm", "hf upvotes", 13, 3),
             Rise("pdf", "papers.cool PDF", 500, 6), *[Rise(f"q{i}", "papers.cool PDF", 400, 5) for i in range(5)]]
    # upvotes: median 0, MAD 0, MeanAD = 83/10 -> hot 80/(1.253314*8.3) = 7.69, warm 0.29 (and under MIN_RISE)
    # PDF: median 5, MAD 0, MeanAD = 1/6 -> pdf 1/(1.253314/6) = 4.79, but its rise 6 is at least MIN_RISE 5
    assert [(r.paper_id, round(r.score, 2)) for r in trending(found)] == [("hot", 7.69), ("pdf", 4.79)]
    assert [r.paper_id for r in rising(found)][:3] == ["hot", "pdf", "warm"]


def test_papers_that_did_not_rise_count_in_the_distribution() -> None:
    jump = [Rise("hot", "hf upvotes", 340, 300)]
    assert trending(jump) == []  # alone, a rise is its own median: nothing to stand out from
    # eight quiet papers carry the counter too: values 300, 0 x 8 -> median 0, MAD 0,
    # MeanAD 300/9, M = 300 / (1.253314 * 33.33) = 7.181
    [hot] = trending(jump, {"hf upvotes": 9})
    assert hot.score == pytest.approx(7.181, abs=1e-3)
    assert trending(jump, {"hf upvotes": 4}) == []  # 300, 0, 0, 0: MeanAD 75, M = 300 / (1.253314 * 75) = 3.19


# -- watches over replayed syncs -------------------------------------------------------------------
def test_openreview_decisions_and_new_papers_are_reported_once(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    api = OpenReviewAPI()
    kept = api.notes[4:]
    api.notes = api.notes[:4]  # two submissions arrive later
    server.route("/notes", api.handler)
    sources_svc.add_source(atlas, "openreview", "iclr20", venue="ICLR.cc/2020/Conference", base_url=server.url, pace=0)
    sync(atlas, fetcher, date(2026, 8, 1))
    svc.add_watch(atlas, "all", filters=Filters(venue="ICLR"))
    svc.add_watch(atlas, "rl", "reinforcement")
    assert atlas.store.watches.items("all") == []  # what the catalog held before the watch is not news
    titles = {n["id"]: n["content"]["title"]["value"] for n in [*api.notes, *kept]}
    api.notes += kept
    api.decide("rkgt0REKwS", "ICLR 2020 Poster", "ICLR.cc/2020/Conference")
    sync(atlas, fetcher, date(2026, 8, 2))
    got = items(atlas, "all")
    assert got == sorted([(titles["rkgt0REKwS"][:30], "decision", "Poster"),
                          *[(titles[n["id"]][:30], "new", "") for n in kept]])
    rl = {t for t, _, _ in items(atlas, "rl")}
    words = {n["id"]: json.dumps(n["content"]).lower() for n in [*api.notes, *kept]}  # title, abstract, keywords
    assert rl == {t[:30] for i, t in titles.items() if "reinforcement" in words[i]
                  and (i == "rkgt0REKwS" or i in {n["id"] for n in kept})}
    assert rl and rl < {t for t, _, _ in got}
    sync(atlas, fetcher, date(2026, 8, 3))  # nothing changed: nothing more
    assert items(atlas, "all") == got
    api.decide("rkgt0REKwS", "ICLR 2020 Oral", "ICLR.cc/2020/Conference")  # it changes again: reported again
    sync(atlas, fetcher, date(2026, 8, 4))
    assert (titles["rkgt0REKwS"][:30], "track_changed", "Oral") in items(atlas, "all")
    assert len(items(atlas, "all")) == len(got) + 1


def test_a_check_that_fails_half_way_is_done_again_whole(atlas: Atlas, server: Replay, fetcher: Fetcher,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    api = OpenReviewAPI()
    server.route("/notes", api.handler)
    sources_svc.add_source(atlas, "openreview", "iclr20", venue="ICLR.cc/2020/Conference", base_url=server.url, pace=0)
    sync(atlas, fetcher, date(2026, 8, 1))
    svc.add_watch(atlas, "all", filters=Filters(venue="ICLR"))
    api.decide("rkgt0REKwS", "ICLR 2020 Poster", "ICLR.cc/2020/Conference")

    def broken(*args: object) -> set[str]:
        raise RuntimeError("the machine stopped")
    real = svc.matching
    monkeypatch.setattr(svc, "matching", broken)
    with pytest.raises(RuntimeError):
        sources_svc.sync(atlas, fetcher=fetcher, today=date(2026, 8, 2))
    assert atlas.store.watches.items("all") == []
    monkeypatch.setattr(svc, "matching", real)  # (not undo(): that would drop the fixtures' settings too)
    svc.check(atlas)  # the decision was typed, not stored: typed again now
    assert [(i.reason, i.state) for i in atlas.store.watches.items("all")] == [("decision", "Poster")]


def _arxiv_entry(entry: bytes, version: int) -> bytes:
    old = entry.split(b"<id>")[1].split(b"</id>")[0]
    new = old.rsplit(b"v", 1)[0] + b"v%d" % version
    return entry.replace(old, new).replace(b"<updated>", b"<updated>2020-").replace(b"<updated>2020-", b"<updated>", 1)


def test_a_new_arxiv_version_and_a_code_link_are_reported(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    header, entries = recorded_arxiv()
    doc = {"body": header + b"\n".join(entries[:5]) + b"\n</feed>\n"}
    server.route("/listing.xml", lambda r: Reply(200, doc["body"], {"Content-Type": "application/atom+xml"}))
    sources_svc.add_source(atlas, "url", "list", url=server.url + "/listing.xml", pace=0)
    sync(atlas, fetcher, date(2026, 8, 1))
    svc.add_watch(atlas, "every", filters=Filters(venue="arXiv"))
    bumped = _arxiv_entry(entries[1], 7)
    doc["body"] = header + b"\n".join([entries[0], bumped, *entries[2:5]]) + b"\n</feed>\n"
    sync(atlas, fetcher, date(2026, 8, 2))
    got = [(i.reason, i.state) for i in atlas.store.watches.items("every")]
    assert got == [("new_version", "v7")]
    sync(atlas, fetcher, date(2026, 8, 3))
    assert len(atlas.store.watches.items("every")) == 1


def test_trending_upvotes_are_reported_to_matching_watches(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    days = {d: json.loads((REMOTE / "huggingface" / f"daily_papers_{d}.json").read_text())
            for d in ("2026-08-18", "2026-08-19", "2026-08-20")}

    def handler(request: Request) -> Reply:
        return Reply(200, json.dumps(days.get(request.query["date"], [])).encode(), {"Content-Type": "application/json"})
    server.route("/api/daily_papers", handler)
    sources_svc.add_source(atlas, "hf-daily", "hf", since="2026-08-18", base_url=server.url, pace=0)
    sync(atlas, fetcher, date(2026, 8, 20))
    hot = days["2026-08-20"][1]["paper"]  # its day is fetched again by the next syncs (refresh_days 3)
    svc.add_watch(atlas, "hf", " ".join(hot["title"].split()[:3]))  # words of its title
    svc.add_watch(atlas, "none", "zzzunmatched")
    hot["upvotes"] += 500  # one paper's upvotes jump; the others stay
    sync(atlas, fetcher, date(2026, 8, 21))
    reported = atlas.store.watches.items("hf")
    assert [(i.title, i.reason, i.detail["rise"]) for i in reported] == [(hot["title"], "trending", 500)]
    assert reported[0].state == "hf upvotes@2026-08-21"
    assert atlas.store.watches.items("none") == []
    hot["upvotes"] += 1  # still rising within the window of its jump: not reported again
    sync(atlas, fetcher, date(2026, 8, 22))
    assert len(atlas.store.watches.items("hf")) == 1
    top = svc.trending_papers(atlas, 7, at=datetime(2026, 8, 22, 13, tzinfo=UTC))
    assert [(p.title, r.rise) for r, p in top][:1] == [(hot["title"], 501)]


def test_followed_authors_and_profiles(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    arxiv = ArxivAPI()
    arxiv.hidden = 10  # the ten newest entries are announced later
    server.route(QUERY, arxiv.handler)
    sources_svc.add_source(atlas, "arxiv", "se", query="cs.SE", base_url=server.url + QUERY, page_size=10, pace=0)
    sync(atlas, fetcher, date(2026, 8, 1))
    newest = arxiv.entries[0]
    author = newest.split(b"<name>")[1].split(b"</name>")[0].decode()
    first, *rest = author.split()
    assert svc.follow(atlas, f"{' '.join(rest)}, {first}")  # "Last, First" is the same person
    assert not svc.follow(atlas, author)
    old = atlas.store.papers.list(Filters(), None)
    library.star(atlas, old[0].id)
    svc.add_watch(atlas, "mine", profile="starred")
    arxiv.hidden = 0
    sync(atlas, fetcher, date(2026, 8, 2))
    followed = atlas.store.watches.items(svc.FOLLOWING)
    title = newest.split(b"<title>")[1].split(b"</title>")[0].decode()
    assert [(" ".join(i.title.split()), i.reason) for i in followed] == [(" ".join(title.split()), "followed_author")]
    mine = atlas.store.watches.items("mine")
    assert mine and {i.reason for i in mine} == {"new"} and len(mine) <= 10
    assert svc.get_watch(atlas, "mine").unseen == len(mine)
    assert svc.mark_seen(atlas, "mine") == len(mine) and svc.get_watch(atlas, "mine").unseen == 0
    assert svc.unfollow(atlas, author) and svc.follows(atlas) == []


def test_a_semantic_watch_embeds_the_new_papers_before_it_matches(atlas: Atlas, server: Replay, fetcher: Fetcher,
                                                                  tmp_path: Path) -> None:
    from paperatlas.embeddings.minilm import MiniLMEmbedder

    atlas.use_embedder(MiniLMEmbedder(cache_dir=tmp_path / "models", notify=lambda _: None))
    api = OpenReviewAPI()
    later = api.notes[3:]
    api.notes = api.notes[:3]
    server.route("/notes", api.handler)
    sources_svc.add_source(atlas, "openreview", "iclr20", venue="ICLR.cc/2020/Conference", base_url=server.url, pace=0)
    sync(atlas, fetcher, date(2026, 8, 1))
    atlas.indexes.sync_vectors()
    svc.add_watch(atlas, "sem", "learning from demonstrations", mode="semantic")
    api.notes += later
    sync(atlas, fetcher, date(2026, 8, 2))
    assert atlas.indexes.coverage() == 1.0  # the check embedded the three new papers
    # six papers, all within the watch's depth: each new one is reported, the old ones are not news
    assert sorted(i.title for i in atlas.store.watches.items("sem")) == sorted(n["content"]["title"]["value"] for n in later)


def test_watch_errors_name_the_fix(atlas: Atlas) -> None:
    with pytest.raises(InvalidInput, match="needs a query"):
        svc.add_watch(atlas, "empty")
    with pytest.raises(InvalidInput, match="cannot name"):
        svc.add_watch(atlas, "a b", "x")
    with pytest.raises(InvalidInput, match="unknown profile"):
        svc.add_watch(atlas, "p", profile="everything")
    with pytest.raises(InvalidInput, match="search mode"):
        svc.add_watch(atlas, "m", "x", mode="fuzzy")
    svc.add_watch(atlas, "x", "x")
    with pytest.raises(InvalidInput, match="already"):
        svc.add_watch(atlas, "x", "y")
    with pytest.raises(NotFound, match="watch list"):
        svc.remove_watch(atlas, "nope")
    with pytest.raises(InvalidInput, match="duration"):
        svc.parse_since("seven days")


def run(*args: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "paperatlas", *args], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def test_cli_watch_add_list_check_seen_remove(catalog_location: str | Path, tmp_path: Path) -> None:
    db = str(catalog_location)
    code, out, err = run("watch", "add", "rl", "reinforcement learning", "--venue", "ICLR", "--db", db, "--json")
    assert code == 0, err
    assert json.loads(out)["filters"] == {"venue": "ICLR"} and json.loads(out)["kind"] == "query"
    code, out, _ = run("watch", "list", "--db", db, "--json")
    assert [w["name"] for w in json.loads(out)] == ["rl"]
    code, out, _ = run("watch", "check", "--db", db, "--json")
    assert code == 0 and json.loads(out)["reported"] == {"rl": 0}
    assert run("watch", "seen", "rl", "--db", db)[0] == 0
    code, _, err = run("watch", "add", "bad", "--db", db)
    assert code == 2 and "needs a query" in err and "hint" in err
    assert run("follow", "Ada Lovelace", "--db", db)[0] == 0
    code, out, _ = run("follows", "--db", db, "--json")
    assert [f["name"] for f in json.loads(out)] == ["Ada Lovelace"]
    assert run("watch", "remove", "rl", "--db", db)[0] == 0
