"""30 simulated days of daily syncs of three replayed sources and five watches: items reported per
day, duplicates and misses, checked against the replay's own script (its ground truth).

The days are made from the recorded fixtures in tests/data/remote/ (README.md there names their
sources): the 30 recorded arXiv API entries (10 known before the watches, then about one a day
announced, and three new versions), the 6 ICLR 2020 OpenReview notes (3 known, 3 submitted later,
then decisions), and the 9 Hugging Face daily papers (three days of them, one paper's upvotes
jumping by 300 twice, a code link appearing). Served by the loopback replay server of the tests
(tests/_replay.py): no network. Five watches: a venue filter (ICLR), a venue filter (arXiv), a
keyword query ("learning"), a year filter (2026: the Hugging Face papers), and the followed authors.

    .venv/bin/python bench/watch_days.py

Baseline: the goal the issue sets: 0 duplicates, 0 missed.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from _replay import REMOTE, ArxivAPI, OpenReviewAPI, Replay, Reply, Request, entry_id  # noqa: E402

from paperatlas import Atlas, Filters, Settings  # noqa: E402
from paperatlas.models import Paper  # noqa: E402
from paperatlas.services import sources as sources_svc  # noqa: E402
from paperatlas.services import watches as svc  # noqa: E402
from paperatlas.sources.http import Fetcher  # noqa: E402

DAYS = 30
START = date(2026, 9, 1)  # a Tuesday; sim day d is START + d
QUERY = "/api/query"
LEARN = re.compile(r"\blearn(s|ed|ing)?\b", re.I)  # what the keyword watch "learning" matches (its stem, learn)


@dataclass
class Info:
    """What the ground truth knows of a paper: enough to say which watch selects it."""

    venue: str | None
    year: int | None
    text: str  # the words the keyword watch is matched against (title, abstract, keywords)
    authors: list[str]


WATCHES: dict[str, Callable[[Info], bool]] = {  # the watches' meaning, written independently of paperatlas
    "iclr": lambda i: (i.venue or "").lower() == "iclr",
    "arxiv": lambda i: (i.venue or "").lower() == "arxiv",
    "learning": lambda i: bool(LEARN.search(i.text)),
    "hf": lambda i: i.year == 2026,
}


class Script:
    """The replayed world, day by day, and what each watch should report (the ground truth)."""

    def __init__(self) -> None:
        self.arxiv = ArxivAPI()
        self.arxiv.hidden = 20  # ten oldest known on day 0, the twenty newest announced later
        self.openreview = OpenReviewAPI()
        self.held = self.openreview.notes[3:]
        self.openreview.notes = self.openreview.notes[:3]
        raw = {d: json.loads((REMOTE / "huggingface" / f"daily_papers_{d}.json").read_text())
               for d in ("2026-08-18", "2026-08-19", "2026-08-20")}
        self.hf_items = {START + timedelta(days=n): copy.deepcopy(items) for n, items in zip((0, 5, 10), raw.values())}
        self.hf_served: dict[str, list[dict[str, Any]]] = {}
        self.expected: dict[int, set[tuple[str, str, str]]] = {}  # day -> (watch, paper key, reason)
        self.followed: list[str] = []
        self.info: dict[str, Info] = {}

    def hf_handler(self, request: Request) -> Reply:
        body = json.dumps(self.hf_served.get(request.query["date"], [])).encode()
        return Reply(200, body, {"Content-Type": "application/json"})

    def event(self, day: int, key: str, reason: str) -> None:
        """A change of one paper: expected in every watch that selects it (new papers by followed
        authors in 'following' instead)."""
        info = self.info[key]
        for watch, selects in WATCHES.items():
            if selects(info):
                self.expected.setdefault(day, set()).add((watch, key, reason))
        if reason == "new" and any(a in self.followed for a in info.authors):
            self.expected.setdefault(day, set()).add(("following", key, "followed_author"))

    def day(self, d: int) -> None:
        """Change the world for day ``d`` (before its sync) and write down what should be reported."""
        today = START + timedelta(days=d)
        if d > 0 and self.arxiv.hidden and d % 3 != 0:  # about one announced a day, none every third day
            self.arxiv.hidden -= 1
            self.event(d, self._arxiv(self.arxiv.entries[self.arxiv.hidden]), "new")
        if d in (8, 16, 24):  # a new version of a known entry
            known = self.arxiv.entries[-1 - d // 8]
            old = entry_id(known)
            base, version = old.rsplit("v", 1)
            bumped = known.replace(old.encode(), f"{base}v{int(version) + 1}".encode())
            self.arxiv.entries.insert(self.arxiv.entries.index(known), bumped)
            self.event(d, self._arxiv(known), "new_version")
        if d in (3, 6, 9):  # a submission arrives
            note = self.held.pop(0)
            self.openreview.notes.append(note)
            self.event(d, self._note(note), "new")
        if d in (12, 13, 14, 15, 20, 21):  # decisions
            note = self.openreview.notes[(d - 12) % 6 if d < 20 else d - 16]
            accepted = d % 2 == 0
            self.openreview.decide(note["id"], "ICLR 2020 Poster" if accepted else "Submitted to ICLR 2020",
                                   "ICLR.cc/2020/Conference" if accepted else "ICLR.cc/2020/Conference/Rejected_Submission")
            self.event(d, self._note(note), "decision")
        day_items = self.hf_items.get(today)
        if day_items is not None:
            if d == 5:
                day_items[2]["paper"].pop("githubRepo", None)  # its code link comes the day after
            self.hf_served[today.isoformat()] = day_items
            for item in day_items:
                self.event(d, self._hf(item), "new")
        if d == 6:
            item = self.hf_items[START + timedelta(days=5)][2]
            item["paper"]["githubRepo"] = "https://github.com/example/released-code"
            self.event(d, self._hf(item), "code")
        # Upvotes jump on a paper whose day is still fetched again (refresh_days 3), a week apart
        # in time so each stands out in its own window.
        if d in (7, 12):
            item = self.hf_items[START + timedelta(days=5 if d == 7 else 10)][0]
            item["paper"]["upvotes"] += 300 if d == 7 else 900
            self.event(d, self._hf(item), "trending")

    def _arxiv(self, entry: bytes) -> str:
        key = "arxiv:" + str(entry_id(entry)).rsplit("v", 1)[0]
        found = dict((k.decode(), v.decode()) for k, v in re.findall(rb"<(title|summary|published)>(.*?)</\1>", entry, re.S))
        names = [n.decode() for n in re.findall(rb"<name>(.*?)</name>", entry)]
        self.info[key] = Info("arXiv", int(found["published"][:4]), found["title"] + " " + found["summary"], names)
        return key

    def _note(self, note: dict[str, Any]) -> str:
        key = f"openreview:{note['id']}"
        c = note["content"]
        text = " ".join([c["title"]["value"], c["abstract"]["value"], *c["keywords"]["value"]])
        self.info[key] = Info("ICLR", 2020, text, list(c["authors"]["value"]))
        return key

    def _hf(self, item: dict[str, Any]) -> str:
        paper = item["paper"]
        key = f"arxiv:{paper['id']}"
        text = " ".join([paper["title"], paper.get("summary", ""), *paper.get("ai_keywords", [])])
        self.info[key] = Info(None, int(paper["publishedAt"][:4]), text, [a["name"] for a in paper.get("authors", [])])
        return key


def paper_key(paper: Paper) -> str:
    for kind in ("openreview", "arxiv"):
        if paper.ids.get(kind):
            return f"{kind}:{paper.ids[kind]}"
    return paper.id


def main() -> None:
    script = Script()
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, Replay() as server, Fetcher(sleep=lambda s: None, retries=1) as fetcher:
        server.route(QUERY, script.arxiv.handler)
        server.route("/notes", script.openreview.handler)
        server.route("/api/daily_papers", script.hf_handler)
        settings = Settings(home=Path(tmp) / "home")
        with Atlas.open(Path(tmp) / "catalog.sqlite", settings) as atlas:
            sources_svc.add_source(atlas, "arxiv", "se", query="cs.SE", base_url=server.url + QUERY, page_size=50, pace=0)
            sources_svc.add_source(atlas, "openreview", "iclr20", venue="ICLR.cc/2020/Conference", base_url=server.url, pace=0)
            sources_svc.add_source(atlas, "hf-daily", "hf", since=START.isoformat(), base_url=server.url, pace=0)
            for d in range(DAYS):
                script.day(d)
                reports = sources_svc.sync(atlas, fetcher=fetcher, today=START + timedelta(days=d))
                bad = [r.summary() for r in reports if not r.ok]
                if bad:
                    raise SystemExit(f"day {d}: {bad}")
                if d == 0:  # the watches start after the first day's sync
                    svc.add_watch(atlas, "iclr", filters=Filters(venue="ICLR"))
                    svc.add_watch(atlas, "arxiv", filters=Filters(venue="arXiv"))
                    svc.add_watch(atlas, "learning", "learning")
                    svc.add_watch(atlas, "hf", filters=Filters(year=2026))
                    hidden = script.arxiv.entries[:script.arxiv.hidden]
                    for author in (re.findall(rb"<name>(.*?)</name>", hidden[-3])[0].decode(),
                                   script.held[1]["content"]["authors"]["value"][0]):
                        svc.follow(atlas, author)
                        script.followed.append(author)
                    script.expected.pop(0, None)  # day 0's world is what the watches start from
            reported = _reported(atlas)
    seconds = time.perf_counter() - started
    total = Counter[str]()
    print(f"{'day':>3}  {'expected':>8}  {'reported':>8}  {'missed':>6}  {'extra':>5}  {'dup':>3}  reasons")
    seen: Counter[tuple[str, str, str, str]] = Counter()
    for d in range(1, DAYS):
        want = script.expected.get(d, set())
        got = [r for r in reported if r[0] == d]
        got_set = {(w, k, reason) for _, w, k, reason, _ in got}
        for _, w, k, reason, state in got:
            seen[(w, k, reason, state)] += 1
        dup = sum(1 for _, w, k, reason, state in got if seen[(w, k, reason, state)] > 1)
        missed, extra = len(want - got_set), len(got_set - want)
        total.update(expected=len(want), reported=len(got), missed=missed, extra=extra, dup=dup)
        reasons = ", ".join(f"{n} {r}" for r, n in sorted(Counter(reason for _, _, _, reason, _ in got).items()))
        rows.append((d, len(want), len(got), missed, extra, dup, reasons))
        print(f"{d:>3}  {len(want):>8}  {len(got):>8}  {missed:>6}  {extra:>5}  {dup:>3}  {reasons}")
        for item in sorted(want - got_set):
            print(f"       missed: {item}")
        for item in sorted(got_set - want):
            print(f"       extra:  {item}")
    print()
    print(f"{'figure':<34} {'measured':>9}   baseline")
    print(f"{'items expected (30 days, 5 watches)':<34} {total['expected']:>9}")
    print(f"{'items reported':<34} {total['reported']:>9}   = expected")
    print(f"{'missed':<34} {total['missed']:>9}   0")
    print(f"{'extra (not in the ground truth)':<34} {total['extra']:>9}   0")
    print(f"{'duplicates':<34} {total['dup']:>9}   0")
    print(f"{'seconds (30 syncs of 3 sources)':<34} {seconds:>9.1f}")


def _reported(atlas: Atlas) -> list[tuple[int, str, str, str, str]]:
    """(day, watch, paper key, reason, state) of every item stored."""
    out = []
    for w in svc.list_watches(atlas):
        items = atlas.store.watches.items(w.name, limit=10_000)
        papers = atlas.store.papers.by_ids(sorted({i.paper_id for i in items}))
        for i in items:
            day = (date.fromisoformat(i.reported_at[:10]) - START).days
            out.append((day, w.name, paper_key(papers[i.paper_id]) if i.paper_id in papers else i.paper_id, i.reason, i.state))
    return sorted(out)


if __name__ == "__main__":
    main()
