"""The JSON API contract of curation and lab self-service, and the audit trail behind it."""

from __future__ import annotations

from kb import audit, labs
from kb.models import LabScope, Mapping
from tests.support.accounts import client_for, make_app, seed

ROW = {"material": "Xi măng", "test": "Độ mịn", "range": "", "method": "TCVN 4030:2003", "accredited": True}


def test_lab_scope_crud_for_own_lab(kbase):
    w = seed(kbase)
    app = make_app(kbase)
    c = client_for(app, "lab_a")
    r = c.post(f"/api/labs/{w.lab_a}/scope", json=ROW)
    assert r.status_code == 201
    row = r.json()
    assert row["lab_id"] == w.lab_a and row["test"] == "Độ mịn" and row["version"] == 1
    assert row["method_codes"] == ["TCVN 4030:2003"]
    assert row["range"] is None

    r = c.put(f"/api/labs/{w.lab_a}/scope/{row['id']}", json={**ROW, "accredited": False, "version": 1})
    assert r.status_code == 200 and r.json()["accredited"] is False and r.json()["version"] == 2

    assert c.delete(f"/api/labs/{w.lab_a}/scope/{row['id']}").status_code == 204
    assert c.delete(f"/api/labs/{w.lab_a}/scope/{row['id']}").status_code == 404

    with kbase.session() as s:
        actions = [e.action for e in audit.audit_events(s, entity="lab_scope", entity_id=row["id"])]
        assert actions == ["delete", "update", "create"]
        assert all(e.actor == "lab_a" for e in audit.audit_events(s, entity="lab_scope", entity_id=row["id"]))


def test_lab_cannot_touch_another_lab_even_through_its_own_url(kbase):
    w = seed(kbase)
    c = client_for(make_app(kbase), "lab_a")
    assert c.post(f"/api/labs/{w.lab_b}/scope", json=ROW).status_code == 403
    assert c.put(f"/api/labs/{w.lab_b}/scope/{w.row_b}", json=ROW).status_code == 403
    assert c.delete(f"/api/labs/{w.lab_b}/scope/{w.row_b}").status_code == 403
    # Lab B's row addressed through lab A's URL is not found, not edited.
    assert c.put(f"/api/labs/{w.lab_a}/scope/{w.row_b}", json=ROW).status_code == 404
    assert c.delete(f"/api/labs/{w.lab_a}/scope/{w.row_b}").status_code == 404
    with kbase.session() as s:
        assert s.get(LabScope, w.row_b).test == "pH"


def test_anonymous_and_wrong_role(kbase):
    w = seed(kbase)
    app = make_app(kbase)
    anon = client_for(app, None)
    assert anon.post(f"/api/labs/{w.lab_a}/scope", json=ROW).status_code == 401
    assert anon.post("/api/mappings", json={"product": w.product, "standard": "QCVN 8-1:2011/BYT"}).status_code == 401
    lab = client_for(app, "lab_a")
    assert lab.post("/api/mappings", json={"product": w.product, "standard": "QCVN 8-1:2011/BYT"}).status_code == 403
    assert lab.patch(f"/api/mappings/{w.mapping}", json={"status": "approved"}).status_code == 403
    assert anon.post(f"/api/labs/{w.lab_a}/scope", json=ROW).json()["detail"]


def test_curator_creates_mapping_and_it_shows_on_the_public_product(kbase):
    w = seed(kbase)
    c = client_for(make_app(kbase), "curator")
    body = {"product": "Bánh phu thê Đình Bảng", "standard": "qcvn 8-1:2011/byt", "type": "mandatory",
            "rationale": "Giới hạn độc tố vi nấm", "legal_basis": "Thông tư 02/2011/TT-BYT"}
    r = c.post("/api/mappings", json=body)
    assert r.status_code == 201, r.text
    m = r.json()
    assert (m["standard"], m["status"], m["source"], m["created_by"]) == ("QCVN 8-1:2011/BYT", "approved", "curator", "curator")
    again = c.post("/api/mappings", json={**body, "product": w.product})
    assert again.status_code == 200 and again.json()["id"] == m["id"]

    public = client_for(c.app, None).get(f"/api/products/{w.product}")
    assert public.status_code == 200
    assert "QCVN 8-1:2011/BYT" in [s["code"] for s in public.json()["standards"]]

    assert c.post("/api/mappings", json={**body, "standard": "TCVN 99999:2020"}).status_code == 400
    assert c.post("/api/mappings", json={**body, "standard": "không phải mã"}).status_code == 400
    assert c.post("/api/mappings", json={**body, "product": "Không có"}).status_code == 404
    assert c.post("/api/mappings", json={**body, "type": "nonsense"}).status_code == 400


def test_patch_status_reject_needs_a_reason_and_stale_version_conflicts(kbase):
    w = seed(kbase)
    c = client_for(make_app(kbase), "curator")
    url = f"/api/mappings/{w.mapping}"
    assert c.patch(url, json={"status": "rejected"}).status_code == 400
    assert c.patch(url, json={"status": "maybe"}).status_code == 400
    assert c.patch(url, json={}).status_code == 400
    r = c.patch(url, json={"status": "rejected", "note": "không áp dụng cho bánh", "version": 1})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["decision_note"], r.json()["decided_by"]) == ("rejected", "không áp dụng cho bánh", "curator")
    stale = c.patch(url, json={"status": "approved", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["status"] == "rejected"
    ok = c.patch(url, json={"status": "approved", "rationale": "thử cường độ nén", "version": 2})
    assert ok.status_code == 200 and ok.json()["status"] == "approved" and ok.json()["version"] == 4
    assert c.patch("/api/mappings/999999", json={"status": "approved"}).status_code == 404


def test_revert_of_an_approval_through_the_api(kbase):
    w = seed(kbase)
    c = client_for(make_app(kbase), "curator")
    c.patch(f"/api/mappings/{w.mapping}", json={"status": "approved"})
    with kbase.session() as s:
        event = audit.audit_events(s, entity="mapping", entity_id=w.mapping, limit=1)[0]
        assert event.action == "approved" and event.before["status"] == "suggested"
    r = c.post(f"/api/audit/{event.id}/revert")
    assert r.status_code == 200
    with kbase.session() as s:
        assert s.get(Mapping, w.mapping).status.value == "suggested"
        assert audit.audit_events(s, limit=1)[0].action == "revert"
    # Reverting the same change twice conflicts: the fields moved on since.
    assert c.post(f"/api/audit/{event.id}/revert").status_code == 409


def test_verify_lab_and_changed_since_verification(kbase):
    w = seed(kbase)
    app = make_app(kbase)
    curator, lab = client_for(app, "curator"), client_for(app, "lab_a")
    with kbase.session() as s:
        from kb.models import Lab

        assert labs.changed_since_verification(s, s.get(Lab, w.lab_a)) is None
    assert curator.post(f"/api/labs/{w.lab_a}/verify").status_code == 200
    assert lab.post(f"/api/labs/{w.lab_a}/verify").status_code == 403
    with kbase.session() as s:
        assert labs.changed_since_verification(s, s.get(Lab, w.lab_a)) is False
    lab.delete(f"/api/labs/{w.lab_a}/scope/{w.row_a}")
    with kbase.session() as s:
        assert labs.changed_since_verification(s, s.get(Lab, w.lab_a)) is True
        assert labs.changed_since_verification(s, s.get(Lab, w.lab_b)) is None
    curator.post(f"/api/labs/{w.lab_a}/verify")
    with kbase.session() as s:
        assert labs.changed_since_verification(s, s.get(Lab, w.lab_a)) is False
    lab.post(f"/api/labs/{w.lab_a}/scope", json=ROW)
    with kbase.session() as s:
        assert labs.changed_since_verification(s, s.get(Lab, w.lab_a)) is True


def test_openapi_documents_the_curation_endpoints(kbase):
    seed(kbase)
    spec = client_for(make_app(kbase), None).get("/openapi.json").json()
    paths = spec["paths"]
    assert "post" in paths["/api/labs/{lab_id}/scope"]
    assert {"put", "delete"} <= set(paths["/api/labs/{lab_id}/scope/{row_id}"])
    assert "post" in paths["/api/mappings"] and "patch" in paths["/api/mappings/{mapping_id}"]
    assert "post" in paths["/api/auth/login"]


def test_public_pages_follow_curation_at_once(kbase):
    """Public pages may be cached; an edit by a signed-in user is visible to the next anonymous visitor."""
    w = seed(kbase)
    app = make_app(kbase)
    anon, curator, lab = client_for(app, None), client_for(app, "curator"), client_for(app, "lab_a")
    before = anon.get(f"/api/products/{w.product}").json()
    assert "QCVN 8-1:2011/BYT" not in [s["code"] for s in before["standards"]]
    assert anon.get(f"/api/labs/{w.lab_a}").status_code == 200
    curator.post("/api/mappings", json={"product": w.product, "standard": "QCVN 8-1:2011/BYT", "type": "mandatory"})
    lab.post(f"/api/labs/{w.lab_a}/scope", json={"test": "Độ ẩm", "method": "TCVN 4326:2001"})
    after = anon.get(f"/api/products/{w.product}").json()
    assert "QCVN 8-1:2011/BYT" in [s["code"] for s in after["standards"]]
    assert "Độ ẩm" in anon.get(f"/api/labs/{w.lab_a}").text


def test_bad_input_is_a_clear_4xx_on_both_databases(any_kbase):
    w = seed(any_kbase)
    c = client_for(make_app(any_kbase), "curator")
    cases = [
        ("post", "/api/mappings", {"product": "99999999999999", "standard": "QCVN 8-1:2011/BYT"}, 404),
        ("post", "/api/mappings", {"product": w.product, "standard": "x" * 201}, 400),
        ("post", "/api/mappings", {"standard": "QCVN 8-1:2011/BYT"}, 400),
        ("patch", "/api/mappings/99999999999", {"status": "approved"}, 400),
        ("post", f"/api/labs/{w.lab_a}/scope", {"test": "   "}, 400),
        ("post", f"/api/labs/{w.lab_a}/scope", {"test": "a", "accredited": "có lẽ"}, 400),
        ("put", f"/api/labs/{w.lab_a}/scope/{w.row_a}", {"test": "a", "version": 0}, 400),
        ("post", "/api/labs/99999/scope", {"test": "a"}, 404),
    ]
    for method, url, body, status in cases:
        r = c.request(method.upper(), url, json=body)
        assert r.status_code == status, (url, body, r.status_code, r.text)
        assert r.json()["detail"]
