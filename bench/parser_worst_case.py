"""Worst-case inputs for every registered parser: is parsing linear in the size of the input?

    python bench/parser_worst_case.py            # 100 KB, 1 MB and 10 MB per case
    python bench/parser_worst_case.py --quick    # 100 KB and 1 MB
    python bench/parser_worst_case.py --only bibtex,ris

For each parser of ``registry.parsers()`` (whoever registered it: a parser without shapes of its
own gets the generic ones), adversarial inputs shaped for its format (many tiny records, deep
nesting, macro chains, long lines, wide rows, unclosed structures) are parsed at each size, each in
a forked child process with a time limit (60 s: reported as HANG, and the run moves on). Printed:
the time per MB at each size, "refused" when the parser raised a ParseError (a clean refusal: its
time is still shown), the growth factor (time/MB at the largest size / time/MB at 100 KB: about 1
is linear; above 3 is flagged SUPER-LINEAR), the child's peak memory, and beside it the baseline:
the time per MB of ``bytes.decode`` + ``str.casefold`` over the same input (one linear pass).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from paperatlas.errors import ParseError  # noqa: E402
from paperatlas.ingest import registry  # noqa: E402
from paperatlas.ingest.base import ParseContext, Source  # noqa: E402

KB, MB = 1024, 1024**2
SIZES = {"100 KB": 100 * KB, "1 MB": MB, "10 MB": 10 * MB}
HANG_S = 60.0
SUPER_LINEAR = 3.0
# a case whose largest input parses faster than this is fast whatever its growth (timer and cache noise)
MIN_SECONDS = 0.05

Gen = Callable[[int], bytes]


# -- building blocks ----------------------------------------------------------------------------------
def repeat(unit: str, size: int, head: str = "", tail: str = "") -> bytes:
    return (head + unit * max(1, (size - len(head) - len(tail)) // len(unit)) + tail).encode()


def json_list(record: Callable[[int], dict[str, object]], size: int, *, lines: bool = False, wrap: str = "") -> bytes:
    """Many records (``record(i)``) as a JSON list (or JSON Lines, or ``{wrap: [...]}``), about ``size`` bytes."""
    one = len(json.dumps(record(0))) + 2
    items = [json.dumps(record(i)) for i in range(max(1, size // one))]
    if lines:
        return "\n".join(items).encode()
    body = "[" + ",\n".join(items) + "]"
    return (f'{{"{wrap}": {body}}}' if wrap else body).encode()


def nested(head: str, size: int, tail: str) -> bytes:
    """``head``, an array nested as deep as ``size`` allows (far past any depth limit), ``tail``."""
    depth = max(1, (size - len(head) - len(tail)) // 2)
    return (head + "[" * depth + "]" * depth + tail).encode()


def deep_json(size: int, key: str = "title") -> bytes:
    """A record whose field is an array nested as deep as the size allows (past any depth limit)."""
    depth = size // 2 - 20
    return ('[{"' + key + '": ' + "[" * depth + "]" * depth + "}]").encode()


def long_field_json(size: int, key: str = "title") -> bytes:
    return ('[{"' + key + '": "' + "a b\\\\c " * (size // 8) + '", "authors": ["A"]}]').encode()


def wide_json(size: int) -> bytes:
    """One record with a huge number of keys."""
    return ("[{" + ",".join(f'"k{i}": {i}' for i in range(size // 14)) + ', "title": "t"}]').encode()


def escapes_json(size: int, key: str = "title") -> bytes:
    return ('[{"' + key + '": "' + "\\u00e9\\ud83d\\ude00\\n" * (size // 20) + '"}]').encode()


def xml_records(head: str, record: str, tail: str, size: int) -> bytes:
    n = max(1, (size - len(head) - len(tail)) // len(record.format(i=0)))
    return (head + "".join(record.format(i=i) for i in range(n)) + tail).encode()


def xml_deep(head: str, inner_open: str, tag: str, tail: str, size: int) -> bytes:
    depth = size // (2 * len(tag) + 5)
    return (head + inner_open + f"<{tag}>" * depth + f"</{tag}>" * depth + tail).encode()


def csv_rows(header: str, row: Callable[[int], str], size: int) -> bytes:
    n = max(1, size // len(row(0)))
    return (header + "".join(row(i) for i in range(n))).encode()


# -- shapes per format ---------------------------------------------------------------------------------
ATOM = '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
ENTRY = ("<entry><id>http://arxiv.org/abs/2101.{i:05d}v1</id><title>T {i}</title><summary>S</summary>"
         "<author><name>A B</name></author><published>2021-01-01T00:00:00Z</published></entry>\n")
DBLP = '<?xml version="1.0"?>\n<dblp>\n'
DBLP_REC = ('<article key="journals/x/P{i}"><author>A B</author><title>T {i}.</title><year>2020</year>'
            "<journal>J</journal></article>\n")
OR_NOTE: Callable[[int], dict[str, object]] = lambda i: {  # noqa: E731
    "id": f"n{i}", "forum": f"n{i}", "content": {"title": {"value": f"T {i}"}, "authors": {"value": ["A B"]},
                                                 "abstract": {"value": "x"}}}
TEXT_LINES = "a\n"

SHAPES: dict[str, dict[str, Gen]] = {
    "abstracts": {
        "tiny paragraphs": lambda n: repeat("Word word word.\n\n", n, "Total: 1000000\n\n"),
        "one long line": lambda n: repeat("lorem ipsum ", n),
        "single-char lines": lambda n: repeat(TEXT_LINES, n),
    },
    "arxiv_atom": {
        "many entries": lambda n: xml_records(ATOM, ENTRY, "</feed>", n),
        "deep nesting": lambda n: xml_deep(ATOM, "<entry><title>", "i", "</title></entry></feed>", n),
        "long summary": lambda n: repeat("a &amp; b ", n, ATOM + "<entry><id>x</id><title>t</title><summary>",
                                         "</summary></entry></feed>"),
        "billion laughs": lambda n: (b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaaaaaaaa">'
                                     + b"".join(b'<!ENTITY a%d "&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;">'
                                                % ((k,) + (b"" if k == 1 else str(k - 1).encode(),) * 10) for k in range(1, 10))
                                     + b']><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&a9;</title></entry></feed>'
                                     + b" " * max(0, n - 1000)),
    },
    "arxiv_kaggle": {
        "many lines": lambda n: json_list(lambda i: {"id": f"2101.{i:05d}", "title": "T", "authors": "A", "abstract": "x",
                                                     "versions": [], "categories": "cs.LG"}, n, lines=True),
        "deep nesting": lambda n: nested('{"id": "1", "title": "t", "versions": ', n, "}"),
        "one long line": lambda n: ('{"id": "1", "title": "' + "x " * (n // 2) + '", "abstract": "a"}').encode(),
    },
    "bibtex": {
        "tiny entries": lambda n: repeat("@misc{k, title={T}}\n", n),
        "deep braces": lambda n: ("@article{x, title={" + "{" * (n // 2 - 30) + "}" * (n // 2 - 30) + "}}").encode(),
        "nesting 150 x many": lambda n: repeat("@misc{k, title={" + "{" * 150 + "t" + "}" * 150 + "}}\n", n),
        "macro chain": lambda n: ("@string{a0 = \"ab\"}\n" + "".join(f"@string{{a{i} = a{i - 1} # a{i - 1}}}\n"
                                                                   for i in range(1, max(2, n // 30)))
                                  + f"@misc{{k, title = a{max(1, n // 30) - 1}}}").encode(),
        "many macros": lambda n: ("".join(f'@string{{s{i} = "w{i}"}}\n' for i in range(n // 40))
                                  + "@misc{k, title = " + " # ".join(f"s{i}" for i in range(min(n // 40, 50_000)))
                                  + "}").encode(),
        "unclosed brace": lambda n: repeat("a ", n, "@article{x, title={"),
        "at signs": lambda n: repeat("@", n),
        "long field": lambda n: repeat("w ", n, "@misc{k, abstract={", "}, title={T}}"),
    },
    "csl_json": {
        "many items": lambda n: json_list(lambda i: {"id": f"i{i}", "type": "article", "title": f"T {i}",
                                                     "author": [{"family": "B", "given": "A"}]}, n),
        "deep nesting": lambda n: deep_json(n),
        "wide object": wide_json,
        "escapes": lambda n: escapes_json(n),
    },
    "dblp_xml": {
        "many records": lambda n: xml_records(DBLP, DBLP_REC, "</dblp>", n),
        "deep nesting": lambda n: xml_deep(DBLP, '<article key="a"><title>', "i", "</title></article></dblp>", n),
        "long title": lambda n: repeat("x &amp; ", n, DBLP + '<article key="a"><author>A</author><title>',
                                       "</title></article></dblp>"),
        "many attributes": lambda n: (DBLP + "<article " + " ".join(f'a{i}="v"' for i in range(n // 10))
                                      + ' key="k"><title>T</title></article></dblp>').encode(),
    },
    "hf_daily": {
        "many papers": lambda n: json_list(lambda i: {"paper": {"id": f"2405.{i:05d}", "title": "T", "summary": "s",
                                                                "authors": [{"name": "A"}]}}, n),
        "deep nesting": lambda n: ('[{"paper": {"id": "1", "title": "t", "authors": ' + "[" * (n // 2 - 50)
                                   + "]" * (n // 2 - 50) + "}}]").encode(),
        "many authors": lambda n: ('[{"paper": {"id": "1", "title": "t", "authors": ['
                                   + ",".join(['{"name": "A B"}'] * (n // 17)) + "]}}]").encode(),
    },
    "hf_papers": {
        "many records": lambda n: repeat("A Title Of A Paper\nAn abstract sentence that says things.\n"
                                         "Submitted by x · 3 authors\n12\n", n, "Get trending papers in your email inbox!\n"),
        "one long line": lambda n: repeat("word ", n, "Get trending papers in your email inbox!\n"),
        "single-char lines": lambda n: repeat(TEXT_LINES, n, "Get trending papers in your email inbox!\n"),
    },
    "hf_viewer": {
        "many rows": lambda n: repeat("A Title\nhttps://openreview.net/forum?id=abc\nA B,C D\nICLR 2021,Poster\n"
                                      "An abstract.\n", n,
                                      "title\nstring\nlengths\n1\n100\nurl\nstring\nlengths\n1\n100\nauthors\nstring\n"
                                      "lengths\n1\n9\ntags\nstring\nlengths\n1\n9\nabstract\nstring\nlengths\n1\n9\n"),
        "long cell": lambda n: repeat("word ", n, "title\nstring\nlengths\n1\n100\n"),
        "header only": lambda n: repeat("x\nstring\nlengths\n1\n9\n", n),
    },
    "iclr_virtual": {
        "many posters": lambda n: repeat("A Title of a Paper\nAda B · Cy D · Ed F\nAn abstract sentence.\n\n", n,
                                         "Poster Session 6\n"),
        "many authors": lambda n: repeat("A B · ", n, "Poster Session 6\nA Title\n", "\nabstract\n"),
        "one long line": lambda n: repeat("word ", n, "Poster Session 6\n"),
    },
    "markdown_list": {
        "many items": lambda n: repeat("- [A Title of a Paper](https://arxiv.org/abs/2101.00001) "
                                       "[[code]](https://github.com/a/b)\n", n),
        "table rows": lambda n: repeat("| A Title | [paper](https://arxiv.org/abs/2101.00001) | 2021 |\n", n,
                                       "| Title | Paper | Year |\n|---|---|---|\n"),
        "brackets": lambda n: repeat("[", n, "- "),
        "emphasis": lambda n: repeat("**", n, "- "),
        "deep indent": lambda n: "".join("  " * (i % 400) + f"- [T](https://arxiv.org/abs/2101.{i % 99999:05d})\n"
                                         for i in range(max(1, n // 430))).encode(),
        "long line links": lambda n: repeat("[t](https://x.org/a) ", n, "- "),
    },
    "miniconf": {
        "many csv rows": lambda n: csv_rows("UID,title,authors,abstract,keywords,sessions\n",
                                            lambda i: f"u{i},T {i},A B|C D,abstract,k,s1\n", n),
        "wide row": lambda n: ("UID,title,authors,abstract,keywords,sessions" + ",c" * (n // 4) + "\nu,T,A,a,k,s\n").encode(),
        "long quoted field": lambda n: repeat('""x', n, "UID,title,authors,abstract,keywords,sessions\nu,T,A,\"", '",k,s\n'),
        "many json papers": lambda n: ("{" + ",".join(f'"p{i}": {{"title": "T", "authors": ["A"]}}' for i in range(n // 45))
                                       + "}").encode(),
    },
    "openreview": {
        "many notes": lambda n: json_list(OR_NOTE, n, wrap="notes"),
        "json lines": lambda n: json_list(OR_NOTE, n, lines=True),
        "deep nesting": lambda n: nested('{"notes": [{"id": "x", "content": {"title": ', n, "}}]}"),
        "long title": lambda n: ('{"notes": [{"id": "x", "content": {"title": {"value": "' + "w " * (n // 2) + '"}}}]}').encode(),
    },
    "paperlists": {
        "many papers": lambda n: json_list(lambda i: {"id": f"p{i}", "title": f"T {i}", "track": "main", "status": "Poster",
                                                      "author": "A;B;C", "abstract": "x"}, n),
        "many authors": lambda n: repeat("A B;", n, '[{"id": "p", "title": "t", "status": "Poster", "author": "', '"}]'),
        "deep nesting": lambda n: deep_json(n, "author"),
    },
    "paperscool": {
        "many papers": lambda n: repeat("#1 A Title [PDF] [Kimi]\n\nAuthors: A B ; C D\n\nAn abstract.\n\n", n,
                                        "ICLR.2023 - Poster\n\nTotal: 9\n\n"),
        "many authors": lambda n: repeat(" ; A B", n, "ICLR.2023 - Poster\n\nTotal: 1\n\n#1 T [PDF]\n\nAuthors: X", "\n\nabs\n"),
        "hash lines": lambda n: repeat("#", n, "ICLR.2023 - Poster\n\n"),
    },
    "records": {
        "many csv rows": lambda n: csv_rows("title,authors,abstract,year\n", lambda i: f"T {i},A B;C D,abstract,2021\n", n),
        "wide csv row": lambda n: ("title" + ",c" * (n // 2) + "\nT" + ",v" * (n // 2) + "\n").encode(),
        "quotes": lambda n: repeat('""', n, 'title,abstract\nT,"', '"\n'),
        "many jsonl": lambda n: json_list(lambda i: {"title": f"T {i}", "authors": ["A B"], "year": 2021}, n, lines=True),
        "deep nesting": lambda n: deep_json(n),
        "wide object": wide_json,
        "long field": lambda n: long_field_json(n),
    },
    "ris": {
        "many records": lambda n: repeat("TY  - JOUR\nTI  - A Title\nAU  - B, A\nPY  - 2021\nER  - \n", n),
        "long line": lambda n: repeat("w ", n, "TY  - JOUR\nTI  - T\nAB  - ", "\nER  - \n"),
        "continuations": lambda n: repeat("   more\n", n, "TY  - JOUR\nTI  - T\nAB  - x\n", "ER  - \n"),
        "many authors": lambda n: repeat("AU  - B, A\n", n, "TY  - JOUR\nTI  - T\n", "ER  - \n"),
        "wos tags": lambda n: repeat("PT J\nAU Ab, C\nTI A Title\nSO J\nER\n", n, "FN Clarivate\nVR 1.0\n", "EF\n"),
    },
    "s2_json": {
        "many papers": lambda n: json_list(lambda i: {"paperId": f"{i:040x}", "title": f"T {i}", "authors": [{"name": "A"}]}, n,
                                           wrap="data"),
        "json lines": lambda n: json_list(lambda i: {"paperId": f"{i:040x}", "title": f"T {i}"}, n, lines=True),
        "deep nesting": lambda n: ('{"data": [{"paperId": "a", "title": "t", "authors": ' + "[" * (n // 2 - 60)
                                   + "]" * (n // 2 - 60) + "}]}").encode(),
        "many authors": lambda n: ('{"paperId": "a", "title": "t", "authors": [' + ",".join(['{"name": "A B"}'] * (n // 17))
                                   + "]}").encode(),
    },
}
GENERIC: dict[str, Gen] = {  # for a parser registered later without shapes here
    "tiny lines": lambda n: repeat(TEXT_LINES, n),
    "one long line": lambda n: repeat("word ", n),
    "deep json": lambda n: deep_json(n),
    "braces": lambda n: repeat("{", n),
}


# -- one case in a child -------------------------------------------------------------------------------
@dataclass
class Outcome:
    status: str  # "ok" | "refused" | "error" | "HANG"
    seconds: float
    records: int = 0
    base_seconds: float = 0.0
    peak_mb: float = 0.0
    note: str = ""


def child(name: str, gen: Gen, size: int, conn: Connection) -> None:
    data = gen(size)
    t0 = time.perf_counter()
    data.decode("utf-8", "replace").casefold()
    base = time.perf_counter() - t0
    parser = registry.parsers()[name]
    t0 = time.perf_counter()
    status, records, note = "ok", 0, ""
    try:
        source = Source.from_bytes(f"case.{name}", data)
        for _ in parser.parse(source, ParseContext(path=source.path)):
            records += 1
    except ParseError as exc:
        status, note = "refused", exc.message[:70]
    except BaseException as exc:  # noqa: BLE001 - reported as a bug, not raised
        status, note = "error", f"{type(exc).__name__}: {str(exc)[:60]}"
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send(Outcome(status, seconds, records, base, peak, note))
    conn.close()


def run_case(name: str, gen: Gen, size: int) -> Outcome:
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=child, args=(name, gen, size, send))
    t0 = time.perf_counter()
    proc.start()
    send.close()
    if recv.poll(HANG_S):
        try:
            outcome: Outcome = recv.recv()
        except EOFError:
            outcome = Outcome("error", time.perf_counter() - t0, note="the child died (killed? out of memory?)")
    else:
        outcome = Outcome("HANG", time.perf_counter() - t0, note=f"> {HANG_S:.0f} s")
    proc.kill()
    proc.join()
    recv.close()
    if proc.exitcode not in (0, -9) and outcome.status == "ok":
        outcome.note = f"exit code {proc.exitcode}"
    return outcome


def per_mb(seconds: float, size: int) -> float:
    return seconds / (size / MB) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100 KB and 1 MB only")
    ap.add_argument("--only", default="", help="comma-separated parser names")
    args = ap.parse_args()
    sizes = {k: v for k, v in SIZES.items() if not (args.quick and v > MB)}
    parsers = sorted(registry.parsers())
    if args.only:
        parsers = [p for p in parsers if p in args.only.split(",")]
    cols = "".join(f"{'ms/MB @' + label:>24}" for label in sizes)
    print(f"{'parser':14} {'input':20}{cols} {'growth':>8} {'base ms/MB':>11} {'peak MB':>8}  verdict")
    flagged: list[str] = []
    started = time.perf_counter()
    for name in parsers:
        for shape, gen in (SHAPES.get(name) or GENERIC).items():
            cells, first, last, base, peak, verdict = [], None, None, 0.0, 0.0, ""
            for size in sizes.values():
                o = run_case(name, gen, size)
                ms = per_mb(o.seconds, size)
                base = max(base, per_mb(o.base_seconds, size))
                peak = max(peak, o.peak_mb)
                label = {"ok": f"{o.records} rec", "refused": "refused", "error": "ERROR", "HANG": "HANG"}[o.status]
                shown = f">{ms:.0f}" if o.status == "HANG" else f"{ms:.0f}"  # a hang's time is the limit
                cells.append(f"{shown:>10} {label[:12]:>12}")
                if o.status in ("error", "HANG"):
                    verdict = f"{o.status}: {o.note}"
                    flagged.append(f"{name}/{shape} @ {size // KB} KB: {o.status} {o.note}")
                    break
                if o.status == "refused" and not verdict:
                    verdict = f"refused: {o.note}"
                if first is None:
                    first = o.seconds / size
                last = o.seconds / size
            cells += [f"{'-':>23}"] * (len(sizes) - len(cells))
            growth = last / first if first and last and last * max(sizes.values()) > MIN_SECONDS else None
            if growth is not None and growth > SUPER_LINEAR and not verdict.startswith(("error", "HANG")):
                verdict = "SUPER-LINEAR " + verdict
                flagged.append(f"{name}/{shape}: growth {growth:.1f}")
            shown = f"{growth:8.1f}" if growth is not None else f"{'fast':>8}"
            print(f"{name:14} {shape[:20]:20}" + " ".join(cells) + f" {shown} {base:11.1f} {peak:8.0f}  {verdict}", flush=True)
    print(f"\n{len(flagged)} flagged (target 0; growth > {SUPER_LINEAR:.0f} is super-linear, any ERROR or HANG is a bug)"
          f" in {time.perf_counter() - started:.0f} s")
    for f in flagged:
        print("  " + f)


if __name__ == "__main__":
    main()
