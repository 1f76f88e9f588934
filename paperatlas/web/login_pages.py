"""Signing in and out of a shared server (``auth``): ``/login`` takes a token once and keeps a
signed session cookie, so the token never sits in a URL, a bookmark or the browser's history;
``/api/me`` says who the server thinks you are."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from . import auth, security
from .api import Endpoint
from .pages import html

TOKEN_MAX = 200


async def login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    person = auth.who(request)
    nxt = security.safe_next(request.query_params.get("next"))
    return html(request, "login.html", {"error": error, "next": nxt, "user": person.name,
                                        "signed_in": not person.anonymous and not person.bearer}, status=status)


async def login_post(request: Request) -> Response:
    """Same-origin form posts only (a foreign page cannot sign you in as someone else)."""
    form = await request.form()
    nxt = security.safe_next(str(form.get("next") or "/"))
    if not security.origin_ok(request):
        raise security.Denied("cross-site sign-in refused (Origin/Referer does not match Host)",
                              hint="sign in from this server's /login page")
    token = str(form.get("token") or "").strip()[:TOKEN_MAX]
    person = await auth.resolved(request.app.state.sessions.by_token, token) if token else None
    if person is None:
        return await login_page(request, "wrong or revoked token: ask the server's admin for one"
                                         " (paperatlas users add NAME prints it)", status=401)
    return auth.signed_in(RedirectResponse(nxt, status_code=303), request.app.state.sessions, person, request)


async def logout_post(request: Request) -> Response:
    if not security.origin_ok(request):
        raise security.Denied("cross-site sign-out refused", hint="use this server's pages")
    return auth.signed_out(RedirectResponse("/", status_code=303))


async def me_api(request: Request) -> Response:
    person = auth.who(request)
    name = person.name or ("owner" if person.user_id == 0 else None)
    return JSONResponse({"user": None if person.anonymous else name, "can_write": person.can_write,
                         "shared": request.app.state.settings.shared})


ENDPOINTS = (
    Endpoint("GET", "/login", login_page, "Sign in with your token (a shared server)", (("next", "query", "where to go after"),),
             "text/html", "/api/me"),
    Endpoint("POST", "/login", login_post, "Sign in: sets a signed session cookie (same-origin form posts only)",
             (("token", "body", "your token (paperatlas users add NAME)"), ("next", "body", "where to go after")), "text/html"),
    Endpoint("POST", "/logout", logout_post, "Sign out (ends this browser's session)", (), "text/html"),
    Endpoint("GET", "/api/me", me_api, "Who the server takes you for: user name (null: anonymous), can_write, shared"),
)
