"""Library state that can move: ``export_library`` writes stars, tags, notes, reading lists and
merge decisions to one JSON file; ``import_library`` reads it into any catalog, in one
transaction (all of it, or on any error nothing).

Papers are named in the file by their id *and* by what identifies them anywhere: their records'
identities (source id, record key), their strong ids and title key (``rules.keys``). An import
finds each paper by those, in that order, so it works into a fresh catalog that read the same
files in another order or from another folder. What it cannot find is reported, not fatal:
decisions naming files this catalog has not read are kept and apply when those files arrive.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from .. import __version__
from ..errors import NotFound, TransferError
from ..models import Paper, Record
from ..resolve import review, rules
from .library import clean_list_name, clean_tag

if TYPE_CHECKING:
    from ..app import Atlas
    from ..store.protocol import CatalogWriter, Identity

FORMAT = "paperatlas-library"
VERSION = 1
KINDS = ("stars", "tags", "notes", "list_items", "feedback", "decisions")
EXPORT_HINT = ("pass a file written by `paperatlas library export`; to add the papers of a listing to your library,"
               " give --list NAME, --tag NAME or --star")
DAMAGED_HINT = "the file is damaged; export the library again"


@dataclass
class TransferReport:
    """Per kind: how many were added, were there already, or name papers this catalog lacks."""

    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    present: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    missing: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    lists_created: int = 0
    notes_appended: int = 0
    merges_applied: int = 0
    separations_applied: int = 0  # records moved out of a paper a 'distinct' decision splits
    missing_papers: list[dict[str, str]] = field(default_factory=list)  # {"id", "title"} of papers not found
    exported: dict[str, int] = field(default_factory=dict)  # what the file holds, per kind

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "present": self.present, "missing": self.missing, "exported": self.exported,
                "lists_created": self.lists_created, "notes_appended": self.notes_appended,
                "merges_applied": self.merges_applied, "separations_applied": self.separations_applied,
                "missing_papers": self.missing_papers}


# -- export ----------------------------------------------------------------------------------------
def export_library(atlas: Atlas, fp: IO[str]) -> dict[str, int]:
    """Write the whole library as JSON; returns the count of each kind written."""
    rows = atlas.library.dump()
    lists = {int(i): {"name": name, "created_at": at, "items": []} for i, name, at in rows["lists"]}
    for list_id, pid, _, at in rows["items"]:
        lists[int(list_id)]["items"].append({"paper": pid, "added_at": at})
    ids = list(dict.fromkeys([r[0] for k in ("stars", "tags", "notes") for r in rows[k]]
                             + [r[1] for r in rows["items"]] + [r[1] for r in rows["feedback"]]))
    papers = atlas.store.papers.by_ids(ids, with_sources=False)
    identities = atlas.store.papers.identities(ids)
    actions = atlas.store.review.actions()
    data = {
        "format": FORMAT, "version": VERSION, "paperatlas": __version__,
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "catalog": atlas.location,
        "papers": {pid: _paper_entry(papers[pid], identities.get(pid, [])) for pid in ids if pid in papers},
        "sources": atlas.store.papers.source_names(),
        "stars": [{"paper": pid, "at": at} for pid, at in rows["stars"]],
        "tags": [{"paper": pid, "tag": tag, "at": at} for pid, tag, at in rows["tags"]],
        "notes": [{"paper": pid, "body": body, "at": at} for pid, body, at in rows["notes"]],
        "lists": list(lists.values()),
        "feedback": [{"profile": prof, "paper": pid, "kind": kind, "at": at} for prof, pid, kind, at in rows["feedback"]],
        "decisions": [{"kind": a.kind, "decided_at": a.decided_at, "undone_at": a.undone_at, "detail": a.detail,
                       "links": [[d, list(x), list(y)] for d, x, y in a.links]} for a in actions],
    }
    json.dump(data, fp, ensure_ascii=False, indent=1)
    fp.write("\n")
    return _counts(data)


def _paper_entry(paper: Paper, identities: list[Identity]) -> dict[str, Any]:
    info = rules.match_info(Record(title=paper.title, abstract=paper.abstract, ids=paper.ids, links=paper.links), 0)
    return {"title": paper.title, "keys": rules.keys(info), "records": [list(i) for i in identities]}


def _counts(data: dict[str, Any]) -> dict[str, int]:
    return {"stars": len(data["stars"]), "tags": len(data["tags"]), "notes": len(data["notes"]),
            "lists": len(data["lists"]), "list_items": sum(len(lst["items"]) for lst in data["lists"]),
            "feedback": len(data["feedback"]), "decisions": len(data["decisions"])}


# -- import ----------------------------------------------------------------------------------------
def import_library(atlas: Atlas, fp: IO[str], where: str = "the library file") -> TransferReport:
    """Read an export into this catalog, in one transaction."""
    data = read_export(fp, where)
    report = TransferReport(exported=_counts(data))
    with atlas.store.writer() as writer:
        w = writer.as_user(atlas.user)
        sources = _source_map(w, data)
        _import_decisions(w, data, sources, report)
        find = _PaperFinder(w, data, sources)
        _import_library(w, data, find, report)
        report.missing_papers = [{"id": pid, "title": str(data["papers"].get(pid, {}).get("title", ""))}
                                 for pid in sorted(find.missing)]
    return report


def read_export(fp: IO[str], where: str) -> dict[str, Any]:
    """The export, checked: TransferError naming what is wrong and what to do."""
    try:
        data = json.load(fp)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TransferError(f"{where} is not JSON ({exc})", hint=EXPORT_HINT) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TransferError(f"{where} is not a paperatlas library export", hint=EXPORT_HINT)
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise TransferError(f"{where}: its version {version!r} is not one paperatlas wrote", hint="export the library again")
    if version > VERSION:
        raise TransferError(f"{where} was written by a newer paperatlas (library format {version}; this one reads {VERSION})",
                            hint="upgrade paperatlas, then import it")
    shapes = {"papers": dict, "sources": dict, "stars": list, "tags": list, "notes": list, "lists": list,
              "feedback": list, "decisions": list}
    for name, kind in shapes.items():
        data.setdefault(name, kind())
        if not isinstance(data[name], kind):
            raise TransferError(f"{where}: {name!r} must be a JSON {'object' if kind is dict else 'list'}",
                                hint="the file is damaged; export the library again")
    for name in ("stars", "tags", "notes", "lists", "feedback", "decisions"):
        for n, item in enumerate(data[name], 1):
            if not isinstance(item, dict):
                raise TransferError(f"{where}: {name}[{n}] must be a JSON object", hint="the file is damaged; export it again")
    return data


def _source_map(w: CatalogWriter, data: dict[str, Any]) -> dict[str, str]:
    """Exported source id -> this catalog's: the same id, or a file read under the same name."""
    out = {}
    for source, name in data["sources"].items():
        local = w.sources_named(str(name))
        if local and source not in local:
            out[str(source)] = local[0]
    return out


def _identity(value: Any, sources: dict[str, str]) -> Identity | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        source, key = str(value[0]), str(value[1])
        return sources.get(source, source), key
    return None


class _PaperFinder:
    """Exported paper id -> this catalog's paper: by record identity, then strong ids and title."""

    def __init__(self, w: CatalogWriter, data: dict[str, Any], sources: dict[str, str]) -> None:
        self.w, self.papers, self.sources = w, data["papers"], sources
        self.found: dict[str, str | None] = {}
        self.missing: set[str] = set()

    def __call__(self, pid: Any) -> str | None:
        pid = str(pid)
        if pid not in self.found:
            self.found[pid] = self._find(pid)
            if self.found[pid] is None:
                self.missing.add(pid)
        return self.found[pid]

    def _find(self, pid: str) -> str | None:
        entry = self.papers.get(pid) if isinstance(self.papers.get(pid), dict) else {}
        for value in entry.get("records", []):
            who = _identity(value, self.sources)
            if who and (local := self.w.paper_of(who)):
                return local
        keys = {str(k) for k in entry.get("keys", [])}
        votes: dict[str, int] = {}
        for hits in self.w.papers_under_keys(keys).values():
            for local in hits:
                votes[local] = votes.get(local, 0) + 1
        if votes:
            return max(sorted(votes), key=lambda p: votes[p])
        if entry:
            return None  # it names records and keys: none of them is here
        try:
            self.w.require_paper(pid)  # an id with nothing else to check it by
            return pid
        except NotFound:
            return None


def _import_decisions(w: CatalogWriter, data: dict[str, Any], sources: dict[str, str], report: TransferReport) -> None:
    touched: set[str] = set()
    for item in data["decisions"]:
        links = [(str(d), a, b) for d, a, b in _links(item.get("links"), sources)]
        kind, at = str(item.get("kind", "")), str(item.get("decided_at", ""))
        if kind not in ("merge", "distinct", "split") or not at:
            raise TransferError(f"a decision without a kind or time: {str(item)[:80]}", hint=DAMAGED_HINT)
        if w.has_action(kind, at, links):
            report.present["decisions"] += 1
            continue
        detail = item.get("detail") if isinstance(item.get("detail"), dict) else {}
        w.record_action(kind, detail, links, at, item.get("undone_at") or None)
        report.added["decisions"] += 1
        if all(w.paper_of(x) is None or w.paper_of(y) is None for _, x, y in links):
            report.missing["decisions"] += 1  # kept: applies when those files are ingested
        touched.update(x[0] for _, x, _ in links)
    report.merges_applied = sum(review.enforce(w, source) for source in sorted(touched))
    report.separations_applied = sum(review.enforce_apart(w, source) for source in sorted(touched))


def _links(value: Any, sources: dict[str, str]) -> Iterable[tuple[str, Identity, Identity]]:
    for link in value if isinstance(value, list) else []:
        if isinstance(link, list) and len(link) == 3 and link[0] in ("same", "distinct"):
            a, b = _identity(link[1], sources), _identity(link[2], sources)
            if a and b:
                yield link[0], a, b


def _import_library(w: CatalogWriter, data: dict[str, Any], find: _PaperFinder, report: TransferReport) -> None:
    now = w.now()

    def put(kind: str, pid: Any, add: Any) -> None:
        local = find(pid)
        if local is None:
            report.missing[kind] += 1
        elif add(local):
            report.added[kind] += 1
        else:
            report.present[kind] += 1

    for item in data["stars"]:
        put("stars", item.get("paper"), lambda p, i=item: w.put_star(p, str(i.get("at") or now)))
    for item in data["tags"]:
        tag = clean_tag(str(item.get("tag", "")))
        put("tags", item.get("paper"), lambda p, i=item, t=tag: w.put_tag(p, t, str(i.get("at") or now)))
    for item in data["notes"]:
        put("notes", item.get("paper"), lambda p, i=item: _note(w, p, str(i.get("body", "")), str(i.get("at") or now), report))
    for item in data["feedback"]:
        profile, kind = str(item.get("profile", "")), str(item.get("kind", ""))
        at = str(item.get("at") or now)
        put("feedback", item.get("paper"), lambda p, pr=profile, k=kind, a=at: w.put_feedback(pr, p, k, a))
    for lst in data["lists"]:
        list_id, created = w.put_list(clean_list_name(str(lst.get("name", ""))), str(lst.get("created_at") or now))
        report.lists_created += created
        for item in lst.get("items", []) if isinstance(lst.get("items"), list) else []:
            if isinstance(item, dict):
                at = str(item.get("added_at") or now)
                put("list_items", item.get("paper"), lambda p, lid=list_id, a=at: w.put_list_item(lid, p, a))


def _note(w: CatalogWriter, paper: str, body: str, at: str, report: TransferReport) -> bool:
    outcome = w.put_note(paper, body, at)
    report.notes_appended += outcome == "appended"
    return outcome != "same"
