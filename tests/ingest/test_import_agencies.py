"""`kb import agencies`: line-numbered errors, idempotent, and a re-import never clears what an admin set."""

from __future__ import annotations

import json

from ingest.importers import import_file
from kb import contacts
from tests.ingest.test_importers import audit_count, write_csv
from tests.web.test_cli import run_kb

HEADER = ["key", "name", "unit", "address", "phone", "email", "website", "source", "verified_at"]


def test_agencies_import_reports_bad_lines_and_is_idempotent(any_kbase, tmp_path):
    path = write_csv(tmp_path / "agencies.csv", [
        HEADER,
        ["dost", "Sở Khoa học và Công nghệ tỉnh Bắc Ninh", "Phòng Quản lý chuyên ngành", "", "", "", "https://example.vn",
         "https://example.vn/gioi-thieu", "01/12/2026"],
        ["stameq", "", "", "", "", "", "", "", ""],  # no name
        ["qa", "Trung tâm", "", "", "", "khong-phai-email", "", "", ""],
        ["Sai Ma!", "Cơ quan", "", "", "", "", "", "", ""],
        ["vsqi", "Viện Đo lường", "", "", "", "", "ftp://x", "", ""],
        ["tt", "Trung tâm", "", "", "", "", "", "", "2026-13-01"],
    ])
    report = import_file(any_kbase, "agencies", path, actor="test")
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    assert [line for line, _ in report.errors] == [3, 4, 5, 6, 7]
    messages = dict(report.errors)
    assert "name" in messages[3] and "e-mail" in messages[4] and "key" in messages[5] and "http" in messages[6]
    assert "verified_at" in messages[7]
    with any_kbase.session() as s:
        dost = contacts.get_agency(s, "dost")
        assert dost.unit == "Phòng Quản lý chuyên ngành" and str(dost.verified_at) == "2026-12-01"
        assert dost.address is None and dost.phone is None  # empty cells stay empty: nothing invented

    events = audit_count(any_kbase)
    again = import_file(any_kbase, "agencies", path, actor="test")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert audit_count(any_kbase) == events


def test_a_reimport_keeps_what_an_admin_filled_in(kbase, tmp_path):
    path = write_csv(tmp_path / "agencies.csv", [HEADER, ["dost", "Sở Khoa học và Công nghệ tỉnh Bắc Ninh"] + [""] * 7])
    import_file(kbase, "agencies", path)
    with kbase.session() as s:
        dost = contacts.get_agency(s, "dost")
        contacts.upsert_agency(s, "dost", {"phone": "0222 000 0000"}, actor="admin", expected_version=dost.version)
    report = import_file(kbase, "agencies", path)
    assert report.unchanged == 1
    with kbase.session() as s:
        assert contacts.get_agency(s, "dost").phone == "0222 000 0000"


def test_cli_imports_agencies_and_refuses_a_labs_file(settings, tmp_path):
    good = write_csv(tmp_path / "agencies.csv", [HEADER, ["dost", "Sở Khoa học và Công nghệ tỉnh Bắc Ninh"] + [""] * 7])
    r = run_kb(settings, "import", "agencies", str(good), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["created"] == 1
    labs = write_csv(tmp_path / "labs.csv", [["name", "organization", "accreditation", "valid_from", "address", "phone"],
                                             ["PTN", "Công ty", "VILAS 1", "", "", ""]])
    r = run_kb(settings, "import", "agencies", str(labs))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "labs" in r.stderr
