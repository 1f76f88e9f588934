"""Sync of a replayed 10,000-entry arXiv category: records/s and requests, then a second sync that
stores nothing; beside the baseline of ingesting the same 100 pages as files.

    python bench/sources_sync.py [--entries 10000] [--page-size 100]

The category is served by the replay server the tests use (tests/_replay.py, a real HTTP server
on loopback): 10,000 entries made from the 30 recorded arXiv API entries in
tests/data/remote/arxiv/ (their structure, authors and abstracts; each made distinct by a new id,
a submission time 6 minutes before the previous one, a numbered title and its abstract's
sentences rotated), answered as pages of 100, newest first. The pace is 0 (arXiv's own 3 s
between requests would add 3 s x (requests - 1) of waiting; printed too).

Baseline: the same 100 pages saved as files and read by ``paperatlas ingest`` (``ingest_paths``)
into a fresh catalog: the cost of the records themselves, without HTTP and sync state.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from _replay import ArxivAPI, Replay, Request, recorded_arxiv  # noqa: E402

from paperatlas import Atlas, Filters, Settings  # noqa: E402
from paperatlas.services import sources as svc  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402
from paperatlas.sources.http import Fetcher  # noqa: E402

ARXIV_PACE = 3.0
WORDS = ("robust", "sparse", "causal", "scalable", "federated", "contrastive", "bayesian", "adaptive", "neural", "efficient")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def make_entries(count: int) -> list[bytes]:
    """``count`` distinct entries in the recorded entries' structure, newest first: entry i keeps
    template i's XML, and takes its authors from another template and an abstract woven from the
    sentences of two others, so the variants of one template do not all look alike to the merge
    rules (a real category is not 10,000 near-copies of 30 papers)."""
    _, templates = recorded_arxiv()
    texts = [t.decode() for t in templates]
    authors = [re.findall(r"<author>.*?</author>", t, re.S) for t in texts]
    sentences = [_SENTENCE.split(" ".join(re.search(r"<summary>(.*?)</summary>", t, re.S).group(1).split()))  # type: ignore[union-attr]
                 for t in texts]
    start = time.mktime((2026, 9, 10, 18, 0, 0, 0, 0, 0))
    n = len(texts)
    out = []
    for i in range(count):
        a, b = sentences[(i // n + i) % n], sentences[(3 * i + 7) % n]
        summary = " ".join([*a[i % len(a):][:2], *b[:2], f"We call it {WORDS[i % 10]}-{i}."])
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start - 360 * i))
        out.append(_variant(texts[i % n], i, stamp, summary, authors[(i * 7 + 3) % n]).encode())
    return out


def _variant(raw: str, i: int, stamp: str, summary: str, authors: list[str]) -> str:
    number = f"2609.{10000 + i:05d}"
    raw = re.sub(r"<id>http://arxiv.org/abs/[^<]+</id>", f"<id>http://arxiv.org/abs/{number}v1</id>", raw)
    raw = re.sub(r"https://arxiv.org/(abs|pdf)/[^\"<]+", lambda m: f"https://arxiv.org/{m.group(1)}/{number}v1", raw)
    raw = re.sub(r"<(published|updated)>[^<]+</\1>", lambda m: f"<{m.group(1)}>{stamp}</{m.group(1)}>", raw)
    raw = re.sub(r"<title>([^<]+)</title>", lambda m: f"<title>{WORDS[i % 10].title()} {m.group(1).strip()} {i}</title>",
                 raw, count=1)
    raw = re.sub(r"<summary>.*?</summary>", lambda m: f"<summary>{summary}</summary>", raw, count=1, flags=re.S)
    raw = re.sub(r"(\s*<author>.*?</author>)+", lambda m: "\n    " + "\n    ".join(authors), raw, count=1, flags=re.S)
    raw = re.sub(r"<arxiv:doi[^>]*>[^<]*</arxiv:doi>\s*", "", raw)  # a DOI or a journal ref would join variants of one paper
    raw = re.sub(r"<link[^>]*title=\"doi\"[^>]*/>\s*", "", raw)
    return re.sub(r"<arxiv:journal_ref[^>]*>[^<]*</arxiv:journal_ref>\s*", "", raw)


def timed_sync(atlas: Atlas, fetcher: Fetcher) -> tuple[float, svc.SyncReport]:
    started = time.perf_counter()
    (report,) = svc.sync(atlas, fetcher=fetcher)
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    entries = make_entries(args.entries)
    api = ArxivAPI(entries)
    with Replay() as server, tempfile.TemporaryDirectory() as tmp:
        server.route("/api/query", api.handler)
        home = Path(tmp)
        with Atlas.open(home / "sync.sqlite", Settings(home=home)) as atlas, Fetcher() as fetcher:
            svc.add_source(atlas, "arxiv", "cat", query="cs.LG", base_url=server.url + "/api/query", page_size=args.page_size,
                           max_results=args.entries, pace=0)
            first_s, first = timed_sync(atlas, fetcher)
            second_s, second = timed_sync(atlas, fetcher)
            stored_papers = atlas.store.papers.count(Filters())
        # the baseline: the same pages as files, through `paperatlas ingest`
        pages = home / "pages"
        pages.mkdir()
        for start in range(0, args.entries, args.page_size):
            reply = api.handler(Request("GET", "/api/query", {"start": str(start), "max_results": str(args.page_size)}, {}, b""))
            (pages / f"page{start // args.page_size:04d}.xml").write_bytes(reply.body)
        with Atlas.open(home / "files.sqlite", Settings(home=home)) as base:
            started = time.perf_counter()
            reports = ingest_paths(base, sorted(pages.glob("*.xml")))
            base_s = time.perf_counter() - started
            base_papers = base.store.papers.count(Filters())
    base_found = sum(r.found for r in reports)

    print(f"sync of a replayed {args.entries:,}-entry arXiv category, pages of {args.page_size} (pace 0)")
    print(f"{'':32}{'first sync':>16}{'second sync':>16}{'baseline: ingest files':>26}")
    print(f"{'entries / records read':32}{first.entries:>16,}{second.entries:>16,}{base_found:>26,}")
    print(f"{'requests':32}{first.requests:>16,}{second.requests:>16,}{'-':>26}")
    base_stored = sum(r.new + r.merged for r in reports)
    print(f"{'records stored (new+merged+upd.)':32}{first.stored:>16,}{second.stored:>16,}{base_stored:>26,}")
    print(f"{'seconds':32}{first_s:>16.1f}{second_s:>16.2f}{base_s:>26.1f}")
    print(f"{'records/s':32}{first.entries / first_s:>16,.0f}{'-':>16}{base_found / base_s:>26,.0f}")
    print(f"{'papers in the catalog':32}{stored_papers:>16,}{stored_papers:>16,}{base_papers:>26,}")
    print(f"second sync: {second.summary()}")
    print(f"at arXiv's pace ({ARXIV_PACE:g} s between requests) the first sync would also wait "
          f"{ARXIV_PACE * (first.requests - 1):,.0f} s; the second {ARXIV_PACE * (second.requests - 1):,.0f} s")
    if first.status != "ok" or second.stored or stored_papers != args.entries:
        raise SystemExit(f"unexpected: {first.summary()} / {second.summary()} / {stored_papers} papers")


if __name__ == "__main__":
    main()
