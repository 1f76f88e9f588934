"""A generated corpus of hostile files and HTTP requests against the real commands: tracebacks,
hangs, memory peaks, 500s.

    python bench/hostile_corpus.py            # ≥ 1,000 files, ≥ 2,000 requests (about 10 minutes on 2 cores)
    python bench/hostile_corpus.py --quick    # about a fifth of each
    python bench/hostile_corpus.py --keep     # keep the generated files (their folder is printed)

Files (written to a temporary folder, never into the repository) go through
``paperatlas ingest --json`` in subprocesses (small files in batches of 25, big ones of 4, special ones alone);
each subprocess has a time limit, and a batch that times out or fails is run again file by file,
so every hang or traceback is pinned on one file. Requests go to a real ``paperatlas serve
--token`` subprocess on 127.0.0.1 over a small catalog of the bundled samples: every route of the
route table with hostile path, query and body values, uploads of hostile files, and malformed HTTP
on raw sockets.

Printed per category: tries, clean errors, accepted, tracebacks (stderr holding "Traceback" or a
stdout that is not the JSON report; for requests: a body holding "Traceback"), hangs (a file not
done in 30 s, a request not answered in 30 s), runs whose peak memory passed 1 GB (the
subprocess's max RSS with its children, from ``wait4``; the server's VmHWM), and HTTP 500s.
Targets: 0 / 0 / 0 / 0.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.client
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paperatlas.web.api import ENDPOINTS  # noqa: E402

PAPERATLAS = [sys.executable, "-m", "paperatlas"]
HANG_S = 30.0
LONG_S = 150.0  # the kill limit of the files that are slow by nature (many records): still a hang past HANG_S
CHUNK = 48  # requests between two checks that the server still answers
MAX_RESTARTS = 5  # a server that hangs more often than this ends the requests part
GB_KB = 1024 * 1024  # ru_maxrss and VmHWM are in KiB
TOKEN = "hostile-bench-token"
SEED = 20261127
SAMPLES = ROOT / "paperatlas" / "samples"
DATA = ROOT / "tests" / "data"
MB = 1024**2
ENC, SUR = "utf-8", "surrogatepass"  # lone surrogates are written as their raw (invalid) UTF-8 bytes


# -- the hostile files ---------------------------------------------------------------------------------
def real_samples() -> list[tuple[str, bytes]]:
    """Every small real file of tests/data and the bundled samples (mutated below)."""
    found = []
    for p in sorted([*DATA.rglob("*"), *SAMPLES.glob("*.txt")]):
        if p.is_file() and p.suffix not in (".md", ".npy", ".py", ".sqlite") and p.stat().st_size < 600_000:
            found.append((p.name, p.read_bytes()))
    return found


def mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.choice(["truncate", "flip", "insert", "delete", "dup", "nul"])
        if not b:
            b += rng.randbytes(10)
        at = rng.randrange(len(b))
        if op == "truncate":
            del b[at:]
        elif op == "flip":
            for i in range(at, min(len(b), at + rng.randint(1, 50))):
                b[i] ^= 1 << rng.randrange(8)
        elif op == "insert":
            junk = [b"{", b"[", b"@string{", b"<a>", b'"', b"\xff\xfe", b"\xed\xa0\x80", b"TY  - ", b"\n\n\n"]
            b[at:at] = rng.choice(junk) * rng.randint(1, 3000)
        elif op == "delete":
            del b[at : at + rng.randint(1, 5000)]
        elif op == "dup":
            b[at:at] = b[at : at + rng.randint(1, 20000)] * rng.randint(2, 20)
        else:
            b[at:at] = b"\x00" * rng.randint(1, 100)
    return bytes(b)


def gzip_of_zeros(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, made piecewise (2 GB of zeros is about 2 MB)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as gz:
        chunk = bytes(MB)
        for _ in range(size // MB):
            gz.write(chunk)
    return out.getvalue()


def deep_json(depth: int, kind: str) -> bytes:
    if kind == "list":
        return b"[" * depth + b"]" * depth
    if kind == "record":
        return b'[{"title": "t", "authors": ' + b"[" * depth + b"]" * depth + b"}]"
    return b'{"a":' * depth + b"1" + b"}" * depth


def macro_chain(n: int, op: str = "#") -> bytes:
    lines = ['@string{a0 = "ab"}']
    lines += [f"@string{{a{i} = a{i - 1} {op} a{i - 1}}}" for i in range(1, n)]
    return ("\n".join(lines) + f"\n@misc{{k, title = a{n - 1}, author = {{A}}}}\n").encode()


def billion_laughs(levels: int, root: str = "feed") -> bytes:
    ents = ['<!ENTITY lol "lol">']
    ents += [f'<!ENTITY lol{i} "' + f"&lol{'' if i == 1 else i - 1};" * 10 + '">' for i in range(1, levels + 1)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n' + "\n".join(ents)
            + f"\n]>\n<{root} xmlns=\"http://www.w3.org/2005/Atom\">"
            f"<entry><id>x</id><title>&lol{levels};</title><summary>s</summary></entry></{root}>").encode()


GARBAGE_VALUES: list[object] = [None, True, 0, -1, 2**70, -(2**63), 1e308, "", " ", "²", "\u202e", "x" * 3000, [], {}, [None],
                                {"value": None}, {"value": {"value": 1}}, ["a", 1, None, {}], "\ud800", "1e309", "NaN",
                                "<script>"]


def garbage_record(rng: random.Random, keys: list[str]) -> dict[str, object]:
    return {k: rng.choice(GARBAGE_VALUES) for k in rng.sample(keys, rng.randint(1, len(keys)))}


SHAPED_KEYS = {
    "openreview": ["id", "forum", "content", "invitations", "cdate", "details", "number", "replyto"],
    "openreview_content": ["title", "authors", "abstract", "keywords", "venue", "venueid", "pdf", "TL;DR"],
    "s2": ["paperId", "title", "authors", "abstract", "year", "venue", "externalIds", "citationCount", "publicationVenue",
           "tldr"],
    "paperlists": ["id", "title", "track", "status", "author", "authorids", "aff", "keywords", "abstract", "site", "github"],
    "hf_daily": ["paper", "title", "publishedAt", "numComments", "summary", "authors", "id", "upvotes"],
    "csl": ["id", "type", "title", "author", "issued", "container-title", "DOI", "URL", "abstract"],
    "kaggle": ["id", "submitter", "authors", "title", "comments", "journal-ref", "doi", "categories", "abstract", "versions"],
}


def format_garbage(rng: random.Random, i: int) -> tuple[str, bytes]:
    """Something shaped like one of the formats, with wrong types, missing parts and junk inside."""
    kind = i % 12
    dumps: Callable[[object], str] = lambda o: json.dumps(o, ensure_ascii=rng.random() < 0.5)  # noqa: E731
    if kind == 0:  # OpenReview notes
        notes = []
        for _ in range(rng.randint(0, 30)):
            note = garbage_record(rng, SHAPED_KEYS["openreview"])
            if rng.random() < 0.7:
                note["content"] = {k: rng.choice([{"value": v} for v in GARBAGE_VALUES] + GARBAGE_VALUES)
                                   for k in SHAPED_KEYS["openreview_content"] if rng.random() < 0.6}
            notes.append(note)
        doc: object = rng.choice([{"notes": notes}, notes, {"count": 3, "notes": rng.choice(GARBAGE_VALUES)}])
        return "notes.json", dumps(doc).encode(ENC, SUR)
    if kind == 1:  # Semantic Scholar
        data = [garbage_record(rng, SHAPED_KEYS["s2"]) for _ in range(rng.randint(0, 30))]
        doc = rng.choice([{"data": data, "total": rng.choice(GARBAGE_VALUES)}, data, data[:1] or {}])
        return "s2.json", dumps(doc).encode(ENC, SUR)
    if kind == 2:  # Paper Copilot
        doc = [garbage_record(rng, SHAPED_KEYS["paperlists"]) for _ in range(rng.randint(0, 40))]
        return f"iclr{rng.choice(['2021', '9999', '0', ''])}.json", dumps(doc).encode(ENC, SUR)
    if kind == 3:  # HF daily
        doc = [{"paper": garbage_record(rng, SHAPED_KEYS["hf_daily"])} for _ in range(rng.randint(0, 20))]
        return "daily.json", dumps(doc).encode(ENC, SUR)
    if kind == 4:  # CSL-JSON
        return "refs.json", dumps([garbage_record(rng, SHAPED_KEYS["csl"]) for _ in range(rng.randint(0, 20))]).encode(ENC, SUR)
    if kind == 5:  # arXiv Kaggle JSON Lines
        lines = [dumps(garbage_record(rng, SHAPED_KEYS["kaggle"])) for _ in range(rng.randint(0, 40))]
        return "arxiv.jsonl", "\n".join(lines).encode(ENC, SUR)
    if kind == 6:  # RIS
        tags = ["TY", "TI", "T1", "AU", "A1", "PY", "Y1", "AB", "N2", "DO", "UR", "ER", "KW", "JO", "XX", "  "]
        values = ["", "x" * rng.randint(1, 5000), "²", "2021", "\u202e", "---"]
        lines = [f"{rng.choice(tags)}  - {rng.choice(values)}" for _ in range(rng.randint(1, 300))]
        return "refs.ris", "\n".join(lines).encode(ENC, SUR)
    if kind == 7:  # Web of Science
        tags = ["FN", "VR", "PT", "AU", "AF", "TI", "SO", "PY", "AB", "DI", "UT", "ER", "EF", "  "]
        return "savedrecs.txt", "\n".join(f"{rng.choice(tags)} {rng.choice(['', 'x' * rng.randint(1, 3000), 'J', '2021'])}"
                                          for _ in range(rng.randint(1, 300))).encode(ENC, SUR)
    if kind == 8:  # dblp XML
        tags = ["article", "inproceedings", "www", "title", "author", "x"]
        inner = "".join(f"<{rng.choice(tags)} key=\"{rng.choice(['', 'a/b', '&amp;'])}\">"
                        f"{rng.choice(['', 'T', '<i>', '&lt;', 'x' * 500])}" for _ in range(rng.randint(1, 200)))
        return "dblp.xml", f'<?xml version="1.0"?><dblp>{inner}{rng.choice(["</dblp>", ""])}'.encode(ENC, SUR)
    if kind == 9:  # arXiv Atom
        inner = "".join(f"<entry><id>{rng.choice(['', 'http://arxiv.org/abs/2101.0000' + str(j), 'x'])}</id>"
                        f"<title>{rng.choice(['', 'T', '<b>', 'x' * 2000])}</title>{rng.choice(['<summary>', '', '</entry>'])}"
                        for j in range(rng.randint(0, 50)))
        return "query.xml", f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{inner}</feed>'.encode(ENC, SUR)
    if kind == 10:  # BibTeX-shaped
        fields = ["title", "author", "year", "abstract", "journal", "booktitle", "doi", "crossref", "eprint"]
        kinds = ["article", "misc", "inproceedings", "string", "comment", "preamble", ""]
        values = ["{x}", '"x"', "{", '"', "a # b", "2021", "{{{}}}", "", "#"]
        entries = [f"@{rng.choice(kinds)}{{{rng.choice(['k', '', ',', '{'])},"
                   + ",".join(f"{rng.choice(fields)} = {rng.choice(values)}" for _ in range(rng.randint(0, 8)))
                   + rng.choice(["}", "", "}}"]) for _ in range(rng.randint(1, 60))]
        return "refs.bib", "\n".join(entries).encode(ENC, SUR)
    # text pages: papers.cool, virtual site, HF
    lines = [rng.choice(["#1 T [PDF] [Kimi]", "Authors: ; ; ;", "Poster Session 6", "a · b · c", "Total: -5",
                         "Total: 99999999999999999999", "Get trending papers in your email inbox!", "title", "string",
                         "lengths", "", "x" * rng.randint(1, 4000)])
             for _ in range(rng.randint(1, 400))]
    return "page.txt", "\n".join(lines).encode(ENC, SUR)


@dataclass
class HostileFile:
    category: str
    path: Path
    group: str = "small"  # "small": batches of 25; "big": batches of 4; "alone": its own subprocess
    limit: float = 0.0  # "alone": kill after this many seconds (default HANG_S)


def write_corpus(folder: Path, scale: float, rng: random.Random) -> list[HostileFile]:
    """The hostile files, by category, under ``folder``."""
    files: list[HostileFile] = []

    def add(category: str, name: str, data: bytes, group: str = "small", limit: float = 0.0) -> None:
        d = folder / category
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{len(files):04d}_{name}"
        path.write_bytes(data)
        files.append(HostileFile(category, path, group, limit))

    def n(count: int) -> int:
        return max(1, round(count * scale))

    for _ in range(n(170)):
        add("random bytes", rng.choice(["x", "a.json", "a.bib", "a.txt", "a.csv", "a.xml", "a.ris", "a.gz"]),
            rng.randbytes(rng.choice([0, 1, 7, 100, 1000, 20_000, 65_000])))
    samples = real_samples()
    for _ in range(n(170)):
        name, data = rng.choice(samples)
        add("mutated samples", name, mutate(rng, data))
    for i in range(n(60)):
        depth = rng.choice([201, 1000, 10_000, 100_000, 1_000_000])
        size_group = "big" if depth >= 100_000 else "small"
        kind = i % 6
        if kind < 3:
            add("deep nesting", "deep.json", deep_json(depth, ["list", "record", "dict"][kind]), group=size_group)
        elif kind == 3:
            add("deep nesting", "deep.xml", b'<?xml version="1.0"?><dblp><article key="a"><title>' + b"<i>" * depth
                + b"</i>" * depth + b"</title></article></dblp>", group=size_group)
        elif kind == 4:
            add("deep nesting", "deep.bib", b"@article{x, title={" + b"{" * depth + b"}" * depth + b"}}", group=size_group)
        else:
            add("deep nesting", "deep.md", b"".join(b"  " * (j % 300) + b"- [T](https://arxiv.org/abs/2101.00001)\n"
                                                    for j in range(min(depth, 20_000))), group="big")
    for _ in range(n(24)):
        size = rng.choice([1, 2, 5, 12]) * MB
        unit = rng.choice([b"a", b"word ", b"[", b"{", b"\xc3\xa9", b"TY  - ", b"#1 ", b"a \xc2\xb7 "])
        add("huge lines", rng.choice(["line.txt", "line.md", "line.bib", "line.ris", "line.csv", "line"]),
            unit * (size // len(unit)) + rng.choice([b"", b"\n"]), group="big")
    for i in range(n(80)):
        kind = i % 8
        if kind == 0:
            add("bibtex bombs", "chain.bib", macro_chain(rng.choice([10, 20, 25, 30, 40, 60])))
        elif kind == 1:
            add("bibtex bombs", "chain-quoted.bib", macro_chain(rng.choice([20, 30, 40]), op="# \" \" #"))
        elif kind == 2:
            add("bibtex bombs", "unclosed.bib", b"@article{x, title={" + b"a {b " * rng.choice([10, 1000, 100_000]))
        elif kind == 3:
            add("bibtex bombs", "unclosed-quote.bib", b'@article{x, title="' + b"a \\\" " * rng.choice([10, 10_000, 200_000]))
        elif kind == 4:
            k = rng.choice([1000, 20_000, 100_000])
            add("bibtex bombs", "many-strings.bib", "".join(f'@string{{s{j} = "w"}}\n' for j in range(k)).encode()
                + b"@misc{k, title = " + " # ".join(f"s{j}" for j in range(k)).encode() + b"}")
        elif kind == 5:
            add("bibtex bombs", "self-ref.bib", b"@string{a = a # a}\n@string{b = b}\n@misc{k, title = a # b}")
        elif kind == 6:
            add("bibtex bombs", "at-flood.bib", b"@" * rng.choice([10, 100_000, 1_000_000]), group="big")
        else:
            loop = b"@misc{a, crossref = {b}, title={T}}\n@misc{b, crossref = {a}}\n"
            add("bibtex bombs", "crossref-loop.bib", loop * rng.randint(1, 2000))
    bomb_sizes = [2048 * MB, 1100 * MB, 300 * MB, 20 * MB] if scale >= 1 else [1100 * MB, 20 * MB]
    zeros = {size: gzip_of_zeros(size) for size in bomb_sizes}
    for i in range(n(30)):
        size = list(zeros)[i % len(zeros)]
        tail = gzip.compress(f"\n{i}\n".encode(), mtime=0)  # another gzip member: every file is distinct
        kind = i % 5
        if kind == 0:
            add("compression bombs", f"zeros-{size // MB}.json.gz", zeros[size] + tail, group="alone")
        elif kind == 1:
            add("compression bombs", "zeros.txt.gz", zeros[size][: len(zeros[size]) // 2], group="alone")  # truncated
        elif kind == 2:
            add("compression bombs", "nested.gz", gzip.compress(zeros[20 * MB] + tail, mtime=0), group="alone")
        elif kind == 3:
            zbuf = io.BytesIO()
            with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("papers.json", bytes(50 * MB))
            add("compression bombs", "bomb.zip", zbuf.getvalue() + tail, group="alone")
        else:
            add("compression bombs", "lines.jsonl.gz",
                gzip.compress(b'{"title": "T", "authors": ["A"]}\n' * (10_000 + i), mtime=0), group="alone")
    for i in range(n(80)):
        kind = i % 8
        body = '[{"title": "Ünïcödé tïtle", "authors": ["Å B"]}]'
        if kind == 0:
            add("bad encodings", "bom16le.json", b"\xff\xfe" + body.encode("utf-16-le") + rng.randbytes(rng.randint(0, 9)))
        elif kind == 1:
            add("bad encodings", "bom16be.json", b"\xfe\xff" + body.encode("utf-16-be")[: rng.randint(0, 200)])
        elif kind == 2:
            add("bad encodings", "bom8.bib", b"\xef\xbb\xbf\xef\xbb\xbf@misc{k, title={\xff\xfe\xc0\x80}}")
        elif kind == 3:
            overlong = rng.choice([b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf8\x88\x80\x80\x80", b"\xed\xa0\x80"])
            add("bad encodings", "overlong.txt", overlong * rng.randint(1, 20000))
        elif kind == 4:
            add("bad encodings", "utf32.json", b"\xff\xfe\x00\x00" + body.encode("utf-32-le"))
        elif kind == 5:
            add("bad encodings", "latin1.csv", "title,authors\nÉtude é,Ä B\n".encode("latin-1") * rng.randint(1, 500))
        elif kind == 6:
            add("bad encodings", "mixed.txt",
                b"Poster Session 1\nT\xe9tle\nA \xc2\xb7 B\n" + rng.randbytes(200) + b"\nabstract\n")
        else:
            add("bad encodings", "bom-garbage.ris", b"\xfe\xff" + rng.randbytes(rng.randint(1, 3000)))
    for i in range(n(40)):
        kind = i % 4
        if kind == 0:
            add("lone surrogates", "surrogate.json", json.dumps({"title": "\ud800 x", "authors": ["\udfff"]}).encode())
        elif kind == 1:
            add("lone surrogates", "surrogate.jsonl", b'{"title": "a\\udc80b", "abstract": "\\ud83d"}\n' * rng.randint(1, 100))
        elif kind == 2:
            add("lone surrogates", "surrogate.csv", b"title,authors\nA \xed\xa0\x80 title,B\n" * rng.randint(1, 100))
        else:
            add("lone surrogates", "surrogate.bib", b"@misc{k, title={T \xed\xb0\x80 x}, author={\\ud800}}")
    for i in range(n(30)):
        kind = i % 5
        if kind == 0:
            add("xml entities", "laughs.xml", billion_laughs(rng.choice([3, 6, 9])))
        elif kind == 1:
            add("xml entities", "laughs-dblp.xml", billion_laughs(9, root="dblp"))
        elif kind == 2:
            add("xml entities", "xxe.xml", b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id><title>&x;</title></entry></feed>')
        elif kind == 3:
            add("xml entities", "quadratic.xml",
                b'<?xml version="1.0"?><!DOCTYPE dblp [<!ENTITY a "' + b"x" * 100_000 + b'">]><dblp>'
                b'<article key="k"><title>' + b"&a;" * 20_000 + b"</title></article></dblp>")
        else:
            add("xml entities", "param.xml",
                b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]><f/>')
    for _ in range(n(30)):
        cols = rng.choice([1000, 100_000, 300_000])
        sep = rng.choice([",", "\t"])
        head = sep.join(["title", *(f"c{j}" for j in range(cols))])
        add("wide csv", "wide." + ("tsv" if sep == "\t" else "csv"),
            (head + "\n" + sep.join(["T", *("v" for _ in range(cols))]) + "\n" * rng.randint(0, 2)).encode(),
            group="big" if cols > 1000 else "small")
    for i in range(n(18)):
        big = "x " * (rng.choice([5, 10]) * MB // 2)
        kind = i % 6
        data = [json.dumps([{"title": big, "authors": ["A"]}]).encode(),
                json.dumps({"title": "T", "abstract": big}).encode() + b"\n",
                b"title,abstract\nT," + big.encode() + b"\n",
                b"@misc{k, title={T}, abstract={" + big.encode() + b"}}",
                b"TY  - JOUR\nTI  - T\nAB  - " + big.encode() + b"\nER  - \n",
                b"Total: 1\n\n" + big.encode() + b"\n"][kind]
        add("10 MB fields", ["f.json", "f.jsonl", "f.csv", "f.bib", "f.ris", "f.txt"][kind], data, group="big")
    for i in range(n(300)):
        name, data = format_garbage(rng, i)
        add("format garbage", name, data)
    # not scaled: storing runs at about 1,000 records/s, so these are slow by nature (let run to LONG_S)
    records = 60_000 if scale >= 1 else 20_000  # 150,000: killed at 300 s, 1,067 MB (storing slows as the catalog grows)
    add("many records", "many.jsonl", b"".join(b'{"title": "T %d", "authors": ["A"]}\n' % j for j in range(records)),
        group="alone", limit=LONG_S)
    add("many records", "over-limit.csv", b"title\n" + b"T\n" * 2_000_001, group="alone", limit=LONG_S)
    add("many records", "many.bib", b"".join(b"@misc{k%d, title={T %d}}\n" % (j, j) for j in range(20_000)), group="alone")
    add("many records", "many.ris", b"TY  - JOUR\nTI  - T\nER  - \n" * 20_000, group="alone")
    special = folder / "special files"
    special.mkdir(parents=True, exist_ok=True)
    makers: list[tuple[str, Callable[[Path], None]]] = [
        ("zero.json", lambda p: p.symlink_to("/dev/zero")), ("urandom.bib", lambda p: p.symlink_to("/dev/urandom")),
        ("null.txt", lambda p: p.symlink_to("/dev/null")), ("fifo.json", lambda p: os.mkfifo(p)),
        ("dir.json", lambda p: p.mkdir()), ("broken.json", lambda p: p.symlink_to(folder / "missing")),
        ("loop.json", lambda p: p.symlink_to(p)), ("sock.json", lambda p: bind_unix(p)),
        ("fifo2.bib", lambda p: os.mkfifo(p)), ("stdin", lambda p: p.symlink_to("/dev/stdin")),
    ]
    for j, (name, make) in enumerate(makers[: max(4, n(10))]):
        path = special / f"{j:02d}_{name}"
        make(path)
        files.append(HostileFile("special files", path, "alone"))
    return files


def bind_unix(path: Path) -> None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()  # the socket file stays


# -- running ingest --------------------------------------------------------------------------------------
@dataclass
class Run:
    rc: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    seconds: float
    max_rss_kb: int


def session_peaks(sid: int, peaks: dict[int, int]) -> None:
    """Add the peak RSS (VmHWM, KiB) of every live process of session ``sid`` to ``peaks``: the
    command and the workers it starts, whoever reaps them (a fork server's children are not the
    command's, so ``wait4`` alone would miss them)."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[3]) != sid:
                continue
            m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{entry.name}/status").read_text())
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        if m:
            pid = int(entry.name)
            peaks[pid] = max(peaks.get(pid, 0), int(m.group(1)))


def run(cmd: list[str], timeout: float, env: dict[str, str], stdin: int = subprocess.DEVNULL) -> Run:
    """Run ``cmd`` in its own session; kill the whole group at ``timeout``. The peak RSS is the
    largest of any one process of the session (polled from /proc every 0.1 s) and of what ``wait4``
    reports for the command with the children it reaped."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=stdin, env=env, start_new_session=True)
        rc: int | None = None
        rss = 0
        peaks: dict[int, int] = {}
        polls = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                rc, rss = os.waitstatus_to_exitcode(status), usage.ru_maxrss
                break
            if time.monotonic() - t0 > timeout:
                session_peaks(proc.pid, peaks)
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                rss = usage.ru_maxrss
                break
            if polls % 5 == 0:
                session_peaks(proc.pid, peaks)
            polls += 1
            time.sleep(0.02)
        proc.returncode = rc if rc is not None else -9  # reaped here: keep Popen from waiting again
        seconds = time.monotonic() - t0
        try:  # workers left in the group (they should have died with it)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out.seek(0)
        err.seek(0)
        return Run(rc, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), seconds,
                   max([rss, *peaks.values()]))


@dataclass
class Tally:
    tries: int = 0
    clean: int = 0
    accepted: int = 0
    tracebacks: int = 0
    hangs: int = 0
    over_1gb: int = 0
    http_500: int = 0
    seconds: float = 0.0  # the category's share of the subprocesses' time
    examples: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.examples) < 3:
            self.examples.append(text)


def ingest(files: list[HostileFile], db: Path, env: dict[str, str], tallies: dict[str, Tally]) -> None:
    """Small files in batches of 25, big ones in batches of 4, special and slow ones alone. A batch
    must end within HANG_S (so no file of it took longer); a batch with any trouble (time, memory,
    traceback) is run again file by file, so the trouble is pinned on one file."""
    batches: dict[str, list[HostileFile]] = {"small": [], "big": []}
    for f in files:
        if f.group == "alone":
            ingest_batch([f], db, env, tallies)
            continue
        batch = batches[f.group]
        batch.append(f)
        if len(batch) == (25 if f.group == "small" else 4):
            ingest_batch(batch, db, env, tallies)
            batch.clear()
    for batch in batches.values():
        if batch:
            ingest_batch(batch, db, env, tallies)


def ingest_batch(batch: list[HostileFile], db: Path, env: dict[str, str], tallies: dict[str, Tally]) -> None:
    limit = batch[0].limit if len(batch) == 1 and batch[0].limit else HANG_S
    r = run([*PAPERATLAS, "ingest", "--json", "--db", str(db), *(str(f.path) for f in batch)], limit, env)
    reports = parse_report(r.stdout)
    ok = r.rc in (0, 1) and r.seconds <= HANG_S and reports is not None and "Traceback" not in r.stderr and r.max_rss_kb <= GB_KB
    if len(batch) > 1 and not ok:
        for f in batch:
            ingest_batch([f], db, env, tallies)
        return
    by_path = {rep.get("path"): rep for rep in reports or []}
    for f in batch:
        t = tallies[f.category]
        t.tries += 1
        t.seconds += r.seconds / len(batch)
        what = f"{f.path.name} ({f.path.stat(follow_symlinks=False).st_size} bytes)"
        if r.rc is None or r.seconds > HANG_S:
            t.hangs += 1
            t.note(f"hang: {what}: " + (f"killed at {r.seconds:.0f} s" if r.rc is None else f"took {r.seconds:.0f} s"))
        elif "Traceback" in r.stderr or reports is None:
            t.tracebacks += 1
            t.note(f"traceback: {what}: exit {r.rc}: " + (r.stderr.strip().splitlines() or ["(no stderr)"])[-1][:200])
        else:
            rep = by_path.get(str(f.path))
            if rep is not None and not rep.get("error"):
                t.accepted += 1
            elif rep is not None or r.rc == 1 or r.stderr.strip():
                t.clean += 1  # the file's error in the report, or the command's clear refusal (exit 1/2, no traceback)
            else:
                t.tracebacks += 1
                t.note(f"no report for {what}: exit {r.rc}")
        if r.max_rss_kb > GB_KB:
            t.over_1gb += 1
            t.note(f"peak {r.max_rss_kb / 1024:.0f} MB: {what}")


def parse_report(stdout: str) -> list[dict[str, object]] | None:
    """The per-file reports of ``ingest --json``, or None when stdout is not that JSON (an empty
    stdout with a clear message on stderr is a refusal of the whole command, e.g. every path bad)."""
    if not stdout.strip():
        return []
    try:
        doc = json.loads(stdout)
    except ValueError:
        return None
    files = doc.get("files") if isinstance(doc, dict) else None
    return files if isinstance(files, list) else None


# -- the server and the hostile requests -----------------------------------------------------------------
class Server:
    def __init__(self, db: Path, env: dict[str, str]) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.log = tempfile.TemporaryFile()
        self.peaks: dict[int, int] = {}
        self.stopping = threading.Event()
        self.proc = subprocess.Popen([*PAPERATLAS, "serve", "--db", str(db), "--port", str(self.port), "--token", TOKEN],
                                     stdout=self.log, stderr=self.log, env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                threading.Thread(target=self.watch, daemon=True).start()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("paperatlas serve exited: " + self.output()[-2000:]) from None
                time.sleep(0.2)
        raise RuntimeError("paperatlas serve did not start in 60 s")

    def watch(self) -> None:
        """Poll the peak RSS of the server and of the import workers it starts, until stopped."""
        while self.proc.poll() is None and not self.stopping.is_set():
            session_peaks(self.proc.pid, self.peaks)
            time.sleep(0.1)

    def peak_kb(self) -> int:
        session_peaks(self.proc.pid, self.peaks)
        return max(self.peaks.values(), default=0)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self, wait: float = 30) -> float:
        self.stopping.set()
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        return time.monotonic() - t0


@dataclass
class Req:
    category: str
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    raw: bytes | None = None  # sent as is on a socket (malformed HTTP)


WEIRD = ["", "..", "../../etc/passwd", "%00", "%C2%B2", "%ED%A0%80", "%FF", "99999999999999999999", "-1", "0", "²", "1e309",
         "x" * 5000, "%2e%2e%2f", "é", "☃", "<script>", "'", "\"", "\\", "%", "%%", "a%2Fb", "NaN", "-", "--", "\u202e"]


def hostile_value(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        return rng.choice(WEIRD)
    if kind < 0.7:
        return str(rng.choice([-(2**70), -1, 0, 1, 7, 2**31, 2**63, 2**64, 10**30]))
    if kind < 0.9:
        return "".join(chr(rng.choice([rng.randint(32, 126), rng.randint(0x80, 0x7FF), rng.randint(0x800, 0xFFFD),
                                       rng.randint(0x10000, 0x10FFFF)])) for _ in range(rng.randint(1, 40)))
    return rng.choice(["a", "é", "1"]) * rng.choice([300, 3000, 70_000])


def json_garbage(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False, 0, -1, 2**70, 1.5, 1e308])
    if kind in (2, 3, 4):
        return hostile_value(rng)
    if kind in (5, 6):
        return [json_garbage(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {hostile_value(rng)[:50]: json_garbage(rng, depth + 1) for _ in range(rng.randint(0, 4))}


PATH_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def endpoint_requests(rng: random.Random, count: int, real: dict[str, list[str]]) -> Iterator[Req]:
    endpoints = list(ENDPOINTS)
    for i in range(count):
        e = endpoints[i % len(endpoints)]
        which = rng.choice(["path", "query", "body", "body", "auth"])
        path = PATH_PARAM.sub(lambda m: quote(rng.choice(real.get(m.group(1)) or ["x"]), safe=""), e.path)
        if which == "path":
            path = PATH_PARAM.sub(lambda m: rng.choice([quote(hostile_value(rng).encode(ENC, SUR), safe=""),
                                                        quote(rng.choice(WEIRD), safe="%/.")]) or "%20", e.path)
        declared = [n for n, where, _ in e.params if where == "query"] + ["k", "page", "unknown", "q"]
        how_many = rng.randint(0, 6) if which == "query" else rng.randint(0, 1)
        pairs = [(rng.choice(declared), hostile_value(rng)) for _ in range(how_many)]
        query = urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in pairs])
        if which == "query" and rng.random() < 0.3:
            query += "&" + rng.choice(["%", "%ZZ", "%C0%80", "a=%FF", "&&", "=", "k=1&k=2&k=-3", "q=" + "%41" * 3000])
        headers = {"authorization": f"Bearer {TOKEN}"} if which != "auth" else rng.choice(
            [{}, {"authorization": "Bearer nope"}, {"origin": "http://evil.example", "x-csrf-token": "x"},
             {"cookie": "paperatlas_token=x"}])
        body = b""
        if e.method != "GET" or which == "body":
            fields = [n for n, where, _ in e.params if where == "body"] or ["x"]
            form = rng.random()
            if form < 0.55:
                obj = {rng.choice([*fields, "_method", "unknown"]): json_garbage(rng) for _ in range(rng.randint(0, 5))}
                body = json.dumps(rng.choice([obj, obj, json_garbage(rng)]), ensure_ascii=False).encode("utf-8", "surrogatepass")
                headers["content-type"] = "application/json"
            elif form < 0.65:
                body = deep_json(rng.choice([300, 10_000, 100_000, 500_000]), rng.choice(["list", "dict"]))
                headers["content-type"] = "application/json"
            elif form < 0.8:
                body = urlencode({rng.choice([*fields, "_method", "_csrf"]): hostile_value(rng).encode("utf-8", "surrogatepass")
                                  for _ in range(rng.randint(0, 5))}).encode()
                headers["content-type"] = "application/x-www-form-urlencoded"
            else:
                body = rng.randbytes(rng.randint(0, 3000))
                headers["content-type"] = rng.choice(["application/json", "text/plain", "multipart/form-data",
                                                      "multipart/form-data; boundary=x", ""])
        others = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]
        method = e.method if rng.random() < 0.9 else rng.choice(others)
        yield Req(f"routes: {which}", method, path + (f"?{query}" if query else ""), headers, body)


def upload_requests(rng: random.Random, files: list[HostileFile], count: int) -> Iterator[Req]:
    small = [f for f in files if f.path.is_file() and not f.path.is_symlink() and f.path.stat().st_size <= 3 * MB]
    for i in range(count):
        f = rng.choice(small)
        data = f.path.read_bytes()
        boundary = f"hostile{i}"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{f.path.name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"]
        if rng.random() < 0.5:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="preview"\r\n\r\n1\r\n'.encode())
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        yield Req(f"uploads: {f.category}", "POST", "/api/ingest",
                  {"authorization": f"Bearer {TOKEN}", "content-type": f"multipart/form-data; boundary={boundary}"}, body)
    zeros = gzip_of_zeros(1100 * MB)
    for i in range(3):
        boundary = "bomb"
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bomb{i}.json.gz"\r\n\r\n'.encode()
                + zeros + gzip.compress(str(i).encode(), mtime=0) + f"\r\n--{boundary}--\r\n".encode())
        yield Req("uploads: compression bombs", "POST", "/api/ingest",
                  {"authorization": f"Bearer {TOKEN}", "content-type": f"multipart/form-data; boundary={boundary}"}, body)


def raw_requests(rng: random.Random, count: int) -> Iterator[Req]:
    host = b"Host: 127.0.0.1\r\n"
    batch = b"POST /api/search/batch HTTP/1.1\r\n" + host
    shapes: list[bytes] = [
        b"GET / HTTP/1.1\r\n" + host + b"\r\n",
        b"GARBAGE\r\n\r\n", b"\x00\x01\x02\r\n\r\n", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n" + host + b"\r\n",
        b"GET / HTTP/1.1\r\n" + host + b"X: " + b"y" * 200_000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + host + b"".join(b"X-%d: y\r\n" % j for j in range(5000)) + b"\r\n",
        batch + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
        batch + b"Content-Type: application/json\r\nContent-Length: -5\r\n\r\n{}",
        batch + b"Content-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
        batch + b"Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}",
        b"GET /api/search?q=%FF%FE HTTP/1.0\r\n\r\n", b"GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        b"GET / HTTP/9.9\r\n" + host + b"\r\n", b"GET /\xff\xfe HTTP/1.1\r\n" + host + b"\r\n",
        b"GET / HTTP/1.1\r\nHost: \xff\r\n\r\n",
        b"GET /api/search HTTP/1.1\r\n" + host + b"Accept-Encoding: gzip;q=" + b"9" * 1000 + b"\r\n\r\n",
        b"POST /api/library/star/x HTTP/1.1\r\n" + host + b"Authorization: Bearer " + TOKEN.encode()
        + b"\r\nContent-Length: 5\r\n\r\n{}",
    ]
    for i in range(count):
        yield Req("raw http", "RAW", f"shape {i % len(shapes)}", raw=shapes[i % len(shapes)])


@dataclass
class Answer:
    status: int | None  # None: no answer in time / connection closed without an answer
    body: bytes = b""
    seconds: float = 0.0
    note: str = ""


def send(port: int, req: Req) -> Answer:
    t0 = time.monotonic()
    if req.raw is not None:
        with socket.create_connection(("127.0.0.1", port), timeout=HANG_S) as s:
            try:
                s.sendall(req.raw)
                data = b""
                while b"\r\n\r\n" not in data:
                    piece = s.recv(65536)
                    if not piece:
                        break
                    data += piece
            except TimeoutError:
                return Answer(None, seconds=time.monotonic() - t0, note="no answer")
            except OSError as exc:
                return Answer(0, seconds=time.monotonic() - t0, note=f"closed ({exc.__class__.__name__})")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
        # a connection closed without an answer is a refusal of malformed HTTP by uvicorn (h11), not a hang
        return Answer(int(m.group(1)) if m else 0, data, time.monotonic() - t0, "" if m else "closed without answer")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG_S)
    try:
        conn.putrequest(req.method, req.url, skip_accept_encoding=True)
        for k, v in req.headers.items():
            conn.putheader(k, v.encode("utf-8"))
        if req.body or req.method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(req.body)))
        conn.endheaders(req.body or None)
        r = conn.getresponse()
        body = r.read()
        return Answer(r.status, body, time.monotonic() - t0)
    except TimeoutError:
        return Answer(None, seconds=time.monotonic() - t0, note="no answer")
    except (ConnectionError, http.client.HTTPException) as exc:
        return Answer(0, seconds=time.monotonic() - t0, note=f"closed ({exc.__class__.__name__})")
    finally:
        conn.close()


def slow_body_request(port: int) -> Answer:
    """A Content-Length larger than the body sent: the server must give up (408) on its own."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"POST /api/search/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"queries\": [")
        try:
            data = s.recv(65536)
        except TimeoutError:
            return Answer(None, seconds=time.monotonic() - t0, note="held open")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return Answer(int(m.group(1)) if m else 0, data, time.monotonic() - t0)


def judge(req: Req, a: Answer, t: Tally) -> None:
    t.tries += 1
    t.seconds += a.seconds
    what = f"{req.method} {req.url[:150]}"
    if a.status is None:
        t.hangs += 1
        t.note(f"hang: {what}: {a.note}")
    elif a.status >= 500 and a.status != 503:
        t.http_500 += 1
        t.note(f"{a.status}: {what}: {a.body[:150]!r}")
    elif b"Traceback" in a.body:
        t.tracebacks += 1
        t.note(f"traceback: {what}")
    elif a.status == 0 or a.status >= 400:
        t.clean += 1
    else:
        t.accepted += 1


def hostile_http(files: list[HostileFile], db: Path, env: dict[str, str], scale: float, rng: random.Random,
                 tallies: dict[str, Tally]) -> tuple[int, float, Counter[str], list[str]]:
    """The hostile requests, CHUNK at a time; after a chunk with unanswered requests, a plain GET
    tells a slow request from a hung server, which is then killed and started again."""
    seed_db = db.with_name("served.sqlite")
    r = run([*PAPERATLAS, "ingest", "--json", "--db", str(seed_db), "--venue", "ICLR", "--year", "2021",
             str(SAMPLES / "000_e93c1171be98b26e.txt")], 120, env)
    r2 = run([*PAPERATLAS, "ingest", "--json", "--db", str(seed_db), str(SAMPLES / "003_3626c9e8004709cb.txt")], 120, env)
    if r.rc != 0 or r2.rc != 0:
        raise RuntimeError(f"could not build the served catalog: {r.stderr[-500:]} {r2.stderr[-500:]}")
    server = Server(seed_db, env)
    hung: list[str] = []  # the server stopped answering: what was in flight
    peak, errors = 0, Counter[str]()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/api/search?k=5")
        hits = json.loads(conn.getresponse().read())["hits"]
        conn.close()
        real = {"id": [h["id"] for h in hits], "venue": ["ICLR"], "year": ["2021"], "list_id": ["1"], "tag": ["t"],
                "name": [a for h in hits for a in h.get("authors", [])][:3] or ["A"]}
        reqs = [*endpoint_requests(rng, round(2000 * scale), real), *upload_requests(rng, files, round(200 * scale)),
                *raw_requests(rng, round(100 * scale))]
        with ThreadPoolExecutor(max_workers=6) as pool:
            slow = pool.submit(slow_body_request, server.port)
            for start in range(0, len(reqs), CHUNK):
                if len(hung) > MAX_RESTARTS:
                    for req in reqs[start:]:
                        tallies[req.category].note(f"not sent: the server hung {len(hung)} times")
                    break
                part, port = reqs[start : start + CHUNK], server.port
                answers = list(pool.map(functools.partial(send, port), part))
                for req, answer in zip(part, answers, strict=True):
                    judge(req, answer, tallies[req.category])
                if any(a.status is None for a in answers) and not healthy(port):
                    # every request in flight went unanswered and so does a plain GET: a hung server
                    hung.append("; ".join(f"{q.method} {q.url[:80]}" for q, a in zip(part, answers, strict=True)
                                          if a.status is None)[:600])
                    peak = max(peak, server.peak_kb())
                    server.stop(wait=5)
                    errors += log_errors(server.output())
                    server = Server(seed_db, env)
            judge(Req("raw http", "POST", "(Content-Length > body)"), slow.result(), tallies["raw http"])
        peak = max(peak, server.peak_kb())
    finally:
        stop_s = server.stop()
    return peak, stop_s, errors + log_errors(server.output()), hung


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/venues")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


def log_errors(log: str) -> Counter[str]:
    """The server log's tracebacks, by exception and the innermost frame that raised it."""
    found: Counter[str] = Counter()
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = [ln for ln in block.splitlines() if ln.strip()]
        frames = [ln.strip() for ln in lines if ln.strip().startswith("File ")]
        raised = [ln for ln in lines if re.match(r"^[\w.]+(Error|Exception|Exit|Interrupt|Disconnect)\b", ln)]
        last = raised[0] if raised else (lines[-1] if lines else "?")
        where = re.sub(r'^File ".*?/(paperatlas/|site-packages/)', r"\1", frames[-1]) if frames else "?"
        found[f"{last[:120]}  at {where[:120]}"] += 1
    return found


# -- the report -------------------------------------------------------------------------------------------
def table(title: str, tallies: dict[str, Tally], http: bool) -> Tally:
    print(f"\n{title}")
    print(f"{'category':32} {'tries':>6} {'clean err':>9} {'accepted':>8} {'traceback':>9} {'hangs':>6} {'>1 GB':>6} "
          f"{'HTTP 500':>8} {'time s':>7}")
    total = Tally()
    for name, t in sorted(tallies.items()):
        print(f"{name:32} {t.tries:6} {t.clean:9} {t.accepted:8} {t.tracebacks:9} {t.hangs:6} {t.over_1gb:6} "
              f"{(t.http_500 if http else '-'):>8} {t.seconds:7.0f}")
        for e in t.examples:
            print(f"{'':4}{e[:220]}")
        for k in ("tries", "clean", "accepted", "tracebacks", "hangs", "over_1gb", "http_500", "seconds"):
            setattr(total, k, getattr(total, k) + getattr(t, k))
    print(f"{'TOTAL':32} {total.tries:6} {total.clean:9} {total.accepted:8} {total.tracebacks:9} {total.hangs:6} "
          f"{total.over_1gb:6} {(total.http_500 if http else '-'):>8} {total.seconds:7.0f}")
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="about a fifth of the files and requests")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--no-http", action="store_true", help="files only")
    ap.add_argument("--no-files", action="store_true", help="requests only (the files are still made, for the uploads)")
    args = ap.parse_args()
    scale = 0.2 if args.quick else 1.0
    rng = random.Random(SEED)
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="paperatlas-hostile-"))
    env = {**os.environ, "PAPERATLAS_HOME": str(folder / "home"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    try:
        files = write_corpus(folder / "files", scale, rng)
        size = sum(f.path.stat().st_size for f in files if f.path.is_file() and not f.path.is_symlink())
        print(f"{len(files)} hostile files ({size / MB:.0f} MB) in {folder / 'files'} in {time.monotonic() - started:.0f} s; "
              f"each file through `paperatlas ingest --json` (batches of 25 or 4, special and slow files alone; "
              f"{HANG_S:.0f} s limit)")
        file_tallies: dict[str, Tally] = defaultdict(Tally)
        t0 = time.monotonic()
        if not args.no_files:
            ingest(files, folder / "catalog.sqlite", env, file_tallies)
        files_total = table(f"FILES (ingest, {time.monotonic() - t0:.0f} s)", file_tallies, http=False)
        http_total = Tally()
        if not args.no_http:
            http_tallies: dict[str, Tally] = defaultdict(Tally)
            t0 = time.monotonic()
            peak_kb, stop_s, log_errs, hung = hostile_http(files, folder / "catalog.sqlite", env, scale, rng, http_tallies)
            title = f"REQUESTS (paperatlas serve --token on 127.0.0.1, {time.monotonic() - t0:.0f} s)"
            http_total = table(title, http_tallies, http=True)
            over = peak_kb > GB_KB
            http_total.over_1gb += int(over)
            print("server peak memory (largest VmHWM of the server and its import workers) "
                  f"{peak_kb / 1024:.0f} MB{' OVER 1 GB' if over else ''}; "
                  f"tracebacks in the server log {sum(log_errs.values())}; stopped {stop_s:.1f} s after SIGTERM")
            for text, count in log_errs.most_common(12):
                print(f"{count:6}  {text}")
            print(f"the server stopped answering {len(hung)} times (killed and started again; its requests count as hangs)")
            for h in hung:
                print(f"    in flight: {h}")
        print(f"\n{files_total.tries} files, {http_total.tries} requests in {time.monotonic() - started:.0f} s")
        print(f"tracebacks {files_total.tracebacks + http_total.tracebacks} / hangs {files_total.hangs + http_total.hangs} / "
              f">1 GB {files_total.over_1gb + http_total.over_1gb} / HTTP 500 {http_total.http_500}   (targets 0 / 0 / 0 / 0; "
              f"at least 1,000 files and 2,000 requests)")
        counts = Counter(f.category for f in files)
        if min(counts.values()) == 0:
            print("a category generated no file")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
