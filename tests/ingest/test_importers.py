"""CSV/XLSX catalogue imports: every format, row-level errors with line numbers, idempotent re-import."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import func, select

from ingest.importers import import_file
from kb import labs, products, standards
from kb.errors import BadInput, Conflict, KBError
from kb.models import AuditEvent, Lab, LabScope, Mapping, MappingStatus, Product, StandardStatus

STANDARDS = [
    ["code", "title_vi", "title_en", "status", "year", "ics", "scope", "replaces"],
    ["TCVN 3118:2022", "Bê tông - Phương pháp xác định cường độ chịu nén",
     "Hardened concrete - Test method for compressive strength", "còn hiệu lực", "", "91.100.30", "", "TCVN 3118:1993"],
    ["tcvn 3118-1993", "Bê tông nặng - Phương pháp xác định cường độ nén", "", "", "", "", "", ""],
    ["QCVN 8-2:2011/BYT", "Quy chuẩn kỹ thuật quốc gia đối với giới hạn ô nhiễm kim loại nặng trong thực phẩm", "",
     "in_force", "2011", "", "", ""],
    ["TCVN 5408", "Lớp phủ kẽm nhúng nóng trên bề mặt sản phẩm gang và thép", "", "in_force", "2007", "", "", ""],
]
PRODUCTS = [
    ["name", "aliases", "category", "kind", "ocop_stars", "ocop_group", "producer", "district", "hs_code", "description"],
    ["Mỳ gạo Lục Ngạn", "Mì gạo Chũ; mỳ Chũ", "Thực phẩm", "ocop", "4", "Thực phẩm", "HTX Hằng Hiếu", "Lục Ngạn", "", ""],
    ["Bê tông thương phẩm", "Bê tông trộn sẵn", "Vật liệu xây dựng", "key", "", "", "", "", "3824.50", ""],
]
LABS = [
    ["name", "organization", "accreditation", "valid_from", "valid_until", "address", "district", "phone", "email",
     "website"],
    ["Phòng thử nghiệm", "Công ty IQC", "vilas  798", "2024-05-01", "31/05/2029", "Thanh Trì, Hà Nội", "", "", "", ""],
    ["Phòng thí nghiệm VLXD", "Công ty T&T", "las - xd 164", "", "", "", "", "", "", ""],
]
SCOPE = [
    ["accreditation", "material", "test", "range", "method", "accredited"],
    ["LAS-XD 164", "Bê tông", "Xác định cường độ nén", "", "TCVN 3118 :2022; ASTM C39; AASHTO T22", "có"],
    ["VILAS 798", "Giấy tissue", "Xác định độ bền kéo", "6,0 N/m", "TCVN 8309-4:2010", "yes"],
    ["LAS-XD 164", "Bê tông", "Xác định độ sụt", "", "TCVN 3106:2022", "không"],
]
MAPPINGS = [
    ["product", "standard", "type", "rationale", "legal_basis"],
    ["Mỳ gạo Lục Ngạn", "QCVN 8-2:2011/BYT", "hygiene", "Giới hạn kim loại nặng", "Luật An toàn thực phẩm số 55/2010/QH12"],
    ["bê tông thương phẩm", "tcvn3118", "Phương pháp thử", "Cường độ chịu nén", ""],
]


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def load_all(kbase, tmp_path: Path, fmt: str = "csv") -> dict[str, dict]:
    out = {}
    for kind, rows in (("standards", STANDARDS), ("products", PRODUCTS), ("labs", LABS),
                       ("lab-scope", SCOPE), ("mappings", MAPPINGS)):
        path = tmp_path / f"{kind}.{fmt}"
        (write_xlsx if fmt == "xlsx" else write_csv)(path, rows)
        report = import_file(kbase, kind, path, actor="test")
        assert report.errors == [], (kind, report.errors)
        out[kind] = report.to_json()
    return out


def audit_count(kbase) -> int:
    with kbase.session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_format_imports_and_links(any_kbase, tmp_path, fmt):
    kbase = any_kbase
    reports = load_all(kbase, tmp_path, fmt)
    assert reports["standards"]["created"] == 4
    assert reports["products"]["created"] == 2
    assert reports["labs"]["created"] == 2
    assert reports["lab-scope"]["created"] == 3
    assert reports["mappings"]["created"] == 2
    with kbase.session() as s:
        new = standards.get_standard(s, "TCVN 3118:2022")
        old = standards.get_standard(s, "TCVN 3118:1993")
        assert new.status == StandardStatus.in_force and new.ics == "91.100.30"
        assert old.code == "TCVN 3118:1993" and old.status == StandardStatus.replaced
        assert standards.replaced_by_chain(s, old) == ["TCVN 3118:2022"]
        # the year column completes an undated code
        assert standards.get_standard(s, "TCVN 5408:2007") is not None
        assert standards.get_standard(s, "QCVN 8-2:2011/BYT").mandatory is True

        lab = labs.find_lab(s, "LAS-XD 164")
        assert lab.accreditation == "LAS-XD 164" and lab.accreditation_body == "LAS-XD" and lab.accreditation_number == "164"
        iqc = labs.find_lab(s, "VILAS 798")
        assert (iqc.valid_from, iqc.valid_until) == (date(2024, 5, 1), date(2029, 5, 31))
        rows = labs.scope_rows(s, lab)
        assert [r.test for r in rows] == ["Xác định cường độ nén", "Xác định độ sụt"]
        assert rows[0].method_codes == ["TCVN 3118:2022", "ASTM C39", "AASHTO T22"]
        assert rows[0].method_series.startswith("|tcvn3118|") and rows[0].method_series.endswith("|")
        assert rows[0].accredited is True and rows[1].accredited is False
        assert [x.accreditation for x in labs.labs_for_standard(s, new)] == ["LAS-XD 164"]
        # any edition of the series: the 1993 page also lists the lab
        assert [x.accreditation for x in labs.labs_for_standard(s, old)] == ["LAS-XD 164"]

        noodle = products.find_product(s, "mỳ gạo lục ngạn")
        assert noodle.aliases == ["Mì gạo Chũ", "mỳ Chũ"] and noodle.ocop_stars == 4 and noodle.kind.value == "ocop"
        maps = s.exec(select(Mapping).order_by(Mapping.id)).all()
        assert [(m.type.value, m.status, m.source.value) for m in maps] == [
            ("hygiene", MappingStatus.approved, "import"), ("test_method", MappingStatus.approved, "import")]
        assert maps[1].standard_id == new.id  # undated "tcvn3118" means the in-force edition
        assert maps[1].legal_basis is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reimport_changes_nothing(any_kbase, tmp_path, fmt):
    kbase = any_kbase
    load_all(kbase, tmp_path, fmt)
    events = audit_count(kbase)
    again = load_all(kbase, tmp_path, fmt)
    for kind, report in again.items():
        assert report["created"] == report["updated"] == report["deleted"] == 0, (kind, report)
        assert report["unchanged"] > 0
    assert audit_count(kbase) == events


def test_changed_row_is_updated_and_audited(kbase, tmp_path):
    load_all(kbase, tmp_path)
    rows = [r[:] for r in PRODUCTS]
    rows[1][4] = "5"  # stars 4 -> 5
    rows[1][0] = "MỲ GẠO  Lục Ngạn"  # same product: case and spacing do not make a new one
    report = import_file(kbase, "products", write_csv(tmp_path / "p2.csv", rows), actor="test")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    with kbase.session() as s:
        p = products.find_product(s, "Mỳ gạo Lục Ngạn")
        assert p.ocop_stars == 5 and p.version == 2 and p.name == "Mỳ gạo Lục Ngạn"
        ev = s.exec(select(AuditEvent).where(AuditEvent.entity == "product").order_by(AuditEvent.id.desc())).first()
        assert ev.action == "update" and ev.before == {"ocop_stars": 4} and ev.after == {"ocop_stars": 5}


def test_scope_file_replaces_the_labs_scope(kbase, tmp_path):
    load_all(kbase, tmp_path)
    rows = [SCOPE[0], SCOPE[3], ["LAS-XD 164", "Bê tông", "Xác định độ hút nước", "", "TCVN 3113:2022", "yes"]]
    report = import_file(kbase, "lab-scope", write_csv(tmp_path / "s2.csv", rows), actor="test")
    assert (report.created, report.updated, report.deleted) == (1, 1, 1)  # new row, moved row, dropped row
    with kbase.session() as s:
        lab = labs.find_lab(s, "LAS-XD 164")
        assert [r.test for r in labs.scope_rows(s, lab)] == ["Xác định độ sụt", "Xác định độ hút nước"]
        assert labs.labs_for_standard(s, standards.get_standard(s, "TCVN 3118:2022")) == []
        # VILAS 798 was not in the file: its scope is untouched
        assert len(labs.scope_rows(s, labs.find_lab(s, "VILAS 798"))) == 1


BROKEN_PRODUCTS = (
    "name,aliases,category,kind,ocop_stars,ocop_group,producer,district,hs_code,description\n"
    "Vải thiều Lục Ngạn,,Trái cây,ocop,4,Thực phẩm,HTX Hồng Xuân,Lục Ngạn,,\n"          # line 2 ok
    "Gà đồi Yên Thế,,Thực phẩm,ocop,7,Thực phẩm,HTX Yên Thế,Yên Thế,,\n"                # line 3: 7 stars
    '"Nem nướng Liên Chung",,Thực phẩm,ocop,4,Thực phẩm,HTX Liên Chung,Tân Yên,,"dòng một\n'
    'dòng hai"\n'                                                                      # lines 4-5 ok
    ",,Thực phẩm,ocop,3,,,,,\n"                                                        # line 6: no name
    "\n"                                                                               # line 7 blank: skipped
    "Rượu Nếp cái hoa vàng,,Đồ uống,ocop,bốn,,HTX Vân Hương,Việt Yên,,\n"              # line 8: stars not a number
    "Miếng rửa bát xơ mướp,,Hàng tiêu dùng,craft,,,Ánh Dương,Thuận Thành,,\n"          # line 9: bad kind
    "Chè xanh bản Ven,,Đồ uống,ocop,4,Đồ uống,HTX Thân Trường,Yên Thế,,\n"              # line 10 ok
)


def test_a_value_too_long_for_its_column_is_a_bad_row_on_both_databases(any_kbase, tmp_path):
    rows = [PRODUCTS[0], ["Tương " * 61] + [""] * 9, PRODUCTS[1]]
    report = import_file(any_kbase, "products", write_csv(tmp_path / "long.csv", rows), actor="test")
    assert report.created == 1 and report.errors == [(2, "name: dài quá 300 ký tự")]


def test_broken_file_reports_line_numbers_and_keeps_good_rows(any_kbase, tmp_path):
    kbase = any_kbase
    path = tmp_path / "broken.csv"
    path.write_text(BROKEN_PRODUCTS, encoding="utf-8")
    report = import_file(kbase, "products", path, actor="test")
    assert report.created == 3
    assert [line for line, _ in report.errors] == [3, 6, 8, 9]
    messages = dict(report.errors)
    assert "ocop_stars" in messages[3] and "ocop_stars" in messages[8]
    assert "tên" in messages[6] and "kind" in messages[9]
    assert all("\n" not in m and "Traceback" not in m for _, m in report.errors)
    assert report.to_json()["errors"][0] == {"line": 3, "message": messages[3]}
    with kbase.session() as s:
        names = sorted(p.name for p in s.exec(select(Product)).all())
        assert names == ["Chè xanh bản Ven", "Nem nướng Liên Chung", "Vải thiều Lục Ngạn"]
        nem = products.find_product(s, "Nem nướng Liên Chung")
        assert nem.description == "dòng một dòng hai"
    # the bad rows left no audit trail behind them either
    assert audit_count(kbase) == 3


def test_broken_rows_in_every_kind(any_kbase, tmp_path):
    kbase = any_kbase
    load_all(kbase, tmp_path)
    cases = {
        "standards": [STANDARDS[0], ["XYZ 12", "", "", "", "", "", "", ""],
                      ["TCVN 3119:2022", "", "", "sắp có", "", "", "", ""],
                      ["TCVN 3120:2022", "", "", "", "2021", "", "", ""],
                      ["TCVN 3117:2022", "Bê tông - Phương pháp xác định độ co", "", "", "", "", "", "không mã"]],
        "labs": [LABS[0], ["Phòng A", "", "", "", "", "", "", "", "", ""],
                 ["Phòng B", "", "VILAS 1", "2024-13-01", "", "", "", "", "", ""],
                 ["Phòng C", "", "VILAS 2", "2025-01-01", "2024-01-01", "", "", "", "", ""]],
        "lab-scope": [SCOPE[0], ["VILAS 9999", "", "Thử", "", "", ""], ["LAS-XD 164", "", "", "", "TCVN 3118:2022", ""],
                      ["LAS-XD 164", "", "Thử", "", "", "có lẽ"]],
        "mappings": [MAPPINGS[0], ["Không có sản phẩm này", "QCVN 8-2:2011/BYT", "hygiene", "", ""],
                     ["Mỳ gạo Lục Ngạn", "TCVN 9999:2099", "hygiene", "", ""],
                     ["Mỳ gạo Lục Ngạn", "QCVN 8-2:2011/BYT", "bí ẩn", "", ""],
                     ["Mỳ gạo Lục Ngạn", "not a code", "hygiene", "", ""]],
    }
    expected_lines = {"standards": [2, 3, 4, 5], "labs": [2, 3, 4], "lab-scope": [2, 3, 4], "mappings": [2, 3, 4, 5]}
    for kind, rows in cases.items():
        report = import_file(kbase, kind, write_csv(tmp_path / f"bad-{kind}.csv", rows), actor="test")
        assert [line for line, _ in report.errors] == expected_lines[kind], (kind, report.errors)
        assert report.created == 0
    with kbase.session() as s:
        assert standards.get_standard(s, "TCVN 3117:2022") is None  # its bad 'replaces' rolled the row back
        assert s.exec(select(func.count()).select_from(Lab)).one() == 2
        # the lab-scope file named LAS-XD 164 but all its rows were bad: nothing was replaced
        assert s.exec(select(func.count()).select_from(LabScope)).one() == 3


def test_file_level_problems_are_one_line_errors(kbase, tmp_path):
    missing = write_csv(tmp_path / "nocode.csv", [["title_vi", "status"], ["Bê tông", "in_force"]])
    with pytest.raises(KBError, match="thiếu cột bắt buộc code"):
        import_file(kbase, "standards", missing)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("name\nM\xe0 ch\xe8\n".encode("latin-1"))
    with pytest.raises(KBError, match="UTF-8"):
        import_file(kbase, "products", latin1)
    with pytest.raises(KBError, match="không tìm thấy"):
        import_file(kbase, "products", tmp_path / "nope.csv")
    with pytest.raises(BadInput, match="loại nhập"):
        import_file(kbase, "widgets", missing)
    bad_xlsx = tmp_path / "bad.xlsx"
    bad_xlsx.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(KBError, match="XLSX"):
        import_file(kbase, "products", bad_xlsx)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(KBError, match="rỗng"):
        import_file(kbase, "products", empty)
    for exc_path in (missing, latin1, bad_xlsx, empty):
        try:
            import_file(kbase, "products", exc_path)
        except KBError as exc:
            assert "\n" not in exc.message


def test_bom_headers_notes_and_extra_columns(kbase, tmp_path):
    rows = [["Name", "Kind (key|ocop|other)", "Stars note", "OCOP_STARS", "Producer", "is_sample"],
            ["Mật ong hoa vải", "OCOP", "ignored", "3", "HTX Hằng Hiếu", "có"]]
    report = import_file(kbase, "products", write_csv(tmp_path / "bom.csv", rows, bom=True), actor="test")
    assert report.errors == [] and report.created == 1
    with kbase.session() as s:
        p = products.find_product(s, "mat ong hoa vai")  # unaccented typing still finds a unique product
        assert p.ocop_stars == 3 and p.is_sample is True and p.kind.value == "ocop"


def test_xlsx_typed_cells(kbase, tmp_path):
    rows = [["name", "organization", "accreditation", "valid_from", "valid_until"],
            ["Phòng X", "Viện Y", "VILAS 1234", date(2024, 3, 1), "03/2029"]]
    rows.append(["Phòng Z", "", "VILAS 5678", datetime(2025, 2, 1, 0, 0), 2030.0])  # a number is no date
    report = import_file(kbase, "labs", write_xlsx(tmp_path / "labs.xlsx", rows), actor="test")
    assert report.created == 1 and [line for line, _ in report.errors] == [3]
    with kbase.session() as s:
        lab = labs.find_lab(s, "vilas1234")
        assert (lab.valid_from, lab.valid_until) == (date(2024, 3, 1), date(2029, 3, 31))


def test_accreditation_spellings():
    assert labs.normalize_accreditation(" vilas\u00a01074 ") == "VILAS 1074"
    assert labs.normalize_accreditation("VILAS1074") == "VILAS 1074"
    assert labs.normalize_accreditation("las - xd  164") == "LAS-XD 164"
    assert labs.normalize_accreditation("Mẫu-01") == "MẪU-01"
    with pytest.raises(BadInput):
        labs.normalize_accreditation("  ")


def test_ambiguous_product_name_needs_an_id(kbase, tmp_path):
    rows = [PRODUCTS[0], ["Chả Gà", "", "", "ocop", "4", "", "HTX A", "", "", ""],
            ["Chả gà", "", "", "ocop", "4", "", "HTX B", "", "", ""]]
    import_file(kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test")
    with kbase.session() as s:
        with pytest.raises(Conflict, match="hãy dùng id"):
            products.find_product(s, "chả gà")
        assert products.find_product(s, "Chả gà", producer="htx b").producer == "HTX B"
        pid = products.find_product(s, "Chả gà", producer="HTX A").id
        assert products.find_product(s, f"#{pid}").id == pid


def test_product_kind_spellings_and_stars(kbase, tmp_path):
    rows = [["name", "kind", "ocop_stars", "producer"],
            ["Gà đồi", "", "3", "HTX A"],          # stars alone make it an OCOP product
            ["Thép hình", "Chủ lực", "", ""],       # Vietnamese kind
            ["Thép tấm", "key", "4", ""]]           # stars on a key product: refused
    report = import_file(kbase, "products", write_csv(tmp_path / "k.csv", rows), actor="test")
    assert report.created == 2 and [line for line, _ in report.errors] == [4]
    with kbase.session() as s:
        assert products.find_product(s, "Gà đồi").kind.value == "ocop"
        assert products.find_product(s, "Thép hình").kind.value == "key"


def test_file_of_another_kind_is_refused(kbase, tmp_path):
    labs_file = write_csv(tmp_path / "labs.csv", LABS)
    with pytest.raises(KBError, match="giống tệp labs"):
        import_file(kbase, "products", labs_file)
    scope_file = write_csv(tmp_path / "scope.csv", SCOPE)
    with pytest.raises(KBError, match="giống tệp lab-scope"):
        import_file(kbase, "labs", scope_file)
    with kbase.session() as s:
        assert s.exec(select(func.count()).select_from(Product)).one() == 0


def test_value_spellings():
    from ingest.importers import parse_bool, parse_date, parse_status

    assert [parse_status(s) for s in ("Còn hiệu lực", "HẾT HIỆU LỰC", "đã bị thay thế", "Hủy bỏ", "in force",
                                      "withdrawn", "Dự thảo", "")] == [
        "in_force", "replaced", "replaced", "withdrawn", "in_force", "withdrawn", "draft", None]
    assert [parse_bool(s, "x") for s in ("Có", "không", "YES", "no", "", True)] == [True, False, True, False, None, True]
    assert parse_date("2024-03-05", "d") == date(2024, 3, 5)
    assert parse_date("05/03/2024", "d") == date(2024, 3, 5)
    assert parse_date("02/2024", "d", end_of_month=True) == date(2024, 2, 29)
    assert parse_date("12/2029", "d", end_of_month=True) == date(2029, 12, 31)
    for bad in ("31/02/2024", "2024/03/05", "hôm qua"):
        with pytest.raises(BadInput):
            parse_date(bad, "d")
    with pytest.raises(BadInput):
        parse_status("sắp hết")


def test_scope_file_with_bad_lines_deletes_nothing_of_that_lab(kbase, tmp_path):
    load_all(kbase, tmp_path)
    rows = [SCOPE[0],
            ["LAS-XD 164", "Bê tông", "Xác định độ hút nước", "", "TCVN 3113:2022", "yes"],
            ["LAS-XD 164", "Bê tông", "Xác định cường độ nén", "", "TCVN 3118 :2022; ASTM C39; AASHTO T22", "có thể"]]
    report = import_file(kbase, "lab-scope", write_csv(tmp_path / "s3.csv", rows), actor="test")
    assert [line for line, _ in report.errors] == [3]
    assert (report.created, report.deleted) == (1, 0)
    with kbase.session() as s:
        lab = labs.find_lab(s, "LAS-XD 164")
        tests = [r.test for r in labs.scope_rows(s, lab)]
        assert tests[0] == "Xác định độ hút nước"
        assert sorted(tests[1:]) == ["Xác định cường độ nén", "Xác định độ sụt"]


def test_reimport_never_undoes_a_curators_decision(kbase, tmp_path):
    load_all(kbase, tmp_path)
    with kbase.session() as s:
        m = s.exec(select(Mapping).order_by(Mapping.id)).first()
        m.status, m.rationale, m.decided_by = MappingStatus.rejected, "Không áp dụng cho sản phẩm này", "curator1"
        s.add(m)
    rows = [MAPPINGS[0], MAPPINGS[1] + [], ["Bê tông thương phẩm", "TCVN 3118:2022", "test_method", "", "Luật 68/2006/QH11"]]
    report = import_file(kbase, "mappings", write_csv(tmp_path / "m2.csv", rows), actor="test")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)  # only the empty legal basis was filled
    with kbase.session() as s:
        first, second = s.exec(select(Mapping).order_by(Mapping.id)).all()
        assert first.status == MappingStatus.rejected and first.rationale == "Không áp dụng cho sản phẩm này"
        assert second.legal_basis == "Luật 68/2006/QH11" and second.rationale == "Cường độ chịu nén"


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_files(kbase, tmp_path, sep):
    path = tmp_path / "p.csv"
    path.write_text(sep.join(["name", "aliases", "kind", "ocop_stars"]) + "\n"
                    + sep.join(["Mật ong hoa vải", '"Mật ong; Mật ong vải"' if sep == ";" else "Mật ong;Mật ong vải",
                                "ocop", "3"]) + "\n", encoding="utf-8")
    report = import_file(kbase, "products", path, actor="test")
    assert report.errors == [] and report.created == 1
    with kbase.session() as s:
        assert products.find_product(s, "Mật ong hoa vải").aliases == ["Mật ong", "Mật ong vải"]
