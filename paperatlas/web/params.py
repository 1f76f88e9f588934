"""Reading request parameters and bodies: every bad value becomes ``InvalidInput`` (400) naming
the parameter, never a 500."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import PurePath
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from ..errors import InvalidInput
from ..filters import Filters, bool_value, year_value
from ..ingest import Overrides, registry
from ..search.types import REQUEST_MODES
from . import security

MAX_K = 100
MAX_OFFSET = 10_000
MAX_QUERY_CHARS = 500
TEXT_FILTERS = ("venue", "track", "session", "author")


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    mode: str = "auto"
    page: int = 1
    k: int = 20
    filters: Filters = field(default_factory=Filters)
    explicit_k: bool = False  # ``k`` was in the request: links to other pages keep it

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.k

    @classmethod
    def parse(cls, query: Mapping[str, str], default_mode: str, default_k: int) -> SearchParams:
        mode = query.get("mode") or default_mode
        if mode not in REQUEST_MODES:
            raise InvalidInput(f"unknown search mode {mode!r}", hint=f"use one of {', '.join(REQUEST_MODES)}")
        k = min(max(int_param(query, "k") or default_k, 1), MAX_K)
        page = max(int_param(query, "page") or 1, 1)
        if page * k > MAX_OFFSET:
            raise InvalidInput("that page is too deep", hint="narrow the query with a filter")
        # topic: search only (resolved through the topic maps by search; other lists cannot)
        filters = replace(filters_param(query), topic=(query.get("topic") or "").strip()[:300] or None)
        return cls((query.get("q") or "").strip()[:MAX_QUERY_CHARS], mode, page, k, filters,
                   bool((query.get("k") or "").strip()))

    def as_query(self) -> dict[str, Any]:
        """The parameters that reproduce this page (``k`` when it was asked for)."""
        values: dict[str, Any] = {"q": self.q, "mode": self.mode, **self.filters.to_dict()}
        if self.explicit_k:
            values["k"] = self.k
        if "has_code" in values:
            values["has_code"] = int(values["has_code"])
        return {k: v for k, v in values.items() if v not in (None, "")}


def filters_param(query: Mapping[str, str]) -> Filters:
    """The search filters among the query parameters (InvalidInput for a value that does not fit)."""
    values: dict[str, Any] = {name: (query.get(name) or "").strip()[:300] or None for name in TEXT_FILTERS}
    values |= {name: year_param(query, name) for name in ("year", "year_from", "year_to")}
    code = (query.get("has_code") or "").strip()
    values["has_code"] = bool_value(code, "has_code") if code else None
    return Filters(**values)


@dataclass(frozen=True)
class RecommendParams:
    profile: str = "starred"
    k: int = 20
    filters: Filters = field(default_factory=Filters)
    since_days: int | None = None
    authors: bool = True

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> RecommendParams:
        profile = (query.get("profile") or "starred").strip()[:200]
        k = min(max(int_param(query, "k") or 20, 1), MAX_K)
        since = int_param(query, "since_days")
        authors = (query.get("authors") or "1").strip()
        return cls(profile, k, filters_param(query), since if since and since > 0 else None,
                   bool_value(authors, "authors"))

    def as_query(self) -> dict[str, Any]:
        values: dict[str, Any] = {"profile": self.profile, **self.filters.to_dict()}
        if self.since_days:
            values["since_days"] = self.since_days
        if not self.authors:
            values["authors"] = 0
        return values


@dataclass(frozen=True)
class VenueListParams:
    """The paper list of a venue page: words to rank or narrow by, the order (``relevance``,
    ``track``, ``title`` or ``counter:NAME``; empty: relevance with words, track without), a
    page, and the track, session and has-code filters."""

    q: str = ""
    sort: str = ""
    page: int = 1
    k: int = 20
    filters: Filters = field(default_factory=Filters)
    mode: str = "auto"
    explicit_k: bool = False  # ``k`` was in the request: links to other pages and orders keep it

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.k

    @classmethod
    def parse(cls, query: Mapping[str, str], default_mode: str, default_k: int) -> VenueListParams:
        s = SearchParams.parse({k: v for k, v in query.items() if k not in ("venue", "year", "author")},
                               default_mode, default_k)
        filters = Filters(track=s.filters.track, session=s.filters.session, has_code=s.filters.has_code)
        return cls(s.q, (query.get("sort") or "").strip()[:200], s.page, s.k, filters, s.mode, s.explicit_k)

    def as_query(self, **changes: Any) -> dict[str, Any]:
        """The parameters that reproduce this list, with ``changes`` (None removes one)."""
        values: dict[str, Any] = {"q": self.q, "sort": self.sort, **self.filters.to_dict(), "page": self.page,
                                  "k": self.k if self.explicit_k else None}
        if "has_code" in values:
            values["has_code"] = int(values["has_code"])
        values.update(changes)
        if values.get("page") == 1:
            values["page"] = None
        return {k: v for k, v in values.items() if v not in (None, "")}


MAX_NAME_CHARS = 300


def author_name(request: Request) -> str:
    """``/author/{name}``: the name as written (InvalidInput when it is empty or too long)."""
    name = " ".join(str(request.path_params["name"]).split())
    if not name:
        raise InvalidInput("the author's name is missing", hint="e.g. /author/Yoshua Bengio")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"an author's name has at most {MAX_NAME_CHARS} characters", hint="search with ?author= instead")
    return name


def int_param(query: Mapping[str, str], name: str) -> int | None:
    """A whole-number parameter, or None when absent; InvalidInput (400) when it is not one
    (ASCII digits only: ``'²'.isdigit()`` is true, ``int('²')`` fails)."""
    value = (query.get(name) or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"-?[0-9]{1,9}", value):
        raise InvalidInput(f"{name} must be a whole number, not {value[:40]!r}", hint=f"e.g. {name}=2")
    return int(value)


def year_param(query: Mapping[str, str], name: str) -> int | None:
    value = (query.get(name) or "").strip()
    return year_value(value, name) if value else None


def venue_args(request: Request) -> tuple[str | None, int | None]:
    """``/venue/ICLR/2023``; ``-`` stands for an unknown venue or year."""
    venue, year = request.path_params["venue"], request.path_params["year"]
    if year == "-":
        return (None if venue == "-" else venue), None
    return (None if venue == "-" else venue), year_value(year, "the year in the path")


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(value: Any) -> Any:
    """``value`` with every lone UTF-16 surrogate (a JSON escape like "\\ud800", which no UTF-8
    text can hold) replaced by U+FFFD, in strings, list items and keys at any depth."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [valid_text(v) for v in value]
    if isinstance(value, dict):
        return {valid_text(k): valid_text(v) for k, v in value.items()}
    return value


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = valid_text(json.loads(await request.body() or b"{}"))
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting deeper than the decoder goes
        raise InvalidInput("the body is not valid JSON", hint="send a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", hint='e.g. {"tag": "to-read"}')
    return body


@dataclass
class IngestInput:
    name: str
    data: bytes
    format: str | None = None
    overrides: Overrides = field(default_factory=Overrides)
    skip_bad: bool = False  # store the good records and warn about each damaged one
    preview: bool = False  # read and show the records, store nothing
    key: str = ""  # the preview this store confirms (its ingest fingerprint), if any
    uploaded: bool = False  # the data is an uploaded file, not pasted text


@dataclass
class IngestForm:
    """The import form as it was sent, to show it again whatever happened (the pasted text stays
    in the textarea; an uploaded file's name is named, since a browser cannot be given it back)."""

    text: str = ""
    name: str = ""
    format: str = ""
    venue: str = ""
    year: str = ""
    track: str = ""
    session: str = ""
    skip_bad: bool = False
    file_name: str = ""
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def read_ingest_body(request: Request) -> tuple[dict[str, Any], FormData | None]:
    """The fields of an import form or JSON body, not checked yet (the form is kept for
    ``security.check_write``, which reads its ``_csrf``)."""
    limit = request.app.state.settings.max_upload_bytes
    if request.headers.get("content-type", "").startswith("application/json"):
        return await json_body(request), None
    form = await request.form(max_files=1, max_fields=20, max_part_size=limit)
    return {k: valid_text(v) for k, v in form.items()}, form


def ingest_form(values: Mapping[str, Any]) -> IngestForm:
    """What the user typed, as text (nothing checked), to put back into the form."""

    def text(name: str, limit: int = 300) -> str:
        value = values.get(name)
        return value[:limit] if isinstance(value, str) else ""

    upload = values.get("file")
    file_name = (upload.filename or "") if isinstance(upload, UploadFile) else ""
    pasted = values.get("text")
    return IngestForm(pasted if isinstance(pasted, str) else "", text("name"), text("format", 100), text("venue"),
                      text("year", 20), text("track"), text("session"), _flag(values.get("skip_bad")),
                      file_name[:200], text("key", 100))


async def ingest_input(values: Mapping[str, Any], query: Mapping[str, str] | None = None) -> IngestInput:
    """The pasted text or uploaded file with the user's overrides; InvalidInput (400) for what
    cannot be used. ``preview`` may also come in the query (``POST /api/ingest?preview=1``)."""
    upload = values.get("file")
    uploaded = isinstance(upload, UploadFile) and bool(upload.filename)
    if isinstance(upload, UploadFile) and upload.filename:
        name, data = PurePath(upload.filename.replace("\\", "/")).name or "upload", await upload.read()
    else:
        text = str(values.get("text") or "")
        if not text.strip():
            raise InvalidInput("nothing to import", hint="paste the listing text or choose a file")
        data = text.replace("\r\n", "\n").encode("utf-8", "replace")
        name = str(values.get("name") or "").strip() or f"pasted-{hashlib.sha256(data).hexdigest()[:10]}.txt"
    fmt = str(values.get("format") or "") or None
    if fmt is not None and fmt not in registry.parsers():
        raise InvalidInput(f"unknown format {fmt!r}", hint="see /api/formats")
    year = year_param({"year": str(values.get("year") or "")}, "year")
    over = Overrides(**{k: (str(values.get(k) or "").strip() or None) for k in ("venue", "track", "session")}, year=year)
    skip_bad = bool_value(values["skip_bad"], "skip_bad") if values.get("skip_bad") not in (None, "") else False
    wanted = values.get("preview") if values.get("preview") not in (None, "") else (query or {}).get("preview")
    preview = bool_value(wanted, "preview") if wanted not in (None, "") else False
    key = str(values.get("key") or "").strip()[:100]
    return IngestInput(PurePath(name).name[:200], data, fmt, over, skip_bad, preview, key, uploaded)


async def read_ingest(request: Request) -> IngestInput:
    """The pasted text or uploaded file of a form or JSON body, with the user's overrides; only
    once the request may write (``security.check_write``)."""
    values, form = await read_ingest_body(request)
    security.check_write(request, form)
    return await ingest_input(values, request.query_params)


def _flag(value: Any) -> bool:
    try:
        return value not in (None, "") and bool_value(value, "flag")
    except InvalidInput:
        return False


def text_field(body: dict[str, Any], name: str) -> str:
    """A string field of the body (the core checks its content)."""
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInput(f"{name!r} is missing", hint=f"send {{\"{name}\": \"…\"}}")
    return value
