"""A person's library over the catalog: stars, tags, notes, reading lists, and their exports.

The CLI (``paperatlas star/tag/note/list/library``) and the web UI call these functions; the
storage is the store's ``library``. Each change is one transaction. Bad input (an empty tag, a list
name already taken) raises ``LibraryError`` with a hint; unknown papers or lists ``NotFound``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import IO, TYPE_CHECKING, Any

from .. import export
from ..errors import LibraryError, NotFound
from ..models import Paper
from .tldrs import export_fields

if TYPE_CHECKING:
    from ..app import Atlas

TAG_MAX = 64
LIST_NAME_MAX = 120
NOTE_MAX = 100_000


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
def star(atlas: Atlas, paper_id: str) -> PaperState:
    atlas.library.star(paper_id)
    return state(atlas, paper_id)


def unstar(atlas: Atlas, paper_id: str) -> PaperState:
    atlas.library.unstar(paper_id)
    return state(atlas, paper_id)


def add_tag(atlas: Atlas, paper_id: str, tag: str) -> PaperState:
    atlas.library.add_tag(paper_id, clean_tag(tag))
    return state(atlas, paper_id)


def remove_tag(atlas: Atlas, paper_id: str, tag: str) -> PaperState:
    atlas.library.remove_tag(paper_id, clean_tag(tag))
    return state(atlas, paper_id)


def set_note(atlas: Atlas, paper_id: str, body: str) -> PaperState:
    """Write the paper's note; an empty (or blank) body deletes it."""
    if len(body) > NOTE_MAX:
        raise LibraryError(f"the note is longer than {NOTE_MAX:,} characters", hint="split it or link a file")
    if body.strip():
        atlas.library.set_note(paper_id, body)
    else:
        atlas.library.delete_note(paper_id)
    return state(atlas, paper_id)


def rename_list(atlas: Atlas, list_id: int, name: str) -> ReadingList:
    name = clean_list_name(name)
    if not atlas.library.rename_list(list_id, name):
        raise LibraryError(f"another list is named {name!r}", hint="pick another name")
    return get_list(atlas, list_id)


def delete_list(atlas: Atlas, list_id: int) -> None:
    atlas.library.delete_list(list_id)


def add_to_list(atlas: Atlas, list_id: int, paper_id: str) -> ReadingList:
    atlas.library.add_to_list(list_id, paper_id)
    return get_list(atlas, list_id)


def remove_from_list(atlas: Atlas, list_id: int, paper_id: str) -> ReadingList:
    atlas.library.remove_from_list(list_id, paper_id)
    return get_list(atlas, list_id)


def set_stars(atlas: Atlas, paper_ids: list[str], starred: bool = True) -> list[PaperState]:
    """Star (or unstar) papers; every id is checked first, so a typo changes nothing."""
    _require(atlas, paper_ids)
    return [(star if starred else unstar)(atlas, pid) for pid in paper_ids]


def set_tags(atlas: Atlas, paper_id: str, tags: list[str], present: bool = True) -> PaperState:
    """Add (or remove) tags of one paper; every tag is checked first."""
    cleaned = [clean_tag(t) for t in tags]
    _require(atlas, [paper_id])
    for t in cleaned:
        (atlas.library.add_tag if present else atlas.library.remove_tag)(paper_id, t)
    return state(atlas, paper_id)


def create_list(atlas: Atlas, name: str, paper_ids: list[str] | None = None) -> ReadingList:
    """A new list, holding ``paper_ids`` (checked before anything is created)."""
    name = clean_list_name(name)
    _require(atlas, paper_ids or [])
    list_id = atlas.library.create_list(name)
    if list_id is None:
        raise LibraryError(f"a list named {name!r} exists", hint="pick another name, or add papers to that list")
    for pid in paper_ids or []:
        atlas.library.add_to_list(list_id, pid)
    return get_list(atlas, list_id)


def change_list(atlas: Atlas, name: str, paper_ids: list[str], present: bool = True) -> ReadingList:
    """Add (or remove) papers of the list called ``name``."""
    lst = find_list(atlas, name)
    if present:
        _require(atlas, paper_ids)
    for pid in paper_ids:
        (atlas.library.add_to_list if present else atlas.library.remove_from_list)(lst.id, pid)
    return get_list(atlas, lst.id)


def list_dict(lst: ReadingList) -> dict[str, Any]:
    return asdict(lst)


def papers_of(atlas: Atlas, lst: ReadingList) -> dict[str, Paper]:
    return atlas.store.papers.by_ids(lst.paper_ids)


def _require(atlas: Atlas, paper_ids: list[str]) -> None:
    for pid in paper_ids:
        if not atlas.store.papers.exists(pid):
            raise NotFound(f"no paper with id {pid!r}", hint="`paperatlas papers` or `paperatlas search` lists the ids")


# -- reading ----------------------------------------------------------------------------------
def state(atlas: Atlas, paper_id: str, check: bool = False) -> PaperState:
    """What the library says about a paper (``check``: NotFound for an unknown id)."""
    if check:
        _require(atlas, [paper_id])
    return states(atlas, [paper_id])[paper_id]


def states(atlas: Atlas, paper_ids: list[str]) -> dict[str, PaperState]:
    """The library state of many papers in four queries (for a page of search results)."""
    return {pid: PaperState(pid, **values) for pid, values in atlas.library.states(paper_ids).items()}


def get_list(atlas: Atlas, list_id: int) -> ReadingList:
    for lst in reading_lists(atlas):
        if lst.id == list_id:
            return lst
    raise NotFound(f"no reading list with id {list_id}", hint="`paperatlas list show` lists them")


def find_list(atlas: Atlas, name: str) -> ReadingList:
    """A list by name (as typed on the command line)."""
    list_id = atlas.library.list_id_by_name(clean_list_name(name))
    if list_id is None:
        raise NotFound(f"no reading list named {name!r}", hint="`paperatlas list show` lists them")
    return get_list(atlas, list_id)


def reading_lists(atlas: Atlas) -> list[ReadingList]:
    items = atlas.library.all_list_items()
    return [ReadingList(i, name, created, [pid for pid, _ in items.get(i, [])])
            for i, name, created in atlas.library.lists()]


def library(atlas: Atlas) -> Library:
    """Stars, tags, notes and lists, with every paper they name."""
    starred = atlas.library.starred_ids()
    tags = atlas.library.tag_counts()
    tagged = {tag: atlas.library.tagged_ids(tag) for tag, _ in tags}
    notes = [Note(*row) for row in atlas.library.notes()]
    lists = reading_lists(atlas)
    ids = [*starred, *(p for ids in tagged.values() for p in ids), *(n.paper_id for n in notes),
           *(p for lst in lists for p in lst.paper_ids)]
    return Library(starred, tags, tagged, notes, lists, atlas.store.papers.by_ids(list(dict.fromkeys(ids))))


def selection(
    atlas: Atlas, *, starred: bool = False, tag: str | None = None, list_id: int | None = None
) -> list[Paper]:
    """The papers of one part of the library (starred, one tag, or one list), in library order."""
    if tag is not None:
        ids = atlas.library.tagged_ids(clean_tag(tag))
    elif list_id is not None:
        ids = get_list(atlas, list_id).paper_ids
    elif starred:
        ids = atlas.library.starred_ids()
    else:
        raise LibraryError("nothing selected to export", hint="choose the starred papers, a tag or a list")
    papers = atlas.store.papers.by_ids(ids)
    return [papers[i] for i in ids if i in papers]


def export_selection(atlas: Atlas, fp: IO[str], format: str, **which: Any) -> int:
    """Write a selection (see ``selection``) in any ``export.FORMATS`` format; returns the count."""
    papers = selection(atlas, **which)
    if format == "markdown":
        return export.write_markdown(papers, fp, heading=selection_title(atlas, **which))
    return export.write(papers, fp, format, more=export_fields(atlas))


def selection_title(
    atlas: Atlas, *, starred: bool = False, tag: str | None = None, list_id: int | None = None
) -> str:
    if tag is not None:
        return f"Papers tagged {clean_tag(tag)}"
    if list_id is not None:
        return get_list(atlas, list_id).name
    return "Starred papers"


@dataclass
class PapersImport:
    """``library import FILE --list NAME``: the file's papers, now in the catalog and the library."""

    reports: list[Any]
    papers: list[str]
    list_name: str | None
    tag: str | None
    starred: bool


def import_papers(atlas: Atlas, paths: list[Any], *, list_name: str | None = None, tag: str | None = None,
                  star_them: bool = False) -> PapersImport:
    """Ingest files of papers (your own, a colleague's bibliography) and put every paper they
    hold in a reading list (created if missing), a tag, or the starred papers."""
    from .ingest import ingest_paths

    if not (list_name or tag or star_them):
        raise LibraryError("say where the papers go", hint="--list NAME, --tag NAME or --star")
    cleaned_tag = clean_tag(tag) if tag else None
    reports = ingest_paths(atlas, paths)
    papers = list(dict.fromkeys(pid for r in reports if r.ok for pid in r.paper_ids))
    if list_name:
        name = clean_list_name(list_name)
        list_id = atlas.library.list_id_by_name(name) or atlas.library.create_list(name)
        for pid in papers:
            atlas.library.add_to_list(int(list_id or 0), pid)
    for pid in papers if cleaned_tag else []:
        atlas.library.add_tag(pid, str(cleaned_tag))
    for pid in papers if star_them else []:
        atlas.library.star(pid)
    return PapersImport(reports, papers, list_name, cleaned_tag, star_them)
