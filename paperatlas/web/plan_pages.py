"""Your conference plan over HTTP: the printable page ``/plan``, its data ``/api/plan``, and the
downloads ``/plan.ics`` and ``/plan.md`` (``services.plan``; the route table is ``api.py``'s)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..app import Atlas
from ..errors import InvalidInput
from ..plan import export
from ..plan.core import DEFAULT_CAP
from ..services import plan as service
from . import security
from .api import Endpoint
from .pages import core, html
from .params import int_param

MAX_NAME = 200


@dataclass(frozen=True)
class PlanParams:
    venue: str | None
    year: int | None
    list_name: str | None
    profile: str | None
    cap: int

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> PlanParams:
        def text(name: str) -> str | None:
            value = " ".join((query.get(name) or "").split())
            if len(value) > MAX_NAME:
                raise InvalidInput(f"{name} is longer than {MAX_NAME} characters")
            return value or None

        cap = int_param(query, "cap")
        if cap is not None and not 0 <= cap <= 100:
            raise InvalidInput(f"cap {cap}: give 0 to 100", hint="cap=8")
        venue, year = text("venue"), int_param(query, "year")
        if (venue is None) != (year is None):
            raise InvalidInput("give both venue and year", hint="/plan?venue=ICLR&year=2023&list=mine")
        return cls(venue, year, text("list"), text("profile"), DEFAULT_CAP if cap is None else cap)

    def as_query(self) -> dict[str, Any]:
        return {"venue": self.venue, "year": self.year, "list": self.list_name, "profile": self.profile,
                "cap": None if self.cap == DEFAULT_CAP else self.cap}


def plan_data(atlas: Atlas, params: PlanParams) -> dict[str, Any]:
    """The plan, or (without venue and year) the stored programmes to choose from."""
    if params.venue is None or params.year is None:
        lists = [name for _, name, _ in atlas.library.lists()]
        return {"programmes": [{"venue": i.venue, "year": i.year, "source": i.source, "imported_at": i.imported_at,
                                "sessions": i.sessions, "entries": i.entries, "unmatched": i.unmatched,
                                "href": "/plan?" + security.query_string({"venue": i.venue, "year": i.year})}
                               for i in atlas.store.programme.all()], "lists": lists}
    res = service.make_plan(atlas, params.venue, params.year, params.list_name, params.profile, params.cap)
    data = export.to_dict(res.plan, res.venue, res.year, res.titles)
    query = security.query_string(params.as_query())
    data.update(label=res.label, notes=res.notes, took_ms=round(res.took_ms, 1), list=params.list_name,
                ics_href="/plan.ics?" + query, md_href="/plan.md?" + query, api_href="/api/plan?" + query,
                lists=[name for _, name, _ in atlas.library.lists()])
    return data


def plan_file(atlas: Atlas, params: PlanParams, kind: str, per_paper: bool = False) -> bytes:
    if params.venue is None or params.year is None:
        raise InvalidInput("give venue and year", hint="/plan.ics?venue=ICLR&year=2023&list=mine")
    res = service.make_plan(atlas, params.venue, params.year, params.list_name, params.profile, params.cap)
    if kind == "ics":
        return export.to_ics(res.plan, res.venue, res.year, per_paper=per_paper)
    return export.to_markdown(res.plan, res.venue, res.year, res.label, res.titles).encode()


async def plan_page(request: Request) -> Response:
    params = PlanParams.parse(request.query_params)
    data = await core(request, plan_data, params)
    return html(request, "plan.html", data, api="/api/plan?" + security.query_string(params.as_query()))


async def plan_api(request: Request) -> Response:
    return JSONResponse(await core(request, plan_data, PlanParams.parse(request.query_params)))


def _download(kind: str, media: str) -> Any:
    async def handler(request: Request) -> Response:
        params = PlanParams.parse(request.query_params)
        per_paper = request.query_params.get("events") == "paper"
        body = await core(request, plan_file, params, kind, per_paper)
        stem = "".join(ch if ch.isalnum() else "-" for ch in f"{params.venue}-{params.year}-plan")
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{stem}.{kind}"'})
    return handler


PARAMS = (
    ("venue", "query", "the venue as the catalog names it (with year; without both: the stored programmes)"),
    ("year", "query", "the year"),
    ("list", "query", "your reading list for the conference (its papers come first, with the starred ones)"),
    ("profile", "query", "recommend from this profile (starred, tag:NAME, list:NAME); default: the list, else starred"),
    ("cap", "query", f"papers per session at most (default {DEFAULT_CAP}; your chosen papers always appear)"),
)

ENDPOINTS = (
    Endpoint("GET", "/plan", plan_page, "Your plan for a conference: sessions in time order, your papers then recommended ones,"
             " boards in walking order, clashes; printable", PARAMS, "text/html", "/api/plan"),
    Endpoint("GET", "/plan.ics", _download("ics", "text/calendar; charset=utf-8"),
             "The plan as an iCalendar file (one event per session, stable UIDs)",
             (*PARAMS, ("events", "query", "paper: one event per paper, titled with its board")), "text/calendar"),
    Endpoint("GET", "/plan.md", _download("md", "text/markdown; charset=utf-8"), "The plan as Markdown", PARAMS, "text/markdown"),
    Endpoint("GET", "/api/plan", plan_api, "The plan: sessions with items (id, title, board, reason, why, clashes_with), clashes,"
             " unscheduled chosen papers, notes; without venue and year, the stored programmes", PARAMS),
)
