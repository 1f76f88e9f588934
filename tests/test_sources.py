"""Sources that fetch themselves, against a real HTTP server on loopback (tests/_replay.py) that
replays recorded responses of each service (tests/data/remote/README.md names their sources):
paging, incremental and resumable syncs, 429 with Retry-After, 503, truncated and slow answers,
redirects, ETag / Last-Modified, and each connector's records in the catalog."""

from __future__ import annotations

import email.utils
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from _replay import REMOTE, ArxivAPI, OpenReviewAPI, Replay, Reply, Request, entry_id, recorded_arxiv

from paperatlas import Atlas, Filters
from paperatlas.errors import InvalidInput, NotFound
from paperatlas.services import sources as svc
from paperatlas.sources.http import Fetcher
from paperatlas.sources.sync import SyncReport

QUERY = "/api/query"


@pytest.fixture
def server() -> Iterator[Replay]:
    with Replay() as replay:
        yield replay


@pytest.fixture
def arxiv(server: Replay) -> ArxivAPI:
    api = ArxivAPI()
    server.route(QUERY, api.handler)
    return api


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def fetcher(waits: list[float]) -> Iterator[Fetcher]:
    """The real fetcher; its waits are recorded instead of slept (no test waits on a clock)."""
    with Fetcher(sleep=waits.append, retries=2, backoff=1.0, timeout=5.0) as f:
        yield f


def add_arxiv(atlas: Atlas, server: Replay, name: str = "se", **options: object) -> None:
    svc.add_source(atlas, "arxiv", name, query="cs.SE", base_url=server.url + QUERY, page_size=10, pace=0, **options)


def sync_one(atlas: Atlas, fetcher: Fetcher, name: str | None = None, **kw: object) -> SyncReport:
    reports = svc.sync(atlas, name, fetcher=fetcher, **kw)  # type: ignore[arg-type]
    assert len(reports) == 1
    return reports[0]


def papers(atlas: Atlas) -> int:
    return atlas.store.papers.count(Filters())


def day_of(entry: bytes) -> str:
    return entry.split(b"<published>")[1][:10].decode()


# -- arXiv API: paging, incremental, resumable -------------------------------------------------
def test_arxiv_first_sync_pages_then_a_second_sync_stores_nothing(atlas: Atlas, server: Replay, arxiv: ArxivAPI,
                                                                    fetcher: Fetcher) -> None:
    add_arxiv(atlas, server)
    first = sync_one(atlas, fetcher)
    assert first.ok and (first.requests, first.pages, first.entries, first.new) == (3, 3, 30, 30)
    assert first.found == 30  # each day's document read once, though a page boundary may cut a day
    assert [r.query["start"] for r in server.requests(QUERY)] == ["0", "10", "20"]
    query = server.requests(QUERY)[0].query
    assert (query["search_query"], query["sortBy"], query["sortOrder"]) == ("cat:cs.SE", "submittedDate", "descending")
    assert server.requests(QUERY)[0].headers["user-agent"].startswith("paperatlas/")
    assert papers(atlas) == 30
    second = sync_one(atlas, fetcher)
    assert (second.requests, second.changed, second.stored) == (1, 0, 0)
    assert "nothing new, 0 stored" in second.summary()
    assert papers(atlas) == 30


def test_arxiv_incremental_sync_stops_at_the_first_page_it_has_seen(atlas: Atlas, server: Replay, arxiv: ArxivAPI,
                                                                     fetcher: Fetcher) -> None:
    arxiv.hidden = 5  # five papers not announced yet
    add_arxiv(atlas, server)
    assert sync_one(atlas, fetcher).new == 25
    arxiv.hidden = 0
    report = sync_one(atlas, fetcher)
    # the first page holds the 5 new entries and 5 seen ones: it is the last page asked for
    assert (report.requests, report.entries, report.changed, report.new) == (1, 10, 5, 5)
    newest = {entry_id(e) for e in arxiv.entries[:5]}
    ids = {p.ids.get("arxiv") for p in atlas.store.papers.list(Filters(), None)}
    assert {i.split("v")[0] for i in newest} <= ids and papers(atlas) == 30


def test_arxiv_first_sync_goes_back_max_results(atlas: Atlas, server: Replay, arxiv: ArxivAPI, fetcher: Fetcher) -> None:
    add_arxiv(atlas, server, max_results=20)
    report = sync_one(atlas, fetcher)
    assert (report.requests, report.new) == (2, 20)


def test_a_killed_sync_resumes_from_the_last_committed_page(tmp_path: Path, atlas: Atlas, server: Replay,
                                                             arxiv: ArxivAPI, fetcher: Fetcher) -> None:
    """A sync process is killed (SIGKILL) while it waits for its third page: the two pages it
    stored stay, and the next sync asks for the third page again, not the first."""
    held = threading.Event()

    def handler(request: Request) -> Reply:
        reply = arxiv.handler(request)
        if request.query["start"] == "20" and not held.is_set():
            reply.gate = held
        return reply

    server.route(QUERY, handler)
    add_arxiv(atlas, server)
    script = ("import sys; from paperatlas import Atlas, Settings; from paperatlas.services.sources import sync\n"
              "with Atlas.open(sys.argv[1], Settings(home=__import__('pathlib').Path(sys.argv[2]))) as a: sync(a)")
    proc = subprocess.Popen([sys.executable, "-c", script, atlas.location, str(tmp_path)], stderr=subprocess.PIPE)
    try:
        server.wait_for(3, QUERY)
        proc.kill()
        proc.wait(30)
    finally:
        held.set()
    info = svc.get_source(atlas, "se")
    assert info.state["run"]["start"] == 20 and info.last_run is not None and info.last_run.status == "running"
    # 20 entries stored; the 20th one's day may go on in the third page, so it waits to be ingested
    assert info.items == 20 and info.state["pending"] == [day_of(arxiv.entries[19])] and papers(atlas) == 19
    report = sync_one(atlas, fetcher)
    assert report.ok and report.resumed and report.new == 11
    assert [r.query["start"] for r in server.requests(QUERY)][3:] == ["20"]
    assert papers(atlas) == 30


def test_ctrl_c_keeps_the_stored_pages_and_records_the_interruption(atlas: Atlas, server: Replay, arxiv: ArxivAPI,
                                                                     fetcher: Fetcher) -> None:
    add_arxiv(atlas, server)

    def stop_after_one_page(report: SyncReport, total: int | None) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        svc.sync(atlas, fetcher=fetcher, progress=stop_after_one_page)
    info = svc.get_source(atlas, "se")
    assert info.last_run is not None and info.last_run.status == "interrupted"
    assert info.state["run"]["start"] == 10 and info.items == 10 and info.state["pending"] == [day_of(arxiv.entries[9])]
    assert papers(atlas) == 9
    assert sync_one(atlas, fetcher).new == 21 and papers(atlas) == 30 and "pending" not in svc.get_source(atlas, "se").state


# -- politeness: retries, Retry-After, backoff, timeouts, size, redirects, pace ------------------
def test_429_with_retry_after_seconds_is_honoured(atlas: Atlas, server: Replay, arxiv: ArxivAPI, fetcher: Fetcher,
                                                  waits: list[float]) -> None:
    server.then(QUERY, Reply(429, b"Rate exceeded.", {"Retry-After": "2"}))
    add_arxiv(atlas, server)
    report = sync_one(atlas, fetcher)
    assert report.ok and report.new == 30 and waits == [2.0] and report.requests == 4


def test_retry_after_as_an_http_date(atlas: Atlas, server: Replay, arxiv: ArxivAPI, waits: list[float]) -> None:
    now = 1_800_000_000.0
    server.then(QUERY, Reply(503, headers={"Retry-After": email.utils.formatdate(now + 7, usegmt=True)}))
    add_arxiv(atlas, server)
    with Fetcher(sleep=waits.append, now=lambda: now) as fetcher:
        assert sync_one(atlas, fetcher).ok
    assert waits == [7.0]


def test_a_retry_after_longer_than_the_cap_is_an_error_saying_when(atlas: Atlas, server: Replay, arxiv: ArxivAPI,
                                                                   fetcher: Fetcher, waits: list[float]) -> None:
    server.then(QUERY, Reply(429, headers={"Retry-After": "3600"}))
    add_arxiv(atlas, server)
    report = sync_one(atlas, fetcher)
    assert not report.ok and "asks to wait 3600 s" in (report.error or "") and "try again after" in (report.hint or "")
    assert waits == [] and papers(atlas) == 0


def test_503_is_retried_with_exponential_backoff(atlas: Atlas, server: Replay, arxiv: ArxivAPI, fetcher: Fetcher,
                                                 waits: list[float]) -> None:
    server.then(QUERY, Reply(503), Reply(503))
    add_arxiv(atlas, server)
    assert sync_one(atlas, fetcher).new == 30
    assert waits == [1.0, 2.0]


def test_503_that_persists_fails_the_source_with_a_hint(atlas: Atlas, server: Replay, arxiv: ArxivAPI, fetcher: Fetcher,
                                                        waits: list[float]) -> None:
    server.then(QUERY, *[Reply(503, b"Service Unavailable")] * 3)
    add_arxiv(atlas, server)
    report = sync_one(atlas, fetcher)
    assert report.status == "error" and "answered HTTP 503" in (report.error or "")
    assert "resumes" in (report.hint or "") and waits == [1.0, 2.0]


def test_a_truncated_body_is_fetched_again(atlas: Atlas, server: Replay, arxiv: ArxivAPI, fetcher: Fetcher,
                                           waits: list[float]) -> None:
    _, entries = recorded_arxiv()
    server.then(QUERY, Reply(200, arxiv.header + b"\n".join(entries[:10]), truncate=True))
    add_arxiv(atlas, server)
    assert sync_one(atlas, fetcher).new == 30
    assert waits == [1.0]


def test_a_body_truncated_every_time_is_an_error_and_stores_nothing(atlas: Atlas, server: Replay, arxiv: ArxivAPI,
                                                                    fetcher: Fetcher) -> None:
    _, entries = recorded_arxiv()
    server.then(QUERY, *[Reply(200, arxiv.header + b"\n".join(entries[:10]), truncate=True)] * 3)
    add_arxiv(atlas, server)
    report = sync_one(atlas, fetcher)
    assert report.status == "error" and "truncated body" in (report.error or "") and papers(atlas) == 0


def test_a_slow_answer_times_out(atlas: Atlas, server: Replay, arxiv: ArxivAPI) -> None:
    server.then(QUERY, Reply(200, b"late", delay=3.0))
    add_arxiv(atlas, server)
    with Fetcher(timeout=0.5, retries=0) as fetcher:
        report = sync_one(atlas, fetcher)
    assert report.status == "error" and "no answer within 0.5 s" in (report.error or "")


def test_a_response_over_the_size_limit_is_refused(atlas: Atlas, server: Replay, arxiv: ArxivAPI) -> None:
    add_arxiv(atlas, server)
    with Fetcher(max_bytes=4096) as fetcher:
        report = sync_one(atlas, fetcher)
    assert report.status == "error" and "larger than" in (report.error or "") and papers(atlas) == 0


def test_redirects_are_followed(atlas: Atlas, server: Replay, arxiv: ArxivAPI, fetcher: Fetcher) -> None:
    def moved(request: Request) -> Reply:
        return Reply(301, headers={"Location": f"{QUERY}?" + "&".join(f"{k}={v}" for k, v in request.query.items())})

    server.route("/old", moved)
    svc.add_source(atlas, "arxiv", "se", query="cs.SE", base_url=server.url + "/old", page_size=10, pace=0)
    report = sync_one(atlas, fetcher)
    assert report.new == 30 and report.requests == 6  # each page: the redirect and the page


def test_requests_to_one_host_keep_the_pace(atlas: Atlas, server: Replay, arxiv: ArxivAPI, waits: list[float]) -> None:
    svc.add_source(atlas, "arxiv", "se", query="cs.SE", base_url=server.url + QUERY, page_size=10)  # arXiv's 3 s
    with Fetcher(sleep=waits.append, clock=lambda: 100.0) as fetcher:
        sync_one(atlas, fetcher)
    assert waits == [3.0, 3.0]  # before the second and the third request


# -- conditional requests -------------------------------------------------------------------------
def test_arxiv_announcements_then_304_not_modified(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    server.static("/atom/cs.SE", (REMOTE / "arxiv_rss" / "cs.SE.atom").read_bytes(), "application/atom+xml", etag='"a1"')
    svc.add_source(atlas, "arxiv-rss", "se-daily", category="cs.SE", base_url=server.url + "/atom", pace=0)
    first = sync_one(atlas, fetcher)
    assert (first.entries, first.new) == (8, 8)
    paper = next(p for p in atlas.store.papers.list(Filters(), None) if p.ids.get("arxiv") == "2202.12139")
    assert paper.venue == "arXiv" and paper.title.startswith("Testing Deep Learning Models")
    assert paper.abstract.startswith("Deep Learning (DL) has revolutionized")  # "arXiv:… Announce Type: new Abstract:" cut
    second = sync_one(atlas, fetcher)
    assert (second.not_modified, second.stored) == (1, 0)
    assert server.requests("/atom/cs.SE")[1].headers["if-none-match"] == '"a1"'
    assert "1 not modified" in second.summary()


def test_announcement_types_can_be_narrowed(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    server.static("/atom/cs.SE", (REMOTE / "arxiv_rss" / "cs.SE.atom").read_bytes(), "application/atom+xml")
    svc.add_source(atlas, "arxiv-rss", "se-new", category="cs.SE", types="new", base_url=server.url + "/atom", pace=0)
    assert sync_one(atlas, fetcher).new == 5  # of 8: one cross, one replace, one replace-cross left out


def test_a_listing_url_updates_its_records_when_it_changes(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    notes = json.loads((REMOTE / "openreview" / "iclr2020_submissions.json").read_text())
    server.static("/iclr.json", json.dumps(notes).encode(), "application/json", last_modified="Mon, 01 Sep 2026 10:00:00 GMT")
    svc.add_source(atlas, "url", "iclr", url=server.url + "/iclr.json", pace=0)
    assert sync_one(atlas, fetcher).new == 6
    again = sync_one(atlas, fetcher)
    assert again.not_modified == 1 and again.stored == 0
    assert server.requests("/iclr.json")[1].headers["if-modified-since"] == "Mon, 01 Sep 2026 10:00:00 GMT"
    notes["notes"][0]["content"]["venue"] = {"value": "ICLR 2020 Poster"}
    server.static("/iclr.json", json.dumps(notes).encode(), "application/json", last_modified="Tue, 02 Sep 2026 10:00:00 GMT")
    changed = sync_one(atlas, fetcher)
    assert (changed.updated, changed.new, changed.unchanged) == (1, 0, 5)


# -- OpenReview, Hugging Face, papers.cool, Semantic Scholar ----------------------------------
def test_openreview_venue_pages_and_decisions_update_the_same_records(atlas: Atlas, server: Replay,
                                                                       fetcher: Fetcher) -> None:
    api = OpenReviewAPI()
    server.route("/notes", api.handler)
    svc.add_source(atlas, "openreview", "iclr20", venue="ICLR.cc/2020/Conference", base_url=server.url, page_size=4, pace=0)
    first = sync_one(atlas, fetcher)
    assert (first.requests, first.new) == (2, 6)
    asked = server.requests("/notes")
    assert [(r.query["invitation"], r.query["offset"], r.query["limit"]) for r in asked] == [
        ("ICLR.cc/2020/Conference/-/Submission", "0", "4"), ("ICLR.cc/2020/Conference/-/Submission", "4", "4")]
    assert {p.track for p in atlas.store.papers.list(Filters(), None)} == {"Submitted"}
    api.decide("rkgt0REKwS", "ICLR 2020 Poster", "ICLR.cc/2020/Conference")
    api.decide("rJeB36NKvB", "Submitted to ICLR 2020", "ICLR.cc/2020/Conference/Rejected_Submission")
    second = sync_one(atlas, fetcher)
    assert (second.changed, second.updated, second.new, papers(atlas)) == (2, 2, 0, 6)
    tracks = {p.ids["openreview"]: p.track for p in atlas.store.papers.list(Filters(), None)}
    assert tracks["rkgt0REKwS"] == "Poster" and tracks["rJeB36NKvB"] == "Reject"
    assert sync_one(atlas, fetcher).stored == 0


def test_openreview_accepted_papers_only(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    api = OpenReviewAPI()
    api.decide("rkgt0REKwS", "ICLR 2020 Poster", "ICLR.cc/2020/Conference")
    server.route("/notes", api.handler)
    svc.add_source(atlas, "openreview", "iclr20", venue="ICLR.cc/2020/Conference", notes="accepted", base_url=server.url,
                   pace=0)
    assert sync_one(atlas, fetcher).new == 1
    assert server.requests("/notes")[0].query["content.venueid"] == "ICLR.cc/2020/Conference"


def _hf_days(server: Replay, days: dict[str, list[dict[str, object]]]) -> None:
    def handler(request: Request) -> Reply:
        body = json.dumps(days[request.query["date"]]).encode()
        etag = f'"{hash(body) & 0xFFFFFF:x}"'
        if request.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, {"Content-Type": "application/json", "ETag": etag})
    server.route("/api/daily_papers", handler)


def test_hugging_face_daily_papers_with_upvotes_that_rise(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    days = {d: json.loads((REMOTE / "huggingface" / f"daily_papers_{d}.json").read_text())
            for d in ("2026-08-18", "2026-08-19", "2026-08-20")}
    _hf_days(server, days)
    svc.add_source(atlas, "hf-daily", "hf", since="2026-08-18", base_url=server.url, pace=0)
    first = sync_one(atlas, fetcher, today=date(2026, 8, 20))
    assert (first.requests, first.new) == (3, 9)
    assert [r.query["date"] for r in server.requests()] == ["2026-08-18", "2026-08-19", "2026-08-20"]
    item = days["2026-08-20"][0]
    arxiv_id, upvotes = item["paper"]["id"], item["paper"]["upvotes"]  # type: ignore[index]
    paper = next(p for p in atlas.store.papers.list(Filters(), None) if p.ids.get("arxiv") == arxiv_id)
    assert paper.counters["hf upvotes"] == upvotes
    item["paper"]["upvotes"] = upvotes + 40  # type: ignore[index,operator]
    second = sync_one(atlas, fetcher, today=date(2026, 8, 20))
    assert (second.requests, second.not_modified, second.updated, second.new) == (3, 2, 1, 0)
    assert atlas.store.papers.get(paper.id).counters["hf upvotes"] == upvotes + 40  # type: ignore[operator]


def test_papers_cool_feed_entries_merge_with_the_same_arxiv_papers(atlas: Atlas, server: Replay, arxiv: ArxivAPI,
                                                                   fetcher: Fetcher) -> None:
    server.static("/arxiv/cs.SE/feed", (REMOTE / "paperscool" / "arxiv_cs.SE_feed.xml").read_bytes(), "application/atom+xml")
    add_arxiv(atlas, server)
    svc.add_source(atlas, "paperscool", "cool", feed="arxiv/cs.SE", base_url=server.url, pace=0)
    cool, se = svc.sync(atlas, fetcher=fetcher)  # by name: the feed first
    assert (cool.source, cool.entries, cool.new) == ("cool", 5, 5)
    assert (se.new, se.merged) == (25, 5)  # the API's entries join the five papers the feed brought
    assert papers(atlas) == 30
    merged = next(p for p in atlas.store.papers.list(Filters(), None) if len(p.sources) == 2)
    assert sorted(s.file for s in merged.sources) == ["cool-2019-12-10.json", "se-2019-12-10.xml"]


def test_semantic_scholar_search_pages(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    pages = {o: (REMOTE / "semanticscholar" / f"search_turing_offset{o}.json").read_bytes() for o in ("0", "100")}
    server.route("/graph/v1/paper/search", lambda r: Reply(200, pages[r.query["offset"]], {"Content-Type": "application/json"}))
    svc.add_source(atlas, "s2", "turing", query="turing", fields="title", max_results=200,
                   base_url=server.url + "/graph/v1", pace=0)
    report = sync_one(atlas, fetcher)
    assert (report.requests, report.entries, report.changed) == (2, 200, 200) and report.stored == 200
    assert [r.query["offset"] for r in server.requests()] == ["0", "100"]
    assert sync_one(atlas, fetcher).stored == 0


def test_semantic_scholar_batch_sends_the_key_and_never_shows_it(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    body = (REMOTE / "semanticscholar" / "batch.json").read_bytes()
    server.route("/graph/v1/paper/batch", lambda r: Reply(200, body, {"Content-Type": "application/json"}))
    ids = "CorpusId:1,10.2139/ssrn.288970,CorpusId:2,CorpusId:3"
    svc.add_source(atlas, "s2", "cited", ids=ids, base_url=server.url + "/graph/v1", pace=0)
    report = sync_one(atlas, fetcher, secrets={"s2_api_key": "sk-SECRET-123"})
    asked = server.requests("/graph/v1/paper/batch")[0]
    assert asked.method == "POST" and json.loads(asked.body)["ids"] == ids.split(",")
    assert asked.headers["x-api-key"] == "sk-SECRET-123"
    assert report.new == 3 and report.warnings == ["Semantic Scholar does not know CorpusId:1"]
    stored = json.dumps(report.to_dict()) + json.dumps([i.options for i in svc.list_sources(atlas)])
    assert "sk-SECRET" not in stored


def test_an_api_key_is_never_an_option(atlas: Atlas) -> None:
    with pytest.raises(InvalidInput, match="api_key cannot be an option"):
        svc.add_source(atlas, "s2", "x", query="q", api_key="sk-1")


# -- errors are per source, and say what to do -------------------------------------------------
def test_one_failing_source_does_not_stop_the_others(atlas: Atlas, server: Replay, arxiv: ArxivAPI, fetcher: Fetcher) -> None:
    svc.add_source(atlas, "url", "broken", url=server.url + "/missing.json", pace=0)
    add_arxiv(atlas, server)
    broken, good = svc.sync(atlas, fetcher=fetcher)
    assert broken.status == "error" and "answered HTTP 404" in (broken.error or "") and broken.hint
    assert good.ok and good.new == 30
    assert svc.get_source(atlas, "broken").last_run.status == "error"  # type: ignore[union-attr]


def test_a_document_the_parser_rejects_rolls_the_page_back(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    server.static("/x.bin", b"\x00\x01\x02 not a listing", "application/octet-stream")
    svc.add_source(atlas, "url", "junk", url=server.url + "/x.bin", pace=0)
    report = sync_one(atlas, fetcher)
    assert report.status == "error" and "could not be read" in (report.error or "")
    assert svc.get_source(atlas, "junk").items == 0  # nothing kept: the next sync reads it again


def test_arxiv_api_errors_are_reported(atlas: Atlas, server: Replay, fetcher: Fetcher) -> None:
    _, entries = recorded_arxiv()
    header = ArxivAPI().header
    error = (b"<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title>"
             b"<summary>incorrect id format for 1234</summary></entry>")
    server.route(QUERY, lambda r: Reply(200, header + error + b"</feed>"))
    add_arxiv(atlas, server)
    report = sync_one(atlas, fetcher)
    assert report.status == "error" and "incorrect id format for 1234" in (report.error or "")


def test_options_are_checked_when_a_source_is_added(atlas: Atlas) -> None:
    with pytest.raises(InvalidInput, match="arxiv needs --query"):
        svc.add_source(atlas, "arxiv", "x")
    with pytest.raises(InvalidInput, match="has no option 'colour'"):
        svc.add_source(atlas, "arxiv", "x", query="cs.LG", colour="red")
    with pytest.raises(InvalidInput, match="page_size must be int"):
        svc.add_source(atlas, "arxiv", "x", query="cs.LG", page_size="many")
    with pytest.raises(InvalidInput, match="not an http"):
        svc.add_source(atlas, "arxiv", "x", query="cs.LG", base_url="file:///etc/passwd")
    with pytest.raises(InvalidInput, match=r"carries a credential \(https://h.example/x.json\?api_key=REDACTED\)"):
        svc.add_source(atlas, "url", "x", url="https://h.example/x.json?api_key=abc123")
    with pytest.raises(InvalidInput, match="no connector 'gopher'"):
        svc.add_source(atlas, "gopher", "x")
    with pytest.raises(InvalidInput, match="cannot name a source"):
        svc.add_source(atlas, "arxiv", "../x", query="cs.LG")
    svc.add_source(atlas, "arxiv", None, query="cs.LG")
    assert [s.name for s in svc.list_sources(atlas)] == ["arxiv-cs.LG"]
    with pytest.raises(InvalidInput, match="named 'arxiv-cs.LG' already"):
        svc.add_source(atlas, "arxiv", None, query="cs.LG")
    svc.remove_source(atlas, "arxiv-cs.LG")
    with pytest.raises(NotFound):
        svc.remove_source(atlas, "arxiv-cs.LG")


def test_removing_a_source_keeps_its_papers(atlas: Atlas, server: Replay, arxiv: ArxivAPI, fetcher: Fetcher) -> None:
    add_arxiv(atlas, server)
    sync_one(atlas, fetcher)
    svc.remove_source(atlas, "se")
    assert papers(atlas) == 30 and svc.list_sources(atlas) == []


# -- --every ----------------------------------------------------------------------------------------
def test_intervals() -> None:
    assert [svc.parse_interval(t) for t in ("6h", "30m", "1d", "90s", "1.5h")] == [21600, 1800, 86400, 90, 5400]
    for bad in ("6", "soon", "10s", "-1h"):
        with pytest.raises(InvalidInput):
            svc.parse_interval(bad)


def test_run_every_waits_from_the_start_of_one_round_to_the_next() -> None:
    now = [0.0]
    slept: list[float] = []

    def once() -> None:
        now[0] += 100.0  # a round takes 100 s

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    assert svc.run_every(3600.0, once, sleep=sleep, clock=lambda: now[0], rounds=3) == 3
    assert slept == [3500.0, 3500.0]


# -- the command line ----------------------------------------------------------------------------
def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from paperatlas.cli import cli

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return result.exit_code, result.stdout, result.stderr


def test_cli_add_list_sync_remove(catalog_location: str | Path, tmp_path: Path, server: Replay, arxiv: ArxivAPI) -> None:
    db = str(catalog_location)
    code, out, _ = run("sources", "add", "arxiv", "--query", "cs.SE", "--name", "se", "--base-url", server.url + QUERY,
                       "--pace", "0", "-o", "page_size=10", "--db", db)
    assert code == 0 and "added se: arXiv API: cs.SE" in out
    code, out, _ = run("sync", "--db", db, "--json")
    report = json.loads(out)["sources"][0]
    assert code == 0 and (report["source"], report["new"], report["requests"], report["status"]) == ("se", 30, 3, "ok")
    code, out, _ = run("sync", "--source", "se", "--db", db)
    assert code == 0 and "se: nothing new, 0 stored (1 request" in out
    listed = json.loads(run("sources", "list", "--db", db, "--json")[1])
    assert listed[0]["items"] == 30 and listed[0]["last_sync"]["status"] == "ok"
    assert listed[0]["options"] == {"base_url": server.url + QUERY, "pace": 0.0, "page_size": 10, "query": "cs.SE"}
    code, out, _ = run("sources", "remove", "se", "--db", db)
    assert code == 0 and "stay in the catalog" in out
    assert json.loads(run("papers", "--db", db, "--json", "--limit", "0")[1])["total"] == 30


def test_cli_errors_name_the_fix(catalog_location: str | Path, tmp_path: Path, server: Replay) -> None:
    db = str(catalog_location)
    code, _, err = run("sources", "add", "arxiv", "--db", db)
    assert code == 2 and "arxiv needs --query" in err
    code, _, err = run("sources", "add", "arxiv", "--query", "cs.LG", "-o", "sortt=updated", "--db", db)
    assert code == 2 and "has no option 'sortt'" in err and "its options:" in err
    code, _, err = run("sync", "--every", "10s", "--db", db)
    assert code == 2 and "more often than once a minute" in err
    run("sources", "add", "url", "--url", server.url + "/gone.json", "--name", "gone", "--pace", "0", "--db", db)
    code, _, err = run("sync", "--db", db)
    assert code == 1 and "gone: FAILED" in err and "answered HTTP 404" in err and "hint:" in err


def test_cli_reads_the_api_key_from_the_environment_and_never_prints_it(catalog_location: str | Path, tmp_path: Path,
                                                                        server: Replay) -> None:
    body = (REMOTE / "semanticscholar" / "batch.json").read_bytes()
    server.route("/graph/v1/paper/batch", lambda r: Reply(200, body, {"Content-Type": "application/json"}))
    db = str(catalog_location)
    run("sources", "add", "s2", "--ids", "CorpusId:1,CorpusId:2", "--name", "s2", "--base-url", server.url + "/graph/v1",
        "--pace", "0", "--db", db)
    code, out, err = run("sync", "--db", db, "--json", env={"PAPERATLAS_S2_API_KEY": "sk-ENV-77"})
    assert code == 0 and json.loads(out)["sources"][0]["new"] == 3
    assert server.requests()[0].headers["x-api-key"] == "sk-ENV-77" and "sk-ENV-77" not in out + err
