"""Lab-server load (issue 15): 200 clients x 60 s on loopback, 90% searches and 10% library writes
from 20 users, while one 20k-paper ingest runs; for 1, 2 and 4 worker processes on PostgreSQL
beside the single-process SQLite server, in one run.

    python bench/lab_load.py [--clients 200] [--seconds 60] [--workers 1,2,4] [--base 25000]
    python bench/lab_load.py --clients 20 --seconds 10 --base 3000 --ingest 2000   # a smoke run

- Catalog: Paper Copilot files with abstracts (../shared/data/paperlists) up to ``--base`` papers,
  ingested once into SQLite (kept in bench/out/lab) and copied to PostgreSQL (``migrate``); each
  configuration serves a fresh copy (a file copy; ``CREATE DATABASE … TEMPLATE``).
- Searches: 1-3 words of the catalog's titles, /api/search in keyword mode. Writes: star, unstar,
  tag, note of a random paper, as one of 20 users (``services.users.add_user`` tokens, Bearer):
  each user's own library.
- The ingest: the biggest files without abstracts (ICLR 2022/2023, NeurIPS 2023/2024, ICML 2025),
  merged into one Paper Copilot JSON of ``--ingest`` papers, posted to /api/ingest 3 s into the
  load (the server's ``ingest_budget_s`` raised to 900 s so the one import may finish).
- Fresh: seconds from the ingest's answer (its commit) to the first search that finds one of its
  papers, by exact title; after it, one-paper imports every 5 s, each timed the same way.
- Errors: any answer but 200 and 503 with Retry-After (shed), and any failed connection.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

import httpx  # noqa: E402
from benchlib import SETTINGS, open_atlas  # noqa: E402
from web_load import free_port, pct, queries  # noqa: E402

from paperatlas import Atlas, Filters, Settings  # noqa: E402
from paperatlas.ingest.paperlists import venue_from_path  # noqa: E402
from paperatlas.services.catalog import migrate  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data" / "paperlists"
OUT = HERE / "out" / "lab"
TOKEN = "lab-bench-token"
USERS = 20
WRITE_SHARE = 0.10
INGEST_AT_S = 3.0
SMALL_EVERY_S = 5.0
PG_SETTINGS = ["shared_buffers=256MB", "max_connections=200"]
INGEST_FILES = ["iclr2023", "nips2024", "nips2023", "iclr2022", "icml2025", "iclr2021", "nips2022"]


@dataclass
class Run:
    label: str
    search: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)  # searches' own time in the server (Server-Timing)
    write: list[float] = field(default_factory=list)
    shed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    ingest: str = "-"
    fresh_big: float | None = None
    fresh_small: list[float] = field(default_factory=list)
    stop_s: float = 0.0


# -- the data ---------------------------------------------------------------------------------------
def base_files(papers: int) -> list[Path]:
    """Files with abstracts, biggest first, until ``papers``."""
    sized = []
    for path in sorted(DATA.glob("*.json.gz")):
        if path.name.split(".")[0] in INGEST_FILES:
            continue
        rows = json.loads(gzip.open(path).read())
        if sum(1 for r in rows if r.get("abstract")) > 0.9 * len(rows):
            sized.append((len(rows), path))
    chosen, total = [], 0
    for n, path in sorted(sized, reverse=True):
        if total >= papers:
            break
        chosen.append(path)
        total += n
    return chosen


def ingest_file(folder: Path, papers: int) -> tuple[Path, list[str]]:
    """One Paper Copilot JSON of ``papers`` records from several conference-years (each record
    given its venue and year, which a merged file cannot take from its name); its titles."""
    merged: list[dict[str, object]] = []
    for name in INGEST_FILES:
        venue, year = venue_from_path(f"{name}.json")
        for row in json.loads(gzip.open(DATA / f"{name}.json.gz").read()):
            if len(merged) < papers and row.get("title"):
                merged.append({**row, "venue": venue, "year": year})
    path = folder / "lab-paperlists.json.gz"
    path.write_bytes(gzip.compress(json.dumps(merged).encode()))
    return path, [str(r["title"]) for r in merged]


def build_base(papers: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"base-{papers}.sqlite"
    if not db.exists():
        tmp = db.with_suffix(".tmp.sqlite")
        with open_atlas(tmp) as atlas:
            ingest_paths(atlas, base_files(papers))
            atlas.indexes.sync_keyword()
        shutil.rmtree(db.with_name(db.name + ".index"), ignore_errors=True)
        tmp.rename(db)
        Path(str(tmp) + ".index").rename(Path(str(db) + ".index"))
    return db


def add_users(location: str, home: Path) -> list[str]:
    """20 users' tokens (``paperatlas users add``): each writes to their own library."""
    from paperatlas.services.users import add_user

    with Atlas.open(location, Settings(home=home)) as atlas:
        return [str(add_user(atlas, f"user{i}")[1]) for i in range(USERS)]


# -- the load -----------------------------------------------------------------------------------------
def counted(run: Run, r: httpx.Response | None, exc: Exception | None, kind: str, t0: float) -> None:
    ms = (time.perf_counter() - t0) * 1000
    if exc is not None:
        run.errors[f"{kind} {type(exc).__name__}: {str(exc)[:80]}"] += 1
    elif r is not None and r.status_code == 200:
        (run.search if kind == "search" else run.write).append(ms)
        if kind == "search" and "dur=" in r.headers.get("server-timing", ""):
            run.server.append(float(r.headers["server-timing"].split("dur=")[1].split(",")[0]))
    elif r is not None and r.status_code == 503 and "retry-after" in r.headers:
        run.shed += 1
    elif r is not None:
        run.errors[f"{kind} HTTP {r.status_code}: {r.text[:100]}"] += 1


async def client_loop(i: int, client: httpx.AsyncClient, base: str, qs: list[str], ids: list[str],
                      tokens: list[str], run: Run, end: float) -> None:
    rng = random.Random(i)
    auth = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        r: httpx.Response | None = None
        kind = "search" if rng.random() >= WRITE_SHARE else "write"
        try:
            if kind == "search":
                r = await client.get(f"{base}/api/search", params={"q": rng.choice(qs), "mode": "keyword"})
            else:
                pid, op = rng.choice(ids), rng.choice(("star", "unstar", "tag", "note"))
                if op == "star":
                    r = await client.post(f"{base}/api/library/star/{pid}", headers=auth)
                elif op == "unstar":
                    r = await client.delete(f"{base}/api/library/star/{pid}", headers=auth)
                elif op == "tag":
                    r = await client.post(f"{base}/api/library/tags/{pid}", json={"tag": f"t{rng.randrange(9)}"},
                                          headers=auth)
                else:
                    r = await client.put(f"{base}/api/library/note/{pid}", json={"body": f"note {rng.random()}"},
                                         headers=auth)
            counted(run, r, None, kind, t0)
        except httpx.HTTPError as exc:
            counted(run, None, exc, kind, t0)


def words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


async def found(client: httpx.AsyncClient, base: str, title: str) -> bool:
    r = await client.get(f"{base}/api/search", params={"q": words(title), "mode": "keyword", "k": 5})
    return r.status_code == 200 and any(words(str(h.get("title"))) == words(title) for h in r.json().get("hits", []))


async def time_to_found(client: httpx.AsyncClient, base: str, title: str, limit_s: float = 300) -> float | None:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        if await found(client, base, title):
            return time.perf_counter() - t0
        await asyncio.sleep(0.05)
    return None


async def ingests(base: str, path: Path, titles: list[str], run: Run, end: float) -> None:
    """The big ingest 3 s in, then one-paper imports every 5 s until the load ends; each timed
    from its answer to the first search that finds it."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    rng = random.Random(5)
    vocabulary = sorted({w.capitalize() for t in titles for w in re.findall(r"[a-z]{5,}", t.casefold())})
    async with httpx.AsyncClient(timeout=1200, headers=headers) as client:
        await asyncio.sleep(INGEST_AT_S)
        t0 = time.perf_counter()
        r = await client.post(f"{base}/api/ingest", files={"file": (path.name, path.read_bytes())})
        took = time.perf_counter() - t0
        new = r.json().get("report", {}).get("new", "?") if r.status_code == 200 else r.text[:100]
        run.ingest = f"{took:.0f} s, HTTP {r.status_code}, {new} new"
        if r.status_code == 200:
            run.fresh_big = await time_to_found(client, base, titles[len(titles) // 2])
        n = 0
        while time.perf_counter() < end:
            n += 1
            # titles and authors unlike each other's: similar probes would be merged into one paper
            title = f"{' '.join(rng.sample(vocabulary, 5))} zq{rng.getrandbits(40):x}"
            bib = (f"@article{{probe{n}, title={{{title}}}, author={{Probe{n}, Alex{rng.getrandbits(20):x}}},"
                   f" journal={{Lab {n}}}, year={{2025}}}}\n")
            try:
                r = await client.post(f"{base}/api/ingest", files={"file": (f"probe{n}.bib", bib.encode())}, timeout=60)
            except httpx.HTTPError as exc:
                run.errors[f"probe import {type(exc).__name__}: {str(exc)[:80]}"] += 1
                continue
            if r.status_code != 200:
                run.errors[f"probe import HTTP {r.status_code}: {r.text[:100]}"] += 1
            else:
                fresh = await time_to_found(client, base, title)
                if fresh is not None:
                    run.fresh_small.append(fresh)
            await asyncio.sleep(SMALL_EVERY_S)


async def load(base: str, qs: list[str], ids: list[str], tokens: list[str], clients: int, seconds: float,
               path: Path, titles: list[str], run: Run) -> None:
    end = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        side = asyncio.create_task(ingests(base, path, titles, run, end))
        await asyncio.gather(*(client_loop(i, client, base, qs, ids, tokens, run, end) for i in range(clients)))
    await side  # the big ingest may outlast the load: its figures are still wanted


# -- one configuration ------------------------------------------------------------------------------
def serve(location: str, home: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PAPERATLAS_HOME": str(home), "HF_HUB_OFFLINE": "1", "PAPERATLAS_INGEST_BUDGET_S": "900"}
    cmd = [sys.executable, "-m", "paperatlas", "serve", "--db", location, "--port", str(port), "--token", TOKEN,
           "--mode", "keyword"] + (["--workers", str(workers)] if workers > 1 else [])
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(f"{base}/api/search", params={"q": "learning", "mode": "keyword"}, timeout=5).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"serve ended with {proc.returncode}")
        time.sleep(0.1)
    raise SystemExit("serve did not answer within 120 s")


def measure(label: str, location: str, home: Path, workers: int, args: argparse.Namespace, qs: list[str],
            ids: list[str], path: Path, titles: list[str]) -> Run:
    run = Run(label)
    tokens = add_users(location, home)
    proc, base = serve(location, home, workers)
    try:
        asyncio.run(load(base, qs, ids, tokens, args.clients, args.seconds, path, titles, run))
    finally:
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        run.stop_s = time.perf_counter() - t0
    return run


def report(runs: list[Run], clients: int, seconds: float) -> None:
    print(f"\n{clients} clients x {seconds:.0f} s, {WRITE_SHARE:.0%} library writes from {USERS} users, one ingest:")
    head = (f"{'server':22} {'req/s':>6} {'search p50/p99 ms':>18} {'(in server)':>12} {'write p50/p99 ms':>17}"
            f" {'errors':>6} {'shed':>6} {'fresh s':>8} {'probes s (median/max)':>22} {'stop s':>6}  ingest")
    print(head)
    for r in runs:
        n = len(r.search) + len(r.write) + r.shed + sum(r.errors.values())
        s = f"{pct(r.search, 50):.0f}/{pct(r.search, 99):.0f}" if r.search else "-"
        w = f"{pct(r.write, 50):.0f}/{pct(r.write, 99):.0f}" if r.write else "-"
        inside = f"{pct(r.server, 50):.0f}/{pct(r.server, 99):.0f}" if r.server else "-"
        fresh = f"{r.fresh_big:.1f}" if r.fresh_big is not None else "-"
        probes = (f"{statistics.median(r.fresh_small):.2f}/{max(r.fresh_small):.2f} ({len(r.fresh_small)})"
                  if r.fresh_small else "-")
        print(f"{r.label:22} {n / seconds:6.0f} {s:>18} {inside:>12} {w:>17} {sum(r.errors.values()):6d} {r.shed:6d} {fresh:>8}"
              f" {probes:>22} {r.stop_s:6.1f}  {r.ingest}")
    for r in runs:
        for kind, n in r.errors.most_common(5):
            print(f"  {r.label}: {n} x {kind}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", default="1,2,4", help="worker processes of the PostgreSQL runs")
    ap.add_argument("--base", type=int, default=25_000, help="papers in the catalog before the ingest")
    ap.add_argument("--ingest", type=int, default=20_000, help="papers of the one ingest")
    ap.add_argument("--no-sqlite", action="store_true", help="leave out the single-process SQLite baseline")
    args = ap.parse_args()
    from _postgres import start_server

    db = build_base(args.base)
    with Atlas.open(db, SETTINGS) as atlas:
        papers = atlas.store.papers.count(Filters())
        qs = queries(atlas, 500)
        ids = [p.id for p in atlas.store.papers.list(Filters(), limit=5000)]
    tmp = Path(tempfile.mkdtemp(prefix="lab-load-"))
    tmp.chmod(0o755)  # the PostgreSQL server's account (nobody, when run as root) reaches its folder through it
    path, titles = ingest_file(tmp, args.ingest)
    print(f"catalog: {papers} papers ({db}); ingest: {len(titles)} papers, {path.stat().st_size / 1e6:.1f} MB gzip;"
          f" {os.cpu_count()} cores, client, server and PostgreSQL on this machine")
    runs = []
    server = start_server(base=tmp, settings=PG_SETTINGS)
    try:
        if not args.no_sqlite:
            copy = tmp / "sqlite" / "c.sqlite"
            copy.parent.mkdir()
            shutil.copy(db, copy)
            shutil.copytree(str(db) + ".index", str(copy) + ".index")
            runs.append(measure("SQLite, 1 process", str(copy), tmp / "sqlite", 1, args, qs, ids, path, titles))
            report(runs, args.clients, args.seconds)
        template = server.new_database(template=None)
        with Atlas.open(db, SETTINGS) as atlas:
            migrate(atlas, server.url(template))
        server.execute(f"ALTER DATABASE {template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
        for n in [int(w) for w in args.workers.split(",")]:
            url = server.url(server.new_database(template=template))
            home = tmp / f"pg{n}"
            runs.append(measure(f"PostgreSQL, {n} worker{'s' if n > 1 else ''}", url, home, n, args, qs, ids, path,
                                titles))
            report(runs, args.clients, args.seconds)
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
