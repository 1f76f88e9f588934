"""The JSON API: every page's data at /api/…, the library's writes, batch search, ingest, exports;
and the route table of the whole app (pages and API) as data, from which both the router and the
OpenAPI document are built (so the description lists every route). Errors are
``{"error": {"status", "message", "hint"}}``.

Writes need the CSRF token and a same-origin request, or ``Authorization: Bearer <token>``
(see ``security.py``). HTML forms post to the same URLs with ``_csrf`` (and ``_method=DELETE``
for removals) and are redirected back to ``next``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..app import Atlas
from ..errors import InvalidInput, NotFound
from ..filters import Filters
from ..search import search_batch
from ..services import library
from . import author_views, pages, security, views
from .pages import Handler, core, search_params
from .params import MAX_K, RecommendParams, SearchParams, author_name, int_param, json_body, read_ingest, text_field, venue_args

MAX_BATCH = 100
MEDIA = {
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "csl": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "markdown": ("text/markdown; charset=utf-8", "md"),
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
}
BATCH_HINT = '{"queries": [{"qid": 1, "query": "…"}], "mode": "auto", "k": 20, "filters": {"venue": "ICLR"}}'


# -- reads: the pages' data ------------------------------------------------------------------
async def search_api(request: Request) -> Response:
    return JSONResponse(await core(request, views.search_data, search_params(request)))


async def paper_api(request: Request) -> Response:
    return JSONResponse(await core(request, views.paper_data, request.path_params["id"]))


async def related_api(request: Request) -> Response:
    k = min(max(int_param(request.query_params, "k") or views.RELATED_K, 1), 50)
    return JSONResponse(await core(request, views.related_data, request.path_params["id"], k))


async def venues_api(request: Request) -> Response:
    return JSONResponse(await core(request, views.venues_data))


async def venue_api(request: Request) -> Response:
    return JSONResponse(await core(request, views.venue_data, *venue_args(request), pages.venue_params(request)))


async def author_api(request: Request) -> Response:
    return JSONResponse(await core(request, author_views.author_data, author_name(request)))


async def library_api(request: Request) -> Response:
    return JSONResponse(await core(request, views.library_data))


async def lists_api(request: Request) -> Response:
    return JSONResponse({"lists": (await core(request, views.library_data))["lists"]})


async def recommend_api(request: Request) -> Response:
    return JSONResponse(await core(request, views.foryou_data, RecommendParams.parse(request.query_params)))


async def profiles_api(request: Request) -> Response:
    return JSONResponse(await core(request, views.profiles_data))


async def formats_api(request: Request) -> Response:
    return JSONResponse(await core(request, views.formats_data))


async def openapi_api(request: Request) -> Response:
    return JSONResponse(openapi(request.app.state.endpoints))


def batch_data(atlas: Atlas, queries: list[dict[str, Any]], params: SearchParams) -> dict[str, Any]:
    """The same batch search as ``paperatlas search --batch`` (``search.search_batch``)."""
    results = list(search_batch(atlas, queries, mode=params.mode, k=params.k, filters=params.filters))
    for result in results:
        result["hits"] = views.card_rows(atlas, result["hits"])
    return {"mode": params.mode, "k": params.k, "results": results}


async def batch_api(request: Request) -> Response:
    """A read: no CSRF token, but only a JSON body (which a cross-site form cannot send)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise InvalidInput("send the queries as JSON", hint="Content-Type: application/json; " + BATCH_HINT)
    body = await json_body(request)
    queries = body.get("queries")
    if not isinstance(queries, list) or not all(isinstance(q, dict) for q in queries) or len(queries) > MAX_BATCH:
        raise InvalidInput(f"queries must be a list of at most {MAX_BATCH} objects", hint=BATCH_HINT)
    raw_filters = body.get("filters") or {}
    if not isinstance(raw_filters, dict):
        raise InvalidInput("filters must be a JSON object", hint=BATCH_HINT)
    s = request.app.state.settings
    k = s.page_size if body.get("k") is None else body.get("k")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be a whole number from 1 to {MAX_K}", hint=BATCH_HINT)
    mode = str(body.get("mode") or s.search_mode)
    params = SearchParams.parse({"mode": mode}, s.search_mode, k)
    params = SearchParams(mode=params.mode, k=k, filters=Filters.from_mapping(raw_filters))
    return JSONResponse(await core(request, batch_data, queries, params, budget=s.time_budget_s * 6))


def export_text(atlas: Atlas, fmt: str, which: dict[str, Any]) -> tuple[str, str]:
    buf = io.StringIO()
    library.export_selection(atlas, buf, fmt, **which)
    return buf.getvalue(), library.selection_title(atlas, **which)


async def export_api(request: Request) -> Response:
    q = request.query_params
    fmt = q.get("format", "bibtex")
    if fmt not in views.EXPORT_FORMATS:
        raise InvalidInput(f"unknown export format {fmt!r}", hint=f"use one of {', '.join(views.EXPORT_FORMATS)}")
    if q.get("list"):
        which: dict[str, Any] = {"list_id": int_param(q, "list")}
    else:
        which = {"tag": q["tag"]} if q.get("tag") else {"starred": True}
    text, title = await core(request, export_text, fmt, which)
    media, ext = MEDIA[fmt]
    name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "papers"
    return Response(text, media_type=media, headers={"content-disposition": f'attachment; filename="{name}.{ext}"'})


async def ingest_api(request: Request) -> Response:
    """Store in one step; with ``preview=1`` read and return the first records, storing nothing.
    A ``key`` (a preview's) makes the store conditional: if the text no longer reads as that
    preview did, nothing is stored and the new preview comes back with 409."""
    given = await read_ingest(request)
    budget = request.app.state.settings.ingest_budget_s
    if given.preview:
        result = await core(request, views.ingest_preview_data, given, heavy=True, budget=budget)
    else:
        result = await core(request, views.ingest_data, given, write=True, heavy=True, budget=budget)
    report = result["report"]
    report["hint"] = views.web_hint(report.get("hint"), api=True)
    if result.get("changed"):
        error = {"status": 409, "message": "the text, format or options are not the ones previewed: nothing was stored",
                 "hint": "check the new preview and send its key"}
        return JSONResponse({"error": error, **result}, status_code=409)
    if result["ok"]:
        return JSONResponse(result)
    error = {"status": 400, "message": report["error"], "hint": report["hint"] or ""}
    return JSONResponse({"error": error, **result}, status_code=400)


# -- writes: the library -----------------------------------------------------------------------
Action = Callable[[Request, dict[str, Any]], tuple[Callable[..., Any], tuple[Any, ...]]]


async def payload(request: Request) -> tuple[dict[str, Any], FormData | None]:
    if request.headers.get("content-type", "").startswith("application/json"):
        return await json_body(request), None
    if request.headers.get("content-type", ""):
        form = await request.form(max_files=0, max_fields=20)
        return dict(form.items()), form
    return {}, None


def write(action: Action, removal: Action | None = None) -> Handler:
    """A write endpoint: check who may write, pick the core call (``_method=DELETE`` picks the
    removal, for HTML forms), run it as the one writer, answer JSON or redirect a form back."""

    async def handler(request: Request) -> Response:
        body, form = await payload(request)
        security.check_write(request, form)
        removing = removal is not None and str(body.get("_method", "")).upper() == "DELETE"
        fn, args = (removal if removing and removal else action)(request, body)
        result = await core(request, fn, *args, write=True)
        if form is not None and "application/json" not in request.headers.get("accept", ""):
            return RedirectResponse(security.safe_next(str(body.get("next") or "")), status_code=303)
        return JSONResponse(as_json(result))

    return handler


def as_json(result: Any) -> Any:
    if result is None:
        return {"ok": True}
    return asdict(result) if is_dataclass(result) and not isinstance(result, type) else result


def pid(request: Request) -> str:
    return str(request.path_params["id"])


MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer: a bigger id names no list


def list_id(request: Request) -> int:
    value = int(request.path_params["list_id"])
    if value > MAX_ROW_ID:
        raise NotFound(f"no reading list with id {str(value)[:30]}", hint="GET /api/library/lists lists them")
    return value


def create_list(atlas: Atlas, name: str, paper_id: str | None) -> library.ReadingList:
    """A new list, holding ``paper_id`` when given (checked before anything is created)."""
    return library.create_list(atlas, name, [paper_id] if paper_id else [])


star = write(lambda r, b: (library.star, (pid(r),)), lambda r, b: (library.unstar, (pid(r),)))
unstar = write(lambda r, b: (library.unstar, (pid(r),)))
add_tag = write(lambda r, b: (library.add_tag, (pid(r), text_field(b, "tag"))),
                lambda r, b: (library.remove_tag, (pid(r), text_field(b, "tag"))))
remove_tag = write(lambda r, b: (library.remove_tag, (pid(r), str(r.path_params["tag"]))))
set_note = write(lambda r, b: (library.set_note, (pid(r), text_field(b, "body"))),
                 lambda r, b: (library.set_note, (pid(r), "")))
delete_note = write(lambda r, b: (library.set_note, (pid(r), "")))
new_list = write(lambda r, b: (create_list, (text_field(b, "name"), str(b.get("paper_id") or "") or None)))
rename_list = write(lambda r, b: (library.rename_list, (list_id(r), text_field(b, "name"))),
                    lambda r, b: (library.delete_list, (list_id(r),)))
delete_list = write(lambda r, b: (library.delete_list, (list_id(r),)))
add_item = write(lambda r, b: (library.add_to_list, (list_id(r), text_field(b, "paper_id"))),
                 lambda r, b: (library.remove_from_list, (list_id(r), text_field(b, "paper_id"))))
not_interested = write(lambda r, b: (views.not_interested, (text_field(b, "profile"), pid(r), False)),
                       lambda r, b: (views.not_interested, (text_field(b, "profile"), pid(r), True)))
undo_not_interested = write(lambda r, b: (views.not_interested, (str(r.query_params.get("profile") or "starred"), pid(r), True)))
remove_item = write(lambda r, b: (library.remove_from_list, (list_id(r), pid(r))))


# -- the route table (pages and API) and its OpenAPI description --------------------------------
@dataclass(frozen=True)
class Endpoint:
    """One route, as data: the router and the OpenAPI description are both built from these."""

    method: str
    path: str
    handler: Handler
    summary: str
    params: tuple[tuple[str, str, str], ...] = ()  # (name, "query" | "path" | "body", description)
    returns: str = "application/json"
    data: str | None = None  # for an HTML page: the JSON URL serving the same data

    def route(self) -> Route:
        return Route(self.path, self.handler, methods=[self.method])


SEARCH_PARAMS = (
    ("q", "query", "words to find (empty: everything, filtered)"),
    ("mode", "query", "auto | keyword | hybrid | semantic (auto: hybrid once the catalog is embedded)"),
    ("venue", "query", "only this venue"), ("year", "query", "only this year"),
    ("year_from", "query", "from this year"), ("year_to", "query", "up to this year"),
    ("track", "query", "only this track (Poster, Oral, …)"), ("session", "query", "only this session"),
    ("author", "query", "an author name contains this"), ("has_code", "query", "1: only papers with code"),
    ("topic", "query", "only papers of this topic of the stored topic maps (a label, one phrase of it, or #ID)"),
    ("page", "query", "1-based page"), ("k", "query", f"results per page (at most {MAX_K})"),
)
ID = (("id", "path", "paper id"),)

RECOMMEND_PARAMS = (
    ("profile", "query", "starred | tag:NAME | list:NAME (default starred)"),
    ("venue", "query", "only this venue"), ("year", "query", "only this year"),
    ("year_from", "query", "from this year"), ("year_to", "query", "up to this year"),
    ("track", "query", "only this track"), ("session", "query", "only this session"),
    ("author", "query", "only papers by an author with these name words"), ("has_code", "query", "1: only papers with code"),
    ("since_days", "query", "only papers added within this many days"), ("authors", "query", "0: do not use authors as a signal"),
    ("k", "query", f"how many (at most {MAX_K})"),
)

VENUE_PARAMS = (
    ("venue", "path", "venue ('-': unknown)"), ("year", "path", "year ('-': unknown)"),
    ("q", "query", "words: rank the list by relevance to them, or narrow it to their matches"),
    ("sort", "query", "relevance | track | title | counter:NAME (a popularity counter the venue's papers carry)"),
    ("track", "query", "only this track"), ("session", "query", "only this session"),
    ("has_code", "query", "1: only papers with code"), ("page", "query", "1-based page"), ("k", "query", f"papers per page (at most {MAX_K})"),
)
AUTHOR = (("name", "path", "the author's name (accents, case and word order do not matter)"),)

PAGES = (
    Endpoint("GET", "/", pages.search_page, "Search page: results with snippets, facets with counts", SEARCH_PARAMS, "text/html", "/api/search"),
    Endpoint("GET", "/paper/{id}", pages.paper_page, "Paper page: abstract, sources, code, counters, BibTeX, library", ID, "text/html", "/api/paper/{id}"),
    Endpoint("GET", "/paper/{id}/related", pages.related_page, "Related papers", ID, "text/html", "/api/paper/{id}/related"),
    Endpoint("GET", "/venues", pages.venues_page, "Venues and years with paper counts", (), "text/html", "/api/venues"),
    Endpoint("GET", "/venue/{venue:path}/{year}", pages.venue_page, "One venue and year: tracks, sessions, per-source coverage, its papers sorted and filtered",
             VENUE_PARAMS, "text/html", "/api/venue/{venue}/{year}"),
    Endpoint("GET", "/author/{name:path}", pages.author_page, "An author: papers in the catalog (newest first), co-authors, venues",
             AUTHOR, "text/html", "/api/author/{name}"),
    Endpoint("GET", "/for-you", pages.foryou_page, "For you: a profile's recommendations, each with why", RECOMMEND_PARAMS, "text/html", "/api/recommend"),
    Endpoint("GET", "/library", pages.library_page, "Starred papers, tags, notes, reading lists, exports", (), "text/html", "/api/library"),
    Endpoint("GET", "/import", pages.import_page, "Import form: paste a listing or upload a file", (), "text/html", "/api/formats"),
    Endpoint("POST", "/import", pages.import_post, "Import pasted text or a file in two steps: a preview of the detected format and first records, then store",
             (("text", "body", "pasted listing text"), ("file", "body", "or an uploaded file"),
              ("name", "body", "a name for pasted text"), ("format", "body", "skip detection"),
              ("venue", "body", "venue override"), ("year", "body", "year override"), ("track", "body", "track override"),
              ("session", "body", "session override"), ("skip_bad", "body", "1: store the good records, warn about damaged ones"),
              ("step", "body", "preview (the default) | store"), ("key", "body", "store: the preview's key"),
              ("_csrf", "body", "CSRF token")), "text/html", "/api/ingest"),
    Endpoint("GET", "/api", pages.docs_page, "This API, described (the OpenAPI document as a page)", (), "text/html", "/api/openapi.json"),
)
WRITE = (("_csrf", "body", "CSRF token (or the X-CSRF-Token header)"), ("next", "body", "form posts: where to go back"))
LIST = (("list_id", "path", "reading list id"),)
API = (
    Endpoint("GET", "/api/search", search_api, "Search: hits (id, title, snippet, why, starred), total, facets with counts", SEARCH_PARAMS),
    Endpoint("POST", "/api/search/batch", batch_api, "Many searches in one call (JSON body; no CSRF needed: it changes nothing)",
             (("queries", "body", "[{qid, query}], at most 100"), ("mode", "body", "auto | keyword | hybrid | semantic"),
              ("k", "body", "hits per query"), ("filters", "body", "{venue, year, track, …}"))),
    Endpoint("GET", "/api/paper/{id}", paper_api, "A paper: every field, sources with the fields each supplied, BibTeX, library state", ID),
    Endpoint("GET", "/api/paper/{id}/related", related_api, "Related papers", (*ID, ("k", "query", "how many (at most 50)"))),
    Endpoint("GET", "/api/venues", venues_api, "Venues and years with counts of papers, tracks, sessions"),
    Endpoint("GET", "/api/venue/{venue:path}/{year}", venue_api, "Tracks and sessions of one venue/year, per-source coverage ('25 of 693 present'), a page of its papers",
             VENUE_PARAMS),
    Endpoint("GET", "/api/author/{name:path}", author_api, "An author's papers (newest first), co-authors and venues with counts; 404 names similar names", AUTHOR),
    Endpoint("GET", "/api/library", library_api, "Starred papers, tags, notes, reading lists, with export links"),
    Endpoint("GET", "/api/library/export", export_api, "Export starred papers, a tag or a list",
             (("format", "query", "bibtex | csl | csv | markdown | jsonl"), ("starred", "query", "1 (the default)"),
              ("tag", "query", "papers with this tag"), ("list", "query", "papers of this list id")), "text/plain"),
    Endpoint("POST", "/api/library/star/{id}", star, "Star a paper (forms: _method=DELETE unstars)", (*ID, *WRITE)),
    Endpoint("DELETE", "/api/library/star/{id}", unstar, "Unstar a paper", ID),
    Endpoint("POST", "/api/library/tags/{id}", add_tag, "Tag a paper (forms: _method=DELETE removes the tag)",
             (*ID, ("tag", "body", "the tag"), *WRITE)),
    Endpoint("DELETE", "/api/library/tags/{id}/{tag:path}", remove_tag, "Remove a tag", (*ID, ("tag", "path", "the tag"))),
    Endpoint("PUT", "/api/library/note/{id}", set_note, "Write a paper's note (empty deletes)", (*ID, ("body", "body", "the note"))),
    Endpoint("POST", "/api/library/note/{id}", set_note, "Write a paper's note (form posts)", (*ID, ("body", "body", "the note"), *WRITE)),
    Endpoint("DELETE", "/api/library/note/{id}", delete_note, "Delete a paper's note", ID),
    Endpoint("GET", "/api/library/lists", lists_api, "Reading lists with their papers"),
    Endpoint("POST", "/api/library/lists", new_list, "Create a reading list (optionally holding one paper)",
             (("name", "body", "list name"), ("paper_id", "body", "a first paper"), *WRITE)),
    Endpoint("PATCH", "/api/library/lists/{list_id:int}", rename_list, "Rename a list", (*LIST, ("name", "body", "new name"))),
    Endpoint("POST", "/api/library/lists/{list_id:int}", rename_list, "Rename a list (forms: _method=DELETE deletes it)",
             (*LIST, ("name", "body", "new name"), *WRITE)),
    Endpoint("DELETE", "/api/library/lists/{list_id:int}", delete_list, "Delete a list", LIST),
    Endpoint("POST", "/api/library/lists/{list_id:int}/items", add_item, "Add a paper to a list (forms: _method=DELETE removes)",
             (*LIST, ("paper_id", "body", "paper id"), *WRITE)),
    Endpoint("DELETE", "/api/library/lists/{list_id:int}/items/{id}", remove_item, "Remove a paper from a list", (*LIST, *ID)),
    Endpoint("GET", "/api/recommend", recommend_api, "A profile's recommendations: hits with why, kinds, closest library papers, terms", RECOMMEND_PARAMS),
    Endpoint("GET", "/api/recommend/profiles", profiles_api, "The profiles of the library (starred, each tag, each list) with their sizes"),
    Endpoint("POST", "/api/recommend/not-interested/{id}", not_interested, "Not interested in this paper, for one profile (forms: _method=DELETE undoes)",
             (*ID, ("profile", "body", "starred | tag:NAME | list:NAME"), *WRITE)),
    Endpoint("DELETE", "/api/recommend/not-interested/{id}", undo_not_interested, "Undo not interested",
             (*ID, ("profile", "query", "starred | tag:NAME | list:NAME"))),
    Endpoint("GET", "/api/formats", formats_api, "Input formats the importer detects"),
    Endpoint("POST", "/api/ingest", ingest_api, "Import pasted text or a file (multipart or JSON {text, name}); the ingest report, 400 if it failed; preview=1: the detected format and first records, nothing stored",
             (("text", "body", "pasted text"), ("file", "body", "uploaded file (multipart)"), ("name", "body", "name for pasted text"),
              ("format", "body", "skip detection"), ("venue", "body", "override"), ("year", "body", "override"),
              ("track", "body", "override"), ("session", "body", "override"),
              ("skip_bad", "body", "1: store the good records, warn about damaged ones"),
              ("preview", "query", "1: read and return the format and first records, store nothing (also a body field)"),
              ("key", "body", "a preview's key: store only if the text still reads as previewed (else 409 with the new preview)"),
              *WRITE)),
    Endpoint("GET", "/api/openapi.json", openapi_api, "This description (OpenAPI 3.1)"),
)

from .login_pages import ENDPOINTS as LOGIN_ENDPOINTS  # noqa: E402  (likewise: sign in and out)
from .map_pages import ENDPOINTS as MAP_ENDPOINTS  # noqa: E402  (map_pages builds on Endpoint, above)
from .plan_pages import ENDPOINTS as PLAN_ENDPOINTS  # noqa: E402  (likewise)
from .watch_pages import ENDPOINTS as WATCH_ENDPOINTS  # noqa: E402  (likewise: sources, watches, feeds)

ENDPOINTS = (*PAGES, *API, *MAP_ENDPOINTS, *PLAN_ENDPOINTS, *WATCH_ENDPOINTS, *LOGIN_ENDPOINTS)

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "status": {"type": "integer"}, "message": {"type": "string"}, "hint": {"type": "string"}}}},
}


def doc_path(path: str) -> str:
    """``/api/library/lists/{list_id:int}`` → ``/api/library/lists/{list_id}``."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def operation(e: Endpoint) -> dict[str, Any]:
    params = [{"name": n, "in": where, "required": where == "path", "description": d, "schema": {"type": "string"}}
              for n, where, d in e.params if where != "body"]
    op: dict[str, Any] = {
        "summary": e.summary, "operationId": e.method.lower() + re.sub(r"\W+", "_", doc_path(e.path)).rstrip("_"),
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {e.returns: {}}},
                      "default": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
    }
    body = {n: {"type": "string", "description": d} for n, where, d in e.params if where == "body"}
    if body:
        schema = {"type": "object", "properties": body}
        op["requestBody"] = {"content": {"application/json": {"schema": schema},
                                         "application/x-www-form-urlencoded": {"schema": schema}}}
    if e.method != "GET" and e.handler is not batch_api:
        op["security"] = [{"csrf": []}, {"bearer": []}]
    if e.data:
        op["x-data-url"] = e.data
    return op


def openapi(endpoints: tuple[Endpoint, ...]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        paths.setdefault(doc_path(e.path), {})[e.method.lower()] = operation(e)
    return {
        "openapi": "3.1.0",
        "info": {"title": "paperatlas", "version": "1", "description": (
            "Every HTML page has its data at a JSON URL (x-data-url). Writes need the CSRF token from the "
            "page's <meta name=csrf-token> in X-CSRF-Token plus a same-origin Origin, or a Bearer token.")},
        "paths": paths,
        "components": {"schemas": {"Error": ERROR}, "securitySchemes": {
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            "bearer": {"type": "http", "scheme": "bearer"}}},
    }
