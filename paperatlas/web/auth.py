"""Who a request comes from, on a personal server and on a lab server.

- A personal server (``serve``): every request is the catalog's owner (user 0), and writes need
  the page's CSRF token and a same-origin request (``security.check_write``).
- ``serve --shared``: anonymous visitors read the catalog and have no library. A person is
  someone with a token: the server's own ``--token`` (the owner) or a user's from ``paperatlas
  users add`` (their own stars, tags, notes, lists and feedback). A token comes as
  ``Authorization: Bearer`` (API clients: no CSRF token needed, since a browser cannot send that
  header cross-site) or once, to ``/login`` (or ``/?token=``), which sets a signed session cookie;
  writes made with the cookie need the CSRF token as before.
- Feed readers cannot sign in: the Atom links a signed-in person's pages show carry a feed key
  (``/feeds/…?key=<user id>.<HMAC>``) that reads that person's feeds (lists, tags, watches) and
  nothing else; it stops working when the user is revoked (or the owner's ``--token`` changes).
- A wrong or revoked Bearer token is answered 401 at once; a session cookie that no longer holds
  (revoked user, changed ``--token``, past its age, bad signature) counts as no cookie.

The session cookie is ``<user id>.<issued at>.<HMAC-SHA256>`` signed with a key kept in the
catalog (``services.users.server_key``), so every worker process and every restart accepts it;
the owner's also signs a digest of the ``--token``, so changing that token ends them. Who a
token or cookie names is looked up in a worker thread and remembered for ``CACHE_S`` seconds, so
a revoked token stops working within that time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..services import users
from ..store.users import User

if TYPE_CHECKING:
    from ..app import Atlas

SESSION_COOKIE = "paperatlas_session"
SESSION_AGE_S = 30 * 24 * 3600
CACHE_S = 2.0  # how long who a token or session names is remembered (a revocation's delay)
ANONYMOUS_ID = -1  # a library nobody has: an anonymous visitor of a shared server sees it empty


@dataclass(frozen=True)
class Who:
    """The person behind a request: ``user_id`` 0 (owner), a user's id, or -1 (anonymous)."""

    user_id: int
    name: str = ""
    bearer: bool = False  # proved by the Authorization header (no CSRF token needed)

    @property
    def can_write(self) -> bool:
        return self.user_id >= 0

    @property
    def anonymous(self) -> bool:
        return self.user_id < 0


OWNER = Who(0)
ANONYMOUS = Who(ANONYMOUS_ID)


class NeedsLookup(Exception):
    """Who a credential names is not in memory: ask again in a worker thread."""


async def resolved(find: Callable[..., Who | None], value: str) -> Who | None:
    """``find(value)``, from memory in the event loop when it can be (most requests of a
    signed-in person), else in a worker thread (it reads the catalog)."""
    try:
        return find(value, offline=True)
    except NeedsLookup:
        return await anyio.to_thread.run_sync(find, value)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Sessions:
    """Signs and reads session cookies, and resolves tokens to people (with a short cache)."""

    def __init__(self, atlas: Atlas, owner_token: str | None) -> None:
        self.atlas = atlas
        self.owner_token = owner_token
        self.key = users.server_key(atlas, "session").encode()
        self.cache_s = CACHE_S
        self._cache: dict[str, tuple[float, Who | None]] = {}

    def _mac(self, purpose: str, user_id: int) -> str:
        """HMAC-SHA256 (144 bits, URL-safe) of what a credential says; the owner's also signs a
        digest of ``--token``, so changing it ends the owner's sessions and feed links."""
        owner = _digest(self.owner_token or "") if user_id == 0 else ""
        mac = hmac.new(self.key, f"{purpose}.{user_id}.{owner}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:18]).decode()

    def cookie_for(self, who: Who) -> str:
        issued = int(time.time())
        return f"{who.user_id}.{issued}.{self._mac(f'session.{issued}', who.user_id)}"

    def feed_key(self, who: Who) -> str:
        """The key of a person's private feed links (see the module docstring)."""
        return f"{who.user_id}.{self._mac('feed', who.user_id)}"

    def by_feed_key(self, value: str, offline: bool = False) -> Who | None:
        user, _, mac = value.partition(".")
        if not user.isdigit() or not hmac.compare_digest(mac.encode(), self._mac("feed", int(user)).encode()):
            return None
        if int(user) == 0:
            return OWNER if self.owner_token else None
        return self._cached(f"u{user}", lambda: self._user_who(users.active_user(self.atlas, int(user))), offline)

    def csrf_for(self, who: Who, base: str) -> str:
        """The CSRF token of a person's pages: the server's own for the owner and anonymous
        visitors, one derived for each user (a token read by one user is useless for another)."""
        if who.user_id <= 0:
            return base
        return self._mac(f"csrf.{base}", who.user_id)

    # -- resolving: ``offline`` answers from memory only (in the event loop) and raises
    # ``NeedsLookup`` when the catalog must be read (then the caller asks again in a thread) ----
    def by_token(self, token: str, offline: bool = False) -> Who | None:
        """The owner (the server's ``--token``) or the active user of ``token``, else None."""
        if self.owner_token and hmac.compare_digest(token.encode(), self.owner_token.encode()):
            return OWNER
        return self._cached("t" + _digest(token), lambda: self._user_who(users.authenticate(self.atlas, token)), offline)

    def by_cookie(self, cookie: str, offline: bool = False) -> Who | None:
        parts = cookie.split(".")
        if len(parts) != 3 or not parts[0].lstrip("-").isdigit() or not parts[1].isdigit():
            return None
        user_id, issued = int(parts[0]), int(parts[1])
        if not hmac.compare_digest(parts[2].encode(), self._mac(f"session.{issued}", user_id).encode()):
            return None
        if not 0 <= time.time() - issued <= SESSION_AGE_S:
            return None
        if user_id == 0:
            return OWNER if self.owner_token else None
        return self._cached(f"u{user_id}", lambda: self._user_who(users.active_user(self.atlas, user_id)), offline)

    @staticmethod
    def _user_who(user: User | None) -> Who | None:
        return None if user is None else Who(user.id, user.name)

    def _cached(self, key: str, find: Callable[[], Who | None], offline: bool = False) -> Who | None:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.cache_s:
            return hit[1]
        if offline:
            raise NeedsLookup
        who = find()
        if len(self._cache) > 10_000:  # many distinct wrong tokens: forget, do not grow
            self._cache.clear()
        self._cache[key] = (now, who)
        return who


def bearer(request: Request) -> str | None:
    text = request.headers.get("authorization", "")
    return text[7:].strip() if text.lower().startswith("bearer ") else None


def _cookie(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def who(request: Request) -> Who:
    """The person behind this request (set by ``Identify``)."""
    found = request.scope.get("state", {}).get("who")
    return found if isinstance(found, Who) else (ANONYMOUS if request.app.state.settings.shared else OWNER)


def feed_query(request: Request) -> str:
    """What a feed link on this person's page ends with: their feed key on a shared server."""
    person = who(request)
    if not request.app.state.settings.shared or person.anonymous:
        return ""
    return "?key=" + str(request.app.state.sessions.feed_key(person))


def atlas_for(request: Request) -> Atlas:
    """The Atlas as this request's person sees it (their library)."""
    atlas: Atlas = request.app.state.atlas
    return atlas.for_user(who(request).user_id)


def _unauthorized(scope: Scope, message: str, hint: str) -> Response:
    headers = {"www-authenticate": 'Bearer realm="paperatlas"'}
    if scope["path"].startswith("/api/"):
        return JSONResponse({"error": {"status": 401, "message": message, "hint": hint}}, status_code=401, headers=headers)
    return PlainTextResponse(f"401: {message}; {hint}", status_code=401, headers=headers)


class Identify:
    """Sets ``request.state.who`` for every request; answers 401 to a wrong Bearer token, and
    turns ``GET …?token=…`` into a session cookie (then redirects to the same URL without it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        settings, sessions = request.app.state.settings, request.app.state.sessions
        default = ANONYMOUS if settings.shared else OWNER
        token = bearer(request)
        if token is not None:
            found = await resolved(sessions.by_token, token)
            if found is None:
                return await _unauthorized(scope, "wrong or revoked token",
                                           "ask the server's admin for a token (paperatlas users add NAME)")(scope, receive, send)
            scope.setdefault("state", {})["who"] = Who(found.user_id, found.name, bearer=True)
            return await self.app(scope, receive, send)
        if scope["path"].startswith("/feeds/") and "key" in request.query_params:
            found = await resolved(sessions.by_feed_key, request.query_params["key"])
            if found is None:
                return await PlainTextResponse("403: this feed link is no longer valid; copy it again from the library"
                                               " or watches page", status_code=403)(scope, receive, send)
            scope.setdefault("state", {})["who"] = found
            return await self.app(scope, receive, send)
        if b"token=" in scope.get("query_string", b"") and scope["method"] == "GET" and "token" in request.query_params:
            response = await self._login_link(request, sessions)
            return await response(scope, receive, send)
        cookie = _cookie(request)
        found = await resolved(sessions.by_cookie, cookie) if cookie else None
        scope.setdefault("state", {})["who"] = found or default
        await self.app(scope, receive, send)

    async def _login_link(self, request: Request, sessions: Sessions) -> Response:
        found = await resolved(sessions.by_token, request.query_params["token"])
        if found is None:
            return PlainTextResponse("403: wrong or revoked token", status_code=403)
        rest = {k: v for k, v in request.query_params.multi_items() if k != "token"}
        return signed_in(RedirectResponse(request.url.path + ("?" + urlencode(rest) if rest else ""), status_code=303),
                         sessions, found, request)


def signed_in(response: Response, sessions: Sessions, person: Who, request: Request) -> Response:
    """``response`` with the session cookie of ``person`` (HttpOnly, SameSite=Strict, Secure over
    https)."""
    response.set_cookie(SESSION_COOKIE, sessions.cookie_for(person), max_age=SESSION_AGE_S, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


def signed_out(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
