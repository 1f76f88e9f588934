"""Author lists as pages write them (`;`, `·`, `,`, `and`), and names that a page doubled.

Every function here must accept any string without raising, and run in (near) linear time:
sources are scraped pages and their text is hostile by accident.
"""

from __future__ import annotations

import re

from .whitespace import clean_ws

_STRONG_SEP = re.compile(r"[;\u00b7\u2022\u2219\u22c5]")
_AND_SEP = re.compile(r"\s+and\s+|\s*&\s*")


def split_authors(text: str) -> list[str]:
    """Split an author string on `;`, ` · `, `,` or ` and ` (whichever the string uses)."""
    text = clean_ws(text)
    if _STRONG_SEP.search(text):
        # A list that uses `;` or `·` may keep commas inside names ("Smith, Jr.").
        parts = _STRONG_SEP.split(text)
    else:
        parts = [p for chunk in text.split(",") for p in _AND_SEP.split(chunk)]
        # "A, B, and C": the Oxford comma leaves "and C" behind.
        parts = [re.sub(r"^(?:and|&)\s+", "", p.strip()) for p in parts]
    # A piece with no letter or digit is separator debris (" ; , "), never a name.
    return [name for name in (clean_ws(p) for p in parts) if any(c.isalnum() for c in name)]


def repair_doubled_name(name: str) -> tuple[str, bool]:
    """"Kumar Pratik Kumar Pratik" -> ("Kumar Pratik", True); "Yu Yu", "Li Li" stay (False)."""
    tokens = name.split()
    folded, half = [t.casefold() for t in tokens], len(tokens) // 2
    # Two tokens repeated ("Yu Yu", "Wei Wei") are real names; only longer repeats are page bugs.
    if half >= 2 and len(tokens) % 2 == 0 and folded[:half] == folded[half:]:
        return " ".join(tokens[:half]), True
    return name, False
