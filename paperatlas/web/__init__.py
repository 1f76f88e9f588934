"""The local web UI and its JSON API: ``create_app(atlas, options) -> Starlette``.

Pages (``pages.py``) and ``/api`` (``api.py``) render the same data functions (``views.py``);
``params.py`` reads requests; ``security.py`` holds who may write, headers, size and time limits.
Nothing happens at import time; the Atlas is opened and closed by the caller (``paperatlas serve``).

    paperatlas serve                      # http://127.0.0.1:8000, this machine only
    paperatlas serve --shared --host 0.0.0.0 --token SECRET   # others read; writes need SECRET
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ..app import Atlas
from ..errors import PaperatlasError
from ..services.users import server_key
from . import api, auth, pages, security

__all__ = ["ServerOptions", "WebSettings", "create_app"]

STATIC = Path(__file__).parent / "static"
SHUTDOWN_WAIT_S = 5.0


@dataclass(frozen=True)
class ServerOptions:
    """How this server shares the catalog (given to ``serve``), and its request limits."""

    shared: bool = False  # others may read; writing needs ``token``
    token: str | None = None  # the owner's token (Bearer, or a sign-in); users have their own (``auth``)
    queue_wait_s: float = 10.0  # longest wait for a free worker before 503 (and the shedding horizon)
    max_waiting: int = 1024  # requests allowed to wait for a worker; more get 503 at once
    max_body_bytes: int = 1024**2
    max_upload_bytes: int = 20 * 1024**2
    body_read_timeout_s: float = 15.0  # longest pause while a request body arrives before 408
    allowed_hosts: tuple[str, ...] = ()  # Host names accepted besides loopback and the bound host
    csrf_secret: str | None = None  # the catalog's own (made once, kept in it) when None


@dataclass(frozen=True)
class WebSettings:
    """What the web layer reads: the catalog's settings and the server's options, resolved once."""

    host: str
    port: int
    shared: bool
    token: str | None
    search_mode: str
    page_size: int
    time_budget_s: float
    ingest_budget_s: float
    workers: int
    queue_wait_s: float
    max_waiting: int
    max_body_bytes: int
    max_upload_bytes: int
    body_read_timeout_s: float
    allowed_hosts: tuple[str, ...]

    @classmethod
    def of(cls, atlas: Atlas, options: ServerOptions) -> WebSettings:
        s = atlas.settings
        return cls(s.host, s.port, options.shared, options.token, s.search_mode, s.page_size, s.time_budget_s,
                   s.ingest_budget_s, s.workers, options.queue_wait_s, options.max_waiting, options.max_body_bytes,
                   options.max_upload_bytes, options.body_read_timeout_s, options.allowed_hosts)


def create_app(atlas: Atlas, options: ServerOptions | None = None) -> Starlette:
    """The web app over an open Atlas (the caller opens and closes it)."""
    options = options or ServerOptions()
    settings = WebSettings.of(atlas, options)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        atlas.warm_up()
        try:
            yield
        finally:  # cancel running calls (an import rolls back) and give them time to end
            app.state.runner.stop()
            atlas.settle(SHUTDOWN_WAIT_S)
            app.state.runner.drain(SHUTDOWN_WAIT_S)

    async def on_error(request: Request, exc: Exception) -> Response:
        response = pages.error_response(request, exc)
        if response.status_code == 503:  # busy, shedding load, or stopping: say when to come back
            response.headers["retry-after"] = str(getattr(exc, "retry_after", 1))
        return response

    endpoints = api.ENDPOINTS
    app = Starlette(
        routes=[*(e.route() for e in endpoints), Mount("/static", StaticFiles(directory=STATIC), name="static")],
        middleware=[
            Middleware(security.SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=security.allowed_hosts(settings)),
            Middleware(security.BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes,
                       read_timeout=settings.body_read_timeout_s),
            Middleware(auth.Identify),
            Middleware(GZipMiddleware, minimum_size=1024),
        ],
        exception_handlers={HTTPException: on_error, PaperatlasError: on_error, Exception: on_error},
        lifespan=lifespan,
    )
    app.state.atlas = atlas
    app.state.settings = settings
    app.state.endpoints = endpoints
    # Kept in the catalog: every worker process and every restart serves the same tokens.
    app.state.csrf = options.csrf_secret or server_key(atlas, "csrf")
    app.state.sessions = auth.Sessions(atlas, settings.token)
    app.state.runner = security.Runner(settings)
    app.state.templates = pages.environment()
    return app
