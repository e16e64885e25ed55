"""``GET /api/mappings`` and ``POST /api/mappings/bulk``: roles, CSRF, validation and per-id results."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kb.models import AuditEvent, Mapping, MappingStatus
from tests.support.accounts import client_for, make_app, seed
from tests.support.queue import CODE, SERIES, build_queue

KEYS = {"id", "product_id", "product", "standard", "type", "status", "score", "reasons", "version"}


@pytest.fixture
def world(any_kbase):
    seed(any_kbase)
    return build_queue(any_kbase)


@pytest.fixture
def app(any_kbase, world):
    return make_app(any_kbase)


def test_list_filters_and_pages(app, world):
    c = client_for(app, "curator")
    r = c.get("/api/mappings", params={"standard": SERIES, "status": "suggested", "per_page": 10})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], body["pages"], body["page"]) == (15, 2, 1)
    assert [m["id"] for m in body["items"]] == world.ids[:10]
    first = body["items"][0]
    assert KEYS <= set(first)
    assert (first["standard"], first["type"], first["status"], first["version"]) == (CODE, "test_method", "suggested", 1)
    assert first["reasons"] == ["phạm vi của tiêu chuẩn nêu sản phẩm", "nhóm Sản phẩm thử"]
    page2 = c.get("/api/mappings", params={"standard": SERIES, "per_page": 10, "page": 2}).json()
    assert [m["id"] for m in page2["items"]] == world.ids[10:]
    only = c.get("/api/mappings", params={"product": "banh phu the", "type": "mandatory", "min_score": 0.85}).json()
    assert [(m["product"], m["standard"]) for m in only["items"]] == [("Bánh phu thê Đình Bảng", "QCVN 8-2:2011/BYT")]
    assert c.get("/api/mappings", params={"status": "approved"}).json()["total"] == 0


@pytest.mark.parametrize("params, word", [
    ({"min_score": 2}, "min_score"), ({"min_score": "cao"}, "min_score"), ({"status": "có lẽ"}, "trạng thái"),
    ({"standard": "xyz"}, "ký hiệu"), ({"type": "lạ"}, "loại"), ({"page": 0}, "page"), ({"per_page": 501}, "per_page"),
    ({"group": "khong-co"}, "nhóm"), ({"product": "x" * 201}, "product"),
])
def test_list_refuses_bad_parameters_with_400(app, params, word):
    r = client_for(app, "curator").get("/api/mappings", params=params)
    assert r.status_code == 400 and word in r.json()["detail"], r.text


def test_bulk_applies_fresh_ids_and_reports_stale_and_unknown_ones(any_kbase, app, world):
    c = client_for(app, "curator")
    listed = c.get("/api/mappings", params={"standard": SERIES}).json()["items"]
    versions = {str(m["id"]): m["version"] for m in listed}
    client_for(app, "admin").patch(f"/api/mappings/{world.ids[0]}", json={"status": "approved"})
    r = c.post("/api/mappings/bulk", json={"ids": [*world.ids, 2_000_000], "status": "approved", "versions": versions})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"] == {"ok": 14, "conflict": 1, "not_found": 1}
    by_id = {x["id"]: x for x in body["results"]}
    assert by_id[world.ids[0]]["result"] == "conflict" and by_id[world.ids[0]]["detail"]
    assert by_id[2_000_000]["result"] == "not_found"
    assert {by_id[i]["version"] for i in world.ids[1:]} == {2}
    with any_kbase.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "mapping", AuditEvent.action == "approved")).all()
        mine = sorted(e.entity_id for e in events if e.actor == "curator")
        assert mine == sorted(world.ids[1:])  # one event per applied mapping
        assert {e.id for e in events if e.actor == "curator"} == {by_id[i]["event_id"] for i in world.ids[1:]}
        assert {s.get(Mapping, i).status for i in world.ids} == {MappingStatus.approved}


def test_bulk_rejection_needs_a_reason(any_kbase, app, world):
    c = client_for(app, "curator")
    r = c.post("/api/mappings/bulk", json={"ids": world.ids[:2], "status": "rejected"})
    assert r.status_code == 400 and "lý do" in r.json()["detail"]
    r = c.post("/api/mappings/bulk", json={"ids": world.ids[:2], "status": "rejected", "note": "không áp dụng"})
    assert r.json()["counts"]["ok"] == 2
    with any_kbase.session() as s:
        assert s.get(Mapping, world.ids[0]).decision_note == "không áp dụng"


@pytest.mark.parametrize("body, word", [
    ({"ids": [], "status": "approved"}, "chưa chọn"),
    ({"ids": list(range(1, 502)), "status": "approved"}, "tối đa 500"),
    ({"ids": [1], "status": "suggested"}, "status"),
    ({"ids": [1]}, "status"),
    ({"ids": [0], "status": "approved"}, "ids"),
    ({"ids": [2**31], "status": "approved"}, "ids"),
    ({"ids": [1], "status": "approved", "versions": {"2": 1}}, "versions"),
    ({"ids": [1], "status": "approved", "versions": {"abc": 1}}, "versions"),
    ({"ids": [1], "status": "approved", "note": "x" * 2001}, "note"),
])
def test_bulk_refuses_a_bad_batch_whole_with_400(any_kbase, app, world, body, word):
    r = client_for(app, "curator").post("/api/mappings/bulk", json=body)
    assert r.status_code == 400 and word in r.json()["detail"], r.text
    with any_kbase.session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "approved")).first() is None


def test_roles_and_csrf(any_kbase, app, world):
    body = {"ids": world.ids[:1], "status": "approved"}
    anon, lab, curator = client_for(app, None), client_for(app, "lab_a"), client_for(app, "curator")
    assert anon.get("/api/mappings").status_code == 401
    assert anon.post("/api/mappings/bulk", json=body).status_code == 401
    assert lab.get("/api/mappings").status_code == 403
    assert lab.post("/api/mappings/bulk", json=body).status_code == 403
    assert client_for(app, "admin").get("/api/mappings").status_code == 200
    # as every curator API: a browser request from another site is refused, our own pages and scripts pass
    evil = curator.post("/api/mappings/bulk", json=body, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "CSRF" in evil.json()["detail"]
    assert curator.post("/api/mappings/bulk", json=body, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    own = curator.post("/api/mappings/bulk", json=body, headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200 and own.json()["counts"]["ok"] == 1


def test_openapi_documents_both_with_models_and_refusals(app):
    spec = client_for(app, None).get("/openapi.json").json()
    listed = spec["paths"]["/api/mappings"]["get"]
    bulk = spec["paths"]["/api/mappings/bulk"]["post"]
    for op in (listed, bulk):
        assert {"200", "400", "401", "403"} <= set(op["responses"])
        assert op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApiError")
    assert listed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/MappingList")
    assert bulk["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/BulkDecision")
    schemas = spec["components"]["schemas"]
    assert KEYS <= set(schemas["MappingOut"]["properties"])
    assert schemas["BulkItemResult"]["properties"]["result"]["enum"] == ["ok", "conflict", "not_found"]
    assert schemas["BulkIn"]["properties"]["ids"]["maxItems"] == 500
    assert {p["name"] for p in listed["parameters"]} >= {"product", "standard", "status", "type", "min_score", "page"}
