"""The Sources, Watches and Trending pages, their JSON, and the Atom feeds' routes (``ENDPOINTS``,
joined to ``api.ENDPOINTS``).

Writes (add a source, sync now, mark seen) take the CSRF token like every other write; in
``serve --shared`` they need the token, and a source added through the web is fetched under the
shared-server address guard (``services.sources.add_source(shared=True)``; a refused URL is 400).
"Sync now" runs in the imports lane (``heavy``) with the ingest time budget.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..app import Atlas
from ..errors import InvalidInput
from ..services import digest as digest_svc
from ..services import watches as watch_svc
from . import feeds, security
from .api import Endpoint
from .pages import core, html
from .params import int_param

TRENDING_K = 50


# -- data ------------------------------------------------------------------------------------------
def watches_data(atlas: Atlas, base: str, only: str | None = None) -> dict[str, Any]:
    """Every watch with its items not seen yet (new since your last visit)."""
    out = []
    for w in watch_svc.list_watches(atlas):
        if only and w.name != only:
            continue
        d = digest_svc.digest(atlas, w.name, None, base, limit=200)
        unseen = [i.to_dict() for i in d.items if i.item.seen_at is None]
        out.append({"name": w.name, "kind": w.kind, "what": watch_svc.describe(w), "unseen": len(unseen),
                    "checked_at": w.checked_at, "error": w.error, "items": unseen,
                    "feed": f"/feeds/watch/{quote(w.name, safe='')}.atom"})
    if only and not out:
        watch_svc.get_watch(atlas, only)  # NotFound naming the fix
    return {"watches": out, "follows": [{"name": n, "since": c} for n, c in watch_svc.follows(atlas)]}


def mark_seen(atlas: Atlas, name: str) -> dict[str, Any]:
    return {"watch": name, "marked": watch_svc.mark_seen(atlas, name)}


def sources_data(atlas: Atlas) -> dict[str, Any]:
    from ..services import sources as src

    out = []
    for info in src.list_sources(atlas):
        runs = atlas.store.sources.runs(info.name, 5)
        out.append({"name": info.name, "kind": info.kind, "what": src.describe(info), "items": info.items,
                    "last_sync": None if info.last_run is None else {
                        "status": info.last_run.status, "started_at": info.last_run.started_at,
                        "finished_at": info.last_run.finished_at, "counts": info.last_run.counts, "error": info.last_run.error},
                    "errors": [{"at": r.started_at, "error": r.error} for r in runs if r.error]})
    kinds = [{"kind": c.kind, "description": c.description, "options": c.options} for c in src.connectors()]
    return {"sources": out, "kinds": kinds}


def add_source(atlas: Atlas, kind: str, name: str | None, options: dict[str, Any], shared: bool) -> dict[str, Any]:
    from ..services import sources as src

    info = src.add_source(atlas, kind, name, shared=shared, **options)
    return {"name": info.name, "kind": info.kind, "what": src.describe(info)}


def sync_now(atlas: Atlas, name: str | None, shared: bool) -> dict[str, Any]:
    from ..services import sources as src

    reports = src.sync(atlas, name, shared=shared, secrets={"s2_api_key": atlas.settings.s2_api_key})
    return {"sources": [r.to_dict() for r in reports]}


def trending_data(atlas: Atlas, days: int, venue: str | None, k: int) -> dict[str, Any]:
    found = watch_svc.trending_papers(atlas, days, venue, k)
    return {"days": days, "venue": venue, "papers": [
        {"id": p.id, "title": p.title, "authors": p.authors, "venue": p.venue, "year": p.year, "counter": r.counter,
         "value": r.value, "rise": r.rise, "score": round(r.score, 3), "unusual": r.score >= 3.5} for r, p in found]}


# -- requests --------------------------------------------------------------------------------------
def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _body(request: Request) -> tuple[dict[str, Any], FormData | None]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting overflows the decoder's recursion
            raise InvalidInput("the body is not valid JSON", hint="send a JSON object") from None
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object", hint='e.g. {"kind": "arxiv", "value": "cs.LG"}')
        return body, None
    if request.headers.get("content-type", ""):
        form = await request.form(max_files=0, max_fields=30)
        return dict(form.items()), form
    return {}, None


def _answer(request: Request, body: dict[str, Any], form: FormData | None, result: Any, default: str) -> Response:
    if form is not None and "application/json" not in request.headers.get("accept", ""):
        return RedirectResponse(security.safe_next(str(body.get("next") or default)), status_code=303)
    return JSONResponse(result)


def _trending_args(request: Request) -> tuple[int, str | None, int]:
    q = request.query_params
    given = int_param(q, "days")
    days = watch_svc.TREND_DAYS if given is None else given
    k = min(max(int_param(q, "k") or TRENDING_K, 1), 200)
    return days, (q.get("venue") or "").strip() or None, k


async def watches_page(request: Request) -> Response:
    return html(request, "watches.html", await core(request, watches_data, _base(request)), api="/api/watches")


async def watches_api(request: Request) -> Response:
    return JSONResponse(await core(request, watches_data, _base(request), request.query_params.get("name") or None))


async def seen_post(request: Request) -> Response:
    body, form = await _body(request)
    security.check_write(request, form)
    result = await core(request, mark_seen, str(request.path_params["name"]), write=True)
    return _answer(request, body, form, result, "/watches")


async def sources_page(request: Request) -> Response:
    return html(request, "sources.html", await core(request, sources_data), api="/api/sources")


async def sources_api(request: Request) -> Response:
    return JSONResponse(await core(request, sources_data))


def _options(body: dict[str, Any]) -> dict[str, Any]:
    """The connector's options from a form: the main option (``value``), ``base_url``, and
    ``options`` as KEY=VALUE lines; a JSON body may give ``options`` as an object."""
    from ..sources.base import kinds

    kind = str(body.get("kind") or "")
    if kind not in kinds():
        raise InvalidInput(f"unknown source kind {kind!r}", hint=f"choose one of {', '.join(sorted(kinds()))}")
    given = body.get("options") or {}
    if isinstance(given, str):
        pairs = {}
        for line in given.splitlines():
            if line.strip():
                key, sep, value = line.partition("=")
                if not sep or not key.strip():
                    raise InvalidInput(f"option line {line.strip()[:60]!r} is not KEY=VALUE", hint="e.g. page_size=50")
                pairs[key.strip().replace("-", "_")] = value.strip()
        given = pairs
    if not isinstance(given, dict):
        raise InvalidInput("options must be an object or KEY=VALUE lines", hint='e.g. {"page_size": 50}')
    main = kinds()[kind].MAIN
    if main and str(body.get("value") or "").strip():
        given[main] = str(body["value"]).strip()
    if str(body.get("base_url") or "").strip():
        given["base_url"] = str(body["base_url"]).strip()
    return given


async def sources_post(request: Request) -> Response:
    body, form = await _body(request)
    security.check_write(request, form)
    shared = request.app.state.settings.shared
    result = await core(request, add_source, str(body.get("kind") or ""), str(body.get("name") or "").strip() or None,
                        _options(body), shared, write=True)
    return _answer(request, body, form, result, "/sources")


async def sync_post(request: Request) -> Response:
    body, form = await _body(request)
    security.check_write(request, form)
    s = request.app.state.settings
    name = request.path_params.get("name")
    result = await core(request, sync_now, name, s.shared, write=True, heavy=True, budget=s.ingest_budget_s)
    return _answer(request, body, form, result, "/sources")


async def trending_page(request: Request) -> Response:
    days, venue, k = _trending_args(request)
    data = await core(request, trending_data, days, venue, k)
    return html(request, "trending.html", data, api="/api/trending?" + security.query_string(
        {"days": str(days), **({"venue": venue} if venue else {})}))


async def trending_api(request: Request) -> Response:
    return JSONResponse(await core(request, trending_data, *_trending_args(request)))


NAME = (("name", "path", "the watch's name"),)
WRITE = (("_csrf", "body", "CSRF token (or the X-CSRF-Token header)"), ("next", "body", "form posts: where to go back"))
TRENDING = (("days", "query", "the window in days (default 7)"), ("venue", "query", "only this venue"),
            ("k", "query", "how many (at most 200)"))
ENDPOINTS = (
    Endpoint("GET", "/watches", watches_page, "Watches: what each reported since your last visit, mark seen, feeds", (),
             "text/html", "/api/watches"),
    Endpoint("POST", "/watches/{name}/seen", seen_post, "Mark every item of a watch seen", (*NAME, *WRITE)),
    Endpoint("GET", "/sources", sources_page, "Sources: what each fetches, last sync, errors; add one, sync now", (),
             "text/html", "/api/sources"),
    Endpoint("POST", "/sources", sources_post, "Add a source (shared servers: public addresses only)",
             (("kind", "body", "arxiv | arxiv-rss | openreview | hf-daily | paperscool | s2 | url"),
              ("name", "body", "its name"), ("value", "body", "the kind's main option (category, venue, feed, url, ...)"),
              ("base_url", "body", "a mirror or proxy"), ("options", "body", "other options: KEY=VALUE lines"), *WRITE)),
    Endpoint("POST", "/sources/sync", sync_post, "Sync every source now (in the imports lane)", WRITE),
    Endpoint("POST", "/sources/{name}/sync", sync_post, "Sync one source now (in the imports lane)",
             (("name", "path", "the source"), *WRITE)),
    Endpoint("GET", "/trending", trending_page, "Rising this week: papers whose counters rose the most unusually", TRENDING,
             "text/html", "/api/trending"),
    Endpoint("GET", "/api/watches", watches_api, "Watches with their unseen items (typed reasons, links)",
             (("name", "query", "only this watch"),)),
    Endpoint("POST", "/api/watches/{name}/seen", seen_post, "Mark every item of a watch seen", (*NAME, *WRITE)),
    Endpoint("GET", "/api/sources", sources_api, "Sources, their last sync and errors, and the connectors"),
    Endpoint("GET", "/api/trending", trending_api, "Papers by rise over the last days (modified z-score within each counter)",
             TRENDING),
    Endpoint("GET", "/feeds/watch/{name}", feeds.watch_feed_page, "Atom feed of a watch (/feeds/watch/NAME.atom)", NAME,
             feeds.ATOM),
    Endpoint("GET", "/feeds/list/{list_id}", feeds.list_feed_page, "Atom feed of a reading list (/feeds/list/ID.atom)",
             (("list_id", "path", "ID.atom"),), feeds.ATOM),
    Endpoint("GET", "/feeds/tag/{tag}", feeds.tag_feed_page, "Atom feed of a tag (/feeds/tag/TAG.atom)",
             (("tag", "path", "TAG.atom"),), feeds.ATOM),
    Endpoint("GET", "/feeds/venue/{venue:path}/{year}", feeds.venue_feed_page, "Atom feed of a venue and year (V/Y.atom)",
             (("venue", "path", "the venue"), ("year", "path", "Y.atom ('-.atom': unknown year)")), feeds.ATOM),
)
