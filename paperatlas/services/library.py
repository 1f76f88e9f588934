"""A person's library over the catalog: stars, tags, notes, reading lists, and their exports.

The CLI (``paperatlas star/tag/note/list/library``) and the web UI call these functions; the SQL
lives in ``catalog/library.py``. Each change is one transaction. Bad input (an empty tag, a list
name already taken) raises ``LibraryError`` with a hint; unknown papers or lists ``NotFound``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import IO, Any

from . import export
from .catalog import Catalog
from .catalog import library as sql
from .errors import NotFound, PaperatlasError
from .models import Paper

TAG_MAX = 64
LIST_NAME_MAX = 120
NOTE_MAX = 100_000


class LibraryError(PaperatlasError):
    """A library change that cannot be made as asked (empty tag, list name taken, note too long)."""


@dataclass
class PaperState:
    """What the library says about one paper."""

    paper_id: str
    starred: bool = False
    tags: list[str] = field(default_factory=list)
    note: str = ""
    lists: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ReadingList:
    id: int
    name: str
    created_at: str
    paper_ids: list[str] = field(default_factory=list)


@dataclass
class Note:
    paper_id: str
    body: str
    updated_at: str


@dataclass
class Library:
    """Everything in the library, with the papers it names (fetched in one call)."""

    starred: list[str]
    tags: list[tuple[str, int]]
    tagged: dict[str, list[str]]
    notes: list[Note]
    lists: list[ReadingList]
    papers: dict[str, Paper]


# -- input ------------------------------------------------------------------------------------
def clean_tag(tag: str) -> str:
    """Tags are trimmed, inner whitespace collapsed, lower-cased, at most 64 characters."""
    tag = " ".join(tag.split()).lower()
    if not tag:
        raise LibraryError("the tag is empty", hint="give a word or short phrase, e.g. 'to-read'")
    if len(tag) > TAG_MAX:
        raise LibraryError(f"the tag is longer than {TAG_MAX} characters", hint="use a shorter tag")
    return tag


def clean_list_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise LibraryError("the list name is empty", hint="name the list, e.g. 'ICLR 2023 posters'")
    if len(name) > LIST_NAME_MAX:
        raise LibraryError(f"the list name is longer than {LIST_NAME_MAX} characters", hint="shorten it")
    return name


# -- changes ----------------------------------------------------------------------------------
def star(catalog: Catalog, paper_id: str) -> PaperState:
    sql.star(catalog.db, paper_id)
    return state(catalog, paper_id)


def unstar(catalog: Catalog, paper_id: str) -> PaperState:
    sql.unstar(catalog.db, paper_id)
    return state(catalog, paper_id)


def add_tag(catalog: Catalog, paper_id: str, tag: str) -> PaperState:
    sql.add_tag(catalog.db, paper_id, clean_tag(tag))
    return state(catalog, paper_id)


def remove_tag(catalog: Catalog, paper_id: str, tag: str) -> PaperState:
    sql.remove_tag(catalog.db, paper_id, clean_tag(tag))
    return state(catalog, paper_id)


def set_note(catalog: Catalog, paper_id: str, body: str) -> PaperState:
    """Write the paper's note; an empty (or blank) body deletes it."""
    if len(body) > NOTE_MAX:
        raise LibraryError(f"the note is longer than {NOTE_MAX:,} characters", hint="split it or link a file")
    if body.strip():
        sql.set_note(catalog.db, paper_id, body)
    else:
        sql.delete_note(catalog.db, paper_id)
    return state(catalog, paper_id)


def create_list(catalog: Catalog, name: str) -> ReadingList:
    name = clean_list_name(name)
    list_id = sql.create_list(catalog.db, name)
    if list_id is None:
        raise LibraryError(f"a list named {name!r} exists", hint="pick another name, or add papers to that list")
    return get_list(catalog, list_id)


def rename_list(catalog: Catalog, list_id: int, name: str) -> ReadingList:
    name = clean_list_name(name)
    if not sql.rename_list(catalog.db, list_id, name):
        raise LibraryError(f"another list is named {name!r}", hint="pick another name")
    return get_list(catalog, list_id)


def delete_list(catalog: Catalog, list_id: int) -> None:
    sql.delete_list(catalog.db, list_id)


def add_to_list(catalog: Catalog, list_id: int, paper_id: str) -> ReadingList:
    sql.add_to_list(catalog.db, list_id, paper_id)
    return get_list(catalog, list_id)


def remove_from_list(catalog: Catalog, list_id: int, paper_id: str) -> ReadingList:
    sql.remove_from_list(catalog.db, list_id, paper_id)
    return get_list(catalog, list_id)


# -- reading ----------------------------------------------------------------------------------
def state(catalog: Catalog, paper_id: str) -> PaperState:
    return states(catalog, [paper_id])[paper_id]


def states(catalog: Catalog, paper_ids: list[str]) -> dict[str, PaperState]:
    """The library state of many papers in four queries (for a page of search results)."""
    return {pid: PaperState(pid, **values) for pid, values in sql.states(catalog.db, paper_ids).items()}


def get_list(catalog: Catalog, list_id: int) -> ReadingList:
    for lst in reading_lists(catalog):
        if lst.id == list_id:
            return lst
    raise NotFound(f"no reading list with id {list_id}", hint="`paperatlas list show` lists them")


def find_list(catalog: Catalog, name: str) -> ReadingList:
    """A list by name (as typed on the command line)."""
    list_id = sql.list_id_by_name(catalog.db, clean_list_name(name))
    if list_id is None:
        raise NotFound(f"no reading list named {name!r}", hint="`paperatlas list show` lists them")
    return get_list(catalog, list_id)


def reading_lists(catalog: Catalog) -> list[ReadingList]:
    items = sql.all_list_items(catalog.db)
    return [ReadingList(i, name, created, items.get(i, [])) for i, name, created in sql.lists(catalog.db)]


def library(catalog: Catalog) -> Library:
    """Stars, tags, notes and lists, with every paper they name."""
    starred = sql.starred_ids(catalog.db)
    tags = sql.tag_counts(catalog.db)
    tagged = {tag: sql.tagged_ids(catalog.db, tag) for tag, _ in tags}
    notes = [Note(*row) for row in sql.notes(catalog.db)]
    lists = reading_lists(catalog)
    ids = [*starred, *(p for ids in tagged.values() for p in ids), *(n.paper_id for n in notes),
           *(p for lst in lists for p in lst.paper_ids)]
    return Library(starred, tags, tagged, notes, lists, catalog.papers_by_ids(list(dict.fromkeys(ids))))


def selection(
    catalog: Catalog, *, starred: bool = False, tag: str | None = None, list_id: int | None = None
) -> list[Paper]:
    """The papers of one part of the library (starred, one tag, or one list), in library order."""
    if tag is not None:
        ids = sql.tagged_ids(catalog.db, clean_tag(tag))
    elif list_id is not None:
        ids = get_list(catalog, list_id).paper_ids
    elif starred:
        ids = sql.starred_ids(catalog.db)
    else:
        raise LibraryError("nothing selected to export", hint="choose the starred papers, a tag or a list")
    papers = catalog.papers_by_ids(ids)
    return [papers[i] for i in ids if i in papers]


def export_selection(catalog: Catalog, fp: IO[str], format: str, **which: Any) -> int:
    """Write a selection (see ``selection``) in any ``export.FORMATS`` format; returns the count."""
    papers = selection(catalog, **which)
    if format == "markdown":
        return export.write_markdown(papers, fp, heading=selection_title(catalog, **which))
    return export.write(papers, fp, format)


def selection_title(
    catalog: Catalog, *, starred: bool = False, tag: str | None = None, list_id: int | None = None
) -> str:
    if tag is not None:
        return f"Papers tagged {clean_tag(tag)}"
    if list_id is not None:
        return get_list(catalog, list_id).name
    return "Starred papers"
