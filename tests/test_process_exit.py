"""Stopping paperatlas leaves nothing behind: no parse worker outlives a killed command or a
stopped server, and the catalog keeps what it had (issue 13, item 4).

Real processes: the installed CLI in a subprocess, a BibTeX file big enough (> the 256 KiB from
which files are read in a child process) and slow enough to parse that the child can be seen.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperatlas import Filters
from paperatlas.services.ingest import ISOLATE_MIN_BYTES
from paperatlas.store import open_store

SEEN_WITHIN_S = 60.0  # how long the test waits for something that must happen (not a measure)
ENTRY = ("@inproceedings{{k{i},\n title={{{{On the {{\\\"o}}ptimal {{\\'e}}stimation of $\\alpha_{{{i}}}$, part {i}}}}},\n"
         " author={{M{{\\\"u}}ller, J{{\\\"o}}rg and Rockt{{\\\"a}}schel, Tim}},\n booktitle={{Proc. of NeurIPS}},\n"
         " year={{2021}},\n abstract={{We study {{\\em things}} with \\textbf{{bold}} claims and $x^2 + y_{{i}}$ maths.}}\n}}\n")


def big_bibtex(path: Path, entries: int = 8000) -> Path:
    path.write_text("".join(ENTRY.format(i=i) for i in range(entries)), encoding="utf-8")
    assert path.stat().st_size > 2 * ISOLATE_MIN_BYTES  # read in a child process
    return path


def parents() -> dict[int, int]:
    found: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            found[int(entry)] = int(next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "0"))
    return found


def descendants(pid: int) -> list[int]:
    """Every process under ``pid``: multiprocessing's fork server and resource tracker (children
    of the command) and the parse workers (children of the fork server)."""
    tree = parents()
    found, frontier = [], [pid]
    while frontier:
        kids = [child for child, parent in tree.items() if parent in frontier]
        found += kids
        frontier = kids
    return found


def parse_workers(pid: int) -> list[int]:
    """The parse workers under ``pid``: the children of its fork server."""
    tree = parents()
    servers = [p for p, parent in tree.items() if parent == pid and "multiprocessing.forkserver" in cmdline(p)]
    return [p for p, parent in tree.items() if parent in servers]


def freeze(pids: list[int]) -> None:
    """Stop the workers where they are (SIGSTOP), once they are reading the file (past their
    start-up): they cannot finish on their own and exit, so only being killed with their
    command ends them."""
    wait_for(lambda: all(cpu_seconds(pid) >= 0.3 for pid in pids), "the parse workers reading")
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped has stopped and holds nothing)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def wait_for(condition: object, what: str) -> None:
    end = time.monotonic() + SEEN_WITHIN_S
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"not seen within {SEEN_WITHIN_S:g} s: {what}")


def cli(*args: str, home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAPERATLAS_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "paperatlas", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers_at(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except OSError:
        return False


def paper_count(db: str | Path) -> int:
    """The papers in the catalog at ``db`` (a file checked whole first)."""
    if "://" not in str(db):
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = open_store(db)
    try:
        return store.papers.count(Filters())
    finally:
        store.close()


@pytest.fixture
def catalog(catalog_location: str | Path, tmp_path: Path, seed_paths: list[Path]) -> Iterator[str | Path]:
    db = catalog_location
    done = subprocess.run([sys.executable, "-m", "paperatlas", "ingest", "--db", str(db), str(seed_paths[0])],
                          env={**os.environ, "PAPERATLAS_HOME": str(tmp_path)}, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    yield db


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_stopped_ingest_leaves_no_parse_worker_and_no_partial_file(tmp_path: Path, catalog: str | Path, sig: int) -> None:
    before = paper_count(catalog)
    big = big_bibtex(tmp_path / "big.bib")
    proc = cli("ingest", "--db", str(catalog), str(big), home=tmp_path)
    try:
        wait_for(lambda: parse_workers(proc.pid), "the parse worker starting")
        freeze(parse_workers(proc.pid))
        workers = descendants(proc.pid)
        proc.send_signal(sig)
        proc.wait(timeout=SEEN_WITHIN_S)
        wait_for(lambda: not any(alive(pid) for pid in workers), "the parse worker ending with its command")
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode != 0
    assert paper_count(catalog) == before


def test_a_parse_worker_past_the_time_limit_is_stopped_and_named(tmp_path: Path, catalog: str | Path) -> None:
    before = paper_count(catalog)
    big = big_bibtex(tmp_path / "big.bib")
    env = {**os.environ, "PAPERATLAS_HOME": str(tmp_path), "PAPERATLAS_PARSE_TIMEOUT_S": "0.3"}
    done = subprocess.run([sys.executable, "-m", "paperatlas", "ingest", "--json", "--db", str(catalog), str(big)],
                          env=env, capture_output=True, check=False)
    assert done.returncode != 0
    [report] = json.loads(done.stdout)["files"]
    assert "longer than 0.3 s" in report["error"] and "parse_timeout_s" in report["error"]
    assert "PAPERATLAS_PARSE_TIMEOUT_S" in report["hint"]
    assert paper_count(catalog) == before


def test_serve_stops_on_sigterm_during_an_import_and_leaves_no_worker(tmp_path: Path, catalog: str | Path) -> None:
    before = paper_count(catalog)
    text = big_bibtex(tmp_path / "big.bib", entries=20000).read_text(encoding="utf-8")
    port = free_port()
    proc = cli("serve", "--json", "--port", str(port), "--token", "t0ken", "--db", str(catalog), home=tmp_path)
    try:
        assert proc.stdout is not None
        base = json.loads(proc.stdout.readline())["url"].rstrip("/")
        wait_for(lambda: answers_at(f"{base}/api/formats"), "the server answering")
        request = urllib.request.Request(
            f"{base}/api/ingest", data=json.dumps({"text": text, "name": "big.bib"}).encode(),
            headers={"Authorization": "Bearer t0ken", "Content-Type": "application/json"}, method="POST")
        answers: list[int] = []

        def post() -> None:
            try:
                with urllib.request.urlopen(request, timeout=SEEN_WITHIN_S) as response:
                    answers.append(response.status)
            except urllib.error.HTTPError as exc:
                answers.append(exc.code)
            except OSError:
                answers.append(0)  # the connection closed as the server stopped

        poster = threading.Thread(target=post)
        poster.start()
        wait_for(lambda: parse_workers(proc.pid), "the import's parse worker starting")
        freeze(parse_workers(proc.pid))
        workers = descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=SEEN_WITHIN_S)
        poster.join(SEEN_WITHIN_S)
        wait_for(lambda: not any(alive(pid) for pid in workers), "the parse worker ending with the server")
    finally:
        proc.kill()
        proc.wait()
    assert answers and answers[0] in (0, 503)  # never a success for an import that was stopped
    assert paper_count(catalog) == before


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (``/proc/PID/stat`` fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_stopped_index_leaves_nothing_running_and_the_next_index_finishes(tmp_path: Path, catalog: str | Path,
                                                                          sig: int) -> None:
    many = tmp_path / "many.jsonl"
    many.write_text("".join(json.dumps({"title": f"On the optimal estimation of alpha, part {i}", "year": 2021,
                                        "authors": ["Jörg Müller", "Tim Rocktäschel"],
                                        "abstract": f"We study estimator {i} with bold claims and some maths. " * 4}) + "\n"
                            for i in range(3000)), encoding="utf-8")
    env = {**os.environ, "PAPERATLAS_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "paperatlas", "ingest", "--db", str(catalog), str(many)], env=env, check=True,
                   capture_output=True)
    proc = cli("index", "--json", "--db", str(catalog), home=tmp_path)
    try:
        # well into the work (imports and the model load take about 2 s of CPU; embedding
        # 3,000 abstracts takes many more) before it is stopped
        wait_for(lambda: cpu_seconds(proc.pid) > 4.0 or proc.poll() is not None, "the index command working")
        assert proc.poll() is None, "index finished before it could be stopped: give it more papers"
        workers = descendants(proc.pid)
        proc.send_signal(sig)
        proc.wait(timeout=SEEN_WITHIN_S)
        wait_for(lambda: not any(alive(pid) for pid in workers), "the index command's children ending with it")
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode != 0
    search = subprocess.run([sys.executable, "-m", "paperatlas", "search", "--json", "--mode", "keyword", "--db",
                             str(catalog), "optimal estimation"], env=env, capture_output=True, check=False)
    assert search.returncode == 0, search.stderr.decode()
    again = subprocess.run([sys.executable, "-m", "paperatlas", "index", "--json", "--limit", "50", "--db", str(catalog)],
                           env=env, capture_output=True, check=False)
    assert again.returncode == 0, again.stderr.decode()
    # resumes where the stopped run was: texts whose vectors it stored are not embedded again
    assert 0 < json.loads(again.stdout)["embedded"] <= 50


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_serve_with_workers_leaves_no_descendant(tmp_path: Path, pg_url: str, sig: int) -> None:
    """``serve --workers 2`` (a PostgreSQL catalog): the parent stopped by SIGTERM/SIGINT stops its
    workers; killed outright, its workers notice and stop by themselves."""
    proc = cli("serve", "--json", "--port", str(free_port()), "--workers", "2", "--db", pg_url, home=tmp_path)
    try:
        assert proc.stdout is not None
        base = json.loads(proc.stdout.readline())["url"].rstrip("/")
        wait_for(lambda: answers_at(f"{base}/api/formats"), "the server answering")
        wait_for(lambda: sum("paperatlas.web.processes" in cmdline(p) for p in descendants(proc.pid)) == 2,
                 "two workers running")
        workers = descendants(proc.pid)
        proc.send_signal(sig)
        proc.wait(timeout=SEEN_WITHIN_S)
        wait_for(lambda: not any(alive(pid) for pid in workers), "every worker ending with the server")
    finally:
        proc.kill()
        proc.wait()
    assert not answers_at(f"{base}/api/formats")
