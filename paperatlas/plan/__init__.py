"""Conference programmes and your plan for them (issue 10, item 4).

Reading: ``ics.read_ics``, ``tables.read_csv`` / ``read_json`` (and the listings' own session
names, ``services.plan.programme_from_listings``) give ``common.Parsed``; ``match.match_programme``
ties its references to catalog papers; the store keeps it (``store.protocol.ProgrammeStore``).
Planning: ``core.build_plan`` (pure) orders sessions, shortlists and walks the boards
(``boards``), flags clashes (``times``); ``topics`` fills sessions when the recommender cannot;
``export`` writes ICS, Markdown and plain data. Use cases are in ``services.plan``.
"""

from .core import Clash, Pick, Plan, PlanItem, PlanSession, build_plan

__all__ = ["Clash", "Pick", "Plan", "PlanItem", "PlanSession", "build_plan"]
