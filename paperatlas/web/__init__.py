"""The local web UI and its JSON API: ``create_app(catalog_path, settings) -> Starlette``.

Pages (``pages.py``) and ``/api`` (``api.py``) render the same data functions; ``security.py``
holds who may write, headers, size and time limits. Nothing happens at import time: the catalog
is opened when the app starts (lifespan) and closed when it stops.

    paperatlas serve                      # http://127.0.0.1:8000, this machine only
    paperatlas serve --shared --host 0.0.0.0 --token SECRET   # others read; writes need SECRET
"""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ..catalog import Catalog
from ..errors import PaperatlasError
from . import api, pages, security

__all__ = ["Settings", "create_app"]

STATIC = Path(__file__).parent / "static"
SHUTDOWN_WAIT_S = 10.0


@dataclass(frozen=True)
class Settings:
    """How the server runs; resolved by the CLI (``paperatlas serve``) and passed in."""

    host: str = "127.0.0.1"
    port: int = 8000
    shared: bool = False  # others may read; writing needs ``token``
    token: str | None = None  # Bearer token / cookie value that allows writes (and skips CSRF)
    search_mode: str = "keyword"  # default mode of the search page: keyword answers at once
    page_size: int = 20
    time_budget_s: float = 5.0  # per request's core call, from when it starts running; 503 past it
    queue_wait_s: float = 30.0  # longest wait for a free worker before 503
    max_waiting: int = 1024  # requests allowed to wait for a worker; more get 503 at once
    ingest_budget_s: float = 120.0
    workers: int = 4  # concurrent core calls
    max_body_bytes: int = 1024**2
    max_upload_bytes: int = 20 * 1024**2
    allowed_hosts: tuple[str, ...] = ()  # Host names accepted besides loopback and ``host``
    csrf_secret: str | None = None  # generated per start when None


def create_app(catalog_path: str | Path, settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.catalog = catalog = Catalog(catalog_path)
        pages.warm_up(catalog)
        try:
            yield
        finally:  # close only once no thread uses the connection (else the process exit does)
            if pages.settle(catalog, SHUTDOWN_WAIT_S) & app.state.runner.drain(SHUTDOWN_WAIT_S):
                catalog.close()

    async def on_error(request: Request, exc: Exception) -> Response:
        return pages.error_response(request, exc)

    endpoints = api.ENDPOINTS
    app = Starlette(
        routes=[*(e.route() for e in endpoints), Mount("/static", StaticFiles(directory=STATIC), name="static")],
        middleware=[
            Middleware(security.SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=security.allowed_hosts(settings)),
            Middleware(security.BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes),
            Middleware(security.TokenLogin, token=settings.token),
            Middleware(GZipMiddleware, minimum_size=1024),
        ],
        exception_handlers={HTTPException: on_error, PaperatlasError: on_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.endpoints = endpoints
    app.state.csrf = settings.csrf_secret or secrets.token_urlsafe(32)
    app.state.runner = security.Runner(settings)
    app.state.templates = pages.environment()
    return app
