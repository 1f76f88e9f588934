"""Poster boards: the order to walk them in, and board numbers found in a programme's text.

Every function here accepts any string without raising and runs in linear time: programme files
are written by hand and exported by many tools.
"""

from __future__ import annotations

import re

# Runs of ASCII digits or of letters; punctuation and spaces separate runs and are otherwise
# ignored ("A-12" walks like "A12"). ASCII digits only: int() of "²" would raise.
_RUNS = re.compile(r"[0-9]+|[^\W\d_]+")
BOARD = r"[A-Za-z]{0,3}-?\d{1,5}[A-Za-z]?"
# "Board 12", "Poster #A12", "Booth: 7", "#123" — in a LOCATION, or at the start of a line/summary
_LABELLED = re.compile(r"(?:\b(?:board|poster|booth|stand)(?:\s+(?:no\.?|number|board))?\s*[:#]?\s*|#\s*)(" + BOARD + r")\b",
                       re.IGNORECASE)
_BRACKETED = re.compile(r"^\s*[\[(](" + BOARD + r")[\])]\s*[:.\-–—]?\s*")
_LEADING = re.compile(r"^\s*(?:(?:board|poster|booth)(?:\s+(?:no\.?|number))?\s*[:#]?\s*|#\s*)(" + BOARD + r")\s*[:.)\-–—]?\s+",
                      re.IGNORECASE)
MAX_TEXT = 2000  # a "board" further into a text than this is prose


def board_key(board: str) -> tuple[tuple[int, int, str], ...]:
    """The natural ("human") order of board ids, as the Alphanum algorithm (Dave Koelle) and
    natsort define it: runs of digits compare as numbers, runs of letters case-folded, and a run
    of digits comes before a run of letters. So A2 < A10 < B1, 9 < 10, "a7" = "A7"."""
    return tuple((0, int(run), "") if run.isascii() and run.isdigit() else (1, 0, run.casefold())
                 for run in _RUNS.findall(board[:MAX_TEXT]))


def walking_order(boards: list[str | None]) -> list[int]:
    """Indices of ``boards`` in walking order: boards in natural order (equal keys by their text),
    then the entries without a board in their given order."""
    with_board = sorted((i for i, b in enumerate(boards) if b), key=lambda i: (board_key(boards[i] or ""), boards[i] or "", i))
    return with_board + [i for i, b in enumerate(boards) if not b]


def clean_board(text: str | None) -> str | None:
    """A board id as written, trimmed ("#A12" -> "A12"); None for nothing."""
    if text is None:
        return None
    value = " ".join(str(text).split())[:40].lstrip("#").strip()
    return value or None


def board_in(text: str) -> tuple[str | None, str]:
    """A labelled board number in ``text`` (a LOCATION such as "Hall E #123" or "Exhibit Hall,
    Poster 42") and the text without it ("Hall E"); (None, text) when there is none."""
    head = text[:MAX_TEXT]
    m = _LABELLED.search(head)
    if not m:
        return None, text
    rest = (head[: m.start()] + head[m.end():]).strip(" ,;-–—")
    return m.group(1), " ".join(rest.split())


def leading_board(text: str) -> tuple[str | None, str]:
    """A board number that starts a line or title ("#12 Title", "[A12] Title", "Board 7: Title")
    and the rest; (None, text) when the line does not start with one. A bare number ("1. Title")
    is a list's numbering, not a board."""
    head = text[:MAX_TEXT]
    m = _BRACKETED.match(head) or _LEADING.match(head)
    if not m:
        return None, text
    return m.group(1), text[m.end():].strip()
