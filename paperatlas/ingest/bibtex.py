"""BibTeX and biblatex (.bib): ``@inproceedings{key, title = {...}, author = "A and B", ...}``,
as DBLP, Google Scholar, Zotero, JabRef and hand-kept bibliographies write them.

Two libraries do the reading (both small, pure Python, MIT-licensed; listed in pyproject.toml):

- ``bibtexparser`` (v2) splits a file into entries, ``@string``s, ``@preamble``s, comments and
  the blocks it cannot parse, with their lines, in one linear pass; it also splits author lists
  and "von Last, Jr, First" names the way BibTeX does. (``pybtex`` reads as much, but expands
  ``@string`` chains without a bound, its scanner goes quadratic on unclosed quoted values, and
  it brings two more dependencies.) ``bibtex_syntax`` evaluates the values (macros, ``#``)
  under size and depth bounds.
- ``pylatexenc`` turns the LaTeX in authors, titles, venues and abstracts into Unicode
  (``Rockt{\\"{a}}schel`` -> "Rocktäschel", ``{{Language Model Behaviors}}`` -> "Language Model
  Behaviors"), see ``bibtex_text``. Maths stays as written, for display.

This module maps entries onto records: ``crossref`` (and biblatex ``xdata``) children inherit
what they lack from the parent (year, venue as ``booktitle``, publisher, editors, ...; never the
parent's title, DOI, URL or arXiv id); arXiv ids are found in ``eprint`` (+ ``archivePrefix`` /
``eprinttype``), ``journal = {arXiv preprint arXiv:...}``, DBLP's ``journal = {CoRR}, volume =
{abs/...}``, ``url``, ``note`` and ``howpublished``; DOIs go through ``normalize_doi`` (DBLP's
``\\_`` escapes too). ``@set`` / ``@xdata`` containers and ``@proceedings`` that only serve as
crossref parents are skipped with a warning; an entry of a type nobody defined is read when it
has a title and skipped with a warning otherwise, so no valid file is rejected. The entry as the
file has it is kept in ``extra["bibtex"]``, and every field not mapped onto the record in
``extra`` (evaluated, LaTeX kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..errors import ParseError
from ..models import Record
from ..normalize import normalize_arxiv, normalize_doi
from .base import ParseContext, Source
from .bibtex_syntax import BibEntry, read_entries
from .bibtex_text import split_names, to_text
from .records import missing_title, year_of

NAME = "bibtex"
DESCRIPTION = "BibTeX / biblatex (.bib): @inproceedings / @article / @misc ... entries"

# Entry types of BibTeX, biblatex and common tools; an entry of another type is read only when
# it has a title.
_KNOWN_TYPES = {
    "article", "book", "booklet", "conference", "inbook", "incollection", "inproceedings", "manual",
    "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished", "online",
    "software", "dataset", "thesis", "report", "electronic", "patent", "www", "mvbook",
    "bookinbook", "suppbook", "collection", "mvcollection", "suppcollection", "periodical",
    "suppperiodical", "mvproceedings", "reference", "mvreference", "inreference", "preprint",
}
_CONTAINERS = {"set", "xdata"}
_PROCEEDINGS = {"proceedings", "mvproceedings"}

# Fields that name the parent itself: a crossref child never inherits them (a proceedings
# volume's DOI on every paper in it would make them all one paper).
_NOT_INHERITED = {
    "title", "subtitle", "titleaddon", "shorttitle", "sorttitle", "indextitle", "indexsorttitle",
    "ids", "entryset", "crossref", "xref", "xdata", "doi", "url", "urldate", "eprint",
    "eprinttype", "archiveprefix", "eprintclass", "primaryclass", "arxivid", "arxiv", "pdf",
    "file", "biburl", "bibsource", "timestamp", "abstract", "keywords", "keyword", "pages",
    "note", "annotation", "annote", "label", "shorthand", "key", "isbn", "issn",
}
_MAX_INHERIT_DEPTH = 8

_MAPPED = {
    "title", "subtitle", "author", "abstract", "booktitle", "journal", "journaltitle", "year",
    "date", "keywords", "keyword", "url", "pdf", "doi", "code", "github", "code_url", "eprint",
}
_ARXIV_VENUE = re.compile(r"^\s*(?:arxiv\b|corr$)", re.IGNORECASE)
_ABS_VOLUME = re.compile(r"^\s*abs/(\S+)\s*$", re.IGNORECASE)
_TEX_URL_ESCAPE = re.compile(r"\\([_%&#$~])")
_URL = re.compile(r"https?://[^\s{}\\]+")

# --------------------------------------------------------------------------------------------
# sniff

_ENTRY_START = re.compile(r"@[ \t]*([A-Za-z][\w\-]*)[ \t\r\n]*[{(]")
_LINE_START_ENTRY = re.compile(r"(?m)^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]")
_MD_LINE = re.compile(
    r"^(?:#{1,6}\s+\S|\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+\S|\s{0,3}>|\s*\||```|~~~)"  # heading, list, quote, table, fence
    r"|\[[^\]\n]+\]\([^)\s]+\)"  # a link anywhere on the line
)
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def _markdown_score(head: str) -> float:
    """Share of the non-blank lines that look like Markdown; 1.0 when every BibTeX entry start
    sits inside a fenced code block (a README that shows how to cite)."""
    lines = [line for line in head.splitlines() if line.strip()]
    if not lines:
        return 0.0
    md = 0
    fenced = False
    entries_outside = 0
    fences = 0
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
            fences += 1
            md += 1
            continue
        if _LINE_START_ENTRY.match(line) and not fenced:
            entries_outside += 1
        if not fenced and _MD_LINE.search(line):
            md += 1
    if fences and not entries_outside:
        return 1.0
    return md / len(lines)


def sniff(source: Source) -> int:
    try:
        head = source.head
        if source.data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 (JabRef can write it)
            head = source.data[:65536].decode("utf-16", errors="replace").lstrip("\ufeff")
        stripped = head.lstrip()
        if not stripped or stripped[0] in "[{<":
            return 0
        m = _LINE_START_ENTRY.search(head)
        if not m:
            return 0
        path = source.path.lower().removesuffix(".gz")
        if path.endswith((".bib", ".bibtex", ".biblatex")):
            return 95
        if _markdown_score(head) >= 0.3:
            return 5  # Markdown that shows BibTeX; a Markdown parser reads such files
        entry = _ENTRY_START.match(head, head.index("@", m.start()))
        kind = entry.group(1).lower() if entry else ""
        known = kind in _KNOWN_TYPES or kind in ("string", "comment", "preamble", "set", "xdata")
        first_is_entry = False
        for line in stripped.splitlines():  # the first meaningful line: not blank, not %-comment
            s = line.strip()
            if s and not s.startswith("%"):
                first_is_entry = s.startswith("@")
                break
        if first_is_entry:
            return 90 if known else 70
        return 60 if known else 30
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


# --------------------------------------------------------------------------------------------
# parse


_DECLARED_ENCODING = re.compile(rb"%\s*Encoding:\s*([\w.-]+)", re.IGNORECASE)


def _text(source: Source, ctx: ParseContext) -> str:
    """The file as text: UTF-8, else UTF-16 with a byte-order mark, else the encoding a JabRef
    header declares (``% Encoding: windows-1252``), else Windows-1252 (older .bib files)."""
    try:
        return source.text()
    except ParseError:
        data = source.data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace").lstrip("\ufeff")
    m = _DECLARED_ENCODING.search(data[:4096])
    encoding = m.group(1).decode("ascii") if m else "cp1252"
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:  # an encoding Python does not know
        encoding, text = "cp1252", data.decode("cp1252", errors="replace")
    ctx.warn(f"the file is not UTF-8; read as {encoding}")
    return text


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    entries = read_entries(_text(source, ctx), ctx)
    by_key: dict[str, BibEntry] = {}
    for entry in entries:
        if entry.key and entry.problem is None:
            by_key.setdefault(entry.key.lower(), entry)
    parents = {e.fields["crossref"].strip().lower() for e in entries if e.fields.get("crossref")}
    pos = 0
    skipped_parents: list[str] = []
    for entry in entries:
        if entry.kind in _CONTAINERS and entry.problem is None:
            ctx.warn(f"line {entry.line}: @{entry.kind}{{{entry.key}}} is a biblatex container of other "
                     "entries, not a paper; skipped")
            continue
        if entry.kind in _PROCEEDINGS and entry.key.lower() in parents and entry.problem is None:
            skipped_parents.append(entry.key)
            continue
        pos += 1
        if entry.problem is not None:
            _damaged(ctx, entry, pos, source.path)
            continue
        fields = _inherited(entry, by_key)
        rec = _record(entry, fields, pos)
        if not rec.title:
            if entry.kind not in _KNOWN_TYPES:
                ctx.warn(f"record {pos} (line {entry.line}): @{entry.kind} entry {entry.key!r} has no title; skipped")
                continue
            missing_title(ctx, pos, entry.line, source.path, entry.key or None)
            continue
        yield rec
    if skipped_parents:
        shown = ", ".join(skipped_parents[:5]) + (" ..." if len(skipped_parents) > 5 else "")
        ctx.warn(f"{len(skipped_parents)} @proceedings entries that only serve as crossref parents were not "
                 f"read as papers ({shown}); their papers inherit their fields")


def _damaged(ctx: ParseContext, entry: BibEntry, pos: int, path: str) -> None:
    """A block that could not be read: a ParseError naming it, or with --skip-bad a warning."""
    named = f"entry {entry.key!r}" if entry.key else f"record {pos}"
    if ctx.skip_bad:
        ctx.warn(f"record {pos} (line {entry.line}): {named}: {entry.problem}; skipped")
        return
    raise ParseError(
        f"{named} (record {pos}) starting on line {entry.line}: {entry.problem}",
        path=path,
        line=entry.line,
        record=pos,
        hint=(entry.hint or "check the entry near that line")
        + "; or pass --skip-bad to read the other entries and skip this one",
    )


def _inherited(entry: BibEntry, by_key: dict[str, BibEntry]) -> dict[str, str]:
    """The entry's fields plus what its ``xdata`` and ``crossref`` parents give it."""
    fields = dict(entry.fields)
    for ref in fields.get("xdata", "").split(","):  # biblatex data containers: everything
        parent = by_key.get(ref.strip().lower())
        if parent is not None and parent is not entry:
            for name, value in parent.fields.items():
                if name not in ("ids", "crossref", "xdata"):
                    fields.setdefault(name, value)
    seen = {entry.key.lower()}
    current = entry
    for _ in range(_MAX_INHERIT_DEPTH):  # a chain of crossrefs, cut at a cycle or a missing key
        ref = current.fields.get("crossref", "").strip().lower()
        parent = by_key.get(ref)
        if not ref or parent is None or ref in seen:
            break
        seen.add(ref)
        for name, value in parent.fields.items():
            if name not in _NOT_INHERITED:
                fields.setdefault(name, value)
        if "booktitle" not in fields and parent.fields.get("title"):  # biblatex: title -> booktitle
            fields["booktitle"] = parent.fields["title"]
        current = parent
    return fields


def _arxiv_id(fields: dict[str, str]) -> str | None:
    """The arXiv id wherever the entry hides it, version stripped."""
    eprint = fields.get("eprint", "")
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    if eprint and prefix in ("", "arxiv"):
        found = normalize_arxiv(eprint)
        if found:
            return found
    for name in ("arxivid", "arxiv"):  # Mendeley, JabRef
        if fields.get(name) and (found := normalize_arxiv(fields[name])):
            return found
    journal = fields.get("journal") or fields.get("journaltitle") or ""
    if journal and (found := normalize_arxiv(journal)):  # "arXiv preprint arXiv:2002.06038"
        return found
    m = _ABS_VOLUME.match(fields.get("volume", ""))
    if m and _ARXIV_VENUE.match(journal):  # DBLP: journal = {CoRR}, volume = {abs/2002.06038}
        found = normalize_arxiv(m.group(1))
        if found:
            return found
    for name in ("url", "note", "howpublished"):
        if fields.get(name) and (found := normalize_arxiv(_unescape_url(fields[name]))):
            return found
    return None


def _unescape_url(value: str) -> str:
    return _TEX_URL_ESCAPE.sub(r"\1", value.strip())


def _title(fields: dict[str, str]) -> str:
    title = to_text(fields.get("title", ""))
    subtitle = to_text(fields.get("subtitle", ""))
    if title and subtitle:  # biblatex keeps "Title: Subtitle" in two fields
        title += (" " if title[-1] in ".:?!" else ": ") + subtitle
    return title


def _record(entry: BibEntry, fields: dict[str, str], pos: int) -> Record:
    rec = Record(position=pos, line=entry.line, record_id=entry.key or None)
    rec.title = _title(fields)
    rec.authors, others = split_names(fields.get("author", ""))
    if others:
        rec.flags.append("authors-truncated")  # "and others": the list is not complete
    rec.abstract = to_text(fields.get("abstract", ""))
    venue = fields.get("booktitle") or fields.get("journal") or fields.get("journaltitle") or ""
    rec.venue = ("arXiv" if _ARXIV_VENUE.match(venue) else to_text(venue)) or None
    rec.year = year_of(fields.get("year") or fields.get("date") or "")
    kw = fields.get("keywords") or fields.get("keyword") or ""
    sep = ";" if ";" in kw else ","
    rec.keywords = [k for k in (to_text(k) for k in kw.split(sep)) if k]

    url = _unescape_url(fields.get("url", ""))
    if not url:
        found = _URL.search(fields.get("howpublished", ""))
        url = found.group() if found else ""
    if url:
        rec.links["site"] = url
        if "openreview.net/forum" in url:
            rec.links["forum"] = url
    pdf = _unescape_url(fields.get("pdf", ""))
    if pdf:
        rec.links["pdf"] = pdf
    doi = normalize_doi(fields["doi"]) if fields.get("doi") else None
    if doi is None and not fields.get("doi") and url:
        doi = normalize_doi(url)  # url = {https://doi.org/10...}
    if doi:
        rec.ids["doi"] = doi
        rec.links["doi"] = "https://doi.org/" + doi
    elif fields.get("doi"):
        rec.warn(f"doi field {fields['doi'][:60]!r} is not a DOI; kept in extra")
    arxiv = _arxiv_id(fields)
    if arxiv:
        rec.ids["arxiv"] = arxiv
        rec.links["arxiv"] = "https://arxiv.org/abs/" + arxiv
    for name in ("code", "github", "code_url"):
        if fields.get(name, "").strip():
            rec.code_urls.append(_unescape_url(fields[name]))

    extra: dict[str, Any] = {"entry_type": entry.kind}
    for name, value in fields.items():
        if name not in _MAPPED or (name == "doi" and not doi):
            extra.setdefault(name, value)
    extra["bibtex"] = entry.raw  # the entry as the file has it: the original of every value
    rec.extra = extra
    return rec
