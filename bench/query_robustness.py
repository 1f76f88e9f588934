"""10,000 generated queries through the library and the CLI: how many raise unexpectedly.

    python bench/query_robustness.py [--n 10000] [--db CATALOG]

Queries come from a seeded generator mixing what people type and what breaks parsers: real
words, operators typed by a person (AND/OR/NOT, -x, +x), unbalanced quotes and brackets,
field prefixes with odd values (``year:20x3-``, ``venue:``), programming names (``c++``, ``C#``),
Greek and maths (``α-β``, ``$\\mathcal{O}(n)$``), emoji, control characters, lone surrogates'
neighbours, whitespace only, and 10 KB of junk. Each goes through

1. ``search()`` in keyword, semantic and hybrid mode (with facets and snippets), and
2. the CLI: every query in one ``paperatlas search --batch`` file per mode (a real process), and
   the first 300 as ``paperatlas search QUERY --json`` (in-process Click runner).

An "unexpected exception" is anything but a result. A ``PaperatlasError`` (a clear message for
the user) is counted apart; the target is 0 of both. Without --db the catalog is built from the
bundled samples (705 papers) and embedded, in a temp folder.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from benchlib import open_atlas  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from paperatlas.cli import cli  # noqa: E402
from paperatlas.errors import PaperatlasError  # noqa: E402
from paperatlas.search import MODES, search  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

WORDS = ("graph neural network learning diffusion model transformer attention reinforcement policy"
         " contrastive sentence embeddings language vision robust adversarial optimization sparse"
         " the of and a to for in").split()
ODD = ["c++", "C#", "α-β", "f(x)", "$\\mathcal{O}(n)$", "\\href{javascript:alert(1)}{x}", "<script>",
       "🤖", "naïve", "Ünïcödé", "x\x00y", "\u202e", "\ud7ff", "NaN", "1e309", "-", "--", "+", "*", "?",
       "~", "^2", "\\", "'", "\"", "(", ")", "[", "]", "{", "}", ":", "::", "||", "&&", "!", "%", "&amp;"]
OPERATORS = ["AND", "OR", "NOT", "and", "or", "not", "-", "+", "NEAR", "~2"]
FIELDS = ["title:", "author:", "abstract:", "keyword:", "venue:", "year:", "track:", "session:", "nosuch:"]
YEARS = ["2023", "2020-2023", "-2021", "2019-", "20x3", "99999999999999999999", "2023-2020", "", "-"]


def generate(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        kind = rng.random()
        if kind < 0.01:
            out.append("".join(chr(rng.randrange(1, 0x2FFFF)) for _ in range(10_000)))  # 10 KB junk
            continue
        if kind < 0.02:
            out.append(rng.choice(["", " ", "\t\n", '"', '""', "-", "NOT", "AND OR NOT", "()", "year:"]))
            continue
        parts = []
        for _ in range(rng.randint(1, 8)):
            r = rng.random()
            if r < 0.45:
                parts.append(rng.choice(WORDS))
            elif r < 0.6:
                parts.append(rng.choice(ODD))
            elif r < 0.72:
                parts.append(rng.choice(OPERATORS))
            elif r < 0.82:
                field = rng.choice(FIELDS)
                value = rng.choice(YEARS) if field == "year:" else rng.choice(WORDS + ODD + [""])
                parts.append(field + value)
            elif r < 0.92:
                parts.append('"' + " ".join(rng.sample(WORDS, rng.randint(1, 3))) + rng.choice(['"', ""]))
            else:
                parts.append("".join(chr(rng.randrange(1, 0x10FFFF)) for _ in range(rng.randint(1, 6))
                                     ).encode("utf-8", "replace").decode("utf-8", "replace"))
        out.append(rng.choice([" ", "", "  "]).join(parts))
    return out


def build_samples(folder: Path) -> Path:
    db = folder / "catalog.sqlite"
    with open_atlas(db) as atlas:
        ingest_paths(atlas, sorted((HERE.parent / "paperatlas" / "samples").glob("*.txt")))
        atlas.indexes.sync_keyword()
        if atlas.indexes.vectors() is None:
            sys.exit(f"semantic index unavailable: {atlas.indexes.semantic_error}")
        atlas.indexes.sync_vectors()
    return db


def library_run(db: Path, queries: list[str]) -> tuple[Counter[str], Counter[str], float]:
    unexpected: Counter[str] = Counter()
    reported: Counter[str] = Counter()
    t0 = time.perf_counter()
    with open_atlas(db) as atlas:
        for i, q in enumerate(queries):
            for mode in MODES:
                try:
                    search(atlas, q, mode=mode, k=10)
                except PaperatlasError as exc:
                    reported[f"{mode}: {exc.message[:80]}"] += 1
                except Exception:  # noqa: BLE001 - what this benchmark counts
                    unexpected[f"{mode}: {traceback.format_exc(limit=3).splitlines()[-1][:160]}"] += 1
            if (i + 1) % 2000 == 0:
                print(f"  library: {i + 1} queries x 3 modes", flush=True)
    return unexpected, reported, time.perf_counter() - t0


def cli_batch_run(db: Path, queries: list[str], folder: Path) -> tuple[int, int, str]:
    """One real ``paperatlas search --batch`` process per mode; returns (bad modes, lines, error)."""
    path = folder / "queries.jsonl"
    path.write_text("".join(json.dumps({"qid": i, "query": q}) + "\n" for i, q in enumerate(queries)))
    bad, lines, error = 0, 0, ""
    for mode in MODES:
        proc = subprocess.run([sys.executable, "-m", "paperatlas", "search", "--db", str(db), "--batch", str(path),
                               "--mode", mode, "--k", "5"], capture_output=True, text=True)
        got = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        if proc.returncode != 0 or [g["qid"] for g in got] != list(range(len(queries))):
            bad += 1
            error = proc.stderr[-500:]
        lines += len(got)
    return bad, lines, error


def cli_single_run(db: Path, queries: list[str]) -> Counter[str]:
    unexpected: Counter[str] = Counter()
    runner = CliRunner()
    for q in queries:
        if q.startswith("-"):  # a query that looks like an option goes after "--", as in a shell
            args = ["search", "--db", str(db), "--json", "--", q]
        else:
            args = ["search", "--db", str(db), "--json", q]
        result = runner.invoke(cli, args)
        usage = result.exit_code == 2 and not q.strip()  # "give a query": the documented answer
        if result.exit_code != 0 and not usage:
            unexpected[(result.output or repr(result.exception))[-160:]] += 1
        elif result.exit_code == 0:
            json.loads(result.output)
    return unexpected


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--db", type=Path)
    args = ap.parse_args()
    queries = generate(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or build_samples(Path(tmp))
        print(f"{len(queries)} generated queries over {db}")
        unexpected, reported, took = library_run(db, queries)
        print(f"library: {len(queries) * 3} searches in {took:.0f} s: {sum(unexpected.values())} unexpected"
              f" exceptions, {sum(reported.values())} PaperatlasError")
        for kind, n in (unexpected + reported).most_common(10):
            print(f"  {n} x {kind}")
        bad, lines, error = cli_batch_run(db, queries, Path(tmp))
        print(f"CLI --batch, one process per mode: {lines} result lines for {len(queries) * 3} queries,"
              f" {bad} failed runs" + (f"\n{error}" if error else ""))
        single = cli_single_run(db, queries[:300])
        print(f"CLI single queries (--json): 300 run, {sum(single.values())} unexpected failures")
        for kind, n in single.most_common(5):
            print(f"  {n} x {kind!r}")
        total = sum(unexpected.values()) + sum(reported.values()) + bad + sum(single.values())
        print(f"unexpected exceptions in all: {total} (target 0)")


if __name__ == "__main__":
    main()
