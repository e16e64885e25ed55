"""The next-step card and the printed checklist built from procedure records, their JSON twin, and the
curator's procedure pages (versioned, audited, CSRF, roles)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlmodel import select

from kb import contacts, procedures
from kb.models import AuditEvent
from tests.support.accounts import client_for, make_app, seed
from tests.support.procedures import load_procedures
from tests.support.records import make_mapping, make_product, make_standard, text

XSS = '<script>alert("x")</script>'


def _world(kbase) -> dict[str, int]:
    """Accounts, the shipped procedures, DOST with a phone only, and three products: a regulated one (hợp
    quy), a food (tự công bố) and a voluntary one (hợp chuẩn)."""
    seed(kbase)
    load_procedures(kbase)
    with kbase.session() as s:
        contacts.upsert_agency(s, contacts.DOST, {"name": "Sở Khoa học và Công nghệ tỉnh Bắc Ninh",
                                                  "phone": "0222 000 0000"}, "test")
        steel = make_product(s, "Thép Đa Hội", kind="key", ocop_stars=None)
        make_mapping(s, steel, make_standard(s, "QCVN 7:2019/BKHCN", mandatory=True), "mandatory",
                     legal_basis="Luật Tiêu chuẩn và Quy chuẩn kỹ thuật số 68/2006/QH11; Thông tư 28/2012/TT-BKHCN")
        food = make_product(s, "Chả gà")
        make_mapping(s, food, make_standard(s, "QCVN 8-3:2012/BYT", mandatory=True), "hygiene",
                     legal_basis="Luật An toàn thực phẩm số 55/2010/QH12; Nghị định 15/2018/NĐ-CP")
        brick = make_product(s, "Gạch Đông Ngàn", kind="key", ocop_stars=None)
        make_mapping(s, brick, make_standard(s, "TCVN 1451:1998"), "voluntary")
        return {"steel": steel.id, "food": food.id, "brick": brick.id}


def _card(client, pid: int):
    return HTMLParser(client.get(f"/products/{pid}").text).css_first("#viec-can-lam")


def test_card_shows_the_procedure_record_with_the_basis_once(kbase):
    ids = _world(kbase)
    public = client_for(make_app(kbase), None)
    card = _card(public, ids["steel"])
    (step,) = card.css("li.step")
    assert step.attributes["data-step"] == "hop_quy" and text(step.css_first("h3")) == "Công bố hợp quy"
    assert len(step.css("ol.procedure-steps li")) == 6 and len(step.css("ul.documents li")) == 3
    # the procedure's basis and the mapping's, each document once (the mapping's fuller citation kept)
    codes = [n.attributes["data-code"] for n in step.css(".legal-basis .legal-ref")]
    assert len(codes) == len(set(codes)) and codes[:2] == ["68/2006/QH11", "127/2007/NĐ-CP"]
    assert "Luật Tiêu chuẩn và Quy chuẩn kỹ thuật số 68/2006/QH11" in text(step.css_first(".legal-basis"))
    assert text(step).count("28/2012/TT-BKHCN") >= 1 and text(step.css_first(".legal-basis")).count("28/2012/TT-BKHCN") == 1
    # where to file: not verified, so it says so and gives DOST's contact (only what is verified)
    where = step.css_first(".where")
    assert where.css_first('[data-unknown="agency"]') is not None
    assert where.css_first(".ask").attributes["data-agency"] == "dost"
    assert where.css_first("a[href='tel:02220000000']") is not None
    assert "Chưa có đơn vị tiếp nhận, địa chỉ, thư điện tử, trang web đã xác minh" in text(where)
    assert text(step.css_first('[data-unknown="fees"]')) == "Chưa có thông tin."
    assert step.css_first('[data-unknown="duration"]') is None  # the circular states the time
    assert "Chưa được cán bộ Sở rà soát" in text(step.css_first(".provenance"))
    assert "19_8_Tiêu_chuẩn_và_quy_chuẩn_kỹ_thuật.md" in text(step.css_first(".provenance .source"))


def test_food_and_voluntary_routes_and_what_is_unknown(kbase):
    ids = _world(kbase)
    public = client_for(make_app(kbase), None)
    (food,) = _card(public, ids["food"]).css("li.step")
    assert food.attributes["data-step"] == "tu_cong_bo"
    for unknown in ("steps", "documents", "agency", "fees", "duration"):
        assert food.css_first(f'[data-unknown="{unknown}"]') is not None, unknown
    (brick,) = _card(public, ids["brick"]).css("li.step")
    assert brick.attributes["data-step"] == "hop_chuan" and len(brick.css("ul.documents li")) == 6


def test_printed_checklist_carries_date_and_source_address(kbase):
    ids = _world(kbase)
    tree = HTMLParser(client_for(make_app(kbase), None).get(f"/products/{ids['steel']}").text)
    printed = tree.css_first("p.print-only.print-source")
    assert "in ngày" in text(printed) and f"/products/{ids['steel']}" in text(printed)
    assert tree.css_first("#viec-can-lam ul.documents.checklist") is not None  # ☐ per document in print
    css = client_for(make_app(kbase), None).get("/static/site.css").text
    assert ".checklist li::before" in css


def test_json_next_steps_carry_the_same_fields(kbase):
    ids = _world(kbase)
    data = client_for(make_app(kbase), None).get(f"/api/products/{ids['food']}").json()
    (step,) = data["next_steps"]
    assert step["kind"] == "tu_cong_bo" and step["recorded"] is True
    assert (step["steps"], step["documents"], step["fees"], step["duration"], step["agency"]) == ([], [], None, None, None)
    assert step["contact"]["name"] == "Sở Khoa học và Công nghệ tỉnh Bắc Ninh" and step["contact"]["phone"] == "0222 000 0000"
    assert [lb["code"] for lb in step["legal_basis"]] == ["55/2010/QH12", "15/2018/NĐ-CP"]
    assert step["source"].startswith("../shared/corpus/text/45_1_An_toàn_thực_phẩm.md")
    assert step["reviewed_at"] is None and step["reviewed_by"] is None
    schema = client_for(make_app(kbase), None).get("/openapi.json").json()["components"]["schemas"]
    assert {"steps", "documents", "agency", "contact", "fees", "duration", "legal_basis", "source",
            "reviewed_at", "reviewed_by"} <= set(schema["NextStep"]["properties"])


def _form(page) -> dict[str, str]:
    form = HTMLParser(page.text).css_first("form#procedure-form")
    values = {n.attributes["name"]: n.attributes.get("value") or "" for n in form.css("input")}
    values.update({n.attributes["name"]: n.text() for n in form.css("textarea")})
    sel = form.css_first("select[name=agency_key] option[selected]")
    values["agency_key"] = sel.attributes.get("value", "") if sel else ""
    return values


def test_curator_edit_changes_the_page_and_is_audited(kbase):
    ids = _world(kbase)
    app = make_app(kbase)
    curator, public = client_for(app, "curator"), client_for(app, None)
    before = public.get(f"/products/{ids['food']}").text  # cached from here on until the data change
    listing = HTMLParser(curator.get("/curate/procedures").text)
    assert [r.attributes["data-key"] for r in listing.css("#procedures tbody tr")] == list(procedures.ROUTES)
    form = _form(curator.get("/curate/procedures/tu_cong_bo"))
    assert form["version"] == "1" and form["legal_basis"] == "55/2010/QH12\n15/2018/NĐ-CP"
    form.update(steps="Kiểm nghiệm sản phẩm\nĐăng bản tự công bố", documents="Phiếu kết quả kiểm nghiệm",
                fees="Không thu phí", title=f"Tự công bố {XSS}")
    r = curator.post("/curate/procedures/tu_cong_bo", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/curate/procedures/tu_cong_bo?ok=saved"
    after = public.get(f"/products/{ids['food']}")
    assert after.text != before and XSS not in after.text
    (step,) = HTMLParser(after.text).css("#viec-can-lam li.step")
    assert [text(li) for li in step.css("ol.procedure-steps li")] == ["Kiểm nghiệm sản phẩm", "Đăng bản tự công bố"]
    assert text(step.css_first("h3")) == f"Tự công bố {XSS}"
    assert step.css_first('[data-unknown="fees"]') is None and step.css_first('[data-unknown="steps"]') is None
    assert "bởi curator" in text(step.css_first(".provenance"))
    with kbase.session() as s:
        proc = procedures.require_procedure(s, "tu_cong_bo")
        assert proc.version == 2 and proc.reviewed_by == "curator" and proc.legal_basis == ["55/2010/QH12", "15/2018/NĐ-CP"]
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "procedure", AuditEvent.action == "update")).all()
        assert [e.actor for e in events] == ["curator"]
    history = HTMLParser(curator.get("/curate/procedures/tu_cong_bo").text).css("#events > tbody > tr")
    assert len(history) == 2  # created by the import, updated by the curator


def test_stale_bad_and_cross_site_edits_are_refused(kbase):
    _world(kbase)
    app = make_app(kbase)
    first, second = client_for(app, "curator"), client_for(app, "admin")
    form_a = _form(first.get("/curate/procedures/hop_quy"))
    form_b = _form(second.get("/curate/procedures/hop_quy"))
    assert first.post("/curate/procedures/hop_quy", data={**form_a, "fees": "A"}, follow_redirects=False).status_code == 303
    stale = second.post("/curate/procedures/hop_quy", data={**form_b, "fees": "B"})
    assert stale.status_code == 409
    tree = HTMLParser(stale.text)
    assert tree.css_first('#conflict-title') is not None and tree.css_first('th[data-field="fees"]') is not None
    assert _form(stale)["version"] == "2" and _form(stale)["fees"] == "A"  # reloaded with what is stored now
    bad = first.post("/curate/procedures/hop_quy", data={**form_a, "version": "2", "legal_basis": "Thông tư mới"})
    assert bad.status_code == 400 and "legal_basis" in text(HTMLParser(bad.text).css_first("p.error"))
    assert first.post("/curate/procedures/hop_quy", data={**form_a, "version": "2", "agency_key": "khong-co"}).status_code == 400
    cross = first.post("/curate/procedures/hop_quy", data={**form_a, "version": "2"},
                       headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert first.get("/curate/procedures/khong_co").status_code == 404
    assert first.post("/curate/procedures/khong_co", data=form_a).status_code == 404
    with kbase.session() as s:
        assert procedures.require_procedure(s, "hop_quy").fees == "A"


def test_only_curators_and_admins(kbase):
    _world(kbase)
    app = make_app(kbase)

    def refused(r) -> bool:
        return r.status_code in (401, 403) or r.headers.get("location", "").startswith("/login")

    for who, allowed in ((None, False), ("lab_a", False), ("curator", True), ("admin", True)):
        c = client_for(app, who)
        page = c.get("/curate/procedures", follow_redirects=False)
        post = c.post("/curate/procedures/hop_quy", data={"title": "x", "version": "1"}, follow_redirects=False)
        assert (not refused(page), not refused(post)) == (allowed, allowed), (who, page.status_code, post.status_code)
        assert page.status_code == 200 if allowed else page.status_code in (303, 401, 403)


def test_a_route_without_a_record_can_be_written_by_a_curator(kbase):
    seed(kbase)
    app = make_app(kbase)
    curator = client_for(app, "curator")
    form = _form(curator.get("/curate/procedures/kiem_tra_chat_luong"))
    assert form["version"] == "" and form["title"] == procedures.ROUTES["kiem_tra_chat_luong"]
    r = curator.post("/curate/procedures/kiem_tra_chat_luong", data={**form, "steps": "Bước 1"}, follow_redirects=False)
    assert r.status_code == 303
    again = curator.post("/curate/procedures/kiem_tra_chat_luong", data={**form, "steps": "Bước 2"})
    assert again.status_code == 409  # someone (here: the same form) created it meanwhile
    with kbase.session() as s:
        proc = procedures.require_procedure(s, "kiem_tra_chat_luong")
        assert proc.steps == ["Bước 1"] and proc.version == 1
        assert s.exec(select(AuditEvent).where(AuditEvent.entity == "procedure")).one().action == "create"
