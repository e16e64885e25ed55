"""Procedures as curated data (kb.procedures): the shipped defaults and their sources, which routes apply to a
product, the legal basis once, the unknown said to be unknown, and curators' versioned, audited edits."""

from __future__ import annotations

import ast
import csv
import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from ingest.importers import import_file
from kb import contacts, legal, procedures
from kb.errors import BadInput, NotFound
from kb.models import AuditEvent
from kb.read import products
from kb.text import split_items
from kb.versioning import StaleEdit
from tests.support.procedures import PROCEDURES_CSV, REPO, load_procedures
from tests.support.records import make_mapping, make_product, make_standard

FOOD_BASIS = "Luật An toàn thực phẩm số 55/2010/QH12; Nghị định 15/2018/NĐ-CP"
SHARED = REPO.parent / "shared"


# --- No legal text in code --------------------------------------------------------------------------------


def _string_literals(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string constant that is not a docstring (documentation may cite an example number)."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def test_no_legal_text_in_kb_code():
    """Procedures, their legal bases and any cited document number are data (data/standards, curators' edits),
    never string literals of kb/: a law that changes must not need a code change."""
    number = re.compile(r"\d+/\d{4}/[A-ZĐ]{2}")  # 28/2012/TT-…, 15/2018/NĐ-…, 55/2010/QH…
    phrases = ("hồ sơ công bố", "thông báo tiếp nhận", "sửa đổi bởi", "do ubnd", "ủy ban nhân dân tỉnh")
    found = []
    for path in sorted((REPO / "kb").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, value in _string_literals(ast.parse(path.read_text(encoding="utf-8"))):
            if number.search(value) or any(p in value.casefold() for p in phrases):
                found.append(f"{path.relative_to(REPO)}:{line}: {value[:80]!r}")
    assert not found, "legal text in code:\n" + "\n".join(found)


def test_the_check_catches_legal_text(tmp_path):
    """The guard above is not vacuous: the old next-step text would trip it."""
    old = 'NEXT = {"legal_basis": "Luật Tiêu chuẩn và Quy chuẩn kỹ thuật; Thông tư 28/2012/TT-BKHCN"}\n'
    assert any(re.search(r"\d+/\d{4}/[A-ZĐ]{2}", v) for _, v in _string_literals(ast.parse(old)))


# --- The shipped defaults ---------------------------------------------------------------------------------


def test_defaults_load_once_and_cover_every_route(kbase):
    load_procedures(kbase)
    again = import_file(kbase, "procedures", PROCEDURES_CSV, actor="test")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    with kbase.session() as s:
        stored = {p.key: p for p in procedures.list_procedures(s)}
        assert list(stored) == list(procedures.ROUTES)
        # nobody from DOST has reviewed them yet, and the project does not know the office or the fees
        assert all(p.reviewed_by is None and p.reviewed_at is None for p in stored.values())
        assert all(p.agency_key is None and p.fees is None for p in stored.values())
        assert stored["hop_quy"].steps and stored["hop_quy"].documents and stored["hop_chuan"].documents
        assert stored["tu_cong_bo"].steps == [] and stored["tu_cong_bo"].documents == []  # the corpus lacks them
        assert stored["hop_quy"].source.count("\n") == 2  # one source a line
        assert sum(1 for e in s.exec(select(AuditEvent).where(AuditEvent.entity == "procedure"))) == 4


def test_defaults_cite_only_what_the_shared_documents_hold():
    """Every source line names a shared file that exists, and every legal-basis code of a procedure is written
    in one of its source files: nothing is cited from memory."""
    if not (SHARED / "corpus" / "text").is_dir():
        pytest.skip(f"shared documents not found at {SHARED}")
    rows = list(csv.DictReader(PROCEDURES_CSV.read_text(encoding="utf-8").splitlines()))
    assert sorted(r["key"] for r in rows) == sorted(procedures.ROUTES)
    for row in rows:
        files = [REPO / line.split(":", 1)[0].strip() for line in row["source"].split(";")]
        assert all(f.is_file() for f in files), (row["key"], [str(f) for f in files if not f.is_file()])
        text = "\n".join(f.read_text(encoding="utf-8") for f in files)
        for code in split_items(row["legal_basis"]):
            assert code in text, (row["key"], code)
        # every document number the texts mention is in the sources too (summary, steps, documents, duration)
        for field in ("summary", "steps", "documents", "duration"):
            for m in legal.find_codes(row[field]):
                assert m.code in text, (row["key"], field, m.code)
        # a date from the 2026 regime is stated only with what the regulatory README says
        if "2026" in row["summary"]:
            readme = (SHARED / "regulatory" / "README.md").read_text(encoding="utf-8")
            assert "01/07/2026" in readme and "37/2026/NĐ-CP" in readme


# --- Which routes apply -----------------------------------------------------------------------------------


def _std(code: str, mapping_type: str, mandatory: bool, basis: str | None = None) -> dict:
    return {"code": code, "url": f"/standards/{code}", "mapping_type": mapping_type, "mandatory": mandatory,
            "legal_basis": basis}


def test_routes_follow_mappings_and_the_food_procedure_basis():
    regulation = _std("QCVN 16:2023/BXD", "mandatory", True, "Thông tư 04/2023/TT-BXD")
    food = _std("QCVN 8-2:2011/BYT", "hygiene", True, FOOD_BASIS)
    voluntary = _std("TCVN 1451:1998", "voluntary", False)
    method = _std("TCVN 7596:2007", "test_method", False)
    found = procedures.routes([regulation, food, voluntary, method], food_codes=["15/2018/NĐ-CP"])
    assert {k: [s["code"] for s in v] for k, v in found.items()} == {
        "hop_quy": ["QCVN 16:2023/BXD"], "tu_cong_bo": ["QCVN 8-2:2011/BYT"], "hop_chuan": ["TCVN 1451:1998"]}
    # the food-safety route is recognised by the documents its procedure cites (data), spelled any way
    assert list(procedures.routes([food], food_codes=["15/2018/nđ-cp"])) == ["tu_cong_bo"]
    assert list(procedures.routes([food], food_codes=[])) == ["hop_quy"]
    # a hygiene mapping to a voluntary standard is not a mandatory requirement (kb.reviews.is_mandatory)
    assert procedures.routes([_std("TCVN 5603:2008", "hygiene", False, FOOD_BASIS)], ["15/2018/NĐ-CP"]) == {}
    # a risk-list control adds its route even without a mapping
    assert list(procedures.routes([], [], controls=["quality_inspection", "food_safety_check"])) == [
        "kiem_tra_chat_luong"]


def test_legal_basis_once_by_document_number():
    once = procedures.legal_basis_once(
        ["55/2010/QH12", "15/2018/NĐ-CP"],
        [FOOD_BASIS, "Nghị định 15/2018/NĐ-CP", "Thông tư 02/2011/TT-BYT", "Thông tư 2/2011/TT-BYT", None,
         "Quy định của tỉnh", "quy định của tỉnh"])
    assert once == [
        {"code": "55/2010/QH12", "text": "Luật An toàn thực phẩm số 55/2010/QH12"},
        {"code": "15/2018/NĐ-CP", "text": "Nghị định 15/2018/NĐ-CP"},
        {"code": "02/2011/TT-BYT", "text": "Thông tư 02/2011/TT-BYT"},
        {"code": None, "text": "Quy định của tỉnh"},
    ]
    assert procedures.citation_key("Quyết định 148/QĐ-TTg") == procedures.citation_key("148/qđ-ttg")


# --- The card on the product page -------------------------------------------------------------------------


def _food_product(s):
    p = make_product(s, "Chả gà")
    std = make_standard(s, "QCVN 8-3:2012/BYT", title_vi="Ô nhiễm vi sinh vật trong thực phẩm", mandatory=True)
    make_mapping(s, p, std, "hygiene", legal_basis=FOOD_BASIS)
    return p


def test_card_comes_from_the_records_and_changes_with_them(kbase):
    load_procedures(kbase)
    with kbase.session() as s:
        pid = _food_product(s).id
        (step,) = products.product_detail(s, pid)["next_steps"]
    assert step["kind"] == "tu_cong_bo" and step["recorded"] is True
    assert step["title"] == "Tự công bố sản phẩm thực phẩm"
    assert [x["code"] for x in step["standards"]] == ["QCVN 8-3:2012/BYT"]
    assert [lb["code"] for lb in step["legal_basis"]] == ["55/2010/QH12", "15/2018/NĐ-CP"]  # once, not twice
    with kbase.session() as s:
        proc = procedures.require_procedure(s, "tu_cong_bo")
        procedures.review_procedure(s, "tu_cong_bo", {"steps": ["Bước một", "Bước hai"], "fees": "Không thu phí",
                                                      "title": "Tự công bố (đã rà soát)"},
                                    "curator1", proc.version, today=date(2026, 12, 1))
    with kbase.session() as s:
        (step,) = products.product_detail(s, pid)["next_steps"]
    assert step["title"] == "Tự công bố (đã rà soát)" and step["steps"] == ["Bước một", "Bước hai"]
    assert step["fees"] == "Không thu phí"
    assert (step["reviewed_by"], step["reviewed_at"]) == ("curator1", "2026-12-01")


def test_unknown_fields_are_empty_and_point_to_dost(kbase):
    load_procedures(kbase)
    with kbase.session() as s:
        contacts.upsert_agency(s, contacts.DOST, {"name": "Sở Khoa học và Công nghệ tỉnh Bắc Ninh",
                                                  "phone": "0222 000 0000"}, "test")
        pid = _food_product(s).id
        (step,) = products.product_detail(s, pid)["next_steps"]
    assert step["steps"] == [] and step["documents"] == []
    assert step["fees"] is None and step["duration"] is None and step["agency"] is None
    assert step["contact"]["key"] == "dost" and step["contact"]["phone"] == "0222 000 0000"
    assert step["contact_missing"] == ["đơn vị tiếp nhận", "địa chỉ", "thư điện tử", "trang web"]


def test_a_named_office_replaces_the_dost_pointer_once_it_has_a_contact(kbase):
    load_procedures(kbase)
    with kbase.session() as s:
        contacts.upsert_agency(s, contacts.DOST, {"name": "Sở Khoa học và Công nghệ tỉnh Bắc Ninh"}, "test")
        contacts.upsert_agency(s, "chi-cuc", {"name": "Phòng tiếp nhận mẫu"}, "test")
        p = make_product(s, "Gạch Đông Ngàn", kind="key", ocop_stars=None)
        make_mapping(s, p, make_standard(s, "TCVN 1451:1998"), "voluntary")
        procedures.upsert_procedure(s, "hop_chuan", {"agency_key": "chi-cuc", "title": "Công bố hợp chuẩn"}, "test")
        (step,) = products.product_detail(s, p.id)["next_steps"]
        assert step["agency"]["name"] == "Phòng tiếp nhận mẫu" and step["contact"]["key"] == "dost"  # no contact yet
        contacts.upsert_agency(s, "chi-cuc", {"name": "Phòng tiếp nhận mẫu", "phone": "0222 111 1111"}, "test")
        (step,) = products.product_detail(s, p.id)["next_steps"]
    assert step["agency"]["phone"] == "0222 111 1111" and step["contact"] is None
    assert "số điện thoại" not in step["agency_missing"]


def test_a_route_without_a_record_is_named_and_says_nothing_more(kbase):
    with kbase.session() as s:
        p = make_product(s, "Gạch Đông Ngàn", kind="key", ocop_stars=None)
        make_mapping(s, p, make_standard(s, "TCVN 1451:1998"), "voluntary",
                     legal_basis="Luật Chất lượng sản phẩm, hàng hóa số 05/2007/QH12")
        (step,) = products.product_detail(s, p.id)["next_steps"]
    assert step["recorded"] is False and step["title"] == procedures.ROUTES["hop_chuan"]
    assert step["summary"] is None and step["steps"] == [] and step["source"] is None
    assert step["legal_basis"] == [{"code": "05/2007/QH12", "text": "Luật Chất lượng sản phẩm, hàng hóa số 05/2007/QH12"}]
    assert step["contact"] is None  # no DOST record either: the page says so


# --- Parsing, saving, conflicts ---------------------------------------------------------------------------


@pytest.mark.parametrize("data, field", [
    ({"key": "Hợp quy", "title": "x"}, "key"),
    ({"key": "hop_quy", "title": ""}, "title"),
    ({"key": "hop_quy", "title": "x", "legal_basis": "Thông tư hai mươi tám"}, "legal_basis"),
    ({"key": "hop_quy", "title": "x", "reviewed_at": "01/13/2026"}, "reviewed_at"),
    ({"key": "hop_quy", "title": "x" * 301}, "title"),
])
def test_bad_input_names_its_field(data, field):
    with pytest.raises(BadInput) as exc:
        procedures.parse_procedure(data)
    assert exc.value.message.startswith(field + ":")


def test_parse_keeps_lines_and_cleans_them():
    key, fields = procedures.parse_procedure({
        "key": " HOP_QUY ", "title": "  Công bố  hợp quy ", "steps": "Bước 1\n\n  Bước 2  \nBước 1",
        "documents": "A; B", "legal_basis": "28/2012/TT-BKHCN\n148/QĐ-TTg\n15/2018/nđ-cp", "source": "tệp A: Điều 1\ntệp B: Điều 2",
        "agency_key": "", "reviewed_at": "2026-12-01"})
    assert key == "hop_quy" and fields["title"] == "Công bố hợp quy"
    assert fields["steps"] == ["Bước 1", "Bước 2"] and fields["documents"] == ["A", "B"]
    assert fields["legal_basis"] == ["28/2012/TT-BKHCN", "148/QĐ-TTg", "15/2018/NĐ-CP"]
    assert fields["source"] == "tệp A: Điều 1\ntệp B: Điều 2"
    assert fields["agency_key"] is None and fields["reviewed_at"] == date(2026, 12, 1)


def test_unknown_agency_is_refused(kbase):
    with kbase.session() as s, pytest.raises(BadInput, match="agency_key"):
        procedures.upsert_procedure(s, "hop_quy", {"title": "x", "agency_key": "khong-co"}, "test")


def test_curator_save_is_versioned_and_audited(kbase):
    load_procedures(kbase)
    with kbase.session() as s:
        v = procedures.require_procedure(s, "hop_quy").version
        procedures.review_procedure(s, "hop_quy", {"title": "Công bố hợp quy", "fees": "Theo biểu phí"}, "curator1", v)
    with kbase.session() as s:
        proc = procedures.require_procedure(s, "hop_quy")
        assert proc.version == v + 1 and proc.reviewed_by == "curator1" and proc.reviewed_at == date.today()
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "procedure", AuditEvent.action == "update")).one()
        assert event.actor == "curator1" and event.before["fees"] is None and event.after["fees"] == "Theo biểu phí"
        # a second editor still holding version v loses, with what changed since
        with pytest.raises(StaleEdit) as exc:
            procedures.review_procedure(s, "hop_quy", {"title": "Công bố hợp quy", "fees": "Miễn phí"}, "curator2", v)
        assert exc.value.status == 409 and exc.value.changed["fees"] == {"yours": "Miễn phí", "current": "Theo biểu phí"}
        # a "new" form for a record someone has created meanwhile is stale too
        with pytest.raises(StaleEdit):
            procedures.review_procedure(s, "hop_quy", {"title": "x"}, "curator2", None)
        with pytest.raises(NotFound):
            procedures.review_procedure(s, "hop_chuan_khac", {"title": "x"}, "curator2", 3)


def test_import_reports_bad_rows_with_their_line(kbase, tmp_path: Path):
    f = tmp_path / "procedures.csv"
    f.write_text("key,title,steps,legal_basis,agency_key\n"
                 "hop_quy,Công bố hợp quy,Bước 1; Bước 2,28/2012/TT-BKHCN,\n"
                 "hop_chuan,Công bố hợp chuẩn,,Thông tư,\n"
                 "tu_cong_bo,Tự công bố,,,khong-co\n", encoding="utf-8")
    report = import_file(kbase, "procedures", f, actor="test")
    assert report.created == 1 and [line for line, _ in report.errors] == [3, 4]
    assert "legal_basis" in report.errors[0][1] and "agency_key" in report.errors[1][1]


def test_a_curator_edit_can_be_reverted_from_the_log(kbase):
    from kb.versioning import revert_event

    load_procedures(kbase)
    with kbase.session() as s:
        v = procedures.require_procedure(s, "hop_chuan").version
        procedures.review_procedure(s, "hop_chuan", {"title": "Công bố hợp chuẩn", "steps": ["Một bước"]}, "curator1", v)
    with kbase.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "procedure", AuditEvent.action == "update")).one()
        revert_event(s, event.id, "curator2")
    with kbase.session() as s:
        proc = procedures.require_procedure(s, "hop_chuan")
        assert len(proc.steps) == 4 and proc.reviewed_by is None and proc.title == "Công bố hợp chuẩn (tự nguyện)"
