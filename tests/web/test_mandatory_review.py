"""The "Quy chuẩn bắt buộc" section on the product page and in its JSON, and the curator's review form."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from kb.models import AuditEvent, Product
from tests.support.accounts import client_for, make_app, seed
from tests.support.records import html, make_mapping, make_product, make_standard
from tests.web.test_cli import run_kb

TODAY = date.today().strftime("%d/%m/%Y")


@pytest.fixture
def world(kbase):
    return seed(kbase)


@pytest.fixture
def app(kbase, world):
    return make_app(kbase)


def public_state(app, product_id: int) -> tuple[str, str, list[str], dict]:
    """The section as a visitor sees it (page and JSON): state, label, linked codes, and the JSON dict."""
    c = client_for(app, None)
    sec = html(c.get(f"/products/{product_id}")).css_first("section#bat-buoc")
    assert sec is not None and sec.css_first("h2").text() == "Quy chuẩn bắt buộc"
    data = c.get(f"/api/products/{product_id}").json()["mandatory"]
    assert data["state"] == sec.attributes["data-state"] and data["label"] == sec.css_first(".state-label").text()
    return sec.attributes["data-state"], data["label"], [a.text() for a in sec.css(".regulations a")], data


def version_of(kbase, product_id: int) -> str:
    with kbase.session() as s:
        return str(s.get(Product, product_id).version)


def test_three_states_on_the_page_and_in_json(app, kbase, world):
    # No approved mapping at all (the seeded one is a suggestion): the section is there, "chưa rà soát".
    state, label, codes, data = public_state(app, world.product)
    assert state == "unreviewed" and label.startswith("Chưa rà soát") and codes == []
    assert data == {"state": "unreviewed", "label": label, "regulations": [], "reviewed_at": None,
                    "reviewed_by": None, "note": None}

    c = client_for(app, "curator")
    form = html(c.get(f"/curate/products/{world.product}")).css_first("#mandatory-review-form")
    r = c.post(form.attributes["action"], data={"version": form.css_first("input[name=version]").attributes["value"],
                                                 "note": "Bánh phu thê <b>truyền thống</b>"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?ok=mandatory-reviewed"), r.text
    state, label, codes, data = public_state(app, world.product)  # the page cache sees the change
    assert state == "none" and label == f"Không có quy chuẩn bắt buộc (đã rà soát ngày {TODAY}, bởi curator)."
    assert (data["reviewed_by"], data["reviewed_at"], data["note"]) == (
        "curator", date.today().isoformat(), "Bánh phu thê <b>truyền thống</b>")
    page = html(client_for(app, None).get(f"/products/{world.product}"))
    assert page.css_first("#bat-buoc .review-note").text() == "Ghi chú rà soát: Bánh phu thê <b>truyền thống</b>"
    assert not page.css("#bat-buoc b")  # escaped

    # A mandatory mapping approved later wins; the regulation is listed and linked.
    with kbase.session() as s:
        qc = make_standard(s, "QCVN 8-1:2011/BYT", title_vi="Độc tố vi nấm")
        make_mapping(s, s.get(Product, world.product), qc, "mandatory")
    state, label, codes, data = public_state(app, world.product)
    assert state == "regulations" and codes == ["QCVN 8-1:2011/BYT"]
    assert data["regulations"][0]["url"] == "/standards/QCVN%208-1:2011/BYT" and data["reviewed_at"] is None
    page = html(client_for(app, None).get(f"/products/{world.product}"))
    assert page.css_first("#bat-buoc .regulations a").attributes["href"] == "/standards/QCVN%208-1:2011/BYT"
    assert page.css_first('section.mapping-group[data-type=mandatory] .standard-card[data-code="QCVN 8-1:2011/BYT"]')


def test_the_api_documents_the_section(app):
    schema = client_for(app, None).get("/openapi.json").json()["components"]["schemas"]
    assert "mandatory" in schema["ProductDetail"]["required"]
    assert schema["MandatorySection"]["properties"]["state"]["enum"] == ["regulations", "none", "unreviewed"]


def test_refused_while_a_mandatory_mapping_applies(app, kbase, world):
    with kbase.session() as s:
        p = make_product(s, "Giò chả Ước Lễ")
        make_mapping(s, p, make_standard(s, "QCVN 8-3:2012/BYT", title_vi="Ô nhiễm vi sinh vật"), "hygiene")
        pid = p.id
    c = client_for(app, "curator")
    page = html(c.get(f"/curate/products/{pid}"))
    assert page.css_first("#mandatory-review-form") is None  # nothing to record while it applies
    assert "QCVN 8-3:2012/BYT" in page.css_first("#mandatory-review .applies").text()
    r = c.post(f"/curate/products/{pid}/mandatory-review", data={"version": version_of(kbase, pid), "note": "thử"})
    assert r.status_code == 400
    err = html(r).css_first("p.error")
    assert err is not None and "QCVN 8-3:2012/BYT" in err.text() and "Không thể ghi" in err.text()
    with kbase.session() as s:
        assert s.get(Product, pid).mandatory_reviewed_at is None
        assert not s.exec(select(AuditEvent).where(AuditEvent.action == "review")).all()


def test_bad_requests_rerender_with_the_error(app, kbase, world):
    c = client_for(app, "curator")
    url = f"/curate/products/{world.product}/mandatory-review"
    r = c.post(url, data={"note": "không có phiên bản"})
    assert r.status_code == 400 and "phiên bản" in html(r).css_first("p.error").text()
    r = c.post(url, data={"version": version_of(kbase, world.product), "note": "x" * 2500})
    assert r.status_code == 400 and "dài quá" in html(r).css_first("p.error").text()
    assert html(r).css_first("#r-note").text() == "x" * 2500  # what the curator typed is kept
    r = c.post(url, data={"version": str(int(version_of(kbase, world.product)) + 5)})
    assert r.status_code == 409 and html(r).css_first("#mandatory-review-form")
    r = c.post("/curate/products/999999/mandatory-review", data={"version": "1"})
    assert r.status_code == 404


def test_record_then_clear_with_audit(app, kbase, world):
    c = client_for(app, "curator")
    r = c.post(f"/curate/products/{world.product}/mandatory-review",
               data={"version": version_of(kbase, world.product)}, follow_redirects=False)
    assert r.status_code == 303
    page = html(c.get(r.headers["location"]))
    assert page.css_first("p.notice").text() == "Đã ghi kết quả rà soát: không có quy chuẩn bắt buộc."
    assert page.css_first("#mandatory-review .review-on-record").text().startswith(f"Đã rà soát ngày {TODAY}, bởi curator")
    clear = page.css_first("#mandatory-review-clear")
    r = c.post(clear.attributes["action"], data={"version": clear.css_first("input[name=version]").attributes["value"]},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?ok=mandatory-cleared")
    assert public_state(app, world.product)[0] == "unreviewed"
    with kbase.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "product", AuditEvent.entity_id == world.product)
                        .order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor) for e in events][-2:] == [("review", "curator"), ("update", "curator")]
    log = html(c.get("/curate/audit", params={"entity": "product"}))
    assert "curator rà soát" in [li.css_first(".audit-sentence").text()[:15] for li in log.css("li[data-action]")]


@pytest.mark.parametrize("who, status", [(None, 401), ("lab_a", 403)])
def test_only_curators_may_review(app, kbase, world, who, status):
    c = client_for(app, who)
    for path in ("mandatory-review", "mandatory-review/clear"):
        r = c.post(f"/curate/products/{world.product}/{path}", data={"version": version_of(kbase, world.product)},
                   headers={"Accept": "application/json"}, follow_redirects=False)
        assert r.status_code == status, (path, r.text)
    assert public_state(app, world.product)[0] == "unreviewed"


def test_admin_may_review_but_not_from_another_site(app, kbase, world):
    c = client_for(app, "admin")
    url = f"/curate/products/{world.product}/mandatory-review"
    r = c.post(url, data={"version": version_of(kbase, world.product)}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert public_state(app, world.product)[0] == "unreviewed"
    r = c.post(url, data={"version": version_of(kbase, world.product)}, follow_redirects=False)
    assert r.status_code == 303
    assert public_state(app, world.product)[3]["reviewed_by"] == "admin"


def test_cli_records_and_clears(settings, kbase):
    with kbase.session() as s:
        free = make_product(s, "Nón lá Bắc Ninh").id
        ruled = make_product(s, "Nước mắm")
        make_mapping(s, ruled, make_standard(s, "QCVN 8-2:2011/BYT", title_vi="Kim loại nặng"), "mandatory")
    done = run_kb(settings, "review-mandatory", str(free), "--by", "curator1", "--note", "Hàng thủ công")
    assert done.returncode == 0, done.stderr
    assert f"đã rà soát ngày {TODAY}, bởi curator1" in done.stdout
    with kbase.session() as s:
        p = s.get(Product, free)
        assert (p.mandatory_reviewed_by, p.mandatory_review_note) == ("curator1", "Hàng thủ công")
    refused = run_kb(settings, "review-mandatory", "Nước mắm", "--by", "curator1")
    assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith("kb: ") and "QCVN 8-2:2011/BYT" in refused.stderr
    cleared = run_kb(settings, "review-mandatory", str(free), "--by", "curator1", "--clear")
    assert cleared.returncode == 0, cleared.stderr
    with kbase.session() as s:
        assert s.get(Product, free).mandatory_reviewed_at is None
