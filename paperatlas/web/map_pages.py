"""The topic map over HTTP: ``/api/map/{venue}/{year}``, the data ``static/map.js`` draws on the
venue page (``templates/_map.html``).

A stored, up-to-date map is answered from the reads lane at once; a map that must be built first
runs in the one-slot heavy lane (as imports do) under the import time budget, so a build never
takes a worker a search needs.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..app import Atlas
from ..errors import EmbedderUnavailable
from ..services import maps
from . import security
from .api import Endpoint
from .pages import core
from .params import venue_args


def map_data(atlas: Atlas, venue: str | None, year: int | None) -> dict[str, Any]:
    return with_library(atlas, maps.venue_map(atlas, venue, year).to_dict(), venue, year)


def stored_map_data(atlas: Atlas, venue: str | None, year: int | None) -> dict[str, Any] | None:
    found = maps.stored_venue_map(atlas, venue, year)
    return None if found is None else with_library(atlas, found.to_dict(), venue, year)


def with_library(atlas: Atlas, data: dict[str, Any], venue: str | None, year: int | None) -> dict[str, Any]:
    """The map's data with the points you starred and those your starred papers recommend
    (colour by library), and each cluster's ``search``: the search narrowed to it."""
    clusters = [{**c, "search": topic_search(c["label"], venue, year)} for c in data.get("clusters", [])]
    return {**data, "clusters": clusters, **maps.library_marks(atlas, [p["id"] for p in data.get("points", [])], venue, year)}


def topic_search(label: str, venue: str | None, year: int | None) -> str:
    """The search page narrowed to one topic of this venue-year's map (the ``topic`` filter)."""
    return "/?" + security.query_string({"venue": venue, "year": year, "topic": label})


async def map_api(request: Request) -> Response:
    venue, year = venue_args(request)
    try:
        data = await core(request, stored_map_data, venue, year)
        if data is None:
            budget = request.app.state.settings.ingest_budget_s
            data = await core(request, map_data, venue, year, heavy=True, budget=budget)
    except EmbedderUnavailable as exc:
        # not an error of the request: the catalog has no vectors yet, or the maps extra is not
        # installed. A 200 saying so keeps the venue page's console clean and its note useful.
        return JSONResponse({"available": False, "message": exc.message, "hint": exc.hint})
    return JSONResponse({"available": True, **data})


ENDPOINTS = (
    Endpoint("GET", "/api/map/{venue:path}/{year}", map_api,
             "Topic map of one venue/year: method, clusters (id, label, size, parent, keyphrases, top papers), points "
             "(id, x, y, cluster), notes, papers (title, authors); built on first request (up to a minute), then stored "
             "until the papers change; {available: false, message, hint} when it cannot be built yet (no vectors: run "
             "paperatlas index; or the maps extra is missing)",
             (("venue", "path", "venue"), ("year", "path", "year ('-': every year)"))),
)
