"""Spreadsheet bombs and files past the caps (issue 15, item 1): refused with one line naming the part or the
line, in seconds, with nothing imported; the parse runs in a worker whose death is one line too."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import pytest
from sqlmodel import func, select

from ingest import sheets
from ingest.importers import import_file
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import KBError
from kb.models import Product
from tests.support.bombs import MB, big_string, many_cells, write_xlsx, xlsx_bomb

PRODUCTS = [["name", "category"], ["Mỳ gạo Lục Ngạn", "Thực phẩm"], ["Bánh phu thê Đình Bảng", "Bánh kẹo"]]


def _products(kbase) -> int:
    with kbase.session() as s:
        return s.exec(select(func.count()).select_from(Product)).one()


def _refused(kbase, path: Path, match: str, kind: str = "products") -> str:
    before = _products(kbase)
    started = time.monotonic()
    with pytest.raises(KBError, match=match) as info:
        import_file(kbase, kind, path, actor="test")
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"refusal took {elapsed:.1f} s"
    assert "\n" not in info.value.message
    assert _products(kbase) == before
    return info.value.message


def _capped(settings: Settings) -> KnowledgeBase:
    kb = KnowledgeBase(settings.model_copy(update={"max_rows": 20, "max_columns": 10, "max_cell_chars": 100}))
    kb.init()
    return kb


@pytest.fixture
def capped(kbase):
    """A knowledge base with small caps, so files past them stay small."""
    kb = _capped(kbase.settings)
    yield kb
    kb.dispose()


@pytest.fixture
def capped_any(any_kbase):
    """The same on each database (PostgreSQL skips cleanly when no server answers)."""
    kb = _capped(any_kbase.settings)
    yield kb
    kb.dispose()


def test_shared_strings_bomb_is_refused_before_unpacking(kbase, tmp_path):
    bomb = xlsx_bomb(tmp_path / "bom.xlsx", PRODUCTS, unpacked_mb=120)  # > KB_MAX_XLSX_PART_MB (100)
    assert bomb.stat().st_size < MB
    message = _refused(kbase, bomb, "xl/sharedStrings.xml")
    assert "giải nén ra 120 MB, quá giới hạn 100 MB" in message


def test_absurd_compression_ratio_is_refused(kbase, tmp_path):
    bomb = xlsx_bomb(tmp_path / "bom.xlsx", PRODUCTS, unpacked_mb=10)  # under the caps, but ~1000:1
    message = _refused(kbase, bomb, "tỉ lệ bất thường")
    assert "'xl/sharedStrings.xml' nén" in message


def test_total_and_entries_caps(tmp_path):
    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(sheets.MAX_ENTRIES + 1):
            zf.writestr(f"xl/media/{i}.bin", b"")
    with pytest.raises(KBError, match=f"{sheets.MAX_ENTRIES + 1} phần"):
        sheets.check_xlsx(many, sheets.Limits())
    wide = tmp_path / "wide.xlsx"
    with zipfile.ZipFile(wide, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            zf.writestr(f"xl/part{i}.xml", os.urandom(MB))  # 1 MB each, incompressible
    sheets.check_xlsx(wide, sheets.Limits(part_mb=2, total_mb=3))
    with pytest.raises(KBError, match="tổng cộng 3 MB, quá giới hạn 2 MB"):
        sheets.check_xlsx(wide, sheets.Limits(part_mb=2, total_mb=2))
    not_zip = tmp_path / "fake.xlsx"
    not_zip.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(KBError, match="không phải tệp XLSX hợp lệ"):
        sheets.check_xlsx(not_zip, sheets.Limits())


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_rows_past_the_cap(capped_any, tmp_path, suffix):
    """A whole file refused at its 22nd line leaves nothing of its first 20 rows, on either database."""
    capped = capped_any
    rows = [["name"]] + [[f"Sản phẩm {i}"] for i in range(21)]  # header + 21 data rows, cap 20
    path = _write(tmp_path / f"rows.{suffix}", rows)
    assert "dòng 22: quá giới hạn 20 dòng" in _refused(capped, path, "quá giới hạn 20 dòng")
    ok = _write(tmp_path / f"ok.{suffix}", rows[:-1] + [[], [""]])  # empty rows do not count
    assert import_file(capped, "products", ok, actor="test").created == 20


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_columns_and_cells_past_the_cap(capped, tmp_path, suffix):
    wide = [["name", "category"], ["Mỳ gạo", "Thực phẩm"], ["Bánh", *[""] * 9, "cột 11"]]
    path = _write(tmp_path / f"wide.{suffix}", wide)
    assert "dòng 3: có dữ liệu ở cột 11, quá giới hạn 10 cột" in _refused(capped, path, "10 cột")
    padded = _write(tmp_path / f"padded.{suffix}", [["name", *[""] * 15], ["Mỳ gạo", *[""] * 15]])
    assert import_file(capped, "products", padded, actor="test").created == 1  # empty cells past the cap: fine
    long = [["name", "category"], ["Mỳ gạo", "Thực phẩm"], ["Bánh", "x" * 101]]
    path = _write(tmp_path / f"long.{suffix}", long)
    message = _refused(capped, path, "ký tự")
    assert "dòng 3" in message and "100 ký tự" in message
    assert import_file(capped, "products", _write(tmp_path / f"fits.{suffix}", long[:2] + [["Bánh", "x" * 100]]),
                       actor="test").errors == []


def test_csv_bomb_one_endless_field(kbase, tmp_path):
    """An open quote that never closes: the reader would grow one field over the whole file."""
    path = tmp_path / "bom.csv"
    with path.open("wb") as fh:
        fh.write(b'name,category\n"Bom,')
        for _ in range(30):
            fh.write(b"a" * MB)
    assert "dòng 2: có ô dài hơn giới hạn 20000 ký tự" in _refused(kbase, path, "20000 ký tự")


def test_worker_out_of_memory_is_one_line(tmp_path):
    """An unforeseen bomb: a part under every cap that costs far more memory parsed than on disk ends the
    worker at its address-space limit, in seconds, not the caller."""
    path = big_string(tmp_path / "strings.xlsx", PRODUCTS, 60)  # 60 MB packed ~50:1: under every cap
    sheets.check_xlsx(path, sheets.Limits())
    started = time.monotonic()
    with pytest.raises(KBError, match="strings.xlsx: vượt giới hạn bộ nhớ 32 MB") as info:
        list(sheets.read_isolated(path, sheets.Limits(memory_mb=32)))
    assert time.monotonic() - started < 5
    assert "\n" not in info.value.message


def test_worker_out_of_cpu_time_is_one_line(tmp_path):
    """375,000 distinct cells pack like real data (under every cap) and cost seconds of CPU in openpyxl."""
    path = many_cells(tmp_path / "cells.xlsx", 2500, 150)
    started = time.monotonic()
    with pytest.raises(KBError, match="cells.xlsx: đọc bảng tính quá 1 giây CPU"):
        for _ in sheets.read_isolated(path, sheets.Limits(seconds=1)):
            pass
    assert time.monotonic() - started < 30  # one CPU second is several on a loaded machine


def _write(path: Path, rows: list[list]) -> Path:
    if path.suffix == ".xlsx":
        return write_xlsx(path, rows)
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_kb_import_refuses_a_bomb_in_one_line(settings, kbase, tmp_path):
    from tests.web.test_cli import run_kb

    bomb = xlsx_bomb(tmp_path / "bom.xlsx", PRODUCTS, unpacked_mb=120)
    started = time.monotonic()
    r = run_kb(settings, "import", "products", str(bomb))
    assert time.monotonic() - started < 10  # a fresh interpreter's imports included
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "'xl/sharedStrings.xml' giải nén ra 120 MB" in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert _products(kbase) == 0
