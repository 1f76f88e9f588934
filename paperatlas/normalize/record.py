"""A parsed record normalised in place: the one step every parser's output goes through
before the catalog (clean text fields, repaired authors, safe links, code URLs, ids, flags).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..models import Record
from .authors import repair_doubled_name
from .ids import extract_ids
from .links import extract_code_urls, is_code_anonymized
from .whitespace import clean_ws


def _clean_optional(value: str | None) -> str | None:
    return (clean_ws(value) or None) if value is not None else None


def _dedupe(items: list[str], key: Callable[[str], str] = str.casefold) -> list[str]:
    kept: dict[str, str] = {}
    for item in items:
        kept.setdefault(key(item), item)
    return list(kept.values())


def _clean_authors(rec: Record) -> list[str]:
    authors = []
    for raw in rec.authors:
        name = clean_ws(raw)
        if not name:
            continue
        fixed, repaired = repair_doubled_name(name)
        if repaired:
            rec.warn(f'author name "{name}" looks doubled by the page; kept "{fixed}"')
        authors.append(fixed)
    return _dedupe(authors, key=lambda a: a)


_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")


def _is_web_url(url: str, rec: Record) -> bool:
    """A link is an http(s) address or has no scheme ("github.com/x", "/pdf/1.pdf"); a
    "javascript:" or "data:" URL from a hostile file is dropped with a warning."""
    m = _SCHEME.match(url)
    if m is None or m.group(1).lower() in ("http", "https"):
        return True
    rec.warn(f"dropped a link that is not an http(s) address: {url[:60]!r}")
    return False


def _web_links(rec: Record) -> dict[str, str]:
    return {
        kind: url
        for kind, url in rec.links.items()
        if isinstance(url, str) and url.strip() and _is_web_url(url, rec)
    }


def clean_record(rec: Record) -> Record:
    """Normalise a parsed record in place and return it: whitespace in every text field, authors
    cleaned and doubled names repaired (with a warning on the record), code URLs and ids extracted
    from links/abstract, "code-anonymized" flag. Keeps LaTeX in title/abstract (display renders it)."""
    rec.title = clean_ws(rec.title or "")
    rec.abstract = clean_ws(rec.abstract or "")
    rec.venue = _clean_optional(rec.venue)
    rec.track = _clean_optional(rec.track)
    rec.session = _clean_optional(rec.session)
    rec.keywords = _dedupe([k for k in (clean_ws(k) for k in rec.keywords) if k])
    rec.authors = _clean_authors(rec)

    rec.links = _web_links(rec)
    code: list[str] = []
    for url in rec.code_urls:
        # An existing URL that is not on a known host (a project page) is still kept as given.
        code.extend(extract_code_urls(url) or [clean_ws(url)])
    code.extend(extract_code_urls(rec.abstract))
    for link in rec.links.values():
        if isinstance(link, str):
            code.extend(extract_code_urls(link))
    rec.code_urls = _dedupe([u for u in code if u and _is_web_url(u, rec)])

    links = [v for v in rec.links.values() if isinstance(v, str)]
    rec.ids = {**extract_ids(*links, rec.abstract), **rec.ids}

    if is_code_anonymized(rec.abstract) and "code-anonymized" not in rec.flags:
        rec.flags.append("code-anonymized")
    return rec
