"""A small listing written by hand for the page tests (no outside source; public domain): two
venues, tracks, sessions, popularity counters on some papers, code on some, one author written
three ways, and one paper with an unbreakable 120-character title word and long names (layout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def record(title: str, authors: list[str], venue: str, year: int, **extra: Any) -> dict[str, Any]:
    return {"title": title, "authors": authors, "abstract": f"An abstract about {title.lower()} and its evaluation.",
            "venue": venue, "year": year, "keywords": [], "links": {}, "ids": {}, **extra}


RECORDS = [
    record("Zebra Stripes As Attention Maps", ["Féiqing Huang", "Ada Lovelace"], "TESTCONF", 2024, track="Oral",
           session="Session 1", counters={"hf upvotes": 5}, code_urls=["https://github.com/t/zebra"],
           ids={"arxiv": "2401.00001"}),
    record("Apple Orchards Of Gradients", ["HUANG Feiqing", "Ada Lovelace", "Grace Hopper"], "TESTCONF", 2024,
           track="Poster", session="Session 2", counters={"hf upvotes": 40, "papers.cool PDF": 3},
           ids={"openreview": "OrchardForum1"}),
    record("Mango Kernels For Graphs", ["Grace Hopper"], "TESTCONF", 2024, track="Poster", session="Session 1",
           counters={"hf upvotes": 12}, code_urls=["https://github.com/t/mango"], ids={"doi": "10.5555/mango(1)"}),
    record("Kiwi Diffusion Without Noise", ["Alan Turing"], "TESTCONF", 2024, track="Oral", session="Session 2"),
    record("Banana Diffusion Models At Scale", ["Geoffrey E. Hinton"], "TESTCONF", 2024, track="Poster",
           session="Session 2", counters={"papers.cool PDF": 9}, code_urls=["https://github.com/t/banana"]),
    record("Cherry Picking Benchmarks Considered Harmful", ["feiqing huang", "Geoffrey Hinton"], "OTHERCONF", 2022,
           links={"pdf": "https://example.org/cherry.pdf"}),
]
LONG_WORD = "Hyperparameterisation" * 6
LONG = record(f"{LONG_WORD} Of Everything", ["Wolfeschlegelsteinhausenbergerdorff Hubert Blaine", "Ada Lovelace"],
              "LONGCONF", 2024, track="A track with a rather long name that goes on and on for a while",
              session="Poster Session " + "9" * 40, counters={"a counter with a long name": 123456789},
              code_urls=["https://github.com/" + "x" * 150 + "/repo"])


def write_listing(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path
