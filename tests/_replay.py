"""A real HTTP server on loopback that replays recorded responses (tests/data/remote/), with
scripted behaviours: pages, 429 with Retry-After, 503, a truncated body, a slow answer, a
redirect, ETag / Last-Modified with 304. Tests and bench/sources_sync.py start one; nothing here
reaches the internet.

    with Replay() as server:
        server.static("/feed", body, etag='"v1"')
        server.then("/feed", Reply(429, headers={"Retry-After": "2"}))   # the next request only
        ... server.url + "/feed" ...
        server.log  # every request: method, path, query, headers, body
"""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REMOTE = Path(__file__).parent / "data" / "remote"
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False  # announce the full length, send half, close: a body cut short
    delay: float = 0.0  # seconds before answering: a slow server
    gate: threading.Event | None = None  # wait for this before answering (a request held open)


Handler = Callable[[Request], Reply]


class Replay:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.queued: dict[str, deque[Reply]] = {}
        self.log: list[Request] = []
        self.arrived = threading.Condition()
        replay = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                  {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length) if length else b"")
                with replay.arrived:
                    replay.log.append(request)
                    replay.arrived.notify_all()
                queue = replay.queued.get(parts.path)
                reply = queue.popleft() if queue else replay.routes.get(parts.path, _not_found)(request)
                if reply.gate is not None:
                    reply.gate.wait(60)
                if reply.delay:
                    time.sleep(reply.delay)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    if reply.truncate:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body[: len(reply.body) // 2] if reply.truncate else reply.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass
                if reply.truncate:
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="replay",
                                       daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def static(self, path: str, body: bytes, content_type: str = "application/octet-stream", *, etag: str | None = None,
               last_modified: str | None = None) -> None:
        """``body`` at ``path``, with validators if given, answering 304 to a matching conditional request."""
        def handler(request: Request) -> Reply:
            if etag and request.headers.get("if-none-match") == etag or \
                    last_modified and request.headers.get("if-modified-since") == last_modified:
                return Reply(304, headers=_validators(etag, last_modified))
            return Reply(200, body, {"Content-Type": content_type, **_validators(etag, last_modified)})
        self.route(path, handler)

    def then(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with these, in order, before its usual handler."""
        self.queued.setdefault(path, deque()).extend(replies)

    def requests(self, path: str | None = None) -> list[Request]:
        return [r for r in self.log if path is None or r.path == path]

    def wait_for(self, count: int, path: str, timeout: float = 30.0) -> None:
        """Block until ``count`` requests to ``path`` arrived."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.requests(path)) >= count, timeout):
                raise AssertionError(f"{path}: {len(self.requests(path))} requests, expected {count}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Replay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _not_found(request: Request) -> Reply:
    return Reply(404, b'{"error": "not found"}', {"Content-Type": "application/json"})


def _validators(etag: str | None, last_modified: str | None) -> dict[str, str]:
    out = {}
    if etag:
        out["ETag"] = etag
    if last_modified:
        out["Last-Modified"] = last_modified
    return out


# -- the arXiv API: pages cut from a pool of recorded entries, newest first -----------------------
class ArxivAPI:
    """``/api/query`` over a pool of real entries (the recorded pages' entries, or entries made
    from them), answering ``start``/``max_results`` pages sorted by published date, newest first,
    with the recorded feed's header. ``visible`` hides the newest entries until a test says
    they were announced."""

    def __init__(self, entries: list[bytes] | None = None) -> None:
        self.header, pool = recorded_arxiv()
        raw = entries if entries is not None else pool
        self.entries = sorted(raw, key=_published, reverse=True)
        self.hidden = 0  # the newest this many are not announced yet

    def handler(self, request: Request) -> Reply:
        visible = self.entries[self.hidden:]
        start, size = int(request.query.get("start", 0)), int(request.query.get("max_results", 10))
        page = visible[start:start + size]
        head = self.header.replace(b"<opensearch:totalResults>214881</opensearch:totalResults>",
                                   f"<opensearch:totalResults>{len(visible)}</opensearch:totalResults>".encode())
        head = head.replace(b"<opensearch:startIndex>0</opensearch:startIndex>",
                            f"<opensearch:startIndex>{start}</opensearch:startIndex>".encode())
        body = head + b"\n".join(page) + b"\n</feed>\n"
        return Reply(200, body, {"Content-Type": "application/atom+xml; charset=utf-8"})


def recorded_arxiv() -> tuple[bytes, list[bytes]]:
    """The recorded feed header (up to the first entry) and the 30 recorded entries, as bytes."""
    header, entries = b"", []
    for start in (0, 10, 20):
        raw = (REMOTE / "arxiv" / f"query_testing_start{start}.xml").read_bytes()
        first = raw.index(b"<entry>")
        header = header or raw[:first]
        for chunk in raw[first:].split(b"<entry>")[1:]:
            entries.append(b"  <entry>" + chunk.split(b"</entry>")[0] + b"</entry>")
    return header, entries


def _published(entry: bytes) -> str:
    start = entry.index(b"<published>") + len(b"<published>")
    return entry[start:entry.index(b"</published>")].decode()


def entry_id(entry: bytes) -> str:
    start = entry.index(b"<id>") + 4
    return entry[start:entry.index(b"</id>")].decode().rsplit("/", 1)[1]


# -- OpenReview API v2: pages of notes by offset/limit ------------------------------------------
class OpenReviewAPI:
    def __init__(self) -> None:
        self.notes: list[dict[str, Any]] = json.loads((REMOTE / "openreview" / "iclr2020_submissions.json").read_text())["notes"]

    def handler(self, request: Request) -> Reply:
        matching = [n for n in self.notes if request.query.get("invitation") in n["invitations"]
                    or request.query.get("content.venueid") == n["content"]["venueid"]["value"]]
        offset, limit = int(request.query.get("offset", 0)), int(request.query.get("limit", 1000))
        body = json.dumps({"notes": matching[offset:offset + limit], "count": len(matching)}).encode()
        return Reply(200, body, {"Content-Type": "application/json"})

    def decide(self, forum: str, venue: str, venueid: str) -> None:
        """A decision is posted: the note's venue and venue id change, as OpenReview does."""
        note = next(n for n in self.notes if n["id"] == forum)
        note["content"]["venue"] = {"value": venue}
        note["content"]["venueid"] = {"value": venueid}
        note["mdate"] = note.get("mdate", note["cdate"]) + 1


def element_ids(body: bytes) -> list[str]:
    return [e.findtext(ATOM + "id") or "" for e in ET.fromstring(body).findall(ATOM + "entry")]
