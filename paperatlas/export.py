"""Writing papers out: JSONL (every field plus sources; reads back with the ``records`` parser),
CSV (one row a paper, lists joined with "; ") and BibTeX (entries that compile in LaTeX)."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from typing import IO, Iterable

from .models import Paper, paper_to_dict
from .normalize import latex_to_text

FORMATS = ("jsonl", "csv", "bibtex")
CSV_COLUMNS = (
    "id", "title", "authors", "venue", "year", "track", "session", "abstract", "keywords",
    "forum", "pdf", "code_urls", "openreview", "arxiv", "doi", "sources",
)


def write(papers: Iterable[Paper], fp: IO[str], format: str) -> int:
    """Write papers in ``format``; returns how many were written."""
    writers = {"jsonl": write_jsonl, "csv": write_csv, "bibtex": write_bibtex}
    if format not in writers:
        raise ValueError(f"unknown export format {format!r}; known: {', '.join(FORMATS)}")
    return writers[format](papers, fp)


def write_jsonl(papers: Iterable[Paper], fp: IO[str]) -> int:
    n = 0
    for paper in papers:
        fp.write(json.dumps(paper_to_dict(paper), ensure_ascii=False) + "\n")
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
    key = bibtex_key(paper, {} if taken is None else taken)
    fields: list[tuple[str, str]] = [("title", "{" + _bib_text(paper.title or "Untitled") + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(_bib_text(a) for a in paper.authors)))
    kind = "misc"
    if paper.venue and paper.venue.lower() != "arxiv":
        kind = "inproceedings"
        fields.append(("booktitle", _bib_text(paper.venue)))
    if paper.year:
        fields.append(("year", str(paper.year)))
    url = paper.links.get("forum") or paper.links.get("site") or paper.links.get("pdf")
    if url:
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


def _bib_text(text: str) -> str:
    """Escape what breaks LaTeX outside maths; keep ``$...$`` and commands; balance braces."""
    parts = re.split(r"(\$[^$]*\$)", text)
    escaped = "".join(p if p.startswith("$") and p.endswith("$") and len(p) > 1 else _SPECIAL.sub(r"\\\1", p) for p in parts)
    if escaped.count("$") % 2:
        escaped = escaped.replace("$", r"\$")
    return _balance(escaped)


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
