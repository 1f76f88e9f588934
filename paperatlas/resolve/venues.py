"""Venue names as one key whatever the listing wrote: "VLDB", "Very Large Data Bases" and
"Proc. VLDB Endow." are one venue; "SIGMOD Record" is not the SIGMOD conference.

A small curated table of machine-learning, vision, language, data-management, IR, web and
robotics venues: each canonical key with the letter-only forms that name it (long names,
abbreviations as DBLP and publishers write them). Lookup folds a name to its letters (so case,
spacing, punctuation, years and "&mdash;" do not matter) and takes the first entry one of whose
forms the name equals or (for forms of 8 letters and more) contains; more specific forms come
first ("vldbjournal" before "verylargedatabases"). A name in no entry keeps its own letters.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# (canonical key, forms as letters only). Order matters: the first entry whose form matches wins.
VENUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vldbj", ("vldbj", "vldbjournal", "internationaljournalonverylargedatabases")),
    ("pvldb", ("pvldb", "procvldbendow", "proceedingsofthevldbendowment", "vldbendowment")),
    ("vldb", ("vldb", "verylargedatabases", "internationalconferenceonverylargedatabases")),
    ("sigmodrecord", ("sigmodrecord", "acmsigmodrecord", "sigmodrec")),
    ("sigmod", ("sigmod", "sigmodconference", "managementofdata", "acmsigmod", "pacmmod")),
    ("tods", ("tods", "acmtransdatabasesyst", "acmtransactionsondatabasesystems", "transactionsondatabasesystems")),
    ("pods", ("pods", "principlesofdatabasesystems")),
    ("icde", ("icde", "internationalconferenceondataengineering", "dataengineering")),
    ("tkde", ("tkde", "ieeetransknowldataeng", "transactionsonknowledgeanddataengineering")),
    ("edbt", ("edbt", "extendingdatabasetechnology")),
    ("cidr", ("cidr", "innovativedatasystemsresearch")),
    ("neurips", ("neurips", "nips", "nipscc", "neuripscc", "neuralinformationprocessingsystems",
                 "advancesinneuralinformationprocessingsystems")),
    ("icml", ("icml", "internationalconferenceonmachinelearning")),
    ("iclr", ("iclr", "iclrcc", "internationalconferenceonlearningrepresentations", "learningrepresentations")),
    ("jmlr", ("jmlr", "journalofmachinelearningresearch", "jmachlearnres")),
    ("tmlr", ("tmlr", "transactionsonmachinelearningresearch")),
    ("aistats", ("aistats", "artificialintelligenceandstatistics")),
    ("uai", ("uai", "uncertaintyinartificialintelligence")),
    ("colt", ("colt", "conferenceonlearningtheory", "computationallearningtheory")),
    ("aaai", ("aaai", "aaaiconferenceonartificialintelligence")),
    ("ijcai", ("ijcai", "internationaljointconferenceonartificialintelligence")),
    ("tpami", ("tpami", "ieeetranspatternanalmachintell", "patternanalysisandmachineintelligence")),
    ("ijcv", ("ijcv", "internationaljournalofcomputervision", "intjcomputvis")),
    ("cvpr", ("cvpr", "computervisionandpatternrecognition")),
    ("iccv", ("iccv", "internationalconferenceoncomputervision")),
    ("eccv", ("eccv", "europeanconferenceoncomputervision")),
    ("wacv", ("wacv", "winterconferenceonapplicationsofcomputervision")),
    ("bmvc", ("bmvc", "britishmachinevisionconference")),
    ("naacl", ("naacl", "naaclhlt", "northamericanchapteroftheassociationforcomputationallinguistics")),
    ("eacl", ("eacl", "europeanchapteroftheassociationforcomputationallinguistics")),
    ("tacl", ("tacl", "transactionsoftheassociationforcomputationallinguistics")),
    ("findings", ("findingsoftheassociationforcomputationallinguistics", "findings")),
    ("emnlp", ("emnlp", "empiricalmethodsinnaturallanguageprocessing")),
    ("coling", ("coling", "internationalconferenceoncomputationallinguistics")),
    ("acl", ("acl", "annualmeetingoftheassociationforcomputationallinguistics", "associationforcomputationallinguistics")),
    ("colm", ("colm", "conferenceonlanguagemodeling")),
    ("kdd", ("kdd", "sigkdd", "knowledgediscoveryanddatamining")),
    ("www", ("www", "thewebconference", "worldwideweb", "webconference")),
    ("sigir", ("sigir", "researchanddevelopmentininformationretrieval")),
    ("cikm", ("cikm", "informationandknowledgemanagement")),
    ("wsdm", ("wsdm", "websearchanddatamining")),
    ("recsys", ("recsys", "recommendersystems")),
    ("corl", ("corl", "conferenceonrobotlearning")),
    ("icra", ("icra", "internationalconferenceonroboticsandautomation")),
    ("iros", ("iros", "intelligentrobotsandsystems")),
    ("rss", ("rss", "roboticsscienceandsystems")),
    ("arxiv", ("arxiv", "corr", "arxivpreprint")),
)
MIN_CONTAINED = 8  # shorter forms must equal the name: "acl" is inside too many words


def letters(name: str) -> str:
    """A venue name's letters, folded ("The VLDB Journal &mdash; …" -> "thevldbjournal…")."""
    text = unicodedata.normalize("NFKD", html.unescape(name or ""))
    return "".join(c for c in text.casefold() if c.isalpha() and not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def canonical(name: str) -> tuple[str, bool]:
    """(the venue's key, whether the table knows it)."""
    key = letters(name)
    key = re.sub(r"^(the|proceedingsofthe|proceedingsof|proc)+", "", key)
    if key.endswith("cc") and len(key) > 4:  # "ICLR.cc"
        key = key[:-2]
    for canon, forms in VENUES:
        for form in forms:
            if key == form or (len(form) >= MIN_CONTAINED and form in key):
                return canon, True
    return key, False


def acronym_of(short: str, long: str) -> bool:
    """Is ``short`` the initials of ``long``'s words ("VLDB", "Very Large Data Bases")?"""
    words = [w for w in re.findall(r"[A-Za-z]+", html.unescape(long)) if w.lower() not in {"of", "on", "the", "and", "for", "in"}]
    initials = "".join(w[0] for w in words).lower()
    return len(short) >= 3 and short.isalpha() and short.lower() == initials
