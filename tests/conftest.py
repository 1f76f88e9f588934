from __future__ import annotations

from pathlib import Path

import pytest

import paperatlas
from paperatlas.catalog import Catalog

SAMPLES = Path(paperatlas.__file__).parent / "samples"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own PAPERATLAS_HOME, so no test touches ~/.paperatlas."""
    home = tmp_path / "home"
    monkeypatch.setenv("PAPERATLAS_HOME", str(home))
    return home


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        yield cat


@pytest.fixture
def seed_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.txt"))
