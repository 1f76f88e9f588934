"""One polite HTTP fetcher for every connector (httpx underneath).

Politeness, as the services ask for it (arXiv's API terms: "no more than one request every
three seconds", a single connection at a time; Semantic Scholar and OpenReview rate-limit too):

- a User-Agent naming paperatlas, its version and where it comes from;
- one request at a time per host, and ``pace`` seconds between the end of one request to a host
  and the start of the next (the connector passes the host's documented pace; tests pass 0);
- retries with exponential backoff on 429 and 5xx and on dropped connections, honouring
  ``Retry-After`` (seconds or an HTTP date) up to ``max_wait``; a server asking for a longer
  wait gets an error saying when to come back instead of a silent hour-long sleep;
- conditional requests: ``If-None-Match`` / ``If-Modified-Since`` from the validators of the
  last response; 304 comes back as ``not_modified``;
- a connect/read timeout and a size limit on every response (the body is streamed and the
  transfer stops at the limit);
- redirects followed by hand, each new URL checked by the guard (scheme, and in shared mode the
  address), credentials dropped when the host changes;
- credentials never in messages: URLs are shown with secret query parameters and user info
  replaced (``redact``), and secret headers are never logged.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpcore
import httpx

from .. import __version__
from ..errors import PaperatlasError
from .guard import FetchRefused, Guard, GuardedTransport

log = logging.getLogger("paperatlas.sources")

USER_AGENT = f"paperatlas/{__version__} (local-first research paper catalog; httpx/{httpx.__version__})"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token", "auth", "password", "passwd",
                           "secret", "client_secret", "signature", "sig"})
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "proxy-authorization"})
MAX_BYTES = 64 * 1024**2
Validators = dict[str, str]  # {"etag": ..., "last_modified": ...}


class FetchError(PaperatlasError):
    """A response that could not be had: refused, failed after retries, too big, cut short."""

    def __init__(self, message: str, hint: str = "", *, status: int | None = None, retry_at: float | None = None) -> None:
        super().__init__(message, hint)
        self.status = status
        self.retry_at = retry_at  # epoch seconds the server asked us to wait until, if it did


def redact(url: str) -> str:
    """``url`` fit for a message or a log: secret query values and user info replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "REDACTED" if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe=":/,+")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110
    section 10.2.3); None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


@dataclass
class Response:
    url: str  # where the body came from, after redirects
    status: int
    headers: httpx.Headers
    body: bytes = b""
    not_modified: bool = False
    validators: Validators = field(default_factory=dict)
    requests: int = 1  # attempts made for it: retries and redirects included

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Fetcher:
    """The polite client. ``sleep``/``now`` are injectable so tests see the waits without waiting."""

    def __init__(
        self,
        *,
        guard: Guard | None = None,
        timeout: float = 30.0,
        max_bytes: int = MAX_BYTES,
        retries: int = 4,
        backoff: float = 2.0,
        max_wait: float = 300.0,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.guard = guard or Guard()
        self.max_bytes, self.retries, self.backoff, self.max_wait = max_bytes, retries, backoff, max_wait
        self.max_redirects, self.timeout = max_redirects, timeout
        self.sleep, self.now, self.clock = sleep, now, clock
        if transport is None and self.guard.shared:
            transport = GuardedTransport(self.guard)
        self.client = httpx.Client(
            transport=transport, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), follow_redirects=False,
            headers={"User-Agent": user_agent}, trust_env=not self.guard.shared,
        )
        self.requests = 0
        self._hosts: dict[str, threading.Lock] = {}
        self._last_end: dict[str, float] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one entry point ------------------------------------------------------------------
    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        validators: Validators | None = None,
        pace: float = 0.0,
    ) -> Response:
        """One response (following redirects, retrying what can be retried). Raises FetchError
        (FetchRefused for a URL the guard refuses); 304 is a response with ``not_modified``."""
        if params:
            url = str(httpx.URL(url).copy_merge_params({k: v for k, v in params.items() if v is not None}))
        sent = dict(headers or {})
        if validators:
            if validators.get("etag"):
                sent["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                sent["If-Modified-Since"] = validators["last_modified"]
        # values that must not come back in a message, even if a server echoes them in its error
        hidden = [v for k, v in sent.items() if k.lower() in SECRET_HEADERS and v]
        hidden += [v for k, v in parse_qsl(urlsplit(url).query) if k.lower() in SECRET_PARAMS and v]
        attempts = 0
        for _ in range(self.max_redirects + 1):
            self.guard.check_url(url, redact(url))
            response, tries = self._with_retries(method, url, sent, json, pace)
            attempts += tries
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                response.requests = attempts
                return self._finish(response, hidden)
            target = urljoin(url, location)
            log.info("%s redirects to %s", redact(url), redact(target))
            if urlsplit(target).hostname != urlsplit(url).hostname:
                sent = {k: v for k, v in sent.items() if k.lower() not in SECRET_HEADERS}
            if response.status == 303:
                method, json = "GET", None
            url = target
        raise FetchError(f"{redact(url)}: more than {self.max_redirects} redirects", hint="check the URL (a redirect loop?)")

    def _finish(self, response: Response, hidden: list[str]) -> Response:
        if response.status == 304:
            response.not_modified = True
            return response
        if response.status >= 400:
            snippet = response.text()[:200].strip().replace("\n", " ")
            for secret in hidden:
                snippet = snippet.replace(secret, "REDACTED")
            raise FetchError(f"{redact(response.url)} answered HTTP {response.status}" + (f": {snippet}" if snippet else ""),
                             hint=_status_hint(response.status), status=response.status)
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        response.validators = {k: v for k, v in (("etag", etag), ("last_modified", modified)) if v}
        return response

    # -- retries ---------------------------------------------------------------------------------
    def _with_retries(self, method: str, url: str, headers: dict[str, str], body: Any, pace: float) -> tuple[Response, int]:
        tries = 0
        while True:
            tries += 1
            wait: float | None
            try:
                response = self._once(method, url, headers, body, pace)
            except FetchError:
                raise
            except (httpx.TransportError, httpcore.NetworkError, httpcore.TimeoutException) as exc:
                if tries > self.retries:
                    raise FetchError(f"{redact(url)}: {_transport_problem(exc, self.timeout)} (after {tries} attempts)",
                                     hint="check the connection or the --base-url; the next sync resumes here") from None
                wait = None
                log.info("%s: %s; retrying", redact(url), type(exc).__name__)
            else:
                if response.status not in RETRY_STATUSES or tries > self.retries:
                    return response, tries
                wait = retry_after(response.headers.get("retry-after"), self.now())
                if wait is not None and wait > self.max_wait:
                    raise FetchError(
                        f"{redact(url)} answered HTTP {response.status} and asks to wait {wait:.0f} s",
                        hint=f"try again after {time.strftime('%H:%M', time.localtime(self.now() + wait))}; "
                             "the next sync resumes where this one stopped",
                        status=response.status, retry_at=self.now() + wait)
                log.info("%s answered %d; retrying", redact(url), response.status)
            self.sleep(wait if wait is not None else min(self.backoff * 2 ** (tries - 1), self.max_wait))

    def _once(self, method: str, url: str, headers: dict[str, str], body: Any, pace: float) -> Response:
        host = urlsplit(url).hostname or ""
        with self._lock:
            host_lock = self._hosts.setdefault(host, threading.Lock())
        with host_lock:  # one request at a time per host
            last = self._last_end.get(host)
            if last is not None and pace > 0:
                delay = last + pace - self.clock()
                if delay > 0:
                    self.sleep(delay)
            try:
                self.requests += 1
                return self._stream(method, url, headers, body)
            finally:
                self._last_end[host] = self.clock()

    def _stream(self, method: str, url: str, headers: dict[str, str], body: Any) -> Response:
        try:
            request = self.client.build_request(method, url, headers=headers, json=body)
        except httpx.InvalidURL as exc:
            raise FetchRefused(f"refused to fetch {redact(url)}: not a valid URL ({exc})", hint="check the URL") from None
        r = self.client.send(request, stream=True)
        try:
            declared = r.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise _too_big(url, self.max_bytes)
            chunks, size = [], 0
            if r.status_code not in REDIRECT_STATUSES and r.status_code != 304:
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _too_big(url, self.max_bytes)
                    chunks.append(chunk)
            log.debug("%s %s -> %d (%d bytes)", method, redact(url), r.status_code, size)
            return Response(url=str(r.url), status=r.status_code, headers=r.headers, body=b"".join(chunks))
        finally:
            r.close()


def _too_big(url: str, limit: int) -> FetchError:
    return FetchError(f"{redact(url)}: the response is larger than {limit / 1024**2:.0f} MiB; stopped reading it",
                      hint="fetch a smaller page (fewer results per request), or raise the size limit")


def _transport_problem(exc: Exception, timeout: float) -> str:
    if isinstance(exc, (httpx.TimeoutException, httpcore.TimeoutException)):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, (httpx.RemoteProtocolError, httpcore.RemoteProtocolError)):
        return "the connection closed before the whole response arrived (truncated body)"
    if isinstance(exc, (httpx.ConnectError, httpcore.ConnectError)):
        return f"cannot connect ({exc})"
    return f"network error ({type(exc).__name__})"


def _status_hint(status: int) -> str:
    if status in (401, 403):
        return "the service refused access: check the API key in the settings (never on the command line)"
    if status == 404:
        return "check the source's query, venue or --base-url"
    if status == 429:
        return "the service is rate-limiting: sync less often, or later"
    if status >= 500:
        return "the service has a problem; the next sync resumes where this one stopped"
    return "check the source's options (paperatlas sources list)"
