"""The lab server (issue 15): ``paperatlas serve --workers N`` over a PostgreSQL catalog.

Real processes and a real PostgreSQL server (tests/_postgres.py): searches are served by the
workers, an import through one worker becomes searchable through every worker, only the parent
ever holds the keyword index's writer lock, and a catalog server that goes away under a running
``serve`` costs clean 503s and nothing else: once it is back the same ``serve`` answers again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _postgres import PostgresServer, start_server
from test_process_exit import alive, answers_at, cli, descendants, free_port, wait_for

from paperatlas import Atlas, Settings
from paperatlas.services.ingest import ingest_bytes, ingest_paths

SEEN_WITHIN_S = 60.0  # how long a test waits for what must happen (not a measure)
WRITER_LOCK = ".tantivy-writer.lock"  # tantivy keeps this file open (and flock-ed) while a writer exists


def bibtex(key: str, title: str) -> str:
    return f"@article{{{key}, title={{{title}}}, author={{Doe, Jane and Roe, Richard}}, journal={{JMLR}}, year={{2024}}}}\n"


def get(url: str) -> tuple[int, str, dict[str, str]]:
    """Status, body and headers (an error status is an answer too)."""
    try:
        with urllib.request.urlopen(url, timeout=SEEN_WITHIN_S) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def search_total(base: str, query: str) -> int:
    status, body, _ = get(f"{base}/api/search?" + urllib.parse.urlencode({"q": query, "mode": "keyword"}))
    assert status == 200, body
    return int(json.loads(body)["total"])


def post_import(base: str, token: str, name: str, text: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{base}/api/ingest", data=json.dumps({"text": text, "name": name}).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=SEEN_WITHIN_S) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def seeded(url: str, home: Path, seed_paths: list[Path]) -> str:
    with Atlas.open(url, Settings(home=home)) as atlas:
        ingest_paths(atlas, seed_paths[:2])
    return url


class Served:
    """``paperatlas serve --workers N`` in a subprocess, answering at ``base``."""

    def __init__(self, url: str, home: Path, workers: int, token: str = "t0ken") -> None:
        self.token = token
        self.proc = cli("serve", "--json", "--port", str(free_port()), "--workers", str(workers), "--token", token,
                        "--db", url, home=home)
        try:
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline()
            assert line, self.proc.stderr.read().decode() if self.proc.stderr else "serve printed nothing"
            printed = json.loads(line)
            assert printed["catalog"] == url and printed["workers"] == workers  # as given (no password in it here)
            self.base = printed["url"].rstrip("/")
            wait_for(lambda: answers_at(f"{self.base}/api/formats"), "the server answering")
            if workers > 1:  # one worker is the process itself
                wait_for(lambda: len(self.workers()) == workers, f"{workers} workers running")
        except BaseException:
            self.close()  # never leave a server behind
            raise

    def workers(self) -> list[int]:
        return [pid for pid in descendants(self.proc.pid) if "paperatlas.web.processes" in cmdline(pid)]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)
        self.proc.wait(timeout=SEEN_WITHIN_S)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=SEEN_WITHIN_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def holds(pid: int, name: str) -> bool:
    """Process ``pid`` has a file called ``name`` open."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").endswith("/" + name):
                return True
        except OSError:
            continue
    return False


@pytest.fixture
def served(pg_url: str, tmp_path: Path, seed_paths: list[Path]) -> Iterator[Served]:
    server = Served(seeded(pg_url, tmp_path / "home", seed_paths), tmp_path / "home", workers=2)
    yield server
    server.close()


def test_workers_serve_searches_and_an_import_through_one_is_found_through_all(served: Served) -> None:
    assert search_total(served.base, "learning") > 0
    workers = served.workers()
    assert len(workers) == 2 and served.proc.pid not in workers
    seen_holding: set[int] = set()
    stop_watching = threading.Event()

    def watch() -> None:  # the writer lock, sampled in every worker while the import is indexed
        while not stop_watching.is_set():
            seen_holding.update(pid for pid in workers if holds(pid, WRITER_LOCK))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        status, body = post_import(served.base, served.token, "new.bib", bibtex("q1", "Quokka gradients for zebrafish"))
        assert status == 200, body
        wait_for(lambda: search_total(served.base, "quokka zebrafish") == 1, "the imported paper found by a search")
        # each request opens a new connection, which either worker may accept: all of them find it
        assert all(search_total(served.base, "quokka zebrafish") == 1 for _ in range(20))
    finally:
        stop_watching.set()
        watcher.join()
    assert seen_holding == set()  # no worker ever opened a keyword-index writer


def test_one_csrf_secret_for_every_worker(served: Served) -> None:
    """A page's form token is accepted by whichever worker gets the post (the secret is the parent's)."""
    tokens = set()
    for _ in range(20):
        status, body, _ = get(f"{served.base}/import")
        assert status == 200
        tokens.add(body.split('name="csrf-token" content="', 1)[1].split('"', 1)[0])
    assert len(tokens) == 1


def test_a_worker_that_dies_is_replaced(served: Served) -> None:
    first = served.workers()
    os.kill(first[0], signal.SIGKILL)
    wait_for(lambda: len(served.workers()) == 2 and first[0] not in served.workers(), "a new worker in its place")
    assert all(search_total(served.base, "learning") > 0 for _ in range(10))
    assert served.proc.poll() is None


def test_a_reader_process_finds_what_the_writer_indexed(pg_url: str, tmp_path: Path) -> None:
    """The two roles in one test process: the reader imports (as a worker does), the writer's
    follow thread indexes it, the reader's next searches find it; the reader never writes."""
    settings = Settings(home=tmp_path / "home")
    with Atlas.open(pg_url, settings) as writer, Atlas.open(pg_url, settings, index_writer=False) as reader:
        writer.indexes.sync_keyword()
        stop = threading.Event()
        follower = threading.Thread(target=writer.indexes.follow_keyword, args=(stop, 0.05))
        follower.start()
        try:
            ingest_bytes(reader, "one.bib", bibtex("w1", "Wombat attention in tidal pools").encode())
            wait_for(lambda: reader.indexes.keyword_for_reading()[0].search("wombat tidal").total == 1,
                     "the reader finding the paper")
            assert reader.indexes.sync_keyword() == 0  # a reader only reloads
        finally:
            stop.set()
            follower.join()
        # once the follower has stopped (it may be mid-sync of a later change while the reader
        # searches), no writer lock is left held in this process
        assert not holds(os.getpid(), WRITER_LOCK)


def test_the_printed_catalog_url_has_no_password() -> None:
    from paperatlas.cli.serve import shown_catalog

    assert shown_catalog("postgresql:/lab:s3cret@db:5432/papers") == "postgresql://lab@db:5432/papers"
    assert shown_catalog("/data/c.sqlite") == "/data/c.sqlite"


def test_sqlite_catalogs_are_served_by_one_process(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "paperatlas", "serve", "--workers", "2", "--port", str(free_port()),
                           "--db", str(tmp_path / "c.sqlite")], env={**os.environ, "PAPERATLAS_HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=SEEN_WITHIN_S)
    assert done.returncode == 2
    assert "--workers 2 needs a PostgreSQL catalog" in done.stderr and "migrate --to" in done.stderr


# -- a catalog server that goes away -------------------------------------------------------------------
@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test alone (it is stopped and started again: the session's
    server serves the other tests)."""
    server = start_server()
    yield server
    server.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_catalog_server_that_goes_away_costs_clean_503s_and_serve_recovers(
        own_server: PostgresServer, tmp_path: Path, seed_paths: list[Path], workers: int) -> None:
    home = tmp_path / "home"
    url = seeded(own_server.url(own_server.new_database()), home, seed_paths)
    served = Served(url, home, workers=workers)
    try:
        assert search_total(served.base, "learning") > 0
        own_server.stop()
        for path in ("/api/search?q=learning&mode=keyword", "/api/library", "/?q=learning&mode=keyword", "/venues"):
            status, body, headers = get(served.base + path)
            assert status == 503, (path, status, body[:500])
            assert "Traceback" not in body and "psycopg" not in body
            assert "retry-after" in {k.lower() for k in headers}
            if path.startswith("/api/"):
                error = json.loads(body)["error"]
                assert error["status"] == 503 and "catalog server" in error["message"]
        status, _ = post_import(served.base, served.token, "down.bib", bibtex("d1", "Platypus lost while the catalog was down"))
        assert status == 503
        own_server.start()
        wait_for(lambda: get(f"{served.base}/api/search?q=learning&mode=keyword")[0] == 200, "serving again")
        assert served.proc.poll() is None  # the same process: nothing was restarted
        # each worker's pool reconnects on its own (backing off while the server was down): a
        # client retries a 503 after its Retry-After, and every worker answers again soon
        answers: list[int] = []
        wait_for(lambda: answers.append(post_import(served.base, served.token, "back.bib",
                                                     bibtex("b1", "Narwhal tokens after the outage"))[0])
                 or answers[-1] == 200, "an import stored after the outage")
        assert set(answers) <= {200, 503}
        wait_for(lambda: all(get(f"{served.base}/api/search?q=learning&mode=keyword")[0] == 200 for _ in range(10)),
                 "every worker serving again")
        wait_for(lambda: search_total(served.base, "narwhal outage") == 1, "the new paper searchable")
        assert search_total(served.base, "platypus") == 0  # the failed import kept nothing
    finally:
        served.close()
    assert all(not alive(pid) for pid in descendants(served.proc.pid))
