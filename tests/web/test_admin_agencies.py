"""Agencies are edited by admins only, with the form's version, CSRF and an audit event per change; the
public footer follows."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlmodel import select

from kb import contacts
from kb.models import AuditEvent
from tests.support.accounts import client_for, make_app, seed


def _form(page) -> dict[str, str]:
    tree = HTMLParser(page.text)
    form = tree.css_first("form#agency-form")
    values = {n.attributes["name"]: n.attributes.get("value") or "" for n in form.css("input")}
    values.update({n.attributes["name"]: n.text() for n in form.css("textarea")})
    return values


def test_admin_adds_and_edits_an_agency_and_the_footer_follows(kbase):
    seed(kbase)
    app = make_app(kbase)
    admin, curator, public = client_for(app, "admin"), client_for(app, "curator"), client_for(app, None)
    assert curator.get("/admin/agencies").status_code == 403
    assert public.get("/admin/agencies", follow_redirects=False).status_code in (302, 303, 401)
    assert "Cơ quan liên hệ" in admin.get("/curate").text  # the admin's menu leads there

    r = admin.post("/admin/agencies", data={"key": "dost", "name": "Sở Khoa học và Công nghệ tỉnh Bắc Ninh"},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/agencies/dost"
    again = admin.post("/admin/agencies", data={"key": "dost", "name": "Trùng"})
    assert again.status_code == 409 and "đã có cơ quan" in again.text

    form = _form(admin.get("/admin/agencies/dost"))
    assert form["version"] == "1" and form["name"] == "Sở Khoa học và Công nghệ tỉnh Bắc Ninh"
    form.update(phone="0222 000 0000", email="lienhe@example.vn", source="https://example.vn/lien-he",
                verified_at="2026-12-01")
    r = admin.post("/admin/agencies/dost", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    with kbase.session() as s:
        dost = contacts.get_agency(s, "dost")
        assert (dost.phone, dost.email, dost.version, str(dost.verified_at)) == ("0222 000 0000", "lienhe@example.vn", 2,
                                                                                   "2026-12-01")
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "agency")).all()
        assert [(e.action, e.actor) for e in events] == [("create", "admin"), ("update", "admin")]
    footer = HTMLParser(public.get("/").text).css_first("footer address.agency")
    assert "0222 000 0000" in footer.text() and "lienhe@example.vn" in footer.text()
    listing = HTMLParser(admin.get("/admin/agencies?ok=agency-saved").text)
    assert listing.css_first("#agency-dost td").text() == "Sở Khoa học và Công nghệ tỉnh Bắc Ninh"
    assert listing.css_first("p.notice") is not None


def test_stale_bad_and_cross_site_edits_are_refused_with_a_message(kbase):
    seed(kbase)
    app = make_app(kbase)
    admin = client_for(app, "admin")
    with kbase.session() as s:
        contacts.upsert_agency(s, *contacts.parse_agency({"key": "dost", "name": "Sở KH&CN"}), actor="test")
    stale = _form(admin.get("/admin/agencies/dost"))
    fresh = dict(stale, phone="0222 111 1111")
    assert admin.post("/admin/agencies/dost", data=fresh, follow_redirects=False).status_code == 303

    r = admin.post("/admin/agencies/dost", data=dict(stale, phone="0222 999 9999"))
    assert r.status_code == 409
    tree = HTMLParser(r.text)
    changed = {th.attributes["data-field"] for th in tree.css("table.diff th[data-field]")}
    assert changed == {"phone"}
    assert _form(r)["version"] == "2" and _form(r)["phone"] == "0222 999 9999"  # resubmitting now wins

    bad = admin.post("/admin/agencies/dost", data=dict(_form(r), email="khong-phai-email"))
    assert bad.status_code == 400 and "không phải địa chỉ e-mail" in HTMLParser(bad.text).css_first("p.error").text()
    bad = admin.post("/admin/agencies/dost", data=dict(_form(r), version=""))
    assert bad.status_code == 400 and "phiên bản" in bad.text
    assert admin.post("/admin/agencies/khong-co", data=_form(r)).status_code == 404
    assert admin.get("/admin/agencies/KHONG HOP LE").status_code in (400, 404, 422)

    cross = admin.post("/admin/agencies/dost", data=dict(_form(r), phone="1"), headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    with kbase.session() as s:
        assert contacts.get_agency(s, "dost").phone == "0222 111 1111"
