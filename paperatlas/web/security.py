"""Safe by default: who may write, from where, how much, for how long, and how untrusted text
reaches the page.

- Writes (POST/PUT/PATCH/DELETE) need a same-origin request (``Origin`` or ``Referer`` equal to
  the ``Host`` the request was sent to) *and* the app's CSRF token (``X-CSRF-Token`` header or
  ``_csrf`` form field), or ``Authorization: Bearer <token>`` when a token is configured (a
  browser cannot send that header cross-site without CORS, which this app never grants).
- ``--shared``: reading is open, writing needs a person's token (``auth``: the Bearer header, or
  the session cookie a sign-in at ``/login`` sets).
- The ``Host`` header must name this server (stops DNS-rebinding pages from reading the catalog).
- Every response carries a strict Content-Security-Policy (no inline script or style).
- Bodies over 1 MB (20 MB for imports) get 413, bodies that stop arriving 408; each core call
  runs in a worker thread under a time budget and a cap on concurrent calls, and answers 503
  with ``Retry-After`` instead of piling up (``Runner``).
"""

from __future__ import annotations

import hmac
import html
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode, urlsplit

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from markupsafe import Markup, escape
from starlette.datastructures import FormData, Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import deadline
from ..errors import PaperatlasError
from . import auth

if TYPE_CHECKING:
    from . import WebSettings as Settings

log = logging.getLogger("paperatlas.web")
T = TypeVar("T")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
UPLOAD_PATHS = ("/import", "/api/ingest")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
MAX_RETRY_AFTER_S = 60


class Denied(PaperatlasError):
    """A request that is not allowed (403): missing CSRF token, foreign origin, read-only mode."""


class Busy(PaperatlasError):
    """The server is at its limit or the call ran past its time budget (503, with
    ``Retry-After: retry_after`` seconds)."""

    def __init__(self, message: str, hint: str = "", retry_after: int = 1) -> None:
        super().__init__(message, hint)
        self.retry_after = max(1, retry_after)


class Internal(PaperatlasError):
    """An unexpected failure in the core (500); the traceback goes to the server log only."""


# -- untrusted text and URLs -------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_url(url: object) -> str | None:
    """The URL if it is an absolute http(s) URL, else None: ``javascript:`` never becomes a link."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if _CONTROL.search(url) or not re.match(r"https?://[^/\\]", url, re.I):
        return None
    return url


def safe_next(target: str | None) -> str:
    """A same-site path to go back to after a form post (never another host)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or _CONTROL.search(target):
        return "/"
    return target


_MARK = re.compile(r"(</?mark>)")


def snippet_html(snippet: str) -> Markup:
    """A search snippet as HTML where only ``<mark>``/``</mark>`` survive as tags.

    The search layer escapes snippets; this re-does it defensively (unescape, then escape every
    piece between the marks), so an unescaped snippet still cannot inject markup.
    """
    parts = _MARK.split(snippet or "")
    return Markup("".join(p if p in ("<mark>", "</mark>") else str(escape(html.unescape(p))) for p in parts))


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """``params`` with ``changes`` applied (None removes a key), URL-encoded."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


# -- who may write (who a request comes from: ``auth``) ----------------------------------------
def _equal(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def can_write(request: Request) -> bool:
    return auth.who(request).can_write


def csrf_token(request: Request) -> str:
    """The CSRF token for this request's person (embedded in their pages)."""
    return str(request.app.state.sessions.csrf_for(auth.who(request), request.app.state.csrf))


def origin_ok(request: Request) -> bool:
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    origin = request.headers.get("origin")
    if origin is None:
        referer = urlsplit(request.headers.get("referer", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else None
    return origin is not None and origin.lower() == expected


def check_write(request: Request, form: FormData | None = None) -> None:
    """Raise ``Denied`` unless this write is allowed (see the module docstring)."""
    person = auth.who(request)
    if not person.can_write:
        raise Denied("this catalog is shared read-only",
                     hint="sign in at /login with your token (paperatlas users add NAME makes one), or send"
                          " Authorization: Bearer")
    if person.bearer:
        return
    if not origin_ok(request):
        raise Denied("cross-site write refused (Origin/Referer does not match Host)", hint="use the pages of this server")
    sent = request.headers.get("x-csrf-token") or (str(form.get("_csrf", "")) if form is not None else "")
    if not _equal(sent, csrf_token(request)):
        raise Denied("missing or wrong CSRF token", hint="reload the page and try again")


# -- the time budget ---------------------------------------------------------------------------
class Lane:
    """``slots`` calls at once, the others waiting in line (first come, first served) in the
    event loop: no thread is held while waiting. Keeps the mean service time of its calls (an
    exponentially weighted average) to estimate how long a newcomer would wait."""

    SMOOTHING = 0.1  # weight of the newest call in the mean service time

    def __init__(self, name: str, slots: int, first_guess_s: float) -> None:
        self.name, self.slots, self.free = name, slots, slots
        self.queue: deque[anyio.Event] = deque()
        self.mean_s = first_guess_s

    def expected_wait(self) -> float:
        """Seconds a call arriving now would wait: the calls ahead of it, served ``slots`` at a time."""
        return (len(self.queue) + 1) * self.mean_s / self.slots

    def served(self, seconds: float) -> None:
        self.mean_s += self.SMOOTHING * (seconds - self.mean_s)

    def give_back(self) -> None:
        """Free a slot and hand it to the first in line (event loop thread only)."""
        self.free += 1
        while self.queue and self.free:
            self.free -= 1
            self.queue.popleft().set()


class Runner:
    """Runs core calls in worker threads, each in a lane with a fixed number of slots and under
    a time budget.

    - Lanes: ``reads`` (``workers`` slots) serves searches, pages and small writes (a write waits
      for the catalog's write lock at most its budget, then 503); ``imports`` (one slot) serves
      imports, so an import never takes a slot a search needs.
    - A call waits for a free slot in the event loop, at most ``queue_wait_s``. It is refused at
      once with 503 and ``Retry-After`` when ``max_waiting`` calls already wait, or when the line
      ahead of it would take longer than ``queue_wait_s`` to serve at the lane's recent pace
      (load shedding: a client learns at once to come back later instead of timing out).
    - The budget (``time_budget_s``) counts from when the call starts running; past it the
      client gets 503 and the call keeps its slot until it really ends (cancelled at its next
      ``deadline.check``), so slow calls cannot pile up threads.
    - ``stop()`` (server shutdown) cancels running calls at their next ``deadline.check``.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.reads = Lane("reads", settings.workers, first_guess_s=0.05)
        self.imports = Lane("imports", 1, first_guess_s=5.0)
        self.running = 0  # calls in threads, abandoned ones included
        self.idle = threading.Condition()
        self.stopping = threading.Event()
        self.shed = 0  # calls refused at once, for the log and the load benchmark

    @property
    def waiting(self) -> int:
        return len(self.reads.queue) + len(self.imports.queue)

    def stop(self) -> None:
        self.stopping.set()

    def drain(self, timeout: float) -> bool:
        """Wait until no call runs (abandoned ones included); False if some still run."""
        with self.idle:
            return self.idle.wait_for(lambda: self.running == 0, timeout)

    async def call(self, fn: Callable[..., T], *args: Any, write: bool = False, heavy: bool = False,
                   budget: float | None = None) -> T:
        """``fn(*args)`` in a worker thread; ``heavy``: in the imports lane. (``write`` is kept for
        callers: writes share the reads lane, the store serialises them.)"""
        if self.stopping.is_set():
            raise Busy("the server is stopping", hint="try again in a moment", retry_after=5)
        lane = self.imports if heavy else self.reads
        budget = budget or self.settings.time_budget_s
        await self._take(lane)
        with self.idle:
            self.running += 1
        token = anyio.lowlevel.current_token()
        try:
            with anyio.fail_after(budget):
                return await anyio.to_thread.run_sync(self._run, token, lane, budget, fn, args, abandon_on_cancel=True)
        except TimeoutError:
            raise Busy(f"the request took longer than {budget:g} s", hint="narrow the query or try again",
                       retry_after=math.ceil(lane.mean_s)) from None

    async def _take(self, lane: Lane) -> None:
        """A slot of ``lane``, waiting in line for it at most ``queue_wait_s``."""
        if lane.free and not lane.queue:
            lane.free -= 1
            return
        expected, limit = lane.expected_wait(), self.settings.queue_wait_s
        if len(lane.queue) >= self.settings.max_waiting or expected > limit:
            self.shed += 1
            what = "an import is running" if lane is self.imports else f"{len(lane.queue)} requests waiting"
            raise Busy(f"the server is busy ({what})", hint="try again in a moment",
                       retry_after=math.ceil(min(max(expected, 1.0), MAX_RETRY_AFTER_S)))
        event = anyio.Event()
        lane.queue.append(event)
        granted = False
        try:
            with anyio.move_on_after(limit):
                await event.wait()
            granted = event.is_set()
        finally:
            if not granted:
                if event.is_set():  # granted just as the wait was cancelled: hand the slot on
                    lane.give_back()
                else:
                    lane.queue.remove(event)
        if not granted:
            raise Busy(f"the server is busy (no free worker within {limit:g} s)", hint="try again in a moment",
                       retry_after=math.ceil(min(max(lane.expected_wait(), 1.0), MAX_RETRY_AFTER_S)))

    def _run(self, token: Any, lane: Lane, budget: float, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        started = time.perf_counter()
        try:
            with deadline.within(budget, self.stopping):
                return fn(*args)
        except PaperatlasError:
            raise
        except Exception as exc:
            log.exception("core call %s failed", getattr(fn, "__name__", fn))
            raise Internal("internal error", hint="the server log has the details") from exc
        finally:
            lane.served(time.perf_counter() - started)
            try:
                anyio.from_thread.run_sync(lane.give_back, token=token)
            except RuntimeError:  # the event loop has stopped: nobody is waiting any more
                pass
            with self.idle:
                self.running -= 1
                self.idle.notify_all()


# -- ASGI middleware -------------------------------------------------------------------------
class SecurityHeaders:
    """The security headers on every response, and ``Server-Timing: app;dur=<ms>``: the time
    from the request's arrival to its response (shown by browsers' developer tools, and what
    bench/web_load.py reports as server time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                timing = (b"server-timing", f"app;dur={(time.perf_counter() - start) * 1000:.1f}".encode())
                message["headers"] = [*message.get("headers", []), *(h for h in HEADERS if h[0] not in names), timing]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


class BodyLimit:
    """413 for bodies over the limit, whether announced (Content-Length) or streamed; 408 when
    the client stops sending its body for ``read_timeout`` seconds (a Content-Length larger than
    the body sent must not hold a connection and a worker forever)."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int, read_timeout: float = 15.0) -> None:
        self.app, self.max_body, self.max_upload, self.read_timeout = app, max_body, max_upload, read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_upload if scope["path"] in UPLOAD_PATHS else self.max_body
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return await _too_large(scope, limit)(scope, receive, send)
        seen, started, body_done = 0, False, False

        async def counting_receive() -> Message:
            nonlocal seen, body_done
            if body_done:  # after the body, receive() waits for the client to go away: no limit
                return await receive()
            with anyio.move_on_after(self.read_timeout) as waited:
                message = await receive()
            if waited.cancelled_caught:
                raise _TooSlow
            seen += len(message.get("body", b""))
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            if seen > limit:
                raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _too_large(scope, limit)(scope, receive, send)
        except _TooSlow:
            if not started:
                await _error(scope, 408, f"the request body did not arrive within {self.read_timeout:g} s",
                             "send the whole body at once (is Content-Length right?)")(scope, receive, send)


def _too_large(scope: Scope, limit: int) -> Response:
    return _error(scope, 413, f"the request body is larger than {limit // 1024**2} MB", "send less (split the file)")


def _error(scope: Scope, status: int, message: str, hint: str) -> Response:
    """An error answered by the middleware, before any route: the JSON envelope under /api/."""
    headers = {"connection": "close"}
    if scope["path"].startswith("/api/"):
        return JSONResponse({"error": {"status": status, "message": message, "hint": hint}}, status_code=status,
                            headers=headers)
    return PlainTextResponse(f"{status}: {message}; {hint}", status_code=status, headers=headers)


def allowed_hosts(settings: Settings) -> list[str]:
    """Loopback names and the bound host; anything when shared on all interfaces (0.0.0.0)."""
    if settings.shared and settings.host in ("0.0.0.0", "::") and not settings.allowed_hosts:
        return ["*"]
    return list(dict.fromkeys([*LOOPBACK, settings.host, *settings.allowed_hosts]))

