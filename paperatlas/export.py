"""Writing papers out: JSONL (every field plus sources; reads back with the ``records`` parser),
CSV (one row a paper, lists joined with "; "), BibTeX (entries that compile in LaTeX), CSL-JSON
(what Zotero and citeproc import) and Markdown (a readable list with links)."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from itertools import islice
from typing import IO, Any

from .models import Paper, paper_to_dict
from .normalize import latex_to_text

FORMATS = ("jsonl", "csv", "bibtex", "csl", "markdown")
CSV_COLUMNS = (
    "id", "title", "authors", "venue", "year", "track", "session", "abstract", "keywords",
    "forum", "pdf", "code_urls", "openreview", "arxiv", "doi", "sources",
)


# Fields a JSONL line gets beside the paper's own, looked up for a batch of papers at once
# (paper id -> fields): the TL;DR and where it came from.
MoreFields = Callable[[list[Paper]], dict[str, dict[str, Any]]]
BATCH = 500


def write(papers: Iterable[Paper], fp: IO[str], format: str, more: MoreFields | None = None) -> int:
    """Write papers in ``format``; returns how many were written. ``more``: extra JSONL fields."""
    writers = {
        "csv": write_csv, "bibtex": write_bibtex, "csl": write_csl, "markdown": write_markdown,
    }
    if format == "jsonl":
        return write_jsonl(papers, fp, more)
    if format not in writers:
        raise ValueError(f"unknown export format {format!r}; known: {', '.join(FORMATS)}")
    return writers[format](papers, fp)


def write_jsonl(papers: Iterable[Paper], fp: IO[str], more: MoreFields | None = None) -> int:
    n = 0
    stream = iter(papers)
    while batch := list(islice(stream, BATCH)):
        extra = more(batch) if more else {}
        for paper in batch:
            fp.write(json.dumps(paper_to_dict(paper) | extra.get(paper.id, {}), ensure_ascii=False) + "\n")
            n += 1
    return n


def write_csv(papers: Iterable[Paper], fp: IO[str]) -> int:
    out = csv.writer(fp)
    out.writerow(CSV_COLUMNS)
    n = 0
    for p in papers:
        out.writerow([
            p.id, p.title, "; ".join(p.authors), p.venue or "", p.year or "", p.track or "",
            p.session or "", p.abstract, "; ".join(p.keywords), p.links.get("forum", ""),
            p.links.get("pdf", ""), " ".join(p.code_urls), p.ids.get("openreview", ""),
            p.ids.get("arxiv", ""), p.ids.get("doi", ""),
            "; ".join(f"{s.file}#{s.record_id}" for s in p.sources),
        ])
        n += 1
    return n


def write_bibtex(papers: Iterable[Paper], fp: IO[str]) -> int:
    keys: dict[str, int] = {}
    n = 0
    for paper in papers:
        fp.write(bibtex_entry(paper, keys) + "\n\n")
        n += 1
    return n


def bibtex_key(paper: Paper, taken: dict[str, int]) -> str:
    """``surname2023firstword``, ASCII only; ``a``, ``b``... appended when taken."""
    surname = paper.authors[0].split()[-1] if paper.authors else "anon"
    words = [w for w in re.findall(r"[A-Za-z]+", _ascii(latex_to_text(paper.title))) if len(w) > 3]
    base = re.sub(r"[^a-z0-9]", "", _ascii(surname).lower()) or "anon"
    base += str(paper.year or "") + (words[0].lower() if words else "")
    count = taken.get(base, 0)
    taken[base] = count + 1
    return base if count == 0 else base + chr(ord("a") + min(count - 1, 25)) + ("" if count <= 26 else str(count))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def bibtex_entry(paper: Paper, taken: dict[str, int] | None = None) -> str:
    """One BibTeX entry. Titles get one layer of brace protection (not one more per round
    trip); text is written as UTF-8 with LaTeX's special characters escaped, so that reading the
    entry back (``ingest.bibtex``) gives the same title and authors."""
    key = bibtex_key(paper, {} if taken is None else taken)
    title = _strip_outer_braces(paper.title or "") or "Untitled"
    fields: list[tuple[str, str]] = [("title", "{" + _bib_text(title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(_bib_name(a) for a in paper.authors)))
    kind = "misc"
    if paper.venue and paper.venue.lower() != "arxiv":
        kind = "inproceedings"
        fields.append(("booktitle", _bib_text(paper.venue)))
    if paper.year:
        fields.append(("year", str(paper.year)))
    url = paper.links.get("forum") or paper.links.get("site") or paper.links.get("pdf")
    if url and url.lower().startswith(("http://", "https://")):
        fields.append(("url", _bib_url(url)))
    if "doi" in paper.ids:
        fields.append(("doi", _bib_url(paper.ids["doi"])))
    if "arxiv" in paper.ids:
        fields += [("eprint", paper.ids["arxiv"]), ("archivePrefix", "arXiv")]
    if paper.track:
        fields.append(("note", _bib_text(paper.track)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}"


_SPECIAL = re.compile(r"(?<!\\)([&%#_])")
# Text that LaTeX (and so a reader that converts LaTeX) would change: "--" into a dash, "~" into
# a space. Written so that it reads back as written.
_TEX_LIGATURES = (("--", "-{}-"), ("~", r"\textasciitilde{}"))
_NAME_SEPARATOR = re.compile(r",|\band\b", re.IGNORECASE)


def _bib_text(text: str) -> str:
    """Escape what breaks LaTeX outside maths; keep ``$...$`` and commands; balance braces."""
    parts = re.split(r"(\$[^$]*\$)", text)
    escaped = "".join(p if p.startswith("$") and p.endswith("$") and len(p) > 1 else _escape_text(p) for p in parts)
    if escaped.count("$") % 2:
        escaped = escaped.replace("$", r"\$")
    return _balance(escaped)


def _escape_text(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    for plain, written in _TEX_LIGATURES:
        text = text.replace(plain, written)
    return text


def _bib_name(name: str) -> str:
    """A display name as BibTeX reads it back whole: braced when a comma or the word "and"
    would otherwise split it into parts or names."""
    text = _bib_text(name)
    return "{" + text + "}" if _NAME_SEPARATOR.search(name) else text


def _strip_outer_braces(text: str) -> str:
    """``{...}`` around the whole text removed, every layer of it (a title that arrives
    protected already); "{A} and {B}" stays. One pass over the text."""
    text = text.strip()
    layers = min(len(text) - len(text.lstrip("{")), len(text) - len(text.rstrip("}")), len(text) // 2)
    if not layers:
        return text
    depth = 0
    for i, ch in enumerate(text[: len(text) - layers]):
        depth += 1 if ch == "{" else -1 if ch == "}" else 0
        if i + 1 >= layers:  # the braces opened by the first `layers` characters still open?
            layers = min(layers, depth)
    return text[layers : len(text) - layers].strip() if layers > 0 else text


def _balance(text: str) -> str:
    depth, out = 0, []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(ch)
    return "".join(out) + "}" * depth


def _bib_url(url: str) -> str:
    return _balance(url.replace("%", r"\%").replace("#", r"\#"))


# -- CSL-JSON ---------------------------------------------------------------------------------
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "ter", "ten"}


def csl_name(name: str) -> dict[str, str]:
    """``{"family", "given"}``: "Family, Given" as written, else the last word (with lower-case
    particles such as "van der" before it) is the family name; one word is a literal name."""
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        return {"family": family, "given": given} if given else {"literal": family}
    words = name.split()
    if len(words) < 2:
        return {"literal": name.strip()}
    cut = len(words) - 1
    while cut > 1 and words[cut - 1] in _PARTICLES:
        cut -= 1
    return {"family": " ".join(words[cut:]), "given": " ".join(words[:cut])}


def csl_item(paper: Paper, taken: dict[str, int] | None = None) -> dict[str, object]:
    """One CSL-JSON item; its ``id`` is the paper's BibTeX key, so both exports cite alike."""
    item: dict[str, object] = {
        "id": bibtex_key(paper, {} if taken is None else taken),
        "type": "paper-conference" if paper.venue and paper.venue.lower() != "arxiv" else "article",
        "title": latex_to_text(paper.title),
        "author": [csl_name(a) for a in paper.authors],
    }
    if paper.venue:
        item["container-title"] = paper.venue
    if paper.year:
        item["issued"] = {"date-parts": [[paper.year]]}
    url = _http_url(paper.links.get("forum") or paper.links.get("site") or paper.links.get("pdf") or "")
    if url:
        item["URL"] = url
    if "doi" in paper.ids:
        item["DOI"] = paper.ids["doi"]
    if paper.abstract:
        item["abstract"] = paper.abstract
    if paper.track:
        item["genre"] = paper.track
    return item


def write_csl(papers: Iterable[Paper], fp: IO[str]) -> int:
    """A JSON array of CSL items, written one item at a time."""
    keys: dict[str, int] = {}
    n = 0
    fp.write("[")
    for paper in papers:
        fp.write(("," if n else "") + "\n" + json.dumps(csl_item(paper, keys), ensure_ascii=False))
        n += 1
    fp.write("\n]\n")
    return n


# -- Markdown ---------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def _md(text: str) -> str:
    """Plain text safe inside Markdown: specials backslash-escaped, so no HTML or links slip in."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _http_url(url: str) -> str | None:
    """An http(s) URL usable as a link target (spaces, brackets and quotes percent-encoded)."""
    url = url.strip()
    if not re.match(r"https?://", url, re.I):
        return None
    return re.sub(r"[\s()<>\[\]\"'`]", lambda m: f"%{ord(m.group()):02X}", url)


def markdown_entry(paper: Paper) -> str:
    """``[Title](url) — Authors. *Venue Year, Track.* Code: [repo](url)`` (one list item)."""
    title = _md(latex_to_text(paper.title) or "Untitled")
    url = _http_url(paper.links.get("forum") or paper.links.get("site") or paper.links.get("pdf") or "")
    line = f"[{title}]({url})" if url else title
    if paper.authors:
        line += " — " + _md(", ".join(paper.authors))
    where = ", ".join(x for x in (" ".join(str(v) for v in (paper.venue, paper.year) if v), paper.track or "") if x)
    if where:
        line += f". *{_md(where)}*"
    code = [(u, _http_url(u)) for u in paper.code_urls]
    links = [f"[{_md(u.split('://', 1)[-1])}]({safe})" for u, safe in code if safe]
    if links:
        line += ". Code: " + ", ".join(links)
    return line


def write_markdown(papers: Iterable[Paper], fp: IO[str], heading: str = "Papers") -> int:
    n = 0
    fp.write(f"# {_md(heading)}\n\n")
    for paper in papers:
        n += 1
        fp.write(f"{n}. {markdown_entry(paper)}\n")
    return n
