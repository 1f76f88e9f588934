"""How a programme names a paper: a title, a catalog id, an OpenReview or arXiv id or URL, a DOI,
a poster board, or several of these on one line ("#A12 Title — https://openreview.net/forum?id=…")."""

from __future__ import annotations

import re

from ..normalize import extract_ids
from ..normalize.ids import normalize_arxiv, normalize_doi
from ..store.protocol import ProgrammeEntry
from .boards import board_in, clean_board, leading_board

MAX_REF = 500  # a reference longer than this is prose (an abstract pasted into the description)
_PREFIXED = re.compile(r"^\s*(openreview|arxiv|doi|id)\s*[:=]\s*(\S+)\s*$", re.IGNORECASE)
_URL = re.compile(r"\s*(?:[-–—|·(]\s*)?<?https?://\S+>?\)?\s*")


def entry_from_text(text: str, board: str | None = None) -> ProgrammeEntry | None:
    """One reference as an entry (board and strong ids taken out of the text; ``board`` from a
    column of its own wins), None for a blank or over-long line."""
    text = " ".join(str(text).split())
    if not text or len(text) > MAX_REF:
        return None
    found, rest = leading_board(text)
    if not found:
        found, rest = board_in(text) if re.match(r"^\s*(board|poster|booth)\b", text, re.IGNORECASE) else (None, text)
    ids = extract_ids(rest)
    m = _PREFIXED.match(rest)
    if m:
        kind, value = m.group(1).lower(), m.group(2)
        if kind == "arxiv" and (arxiv := normalize_arxiv(value)):
            ids["arxiv"] = arxiv
        elif kind == "doi" and (doi := normalize_doi(value)):
            ids["doi"] = doi
        elif kind == "openreview":
            ids["openreview"] = value
        elif kind == "id":
            ids["id"] = value
        rest = ""
    elif (arxiv := normalize_arxiv(rest)) and len(rest) < 40 and " " not in rest.strip():
        ids["arxiv"] = arxiv
        rest = ""
    title = _URL.sub(" ", rest).strip(" -–—|·:") if ids else rest.strip()
    # ref: the title when the line has one (what matching and the unmatched report need), else the line
    return ProgrammeEntry(ref=" ".join(title.split()) or text, board=clean_board(board) or clean_board(found), ids=ids)

