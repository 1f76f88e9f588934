"""Plain-text renderings of core objects for the terminal (no logic beyond layout)."""

from __future__ import annotations

import textwrap
from typing import Any

from .ingest import FileReport
from .models import Paper, Record, SourceRef


def report_line(r: FileReport) -> str:
    if not r.ok:
        hint = f"\n    hint: {r.hint}" if r.hint else ""
        return f"FAILED {r.error}{hint}\n    nothing from this file was stored"
    parts = [
        f"{r.found} records",
        f"{r.new} new",
        f"{r.merged} merged",
        f"{r.unchanged} unchanged",
    ]
    if r.updated:
        parts.append(f"{r.updated} updated")
    if r.repeated:
        parts.append(f"{r.repeated} repeated in the file")
    parts.append(f"{len(r.warnings)} warnings")
    page = " ".join(x for x in (r.page_venue, r.page_track) if x)
    line = f"{r.path}  [{r.format}{' · ' + page if page else ''}]  " + ", ".join(parts)
    if r.unmapped:
        shown = ", ".join(f"{name} ({n})" for name, n in list(r.unmapped.items())[:8])
        more = f" and {len(r.unmapped) - 8} more" if len(r.unmapped) > 8 else ""
        line += f"\n    not mapped (kept with each record): {shown}{more}"
    if r.same_as:
        line += f"\n    the same content as {r.same_as}, read before: nothing changed"
    if r.completeness:
        line += f"\n    {r.completeness}"
    return line


def _ref(ref: SourceRef) -> str:
    where = f"{ref.file} ({ref.format}) record {ref.record_id}"
    return where + (f", line {ref.line}" if ref.line else "")


def paper_text(p: Paper, records: list[tuple[SourceRef, Record]] | None = None) -> str:
    lines = [p.title or "[untitled]", f"id: {p.id}"]
    facts: list[tuple[str, Any]] = [
        ("authors", "; ".join(p.authors)),
        ("venue", " ".join(str(x) for x in (p.venue, p.year) if x)),
        ("track", p.track),
        ("session", p.session),
        ("keywords", "; ".join(p.keywords)),
        ("code", " ".join(p.code_urls)),
        ("flags", ", ".join(p.flags)),
    ]
    facts += [(kind, url) for kind, url in p.links.items()]
    facts += [(f"id {kind}", value) for kind, value in p.ids.items()]
    facts += [(name, value) for name, value in p.counters.items()]
    lines += [f"{name}: {value}" for name, value in facts if value]
    if p.abstract:
        lines += ["", textwrap.fill(p.abstract, 100)]
    lines += ["", f"sources ({len(p.sources)}):"] + [f"  {_ref(s)}" for s in p.sources]
    lines += ["fields shown from:"] + [f"  {name}: {_ref(s)}" for name, s in p.field_sources.items()]
    for ref, rec in records or []:
        lines += ["", f"record {_ref(ref)}:"]
        lines += [f"  title: {rec.title}", f"  authors: {'; '.join(rec.authors)}"]
        shown = (("venue", rec.venue), ("year", rec.year), ("track", rec.track), ("session", rec.session))
        lines += [f"  {k}: {v}" for k, v in shown if v]
        if rec.abstract:
            lines.append(f"  abstract: {rec.abstract[:200]}{'…' if len(rec.abstract) > 200 else ''}")
    return "\n".join(lines)


def stats_text(s: dict[str, Any]) -> str:
    lines = [f"{s['papers']} papers from {s['records']} records in {len(s['files'])} files"
             f" ({s['multi_source_papers']} papers seen in more than one file)", "", "files:"]
    for f in s["files"]:
        claim = f", page claims {f['claimed_total']}" if f["claimed_total"] else ""
        lines.append(f"  {f['name']:34} {f['format']:13} {f['records']:6} records → {f['papers']} papers{claim}")
    lines += ["", "venues:"]
    for v in s["venues"][:40]:
        lines.append(f"  {v['venue'] or '(no venue)'} {v['year'] or ''} {v['track'] or ''}: {v['papers']}")
    if len(s["venues"]) > 40:
        lines.append(f"  … {len(s['venues']) - 40} more (stats --json lists all)")
    total = s["papers"] or 1
    lines += ["", "coverage:"] + [f"  {k:9} {n:7} ({100 * n / total:.0f}%)" for k, n in s["coverage"].items()]
    return "\n".join(lines)
