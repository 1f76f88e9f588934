"""How the fixtures in this folder were made (see README.md): run once, by hand, with the three
public repositories checked out at the commits named there; the tests only read the results.

    python tests/data/remote/make_fixtures.py ARXIV_PY_REPO SEMANTICSCHOLAR_REPO HF_NEWSLETTER_REPO ICLR_SITE_REPO
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).parent
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


def show(repo: str, commit: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", repo, "show", f"{commit}:{path}"], check=True, capture_output=True).stdout


def yaml_bodies(text: str) -> list[str]:
    """The response bodies of a vcrpy cassette (``string: '...'`` blocks, YAML single-quoted)."""
    import yaml  # only for making the fixtures

    return [i["response"]["body"]["string"] for i in yaml.safe_load(text)["interactions"]]


def main(arxiv_py: str, s2: str, hf: str, iclr: str) -> None:
    out = HERE / "arxiv"
    out.mkdir(exist_ok=True)
    entries: list[ET.Element] = []
    for start, name in ((0, "q_testing_s0_m10_bc5a6c384fe9.json"), (10, "q_testing_s10_m10_34e56e15aaac.json"),
                        (20, "q_testing_s20_m10_348a237fecab.json")):
        body = json.loads(show(arxiv_py, "93315e7ce9f48e0786317ac2c3d78bdf5bdb748f", f"tests/fixtures/{name}"))["body"]
        raw = body.encode("latin-1")  # arxiv.py stores the bytes as latin-1 text
        (out / f"query_testing_start{start}.xml").write_bytes(raw)
        entries += ET.fromstring(raw).findall(ATOM + "entry")

    out = HERE / "semanticscholar"
    out.mkdir(exist_ok=True)
    commit = "73c77266abcab52125941736d87c659ed4fa0e15"
    first, second = yaml_bodies(show(s2, commit, "tests/data/test_search_paper_next_page.yaml").decode())[:2]
    (out / "search_turing_offset0.json").write_text(first)
    (out / "search_turing_offset100.json").write_text(second)
    batch = show(s2, commit, "tests/data/test_get_papers_not_found_warning.yaml").decode()
    (out / "batch.json").write_text(yaml_bodies(batch)[0])

    out = HERE / "huggingface"
    out.mkdir(exist_ok=True)
    for day in ("2026-08-18", "2026-08-19", "2026-08-20"):
        items = json.loads(show(hf, "7cffe8b89a260c24d18f5c4674d4d2ff2aa09c1d", f"Paper_metadata_download/{day}.json"))
        (out / f"daily_papers_{day}.json").write_text(json.dumps(items[:3], ensure_ascii=False, indent=1) + "\n")

    # OpenReview API v2 notes: the values of six real ICLR 2020 notes (API v1 shape on the ICLR
    # 2020 virtual site) written in the v2 shape, before decisions.
    out = HERE / "openreview"
    out.mkdir(exist_ok=True)
    site = json.loads(show(iclr, "c2320fab7f7420f85cbc1a5b4207461d1cf931fb", "sitedata/papers.json"))
    notes = []
    for number, (forum, note) in enumerate(list(site.items())[:6], 1):
        c = note["content"]
        content = {k: {"value": c[k]} for k in ("title", "authors", "authorids", "keywords", "abstract", "pdf") if k in c}
        content["TLDR"] = {"value": c.get("TL;DR", "")}
        content["venue"] = {"value": "Submitted to ICLR 2020"}
        content["venueid"] = {"value": "ICLR.cc/2020/Conference/Submission"}
        notes.append({"id": forum, "forum": forum, "number": number, "invitations": ["ICLR.cc/2020/Conference/-/Submission"],
                      "domain": "ICLR.cc/2020/Conference", "cdate": 1569439000000 + number * 1000,
                      "readers": ["everyone"], "content": content})
    listing = {"notes": notes, "count": len(notes)}
    (out / "iclr2020_submissions.json").write_text(json.dumps(listing, ensure_ascii=False, indent=1) + "\n")

    # rss.arxiv.org/atom: eight of the recorded arXiv API entries, in the announcement feed's shape
    out = HERE / "arxiv_rss"
    out.mkdir(exist_ok=True)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
             'xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="en-us">',
             '  <id>http://rss.arxiv.org/atom/cs.SE</id>', '  <title>cs.SE updates on arXiv.org</title>',
             '  <updated>2026-09-10T04:00:00.000000+00:00</updated>',
             '  <link href="http://rss.arxiv.org/atom/cs.SE" rel="self" type="application/atom+xml"/>',
             '  <subtitle>cs.SE updates on the arXiv.org e-print archive.</subtitle>']
    for n, e in enumerate(entries[:8]):
        vid = e.find(ATOM + "id").text.rsplit("/", 1)[1]
        kind = ("new", "new", "cross", "replace", "new", "replace-cross", "new", "new")[n]
        authors = ", ".join(a.find(ATOM + "name").text for a in e.findall(ATOM + "author"))
        summary = " ".join(e.find(ATOM + "summary").text.split())
        lines += ["  <entry>", f"    <id>oai:arXiv.org:{vid}</id>", f"    <title>{escape(e.find(ATOM + 'title').text)}</title>",
                  '    <updated>2026-09-10T04:00:00.000000+00:00</updated>',
                  f'    <link href="https://arxiv.org/abs/{vid.split("v")[0]}" rel="alternate" type="text/html"/>',
                  f"    <summary>arXiv:{vid} Announce Type: {kind} \nAbstract: {escape(summary)}</summary>"]
        lines += [f'    <category term="{c.get("term")}" scheme="http://arxiv.org/schemas/atom"/>'
                  for c in e.findall(ATOM + "category")]
        lines += ["    <published>2026-09-10T00:00:00-04:00</published>",
                  f"    <arxiv:announce_type>{kind}</arxiv:announce_type>",
                  "    <rights>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</rights>",
                  f"    <dc:creator>{escape(authors)}</dc:creator>", "  </entry>"]
    lines.append("</feed>")
    (out / "cs.SE.atom").write_text("\n".join(lines) + "\n")

    # papers.cool/arxiv/<cat>/feed: five of the recorded entries, in papers.cool's feed shape
    out = HERE / "paperscool"
    out.mkdir(exist_ok=True)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
             "  <id>https://papers.cool/arxiv/cs.SE</id>", "  <title>Software Engineering | Cool Papers</title>",
             "  <updated>2026-09-10T08:00:00+00:00</updated>",
             '  <link href="https://papers.cool/arxiv/cs.SE" rel="alternate"/>']
    for e in entries[10:15]:
        aid = e.find(ATOM + "id").text.rsplit("/", 1)[1].split("v")[0]
        lines += ["  <entry>", f"    <id>https://papers.cool/arxiv/{aid}</id>",
                  f"    <title>{escape(e.find(ATOM + 'title').text)}</title>",
                  f"    <updated>{e.find(ATOM + 'updated').text}</updated>",
                  f"    <published>{e.find(ATOM + 'published').text}</published>"]
        lines += [f"    <author><name>{escape(a.find(ATOM + 'name').text)}</name></author>" for a in e.findall(ATOM + "author")]
        lines += [f'    <link href="https://papers.cool/arxiv/{aid}" rel="alternate"/>',
                  f"    <summary>{escape(' '.join(e.find(ATOM + 'summary').text.split()))}</summary>", "  </entry>"]
    lines.append("</feed>")
    (out / "arxiv_cs.SE_feed.xml").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:5])
