"""Atom feeds (RFC 4287) written with ElementTree, which escapes every text and attribute.

Entry ids are tag URIs (RFC 4151) that never change for the same thing: a paper in a list or
venue feed is ``tag:paperatlas,2026:paper/<id>``; a watch's item adds the watch, the reason and
the state reported, so a new version of a paper is a new entry and a re-read is not.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import quote

NS = "http://www.w3.org/2005/Atom"
TAG = "tag:paperatlas,2026:"
GENERATOR = "paperatlas"


def tag_id(*parts: str) -> str:
    """``tag:paperatlas,2026:paper/<id>/...`` with each part percent-encoded."""
    return TAG + "/".join(quote(p, safe="") for p in parts)


@dataclass
class AtomEntry:
    id: str
    title: str
    updated: str  # RFC 3339
    link: str
    summary: str = ""  # plain text
    content_html: str = ""  # an HTML fragment (escaped into the feed as type="html")
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)  # (title, url)


def atom_feed(feed_id: str, title: str, self_url: str, alternate: str, updated: str, entries: list[AtomEntry],
              subtitle: str = "") -> bytes:
    """The feed as UTF-8 bytes. ``updated``: the newest entry's time (or now for an empty feed)."""
    ET.register_namespace("", NS)
    feed = ET.Element(f"{{{NS}}}feed")
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    if subtitle:
        _text(feed, "subtitle", subtitle)
    _text(feed, "updated", updated)
    ET.SubElement(feed, f"{{{NS}}}link", rel="self", type="application/atom+xml", href=self_url)
    ET.SubElement(feed, f"{{{NS}}}link", rel="alternate", type="text/html", href=alternate)
    author = ET.SubElement(feed, f"{{{NS}}}author")
    _text(author, "name", GENERATOR)
    _text(feed, "generator", GENERATOR)
    for e in entries:
        entry = ET.SubElement(feed, f"{{{NS}}}entry")
        _text(entry, "id", e.id)
        _text(entry, "title", e.title or "(untitled)")
        _text(entry, "updated", e.updated)
        ET.SubElement(entry, f"{{{NS}}}link", rel="alternate", type="text/html", href=e.link)
        for text, url in e.related:
            ET.SubElement(entry, f"{{{NS}}}link", rel="related", href=url, title=text)
        for name in e.authors:
            a = ET.SubElement(entry, f"{{{NS}}}author")
            _text(a, "name", name)
        for term in e.categories:
            ET.SubElement(entry, f"{{{NS}}}category", term=term)
        if e.summary:
            _text(entry, "summary", e.summary)
        if e.content_html:
            _text(entry, "content", e.content_html).set("type", "html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{NS}}}{name}")
    el.text = _xml_safe(value)
    return el


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot carry most control characters (a feed reader rejects the whole feed)."""
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or c >= "\U00010000")
