"""Atom helpers shared by the feed connectors: reading a feed safely, its entries' text, and
arXiv ids in the forms feeds write them (``oai:arXiv.org:2401.12345v2``, ``.../abs/2401.12345``,
``https://papers.cool/arxiv/2401.12345``)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .errors import SourceError

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
DC = "{http://purl.org/dc/elements/1.1/}"
FEED_OPEN = b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
FEED_CLOSE = b"</feed>\n"
ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?")


def read_feed(body: bytes, where: str) -> ET.Element:
    """The root of an Atom document; a SourceError (naming ``where``) for anything else. Entity
    declarations are refused: no feed needs them, and they are how XML bombs work."""
    if b"<!ENTITY" in body[:65536]:
        raise SourceError(f"{where}: the feed declares XML entities; refused", hint="is the --base-url right?")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SourceError(f"{where}: not a readable feed ({exc})",
                          hint="the response is damaged or not a feed; is the --base-url right?") from None
    if root.tag != ATOM + "feed":
        raise SourceError(f"{where}: the response is <{root.tag.split('}')[-1]}>, not an Atom feed",
                          hint="is the --base-url right?")
    return root


def text(el: ET.Element | None) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def arxiv_id(raw: str) -> str | None:
    """The arXiv id (with its version when given) in ``raw``, or None."""
    found = ARXIV_ID.search(raw)
    return found.group(0) if found else None


def document(payloads: list[bytes]) -> bytes:
    """A feed holding these entries (each one serialized ``<entry>``)."""
    return FEED_OPEN + b"\n".join(payloads) + b"\n" + FEED_CLOSE


def json_list(payloads: list[bytes]) -> bytes:
    """A JSON list of these (each one serialized JSON value)."""
    return b"[\n" + b",\n".join(payloads) + b"\n]\n"
