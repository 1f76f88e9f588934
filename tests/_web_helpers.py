"""Shared by test_web.py, test_browser.py and test_xss.py: the seeded sample catalog, a live
server over an open Atlas, and a headless Chromium."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from paperatlas import Atlas, Filters, Settings
from paperatlas.services.ingest import ingest_samples
from paperatlas.web import ServerOptions, create_app

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "paperatlas" / "samples"
SHOTS = ROOT / "bench" / "out" / "screenshots"
SAMPLE_PAPERS = 705  # the five bundled sample pages hold 705 distinct papers
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


# -- catalogs ------------------------------------------------------------------------------------------
def build_seeded(path: str | Path, settings: Settings) -> str | Path:
    """A catalog (at ``path``: a new file, or an empty database) holding the bundled sample pages
    (with their manifest's venue and year), its keyword index built, closed again."""
    with Atlas.open(path, settings) as atlas:
        reports = ingest_samples(atlas)
        assert len(reports) == 5 and all(r.ok for r in reports), reports
        atlas.settle(60)  # ingest starts a keyword warm-up; let it end before syncing and closing
        atlas.indexes.sync_keyword()
        assert atlas.store.papers.count(Filters()) == SAMPLE_PAPERS
    return path


# -- a live server -------------------------------------------------------------------------------------
class LiveServer:
    """The app over an open Atlas under uvicorn in a background thread, on 127.0.0.1 and a free
    port. The Atlas is the caller's: it is closed after ``stop``."""

    def __init__(self, atlas: Atlas, options: ServerOptions | None = None) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.atlas = atlas
        config = uvicorn.Config(create_app(atlas, options or ServerOptions()), log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        assert not self.thread.is_alive(), "the web server did not stop"


# -- Chromium ------------------------------------------------------------------------------------------
def launch_chromium(playwright: Any, user_dir: str) -> Any:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package `chromium` (apt-get install -y chromium); "
                    "browser tests fail rather than skip without it", pytrace=False)
    return playwright.chromium.launch_persistent_context(
        user_dir, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, accept_downloads=True,
        viewport={"width": 1280, "height": 900},
    )


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright (Python) is missing: pip install 'paperatlas[test]'", pytrace=False)
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="paperatlas-chromium-") as user_dir:
        context = launch_chromium(p, user_dir)
        context.set_default_timeout(15_000)
        yield context
        context.close()


def shoot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"{path} looks empty"
    return path
