"""Threads reading one catalog file at once (the web server's workers) never block each other:
each has its own read connection. With one shared connection, a query calling the Python SQL
function ``pa_lower`` waited for the GIL while holding the connection's mutex, and a thread
holding the GIL waited for that mutex: the server froze (found by bench/hostile_corpus.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from paperatlas.store.sqlite.connection import Database

ROUNDS = 3000
LIVENESS_S = 120.0  # how long the test waits for the threads to end (a deadlock never ends)


CONCURRENT_READS = """
import sys, threading
from pathlib import Path
from paperatlas.store.sqlite.connection import Database

db = Database(Path(sys.argv[1]))
with db.transaction() as conn:
    conn.execute("CREATE TABLE t(x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [(f"Títle {i}",) for i in range(2000)])
done = []

def with_function():
    n = sum(db.one("SELECT count(*) FROM t WHERE pa_lower(x) = 'títle 7'") for _ in range(ROUNDS // 10))
    done.append(("function", n))

def plain():
    for _ in range(ROUNDS):
        db.execute("SELECT x FROM t LIMIT 1").fetchone()
    done.append(("plain", ROUNDS))

threads = [threading.Thread(target=f) for f in (with_function, plain, with_function, plain)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(done))
"""


def test_queries_with_and_without_python_functions_run_side_by_side(tmp_path: Path) -> None:
    # In a child process: a deadlock holds the GIL, so it would freeze the test process itself.
    script = CONCURRENT_READS.replace("ROUNDS", str(ROUNDS))
    try:
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "c.sqlite")], capture_output=True,
                              text=True, timeout=LIVENESS_S, check=False)
    except subprocess.TimeoutExpired:
        raise AssertionError("the readers blocked each other (no answer within the time limit)") from None
    assert done.returncode == 0, done.stderr
    expected = [("function", ROUNDS // 10), ("function", ROUNDS // 10), ("plain", ROUNDS), ("plain", ROUNDS)]
    assert done.stdout.strip() == str(expected)


def test_each_thread_reads_on_its_own_connection_and_a_writer_sees_its_own_rows(tmp_path: Path) -> None:
    db = Database(tmp_path / "c.sqlite")
    with db.transaction() as conn:
        conn.execute("CREATE TABLE t(x INTEGER)")
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(db.reader))
    thread.start()
    thread.join()
    assert seen[0] is not db.reader and db.reader is db.reader
    with db.transaction():
        db.execute("INSERT INTO t VALUES (1)")
        assert db.one("SELECT count(*) FROM t") == 1  # the writer's own uncommitted row
        other: list[int] = []
        reader = threading.Thread(target=lambda: other.append(db.one("SELECT count(*) FROM t")))
        reader.start()
        reader.join()
        assert other == [0]  # another thread reads the last committed state
    assert db.one("SELECT count(*) FROM t") == 1
    db.close()
