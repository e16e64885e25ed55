"""The document review queue page end to end through its HTML forms (parsed, not grepped): filters and
counts, paging, the confirmation that names the count, the no-JavaScript bulk flow and the notice that
names what changed; who may use it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlmodel import select

from kb import proposals, standards
from kb.models import AuditEvent, Standard
from tests.support.accounts import client_for, make_app, seed
from tests.support.review_queue import build_review_queue, ingested

REVIEW = "/curate/review"
MAT_ONG, QCVN, TCCS = "TCVN 5001:2020", "QCVN 2:2021/BYT", "TCCS 3:2024/ABC"


def html(r) -> LexborHTMLParser:
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return LexborHTMLParser(r.text)


def listed(page: LexborHTMLParser) -> list[str]:
    return sorted(th.text().strip() for th in page.css("#review tbody th"))


def notice(page: LexborHTMLParser) -> str | None:
    node = page.css_first("[role=status]")
    return node.text().strip() if node else None


def fields_of(form) -> list[tuple[str, str]]:
    return [(i.attributes["name"], i.attributes.get("value") or "") for i in form.css("input[name]")
            if i.attributes.get("type") != "checkbox"]


def multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


@pytest.fixture(params=["sqlite", "postgres"])
def store(request):
    """The same page on SQLite and on PostgreSQL (skipped with its reason when no server answers)."""
    return request.getfixturevalue("kbase" if request.param == "sqlite" else "pg_kbase")


@pytest.fixture
def world(store):
    seed(store)  # accounts (and one imported standard, never in the queue)
    return build_review_queue(store)


@pytest.fixture
def curator(store, world):
    return client_for(make_app(store), "curator")


def test_filters_narrow_the_documents_keep_their_values_and_show_counts(curator, world):
    page = html(curator.get(REVIEW))
    assert listed(page) == sorted([MAT_ONG, QCVN, TCCS])
    assert page.css_first("#review-count").text() == "3 / 3"
    assert "3 / 3 tài liệu" in page.css_first("#documents").text()
    labels = {lab.attributes["for"]: lab.text() for lab in page.css("#review-filter label")}
    assert labels == {"f-text": "Ký hiệu hoặc tên", "f-doc-type": "Loại văn bản", "f-source": "Tệp hoặc lần nạp (#số)",
                      "f-level": "Độ tin cậy thấp nhất", "f-pending": "Trường chưa xác nhận"}
    assert [o.text() for o in page.css("#f-level option")] == ["Tất cả", "cần kiểm tra", "khá chắc", "chắc chắn"]
    assert "Tên tiếng Việt" in [o.text() for o in page.css("#f-pending option")]
    assert [o.attributes["value"] for o in page.css("#f-doc-type option")] == ["", "QCVN", "TCCS", "TCVN"]

    page = html(curator.get(REVIEW, params={"text": "dau", "level": "check"}))
    assert listed(page) == [TCCS] and page.css_first("#review-count").text() == "1 / 3"
    assert page.css_first("#f-text").attributes["value"] == "dau"
    assert "selected" in page.css_first('#f-level option[value="check"]').attributes
    assert listed(html(curator.get(REVIEW, params={"source": "mat-ong"}))) == [MAT_ONG]
    assert listed(html(curator.get(REVIEW, params={"source": f"#{world.runs[1]}"}))) == [TCCS]
    assert listed(html(curator.get(REVIEW, params={"pending": "edition", "doc_type": "QCVN"}))) == [QCVN]
    # each row says how sure its least sure field is, and how many fields are sure
    row = html(curator.get(REVIEW, params={"text": "5001"})).css_first("#review tbody tr")
    assert row.css_first(".level").text() == "cần kiểm tra"
    assert row.css_first(".unconfirmed").text().strip() == \
        "3 trường chưa xác nhận: Ký hiệu, Tên tiếng Việt, Phạm vi áp dụng (1 chắc chắn)"
    empty = html(curator.get(REVIEW, params={"text": "không có"}))
    assert listed(empty) == [] and "Không có tài liệu nào khớp bộ lọc" in empty.css_first("#review tbody").text()


def test_a_bad_filter_comes_back_with_a_vietnamese_message(curator):
    r = curator.get(REVIEW, params={"level": "cao", "text": "mật"})
    assert r.status_code == 400
    page = html(r)
    assert "mức độ tin cậy" in page.css_first("[role=alert]").text()
    assert page.css_first("#f-text").attributes["value"] == "mật" and listed(page) == []


def test_proposals_are_filtered_by_text_and_confidence(store, curator, world):
    with store.session() as s:
        for target, conf in (("TCVN 7001:2020", 0.9), ("TCVN 7002:2020", 0.3)):
            proposals.propose(s, document_id=None, entity="standard", entity_id=None, target=target,
                              values={"fields": {"title_vi": "Tên"}}, rows=None,
                              diff=[{"field": "title_vi", "current": None, "proposed": "Tên"}], confidence=conf,
                              reason="độ tin cậy thấp", actor="test")
    page = html(curator.get(REVIEW, params={"level": "sure"}))
    assert [th.text().split()[:2] for th in page.css("#proposal-queue tbody th")] == [["TCVN", "7001:2020"]]
    assert page.css_first("#proposal-count").text() == "1 / 2"
    page = html(curator.get(REVIEW, params={"text": "7002"}))
    assert [th.text().split()[:2] for th in page.css("#proposal-queue tbody th")] == [["TCVN", "7002:2020"]]


def test_no_javascript_flow_select_confirm_apply_and_the_notice_names_what_changed(store, curator, world):
    queue = html(curator.get(REVIEW, params={"doc_type": "TCVN"}))
    queue_all = html(curator.get(REVIEW))
    bulk = queue.css_first("form#bulk")
    boxes = [i for i in queue_all.css('input[name="ids"]') if i.attributes.get("form") == "bulk"]
    assert len(boxes) == 3
    # the browser sends the checked boxes with the bulk form
    params = [*fields_of(bulk), *[("ids", b.attributes["value"]) for b in boxes]]
    confirm = html(curator.get(bulk.attributes["action"], params=params))
    assert confirm.css_first("h1").text() == "Xác nhận 4 trường chắc chắn của 2 tài liệu?"
    rows = {tr.css_first("th").text(): tr for tr in confirm.css("#confirm-list tbody tr")}
    assert sorted(rows) == sorted([MAT_ONG, QCVN])
    assert rows[MAT_ONG].css("td")[0].text() == "Ký hiệu"
    assert rows[MAT_ONG].css("td")[1].text() == "Tên tiếng Việt (khá chắc), Phạm vi áp dụng (cần kiểm tra)"
    assert TCCS in confirm.css_first("#nothing-sure").text()
    with store.session() as s:  # nothing changed yet
        assert not s.get(Standard, world.ids[QCVN]).provenance["code"].get("verified")
    form = confirm.css_first("#confirm-form")
    assert form.attributes["method"] == "post"
    r = curator.post(form.attributes["action"], data=multi(fields_of(form)), follow_redirects=False)
    assert r.status_code == 303
    landed = urlsplit(r.headers["location"])
    assert landed.path == REVIEW and parse_qs(landed.query)["doc_type"] == ["TCVN"]  # back to the same view
    after = html(curator.get(r.headers["location"]))
    assert notice(after) in (f"Đã xác nhận 4 trường chắc chắn của 2 tài liệu: {MAT_ONG}, {QCVN}.",
                             f"Đã xác nhận 4 trường chắc chắn của 2 tài liệu: {QCVN}, {MAT_ONG}.")
    assert listed(after) == [MAT_ONG]  # the TCVN view: the title and scope still wait
    with store.session() as s:
        assert standards.unconfirmed_fields(s.get(Standard, world.ids[QCVN])) == []
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "standard", AuditEvent.actor == "curator")).all()
        assert sorted(e.entity_id for e in events) == sorted([world.ids[MAT_ONG], world.ids[QCVN]])
    # another curator following the same link is not told it was theirs
    assert notice(html(client_for(curator.app, "admin").get(r.headers["location"]))) is None


def test_select_all_by_filter_covers_every_matching_document(curator, world):
    queue = html(curator.get(REVIEW, params={"level": "sure"}))
    bulk = queue.css_first("form#bulk")
    assert bulk.css_first("#select-all").attributes["name"] == "scope"
    confirm = html(curator.get(bulk.attributes["action"], params=[*fields_of(bulk), ("scope", "all")]))
    assert confirm.css_first("h1").text() == "Xác nhận 3 trường chắc chắn của 1 tài liệu?"
    assert [tr.css_first("th").text() for tr in confirm.css("#confirm-list tbody tr")] == [QCVN]
    r = curator.post("/curate/review/bulk", data=multi(fields_of(confirm.css_first("#confirm-form"))))
    assert notice(html(r)) == f"Đã xác nhận 3 trường chắc chắn của 1 tài liệu: {QCVN}."


def test_a_stale_document_is_named_and_left_whole(store, curator, world):
    confirm = html(curator.get(f"{REVIEW}/bulk", params=[("ids", world.ids[MAT_ONG]), ("ids", world.ids[QCVN])]))
    form = confirm.css_first("#confirm-form")
    with store.session() as s:  # someone confirms the QCVN's title meanwhile
        std = s.get(Standard, world.ids[QCVN])
        standards.review_standard(s, std.id, standards.parse_corrections({}), std.version, "admin", ["title_vi"])
    text = notice(html(curator.post(form.attributes["action"], data=multi(fields_of(form)))))
    assert text == (f"Đã xác nhận 1 trường chắc chắn của 1 tài liệu: {MAT_ONG}. Giữ nguyên 1 tài liệu vì đã có "
                    f"người sửa sau khi trang xác nhận được mở: {QCVN}.")
    with store.session() as s:
        assert not s.get(Standard, world.ids[QCVN]).provenance["code"].get("verified")


def test_the_confirmation_refuses_what_it_cannot_confirm(curator, world):
    nothing = curator.get(f"{REVIEW}/bulk")
    assert nothing.status_code == 400 and "Chưa chọn" in html(nothing).css_first("[role=alert]").text()
    none_sure = html(curator.get(f"{REVIEW}/bulk", params={"ids": world.ids[TCCS]}))
    assert none_sure.css_first("#confirm-form") is None and TCCS in none_sure.css_first("#nothing-sure").text()
    assert curator.get(f"{REVIEW}/bulk", params={"scope": "all", "level": "x"}).status_code == 400
    assert curator.post(f"{REVIEW}/bulk", data={"items": ["1:x"]}).status_code == 400
    assert curator.post(f"{REVIEW}/bulk", data={}).status_code == 400


def test_thousands_of_documents_come_in_pages(store, curator, world):
    with store.session() as s:
        for i in range(110):
            ingested(s, f"TCVN {20000 + i}:2020", f"lo-{i}.pdf", world.runs[0], f"Tài liệu thử {i}", {"scope": 0.9})
    page = html(curator.get(REVIEW))
    assert len(page.css("#review tbody tr")) == 50 and page.css_first("#review-count").text() == "113 / 113"
    assert "Trang 1/3" in page.css_first("nav.pager").text()
    last = html(curator.get(page.css_first("nav.pager a[rel=next]").attributes["href"].replace("page=2", "page=3")))
    assert len(last.css("#review tbody tr")) == 13
    filtered = html(curator.get(REVIEW, params={"source": "lo-1", "page": 1}))
    assert filtered.css_first("#review-count").text() == "21 / 113"  # lo-1, lo-10..19, lo-100..109


def test_only_curators_see_or_change_the_queue(store, world):
    app = make_app(store)
    lab, anon = client_for(app, "lab_a"), client_for(app, None)
    for url in (REVIEW, f"{REVIEW}/bulk?ids={world.ids[QCVN]}"):
        assert lab.get(url).status_code == 403
        assert anon.get(url, follow_redirects=False).status_code == 303  # to the login form
    assert lab.post(f"{REVIEW}/bulk", data={"items": [f"{world.ids[QCVN]}:1"]}).status_code == 403
    cross = client_for(app, "curator").post(f"{REVIEW}/bulk", data={"items": [f"{world.ids[QCVN]}:1"]},
                                            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    with store.session() as s:
        assert not s.get(Standard, world.ids[QCVN]).provenance["code"].get("verified")
