"""Reading listings: detect a file's format, parse it, clean the records, and prepare them for
the store. Pure (no catalog), so it runs in worker processes; storing is
``services.ingest``, which the CLI, the web import page and the benchmarks call.

Formats register through one door (``registry.register``); the built-in parsers use it too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ParseError
from ..models import Record
from ..normalize import clean_record
from ..resolve.prepare import Prepared, prepare
from ..store.protocol import FileInfo
from . import registry
from .base import ParseContext, Source
from .limits import Limits, exceeded

# A lone UTF-16 surrogate can only come from a JSON escape (\ud800); such text cannot be
# encoded, hashed or stored, so records of a source with one are made valid at the boundary.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


@dataclass
class Overrides:
    """What the user says about the files (--venue etc.): fills in what a page does not say."""

    venue: str | None = None
    year: int | None = None
    track: str | None = None
    session: str | None = None


@dataclass
class FileReport:
    path: str
    format: str | None = None
    found: int = 0
    new: int = 0
    merged: int = 0
    unchanged: int = 0
    updated: int = 0
    repeated: int = 0
    review: int = 0  # new papers with a possible twin, queued for `paperatlas merges --pending`
    candidates: int = 0  # (record, paper) pairs that blocking found and the merge rules judged
    match_seconds: float = 0.0  # time spent finding and judging those candidates
    claimed_total: int | None = None
    page_venue: str | None = None
    page_track: str | None = None
    same_as: str | None = None  # unchanged: the stored file with this content (another path, maybe)
    paper_ids: list[str] = field(default_factory=list)  # the papers the file's records are in
    # records with each field filled in: title, authors, year, abstract, ids, code
    coverage: dict[str, int] = field(default_factory=dict)
    # source fields the parser saw and did not map onto a paper field (kept as the record's extra)
    unmapped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def completeness(self) -> str | None:
        """"25 of 693 present: the copy is truncated" when the page claims more than it holds."""
        if self.claimed_total is None or self.error:
            return None
        if self.found < self.claimed_total:
            return f"{self.found} of {self.claimed_total} present: the copy is truncated"
        if self.found > self.claimed_total:
            return f"{self.found} records but the page claims {self.claimed_total}"
        return f"all {self.claimed_total} present"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("paper_ids")  # (a file of 10k records would print 10k ids; `paperatlas papers` lists them)
        data["completeness"] = self.completeness
        return data


def read_source(path: str | Path, limits: Limits | None = None) -> Source:
    """The file at ``path`` as a Source (gunzipped; see ``read_raw`` for what is refused)."""
    limits = limits or Limits()
    return Source.from_bytes(str(path), read_raw(path, limits), limits.max_bytes)


def read_raw(path: str | Path, limits: Limits | None = None) -> bytes:
    """The bytes of the file at ``path``: a regular file only (a device, pipe or socket would be
    read without end or block forever), at most ``limits.max_file_mb``."""
    limits = limits or Limits()
    p = str(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)  # a named pipe must not block the open
    except FileNotFoundError:
        raise ParseError("no such file", path=p, hint="check the path") from None
    except IsADirectoryError:
        raise ParseError("is a directory", path=p, hint="pass the files inside it (dir/*)") from None
    except OSError as exc:
        raise ParseError(f"cannot read the file ({exc.strerror})", path=p, hint="check permissions") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ParseError("is a directory", path=p, hint="pass the files inside it (dir/*)")
        raise ParseError("is not a regular file (a device, pipe or socket)", path=p,
                         hint="save the data to a file first, then ingest that file")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limits.max_bytes:
            raise exceeded(p, f"the file is larger than {limits.max_file_mb} MB", "max_file_mb", limits.max_file_mb)
        try:
            raw = handle.read(limits.max_bytes + 1)
        except OSError as exc:
            raise ParseError(f"cannot read the file ({exc.strerror})", path=p, hint="check permissions") from None
    if len(raw) > limits.max_bytes:  # it grew while we read it
        raise exceeded(p, f"the file is larger than {limits.max_file_mb} MB", "max_file_mb", limits.max_file_mb)
    return raw


def choose_parser(source: Source, format: str | None = None) -> str:
    """The format name to read ``source`` as: the one asked for, or the detected one."""
    try:
        return registry.get(format).NAME if format else registry.detect(source).NAME
    except ParseError as exc:
        exc.path = exc.path or source.path
        raise


def parse_source(source: Source, ctx: ParseContext, format: str | None = None) -> tuple[str, list[Record]]:
    """Detect (or take) the format and parse every record, cleaned. Raises only ParseError."""
    name = choose_parser(source, format)
    try:
        records = [clean_record(rec) for rec in _within_limits(registry.get(name).parse(source, ctx), source, ctx)]
    except ParseError as exc:
        exc.path = exc.path or source.path
        raise
    except RecursionError:
        raise ParseError("the data is nested too deeply", path=source.path, hint="is it the right file?") from None
    except Exception as exc:  # a bug in a parser must not take the other files down
        raise ParseError(
            f"internal error while parsing ({type(exc).__name__}: {exc})",
            path=source.path,
            hint="please report this with the file; try --format NAME meanwhile",
        ) from exc
    if not records:
        raise ParseError(
            f"no records found (read as {name})",
            path=source.path,
            hint="is the copy complete? pass --format NAME if the format was guessed wrong",
        )
    _fill_in(records, ctx)
    return name, records


def _within_limits(records: Iterable[Record], source: Source, ctx: ParseContext) -> Iterable[Record]:
    """The parser's records, at most ``max_records``, each field at most ``max_field_chars`` (a
    longer one fails the file, or skips the record with ``--skip-bad``), text valid Unicode."""
    limits = ctx.limits
    check_text = _SURROGATE_ESCAPE.search(source.data) is not None
    for count, rec in enumerate(records, 1):
        if count > limits.max_records:
            raise exceeded(source.path, f"the file holds more than {limits.max_records} records", "max_records_per_file",
                           limits.max_records)
        longest = _longest_field(rec)
        if longest[1] > limits.max_field_chars:
            error = exceeded(source.path, f"field {longest[0]} has {longest[1]:,} characters", "max_field_chars",
                             limits.max_field_chars, line=rec.line, record=rec.position or count)
            if not ctx.skip_bad:
                raise error
            ctx.warn(f"record {rec.position or count} skipped: {error.message}")
            continue
        if check_text and _make_valid_unicode(rec):
            rec.warn("text with invalid characters (a lone UTF-16 surrogate) repaired: U+FFFD in their place")
        yield rec


def _longest_field(rec: Record) -> tuple[str, int]:
    """(name, length) of the record's longest text field."""
    fields = [("title", rec.title), ("abstract", rec.abstract), ("venue", rec.venue or ""),
              ("track", rec.track or ""), ("session", rec.session or "")]
    fields += [("authors", a) for a in rec.authors] + [("keywords", k) for k in rec.keywords]
    fields += [(f"links.{k}", v) for k, v in rec.links.items()] + [("code_urls", u) for u in rec.code_urls]
    fields += [(str(k), v) for k, v in rec.extra.items() if isinstance(v, str)]
    name, text = max(fields, key=lambda kv: len(kv[1]) if isinstance(kv[1], str) else 0)
    return name, len(text) if isinstance(text, str) else 0


def _make_valid_unicode(rec: Record) -> bool:
    """Replace lone surrogates in every text of the record; True if any was found."""
    changed = False

    def fix(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str):
            try:
                value.encode("utf-8")
                return value
            except UnicodeEncodeError:
                changed = True
                return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {fix(k): fix(v) for k, v in value.items()}
        return value

    for name in ("title", "abstract", "venue", "track", "session", "record_id", "authors", "keywords", "links",
                 "code_urls", "ids", "counters", "extra"):
        setattr(rec, name, fix(getattr(rec, name)))
    return changed


def _fill_in(records: list[Record], ctx: ParseContext) -> None:
    for rec in records:
        rec.venue = rec.venue or ctx.venue
        rec.year = rec.year or ctx.year
        rec.track = rec.track or ctx.track
        rec.session = rec.session or ctx.session


def content_hash(raw: bytes) -> str:
    """Identity of a file's bytes (as stored on disk)."""
    return hashlib.sha256(raw).hexdigest()


def fingerprint(raw: bytes, format: str | None, overrides: Overrides, skip_bad: bool = False) -> str:
    """Identity of one ingest of a file: its bytes as stored on disk plus what the user asked."""
    h = hashlib.sha256(raw)
    h.update(json.dumps([format, asdict(overrides), skip_bad], sort_keys=True).encode())
    return h.hexdigest()


@dataclass
class ParseJob:
    """One file to parse: everything a worker process needs, nothing it cannot pickle."""

    path: str  # as given (for messages)
    key: str  # where the store records it was read (absolute path, or a label)
    fingerprint: str
    content_hash: str
    format: str | None
    overrides: Overrides
    skip_bad: bool
    source: Source | None = None  # given for pasted text; read from ``path`` otherwise
    limits: Limits = field(default_factory=Limits)
    data: bytes | None = None  # an upload's bytes, decoded (gunzipped) where the job runs


Parsed = tuple[FileReport, "FileInfo | None", list[Prepared]]


def parse_job(job: ParseJob) -> Parsed:
    """Read, detect, parse, clean and prepare one file; pure (no catalog), so it can run anywhere."""
    report = FileReport(path=job.path)
    ctx = ParseContext(path=job.path, skip_bad=job.skip_bad, limits=job.limits, **asdict(job.overrides))
    try:
        if job.source is not None:
            source = job.source
        elif job.data is not None:
            source = Source.from_bytes(job.path, job.data, job.limits.max_bytes)
        else:
            source = read_source(job.path, job.limits)
        report.format, records = parse_source(source, ctx, job.format)
    except ParseError as exc:
        report.error, report.hint = f"{exc.where()}: {exc.message}", exc.hint
        return report, None, []
    except MemoryError:
        report.error = f"{job.path}: not enough memory to read the file"
        report.hint = "split it into smaller files, or lower max_file_mb to refuse such files early"
        return report, None, []
    report.claimed_total, report.page_venue, report.page_track = ctx.claimed_total, ctx.page_venue, ctx.page_track
    report.warnings = ctx.warnings + [w for r in records for w in record_warnings(r)]
    report.coverage, report.unmapped = field_coverage(records), unmapped_fields(records)
    info = FileInfo(
        path=job.key,
        name=Path(job.path).name,
        fingerprint=job.fingerprint,
        content_hash=job.content_hash,
        format=report.format,
        claimed_total=ctx.claimed_total,
        page_venue=ctx.page_venue,
        page_track=ctx.page_track,
    )
    try:
        return report, info, prepare(records)
    except Exception as exc:  # noqa: BLE001 - a record the store cannot take must not take the other files down
        report.error = f"{job.path}: internal error while preparing the records ({type(exc).__name__}: {exc})"
        report.hint = "please report this with the file"
        return report, None, []




def record_warnings(rec: Record) -> list[str]:
    where = f"record {rec.position}" + (f" (line {rec.line})" if rec.line else "")
    return [f"{where}: {w}" for w in rec.warnings]


def field_coverage(records: list[Record]) -> dict[str, int]:
    """How many records have each main field."""
    return {
        "title": sum(1 for r in records if r.title), "authors": sum(1 for r in records if r.authors),
        "year": sum(1 for r in records if r.year is not None), "abstract": sum(1 for r in records if r.abstract),
        "ids": sum(1 for r in records if r.ids), "code": sum(1 for r in records if r.code_urls),
    }


def unmapped_fields(records: list[Record]) -> dict[str, int]:
    """Source fields kept only as ``extra`` (a parser's convention for what it did not map), with
    how many records had them; one level of nesting is named (``paper.summary``)."""
    seen: dict[str, int] = {}
    for rec in records:
        names: set[str] = set()
        for key, value in rec.extra.items():
            if isinstance(value, dict) and value:
                names.update(f"{key}.{sub}" for sub in value)
            else:
                names.add(str(key))
        for name in names:
            seen[name] = seen.get(name, 0) + 1
    return dict(sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])))
