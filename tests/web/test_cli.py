"""The `kb` command as a user runs it: a real process, one line on stderr for user errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run_kb(settings, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KB_DATA_DIR": str(settings.data_dir), "KB_SECRET_KEY": "test"}
    env.pop("KB_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "web.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120)


def test_init_twice_succeeds(settings):
    assert run_kb(settings, "init").returncode == 0
    second = run_kb(settings, "init")
    assert second.returncode == 0, second.stderr
    assert (settings.data_dir / "kb.sqlite3").is_file()


@pytest.mark.parametrize("args, fragment", [
    (("import", "nonsense", "x.csv"), "loại nhập không hợp lệ"),
    (("import", "products", "/no/such/file.csv"), "không tìm thấy tệp"),
    (("users", "add", "bob", "--role", "curator"), "--password-stdin"),
    (("users", "add", "bob", "--role", "lab", "--password-stdin"), "--lab"),
    (("suggest", "999999"), "999999"),
    (("users", "disable", "nobody"), "nobody"),
])
def test_user_errors_are_one_line_without_traceback(settings, args, fragment):
    result = run_kb(settings, *args, stdin="a-long-enough-password\n")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kb: ") and fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_users_add_list_disable(settings):
    added = run_kb(settings, "users", "add", "curator1", "--role", "curator", "--password-stdin",
                   stdin="mật-khẩu-đủ-dài\n")
    assert added.returncode == 0, added.stderr
    dup = run_kb(settings, "users", "add", "curator1", "--role", "curator", "--password-stdin", stdin="another-long-pw\n")
    assert dup.returncode == 1 and "đã tồn tại" in dup.stderr
    listed = run_kb(settings, "users", "list")
    assert "curator1" in listed.stdout
    assert run_kb(settings, "users", "disable", "curator1").returncode == 0


def test_import_and_search_json_round_trip(settings, tmp_path):
    csv = tmp_path / "standards.csv"
    csv.write_text("code,title_vi,title_en,status,year,ics,scope,replaces\n"
                   "TCVN 3118:2022,Bê tông - Phương pháp xác định cường độ chịu nén,Concrete - Test method for compressive strength,"
                   "in_force,2022,91.100.30,,TCVN 3118:1993\n", encoding="utf-8")
    imported = run_kb(settings, "import", "standards", str(csv), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["created"] == 1
    found = run_kb(settings, "search", "tcvn3118", "--json")
    assert found.returncode == 0, found.stderr
    body = json.loads(found.stdout)
    assert body["query"] == "tcvn3118"
    assert body["hits"][0]["code"] == "TCVN 3118:2022"


def test_ingest_reports_a_missing_path_and_goes_on(settings, tmp_path):
    result = run_kb(settings, "ingest", "/no/such/file.pdf", "--json")
    assert result.returncode == 1
    line = json.loads(result.stdout.splitlines()[0])
    assert line["status"] == "failed" and line["file"].endswith("file.pdf") and line["error"]


def test_import_legal_documents_reports_bad_rows_by_line(settings, tmp_path):
    path = tmp_path / "legal.csv"
    path.write_text("code,kind,title,issuer,issued,effective_from,effective_until,status,replaces,source_url\n"
                    "36/2026/TT-BKHCN,,Danh mục,,2026-06-30,2026-07-01,,,29/2025/TT-BKHCN@2026-07-01,\n"
                    "Thông tư cũ,,,,,,,,,\n", encoding="utf-8")
    result = run_kb(settings, "import", "legal-documents", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Tạo mới 1" in result.stdout and "dòng 3: code:" in result.stdout


def test_import_risk_list_reports_lines_and_ends_nothing_twice(settings, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("ma_hs,mo_ta,nhom,phu_luc,loai_tac_dong,muc_rui_ro,dieu_kien,trang\n"
                    '"8516.60",Nồi cơm điện,1,Phụ lục II,CONG_BO_HOP_QUY,TRUNG_BINH,,12\n'
                    "85X6,Sai mã,1,Phụ lục II,CONG_BO_HOP_QUY,TRUNG_BINH,,12\n", encoding="utf-8")
    args = ("import", "risk-list", str(path), "--document", "36/2026/TT-BKHCN", "--effective-from", "2026-07-01")
    first = run_kb(settings, *args, "--json")
    assert first.returncode == 1, first.stderr  # a bad row: exit 1, the good one stored
    report = json.loads(first.stdout)
    assert (report["outcome"], report["rows"], [e["line"] for e in report["errors"]]) == ("created", 1, [3])
    again = run_kb(settings, *args, "--json")
    assert json.loads(again.stdout)["outcome"] == "unchanged"


@pytest.mark.parametrize("extra, fragment", [
    ((), "--effective-from"),
    (("--document", "36/2026/TT-BKHCN", "--effective-from", "1/7/2026"), "YYYY-MM-DD"),
    (("--document", "36/2026/TT-BKHCN", "--effective-from", "2026-07-01", "--replaces", "1/2000/TT-X"), "--replaces"),
])
def test_import_risk_list_user_errors_are_one_line(settings, tmp_path, extra, fragment):
    path = tmp_path / "list.csv"
    path.write_text("ma_hs,loai_tac_dong\n8516,KIEM_TRA_CHAT_LUONG\n", encoding="utf-8")
    result = run_kb(settings, "import", "risk-list", str(path), *extra)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1 and fragment in lines[0], result.stderr


def test_risk_list_options_refused_for_other_kinds(settings, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("name\nNước mắm\n", encoding="utf-8")
    result = run_kb(settings, "import", "products", str(path), "--document", "36/2026/TT-BKHCN")
    assert result.returncode != 0 and "chỉ dùng với risk-list" in result.stderr
