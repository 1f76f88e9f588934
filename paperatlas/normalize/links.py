"""Code links found in text: repository URLs on known code hosts, normalised to
https://host/owner/repo so that sources that link the same repository agree, and the
"code at an anonymised location" promise of papers under review.

Every function here must accept any string without raising, and run in (near) linear time:
sources are scraped pages and their text is hostile by accident.
"""

from __future__ import annotations

import re

_CODE_URL = re.compile(
    r"(?<![\w@.-])(?:https?://)?(?:www\.)?"
    r"(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|huggingface\.co|hf\.co"
    r"|sourceforge\.net)"
    r"(?![\w.-])(/[^\s<>\"'(){}\[\]\\|^`,;]*)?",
    re.IGNORECASE,
)
_SEGMENT = re.compile(r"[A-Za-z0-9_.-]+")
_TRAILING = ".:!?'\"…*"
# First path segments on huggingface.co that are site pages, not model repositories.
_HF_PAGES = {"papers", "docs", "blog", "learn", "collections", "posts", "join", "login",
             "pricing", "tasks", "organizations", "settings", "chat"}


def _segment(seg: str) -> str:
    m = _SEGMENT.match(seg)
    return m.group().rstrip(".") if m else ""


def _code_url(host: str, path: str) -> str | None:
    host = host.lower()
    segs = [s for s in re.split(r"[?#]", path, maxsplit=1)[0].rstrip(_TRAILING).split("/") if s]
    if not segs:
        return None
    if host in ("huggingface.co", "hf.co"):
        kind = segs[0].lower()
        if kind in _HF_PAGES or len(segs) < (3 if kind in ("datasets", "spaces", "models") else 2):
            return None
        return "https://huggingface.co/" + "/".join(segs).rstrip(_TRAILING)
    if host == "sourceforge.net":
        if len(segs) >= 2 and segs[0].lower() in ("projects", "p") and _segment(segs[1]):
            return f"https://sourceforge.net/projects/{_segment(segs[1])}"
        return None
    owner = _segment(segs[0])
    if not owner:
        return None
    repo = _segment(segs[1]) if len(segs) > 1 else ""
    if repo.lower().endswith(".git"):
        repo = repo[:-4]
    return f"https://{host}/{owner}/{repo}" if repo else f"https://{host}/{owner}"


_CODE_HOST_WORDS = ("github", "gitlab", "bitbucket", "codeberg", "huggingface", "hf.co", "sourceforge")


def extract_code_urls(text: str) -> list[str]:
    """Code repository URLs (github/gitlab/bitbucket/huggingface/codeberg...) found in text,
    normalised to https://host/owner/repo, in order, without duplicates."""
    found: dict[str, str] = {}  # hosts treat owner/repo case-insensitively
    lower = text.lower()
    if not any(host in lower for host in _CODE_HOST_WORDS):  # the common case, cheaply
        return []
    for m in _CODE_URL.finditer(text):
        url = _code_url(m.group(1), m.group(2) or "")
        if url and url.lower() not in found:
            found[url.lower()] = url
    return list(found.values())


_ANON = re.compile(
    r"anonymous\.4open\.science|https?://(?:www\.)?anonym|github\.com/anonym"
    r"|\banonym(?:ous|i[sz]ed)\s+(?:github|gitlab|repo|repository|link|url|code|page|site"
    r"|website)\b"
    r"|\b(?:code|codes|implementation|repository|repo|github|source)\b[^.!?]{0,120}?\banonym",
    re.IGNORECASE,
)


def is_code_anonymized(text: str) -> bool:
    """True when the text promises code at an anonymised location ("code available at anonymized")."""
    return "anonym" in text.lower() and _ANON.search(text) is not None
