"""Watches: saved searches and recommendation profiles that report what changed, typed.

    add_watch(atlas, "rl", "reinforcement learning", filters=Filters(venue="ICLR"))
    add_watch(atlas, "mine", profile="starred")
    follow(atlas, "Yoshua Bengio")            # a 'following' watch reports their new papers
    check(atlas)                              # after each sync (services.sources.sync calls it)

A check reads the change feed from where the last one stopped (cheap: only papers changed since),
types each change against the paper's last snapshot (``paperatlas.watches.changes``), records
counters that changed as a time series, finds trending papers (``watches.trending``), and gives
each watch the changed papers that match it: a query watch by its search (keyword: every match;
semantic/hybrid: the top ``WATCH_DEPTH``), a profile watch by its recommendations (the top
``WATCH_DEPTH``). An item is stored once per (watch, paper, reason, state): a paper is reported
again only when it changes again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, NotFound, PaperatlasError
from ..filters import Filters, name_terms
from ..models import Paper
from ..search.types import REQUEST_MODES
from ..store.protocol import WatchInfo, WatchItem
from ..watches import Change, changes, paper_state
from ..watches.trending import Rise, rises, rising, trending

if TYPE_CHECKING:
    from ..app import Atlas

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FOLLOWING = "following"  # the watch that reports new papers by followed authors
CHECKED = "checked"  # the change-feed position of the last check
WATCH_DEPTH = 200  # semantic/hybrid and profile watches: a paper must rank in this many
TREND_DAYS = 7
CHUNK = 2000


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def moment(today: date | None = None) -> datetime:
    """Now, or noon UTC of ``today`` (replayed days in tests and benchmarks)."""
    return datetime.combine(today, time(12), UTC) if today else datetime.now(UTC)


# -- watches ---------------------------------------------------------------------------------------
def add_watch(atlas: Atlas, name: str, query: str = "", *, filters: Filters | None = None, mode: str = "keyword",
              profile: str | None = None, at: datetime | None = None) -> WatchInfo:
    """A new watch: a search (``query`` and/or ``filters``, ``mode``) or a profile (starred,
    tag:X, list:N). It reports changes from now on, not what the catalog already holds."""
    if not _NAME.match(name or ""):
        raise InvalidInput(f"{name!r} cannot name a watch", hint="use letters, digits, '.', '-' and '_' (up to 64), e.g. rl-iclr")
    if mode not in REQUEST_MODES:
        raise InvalidInput(f"unknown search mode {mode!r}", hint=f"choose one of {', '.join(REQUEST_MODES)}")
    filters = filters or Filters()
    if profile:
        from ..recommend import profile_of

        if query:
            raise InvalidInput("a watch is a query or a profile, not both", hint="drop the query, or --profile")
        profile = profile_of(atlas, profile).name  # checks it exists: starred, tag:X, list:N
        kind = "profile"
    elif query.strip() or not filters.empty:
        kind = "query"
    else:
        raise InvalidInput("a watch needs a query, a filter or a profile",
                           hint='e.g. paperatlas watch add rl "reinforcement learning" --venue ICLR, or --profile starred')
    info = WatchInfo(name, kind, query.strip(), filters.to_dict(), mode, profile, stamp(at or moment()),
                     atlas.store.feed.last_change())
    return _add(atlas, info)


def _add(atlas: Atlas, info: WatchInfo) -> WatchInfo:
    if atlas.watches.position(CHECKED) is None:  # the first watch: snapshot every paper first, so a
        check(atlas)  # paper without a snapshot is one added since the last check (``changes``: new)
    added = atlas.watches.add(info)
    if added is None:
        raise InvalidInput(f"there is a watch named {info.name!r} already",
                           hint="pick another name, or `paperatlas watch remove` it")
    return added


def list_watches(atlas: Atlas) -> list[WatchInfo]:
    return atlas.watches.all()


def get_watch(atlas: Atlas, name: str) -> WatchInfo:
    found = atlas.watches.get(name)
    if found is None:
        raise NotFound(f"no watch named {name!r}", hint="`paperatlas watch list` lists them")
    return found


def remove_watch(atlas: Atlas, name: str) -> WatchInfo:
    found = get_watch(atlas, name)
    atlas.watches.remove(name)
    return found


def mark_seen(atlas: Atlas, name: str, at: datetime | None = None) -> int:
    """Mark every item of the watch seen; how many were unseen."""
    get_watch(atlas, name)
    return atlas.watches.mark_seen(name, stamp(at or moment()))


def describe(info: WatchInfo) -> str:
    if info.kind == "profile":
        return f"recommendations for {info.profile}"
    if info.kind == "follows":
        return "new papers by the authors you follow"
    narrow = ", ".join(f"{k}={v}" for k, v in info.filters.items())
    return " ".join(p for p in (f"“{info.query}”" if info.query else "", f"[{narrow}]" if narrow else "",
                                f"({info.mode})" if info.query and info.mode != "keyword" else "") if p)


# -- followed authors ------------------------------------------------------------------------------
def author_key(name: str) -> str:
    """Who a name is, for following: its words folded and sorted ("Bengio, Yoshua" = "yoshua bengio")."""
    return " ".join(sorted(name_terms(name.replace(",", " "))))


def follow(atlas: Atlas, name: str, at: datetime | None = None) -> bool:
    """Follow an author (False: already followed). The first follow adds the 'following' watch."""
    key = author_key(name)
    if not key:
        raise InvalidInput(f"{name!r} is not an author's name", hint='e.g. paperatlas follow "Yoshua Bengio"')
    when = at or moment()
    if atlas.watches.get(FOLLOWING) is None:
        _add(atlas, WatchInfo(FOLLOWING, "follows", created_at=stamp(when), created_seq=atlas.store.feed.last_change()))
    return atlas.watches.follow(key, " ".join(name.split()), stamp(when))


def unfollow(atlas: Atlas, name: str) -> bool:
    return atlas.watches.unfollow(author_key(name))


def follows(atlas: Atlas) -> list[tuple[str, str]]:
    """(name, since) of each followed author."""
    return [(n, c) for _, n, c in atlas.watches.follows()]


# -- the check -------------------------------------------------------------------------------------
@dataclass
class CheckReport:
    papers: int = 0  # changed papers read
    counters: int = 0  # counter values recorded
    reported: dict[str, int] = field(default_factory=dict)  # watch -> items newly reported
    errors: dict[str, str] = field(default_factory=dict)  # watch -> why it could not be checked

    def summary(self) -> str:
        items = sum(self.reported.values())
        per = ", ".join(f"{n} {k}" for k, n in self.reported.items() if n)
        return f"watches: {items} new item{'s' * (items != 1)}" + (f" ({per})" if per else "")

    def to_dict(self) -> dict[str, Any]:
        return {"papers": self.papers, "counters": self.counters, "reported": self.reported, "errors": self.errors,
                "summary": self.summary()}


def after_sync(atlas: Atlas, today: date | None = None) -> CheckReport:
    """What ``services.sources.sync`` calls when its sources are done."""
    return check(atlas, at=moment(today))


def check(atlas: Atlas, at: datetime | None = None) -> CheckReport:
    """Read the changes since the last check, record counters, report to every watch."""
    ws = atlas.watches
    now = at or moment()
    when = stamp(now)
    report = CheckReport()
    last = atlas.store.feed.last_change()
    start = ws.position(CHECKED) or 0  # the first check reads every paper: snapshots and counters
    changed = ws.changed_papers(start, last)
    report.papers = len(changed)
    events: dict[str, list[tuple[Change, int]]] = {}
    papers: dict[str, Paper] = {}
    snapshots: dict[str, dict[str, Any]] = {}  # written with the items, in one transaction
    ids = sorted(changed)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        found = atlas.store.papers.by_ids(chunk)
        papers.update(found)
        before = ws.snapshots(chunk)
        states = {pid: paper_state(p.track, p.code_urls, _version_texts(p), p.ids) for pid, p in found.items()}
        # A paper id not seen before whose strong id was (a new arXiv version read as another
        # record, a paper split off or merged anew) is a change of a known paper, not a new one.
        known = ws.snapshots_by_key(sorted({s["key"] for pid, s in states.items() if pid not in before and s["key"]}))
        for pid, state in states.items():
            previous = before.get(pid) or known.get(state["key"] or "")
            for change in changes(previous, state, is_new=previous is None):
                events.setdefault(pid, []).append((change, changed[pid]))
        report.counters += _observe(atlas, found, when)  # before trending reads the series (a rerun writes nothing)
        snapshots.update(states)
    window = stamp(now - timedelta(days=TREND_DAYS))
    for r in trending(rises(ws.counter_series(window), window), ws.counter_population()):
        detail = {"counter": r.counter, "rise": r.rise, "value": r.value, "days": TREND_DAYS, "score": round(r.score, 2)}
        events.setdefault(r.paper_id, []).append((Change("trending", f"{r.counter}@{when[:10]}", detail), last))
    missing = [pid for pid in events if pid not in papers]
    papers.update(atlas.store.papers.by_ids(missing))
    # Every user's watches, each against that user's library (profiles) and followed authors.
    items: dict[tuple[int, str], list[WatchItem]] = {}
    errors: dict[tuple[int, str], str] = {}
    for user in ws.owners():
        mine = atlas.for_user(user)
        followed = {k: n for k, n, _ in mine.watches.follows()}
        for watch in mine.watches.all():
            try:
                items[user, watch.name] = _items_for(mine, watch, events, papers, followed, when, window)
            except PaperatlasError as exc:  # a profile emptied, a list deleted: the other watches go on
                errors[user, watch.name] = exc.message
    # The items, the snapshots they were typed against and the position: all or nothing, so a
    # check that dies half way is done again whole (a change is never typed and then lost).
    with ws.atomic():
        for (user, name), found_items in items.items():
            report.reported[_shown(user, name)] = atlas.store.watches_of(user).report(found_items)
        for user, name in [*items, *errors]:
            atlas.store.watches_of(user).checked(name, when, errors.get((user, name)))
        report.errors = {_shown(user, name): message for (user, name), message in errors.items()}
        ws.put_snapshots(snapshots)
        ws.set_position(CHECKED, last)
    return report


def _shown(user: int, name: str) -> str:
    """A watch in a check's report: the owner's by name, another user's as ``name (user N)``."""
    return name if user == 0 else f"{name} (user {user})"


def _version_texts(paper: Paper) -> list[str]:
    return [s.record_id for s in paper.sources] + [paper.links.get(k, "") for k in ("arxiv", "pdf")]


def _observe(atlas: Atlas, found: dict[str, Paper], when: str) -> int:
    """Record the counters that differ from their last recorded value."""
    ws = atlas.watches
    withc = [pid for pid, p in found.items() if p.counters]
    if not withc:
        return 0
    last = ws.last_counters(withc)
    rows = [(pid, name, int(value), when) for pid in withc for name, value in found[pid].counters.items()
            if isinstance(value, int | float) and last.get((pid, name)) != int(value)]
    ws.observe_counters(rows)
    return len(rows)


def _items_for(atlas: Atlas, watch: WatchInfo, events: dict[str, list[tuple[Change, int]]], papers: dict[str, Paper],
               followed: dict[str, str], when: str, window: str) -> list[WatchItem]:
    # A rise stays in the trending window for its days: reported once, then again only for a
    # rise after the window (one trending item per paper and counter in any TREND_DAYS).
    recent = {(i.paper_id, i.detail.get("counter")) for i in atlas.watches.items(watch.name, since=window, limit=100_000)
              if i.reason == "trending"}
    live = {pid: [c for c, seq in evs if seq > watch.created_seq
                  and not (c.reason == "trending" and (pid, c.detail.get("counter")) in recent)]
            for pid, evs in events.items() if pid in papers}
    live = {pid: evs for pid, evs in live.items() if evs}
    if watch.kind == "follows":
        out = []
        for pid, evs in live.items():
            if any(c.reason == "new" for c in evs):
                names = [followed[k] for k in dict.fromkeys(author_key(a) for a in papers[pid].authors) if k in followed]
                if names:
                    out.append(WatchItem(watch.name, pid, "followed_author", "", {"authors": names}, papers[pid].title, when))
        return out
    hits = matching(atlas, watch, sorted(live))
    return [WatchItem(watch.name, pid, c.reason, c.state, c.detail, papers[pid].title, when)
            for pid in sorted(hits) for c in live[pid]]


def matching(atlas: Atlas, watch: WatchInfo, candidates: list[str]) -> set[str]:
    """Which candidates the watch's search or profile selects."""
    if not candidates:
        return set()
    from .topics import resolve

    filters = resolve(atlas, Filters.from_mapping(watch.filters, where=f"watch {watch.name}"))
    wanted = set(candidates)
    if watch.kind == "profile":
        from ..recommend import recommend

        recs = recommend(atlas, watch.profile or "starred", filters=filters, k=WATCH_DEPTH)
        return {r.id for r in recs.items} & wanted
    if not watch.query:  # filters only: a store query
        return (atlas.store.papers.ids_matching(filters) if not filters.empty else wanted) & wanted
    if watch.mode == "keyword":
        from ..search.query import parse_query

        keyword, _ = atlas.indexes.keyword_for_reading()
        parsed = parse_query(watch.query)
        total = keyword.search(parsed, filters, k=1, all_words_first=False).total
        return {pid for pid, _ in keyword.search(parsed, filters, k=max(total, 1), all_words_first=False).hits} & wanted
    from ..search import search

    if atlas.indexes.coverage() is not None:  # embed the new papers first: a vector run only sees embedded ones
        atlas.indexes.sync_vectors()
    res = search(atlas, watch.query, mode=watch.mode, k=WATCH_DEPTH, filters=filters, with_facets=False, with_snippets=False)
    return {h.id for h in res.hits} & wanted


# -- trending --------------------------------------------------------------------------------------
def trending_papers(atlas: Atlas, days: int = TREND_DAYS, venue: str | None = None, k: int = 50,
                    at: datetime | None = None, only_unusual: bool = False) -> list[tuple[Rise, Paper]]:
    """The "rising this week" sort: papers whose counters rose over ``days``, the most unusual
    rise first (modified z-score within each counter), with their papers."""
    if not 1 <= days <= 365:
        raise InvalidInput(f"days must be from 1 to 365, not {days}", hint="e.g. days=7")
    since = stamp((at or moment()) - timedelta(days=days))
    found = rises(atlas.watches.counter_series(since, venue), since)
    population = atlas.watches.counter_population(venue)
    ranked = (trending(found, population) if only_unusual else rising(found, population))[:k]
    papers = atlas.store.papers.by_ids([r.paper_id for r in ranked])
    return [(r, papers[r.paper_id]) for r in ranked if r.paper_id in papers]


def parse_since(text: str) -> timedelta:
    """``7d``, ``24h``, ``2w``, ``30m`` as a timedelta."""
    found = re.fullmatch(r"\s*(\d{1,4})\s*([mhdw])\s*", text or "", re.I)
    if not found:
        raise InvalidInput(f"--since {text!r} is not a duration", hint="e.g. --since 7d (also 24h, 2w)")
    n, unit = int(found.group(1)), found.group(2).lower()
    return {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]


def unseen_items(atlas: Atlas, names: Iterable[str] | None = None) -> dict[str, list[WatchItem]]:
    """Items not marked seen, per watch (the Watches page: new since your last visit)."""
    chosen = list(names) if names is not None else [w.name for w in list_watches(atlas)]
    return {n: atlas.watches.items(n, unseen=True, limit=200) for n in chosen}
