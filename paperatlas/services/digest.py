"""Digests of a watch: what it reported over a period, as Markdown, HTML, Atom or an email.

    d = digest(atlas, "rl", since=timedelta(days=7), base_url="http://127.0.0.1:8000")
    render(d, "markdown")
    send_email(email_message(d, sender, ["me@example.org"]), SmtpConfig.from_settings(settings, os.environ))

Each item shows the title, authors, venue, a TL;DR (the source's own, else the extractive one of
``paperatlas.tldr``) or the start of the abstract, why it is there (the typed reason in words)
and links: the paper page, PDF, arXiv, OpenReview and code when its ids allow. Every value from a
listing is escaped for the format it goes into.

SMTP settings come from the settings file or the environment (``PAPERATLAS_SMTP_HOST``, ``_PORT``,
``_SECURITY`` = starttls | ssl | none, ``_USER``, ``_PASSWORD``, ``_FROM``), never from a command
line: a password there is in the shell history and the process list.
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import InvalidInput
from ..links import KINDS, LABELS, paper_links, web_url
from ..models import Paper
from ..normalize import latex_to_text
from ..store.protocol import WatchInfo, WatchItem
from ..watches import reason_words
from ..watches.atom import AtomEntry, atom_feed, tag_id
from .watches import describe, get_watch, moment, stamp

if TYPE_CHECKING:
    from ..app import Atlas

FORMATS = ("markdown", "html", "atom", "email")
ABSTRACT_CHARS = 300
SECURITIES = ("starttls", "ssl", "none")


@dataclass
class DigestItem:
    item: WatchItem
    paper: Paper | None  # None: merged away or removed since it was reported
    why: str
    tldr: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url), the paper page first

    @property
    def title(self) -> str:
        return (self.paper.title if self.paper else "") or self.item.title or self.item.paper_id

    @property
    def authors(self) -> list[str]:
        return self.paper.authors if self.paper else []

    @property
    def venue(self) -> str:
        p = self.paper
        return " ".join(str(v) for v in (p.venue, p.year, f"· {p.track}" if p.track else None) if v) if p else ""

    def to_dict(self) -> dict[str, Any]:
        return {"paper_id": self.item.paper_id, "title": self.title, "authors": self.authors, "venue": self.venue,
                "reason": self.item.reason, "why": self.why, "state": self.item.state, "detail": self.item.detail,
                "tldr": self.tldr, "reported_at": self.item.reported_at, "seen": self.item.seen_at is not None,
                "links": [{"label": a, "url": b} for a, b in self.links]}


@dataclass
class Digest:
    watch: WatchInfo
    since: str | None
    generated: str
    base_url: str
    items: list[DigestItem]

    @property
    def title(self) -> str:
        return f"paperatlas · {self.watch.name}: {len(self.items)} item{'s' * (len(self.items) != 1)}"

    def to_dict(self) -> dict[str, Any]:
        return {"watch": self.watch.name, "what": describe(self.watch), "since": self.since, "generated": self.generated,
                "items": [i.to_dict() for i in self.items]}


def digest(atlas: Atlas, name: str, since: timedelta | None = None, base_url: str = "http://127.0.0.1:8000",
           at: datetime | None = None, limit: int = 500) -> Digest:
    """The items the watch reported within ``since`` (None: all, newest first, at most ``limit``)."""
    watch = get_watch(atlas, name)
    now = at or moment()
    start = stamp(now - since) if since is not None else None
    items = atlas.watches.items(name, since=start, limit=limit)
    papers = atlas.store.papers.by_ids(sorted({i.paper_id for i in items}))
    base = base_url.rstrip("/")
    out = [DigestItem(i, papers.get(i.paper_id), reason_words(i.reason, i.detail),
                      tldr_of(atlas, papers[i.paper_id]) if i.paper_id in papers else "",
                      links_of(papers.get(i.paper_id), i.paper_id, base)) for i in items]
    return Digest(watch, start, stamp(now), base, out)


def tldr_of(atlas: Atlas, paper: Paper) -> str:
    """The paper's TL;DR: its own field when the catalog has one, a source's (OpenReview's), the
    extractive one, else the start of the abstract."""
    own = getattr(paper, "tldr", None)
    if isinstance(own, str) and own.strip():
        return own.strip()
    for _, record in atlas.store.papers.records_of(paper.id):
        given = record.extra.get("tldr") or record.extra.get("TLDR")
        if isinstance(given, str) and given.strip():
            return latex_to_text(given.strip())
    from ..tldr import extractive_tldr

    abstract = latex_to_text(paper.abstract or "")
    found = extractive_tldr(paper.title, abstract)
    if found:
        return found
    return abstract[:ABSTRACT_CHARS] + ("…" if len(abstract) > ABSTRACT_CHARS else "")


def links_of(paper: Paper | None, paper_id: str, base: str) -> list[tuple[str, str]]:
    out = [("paper", f"{base}/paper/{quote(paper_id, safe='')}")]
    if paper is None:
        return out
    out += [(LABELS.get(kind, kind), url) for kind, url in paper_links(paper) if kind in KINDS]
    code = next((u for u in (web_url(c) for c in paper.code_urls) if u), None)
    if code:
        out.append(("code", code))
    return out


# -- formats ---------------------------------------------------------------------------------------
def render(d: Digest, fmt: str) -> str:
    if fmt == "markdown":
        return markdown(d)
    if fmt == "html":
        return html_page(d)
    if fmt == "atom":
        return atom(d).decode("utf-8")
    if fmt == "email":
        return plain_text(d)
    raise InvalidInput(f"unknown digest format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md(text: str) -> str:
    """Text that Markdown shows as written (its punctuation escaped, lines joined)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def markdown(d: Digest) -> str:
    lines = [f"# {md(d.watch.name)}: {len(d.items)} item{'s' * (len(d.items) != 1)}", "",
             f"{md(describe(d.watch))}" + (f" · since {d.since}" if d.since else ""), ""]
    for it in d.items:
        lines.append(f"## [{md(it.title)}](<{it.links[0][1]}>)")
        lines.append("")
        names = ", ".join(it.authors[:8]) + (" et al." if len(it.authors) > 8 else "")
        meta = " · ".join(x for x in (md(names), md(it.venue)) if x)
        if meta:
            lines += [meta, ""]
        lines += [f"**Why:** {md(it.why)}", ""]
        if it.tldr:
            lines += [f"> {md(it.tldr)}", ""]
        lines += [" · ".join(f"[{md(label)}](<{url}>)" for label, url in it.links), ""]
    if not d.items:
        lines += ["Nothing new.", ""]
    return "\n".join(lines)


def plain_text(d: Digest) -> str:
    lines = [f"{d.watch.name}: {len(d.items)} item{'s' * (len(d.items) != 1)} ({describe(d.watch)})", ""]
    for n, it in enumerate(d.items, 1):
        lines.append(f"{n}. {' '.join(it.title.split())}")
        if it.authors:
            lines.append("   " + ", ".join(it.authors[:8]) + (" et al." if len(it.authors) > 8 else ""))
        if it.venue:
            lines.append("   " + it.venue)
        lines.append("   Why: " + it.why)
        if it.tldr:
            lines.append("   " + " ".join(it.tldr.split()))
        lines += [f"   {label}: {url}" for label, url in it.links]
        lines.append("")
    if not d.items:
        lines.append("Nothing new.")
    return "\n".join(lines)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def item_html(it: DigestItem) -> str:
    links = " · ".join(f'<a href="{_e(url)}">{_e(label)}</a>' for label, url in it.links)
    parts = [f'<h2><a href="{_e(it.links[0][1])}">{_e(it.title)}</a></h2>']
    if it.authors:
        parts.append(f"<p class=\"authors\">{_e(', '.join(it.authors[:8]))}{' et al.' if len(it.authors) > 8 else ''}</p>")
    if it.venue:
        parts.append(f'<p class="venue">{_e(it.venue)}</p>')
    parts.append(f'<p class="why"><strong>Why:</strong> {_e(it.why)}</p>')
    if it.tldr:
        parts.append(f'<p class="tldr">{_e(it.tldr)}</p>')
    parts.append(f'<p class="links">{links}</p>')
    return "\n".join(parts)


def html_page(d: Digest) -> str:
    """A standalone HTML document (no script, no external style: mail clients and CSP agree)."""
    body = "\n<hr>\n".join(item_html(it) for it in d.items) or "<p>Nothing new.</p>"
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(d.title)}</title></head>\n'
            f"<body>\n<h1>{_e(d.watch.name)}: {len(d.items)} item{'s' * (len(d.items) != 1)}</h1>\n"
            f"<p>{_e(describe(d.watch))}{' · since ' + _e(d.since) if d.since else ''}</p>\n{body}\n</body></html>\n")


def atom(d: Digest) -> bytes:
    """The watch as an Atom feed: one entry per reported item (a paper reported again for a new
    reason or state is a new entry; the same report keeps its id and time)."""
    name = d.watch.name
    entries = [AtomEntry(tag_id("paper", it.item.paper_id, "watch", name, it.item.reason, it.item.state),
                         f"{it.title} — {it.why}", it.item.reported_at, it.links[0][1], it.tldr, item_html(it),
                         it.authors, [it.item.reason], [(label, url) for label, url in it.links[1:]]) for it in d.items]
    updated = max((e.updated for e in entries), default=d.watch.created_at or d.generated)
    return atom_feed(tag_id("watch", name), f"paperatlas watch: {name}", f"{d.base_url}/feeds/watch/{quote(name, safe='')}.atom",
                     f"{d.base_url}/watches#{quote(name, safe='')}", updated, entries, describe(d.watch))


# -- email -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str = "starttls"  # starttls | ssl | none
    user: str = ""
    password: str = ""
    sender: str = ""
    timeout: float = 30.0

    def __repr__(self) -> str:  # never shows the password
        return f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r}, user={self.user!r})"

    @classmethod
    def from_settings(cls, settings: Any, environ: Mapping[str, str]) -> SmtpConfig:
        """From the settings (``smtp_host``, ``smtp_port``, ...) or the environment
        (``PAPERATLAS_SMTP_HOST``, ...); the environment wins."""
        def value(name: str, default: str = "") -> str:
            return str(environ.get(f"PAPERATLAS_SMTP_{name.upper()}") or getattr(settings, f"smtp_{name}", "") or default)

        host = value("host")
        if not host:
            raise InvalidInput("no SMTP server is configured",
                               hint="set smtp_host (and smtp_port, smtp_security, smtp_user, smtp_from) in the settings file, "
                                    "or PAPERATLAS_SMTP_HOST; the password only in PAPERATLAS_SMTP_PASSWORD or the settings file")
        security = value("security", "starttls").lower()
        if security not in SECURITIES:
            raise InvalidInput(f"smtp_security {security!r} is not one of {', '.join(SECURITIES)}", hint="e.g. starttls")
        port_text = value("port", "465" if security == "ssl" else "587")
        if not port_text.isdigit():
            raise InvalidInput(f"smtp_port {port_text!r} is not a port number", hint="e.g. 587")
        user = value("user")
        return cls(host, int(port_text), security, user, value("password"), value("from", user))


def email_message(d: Digest, sender: str, to: list[str]) -> EmailMessage:
    """multipart/alternative: the plain text first, the HTML second (RFC 2046: best last)."""
    if not sender or not to or not all("@" in a for a in [sender, *to]):
        raise InvalidInput("an email needs a sender and recipients with an @",
                           hint="--to you@example.org; the sender is smtp_from (or smtp_user) in the settings")
    msg = EmailMessage()
    msg["Subject"] = d.title
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="paperatlas.local")
    msg.set_content(plain_text(d))
    msg.add_alternative(html_page(d), subtype="html")
    return msg


def send_email(msg: EmailMessage, cfg: SmtpConfig, context: ssl.SSLContext | None = None) -> None:
    """Send over SMTP: implicit TLS (``ssl``), STARTTLS, or plain (``none``: loopback relays
    only); log in when a user is set. Errors name the server, never the password."""
    context = context or ssl.create_default_context()
    try:
        if cfg.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        with client:
            if cfg.security == "starttls":
                client.starttls(context=context)
            if cfg.user:
                client.login(cfg.user, cfg.password)
            client.send_message(msg)
    except smtplib.SMTPAuthenticationError:
        raise InvalidInput(f"the SMTP server {cfg.host}:{cfg.port} refused the login of {cfg.user!r}",
                           hint="check smtp_user and PAPERATLAS_SMTP_PASSWORD") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise InvalidInput(f"sending through {cfg.host}:{cfg.port} failed: {type(exc).__name__}: {exc}",
                           hint="check smtp_host, smtp_port and smtp_security (starttls, ssl or none)") from None
