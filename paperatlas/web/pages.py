"""The HTML pages: each parses its request, calls its data function (``views.py``) through the
runner, and renders a template. The route table (pages and API) is in ``api.py``.

Untrusted text (titles, abstracts, names, notes) only reaches templates through autoescaping;
the one pre-escaped field is the search snippet, re-sanitised by ``security.snippet_html``.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from .. import deadline
from ..errors import CatalogError, CatalogUnavailable, IndexBusy, InvalidInput, NotFound, PaperatlasError, ParseError
from ..normalize import latex_to_text
from . import auth, author_views, security, views
from .params import (
    IngestForm,
    IngestInput,
    RecommendParams,
    SearchParams,
    VenueListParams,
    author_name,
    ingest_form,
    ingest_input,
    read_ingest_body,
    venue_args,
)

log = logging.getLogger("paperatlas.web")
TEMPLATES = Path(__file__).parent / "templates"
Handler = Callable[[Request], Awaitable[Response]]
STATUS = ((NotFound, 404), (security.Denied, 403), (security.Busy, 503), (IndexBusy, 503), (deadline.Cancelled, 503),
          (ParseError, 400),
          (InvalidInput, 400), (security.Internal, 500), (CatalogUnavailable, 503), (CatalogError, 500),
          (PaperatlasError, 400))


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, auto_reload=False,  # templates ship with the package
    )
    env.filters.update(safe_url=security.safe_url, snippet=security.snippet_html, plain=latex_to_text,
                       author_url=author_views.author_url)
    env.globals.update(qs=security.query_string)
    return env


def html(request: Request, template: str, data: dict[str, Any], *, api: str | None = None, status: int = 200) -> HTMLResponse:
    state = request.app.state
    body = state.templates.get_template(template).render(
        data=data, csrf=security.csrf_token(request), can_write=security.can_write(request), api_url=api,
        who=auth.who(request), feed_q=auth.feed_query(request),
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        q=request.query_params.get("q", ""), shared=state.settings.shared,
    )
    return HTMLResponse(body, status_code=status)


def status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, ClientDisconnect):
        return 400
    for kind, status in STATUS:
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
    elif isinstance(exc, ClientDisconnect):  # the client went away mid-body: nobody reads the answer
        message, hint = "the request body did not arrive", "send it again"
    else:
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
        message, hint = "internal error", "the server log has the details"
    error = {"status": status, "message": message, "hint": hint}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": error}, status_code=status)
    return html(request, "error.html", {"error": error}, status=status)


async def core(request: Request, fn: Callable[..., Any], *args: Any, write: bool = False, heavy: bool = False,
               budget: float | None = None) -> Any:
    """Call a data function with the Atlas, in a worker thread, under the time budget; ``heavy``
    (imports): in the one-at-a-time imports lane, so reads keep their workers."""
    return await request.app.state.runner.call(fn, auth.atlas_for(request), *args, write=write, heavy=heavy, budget=budget)


def search_params(request: Request) -> SearchParams:
    s = request.app.state.settings
    return SearchParams.parse(request.query_params, s.search_mode, s.page_size)


async def search_page(request: Request) -> Response:
    params = search_params(request)
    data = await core(request, views.search_data, params)
    return html(request, "search.html", data, api="/api/search?" + security.query_string(params.as_query()))


async def paper_page(request: Request) -> Response:
    pid = request.path_params["id"]
    return html(request, "paper.html", await core(request, views.paper_data, pid), api=f"/api/paper/{pid}")


async def related_page(request: Request) -> Response:
    pid = request.path_params["id"]
    return html(request, "related.html", await core(request, views.related_data, pid), api=f"/api/paper/{pid}/related")


async def foryou_page(request: Request) -> Response:
    params = RecommendParams.parse(request.query_params)
    data = await core(request, views.foryou_data, params)
    return html(request, "foryou.html", data, api="/api/recommend?" + security.query_string(params.as_query()))


async def venues_page(request: Request) -> Response:
    return html(request, "venues.html", await core(request, views.venues_data), api="/api/venues")


def venue_params(request: Request) -> VenueListParams:
    s = request.app.state.settings
    return VenueListParams.parse(request.query_params, s.search_mode, s.page_size)


async def venue_page(request: Request) -> Response:
    params = venue_params(request)
    data = await core(request, views.venue_data, *venue_args(request), params)
    query = security.query_string(params.as_query())
    return html(request, "venue.html", data, api="/api" + data["path"] + ("?" + query if query else ""))


async def author_page(request: Request) -> Response:
    data = await core(request, author_views.author_data, author_name(request))
    return html(request, "author.html", data, api="/api" + author_views.author_url(data["query"]))


async def library_page(request: Request) -> Response:
    return html(request, "library.html", await core(request, views.library_data), api="/api/library")


async def import_page(request: Request) -> Response:
    return await _import_html(request, IngestForm(), None, None)


async def import_post(request: Request) -> Response:
    """The import form in two steps: ``step=preview`` (the default) reads the text and shows the
    format and the first records; ``step=store`` (the button "Store these N papers", which carries
    the preview's ``key``) stores it, or shows a new preview if the text or options changed. An
    uploaded file is kept for the second step (``PENDING_SECONDS``), since a browser cannot send
    it back. Whatever goes wrong, the page comes back with the text still in the form."""
    values, form = await read_ingest_body(request)
    shown = ingest_form(values)
    s = request.app.state.settings
    try:
        security.check_write(request, form)
        store = str(values.get("step") or "preview") == "store"
        given = await _import_input(request, values, shown)
        shown.file_name = shown.file_name or (given.name if given.uploaded else "")
        if store:
            result = await core(request, views.ingest_data, given, write=True, heavy=True, budget=s.ingest_budget_s)
        else:
            result = await core(request, views.ingest_preview_data, given, heavy=True, budget=s.ingest_budget_s)
        if given.uploaded and result["ok"]:
            if result["stored"]:
                _pending(request).pop(shown.key, None)
            else:
                _keep_upload(request, result["key"], given.name, given.data)
    except PaperatlasError as exc:
        error = {"status": status_of(exc), "message": exc.message, "hint": views.web_hint(exc.hint)}
        return await _import_html(request, shown, None, error)
    result["report"]["hint"] = views.web_hint(result["report"].get("hint"))
    if result["ok"] and not result["stored"]:
        shown.key = result["key"]
    if result["ok"] and result["stored"]:
        shown = IngestForm()  # stored: the form is ready for the next listing
    return await _import_html(request, shown, result, None)


async def _import_html(request: Request, shown: IngestForm, result: dict[str, Any] | None,
                       error: dict[str, Any] | None) -> Response:
    data = {**await core(request, views.formats_data), "result": result, "form": shown.to_dict(), "error": error}
    status = error["status"] if error else 200 if result is None or result["ok"] else 400
    return html(request, "import.html", data, api="/api/formats", status=status)


# An uploaded file waits here between its preview and the "store" that confirms it.
PENDING_SECONDS = 3600.0
PENDING_FILES = 4


async def _import_input(request: Request, values: dict[str, Any], shown: IngestForm) -> IngestInput:
    """The form's input; with no file and no text but a preview's key (the second step for an
    uploaded file, or "Preview again" with another format), the file kept from that preview."""
    pasted = str(values.get("text") or "").strip()
    upload = values.get("file")
    if not pasted and not (isinstance(upload, UploadFile) and upload.filename) and shown.key:
        kept = _pending(request).get(shown.key)
        if kept is None:
            raise InvalidInput("the file of that preview is no longer kept", hint="choose the file again")
        _, name, data = kept
        return replace(await ingest_input({**values, "text": "-"}), name=name, data=data, uploaded=True)
    return await ingest_input(values)


def _pending(request: Request) -> OrderedDict[str, tuple[float, str, bytes]]:
    state = request.app.state
    pending: OrderedDict[str, tuple[float, str, bytes]] | None = getattr(state, "import_uploads", None)
    if pending is None:
        pending = state.import_uploads = OrderedDict()
    now = time.monotonic()
    for key in [k for k, (at, _, _) in pending.items() if now - at > PENDING_SECONDS]:
        del pending[key]
    return pending


def _keep_upload(request: Request, key: str, name: str, data: bytes) -> None:
    pending = _pending(request)
    pending[key] = (time.monotonic(), name, data)
    pending.move_to_end(key)
    limit = 2 * request.app.state.settings.max_upload_bytes
    while len(pending) > PENDING_FILES or sum(len(d) for _, _, d in pending.values()) > limit:
        pending.popitem(last=False)


async def docs_page(request: Request) -> Response:
    from .api import openapi

    return html(request, "api.html", openapi(request.app.state.endpoints), api="/api/openapi.json")
