"""The plan: a pure function of a programme, the papers a person chose and recommendations.

Per session in time order: the chosen papers it presents (a reading list's and the starred ones,
always all of them), then recommended papers by score up to ``cap`` items in the session, every
session's items in walking order (natural order of board ids, ``boards.walking_order``). Two
sessions that overlap in time and each present a chosen paper are a clash, flagged on both (one
paper presented in both is no clash: when one session's chosen papers include all of the other's,
visiting it shows them all). Chosen papers no session presents
are listed as unscheduled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..store.protocol import ProgrammeSession
from .boards import board_key, walking_order
from .times import overlaps, span

DEFAULT_CAP = 8
CHOSEN = ("list", "starred")


@dataclass(frozen=True)
class Pick:
    """A paper the person chose or was recommended, before the programme places it."""

    paper_id: str
    reason: str  # "list", "starred", "recommended"
    why: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class PlanItem:
    paper_id: str
    title: str
    board: str | None
    reason: str
    why: str = ""
    score: float | None = None
    clashes: tuple[str, ...] = ()  # names of overlapping sessions that present other chosen papers

    @property
    def chosen(self) -> bool:
        return self.reason in CHOSEN


@dataclass(frozen=True)
class PlanSession:
    session: ProgrammeSession
    items: tuple[PlanItem, ...]
    clashes: tuple[str, ...] = ()  # keys of overlapping sessions with chosen papers


@dataclass(frozen=True)
class Clash:
    first: str  # session keys, the earlier first
    second: str
    first_papers: tuple[str, ...]
    second_papers: tuple[str, ...]


@dataclass
class Plan:
    sessions: list[PlanSession] = field(default_factory=list)
    unscheduled: list[Pick] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)
    chosen: int = 0
    programme_sessions: int = 0


def session_order(sessions: Sequence[ProgrammeSession]) -> list[int]:
    """Indices in time order: by start (as an instant), then end, then name in natural order;
    sessions without a time last, in programme order."""
    def key(i: int) -> tuple[Any, ...]:
        s = sessions[i]
        when = span(s.starts_at, s.ends_at, s.all_day)
        if when is None:
            return (1, (), (), (), i)
        return (0, when[0], when[1], board_key(s.name), i)
    return sorted(range(len(sessions)), key=key)


def build_plan(sessions: Sequence[ProgrammeSession], picks: Sequence[Pick], titles: Mapping[str, str],
               cap: int = DEFAULT_CAP) -> Plan:
    """The plan (see the module docstring). ``picks``: chosen papers (reason "list"/"starred") and
    recommendations ("recommended", with a score); a paper listed twice keeps its first pick.
    ``titles``: paper id -> title for display."""
    pick_of: dict[str, Pick] = {}
    for pick in picks:
        pick_of.setdefault(pick.paper_id, pick)
    chosen_ids = [p.paper_id for p in pick_of.values() if p.reason in CHOSEN]
    plan = Plan(chosen=len(chosen_ids), programme_sessions=len(sessions))
    placed: set[str] = set()
    rows: list[tuple[ProgrammeSession, list[PlanItem]]] = []
    for i in session_order(sessions):
        session = sessions[i]
        chosen: list[PlanItem] = []
        recommended: list[PlanItem] = []
        seen: set[str] = set()
        for entry in session.entries:
            pid = entry.paper_id
            if not pid or pid in seen or pid not in pick_of:
                continue
            seen.add(pid)
            pick = pick_of[pid]
            item = PlanItem(pid, titles.get(pid, pid), entry.board, pick.reason, pick.why,
                            None if pick.reason in CHOSEN else pick.score)
            (chosen if item.chosen else recommended).append(item)
        recommended.sort(key=lambda it: (-(it.score or 0.0), it.paper_id))
        items = chosen + recommended[: max(0, cap - len(chosen))]
        if not items:
            continue
        placed.update(it.paper_id for it in chosen)
        order = walking_order([it.board for it in items])
        rows.append((session, [items[k] for k in order]))
    plan.clashes = _clashes(rows)
    clash_names: dict[str, list[str]] = {}
    clash_keys: dict[str, list[str]] = {}
    names = {s.key: s.name for s, _ in rows}
    for c in plan.clashes:
        for mine, other in ((c.first, c.second), (c.second, c.first)):
            clash_names.setdefault(mine, []).append(names[other])
            clash_keys.setdefault(mine, []).append(other)
    for session, items in rows:
        others = tuple(clash_names.get(session.key, ()))
        shown = tuple(PlanItem(it.paper_id, it.title, it.board, it.reason, it.why, it.score, others if it.chosen else ())
                      for it in items)
        plan.sessions.append(PlanSession(session, shown, tuple(clash_keys.get(session.key, ()))))
    plan.unscheduled = [pick_of[pid] for pid in chosen_ids if pid not in placed]
    return plan


def _clashes(rows: Sequence[tuple[ProgrammeSession, Sequence[PlanItem]]]) -> list[Clash]:
    timed = []
    for s, items in rows:
        when = span(s.starts_at, s.ends_at, s.all_day)
        papers = frozenset(it.paper_id for it in items if it.chosen)
        if when is not None and papers:
            timed.append((when, s, papers))
    out: list[Clash] = []
    for a, (span_a, sa, pa) in enumerate(timed):
        for span_b, sb, pb in timed[a + 1:]:
            if span_b[0] > span_a[1]:  # rows are in start order: no later session overlaps a
                break
            # one visit covers both when one session's chosen papers include the other's
            if overlaps(span_a, span_b) and not (pa <= pb or pb <= pa):
                out.append(Clash(sa.key, sb.key, tuple(sorted(pa)), tuple(sorted(pb))))
    return out
