"""Input limits hold for every file: decompressed size, special files, records per file, field
length, invalid Unicode; each error names the file, the limit and how to raise it."""

from __future__ import annotations

import gzip
import json
import os
import threading
from pathlib import Path

import pytest

from paperatlas import Atlas, Filters, Settings
from paperatlas.errors import ParseError
from paperatlas.ingest import Overrides, ParseJob, parse_job, read_source
from paperatlas.ingest.base import ParseContext, Source
from paperatlas.ingest.limits import Limits, gunzip
from paperatlas.services.ingest import ingest_paths


def jsonl(records: list[dict[str, object]]) -> bytes:
    return ("\n".join(json.dumps(r) for r in records) + "\n").encode()


def job(path: Path, limits: Limits, skip_bad: bool = False) -> ParseJob:
    return ParseJob(str(path), str(path), "f", "h", None, Overrides(), skip_bad, limits=limits)


def test_a_small_gzip_that_inflates_past_the_limit_stops_there() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024**2), 9)  # 64 KiB on disk, 64 MiB inflated
    assert len(bomb) < 100_000
    with pytest.raises(ParseError) as caught:
        gunzip("bomb.json.gz", bomb, 8 * 1024**2)
    text = str(caught.value)
    assert "bomb.json.gz: the file inflates to more than 8 MB (the limit is max_file_mb = 8)" in text
    assert "PAPERATLAS_MAX_FILE_MB" in text


def test_gzip_members_are_all_read_and_damage_is_named() -> None:
    both = gzip.compress(b'{"title": "A"}\n') + gzip.compress(b'{"title": "B"}\n')
    assert Source.from_bytes("two.jsonl.gz", both).data == b'{"title": "A"}\n{"title": "B"}\n'
    with pytest.raises(ParseError, match="truncated"):
        Source.from_bytes("cut.gz", both[:25])
    with pytest.raises(ParseError, match="damaged"):
        Source.from_bytes("bad.gz", both[:10] + b"\xff" * 30)


def test_devices_and_pipes_are_refused_without_reading_or_blocking(tmp_path: Path) -> None:
    for device in ("/dev/zero", "/dev/urandom"):
        with pytest.raises(ParseError, match="is not a regular file"):
            read_source(device)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome: list[str] = []

    def read() -> None:
        try:
            read_source(fifo)
        except ParseError as exc:
            outcome.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    assert outcome and "pipe: is not a regular file (a device, pipe or socket)" in outcome[0]
    assert "save the data to a file first" in outcome[0]


def test_a_file_larger_than_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    big.write_bytes(jsonl([{"title": f"paper {i}"} for i in range(40_000)]))  # about 1 MB
    report, info, items = parse_job(job(big, Limits(max_file_mb=0)))
    assert info is None and items == [] and report.error is not None
    assert "big.jsonl: the file is larger than 0 MB (the limit is max_file_mb = 0)" in report.error


def test_records_per_file_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_bytes(jsonl([{"title": f"Paper number {i}"} for i in range(11)]))
    report, info, _ = parse_job(job(path, Limits(max_records=10)))
    assert info is None and report.error is not None
    assert "holds more than 10 records (the limit is max_records_per_file = 10)" in report.error
    assert report.hint is not None and "PAPERATLAS_MAX_RECORDS_PER_FILE" in report.hint
    report, info, items = parse_job(job(path, Limits(max_records=11)))
    assert report.ok and len(items) == 11


def test_an_overlong_field_fails_the_file_or_skips_the_record(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(jsonl([{"title": "Fine paper"}, {"title": "Long one", "abstract": "x" * 5000}, {"title": "Also fine"}]))
    report, info, _ = parse_job(job(path, Limits(max_field_chars=1000)))
    assert info is None and report.error is not None
    assert "record 2" in report.error and "field abstract has 5,000 characters" in report.error
    report, info, items = parse_job(job(path, Limits(max_field_chars=1000), skip_bad=True))
    assert report.ok and [i.rec.title for i in items] == ["Fine paper", "Also fine"]
    assert any("record 2 skipped" in w for w in report.warnings)


def test_a_lone_surrogate_is_repaired_with_a_warning_and_the_other_files_go_on(catalog_location: str | Path,
                                                                              tmp_path: Path) -> None:
    bad = tmp_path / "surrogate.jsonl"
    bad.write_text('{"title": "\\ud800 broken title", "authors": ["A \\udfff B"]}\n{"title": "Emoji \\ud83d\\ude00 ok"}\n')
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl([{"title": "A perfectly normal paper"}]))
    with Atlas.open(catalog_location, Settings(home=tmp_path)) as atlas:
        first, second = ingest_paths(atlas, [bad, good])
        assert first.ok and first.new == 2 and second.ok and second.new == 1
        assert any("lone UTF-16 surrogate" in w for w in first.warnings)
        titles = sorted(p.title for p in atlas.store.papers.list(Filters(), limit=None))
    assert titles == ["A perfectly normal paper", "Emoji \U0001F600 ok", "\ufffd broken title"]


def test_limits_come_from_the_settings() -> None:
    limits = Limits.of(Settings(max_file_mb=3, max_records_per_file=4, max_field_chars=5, max_nesting_depth=6,
                                max_macro_chars=7, parse_timeout_s=8.0))
    assert limits == Limits(3, 4, 5, 6, 7, 8.0) and limits.max_bytes == 3 * 1024**2
    assert ParseContext().limits == Limits()
