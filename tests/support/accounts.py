"""Shared world for the auth, curation and lab self-service tests: two labs, four accounts, a product, a
replaced standard and its successor, a suggested mapping, one scope row per lab."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from kb import labs, mappings, products, standards, users
from kb.models import LabCreate, LabScopeCreate, MappingSource, MappingStatus, ProductCreate, ProductKind, Role, StandardCreate

PASSWORD = "mat-khau-rat-dai-1"
ROLES = ("admin", "curator", "lab_a", "lab_b")


@dataclass
class World:
    lab_a: int
    lab_b: int
    row_a: int
    row_b: int
    product: int
    old_std: int
    new_std: int
    mapping: int


def seed(kbase) -> World:
    with kbase.session() as s:
        lab_a, _ = labs.upsert_lab(s, LabCreate(accreditation="VILAS 1001", name="Phòng thí nghiệm A"), "test")
        lab_b, _ = labs.upsert_lab(s, LabCreate(accreditation="VILAS 1002", name="Phòng thí nghiệm B"), "test")
        row_a = labs.add_scope_row(s, lab_a, LabScopeCreate(material="Bê tông", test="Cường độ nén",
                                                            method="TCVN 3118:1993"), "test")
        row_b = labs.add_scope_row(s, lab_b, LabScopeCreate(material="Nước", test="pH", method="TCVN 6492:2011"), "test")
        old, _ = standards.upsert_standard(s, StandardCreate(code="TCVN 3118:1993", title_vi="Bê tông nặng – Xác định cường độ nén"),
                                           actor="test", source="import")
        new, _ = standards.upsert_standard(s, StandardCreate(code="TCVN 3118:2022", title_vi="Bê tông – Xác định cường độ nén"),
                                           actor="test", source="import")
        standards.add_relation(s, "TCVN 3118:2022", "replaces", "TCVN 3118:1993")
        qc, _ = standards.upsert_standard(s, StandardCreate(code="QCVN 8-1:2011/BYT", title_vi="Độc tố vi nấm"), actor="test",
                                          source="import")
        product, _ = products.upsert_product(s, ProductCreate(name="Bánh phu thê Đình Bảng", category="Bánh kẹo",
                                                                kind=ProductKind.ocop), "test")
        m, _ = mappings.upsert_mapping(s, product, old, "test_method", "thử cường độ", None,
                                       MappingStatus.suggested, MappingSource.auto, "test", score=0.8,
                                       reasons=["tên khớp"])
        users.add_user(s, "admin", PASSWORD, Role.admin)
        users.add_user(s, "curator", PASSWORD, Role.curator)
        users.add_user(s, "lab_a", PASSWORD, Role.lab, lab="VILAS 1001")
        users.add_user(s, "lab_b", PASSWORD, Role.lab, lab="VILAS 1002")
        return World(lab_a.id, lab_b.id, row_a.id, row_b.id, product.id, old.id, new.id, m.id)


def make_app(kbase, limiter=None):
    """The whole app on ``kbase``, with its own login limiter when a test brings one."""
    from web.app import create_app

    return create_app(kbase=kbase, login_limiter=limiter)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return client


def client_for(app, username: str | None) -> TestClient:
    c = TestClient(app)
    if username:
        login(c, username)
    return c
