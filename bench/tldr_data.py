"""Abstracts with real author TL;DRs, for bench/tldr_train.py and bench/tldr_quality.py.

Two sources, neither shipped with paperatlas (read from a local copy; nothing is downloaded):

* **SciTLDR** (Cachola et al., Findings of EMNLP 2020): the public GitHub repository
  allenai/scitldr (Apache-2.0; the abstracts are OpenReview's, CC BY 4.0), folder
  ``SciTLDR-Data/SciTLDR-A/{train,dev,test}.jsonl``; measured at commit
  5ccad9c00a60ad75c9e04abf7f27d0f53f983b20. Each line has ``source`` (the abstract, split into
  sentences by the authors), ``target`` (TL;DRs: in dev/test the first is the author's, the rest
  were written from peer reviews; train has one) and ``title``.
  Give ``--scitldr PATH`` or ``$SCITLDR_DIR``: a clone of the repository, its ``SciTLDR-Data``
  folder, or a bare git mirror of it (read with ``git show HEAD:...``).
* **Paper Copilot** (papercopilot/paperlists on GitHub; no licence file, the OpenReview-derived
  fields are CC BY 4.0): records with both ``tldr`` (the authors' TL;DR field on OpenReview) and
  ``abstract``; at commit 33f9884e652f05a768d2f216534d7f1e446a0cf7 those are ICLR 2017/2018 and
  CoRL 2022/2023. The copy in ``../shared/data/paperlists`` has the ``tldr`` field removed, so
  give ``--paperlists PATH`` or ``$PAPERLISTS_DIR``: a clone or bare git mirror of that
  repository (every ``*.json`` / ``*.json.gz`` under it is read).
"""

from __future__ import annotations

import gzip
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


class DataMissing(SystemExit):
    pass


@dataclass
class Item:
    id: str
    title: str
    abstract: str
    targets: list[str]  # targets[0] is the author's TL;DR
    gold_sentences: list[str] = field(default_factory=list)  # the data's own sentence split, if any


def _is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def _git_show(repo: Path, rel: str) -> bytes:
    out = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{rel}"], capture_output=True, check=False)
    if out.returncode != 0:
        raise DataMissing(f"{repo}: no {rel} at HEAD ({out.stderr.decode().strip()})")
    return out.stdout


def _scitldr_text(root: Path, split: str) -> str:
    rel = f"SciTLDR-A/{split}.jsonl"
    if _is_git_dir(root):
        return _git_show(root, f"SciTLDR-Data/{rel}").decode()
    for base in (root, root / "SciTLDR-Data"):
        if (base / rel).is_file():
            return (base / rel).read_text(encoding="utf-8")
    raise DataMissing(
        f"SciTLDR not found under {root}: expected SciTLDR-A/{split}.jsonl (or SciTLDR-Data/SciTLDR-A/...). "
        "Clone github.com/allenai/scitldr and pass --scitldr PATH (or set SCITLDR_DIR)."
    )


def load_scitldr(root: Path | None, split: str) -> list[Item]:
    if root is None:
        raise DataMissing("SciTLDR path missing: pass --scitldr PATH or set SCITLDR_DIR (a clone of allenai/scitldr).")
    items = []
    for n, line in enumerate(_scitldr_text(root, split).splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataMissing(f"{root}: SciTLDR-A/{split}.jsonl line {n}: not JSON ({e}); is the copy complete?") from e
        sents = [" ".join(s.split()) for s in d["source"] if s.strip()]
        items.append(Item(id=d["paper_id"], title=d["title"], abstract=" ".join(sents),
                          targets=[t.strip() for t in d["target"]], gold_sentences=sents))
    return items


def _paperlists_blobs(root: Path) -> list[tuple[str, bytes]]:
    if _is_git_dir(root):
        listing = subprocess.run(["git", "-C", str(root), "ls-tree", "-r", "--name-only", "HEAD"],
                                 capture_output=True, text=True, check=True).stdout.split()
        names = sorted(n for n in listing if n.endswith((".json", ".json.gz")))
        blobs = []
        for name in names:
            out = subprocess.run(["git", "-C", str(root), "show", f"HEAD:{name}"], capture_output=True, check=False)
            if out.returncode == 0:  # files too large for the mirror are listed but absent
                blobs.append((name, out.stdout))
        return blobs
    files = sorted([*root.rglob("*.json"), *root.rglob("*.json.gz")])
    return [(str(f.relative_to(root)), f.read_bytes()) for f in files]


def load_paperlists(root: Path | None, exclude_ids: set[str]) -> tuple[list[Item], int]:
    """Records with an author TL;DR and an abstract; those whose OpenReview id is in
    ``exclude_ids`` (papers SciTLDR also holds) are left out and counted."""
    if root is None:
        raise DataMissing("Paper Copilot path missing: pass --paperlists PATH or set PAPERLISTS_DIR "
                          "(a clone of github.com/papercopilot/paperlists; the shared copy has no tldr field).")
    if not root.exists():
        raise DataMissing(f"{root}: no such folder (a clone of papercopilot/paperlists)")
    items: list[Item] = []
    excluded = 0
    for name, blob in _paperlists_blobs(root):
        if b'"tldr"' not in blob and not name.endswith(".gz"):
            continue
        data = json.loads(gzip.decompress(blob) if name.endswith(".gz") else blob)
        for rec in data if isinstance(data, list) else []:
            if not isinstance(rec, dict):
                continue
            tldr, abstract = (rec.get("tldr") or "").strip(), (rec.get("abstract") or "").strip()
            if not tldr or not abstract:
                continue
            if rec.get("id") in exclude_ids:
                excluded += 1
                continue
            items.append(Item(id=f"{name}:{rec.get('id')}", title=rec.get("title") or "", abstract=abstract, targets=[tldr]))
    if not items:
        raise DataMissing(f"{root}: no record has both 'tldr' and 'abstract' (the shared copy has the tldr field removed; "
                          "use a clone of papercopilot/paperlists)")
    return items, excluded
