"""Clean forms of what sources say, for matching and display. The original text is never lost:
parsers keep it, these functions derive from it. Shared by every parser and by the catalog.

(Stub: signatures are the contract; implementations to be filled in.)
"""

from __future__ import annotations

from .models import Record


def clean_ws(text: str) -> str:
    """Collapse runs of whitespace (incl. NBSP, zero-width) to one space; strip the ends."""
    raise NotImplementedError


def latex_to_text(text: str) -> str:
    """Readable plain text for search from LaTeX-bearing text: ``$\\ell_1$`` -> ``ℓ1``,
    ``\\emph{x}`` -> ``x``, ``` ``x'' ``` -> ``"x"``, ``\\url{u}`` -> ``u``, accents, ``--``."""
    raise NotImplementedError


def title_key(title: str) -> str:
    """Matching key: latex_to_text, NFKD without accents, casefolded, only [a-z0-9] words joined by
    single spaces. "REVISITING PRUNING ..." and "Revisiting Pruning ..." give the same key."""
    raise NotImplementedError


def abstract_key(abstract: str) -> str:
    """Matching key for abstracts: like title_key over the first 60 words (pages truncate ends)."""
    raise NotImplementedError


def split_authors(text: str) -> list[str]:
    """Split an author string on `;`, ` · `, `,` or ` and ` (whichever the string uses)."""
    raise NotImplementedError


def repair_doubled_name(name: str) -> tuple[str, bool]:
    """"Kumar Pratik Kumar Pratik" -> ("Kumar Pratik", True); "Yu Yu", "Li Li" stay (False)."""
    raise NotImplementedError


def extract_code_urls(text: str) -> list[str]:
    """Code repository URLs (github/gitlab/bitbucket/huggingface/codeberg...) found in text,
    normalised to https://host/owner/repo, in order, without duplicates."""
    raise NotImplementedError


def is_code_anonymized(text: str) -> bool:
    """True when the text promises code at an anonymised location ("code available at anonymized")."""
    raise NotImplementedError


def extract_ids(*texts: str) -> dict[str, str]:
    """Strong ids found in URLs/text: ``openreview`` forum id, ``arxiv`` id (version stripped),
    ``doi`` (lower-cased)."""
    raise NotImplementedError


def clean_record(rec: Record) -> Record:
    """Normalise a parsed record in place and return it: whitespace in every text field, authors
    cleaned and doubled names repaired (with a warning on the record), code URLs and ids extracted
    from links/abstract, "code-anonymized" flag. Keeps LaTeX in title/abstract (display renders it)."""
    raise NotImplementedError
