"""Bad files: one clear error naming the file (and line/record), exit 1, nothing of that file
stored, the other files of the same command still ingested, no traceback."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperatlas import Atlas, Filters, Settings
from paperatlas.cli import cli


def _good(tmp_path: Path) -> Path:
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps({"id": "g1", "title": "A Good Paper", "authors": ["A B"], "abstract": "Fine."}) + "\n")
    return path


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, text the error must contain)."""
    d = tmp_path / "bad"
    d.mkdir()
    files: dict[str, tuple[Path, str]] = {}

    def add(name: str, data: bytes, expect: str) -> None:
        (d / name).write_bytes(data)
        files[name] = (d / name, expect)

    add("empty.txt", b"", "empty")
    add("blank.txt", b"\n\n   \n", "empty")
    add("binary.bin", bytes(range(256)) * 64, "binary")
    add("unknown.txt", b"hello\nthis is just a shopping list\n", "no format")
    add("malformed.json", b'[{"title": "A", "authors": ["x"]},\n {"title": "B", ', "line 2")
    whole = gzip.compress(json.dumps([{"title": f"Paper {i}", "id": str(i * 7919)} for i in range(2000)]).encode())
    add("truncated.json.gz", whole[: len(whole) // 2], "gzip")
    add("notitle.jsonl", b'{"id": "1", "title": "Fine"}\n{"id": "2", "abstract": "no title here"}\n', "record 2")
    add("huge_line.txt", b"x" * (50 * 1024 * 1024), "no format")
    return files


def test_every_bad_file_fails_alone(catalog_location: str | Path, tmp_path: Path, settings: Settings) -> None:
    bad = _bad_files(tmp_path)
    good = _good(tmp_path)
    db = catalog_location
    paths = [str(p) for p, _ in bad.values()] + [str(good)]
    result = CliRunner().invoke(cli, ["ingest", "--db", str(db), *paths])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for name, (path, expect) in bad.items():
        lines = [line for line in result.output.splitlines() if str(path) in line]
        assert lines, f"no error line for {name}"
        assert any(expect in line for line in lines), (name, lines)
    assert result.output.count("hint:") >= len(bad)
    with Atlas.open(db, settings) as atlas:
        assert [p.title for p in atlas.store.papers.iter(Filters())] == ["A Good Paper"]
        assert [f["name"] for f in atlas.store.papers.files()] == ["good.jsonl"]


def test_json_report_carries_errors(catalog_location: str | Path, tmp_path: Path) -> None:
    bad = _bad_files(tmp_path)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(catalog_location), "--json", str(bad["malformed.json"][0])])
    report = json.loads(result.stdout)["files"][0]
    assert result.exit_code == 1
    assert "malformed.json" in report["error"] and "line 2" in report["error"]
    assert report["hint"]


def test_skip_bad_keeps_the_good_records(catalog_location: str | Path, tmp_path: Path, settings: Settings) -> None:
    bad = _bad_files(tmp_path)
    db = catalog_location
    result = CliRunner().invoke(cli, ["ingest", "--db", str(db), "--skip-bad", str(bad["notitle.jsonl"][0])])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
    with Atlas.open(db, settings) as atlas:
        assert [p.title for p in atlas.store.papers.iter(Filters())] == ["Fine"]


def test_missing_file_and_directory(catalog_location: str | Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ingest", "--db", str(catalog_location), str(tmp_path / "nope.txt"), str(tmp_path)])
    assert result.exit_code == 1
    assert "no such file" in result.output and "is a directory" in result.output


@pytest.mark.parametrize("fmt", ["nosuch"])
def test_unknown_forced_format_names_the_known_ones(catalog_location: str | Path, tmp_path: Path, fmt: str) -> None:
    good = _good(tmp_path)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(catalog_location), "--format", fmt, str(good)])
    assert result.exit_code == 1
    assert "unknown format 'nosuch'" in result.output and "paperscool" in result.output
