"""Digests of a watch as Markdown, HTML, Atom and email; the email goes through a real SMTP server
on loopback (aiosmtpd) over STARTTLS and implicit TLS with a login, and the test reads what the
server received: headers, both parts, links, escaping."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import feedparser
import pytest
import trustme
from _replay import OpenReviewAPI, Replay
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from paperatlas import Atlas, Filters
from paperatlas.errors import InvalidInput
from paperatlas.services import digest as svc
from paperatlas.services import sources as sources_svc
from paperatlas.services import watches as watches_svc
from paperatlas.sources.http import Fetcher

HOSTILE = 'Attention <script>alert(1)</script> & "quotes" *bold* [x](javascript:alert(1))'
USER, PASSWORD = "digest-bot", "s3cret-pw"


@pytest.fixture
def reported(atlas: Atlas) -> Iterator[tuple[Atlas, str]]:
    """A catalog synced from a replayed OpenReview venue, a watch, then a decision and a new
    submission with a hostile title: two items. Yields the atlas and the forum id decided."""
    api = OpenReviewAPI()
    later = api.notes.pop()
    later["content"]["title"]["value"] = HOSTILE
    with Replay() as server, Fetcher(sleep=lambda s: None, retries=1) as fetcher:
        server.route("/notes", api.handler)
        sources_svc.add_source(atlas, "openreview", "iclr20", venue="ICLR.cc/2020/Conference", base_url=server.url, pace=0)
        sources_svc.sync(atlas, fetcher=fetcher, today=date(2026, 8, 1))
        watches_svc.add_watch(atlas, "iclr", filters=Filters(venue="ICLR"))
        api.notes.append(later)
        decided = api.notes[0]["id"]
        api.decide(decided, "ICLR 2020 Poster", "ICLR.cc/2020/Conference")
        sources_svc.sync(atlas, fetcher=fetcher, today=date(2026, 8, 2))
    yield atlas, decided


def test_markdown_and_html_show_why_links_and_escape_listing_text(reported: tuple[Atlas, str]) -> None:
    atlas, decided = reported
    d = svc.digest(atlas, "iclr", None, "http://atlas.test")
    assert sorted(i.item.reason for i in d.items) == ["decision", "new"]
    poster = next(i for i in d.items if i.item.reason == "decision")
    assert poster.why == "decision arrived: Submitted → Poster"
    assert [label for label, _ in poster.links] == ["paper", "PDF", "OpenReview"]
    assert poster.links[2][1] == f"https://openreview.net/forum?id={decided}"
    assert poster.tldr  # OpenReview's own TL;DR field, or the extractive one
    md = svc.render(d, "markdown")
    assert f"(<http://atlas.test/paper/{poster.item.paper_id}>)" in md and "**Why:** decision arrived" in md
    assert "\\<script\\>" in md and "\\*bold\\*" in md and "\\[x\\]\\(javascript:alert\\(1\\)\\)" in md
    page = svc.render(d, "html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in page and "<script>" not in page
    assert f'<a href="https://openreview.net/forum?id={decided}">OpenReview</a>' in page


def test_since_limits_the_digest(reported: tuple[Atlas, str]) -> None:
    atlas, _ = reported
    from datetime import UTC, datetime

    # the items were reported at noon on 2026-08-02 (the replayed day)
    assert len(svc.digest(atlas, "iclr", timedelta(days=1), at=datetime(2026, 8, 2, 18, tzinfo=UTC)).items) == 2
    assert svc.digest(atlas, "iclr", timedelta(days=1), at=datetime(2026, 8, 4, tzinfo=UTC)).items == []


def test_atom_digest_parses_with_stable_ids(reported: tuple[Atlas, str]) -> None:
    atlas, _ = reported
    body = svc.atom(svc.digest(atlas, "iclr", None, "http://atlas.test"))
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.id == "tag:paperatlas,2026:watch/iclr"
    assert [link.href for link in feed.feed.links if link.rel == "self"] == ["http://atlas.test/feeds/watch/iclr.atom"]
    ids = sorted(e.id for e in feed.entries)
    assert all(i.startswith("tag:paperatlas,2026:paper/") and "/watch/iclr/" in i for i in ids)
    assert any(i.endswith("/decision/Poster") for i in ids)
    assert {e.updated for e in feed.entries} == {"2026-08-02T12:00:00Z"}
    hostile = next(e for e in feed.entries if e.title.startswith("Attention"))
    assert hostile.title.startswith(HOSTILE)  # the text as given, escaped in the XML
    assert feedparser.parse(svc.atom(svc.digest(atlas, "iclr", None, "http://atlas.test"))).entries[0].id in ids


# -- email through a real SMTP server ---------------------------------------------------------------
class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.messages.append((envelope, email.message_from_bytes(raw, policy=email.policy.default)))
        return "250 Message accepted for delivery"


def authenticator(server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    return ctx


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_goes_through_a_real_smtp_server(reported: tuple[Atlas, str], ca: trustme.CA, security: str) -> None:
    atlas, decided = reported
    inbox, port = Inbox(), free_port()
    tls: dict[str, Any] = {"tls_context": server_context(ca), "require_starttls": True} if security == "starttls" else \
        {"ssl_context": server_context(ca)}  # implicit TLS: the whole connection
    # aiosmtpd 1.4 does not count implicit TLS as TLS when it advertises AUTH; the connection is encrypted anyway
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=security == "starttls", **tls)
    controller.start()
    try:
        cfg = svc.SmtpConfig.from_settings(None, {"PAPERATLAS_SMTP_HOST": "127.0.0.1", "PAPERATLAS_SMTP_PORT": str(port),
                                                  "PAPERATLAS_SMTP_SECURITY": security, "PAPERATLAS_SMTP_USER": USER,
                                                  "PAPERATLAS_SMTP_PASSWORD": PASSWORD,
                                                  "PAPERATLAS_SMTP_FROM": "atlas@example.org"})
        assert PASSWORD not in repr(cfg)
        d = svc.digest(atlas, "iclr", None, "http://atlas.test")
        svc.send_email(svc.email_message(d, cfg.sender, ["me@example.org", "you@example.org"]), cfg, client_context(ca))
    finally:
        controller.stop()
    [(envelope, msg)] = inbox.messages
    assert envelope.mail_from == "atlas@example.org" and envelope.rcpt_tos == ["me@example.org", "you@example.org"]
    assert msg["Subject"] == "paperatlas · iclr: 2 items" and msg["To"] == "me@example.org, you@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    plain, rich = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and rich is not None
    text, markup = plain.get_content(), rich.get_content()
    assert "Why: decision arrived: Submitted → Poster" in text
    assert f"OpenReview: https://openreview.net/forum?id={decided}" in text
    assert HOSTILE in text  # plain text carries it as is
    assert "&lt;script&gt;" in markup and "<script>" not in markup
    assert f'href="https://openreview.net/forum?id={decided}"' in markup


def test_an_unreachable_server_is_named_and_the_password_never_shown(reported: tuple[Atlas, str]) -> None:
    atlas, _ = reported
    port = free_port()  # nothing listens there
    cfg = svc.SmtpConfig("127.0.0.1", port, "starttls", USER, "wrong-pw", "atlas@example.org", timeout=5)
    msg = svc.email_message(svc.digest(atlas, "iclr"), cfg.sender, ["me@example.org"])
    with pytest.raises(InvalidInput, match=f"sending through 127.0.0.1:{port} failed") as failed:
        svc.send_email(msg, cfg)
    assert "wrong-pw" not in failed.value.message + failed.value.hint and "wrong-pw" not in repr(cfg)


def test_smtp_settings_errors_name_the_fix() -> None:
    with pytest.raises(InvalidInput, match="no SMTP server"):
        svc.SmtpConfig.from_settings(None, {})
    with pytest.raises(InvalidInput, match="starttls, ssl, none"):
        svc.SmtpConfig.from_settings(None, {"PAPERATLAS_SMTP_HOST": "h", "PAPERATLAS_SMTP_SECURITY": "tls"})
    assert svc.SmtpConfig.from_settings(None, {"PAPERATLAS_SMTP_HOST": "h", "PAPERATLAS_SMTP_SECURITY": "ssl"}).port == 465


def test_cli_digest_prints_markdown_and_has_no_password_option(catalog_location: str | Path, tmp_path: Path) -> None:
    db = str(catalog_location)
    with Atlas.open(db) as atlas:
        watches_svc.add_watch(atlas, "w", "anything")
    done = subprocess.run([sys.executable, "-m", "paperatlas", "digest", "w", "--since", "7d", "--db", db],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# w: 0 items") and "Nothing new." in done.stdout
    helptext = subprocess.run([sys.executable, "-m", "paperatlas", "digest", "--help"], capture_output=True, text=True,
                              timeout=120).stdout
    assert "--to" in helptext and "password" not in helptext.lower()
