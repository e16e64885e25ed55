"""The JSON API contract: shapes, spellings, errors as JSON, open data export, OpenAPI."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest

HIT_KEYS = {"kind", "id", "code", "accreditation", "title", "status", "url", "score"}


def test_search_shape(client, world):
    r = client.get("/api/search", params={"q": "banh phu the"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["query"] == "banh phu the"
    assert body["hits"], body
    for hit in body["hits"]:
        assert HIT_KEYS <= set(hit)
        assert hit["kind"] in ("standard", "product", "lab")
    top = body["hits"][0]
    assert (top["kind"], top["id"], top["url"]) == ("product", world.product_id, f"/products/{world.product_id}")


def test_search_by_code_and_kind(client, world):
    hits = client.get("/api/search", params={"q": "tcvn7596", "kind": "standard"}).json()["hits"]
    assert hits and all(h["kind"] == "standard" for h in hits)
    assert hits[0]["code"] == world.method and hits[0]["status"] == "in_force"
    labs = client.get("/api/search", params={"q": "vilas 1074", "kind": "lab"}).json()["hits"]
    assert labs[0]["accreditation"] == "VILAS 1074" and labs[0]["url"] == f"/labs/{world.lab_id}"


@pytest.mark.parametrize("params", [
    {"q": "x", "kind": "nope"},
    {"q": "x", "limit": "0"},
    {"q": "x", "limit": "1000"},
    {"q": "x", "limit": "abc"},
    {"q": "x" * 501},
])
def test_search_bad_params_are_400_json(client, params):
    r = client.get("/api/search", params=params)
    assert r.status_code == 400
    assert set(r.json()) == {"detail"} and r.json()["detail"]


def test_standard_any_spelling(client, world):
    for spelling in (world.regulation, "qcvn 8-1:2011/byt", "QCVN8-1:2011/BYT", "qcvn 8 1 2011"):
        r = client.get("/api/standards/" + quote(spelling, safe=""))
        assert r.status_code == 200, spelling
        assert r.json()["code"] == world.regulation


def test_standard_shape(client, world):
    body = client.get("/api/standards/" + quote(world.method, safe="")).json()
    assert {"code", "title", "status", "relations", "products", "labs", "criteria", "provenance"} <= set(body)
    out = body["relations"]["outgoing"]
    assert [(r["relation"], r["code"], r["in_kb"]) for r in out] == [("replaces", world.old_method, True)]
    inc = body["relations"]["incoming"]
    assert [(r["relation"], r["code"], r["in_kb"]) for r in inc] == [("cites", world.regulation, True)]
    assert {lab["accreditation"] for lab in body["labs"]} == {"VILAS 1074", "VILAS 0999"}
    assert {"id", "name", "accreditation", "valid_until"} <= set(body["labs"][0])


def test_product_shape(client, world):
    body = client.get(f"/api/products/{world.product_id}").json()
    assert body["id"] == world.product_id and body["name"] == "Bánh phu thê Đình Bảng"
    for s in body["standards"]:
        assert {"code", "title", "mapping_type", "mandatory", "status", "labs"} <= set(s)
        for lab in s["labs"]:
            assert {"id", "name", "accreditation", "valid_until"} <= set(lab)
    by_code = {s["code"]: s for s in body["standards"]}
    assert world.suggested not in by_code  # approved mappings only
    assert by_code[world.regulation]["mandatory"] is True
    assert by_code[world.voluntary]["mandatory"] is False
    assert [lab["accreditation"] for lab in by_code[world.voluntary]["labs"]] == ["LAS-XD 164"]


def test_lab_shape(client, world):
    body = client.get(f"/api/labs/{world.lab_id}").json()
    assert body["accreditation"] == "VILAS 1074" and body["validity"]["state"] == "valid"
    assert [r["test"] for r in body["scope"]] == ["Aflatoxin B1, B2, G1, G2", "Aflatoxin tổng"]
    assert body["scope"][1]["methods"][0]["code"] == world.old_method
    assert body["scope"][1]["superseded"] is True


def test_every_page_has_a_json_twin(client, world):
    for path in ("/api/browse", "/api/browse/products?kind=ocop", "/api/browse/standards?status=replaced",
                 "/api/coverage"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json", path
    assert client.get("/api/coverage").json()["products_without_mappings"][0]["id"] == world.unmapped_product_id


@pytest.mark.parametrize("path,status", [
    ("/api/standards/TCVN%2099999:2020", 404),
    ("/api/standards/", 404),
    ("/api/products/999999", 404),
    ("/api/labs/999999", 404),
    ("/api/products/abc", 400),
    ("/api/products/0", 400),
    ("/api/products/99999999999999999999", 400),
    ("/api/labs/-1", 400),
    ("/api/browse/products?stars=9", 400),
    ("/api/browse/products?kind=robot", 400),
    ("/api/browse/standards?status=bogus", 400),
    ("/api/browse/products?page=0", 400),
    ("/api/nothing-here", 404),
])
def test_api_errors_are_json(client, world, path, status):
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_wrong_method_is_405_json(client):
    r = client.post("/api/search")
    assert r.status_code == 405 and "detail" in r.json()


def test_export_csv_and_json_agree(client, world):
    r = client.get("/api/export/mappings.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    as_json = client.get("/api/export/mappings.json").json()
    assert len(rows) == len(as_json) == 3
    assert {(x["product"], x["standard"], x["type"]) for x in rows} == {
        (x["product"], x["standard"], x["type"]) for x in as_json}
    assert all(x["product"] == "Bánh phu thê Đình Bảng" for x in rows)


def test_export_csv_defuses_formulas(client, kbase):
    from tests.support.records import make_mapping, make_product, make_standard

    with kbase.session() as s:
        p = make_product(s, "=HYPERLINK(\"http://evil\")")
        make_mapping(s, p, make_standard(s, "TCVN 1:2000"), "voluntary")
    rows = list(csv.DictReader(io.StringIO(client.get("/api/export/mappings.csv").content.decode("utf-8-sig"))))
    assert rows[0]["product"].startswith("'=")


def test_openapi_documents_the_contract(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/api/search", "/api/standards/{code}", "/api/products/{product_id}", "/api/labs/{lab_id}",
              "/api/export/mappings.csv", "/api/export/mappings.json", "/api/coverage"):
        assert p in paths, sorted(paths)
    hit = spec["components"]["schemas"]["SearchHit"]["properties"]
    assert HIT_KEYS <= set(hit)
    ps = spec["components"]["schemas"]["ProductStandard"]["properties"]
    assert {"code", "title", "mapping_type", "mandatory", "status", "labs"} <= set(ps)
    # HTML pages are not API operations
    assert "/products/{product_id}" not in paths


def test_api_docs_page_is_offline(client):
    from tests.support.records import html

    tree = html(client.get("/api/docs"))
    paths = [c.text() for c in tree.css("section.endpoint h2 code")]
    assert "GET /api/search" in paths and "GET /api/products/{product_id}" in paths
    for node in tree.css("script[src], link[href]"):
        url = node.attributes.get("src") or node.attributes.get("href")
        assert not url.startswith(("http:", "https:", "//")), url
