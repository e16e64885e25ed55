"""``kb backup`` and ``kb restore`` as an operator runs them: one line out, exit 1 and one line on stderr on error."""

from __future__ import annotations

import json

import pytest

from kb.core import KnowledgeBase
from tests.support.records import build_world, make_product
from tests.web.test_cli import run_kb


@pytest.fixture
def filled(settings):
    kbase = KnowledgeBase(settings)
    kbase.init()
    build_world(kbase)
    kbase.dispose()
    return settings


def one_error_line(result, fragment: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kb: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_backup_then_restore_prints_one_line_each(filled, tmp_path):
    file = tmp_path / "kb-backup.tar.gz"
    made = run_kb(filled, "backup", str(file))
    assert made.returncode == 0, made.stderr
    assert made.stdout.count("\n") == 1 and made.stdout.startswith(f"Đã sao lưu vào {file}")
    assert "sqlite" in made.stdout and "bản ghi" in made.stdout and file.is_file()

    kbase = KnowledgeBase(filled)
    with kbase.session() as s:
        make_product(s, "Sản phẩm thêm sau khi sao lưu")
    kbase.dispose()

    checked = run_kb(filled, "restore", str(file), "--check")
    assert checked.returncode == 0 and checked.stdout.startswith("Tệp sao lưu hợp lệ:"), checked.stderr

    back = run_kb(filled, "restore", str(file), "--yes")
    assert back.returncode == 0, back.stderr
    assert back.stdout.count("\n") == 1 and back.stdout.startswith(f"Đã khôi phục từ {file}")
    gone = json.loads(run_kb(filled, "search", "Sản phẩm thêm sau khi sao lưu", "--json").stdout)
    assert all("sau khi sao lưu" not in (h["title"] or "") for h in gone["hits"] + gone["near"])
    kept = json.loads(run_kb(filled, "search", "bánh phu thê", "--json").stdout)
    assert "Bánh phu thê Đình Bảng" in [h["title"] for h in kept["hits"]]


def test_restore_asks_before_overwriting(filled, tmp_path):
    file = tmp_path / "b.tar.gz"
    assert run_kb(filled, "backup", str(file)).returncode == 0
    # stdin is not a terminal: no question can be asked, so --yes is required
    one_error_line(run_kb(filled, "restore", str(file), stdin=""), "--yes")


def test_errors_are_one_line(filled, tmp_path):
    one_error_line(run_kb(filled, "restore", str(tmp_path / "missing.tar.gz"), "--yes"), "không tìm thấy tệp sao lưu")
    file = tmp_path / "b.tar.gz"
    assert run_kb(filled, "backup", str(file)).returncode == 0
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(file.read_bytes()[:-100])
    one_error_line(run_kb(filled, "restore", str(cut), "--yes"), "không thay đổi gì")
    one_error_line(run_kb(filled, "restore", str(cut), "--check"), "hỏng")
    foreign = tmp_path / "foreign.tar.gz"
    foreign.write_bytes(b"PK\x03\x04 not a backup")
    one_error_line(run_kb(filled, "restore", str(foreign), "--yes"), "không phải tệp sao lưu")
    one_error_line(run_kb(filled, "backup", str(tmp_path / "nowhere" / "b.tar.gz")), "không có thư mục")
