"""Author pages (``/author/NAME`` and ``/api/author/NAME``): an author's papers in the catalog,
newest first, their co-authors and venues with counts.

Authors are stored per paper as written, so a person is the set of author names with the same
words, accents and case folded and in any order (``author_key``: "Feiqing Huang", "HUANG
Feiqing" and "Féiqing Huang" are one author), which is what the author filter matches, but for
one name at a time: the filter finds the candidate papers (every word of the name among the
paper's author words) and ``same_author`` keeps those where one author has exactly these words.
Names with more words ("Geoffrey E. Hinton" for "Geoffrey Hinton") are listed as other
spellings, not merged: a middle initial may be another person.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

from ..app import Atlas
from ..errors import NotFound
from ..filters import Filters, name_terms
from ..models import Paper
from ..search.types import Hit
from . import security
from .venue_views import venue_path

MAX_PAPERS = 500  # an author page lists at most this many papers (newest first)
MAX_VARIANTS = 12

AuthorKey = tuple[str, ...]


def author_key(name: str) -> AuthorKey:
    """The folded words of a name, sorted: equal keys are one author (see the module doc)."""
    return tuple(sorted(name_terms(name)))


def author_url(name: str) -> str:
    """The author page of ``name`` (every character but letters and digits percent-encoded, so
    a slash, ``?`` or ``#`` in a name stays part of it)."""
    return "/author/" + quote(name, safe="")


def spelling(counts: Counter[str]) -> str:
    """The most common way a name is written (ties: the first in sorted order)."""
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def newest_first(paper: Paper) -> tuple[Any, ...]:
    """Newest year first, papers without a year last; then venue, title and id."""
    return (paper.year is None, -(paper.year or 0), (paper.venue or "").lower(), paper.title.lower(), paper.id)


def same_author(authors: list[str], key: AuthorKey) -> bool:
    return any(author_key(a) == key for a in authors)


def coauthors(papers: list[Paper], key: AuthorKey) -> list[dict[str, Any]]:
    """The other authors of ``papers`` with how many of them each co-wrote (a person counted once
    per paper whatever the spelling), most papers first, then by name."""
    papers_of: Counter[AuthorKey] = Counter()
    spellings: dict[AuthorKey, Counter[str]] = {}
    for p in papers:
        seen = {k for a in p.authors if (k := author_key(a)) and k != key}
        papers_of.update(seen)
        for a in p.authors:
            k = author_key(a)
            if k in seen:
                spellings.setdefault(k, Counter())[a] += 1
    named = sorted(((spelling(spellings[k]), n) for k, n in papers_of.items()),
                   key=lambda item: (-item[1], item[0].lower(), item[0]))
    return [{"name": name, "papers": n, "href": author_url(name)} for name, n in named]


def venues(papers: list[Paper]) -> list[dict[str, Any]]:
    """Each venue with its papers by this author, and its years (newest first) linking to the
    venue pages; venues with most papers first."""
    by_venue: dict[str | None, Counter[int | None]] = {}
    for p in papers:
        by_venue.setdefault(p.venue, Counter())[p.year] += 1
    rows: list[dict[str, Any]] = [{"venue": v, "papers": sum(years.values()),
             "years": [{"year": y, "papers": n, "href": venue_path(v, y)}
                       for y, n in sorted(years.items(), key=lambda item: (item[0] is None, -(item[0] or 0)))]}
            for v, years in by_venue.items()]
    rows.sort(key=lambda r: (-r["papers"], r["venue"] is None, (r["venue"] or "").lower()))
    return rows


def author_data(atlas: Atlas, name: str) -> dict[str, Any]:
    """The author page of ``name``; NotFound naming similar names when no paper has it."""
    from .views import hit_rows

    key = author_key(name)
    if not key:
        raise NotFound(f"no author named {name!r}: a name needs letters", hint="e.g. /author/Yoshua Bengio")
    papers = atlas.store.papers
    candidates = papers.authors_of(sorted(papers.ids_matching(Filters(author=" ".join(key)))))
    mine = [pid for pid, names in candidates.items() if same_author(names, key)]
    variants: dict[AuthorKey, Counter[str]] = {}
    for names in candidates.values():
        for a in names:
            k = author_key(a)
            if k != key and set(key) <= set(k):
                variants.setdefault(k, Counter())[a] += 1
    named = sorted(((spelling(c), sum(c.values())) for c in variants.values()),
                   key=lambda item: (-item[1], item[0]))[:MAX_VARIANTS]
    others = [{"name": name, "papers": n, "href": author_url(name)} for name, n in named]
    if not mine:
        similar = "; ".join(f"{r['name']} ({r['papers']})" for r in others[:5])
        hint = (f"names with these words: {similar}" if similar else "check the spelling") + \
            f"; or search for papers with these author words: /?{security.query_string({'author': name})}"
        raise NotFound(f"no papers by {name!r} in the catalog", hint=hint)
    found = sorted(papers.by_ids(mine).values(), key=newest_first)
    shown = found[:MAX_PAPERS]
    written: Counter[str] = Counter(a for p in found for a in p.authors if author_key(a) == key)
    return {
        "name": spelling(written), "query": name, "spellings": sorted(written), "papers": len(found),
        "notes": [f"the newest {MAX_PAPERS} of {len(found)} papers are listed"] if len(found) > MAX_PAPERS else [],
        "hits": hit_rows(atlas, [Hit(p.id, 0.0, p) for p in shown]),
        "coauthors": coauthors(found, key), "venues": venues(found), "other_spellings": others,
        "search_href": "/?" + security.query_string({"author": name}),
    }
