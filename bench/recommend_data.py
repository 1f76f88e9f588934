"""The recommendation dev benchmark, built from Paper Copilot files (../shared/data/paperlists):
researchers' earlier papers as a library, their papers at a later conference as what they
should find among all of that conference's papers.

- Catalog: ML and vision venue-years with abstracts (NeurIPS 2010-2016, ICML 2013-2017,
  ICLR 2017-2018, AISTATS 2012-2019, COLT/UAI 2019, CVPR 2013-2018, ICCV 2013-2017, ECCV 2018).
  NeurIPS 2017-2018 and ICML 2018-2019 are left out entirely: a held-out benchmark uses them.
- Profiles: for each target venue-year (``TARGETS``), authors with at least one paper there and
  at least ``MIN_LIBRARY`` papers in the three years before it (any catalog venue); the library
  is those earlier papers (the ``MAX_LIBRARY`` most recent), the relevant papers their papers at
  the target. Author names are matched exactly (lower-cased); names with more than
  ``MAX_PAPERS`` papers in the catalog (common names, several people) are left out.
- Candidates: every paper of the target venue-year. Rankers see titles and abstracts only, so
  content must answer (the authors are hidden).
- Halves: each profile goes to dev or test by a hash of its author and target.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "paperlists"
CATALOG = (
    [f"nips{y}" for y in range(2010, 2017)] + [f"icml{y}" for y in range(2013, 2018)] + ["iclr2017", "iclr2018"]
    + [f"aistats{y}" for y in (2012, 2014, 2015, 2016, 2017, 2018, 2019)] + ["colt2019", "uai2019"]
    + [f"cvpr{y}" for y in range(2013, 2019)] + ["iccv2013", "iccv2015", "iccv2017", "eccv2018"]
)
HELD_OUT = {"nips2017", "nips2018", "icml2018", "icml2019"}
TARGETS = ("nips2014", "nips2015", "nips2016", "icml2015", "icml2016", "icml2017", "iclr2018", "aistats2018",
           "aistats2019", "cvpr2017", "cvpr2018")
MIN_LIBRARY, MAX_LIBRARY, MAX_PAPERS, PER_TARGET = 3, 50, 40, 40


@dataclass
class Paper:
    key: str  # "<file>:<record id>"
    file: str
    year: int
    title: str
    abstract: str
    authors: list[str]

    @property
    def text(self) -> str:
        return f"{self.title}. {self.abstract}"


@dataclass
class Profile:
    qid: str
    author: str
    target: str
    library: list[int]  # indexes into the catalog
    relevant: set[int]
    candidates: list[int]
    half: str = field(default="dev")


def load_catalog() -> list[Paper]:
    out = []
    for name in CATALOG:
        assert name not in HELD_OUT
        year = int(re.search(r"\d{4}", name).group())  # type: ignore[union-attr]
        for rec in json.loads(gzip.open(DATA / f"{name}.json.gz").read()):
            abstract = (rec.get("abstract") or "").strip()
            if not abstract or not rec.get("title"):
                continue
            authors = [a.strip() for a in str(rec.get("author") or "").split(";") if a.strip()]
            out.append(Paper(f"{name}:{rec.get('id')}", name, year, rec["title"].strip(), abstract, authors))
    return out


def build_profiles(papers: list[Paper], seed: int = 0) -> list[Profile]:
    by_author: dict[str, list[int]] = {}
    for i, p in enumerate(papers):
        for a in p.authors:
            by_author.setdefault(a.lower(), []).append(i)
    rng = random.Random(seed)
    profiles = []
    for target in TARGETS:
        year = int(re.search(r"\d{4}", target).group())  # type: ignore[union-attr]
        candidates = [i for i, p in enumerate(papers) if p.file == target]
        chosen = []
        for author, idx in sorted(by_author.items()):
            if len(idx) > MAX_PAPERS:
                continue
            relevant = {i for i in idx if papers[i].file == target}
            library = sorted((i for i in idx if year - 3 <= papers[i].year < year), key=lambda i: -papers[i].year)
            if relevant and len(library) >= MIN_LIBRARY:
                chosen.append(Profile(f"{target}:{author}", author, target, library[:MAX_LIBRARY], relevant, candidates))
        rng.shuffle(chosen)
        profiles += chosen[:PER_TARGET]
    for p in profiles:
        h = int.from_bytes(hashlib.blake2b(p.qid.encode(), digest_size=4).digest(), "big")
        p.half = "dev" if h % 2 == 0 else "test"
    return profiles
