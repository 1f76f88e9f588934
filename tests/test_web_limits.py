"""The web server under load and slow clients: lanes, load shedding with Retry-After, body-read
timeouts, writes beside a long import, cancellation on shutdown (real uvicorn on loopback where
sockets matter)."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from _web_helpers import LiveServer

from paperatlas import Atlas, Settings, deadline
from paperatlas.errors import WriteBusy
from paperatlas.services import library
from paperatlas.services.ingest import ingest_paths
from paperatlas.web import ServerOptions, WebSettings
from paperatlas.web.security import Busy, Runner


def web_settings(home: Path, options: ServerOptions, **settings: Any) -> WebSettings:
    with Atlas.open(settings=Settings(home=home, **settings), memory=True) as atlas:
        return WebSettings.of(atlas, options)


def test_a_line_longer_than_the_server_can_serve_in_time_is_shed_at_once(_home: Path) -> None:
    # One worker, calls of 0.2 s, a 0.5 s horizon: once two calls wait, a third would wait
    # (2 + 1) * 0.2 = 0.6 s > 0.5 s: it is refused at once, told to come back in 1 s.
    runner = Runner(web_settings(_home, ServerOptions(queue_wait_s=0.5), workers=1))
    runner.reads.mean_s = 0.2

    async def burst() -> list[Any]:
        outcomes: list[Any] = []

        async def one() -> None:
            started = time.monotonic()
            try:
                await runner.call(time.sleep, 0.2)
                outcomes.append("ok")
            except Busy as exc:
                outcomes.append((exc.retry_after, time.monotonic() - started))

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(one)
                await anyio.sleep(0.01)
        return outcomes

    outcomes = anyio.run(burst)
    assert outcomes.count("ok") == 3  # the running call and the two that could be served in time
    shed = [o for o in outcomes if o != "ok"]
    assert len(shed) == 2 and all(retry == 1 and waited < 0.15 for retry, waited in shed)
    assert runner.shed == 2


def test_retry_after_grows_with_the_line(_home: Path) -> None:
    runner = Runner(web_settings(_home, ServerOptions(queue_wait_s=0.5), workers=2))
    runner.reads.mean_s, runner.reads.free = 4.0, 0  # both workers busy with slow calls

    async def refused() -> Busy:
        with pytest.raises(Busy) as caught:
            await runner.call(lambda: None)
        return caught.value

    assert anyio.run(refused).retry_after == 2  # (0 waiting + 1) * 4 s / 2 workers


def test_an_import_does_not_take_a_search_slot(_home: Path) -> None:
    runner = Runner(web_settings(_home, ServerOptions(queue_wait_s=0.3), workers=1))
    release = threading.Event()

    async def search_during_import() -> list[str]:
        done: list[str] = []

        async def long_import() -> None:
            await runner.call(release.wait, 5.0, heavy=True, budget=10)
            done.append("import")

        async def searches() -> None:
            for _ in range(3):
                done.append(await runner.call(lambda: "search"))
            with pytest.raises(Busy, match="an import is running"):  # one import at a time
                await runner.call(lambda: None, heavy=True)
            release.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(long_import)
            await anyio.sleep(0.05)
            tg.start_soon(searches)
        return done

    assert anyio.run(search_during_import) == ["search", "search", "search", "import"]


def test_stop_cancels_a_running_call_at_its_next_check(_home: Path) -> None:
    runner = Runner(web_settings(_home, ServerOptions(), workers=1))
    steps: list[int] = []

    def import_like() -> None:
        for i in range(1000):
            deadline.check("the import")
            steps.append(i)
            time.sleep(0.01)

    async def stop_soon() -> None:
        async with anyio.create_task_group() as tg:
            async def call() -> None:
                with pytest.raises(deadline.Cancelled, match="the import was cancelled: the server is stopping"):
                    await runner.call(import_like, heavy=True, budget=30)

            tg.start_soon(call)
            await anyio.sleep(0.2)
            runner.stop()

    anyio.run(stop_soon)
    assert 0 < len(steps) < 100 and runner.drain(1.0)
    with pytest.raises(Busy, match="stopping"):
        anyio.run(lambda: runner.call(lambda: None))


def test_a_call_past_its_budget_is_cancelled_at_its_next_check() -> None:
    with deadline.within(0.05), pytest.raises(deadline.Cancelled, match="ran past its time limit"):
        for _ in range(100):
            deadline.check()
            time.sleep(0.01)
    deadline.check()  # outside: no deadline


def test_a_write_waits_for_an_import_at_most_its_budget(atlas: Atlas, tmp_path: Path) -> None:
    """A second thread's write while a long write transaction runs: it waits what is left of its
    deadline, then WriteBusy (503); and a reader meanwhile sees the last committed state."""
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"title": "A paper on waiting", "abstract": "Locks and queues."}) + "\n")
    [report] = ingest_paths(atlas, [path])
    [pid] = report.paper_ids
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with atlas.store.writer():
            library.set_stars(atlas, [pid])  # joins the open transaction: not visible outside yet
            holding.set()
            release.wait(5)

    writer = threading.Thread(target=long_write)
    writer.start()
    assert holding.wait(5)
    try:
        assert atlas.store.library.starred_ids() == []  # readers see the committed state
        started = time.monotonic()
        with deadline.within(0.2), pytest.raises(WriteBusy, match="another write"):
            library.set_note(atlas, pid, "written while an import runs")
        assert time.monotonic() - started < 2
    finally:
        release.set()
        writer.join(5)
    assert atlas.store.library.starred_ids() == [pid] and library.state(atlas, pid).note == ""


def _raw_request(url: str, request: bytes, wait: float) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_body_shorter_than_its_content_length_gets_408_not_a_hung_connection(_home: Path) -> None:
    with Atlas.open(settings=Settings(home=_home), memory=True) as atlas:
        server = LiveServer(atlas, ServerOptions(body_read_timeout_s=0.5))
        try:
            request = (b"POST /api/search/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 1000\r\n\r\n{\"queries\": [")
            started = time.monotonic()
            answer = _raw_request(server.url, request, wait=10)
            assert time.monotonic() - started < 8
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408") and b"connection: close" in head.lower()
            assert json.loads(body)["error"]["message"].startswith("the request body did not arrive within 0.5 s")
            assert httpx.get(server.url + "/api/venues").status_code == 200  # and the server goes on serving
        finally:
            server.stop()


def test_busy_answers_carry_retry_after(_home: Path) -> None:
    with Atlas.open(settings=Settings(home=_home, workers=1, search_mode="keyword"), memory=True) as atlas:
        server = LiveServer(atlas, ServerOptions())
        try:
            answer = httpx.get(server.url + "/api/search", params={"q": "x"})
            assert answer.status_code == 200
            app: Any = server.server.config.app
            runner: Runner = app.state.runner  # make the only slot look taken
            runner.reads.free, runner.reads.mean_s = 0, 60.0
            busy = httpx.get(server.url + "/api/search", params={"q": "x"})
            assert busy.status_code == 503 and busy.headers["retry-after"] == "60"
            assert busy.json()["error"]["message"].startswith("the server is busy")
            runner.reads.free = 1
        finally:
            server.stop()

