"""Curators' answers to "does this risk-list item apply to this product?" (issue 12, item 4): the service
(audited, versioned, refusing what names no listed item) and what ``requirements_on`` makes of the answers,
on SQLite and PostgreSQL. Small made-up lists, imported with kb.risk; one test on the shared lists."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from kb import hscodes, products, risk
from kb.errors import BadInput, Conflict, NotFound
from kb.models import AuditEvent, ProductCreate, RiskItemDecision
from kb.read.regulatory import AMBIGUOUS, BY_ELIMINATION, BY_HS, CONFIRMED, EXCLUDED, for_curator, requirements_on
from kb.risk_decisions import ENTITY, Candidate, clear, decide
from kb.versioning import StaleEdit
from tests.kb.test_risk import risk_lists_dir, shared_kbase  # noqa: F401 (fixtures)

DOC = "36/2026/TT-BKHCN"
START = date(2026, 7, 1)
JULY = date(2026, 7, 20)
ROW = {"mo_ta": "", "nhom": "", "phu_luc": "", "dieu_kien": "", "dan_chieu": "", "trang": "3", "muc_rui_ro": ""}
#: One code under two items (the 8517.14 case of the real lists) and a code under one item.
ROWS = [
    (2, {**ROW, "ma_hs": "8517.14", "mo_ta": "Thiết bị vô tuyến", "nhom": "1.1.11", "phu_luc": "Phụ lục I",
         "loai_tac_dong": "KIEM_TRA_CHAT_LUONG", "muc_rui_ro": "CAO"}),
    (3, {**ROW, "ma_hs": "8517.14.00", "mo_ta": "Máy điện thoại di động", "nhom": "3.1.2", "phu_luc": "Phụ lục II",
         "loai_tac_dong": "CONG_BO_HOP_QUY", "muc_rui_ro": "TRUNG_BINH"}),
    (4, {**ROW, "ma_hs": "8516.60", "mo_ta": "Nồi cơm điện", "loai_tac_dong": "CONG_BO_HOP_QUY",
         "muc_rui_ro": "TRUNG_BINH"}),  # no annex, no item: '' in the answer's key
]
RADIO = Candidate(DOC, "Phụ lục I", "1.1.11", "851714")
PHONE = Candidate("36/2026/tt-bkhcn", "Phụ lục II", "3.1.2", "8517.14.00")  # any spelling of the number
COOKER = Candidate(DOC, None, None, "851660")


@pytest.fixture
def world(any_kbase):
    with any_kbase.session() as s:
        risk.import_list(s, ROWS, document=DOC, effective_from=START)
        phone = products.upsert_product(s, ProductCreate(name="Điện thoại di động thông minh (mẫu)", is_sample=True), "t")[0]
        hscodes.add_codes(s, phone, hscodes.parse_codes("8517.14.00"), "t")
        cooker = products.upsert_product(s, ProductCreate(name="Nồi cơm điện (mẫu)", is_sample=True), "t")[0]
        hscodes.add_codes(s, cooker, hscodes.parse_codes("8516.60.10"), "t")
        return any_kbase, phone.id, cooker.id


def answer(kbase, pid, on=JULY):
    with kbase.session() as s:
        p = products.require_product(s, pid)
        return requirements_on(s, hscodes.product_codes(s, pid), on, text=p.name, product_id=pid)


def act(kbase, pid, fn, *args, **kw):
    with kbase.session() as s:
        event = fn(s, products.require_product(s, pid), *args, **kw)
        return None if event is None else (event.action, event.summary)


def by_item(ans, part="requirements"):
    return {r["item"]: r for r in ans[part]}


def test_unanswered_candidates_stay_ambiguous(world):
    kbase, phone, _ = world
    got = answer(kbase, phone)
    assert got["risk"] == "high" and got["excluded"] == []
    assert {(r["item"], r["ambiguous"], r["confirmed"], r["match"], r["decision"]) for r in got["requirements"]} == {
        ("1.1.11", True, False, AMBIGUOUS, None), ("3.1.2", True, False, AMBIGUOUS, None)}
    # without a product the answer keeps its old shape
    with kbase.session() as s:
        assert "excluded" not in requirements_on(s, ["85171400"], JULY)


def test_confirming_one_item_leaves_the_other_to_answer(world):
    kbase, phone, _ = world
    assert act(kbase, phone, decide, PHONE, True, "  Là điện thoại di động  ", "bien_tap") == (
        "approve", "Xác nhận mục 3.1.2, Phụ lục II của 36/2026/TT-BKHCN (mã HS 8517.14.00) áp dụng cho sản phẩm "
                   "Điện thoại di động thông minh (mẫu)")
    got = by_item(answer(kbase, phone))
    assert (got["3.1.2"]["confirmed"], got["3.1.2"]["ambiguous"], got["3.1.2"]["match"]) == (True, False, CONFIRMED)
    d = got["3.1.2"]["decision"]
    assert (d["applies"], d["note"], d["decided_by"], d["version"]) == (True, "Là điện thoại di động", "bien_tap", 1)
    assert d["decided_at"][:4] == str(date.today().year)
    # two ministries' lists may both apply: the radio item still needs its own answer
    assert (got["1.1.11"]["confirmed"], got["1.1.11"]["ambiguous"]) == (False, True)
    # answering the same again changes nothing and logs nothing
    assert act(kbase, phone, decide, PHONE, True, "Là điện thoại di động", "bien_tap", 1) is None


def test_excluding_an_item_takes_it_out_and_the_rest_counts_by_elimination(world):
    kbase, phone, _ = world
    action, summary = act(kbase, phone, decide, RADIO, False, "Không phát vô tuyến riêng", "bien_tap")
    assert action == "reject" and "mục 1.1.11, Phụ lục I của 36/2026/TT-BKHCN (mã HS 8517.14) không áp dụng" in summary
    got = answer(kbase, phone)
    assert got["risk"] == "medium"  # the high item no longer counts
    [left] = got["requirements"]
    assert (left["item"], left["ambiguous"], left["confirmed"], left["match"]) == ("3.1.2", False, False, BY_ELIMINATION)
    [out] = got["excluded"]
    assert (out["item"], out["match"], out["decision"]["note"]) == ("1.1.11", EXCLUDED, "Không phát vô tuyến riêng")
    # the curator's view is the same answer, plus nothing stale
    with kbase.session() as s:
        view = for_curator(s, products.require_product(s, phone), JULY)
    assert [r["item"] for r in view["excluded"]] == ["1.1.11"] and view["other_decisions"] == []


def test_excluding_every_item_leaves_the_product_low(world):
    kbase, phone, cooker = world
    act(kbase, phone, decide, RADIO, False, None, "bien_tap")
    act(kbase, phone, decide, PHONE, False, None, "bien_tap")
    got = answer(kbase, phone)
    assert (got["risk"], got["requirements"], len(got["excluded"])) == ("low", [], 2)
    # an item a code meets alone may be excluded too (a curator knows the product is not that item)
    assert by_item(answer(kbase, cooker))[None]["match"] == BY_HS
    act(kbase, cooker, decide, COOKER, False, "Nồi cơm gas, không dùng điện", "bien_tap")
    got = answer(kbase, cooker)
    assert (got["risk"], got["requirements"], got["excluded"][0]["hs_code"]) == ("low", [], "851660")
    # and the answers are per product: the phone's do not touch the cooker, nor the reverse
    with kbase.session() as s:
        assert len(s.exec(select(RiskItemDecision)).all()) == 3


def test_changing_an_answer_names_its_version(world):
    kbase, phone, _ = world
    act(kbase, phone, decide, PHONE, True, None, "an")
    # someone answered since this editor loaded the page (no version: "nobody had answered")
    with pytest.raises(StaleEdit) as stale:
        act(kbase, phone, decide, PHONE, False, None, "binh")
    assert stale.value.status == 409 and stale.value.current["applies"] is True
    with pytest.raises(StaleEdit):
        act(kbase, phone, decide, PHONE, False, None, "binh", 7)
    assert act(kbase, phone, decide, PHONE, False, "Nhầm", "binh", 1)[0] == "reject"
    d = by_item(answer(kbase, phone), "excluded")["3.1.2"]["decision"]
    assert (d["applies"], d["decided_by"], d["note"], d["version"]) == (False, "binh", "Nhầm", 2)
    # an answer withdrawn meanwhile cannot be changed at the version the editor saw
    act(kbase, phone, clear, PHONE, "an", 2)
    with pytest.raises(Conflict, match="đã bị người khác bỏ"):
        act(kbase, phone, decide, PHONE, True, None, "binh", 2)


def test_withdrawing_an_answer_makes_the_item_ambiguous_again(world):
    kbase, phone, _ = world
    act(kbase, phone, decide, RADIO, False, None, "an")
    with pytest.raises(StaleEdit):
        act(kbase, phone, clear, RADIO, "an", 5)
    action, summary = act(kbase, phone, clear, RADIO, "an", 1)
    assert action == "delete" and summary.startswith("Bỏ xác nhận mục 1.1.11, Phụ lục I của 36/2026/TT-BKHCN")
    got = answer(kbase, phone)
    assert got["excluded"] == [] and all(r["ambiguous"] for r in got["requirements"])
    with pytest.raises(NotFound, match="chưa có câu trả lời"):
        act(kbase, phone, clear, RADIO, "an")
    with pytest.raises(Conflict):
        act(kbase, phone, clear, RADIO, "an", 1)
    with kbase.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == ENTITY).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor) for e in events] == [("reject", "an"), ("delete", "an")]
    assert events[0].after["document_key"] == "36/2026/ttbkhcn" and events[1].before["item"] == "1.1.11"


@pytest.mark.parametrize("candidate, message", [
    (Candidate("36/2026/TT-BCT", "Phụ lục I", "1.1.11", "851714"), "không có danh mục nào đã nhập chứa"),
    (Candidate(DOC, "Phụ lục I", "9.9", "851714"), "không có danh mục nào đã nhập chứa"),
    (Candidate(DOC, "Phụ lục II", "1.1.11", "851714"), "không có danh mục nào đã nhập chứa"),
    (Candidate("danh mục mới", "Phụ lục I", "1.1.11", "851714"), "không phải số hiệu văn bản"),
    (Candidate("", "Phụ lục I", "1.1.11", "851714"), "thiếu số hiệu văn bản"),
    (Candidate(DOC, "Phụ lục I", "1.1.11", "85A7"), "không phải mã HS"),
    (Candidate(DOC, "Phụ lục I", "x" * 41, "851714"), "dài quá"),
    (COOKER, "không nêu mã HS nào đã duyệt của sản phẩm"),  # listed, but not under the phone's code
])
def test_bad_candidates_are_refused(world, candidate, message):
    kbase, phone, _ = world
    with pytest.raises(BadInput, match=message):
        act(kbase, phone, decide, candidate, True, None, "an")
    with kbase.session() as s:
        assert s.exec(select(RiskItemDecision)).all() == []


def test_a_long_note_is_refused(world):
    kbase, phone, _ = world
    with pytest.raises(BadInput, match="ghi chú dài quá"):
        act(kbase, phone, decide, PHONE, True, "x" * 2001, "an")


def test_an_answer_survives_a_reimport_and_holds_only_while_its_list_is_in_force(world):
    kbase, phone, _ = world
    act(kbase, phone, decide, RADIO, False, None, "an")
    with kbase.session() as s:  # the same document re-imported with a changed row: its rows are new rows
        risk.import_list(s, [*ROWS[:2], (4, {**ROWS[2][1], "trang": "4"})], document=DOC, effective_from=START)
    assert [r["item"] for r in answer(kbase, phone)["excluded"]] == ["1.1.11"]
    # before the list: nothing matched, the answer is kept and shown to curators as not matched that day
    with kbase.session() as s:
        view = for_curator(s, products.require_product(s, phone), date(2026, 6, 1))
    assert (view["risk"], view["excluded"]) == ("unknown", [])
    assert [(o["document"], o["item"], o["hs_code"], o["decision"]["applies"]) for o in view["other_decisions"]] == [
        (DOC, "1.1.11", "851714", False)]


@pytest.fixture
def shared_phone(shared_kbase):  # noqa: F811 (the imported fixture)
    with shared_kbase.session() as s:
        p = products.upsert_product(s, ProductCreate(name="Máy điện thoại di động thông minh (mẫu)", is_sample=True), "t")[0]
        hscodes.add_codes(s, p, hscodes.parse_codes("8517.14.00"), "t")
        return shared_kbase, p.id


def test_on_the_shared_lists_a_phone_confirmed_as_a_phone_is_medium(shared_phone):
    kbase, pid = shared_phone
    before = answer(kbase, pid)
    assert before["risk"] == "high" and all(r["ambiguous"] for r in before["requirements"])
    # an item may hold several rows of one code (3.4.1: "Thiết bị di động", "Thiết bị xách tay…"): one answer each
    items = {(r["document"], r["annex"], r["item"], r["hs_code"]): r["item"] == "3.1.2" for r in before["requirements"]}
    assert len(items) < len(before["requirements"])
    for identity, applies in items.items():
        act(kbase, pid, decide, Candidate(*identity), applies, None, "bien_tap")
    after = answer(kbase, pid)
    assert after["risk"] == "medium"
    assert [(r["item"], r["confirmed"], r["match"]) for r in after["requirements"]] == [("3.1.2", True, CONFIRMED)]
    assert {r["risk"] for r in after["excluded"]} == {"high", "medium"} and len(after["excluded"]) == len(before["requirements"]) - 1


def test_a_candidate_leads_to_a_route_only_once_confirmed(world):
    """The next steps say what must be done: a row the code alone cannot settle adds its route (hợp quy for
    the phone item) only after a curator confirms it; the quality inspection of the radio item stays out."""
    from kb.read.products import product_detail

    kbase, phone, _ = world

    def routes():
        with kbase.session() as s:
            return {step["kind"] for step in product_detail(s, phone, JULY)["next_steps"]}

    assert not routes() & {"hop_quy", "kiem_tra_chat_luong"}
    act(kbase, phone, decide, PHONE, True, None, "bien_tap")
    assert "hop_quy" in routes() and "kiem_tra_chat_luong" not in routes()
