"""Risk lists as dated data (issue 12, items 3 and 4): the import (errors with their lines, idempotent
re-import, a list that replaces another) and what the lists in force on a date require of made-up products,
on SQLite and PostgreSQL. The four shared lists are read from ../shared/regulatory (skipped when absent)."""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import func, select

from ingest.importers import import_risk_list
from kb import legal, risk
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import BadInput
from kb.models import AuditEvent, RiskList, RiskListRow
from kb.read.regulatory import AMBIGUOUS, BY_HS, requirements_on
from tests.support.pg_schema import SharedSchema

REPO = Path(__file__).resolve().parents[2]
HEADER = ["ma_hs", "mo_ta", "nhom", "phu_luc", "loai_tac_dong", "muc_rui_ro", "dieu_kien", "dan_chieu", "trang"]
#: The shared lists and the dates they apply from (the registry entries; 49/2026/TT-BXD has none: the 2026
#: lists' common start).
SHARED = {
    "36-2026-tt-bkhcn.csv": ("36/2026/TT-BKHCN", date(2026, 7, 1)),
    "33-2026-tt-bct.csv": ("33/2026/TT-BCT", date(2026, 7, 1)),
    "28-2026-tt-bct.csv": ("28/2026/TT-BCT", date(2026, 7, 17)),
    "49-2026-tt-bxd.csv": ("49/2026/TT-BXD", date(2026, 7, 1)),
}


@pytest.fixture(scope="session")
def risk_lists_dir() -> Path:
    path = Path(os.environ.get("KB_REGULATORY_DIR", REPO.parent / "shared" / "regulatory")) / "risk_lists"
    if not all((path / name).is_file() for name in SHARED):
        pytest.skip(f"shared risk lists not found at {path} (set KB_REGULATORY_DIR)")
    return path


def import_shared(kbase, risk_lists_dir: Path) -> None:
    for name, (code, start) in SHARED.items():
        report = import_risk_list(kbase, risk_lists_dir / name, document=code, effective_from=start)
        assert report.errors == [] and report.outcome == "created"


@pytest.fixture
def shared_kbase(any_kbase, risk_lists_dir):
    import_shared(any_kbase, risk_lists_dir)
    return any_kbase


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_lists(request, risk_lists_dir, tmp_path_factory):
    """The shared lists imported once per database for the look-ups below, which only read: the import of
    1,795 rows is the slow part. Tests that write take ``shared_kbase``, a knowledge base of their own."""
    data_dir = tmp_path_factory.mktemp("shared-lists")
    schema = SharedSchema(request.getfixturevalue("postgres_url"), data_dir) if request.param == "postgres" else None
    kb = KnowledgeBase(Settings(data_dir=data_dir / "var", database_url=schema.url() if schema else None,
                                secret_key="test-secret", ingest_workers=1))
    kb.init()
    try:
        import_shared(kb, risk_lists_dir)
        yield kb
    finally:
        kb.dispose()
        if schema:
            schema.drop()


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def count(kbase, model) -> int:
    with kbase.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def look(kbase, codes: list[str], on: date) -> dict:
    with kbase.session() as s:
        return requirements_on(s, codes, on)


JULY = date(2026, 7, 20)  # every shared list in force


# --- Look-ups on made-up products ---------------------------------------------------------------------


def test_shared_lists_import_completely(shared_lists):
    assert count(shared_lists, RiskListRow) == 1795
    with shared_lists.session() as s:
        lists = {rl.document_code: rl for rl in s.exec(select(RiskList)).all()}
    assert {c: (rl.issuer, rl.rows) for c, rl in lists.items()} == {
        "36/2026/TT-BKHCN": ("BKHCN", 396), "33/2026/TT-BCT": ("BCT", 957),
        "28/2026/TT-BCT": ("BCT", 378), "49/2026/TT-BXD": ("BXD", 64)}
    # Two lists of one ministry stay in force together: neither ended the other.
    assert all(rl.effective_until is None for rl in lists.values())


def test_high_risk_phone_handset(shared_lists):
    got = look(shared_lists, ["8517.11.00"], JULY)
    assert got["risk"] == "high"
    [req] = got["requirements"]
    assert req == {**req, "document": "36/2026/TT-BKHCN", "annex": "Phụ lục I", "item": "2.1",
                   "hs_code": "85171100", "control": "quality_inspection", "risk": "high",
                   "description": "Thiết bị điện thoại", "source_page": 26, "confirmed": False,
                   "ambiguous": False, "match": BY_HS}


def test_medium_risk_tissue_paper(shared_lists):
    got = look(shared_lists, ["48030030"], JULY)
    assert got["risk"] == "medium"
    assert [(r["document"], r["control"], r["risk"]) for r in got["requirements"]] == [
        ("33/2026/TT-BCT", "conformity_declaration", "medium")]


def test_food_safety_juice_from_its_start_date(shared_lists):
    before = look(shared_lists, ["2009.11.00"], date(2026, 7, 16))  # other lists in force, 28/2026 not yet
    assert before == {"on": date(2026, 7, 16), "risk": "low", "requirements": []}
    after = look(shared_lists, ["2009.11.00"], date(2026, 7, 17))
    assert [(r["document"], r["control"], r["risk"]) for r in after["requirements"]] == [
        ("28/2026/TT-BCT", "food_safety_check", None)]
    # what the list concerns is its title, read from the legal documents when the knowledge base holds it
    assert after["requirements"][0]["document_title"] is None
    assert after["risk"] == "unknown"  # the list grades nothing: not "low"


def test_six_digit_list_code_covers_an_eight_digit_product(shared_lists):
    got = look(shared_lists, ["84294030"], JULY)  # 8429.40 "Xe lu" in 49/2026/TT-BXD
    assert got["risk"] == "high"
    [req] = got["requirements"]
    assert (req["document"], req["hs_code"], req["product_hs_code"], req["ambiguous"]) == (
        "49/2026/TT-BXD", "842940", "84294030", False)
    four = look(shared_lists, ["87042100"], JULY)  # 8704 covers it: two items (I.A.5 and I.C.2)
    assert {r["item"] for r in four["requirements"]} == {"I.A.5", "I.C.2"}
    assert all(r["hs_code"] == "8704" and r["ambiguous"] for r in four["requirements"])


def test_a_short_product_code_meets_the_rows_under_it(shared_lists):
    got = look(shared_lists, ["4803"], JULY)
    assert {r["hs_code"] for r in got["requirements"]} >= {"48030030", "48030090"}
    assert all(r["hs_code"].startswith("4803") for r in got["requirements"])
    # "some line under 4803" may or may not be the product's line: each is a candidate, not a match
    assert all(r["narrower"] and r["ambiguous"] and not r["confirmed"] for r in got["requirements"])
    # a row as wide as or wider than the code is the product's for sure
    assert not any(r["narrower"] for r in look(shared_lists, ["84294030"], JULY)["requirements"])


def test_product_on_no_list_is_low_and_without_code_unknown(shared_lists):
    assert look(shared_lists, ["0101.21.00"], JULY) == {"on": JULY, "risk": "low", "requirements": []}
    assert look(shared_lists, [], JULY) == {"on": JULY, "risk": "unknown", "requirements": []}


def test_before_the_2026_lists_nothing_is_claimed(shared_lists):
    got = look(shared_lists, ["85171100"], date(2026, 6, 30))
    assert got == {"on": date(2026, 6, 30), "risk": "unknown", "requirements": []}
    assert look(shared_lists, ["85171100"], date(2026, 7, 1))["risk"] == "high"


def test_ambiguous_code_returns_every_item_unconfirmed(shared_lists):
    got = look(shared_lists, ["8517.14.00"], JULY)
    reqs = got["requirements"]
    assert got["risk"] == "high"
    assert {(r["annex"], r["item"]) for r in reqs} >= {("Phụ lục I", "1.1.11"), ("Phụ lục II", "3.1.2")}
    assert {r["risk"] for r in reqs} == {"high", "medium"}
    assert all(r["ambiguous"] and not r["confirmed"] and r["match"] == AMBIGUOUS for r in reqs)
    assert reqs[0]["risk"] == "high" and reqs[-1]["risk"] == "medium"  # highest first


def test_several_product_codes_each_matched(shared_lists):
    got = look(shared_lists, ["85171100", "48030030", "85171100"], JULY)
    assert got["risk"] == "high"
    assert [r["product_hs_code"] for r in got["requirements"]] == ["85171100", "48030030"]


def test_bad_product_code_is_bad_input(kbase):
    with kbase.session() as s, pytest.raises(BadInput, match="mã HS"):
        requirements_on(s, ["85A7"], JULY)


# --- Import ------------------------------------------------------------------------------------------


def test_bad_rows_reported_with_lines_good_rows_imported(any_kbase, tmp_path):
    path = write_csv(tmp_path / "list.csv", [
        ["8516.60.10", "Nồi cơm điện", "1", "Phụ lục II", "CONG_BO_HOP_QUY", "TRUNG_BINH", "", "", "12"],  # 2
        ["85A6", "Sai mã", "1", "Phụ lục II", "CONG_BO_HOP_QUY", "TRUNG_BINH", "", "", "12"],  # 3
        ["851660", "Dòng\nhai dòng", "1", "Phụ lục II", "KIEM_TRA_XYZ", "", "", "", "12"],  # 4-5
        ["851660", "Rủi ro lạ", "1", "Phụ lục II", "CONG_BO_HOP_QUY", "THAP", "", "", "12"],  # 6
        ["851660", "Trang lạ", "1", "Phụ lục II", "CONG_BO_HOP_QUY", "CAO", "", "", "mười"],  # 7
        ["8516", "Thiết bị điện gia dụng", "2", "Phụ lục I", "kiem tra chat luong", "cao", "trừ …", "", ""],  # 8
    ])
    report = import_risk_list(any_kbase, path, document="99/2026/TT-BKHCN", effective_from=date(2026, 7, 1))
    assert [line for line, _ in report.errors] == [3, 4, 6, 7]
    messages = dict(report.errors)
    assert "ma_hs" in messages[3] and "loai_tac_dong" in messages[4]
    assert "muc_rui_ro" in messages[6] and "trang" in messages[7]
    assert report.rows == 2
    with any_kbase.session() as s:
        rows = s.exec(select(RiskListRow).order_by(RiskListRow.line)).all()
    assert [(r.line, r.hs_code, r.control, r.risk, r.page) for r in rows] == [
        (2, "85166010", "conformity_declaration", "medium", 12), (8, "8516", "quality_inspection", "high", None)]


def test_missing_column_stops_with_one_message(kbase, tmp_path):
    path = write_csv(tmp_path / "list.csv", [["Nồi", "1"]], header=["mo_ta", "nhom"])
    with pytest.raises(Exception, match="thiếu cột bắt buộc ma_hs"):
        import_risk_list(kbase, path, document="99/2026/TT-BKHCN", effective_from=date(2026, 7, 1))


def test_reimport_changes_nothing_and_a_changed_file_replaces_rows(any_kbase, risk_lists_dir, tmp_path):
    path = risk_lists_dir / "49-2026-tt-bxd.csv"
    first = import_risk_list(any_kbase, path, document="49/2026/TT-BXD", effective_from=date(2026, 7, 1))
    with any_kbase.session() as s:
        ids = set(s.exec(select(RiskListRow.id)).all())
    events = count(any_kbase, AuditEvent)
    again = import_risk_list(any_kbase, path, document="49/2026/tt-bxd", effective_from=date(2026, 7, 1))
    assert (first.outcome, again.outcome, again.rows) == ("created", "unchanged", 64)
    with any_kbase.session() as s:
        assert set(s.exec(select(RiskListRow.id)).all()) == ids
        assert s.exec(select(RiskList)).one().version == 1
    assert count(any_kbase, AuditEvent) == events

    changed = write_csv(tmp_path / "49-fixed.csv", [
        ["8701.21", "Ô tô đầu kéo", "I.A.1", "Phụ lục I", "KIEM_TRA_CHAT_LUONG", "CAO", "", "", "3"]])
    replaced = import_risk_list(any_kbase, changed, document="49/2026/TT-BXD", effective_from=date(2026, 7, 1))
    assert (replaced.outcome, replaced.rows, count(any_kbase, RiskListRow)) == ("replaced", 1, 1)
    assert look(any_kbase, ["87042100"], JULY)["risk"] == "low"
    with any_kbase.session() as s:
        rl = s.exec(select(RiskList)).one()
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == risk.ENTITY)
                       .order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    assert (rl.version, rl.rows, rl.source_file) == (2, 1, "49-fixed.csv")
    assert event is not None and event.action == "update" and event.after["rows"] == 1


def _one_row_list(tmp_path: Path, name: str, code: str, risk_grade: str) -> Path:
    return write_csv(tmp_path / name, [
        [code, "Mũ bảo hiểm", "1", "Phụ lục I", "KIEM_TRA_CHAT_LUONG", risk_grade, "", "", "5"]])


def test_replacing_list_ends_the_old_one_the_day_before(any_kbase, tmp_path):
    old = _one_row_list(tmp_path, "old.csv", "65061010", "CAO")
    new = _one_row_list(tmp_path, "new.csv", "65061010", "TRUNG_BINH")
    import_risk_list(any_kbase, old, document="29/2025/TT-BKHCN", effective_from=date(2025, 1, 1))
    report = import_risk_list(any_kbase, new, document="36/2026/TT-BKHCN", effective_from=date(2026, 7, 1),
                              replaces=["29/2025/TT-BKHCN"])
    assert report.ended == ["29/2025/TT-BKHCN (2025-01-01 – 2026-06-30)"]
    june, july = look(any_kbase, ["65061010"], date(2026, 6, 30)), look(any_kbase, ["65061010"], date(2026, 7, 1))
    assert [(r["document"], r["risk"]) for r in june["requirements"]] == [("29/2025/TT-BKHCN", "high")]
    assert [(r["document"], r["risk"]) for r in july["requirements"]] == [("36/2026/TT-BKHCN", "medium")]
    with any_kbase.session() as s:
        ended = s.exec(select(AuditEvent).where(AuditEvent.summary.contains("hết áp dụng"))).one()  # type: ignore[union-attr]
    assert ended.after == {"effective_until": "2026-06-30"} and "36/2026/TT-BKHCN" in ended.summary
    # Importing the replacing list again ends nothing more.
    again = import_risk_list(any_kbase, new, document="36/2026/TT-BKHCN", effective_from=date(2026, 7, 1),
                             replaces=["29/2025/TT-BKHCN"])
    assert (again.outcome, again.ended) == ("unchanged", [])


def test_another_list_of_the_same_ministry_does_not_end_it(any_kbase, tmp_path):
    import_risk_list(any_kbase, _one_row_list(tmp_path, "a.csv", "65061010", "CAO"),
                     document="28/2026/TT-BCT", effective_from=date(2026, 7, 1))
    import_risk_list(any_kbase, _one_row_list(tmp_path, "b.csv", "48030030", "TRUNG_BINH"),
                     document="33/2026/TT-BCT", effective_from=date(2026, 8, 1))
    assert look(any_kbase, ["65061010"], date(2026, 9, 1))["risk"] == "high"


def test_same_document_from_a_later_date_ends_the_earlier(any_kbase, tmp_path):
    import_risk_list(any_kbase, _one_row_list(tmp_path, "a.csv", "65061010", "CAO"),
                     document="36/2026/TT-BKHCN", effective_from=date(2026, 7, 1))
    later = import_risk_list(any_kbase, _one_row_list(tmp_path, "b.csv", "65061010", "TRUNG_BINH"),
                             document="36/2026/TT-BKHCN", effective_from=date(2027, 1, 1))
    assert later.ended == ["36/2026/TT-BKHCN (2026-07-01 – 2026-12-31)"]
    assert look(any_kbase, ["65061010"], date(2026, 12, 31))["risk"] == "high"
    assert look(any_kbase, ["65061010"], date(2027, 1, 1))["risk"] == "medium"
    # An import dated between them is bounded by the later one.
    mid = import_risk_list(any_kbase, _one_row_list(tmp_path, "c.csv", "65061010", ""),
                           document="36/2026/TT-BKHCN", effective_from=date(2026, 10, 1))
    assert mid.effective_until == date(2026, 12, 31)
    assert look(any_kbase, ["65061010"], date(2026, 10, 1))["risk"] == "unknown"
    assert look(any_kbase, ["65061010"], date(2026, 9, 30))["risk"] == "high"


def test_replaces_an_unknown_document_or_bad_dates_refused(kbase, tmp_path):
    path = _one_row_list(tmp_path, "a.csv", "65061010", "CAO")
    with pytest.raises(BadInput, match="--replaces"):
        import_risk_list(kbase, path, document="36/2026/TT-BKHCN", effective_from=date(2026, 7, 1),
                         replaces=["1/2000/TT-XYZ"])
    with pytest.raises(BadInput, match="--effective-until"):
        import_risk_list(kbase, path, document="36/2026/TT-BKHCN", effective_from=date(2026, 7, 1),
                         effective_until=date(2026, 6, 1))
    assert count(kbase, RiskList) == 0


def test_xlsx_with_numeric_codes(kbase, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER[:-2] + ["trang"])  # no dan_chieu column
    ws.append([4012000, "Sữa", 1, "Phụ lục", "KIEM_TRA_ATTP", None, None, 7])  # 0401.20.00, zero lost
    ws.append([85166010, "Nồi cơm điện", 2, "Phụ lục", "CONG_BO_HOP_QUY", "TRUNG_BINH", None, 8])
    wb.save(tmp_path / "list.xlsx")
    report = import_risk_list(kbase, tmp_path / "list.xlsx", document="28/2026/TT-BCT", effective_from=date(2026, 7, 17))
    assert (report.rows, report.errors) == (2, [])
    got = look(kbase, ["04012000"], date(2026, 8, 1))
    assert [(r["hs_code"], r["control"], r["source_page"]) for r in got["requirements"]] == [
        ("04012000", "food_safety_check", 7)]


def test_document_key_and_issuer():
    # the legal documents' key: any spelling of the number is one document
    assert risk.document_key("36/2026/TT-BKHCN") == risk.document_key(" Thông tư 36/2026/tt-bkhcn ") \
        == legal.legal_key("36/2026/TT-BKHCN")
    with pytest.raises(BadInput, match="--document"):
        risk.document_key("danh mục mới")
    assert [risk.issuer_of(c) for c in ("36/2026/TT-BKHCN", "33/2026/TT-BCT", "37/2026/NĐ-CP", "2711/QĐ")] == [
        "BKHCN", "BCT", "CP", None]


def test_ambiguous_candidates_scored_by_the_products_words(shared_lists):
    with shared_lists.session() as s:
        got = requirements_on(s, ["85171400"], JULY, text="Máy điện thoại di động thông minh")
        single = requirements_on(s, ["85171100"], JULY, text="Máy điện thoại di động thông minh")
    medium = [r for r in got["requirements"] if r["risk"] == "medium"]
    assert medium[0]["description"] == "Máy điện thoại di động" and medium[0]["similarity"] >= 80
    assert all(medium[0]["similarity"] >= r["similarity"] for r in got["requirements"])
    assert "giống tên" in medium[0]["reasons"][0]
    assert "similarity" not in single["requirements"][0]  # one item: nothing to choose between


def test_service_without_a_file_hash_compares_the_rows(kbase):
    rows = [(2, {"ma_hs": "6506.10.10", "loai_tac_dong": "KIEM_TRA_CHAT_LUONG", "muc_rui_ro": "CAO"})]
    changed = [(2, {**rows[0][1], "muc_rui_ro": "TRUNG_BINH"})]
    outcomes = []
    for batch in (rows, rows, changed):
        with kbase.session() as s:
            outcomes.append(risk.import_list(s, batch, document="36/2026/TT-BKHCN",
                                             effective_from=date(2026, 7, 1)).outcome)
    assert outcomes == ["created", "unchanged", "replaced"]
    assert look(kbase, ["65061010"], JULY)["risk"] == "medium"


def test_page_cache_fingerprint_moves_with_every_list_change(kbase, tmp_path):
    from kb.fingerprint import PAGES, fingerprint

    def stamp() -> dict:
        with kbase.session() as s:
            return fingerprint(s, PAGES)

    seen = [stamp()]
    row = {"ma_hs": "65061010", "loai_tac_dong": "KIEM_TRA_CHAT_LUONG", "muc_rui_ro": "CAO"}
    # create, replace the rows, end the first with a later list
    for grade, start in (("CAO", date(2026, 7, 1)), ("", date(2026, 7, 1)), ("CAO", date(2027, 1, 1))):
        with kbase.session() as s:
            risk.import_list(s, [(2, {**row, "muc_rui_ro": grade})], document="36/2026/TT-BKHCN", effective_from=start)
        seen.append(stamp())
    assert all(a != b for a, b in zip(seen, seen[1:], strict=False))


def test_a_file_of_only_bad_rows_stores_no_list(kbase, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [["85X6", "Sai", "1", "Phụ lục", "KIEM_TRA_CHAT_LUONG", "", "", "", ""]])
    report = import_risk_list(kbase, path, document="36/2026/TT-BKHCN", effective_from=date(2026, 7, 1))
    assert ([line for line, _ in report.errors], report.list_id) == ([2], None)
    assert count(kbase, RiskList) == 0
    with pytest.raises(BadInput, match="không có dòng"):
        import_risk_list(kbase, write_csv(tmp_path / "empty.csv", []), document="36/2026/TT-BKHCN",
                         effective_from=date(2026, 7, 1))
