"""The command line, as a user runs it (CliRunner, real catalog files)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import CatalogMaker

from paperatlas import Atlas, Filters, Settings
from paperatlas.cli import cli
from paperatlas.services.ingest import ingest_paths


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_ingest_reports_each_file(catalog_location: str | Path, tmp_path: Path, seed_paths: list[Path]) -> None:
    db = str(catalog_location)
    code, output = run("ingest", "--db", db, *map(str, seed_paths))
    assert code == 0, output
    assert "25 of 693 present: the copy is truncated" in output
    assert "[paperscool · ICLR 2023" in output
    assert "705 papers" in output


def test_ingest_json_report(catalog_location: str | Path, tmp_path: Path, seed_paths: list[Path]) -> None:
    code, output = run("ingest", "--db", str(catalog_location), "--json", *map(str, seed_paths))
    data = json.loads(output)
    assert code == 0
    assert [f["format"] for f in data["files"]] == ["abstracts", "iclr_virtual", "hf_viewer", "paperscool", "hf_papers"]
    assert sum(f["found"] for f in data["files"]) == 713
    assert data["papers_in_catalog"] == 705
    assert data["files"][0]["completeness"] == "25 of 693 present: the copy is truncated"


def test_default_catalog_lives_under_paperatlas_home(_home: Path, seed_paths: list[Path]) -> None:
    code, _ = run("ingest", str(seed_paths[3]))
    assert code == 0
    assert (_home / "catalog.sqlite").exists()


def test_papers_show_stats(catalog_location: str | Path, tmp_path: Path, seed_paths: list[Path]) -> None:
    db = str(catalog_location)
    run("ingest", "--db", db, *map(str, seed_paths))
    code, output = run("papers", "--db", db, "--venue", "ICLR", "--year", "2023", "--json", "--limit", "0")
    listing = json.loads(output)
    assert code == 0 and listing["total"] == len(listing["papers"]) >= 25
    code, output = run("papers", "--db", db, "--session", "poster session 6", "--author", "Zettlemoyer")
    assert "Binding Language Models in Symbolic Languages" in output
    # `papers --text` is gone: the paper is found by a phrase search (and by its author, in any order)
    found = json.loads(run("search", "--db", db, "--mode", "keyword", "--json", '"encoding recurrence into"')[1])
    assert [h["title"] for h in found["hits"]] == ["Encoding Recurrence into Transformers"]
    pid = found["hits"][0]["id"]
    by_author = json.loads(run("papers", "--db", db, "--author", "Huang Feiqing", "--json")[1])
    assert [p["id"] for p in by_author["papers"]] == [pid]
    code, output = run("show", "--db", db, pid, "--sources")
    assert code == 0
    assert "003_3626c9e8004709cb.txt (paperscool) record" in output
    assert "001_3995438c63dfe527.txt (iclr_virtual) record" in output
    shown = json.loads(run("show", "--db", db, pid, "--json")[1])
    assert len(shown["records"]) == 2 and shown["field_sources"]["session"]["format"] == "iclr_virtual"
    code, output = run("stats", "--db", db)
    assert "705 papers from 713 records in 5 files" in output
    assert json.loads(run("stats", "--db", db, "--json")[1])["multi_source_papers"] == 8


def test_show_unknown_id_is_a_clear_error(catalog_location: str | Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["show", "--db", str(catalog_location), "zzz"])
    assert result.exit_code == 1
    assert "no paper with id 'zzz'" in result.output and "hint:" in result.output


def test_export_jsonl_round_trips(catalog_location: str | Path, tmp_path: Path, settings: Settings,
                                  seed_paths: list[Path], new_catalogs: CatalogMaker) -> None:
    db = str(catalog_location)
    run("ingest", "--db", db, *map(str, seed_paths))
    out = tmp_path / "all.jsonl"
    assert run("export", "--db", db, "--format", "jsonl", "-o", str(out))[0] == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 705
    assert all(row["sources"] for row in rows)
    with Atlas.open(new_catalogs.new(tmp_path), settings) as again:
        [report] = ingest_paths(again, [out])
        assert report.format == "records" and report.error is None
        assert again.store.papers.count(Filters()) == 705
        titles = sorted(p.title for p in again.store.papers.iter(Filters()))
    assert titles == sorted(row["title"] for row in rows)


def test_export_csv_and_bibtex(catalog_location: str | Path, tmp_path: Path, seed_paths: list[Path]) -> None:
    db = str(catalog_location)
    run("ingest", "--db", db, "--venue", "ICLR", "--year", "2023", str(seed_paths[1]))
    code, output = run("export", "--db", db, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(output)))
    assert code == 0 and len(rows) == 145
    assert rows[0]["session"] == "Poster Session 6"
    code, output = run("export", "--db", db, "--format", "bibtex")
    assert output.count("@inproceedings{") == 145
    assert output.count("{") == output.count("}")


def test_formats_lists_the_seed_formats() -> None:
    code, output = run("formats")
    for name in ("paperscool", "iclr_virtual", "hf_viewer", "hf_papers", "abstracts", "paperlists", "records"):
        assert name in output


def test_search_json_with_a_lone_surrogate_in_the_query(catalog_location: str | Path, tmp_path: Path,
                                                        settings: Settings, seed_paths: list[Path]) -> None:
    # "\udd3e" is a valid JSON escape but not UTF-8: found by bench/query_robustness.py
    db = catalog_location
    with Atlas.open(db, settings) as atlas:
        ingest_paths(atlas, seed_paths[:1])
    code, output = run("search", "--db", str(db), "--mode", "keyword", "--json", "graph \udd3e learning")
    assert code == 0
    assert json.loads(output)["query"] == "graph \udd3e learning"
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"qid": 1, "query": "graph \\udd3e"}\n')
    code, output = run("search", "--db", str(db), "--mode", "keyword", "--batch", str(batch))
    assert code == 0 and json.loads(output)["qid"] == 1


def _commands(cmd: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``cmd`` (groups too), with the words that invoke it."""
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name, sub in sorted(cmd.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = [(" ".join(path), cmd) for path, cmd in _commands(cli) if path]


def _runs_itself(cmd: click.Command) -> bool:
    """A command that does something when run (not a group that only names its subcommands)."""
    return not isinstance(cmd, click.Group) or cmd.invoke_without_command


def test_the_walk_finds_the_commands() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"ingest", "papers", "search", "serve", "library", "library export", "list create", "list show"} <= names


@pytest.mark.parametrize("name,cmd", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_has_help_and_json(name: str, cmd: click.Command) -> None:
    assert (cmd.help or "").strip(), f"{name} has no help text"
    result = CliRunner().invoke(cli, [*name.split(), "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (cmd.help or "").split()[0] in result.output
    if _runs_itself(cmd):
        assert "--json" in result.output, f"{name} has no --json"


def test_library_starred_as_bibtex(catalog_location: str | Path, tmp_path: Path, seed_paths: list[Path]) -> None:
    """The README's `paperatlas library --starred --format bibtex`."""
    db = str(catalog_location)
    assert run("ingest", "--db", db, "--venue", "ICLR", "--year", "2023", str(seed_paths[1]))[0] == 0
    listing = json.loads(run("papers", "--db", db, "--json", "--limit", "3")[1])["papers"]
    starred, other = listing[:2], listing[2]
    assert run("star", "--db", db, starred[0]["id"], starred[1]["id"])[0] == 0
    code, output = run("library", "--db", db, "--starred", "--format", "bibtex")
    assert code == 0, output
    assert output.count("@inproceedings{") == 2
    assert output.count("{") == output.count("}")
    for paper in starred:
        assert paper["title"] in output
    assert other["title"] not in output


def test_ingest_of_the_same_file_from_another_path_is_unchanged(catalog_location: str | Path, tmp_path: Path,
                                                                seed_paths: list[Path]) -> None:
    db = str(catalog_location)
    original = seed_paths[1]
    copy = tmp_path / "copy.txt"
    shutil.copy(original, copy)
    assert run("ingest", "--db", db, str(original))[0] == 0
    code, output = run("ingest", "--db", db, str(copy))
    assert code == 0, output
    [line] = [line for line in output.splitlines() if str(copy) in line]
    assert "145 records, 0 new, 0 merged, 145 unchanged" in line
    assert f"the same content as {original.resolve()}, read before: nothing changed" in output
    assert "145 papers" in output
    code, output = run("ingest", "--db", db, "--json", str(copy))
    [report] = json.loads(output)["files"]
    assert (report["found"], report["new"], report["unchanged"]) == (145, 0, 145)
    assert report["same_as"] == str(original.resolve())
    shown = json.loads(run("papers", "--db", db, "--json", "--limit", "1")[1])["papers"][0]
    assert [s["file"] for s in shown["sources"]] == [original.name]
