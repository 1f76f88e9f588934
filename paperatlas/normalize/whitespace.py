"""Whitespace as scraped pages write it: NBSP, thin spaces and zero-width characters are
spacing too. Every other normalize module cleans text through ``clean_ws``.

Every function here must accept any string without raising, and run in (near) linear time:
sources are scraped pages and their text is hostile by accident.
"""

from __future__ import annotations

import re

# Zero-width characters are not str.isspace(), but scraped pages use them as spacing.
_WS = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")


def clean_ws(text: str) -> str:
    """Collapse runs of whitespace (incl. NBSP, zero-width) to one space; strip the ends."""
    if text.isascii() or not any(z in text for z in _ZERO_WIDTH):
        return " ".join(text.split())  # str.split() knows every Unicode space but zero-width ones
    return _WS.sub(" ", text).strip()
