"""Use cases: each a function of an ``Atlas`` that the CLI and the web app call (one call per
command or route). ``ingest``, ``indexing``, ``catalog`` (list, show, venues, export, backup),
``library`` (stars, tags, notes, lists), ``transfer`` (library export/import), ``review``
(merge, keep apart, split); search lives in ``paperatlas.search``."""
