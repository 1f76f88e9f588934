"""The text of a Markdown paper list's entries (``markdown_list`` reads the entries): where a paper
appeared ("ICLR 2023", "(NeurIPS'22)", "CVPR Workshop 2023", "Findings of EMNLP 2023"), the labels of
its links ("[code]", "[pdf]") and its author names. The patterns are bounded so hostile text stays linear."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ..normalize import split_authors

VENUES = (
    "ICLR", "NeurIPS", "NIPS", "ICML", "CVPR", "ICCV", "ECCV", "WACV", "BMVC", "ACCV", "ACL", "EMNLP", "NAACL",
    "EACL", "AACL", "COLING", "CoNLL", "TACL", "LREC", "COLM", "AAAI", "IJCAI", "KDD", "WWW", "TheWebConf", "WSDM",
    "SIGIR", "CIKM", "RecSys", "ICDE", "ICDM", "SDM", "VLDB", "SIGMOD", "UAI", "AISTATS", "COLT", "CoRL", "RSS",
    "ICRA", "IROS", "MICCAI", "ISBI", "ICASSP", "Interspeech", "MLSys", "OSDI", "SOSP", "NSDI", "EuroSys", "ASPLOS",
    "ISCA", "MICRO", "HPCA", "TMLR", "JMLR", "TPAMI", "PAMI", "IJCV", "TIP", "TNNLS", "TOG", "SIGGRAPH Asia",
    "SIGGRAPH", "ACM MM", "CHI", "UIST", "ICSE", "FSE", "PLDI", "ECML-PKDD", "ECML", "LoG", "3DV", "ICLR Blogpost",
    "Nature Machine Intelligence", "Nature Communications", "Nature", "Science", "PNAS", "arXiv", "bioRxiv",
)  # fmt: skip
CANONICAL = {v.casefold(): v for v in VENUES} | {"nips": "NeurIPS", "neurips": "NeurIPS", "arxiv": "arXiv",
                                                    "pami": "TPAMI", "thewebconf": "WWW"}
# Names of four letters or more match in any case ("Arxiv", "Neurips"); short ones only as written.
VENUE_ALT = "|".join(
    (f"(?i:{re.escape(v)})" if len(v) >= 4 else re.escape(v)).replace(r"\ ", r"\s") for v in VENUES
)
MODIFIER = r"(?:Workshops?|Findings|Oral|Spotlight|Poster|Main)"
VENUE_YEAR = re.compile(
    rf"(?<![\w/.@-])(?P<pre>(?i:findings\s+of\s+(?:the\s+)?))?(?P<venue>{VENUE_ALT})(?![\w-])"
    rf"(?:\s(?P<mod>(?i:{MODIFIER})))?"
    r"(?:[\s,]{0,3}(?P<y4>(?:19|20)\d\d)|\s?['’](?P<y2>\d\d))(?![\d])"
    rf"(?:[\s,]{{0,3}}\(?(?P<post>(?i:{MODIFIER}))\b)?"
)
VENUE_ONLY = re.compile(rf"^\W*(?P<venue>{VENUE_ALT})(?:\s(?P<mod>(?i:{MODIFIER})))?\W*$")
# A venue not in the list above: an acronym ("IJCNN 2025", "ACL-IJCNLP 2021", "IEEE COMPSAC 2025").
ACRONYM_YEAR = re.compile(
    r"(?<![\w/.@-])(?P<venue>(?:IEEE\s|ACM\s)?[A-Z][A-Za-z]{0,12}[A-Z][A-Za-z0-9]{0,12}(?:-[A-Z][A-Za-z0-9]{1,12})?)"
    r"\s?['’]?(?P<y4>(?:19|20)\d\d)(?![\d])"
)
YEAR = re.compile(r"(?<![\d.])(19[5-9]\d|20[0-4]\d)(?![\d])")
TRACKS = {"workshop": "Workshop", "workshops": "Workshop", "findings": "Findings", "oral": "Oral",
           "spotlight": "Spotlight", "poster": "Poster"}


@dataclass
class Where:
    venue: str | None = None
    year: int | None = None
    track: str | None = None


def venue_year(text: str) -> Where:
    """The first "VENUE YEAR" in ``text`` (a conference's before arXiv's), e.g. "ICLR 2023",
    "(NeurIPS'22)", "CVPR Workshop 2023", "Findings of EMNLP 2023"."""
    found = []
    for m in VENUE_YEAR.finditer(text[:20_000]):
        venue = CANONICAL.get(m.group("venue").casefold(), m.group("venue"))
        year = int(m.group("y4")) if m.group("y4") else 2000 + int(m.group("y2"))
        mod = (m.group("mod") or m.group("post") or ("findings" if m.group("pre") else "")).casefold()
        found.append(Where(venue, year, TRACKS.get(mod)))
        if venue != "arXiv":
            return found[-1]
    return found[0] if found else Where()


# -- labels of links ---------------------------------------------------------------------------------
LABELS = {
    "paper", "papers", "pdf", "arxiv", "openreview", "doi", "abs", "abstract", "preprint", "proceedings", "acl",
    "publication", "full paper", "link", "links", "url", "code", "codes", "github", "gitlab", "pytorch",
    "tensorflow", "jax", "implementation", "official code", "official", "repo", "repository", "source",
    "source code", "project", "project page", "website", "web", "webpage", "homepage", "home page", "page", "site",
    "demo", "video", "videos", "youtube", "slides", "slide", "poster", "blog", "post", "bibtex", "bib", "citation",
    "cite", "dataset", "data", "datasets", "model", "models", "checkpoint", "checkpoints", "weights", "colab",
    "notebook", "medium", "twitter", "tweet", "talk", "supp", "supplementary", "supplement", "zhihu", "leaderboard",
    "huggingface", "hugging face", "hf", "hf paper", "stars", "star", "docs", "documentation", "tutorial", "news",
    "benchmark", "api", "app", "media", "press", "reddit", "openreview link", "paper link", "code link", "details",
    "more", "here", "this", "kaggle", "hub", "space", "spaces", "results",
}  # fmt: skip
CODE_LABELS = {"code", "codes", "github", "gitlab", "pytorch", "tensorflow", "jax", "implementation", "official code",
                "official", "repo", "repository", "source", "source code", "code link"}
KIND_BY_LABEL = {
    "pdf": "pdf", "arxiv": "arxiv", "openreview": "forum", "doi": "doi", "project": "project", "project page": "project",
    "website": "project", "webpage": "project", "homepage": "project", "home page": "project", "page": "project",
    "site": "project", "demo": "demo", "video": "video", "youtube": "video", "slides": "slides", "slide": "slides",
    "poster": "poster", "blog": "blog", "post": "blog", "dataset": "data", "data": "data", "datasets": "data",
    "colab": "colab", "notebook": "colab", "supp": "supplementary", "supplementary": "supplementary",
    "huggingface": "huggingface", "hugging face": "huggingface", "hf": "huggingface", "hf paper": "huggingface",
}  # fmt: skip
PAPER_LABELS = {"paper", "papers", "pdf", "arxiv", "openreview", "doi", "abs", "abstract", "preprint", "proceedings",
                 "acl", "publication", "full paper", "paper link", "openreview link", "hf paper"}


# -- author names --------------------------------------------------------------------------------------
def clean(text: str) -> str:
    return " ".join(html.unescape(text).split())


NAME_MARKS = re.compile(r"[*†‡§¶#✉∗⋆]+|\(\s*[^()]{0,60}\)|\d+(?=\s*(?:,|$))")
ET_AL = re.compile(r"(?:,?\s*(?:et\s+al\.?|and\s+others|others|etc\.?))\s*$", re.I)
PARTICLES = {"al", "bin", "da", "das", "de", "del", "della", "der", "di", "do", "dos", "du", "el", "la", "le", "ten",
              "ter", "van", "von", "y", "zu", "and"}
PHRASE_WORDS = {"a", "an", "the", "of", "for", "in", "on", "with", "to", "via", "towards", "is", "are", "from", "by",
                 "at", "as", "into", "using", "based", "learning", "model", "models", "network", "networks", "new"}
NO_NAME = {"none", "n/a", "na", "unknown", "tbd", "todo", "-", "anonymous authors"}


def names(text: str, strict: bool) -> list[str]:
    """The author names in ``text`` when it reads as a list of names (else []). ``strict``
    (plain text, not italics) wants names of two or more capitalised words, and two names or "et al."."""
    text = clean(text).strip(" .,;:")
    if not text or len(text) > 3000 or "://" in text:
        return []
    text = re.sub(r"^(?i:authors?\s*:\s*|by\s+)", "", text)
    text, et_al = ET_AL.subn("", text)
    text = NAME_MARKS.sub(" ", text).strip(" .,;:")
    found = [n.strip(" .,;:") for n in split_authors(text)]
    found = [n for n in found if n]
    if not found or len(found) > 200 or any(n.casefold() in NO_NAME for n in found):
        return []
    for name in found:
        words = name.split()
        if not 1 <= len(words) <= (5 if strict else 8) or len(name) > 80 or any(ch.isdigit() for ch in name):
            return []
        if strict and (len(words) < 2 or not all(name_word(w) for w in words)):
            return []
    if strict and len(found) < 2 and not et_al:
        return []
    return found


def name_word(word: str) -> bool:
    """A word of a name as plain text writes it: capitalised, an initial or a particle; not a
    function word of a phrase ("A Challenging Benchmark") nor an acronym ("LLM")."""
    if word.casefold() in PARTICLES:
        return True
    if not word[0].isalpha() or word[0].islower() or word.casefold() in PHRASE_WORDS:
        return False
    return not (len(word) >= 3 and word.isupper())
