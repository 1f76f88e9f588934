"""Registers the built-in parsers through the same ``register`` door third parties use."""

from __future__ import annotations

import importlib

from .registry import register

BUILTIN_MODULES = (
    "paperscool",
    "iclr_virtual",
    "hf_viewer",
    "hf_papers",
    "abstracts",
    "paperlists",
    "records",
    "bibtex",
    "arxiv_atom",
    "openreview",
    # formats of the files researchers already have (each module: NAME, DESCRIPTION, sniff, parse)
    "ris",
    "csl_json",
    "dblp_xml",
    "s2_json",
    "hf_daily",
    "arxiv_kaggle",
    "miniconf",
    "markdown_list",
)

for _name in BUILTIN_MODULES:
    try:
        register(importlib.import_module(f"{__package__}.{_name}"))
    except ModuleNotFoundError as exc:  # a parser module not written yet
        if exc.name != f"{__package__}.{_name}":
            raise
