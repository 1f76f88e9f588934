"""paperatlas makes no network request its user did not ask for: searching and indexing with the
real model (onnxruntime, which sends telemetry unless told not to) open no internet socket and
look up no name. Every ``connect`` of a child process is traced (strace, from Debian's packages;
.ci/run installs it)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import sys, time
from pathlib import Path
from paperatlas import Atlas, Settings
from paperatlas.search import search
from paperatlas.services.indexing import build_indexes
from paperatlas.services.ingest import ingest_paths
home = Path(sys.argv[1])
with Atlas.open(home / "catalog.sqlite", Settings(home=home)) as atlas:
    ingest_paths(atlas, [sys.argv[2]])
    build_indexes(atlas)
    search(atlas, "diffusion models for images", mode="hybrid")
    time.sleep(8)  # onnxruntime's telemetry looked up its host about every 5 s after a session
"""


def test_search_and_index_open_no_internet_socket(tmp_path: Path, seed_paths: list[Path]) -> None:
    strace = shutil.which("strace")
    assert strace, "strace is needed for this test: apt-get install strace (.ci/run installs it)"
    trace = tmp_path / "trace.txt"
    run = subprocess.run([strace, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace),
                          sys.executable, "-c", SCRIPT, str(tmp_path), str(seed_paths[0])],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    calls = trace.read_text().splitlines()
    assert any("connect(" in c for c in calls), "the trace saw no connect at all: is it tracing?"
    inet = [c for c in calls if re.search(r"sa_family=AF_INET6?\b", c)]
    assert inet == [], "network calls:\n" + "\n".join(inet[:10])
