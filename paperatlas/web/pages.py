"""The pages: one data function per page (a JSON-ready dict computed from core calls), rendered
as HTML here and returned as JSON by ``api.py`` at the URL each page links to (the route table,
pages included, is in ``api.py``).

Untrusted text (titles, abstracts, names, notes) only reaches templates through autoescaping;
the one pre-escaped field is the search snippet, re-sanitised by ``security.snippet_html``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import re
import threading
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Awaitable, Callable, Iterator, Mapping
from urllib.parse import quote_plus

import jinja2
from markupsafe import escape
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from .. import export, library
from ..catalog import Catalog, browse
from ..errors import CatalogError, NotFound, PaperatlasError, ParseError
from ..ingest import FileReport, Overrides, ingest_source, registry
from ..ingest.base import Source
from ..models import Paper, paper_to_dict
from ..normalize import latex_to_text
from ..search.types import Hit, Results, SearchFilters
from . import security

log = logging.getLogger("paperatlas.web")
TEMPLATES = Path(__file__).parent / "templates"
MODES = ("keyword", "hybrid", "semantic")
FACET_ORDER = ("venue", "year", "track", "session", "author")
MAX_K = 100
MAX_OFFSET = 10_000
Handler = Callable[[Request], Awaitable[Response]]
_WARMING = threading.Lock()
_OPENING = threading.Lock()
_OPENED: "weakref.WeakSet[Catalog]" = weakref.WeakSet()
_WARM_THREADS: "weakref.WeakKeyDictionary[Catalog, threading.Thread]" = weakref.WeakKeyDictionary()


class InvalidInput(PaperatlasError):
    """A request parameter that cannot be used as given (400)."""


# -- rendering -------------------------------------------------------------------------------
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, auto_reload=False,  # templates ship with the package
    )
    env.filters.update(safe_url=security.safe_url, snippet=security.snippet_html, plain=latex_to_text)
    env.globals.update(qs=security.query_string)
    return env


def html(request: Request, template: str, data: dict[str, Any], *, api: str | None = None, status: int = 200) -> HTMLResponse:
    state = request.app.state
    body = state.templates.get_template(template).render(
        data=data, csrf=state.csrf, can_write=security.can_write(request), api_url=api,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        q=request.query_params.get("q", ""), shared=state.settings.shared,
    )
    return HTMLResponse(body, status_code=status)


def status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    for kind, status in ((NotFound, 404), (security.Denied, 403), (security.Busy, 503), (ParseError, 400),
                         (security.Internal, 500), (CatalogError, 500), (PaperatlasError, 400)):
        if isinstance(exc, kind):
            return status
    return 500


def error_response(request: Request, exc: Exception) -> Response:
    """The JSON envelope under /api/, the error page elsewhere; never a traceback."""
    status = status_of(exc)
    if isinstance(exc, PaperatlasError):
        message, hint = exc.message, exc.hint
    elif isinstance(exc, HTTPException):
        message, hint = str(exc.detail), "see /api for the routes" if status in (404, 405) else ""
    else:
        message, hint = "internal error", "the server log has the details"
    error = {"status": status, "message": message, "hint": hint}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": error}, status_code=status)
    return html(request, "error.html", {"error": error}, status=status)


async def core(request: Request, fn: Callable[..., Any], *args: Any, write: bool = False, budget: float | None = None) -> Any:
    """Call a core function with the catalog, in a worker thread, under the time budget."""
    return await request.app.state.runner.call(fn, request.app.state.catalog, *args, write=write, budget=budget)


# -- the search backend (one adapter) ----------------------------------------------------------
@contextmanager
def _first_use(catalog: Catalog) -> Iterator[None]:
    """The first search of a catalog opens and syncs its indexes: one thread does it while the
    others answer 503 after a short wait (instead of each holding a worker until it is done)."""
    if catalog in _OPENED:
        yield
        return
    if not _OPENING.acquire(timeout=3.0):
        raise security.Busy("the search index is being brought up to date", hint="try again in a minute")
    try:
        yield
        _OPENED.add(catalog)
    finally:
        _OPENING.release()


def _backend(name: str) -> Callable[..., Any] | None:
    """``paperatlas.search.<name>``, or None while the search package does not provide it."""
    try:
        module = importlib.import_module("paperatlas.search")
    except ImportError:
        return None
    return getattr(module, name, None)


def _search(catalog: Catalog, query: str, *, mode: str, k: int, offset: int, filters: SearchFilters) -> Results:
    """``paperatlas.search.search`` when it is importable and its index works; until then a plain
    SQL substring search returning the same ``Results`` (snippets escaped here)."""
    search = _backend("search")
    if search is not None:
        try:
            with _first_use(catalog):
                return search(catalog, query, mode=mode, k=k, offset=offset, filters=filters)  # type: ignore[no-any-return]
        except ImportError:  # a part of the search backend is not there (yet)
            pass
    start = time.perf_counter()
    ranked, total = browse.search_ids(catalog, query, filters, k, offset)
    papers = catalog.papers_by_ids([pid for pid, _ in ranked])
    hits = [Hit(pid, score, papers[pid], _snippet(papers[pid], query), ["substring match"]) for pid, score in ranked]
    return Results(hits, total, "keyword", browse.facet_counts(catalog, query, filters),
                   (time.perf_counter() - start) * 1000, notes=["no keyword index: plain substring search"])


def warm_up(catalog: Catalog) -> None:
    """Bring the search index up to date in a background thread (at most one at a time), so
    the first search after a start or an import does not wait for it."""
    if not _WARMING.acquire(blocking=False):
        return

    def run() -> None:
        try:
            _search(catalog, "", mode="keyword", k=1, offset=0, filters=SearchFilters())
        except Exception:  # noqa: BLE001 - the next search reports the problem
            log.warning("warming up the search index failed", exc_info=True)
        finally:
            _WARMING.release()

    thread = threading.Thread(target=run, name="paperatlas-warm-up", daemon=True)
    _WARM_THREADS[catalog] = thread
    thread.start()


def settle(catalog: Catalog, timeout: float) -> bool:
    """Wait for this catalog's warm-up thread; False if it still runs after ``timeout``."""
    thread = _WARM_THREADS.get(catalog)
    if thread is not None:
        thread.join(timeout)
    return thread is None or not thread.is_alive()


def _related(catalog: Catalog, paper_id: str, k: int) -> list[Hit]:
    """``paperatlas.search.related``, or papers of the same session (track) while it is missing."""
    related = _backend("related")
    if related is not None:
        try:
            with _first_use(catalog):
                return related(catalog, paper_id, k)  # type: ignore[no-any-return]
        except ImportError:
            pass
    p = catalog.get(paper_id)
    filters = SearchFilters(venue=p.venue, year=p.year, session=p.session, track=None if p.session else p.track)
    ranked, _ = browse.search_ids(catalog, "", filters, k + 1)
    papers = catalog.papers_by_ids([pid for pid, _ in ranked if pid != paper_id][:k])
    return [Hit(pid, 0.0, paper, why=["same session" if p.session else "same track"]) for pid, paper in papers.items()]


def _snippet(paper: Paper, query: str, width: int = 240) -> str:
    text = latex_to_text(paper.abstract) or latex_to_text(paper.title)
    words = [re.escape(w) for w in query.split() if w]
    if not words:
        return ""
    pattern = re.compile("|".join(words), re.I)
    found = pattern.search(text)
    start = max(0, (found.start() if found else 0) - width // 3)
    window = ("…" if start else "") + text[start : start + width] + ("…" if start + width < len(text) else "")
    out, last = [], 0
    for m in pattern.finditer(window):
        out += [str(escape(window[last : m.start()])), f"<mark>{escape(m.group())}</mark>"]
        last = m.end()
    return "".join(out) + str(escape(window[last:]))


# -- data functions (one per page) ---------------------------------------------------------------
@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    mode: str = "keyword"
    page: int = 1
    k: int = 20
    filters: SearchFilters = field(default_factory=SearchFilters)

    @classmethod
    def parse(cls, query: Mapping[str, str], default_mode: str, default_k: int) -> "SearchParams":
        mode = query.get("mode") or default_mode
        if mode not in MODES:
            raise InvalidInput(f"unknown search mode {mode!r}", hint=f"use one of {', '.join(MODES)}")
        text = {name: (query.get(name) or "").strip() or None for name in ("venue", "track", "session", "author")}
        code = {"1": True, "true": True, "0": False, "false": False}.get(query.get("has_code", "").lower())
        k = min(max(int_param(query, "k") or default_k, 1), MAX_K)
        page = max(int_param(query, "page") or 1, 1)
        if page * k > MAX_OFFSET:
            raise InvalidInput("that page is too deep", hint="narrow the query with a filter")
        filters = SearchFilters(
            venue=text["venue"], track=text["track"], session=text["session"], author=text["author"],
            year=int_param(query, "year"), year_from=int_param(query, "year_from"),
            year_to=int_param(query, "year_to"), has_code=code,
        )
        return cls((query.get("q") or "").strip()[:500], mode, page, k, filters)

    def as_query(self) -> dict[str, Any]:
        f = self.filters
        values = {"q": self.q, "mode": self.mode, "venue": f.venue, "year": f.year, "year_from": f.year_from,
                  "year_to": f.year_to, "track": f.track, "session": f.session, "author": f.author,
                  "has_code": None if f.has_code is None else int(f.has_code)}
        return {k: v for k, v in values.items() if v not in (None, "")}


def int_param(query: Mapping[str, str], name: str) -> int | None:
    """A whole-number parameter, or None when absent; InvalidInput (400) when it is not one."""
    value = (query.get(name) or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"-?\d{1,9}", value):
        raise InvalidInput(f"{name} must be a whole number, not {value[:40]!r}", hint=f"e.g. {name}=2023")
    return int(value)


def brief(p: Paper) -> dict[str, Any]:
    """What a list row shows of a paper."""
    url = p.links.get("forum") or p.links.get("site") or p.links.get("pdf")
    label = p.title or "[untitled] " + " ".join(latex_to_text(p.abstract).split()[:12]) + "…"
    return {"id": p.id, "title": p.title, "label": label, "authors": p.authors, "venue": p.venue, "year": p.year,
            "track": p.track, "session": p.session, "code_urls": p.code_urls, "url": url, "counters": p.counters}


def hit_dicts(catalog: Catalog, hits: list[Hit]) -> list[dict[str, Any]]:
    """The rows of a result list, with each paper's library state (one query per table)."""
    states = library.states(catalog, [h.id for h in hits])
    return [
        {**brief(h.paper), "score": round(h.score, 6), "snippet": h.snippet, "why": h.why,
         "preview": "" if h.snippet else latex_to_text(h.paper.abstract)[:300],
         "starred": states[h.id].starred, "tags": states[h.id].tags}
        for h in hits if h.paper is not None
    ]


def search_data(catalog: Catalog, params: SearchParams) -> dict[str, Any]:
    res = _search(catalog, params.q, mode=params.mode, k=params.k, offset=(params.page - 1) * params.k,
                  filters=params.filters)
    query = params.as_query()
    fields = sorted(res.facets, key=lambda f: (FACET_ORDER.index(f) if f in FACET_ORDER else 99, f))
    return {
        "query": params.q, "mode": res.mode, "params": query, "total": res.total, "took_ms": round(res.took_ms, 2),
        "page": params.page, "k": params.k, "pages": max(1, -(-res.total // params.k)),
        "hits": hit_dicts(catalog, res.hits),
        "facets": {f: facet_values(query, f, res.facets[f]) for f in fields},
        "notes": res.notes, "semantic_coverage": res.semantic_coverage,
    }


def facet_values(query: dict[str, Any], name: str, counts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Each value with its count, whether it is the active filter, and the link that toggles it."""
    rest = security.query_string({k: v for k, v in query.items() if k not in (name, "page")})
    current = str(query.get(name, "")).lower()
    prefix = "/?" + (rest + "&" if rest else "") + quote_plus(name) + "="
    out = []
    for value, count in counts:
        active = current == str(value).lower()
        out.append({"value": str(value), "count": count, "active": active,
                    "href": "/?" + rest if active else prefix + quote_plus(str(value))})
    return out


def has_math(text: str) -> bool:
    return bool(re.search(r"\$[^$]+\$|\\\(|\\\[", text))


def paper_data(catalog: Catalog, paper_id: str) -> dict[str, Any]:
    paper = catalog.get(paper_id)
    records = catalog.records_of(paper_id)
    state = library.state(catalog, paper_id)
    fields_from: dict[Any, list[str]] = {}
    for name, ref in paper.field_sources.items():
        fields_from.setdefault(ref, []).append(name)
    sources = [{"file": ref.file, "format": ref.format, "record_id": ref.record_id, "line": ref.line,
                "fields": sorted(fields_from.get(ref, [])), "title": rec.title, "venue": rec.venue,
                "year": rec.year, "track": rec.track, "session": rec.session, "counters": rec.counters}
               for ref, rec in records]
    lists = [{"id": lst.id, "name": lst.name, "has": paper_id in lst.paper_ids} for lst in library.reading_lists(catalog)]
    return {"paper": paper_to_dict(paper), "sources": sources, "bibtex": export.bibtex_entry(paper),
            "has_math": has_math(paper.title + " " + paper.abstract), "library": state.to_dict(),
            "lists": lists, "related_url": f"/api/paper/{paper_id}/related"}


def related_data(catalog: Catalog, paper_id: str, k: int = 10) -> dict[str, Any]:
    paper = catalog.get(paper_id)
    return {"paper_id": paper_id, "title": paper.title, "hits": hit_dicts(catalog, _related(catalog, paper_id, k))}


_CACHE: "weakref.WeakKeyDictionary[Catalog, dict[Any, tuple[int, Any]]]" = weakref.WeakKeyDictionary()


def cached(catalog: Catalog, key: Any, fn: Callable[[], Any]) -> Any:
    """``fn()``, computed again only after the catalog's papers change (whole-catalog aggregates
    such as the venue table cost a full scan)."""
    seq = catalog.last_change()
    memo = _CACHE.setdefault(catalog, {})
    if key not in memo or memo[key][0] != seq:
        memo[key] = (seq, fn())
    return memo[key][1]


def venues_data(catalog: Catalog) -> dict[str, Any]:
    return {"venues": cached(catalog, "venues", lambda: browse.venue_years(catalog))}


def present(records: int, claimed: int | None) -> str | None:
    return None if claimed is None else f"{records} of {claimed} present"


def venue_data(catalog: Catalog, venue: str | None, year: int | None) -> dict[str, Any]:
    rows = browse.venue_tracks(catalog, venue, year)
    if not rows:
        raise NotFound(f"no papers of {venue or 'an unknown venue'} {year or ''}".strip(), hint="see /venues")
    tracks: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        t = tracks.setdefault(row["track"], {"track": row["track"], "papers": 0, "sessions": []})
        t["papers"] += row["papers"]
        t["sessions"].append({"session": row["session"], "papers": row["papers"]})
    sources = [{**s, "present": present(s["records"], s["claimed_total"])} for s in browse.venue_sources(catalog, venue, year)]
    return {"venue": venue, "year": year, "papers": sum(t["papers"] for t in tracks.values()),
            "tracks": list(tracks.values()), "sources": sources}


EXPORT_FORMATS = ("bibtex", "csl", "csv", "markdown", "jsonl")


def export_links(**which: Any) -> dict[str, str]:
    return {fmt: "/api/library/export?" + security.query_string({"format": fmt, **which}) for fmt in EXPORT_FORMATS}


def library_data(catalog: Catalog) -> dict[str, Any]:
    lib = library.library(catalog)
    papers = {pid: brief(p) for pid, p in lib.papers.items()}

    def pick(ids: list[str]) -> list[dict[str, Any]]:
        return [papers[i] for i in ids if i in papers]

    return {
        "starred": pick(lib.starred), "exports": export_links(starred=1),
        "tags": [{"tag": t, "count": n, "papers": pick(lib.tagged[t]), "exports": export_links(tag=t)} for t, n in lib.tags],
        "notes": [{"paper": papers.get(n.paper_id, {"id": n.paper_id, "label": n.paper_id}), "body": n.body, "updated_at": n.updated_at}
                  for n in lib.notes],
        "lists": [{"id": lst.id, "name": lst.name, "created_at": lst.created_at, "papers": pick(lst.paper_ids),
                   "exports": export_links(list=lst.id)} for lst in lib.lists],
    }


def formats_data(catalog: Catalog) -> dict[str, Any]:
    return {"formats": {name: p.DESCRIPTION for name, p in sorted(registry.parsers().items())}}


@dataclass
class IngestInput:
    name: str
    data: bytes
    format: str | None = None
    overrides: Overrides = field(default_factory=Overrides)


def ingest_data(catalog: Catalog, given: IngestInput) -> dict[str, Any]:
    """Store one pasted text or uploaded file; the report says what was found (never raises for
    a bad file: the report carries the error)."""
    try:
        source = Source.from_bytes(given.name, given.data)
        report = ingest_source(catalog, source, format=given.format, overrides=given.overrides, label=f"web:{given.name}")
    except ParseError as exc:
        report = FileReport(path=given.name, error=f"{exc.where()}: {exc.message}", hint=exc.hint)
    if report.ok:
        warm_up(catalog)
    return {"ok": report.ok, "report": report.to_dict(), "papers_in_catalog": catalog.count()}


async def read_ingest(request: Request) -> IngestInput:
    """The pasted text or uploaded file of a form or JSON body, with the user's overrides; only
    once the request may write (``security.check_write``)."""
    limit = request.app.state.settings.max_upload_bytes
    if request.headers.get("content-type", "").startswith("application/json"):
        values, form = await json_body(request), None
    else:
        form = await request.form(max_files=1, max_fields=20, max_part_size=limit)
        values = dict(form.items())
    security.check_write(request, form)
    upload = values.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        name, data = PurePath(upload.filename.replace("\\", "/")).name or "upload", await upload.read()
    else:
        text = str(values.get("text") or "")
        if not text.strip():
            raise InvalidInput("nothing to import", hint="paste the listing text or choose a file")
        data = text.replace("\r\n", "\n").encode()
        name = str(values.get("name") or "").strip() or f"pasted-{hashlib.sha256(data).hexdigest()[:10]}.txt"
    fmt = str(values.get("format") or "") or None
    if fmt is not None and fmt not in registry.parsers():
        raise InvalidInput(f"unknown format {fmt!r}", hint="see /api/formats")
    year = int_param({"year": str(values.get("year") or "")}, "year")
    over = Overrides(**{k: (str(values.get(k) or "").strip() or None) for k in ("venue", "track", "session")}, year=year)
    return IngestInput(PurePath(name).name[:200], data, fmt, over)


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise InvalidInput("the body is not valid JSON", hint="send a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", hint='e.g. {"tag": "to-read"}')
    return body


# -- HTML endpoints -----------------------------------------------------------------------------
async def search_page(request: Request) -> Response:
    s = request.app.state.settings
    params = SearchParams.parse(request.query_params, s.search_mode, s.page_size)
    data = await core(request, search_data, params)
    return html(request, "search.html", data, api="/api/search?" + security.query_string(params.as_query()))


async def paper_page(request: Request) -> Response:
    pid = request.path_params["id"]
    return html(request, "paper.html", await core(request, paper_data, pid), api=f"/api/paper/{pid}")


async def related_page(request: Request) -> Response:
    pid = request.path_params["id"]
    return html(request, "related.html", await core(request, related_data, pid), api=f"/api/paper/{pid}/related")


async def venues_page(request: Request) -> Response:
    return html(request, "venues.html", await core(request, venues_data), api="/api/venues")


def venue_args(request: Request) -> tuple[str | None, int | None]:
    """``/venue/ICLR/2023``; ``-`` stands for an unknown venue or year."""
    venue, year = request.path_params["venue"], request.path_params["year"]
    if year != "-" and not year.isdigit():
        raise InvalidInput(f"the year must be a number or '-', not {year[:20]!r}", hint="e.g. /venue/ICLR/2023")
    return (None if venue == "-" else venue), (None if year == "-" else int(year))


async def venue_page(request: Request) -> Response:
    data = await core(request, venue_data, *venue_args(request))
    return html(request, "venue.html", data, api="/api" + request.url.path)


async def library_page(request: Request) -> Response:
    return html(request, "library.html", await core(request, library_data), api="/api/library")


async def import_page(request: Request) -> Response:
    return html(request, "import.html", {**await core(request, formats_data), "result": None}, api="/api/formats")


async def import_post(request: Request) -> Response:
    given = await read_ingest(request)
    s = request.app.state.settings
    result = await core(request, ingest_data, given, write=True, budget=s.ingest_budget_s)
    data = {**await core(request, formats_data), "result": result}
    return html(request, "import.html", data, api="/api/formats", status=200 if result["ok"] else 400)


async def docs_page(request: Request) -> Response:
    from .api import openapi

    return html(request, "api.html", openapi(request.app.state.endpoints), api="/api/openapi.json")
