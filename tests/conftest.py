from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import paperatlas
from paperatlas import Atlas, Settings

SAMPLES = Path(paperatlas.__file__).parent / "samples"


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own PAPERATLAS_HOME, so no test touches ~/.paperatlas."""
    home = tmp_path / "home"
    monkeypatch.setenv("PAPERATLAS_HOME", str(home))
    for name in ("PAPERATLAS_CONFIG", "PAPERATLAS_DB", "PAPERATLAS_SEARCH_MODE", "PAPERATLAS_EMBEDDER"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def settings(_home: Path) -> Settings:
    return Settings(home=_home)


@pytest.fixture
def atlas(tmp_path: Path, settings: Settings) -> Iterator[Atlas]:
    """A fresh catalog file in the test's folder, opened as the application opens it."""
    with Atlas.open(tmp_path / "catalog.sqlite", settings) as opened:
        yield opened


@pytest.fixture
def seed_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.txt"))
