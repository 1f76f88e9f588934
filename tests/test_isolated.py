"""Calls in a child process (``services.isolated``): the answer comes back, and a child past its
time limit, one that dies, one that fails and one whose caller is cancelled each end in their
own error with the child gone. A script without a main guard is not run again by its children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from paperatlas import deadline
from paperatlas.services.isolated import Child, ChildDied, ChildTimeout, run_isolated


def add(a: int, b: int) -> int:
    return a + b


def sleep_long() -> None:
    time.sleep(600)


def die_by_signal() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fail() -> None:
    raise ValueError("bad value in record 7")


def test_the_answer_comes_back() -> None:
    assert run_isolated(add, 2, 3, timeout_s=60) == 5


def test_a_child_past_its_time_limit_is_killed() -> None:
    child = Child(sleep_long)
    with pytest.raises(ChildTimeout):
        child.result(timeout_s=0.5)
    assert not child.process.is_alive()


def test_a_child_that_dies_is_reported_with_its_signal() -> None:
    with pytest.raises(ChildDied, match="signal 9"):
        run_isolated(die_by_signal, timeout_s=60)


def test_a_childs_error_becomes_the_callers() -> None:
    with pytest.raises(RuntimeError, match="ValueError: bad value in record 7"):
        run_isolated(fail, timeout_s=60)


def test_a_cancelled_caller_kills_its_child() -> None:
    stop = threading.Event()
    child = Child(sleep_long)
    threading.Timer(0.5, stop.set).start()
    with deadline.within(None, stop), pytest.raises(deadline.Cancelled):
        child.result(timeout_s=600)
    assert not child.process.is_alive()


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """The README's library example has no ``if __name__ == "__main__"``: its big file is read
    in a child, which must not run the script again."""
    listing = tmp_path / "big.jsonl"
    listing.write_text("".join(f'{{"title": "Paper number {i} on sparse attention", "year": 2024}}\n'
                               for i in range(12000)), encoding="utf-8")
    assert listing.stat().st_size > 256 * 1024
    runs = tmp_path / "runs.txt"
    script = tmp_path / "example.py"
    script.write_text(textwrap.dedent(f"""
        from paperatlas import Atlas
        from paperatlas.services.ingest import ingest_paths

        with open({str(runs)!r}, "a") as out:
            out.write("run\\n")
        with Atlas.open({str(tmp_path / "c.sqlite")!r}) as atlas:
            [report] = ingest_paths(atlas, [{str(listing)!r}])
        print(report.found, report.error)
    """), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PAPERATLAS_HOME": str(tmp_path)}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["12000", "None"]
    assert runs.read_text().splitlines() == ["run"]
