"""How the benchmarks open a catalog (imported by the scripts beside this file).

``SETTINGS``: the default settings, with the home the CLI uses (``$PAPERATLAS_HOME``, else
``~/.paperatlas``), so the prepared model graph in ``<home>/models`` is shared with the
``paperatlas`` processes some benchmarks start, and no settings file or ``PAPERATLAS_*``
variable changes what a benchmark measures.

``open_atlas(path)``: ``Atlas.open(path, SETTINGS)``, except that an ingest does not start the
background keyword-index build (``Atlas.warm_up``). The benchmarks time ingest, and index
building, each on its own, as they did before ingest started that build: a build overlapping a
timed step would slow it, and one finished before ``paperatlas index`` would leave it less to do.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from paperatlas import Atlas, Settings  # noqa: E402
from paperatlas.settings import home_from  # noqa: E402

SETTINGS = Settings(home=home_from(os.environ))


class BenchAtlas(Atlas):
    """An Atlas whose ingests leave the indexes alone until the benchmark builds them."""

    def warm_up(self) -> None:
        pass


def open_atlas(path: str | Path, settings: Settings = SETTINGS) -> Atlas:
    return BenchAtlas.open(path, settings)
