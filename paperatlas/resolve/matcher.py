"""Which paper each new record of a file joins: blocking look-ups, the rules' verdicts, and a
person's earlier decisions, for all new records of one file at once.

Candidates come from one look-up of every blocking key of the file; each (record, paper) pair is
judged by ``rules.judge``; merges are then assigned best score first, one record of this file per
paper, so an exact match is never stolen by a fuzzy one. A person's earlier decisions about a
record (``decisions_for``) come before any rule. Everything goes through the store's writer
(``store.protocol.CatalogWriter``), inside the transaction that stores the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import rules
from .prepare import Prepared

if TYPE_CHECKING:
    from ..store.protocol import CatalogWriter, Identity


class Evidence:
    """The match view of stored papers (the union of their records' evidence), read once each."""

    def __init__(self, w: CatalogWriter) -> None:
        self.w = w
        self.infos: dict[str, rules.MatchInfo] = {}

    def of(self, paper_id: str) -> rules.MatchInfo:
        if paper_id not in self.infos:
            self.infos[paper_id] = rules.combine(rules.match_info(rec, f) for f, rec in self.w.paper_evidence(paper_id))
        return self.infos[paper_id]

    def forget(self, paper_id: str) -> None:
        self.infos.pop(paper_id, None)


class Matcher:
    """Plans, for the new records of one file, the paper each joins; the review pairs; and the
    papers a record bridges (it matched two papers that can be one)."""

    HOT_KEY = 50  # a fuzzy key shared by more papers than this says nothing (block purging)

    def __init__(self, w: CatalogWriter, evidence: Evidence, source_id: str) -> None:
        self.w, self.evidence, self.source_id = w, evidence, source_id
        self.choice: dict[str, str] = {}  # record key -> paper id
        self.pending: list[tuple[Prepared, str, rules.Verdict]] = []
        self.bridges: list[tuple[str, str]] = []  # (paper, another paper the same record matched)
        self.candidates = 0  # (record, paper) pairs judged
        self.decided = 0  # records placed by a person's decision

    def get(self, record_key: str) -> str | None:
        return self.choice.get(record_key)

    def plan(self, items: list[Prepared]) -> Matcher:
        hits = self._hits(items)
        decisions = self.w.decisions_for(self.source_id, [item.key for item in items])
        proposals: list[tuple[float, int, str, rules.Verdict]] = []
        reviews: dict[int, list[tuple[str, rules.Verdict]]] = {}
        for n, item in enumerate(items):
            found = {pid for k in [*item.keys, *item.probes, *item.bands] if k in hits for pid in hits[k]}
            forced: str | None = None
            banned: set[str] = set()
            if item.key in decisions:
                forced, banned = self._apply_decisions(decisions[item.key])
            if forced:
                proposals.append((2.0, n, forced, rules.Verdict("merge", 2.0, "a person merged them")))
                self.decided += 1
            for pid, verdict in self._judge(item, found - banned - {forced}):
                if verdict.decision == "merge":
                    proposals.append((verdict.score, n, pid, verdict))
                else:
                    reviews.setdefault(n, []).append((pid, verdict))
        self._assign(items, proposals)
        self._queue(items, reviews)
        return self

    def _apply_decisions(self, entries: list[tuple[str, Identity]]) -> tuple[str | None, set[str]]:
        """(the paper a 'same' link puts the record into, the papers 'distinct' links keep it out of)."""
        forced, banned = None, set()
        for decision, other in entries:
            pid = self.w.paper_of(other)
            if pid is None:
                continue
            if decision == "distinct":
                banned.add(pid)
            elif forced is None:
                forced = pid
        return (None if forced in banned else forced), banned

    def _hits(self, items: list[Prepared]) -> dict[object, list[str]]:
        """Blocking key -> papers, for every key of these records (text keys are exact, integer
        keys fuzzy; a fuzzy key that names too many papers is dropped)."""
        exact: dict[object, list[str]] = {}
        exact.update(self.w.papers_under_keys({k for item in items for k in item.keys}))
        probes = {k for item in items for k in item.probes}
        if self.w.bands_filed():
            probes.update(k for item in items for k in item.bands)
        fuzzy = self.w.papers_under_blocks(probes)
        return exact | {k: pids for k, pids in fuzzy.items() if len(pids) <= self.HOT_KEY}

    def _judge(self, item: Prepared, papers: set[str]) -> list[tuple[str, rules.Verdict]]:
        """The verdicts other than 'distinct' of one record against its candidate papers."""
        out = []
        for pid in sorted(papers):
            info = self.evidence.of(pid)
            if not info.size:
                continue  # fuzzy keys of a paper that merged away
            verdict = rules.judge(item.info, info)
            self.candidates += 1
            if verdict.decision != "distinct":
                out.append((pid, verdict))
        return out

    def _assign(self, items: list[Prepared], proposals: list[tuple[float, int, str, rules.Verdict]]) -> None:
        """Best score first, each record to one paper and each paper to one record of this file."""
        taken: set[str] = set()
        ranked = sorted(proposals, key=lambda p: (-p[0], p[1], p[2]))
        for _, n, pid, _ in ranked:
            if items[n].key not in self.choice and pid not in taken:
                self.choice[items[n].key] = pid
                taken.add(pid)
        self._bridges(items, ranked, taken)

    def _queue(self, items: list[Prepared], reviews: dict[int, list[tuple[str, rules.Verdict]]]) -> None:
        """The best uncertain pair of each record waits for a person; a record that joined a paper
        only queues a pair whose two papers could be one."""
        joined = {pid for pair in self.bridges for pid in pair}
        for n, options in reviews.items():
            chosen = self.choice.get(items[n].key)
            if chosen is not None:
                mine = self.evidence.of(chosen)
                options = [(p, v) for p, v in options if p not in joined and rules.joinable(mine, self.evidence.of(p))]
            if options:
                pid, verdict = max(options, key=lambda f: (f[1].score, f[0]))
                self.pending.append((items[n], pid, verdict))

    def _bridges(self, items: list[Prepared], ranked: list[tuple[float, int, str, rules.Verdict]], taken: set[str]) -> None:
        """A record that matches two papers joins them (when nothing says they differ)."""
        infos = {pid: self.evidence.of(pid) for pid in taken}
        for _, n, pid, verdict in ranked:
            chosen = self.choice.get(items[n].key)
            if chosen is None or pid == chosen or pid in taken or verdict.score > 1.0:
                continue
            info = self.evidence.of(pid)
            if rules.joinable(infos[chosen], info) and not self.w.kept_apart(chosen, pid):
                self.bridges.append((chosen, pid))
                infos[chosen] = rules.combine([infos[chosen], info])
                taken.add(pid)

    def reviews(self) -> list[tuple[str, str, float, str]]:
        """(record key, paper id, score, reason) of each new record that waits for review."""
        return [(item.key, pid, v.score, v.reason) for item, pid, v in self.pending]


def file_blocks(items: list[Prepared], pids: list[str]) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """The exact and fuzzy keys these new records file their papers under, sorted (so the
    inserts walk each B-tree once from left to right)."""
    match_keys = sorted((k, pid) for item, pid in zip(items, pids) for k in item.keys)
    block_keys = sorted((k, pid) for item, pid in zip(items, pids) for k in item.blocks)
    return match_keys, block_keys

