"""Bulk imports of products and standards: batches committed one by one, a bad row reported with its line
while the rest of its batch lands, idempotent re-imports, audit events, group membership and the index."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from ingest import importers
from ingest.importers import import_file
from kb import groups, products, search, standards
from kb.models import (
    AuditEvent,
    Notice,
    Product,
    ProductGroupMember,
    ProductHsCode,
    Standard,
    StandardRelation,
    StandardStatus,
)

P_HEADER = ["name", "aliases", "category", "kind", "ocop_stars", "ocop_group", "producer", "district", "hs_code",
            "description"]


def product(i: int, **over: str) -> list[str]:
    row = {"name": f"Mỳ gạo Chũ số {i}", "aliases": "", "category": "Thực phẩm", "kind": "ocop", "ocop_stars": "4",
           "ocop_group": "Thực phẩm", "producer": f"HTX Xuân Trường {i % 3}", "district": "Lục Ngạn",
           "hs_code": "1902.19.20" if i % 2 else "", "description": f"Mỳ gạo làm thủ công, mẻ {i}"} | over
    return [row[c] for c in P_HEADER]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def count(kbase, model, *where) -> int:
    with kbase.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def test_a_bad_row_in_a_batch_is_reported_and_the_rest_of_the_batch_lands(any_kbase, tmp_path):
    rows = [P_HEADER] + [product(i) for i in range(1, 11)]
    rows[4] = product(4, ocop_stars="9")  # line 5: refused while parsing
    rows[6] = product(6, kind="key")  # line 7: stars on a key product, refused by the upsert
    rows[8] = product(2, description="sửa lại")  # line 9: the product of line 3 again, in the same batch
    report = import_file(any_kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test", batch_rows=4)
    assert [line for line, _ in report.errors] == [5, 7]
    assert "ocop_stars" in dict(report.errors)[5] and "ocop" in dict(report.errors)[7]
    assert (report.created, report.updated, report.committed) == (7, 1, 10)
    with any_kbase.session() as s:
        names = {p.name for p in s.exec(select(Product))}
        assert names == {f"Mỳ gạo Chũ số {i}" for i in (1, 2, 3, 5, 7, 9, 10)}
        assert products.find_product(s, "Mỳ gạo Chũ số 2").description == "sửa lại"
    # the bad rows left nothing: one creation event per product, one per stated code, one update
    assert count(any_kbase, AuditEvent, AuditEvent.entity == "product", AuditEvent.action == "create") == 7
    assert count(any_kbase, AuditEvent, AuditEvent.entity == "product", AuditEvent.action == "update") == 1
    assert count(any_kbase, ProductHsCode) == count(any_kbase, AuditEvent, AuditEvent.entity == "producthscode") == 5


def test_a_batch_the_database_refuses_is_done_again_row_by_row(kbase, tmp_path, monkeypatch):
    calls = []

    def refuse_once(session, items, actor):
        if not calls:
            calls.append(1)
            session.add(Product(name="nửa chừng"))  # something half-written that the rollback must remove
            session.flush()
            raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
        return real(session, items, actor)

    real = products.upsert_products
    monkeypatch.setattr(products, "upsert_products", refuse_once)
    rows = [P_HEADER] + [product(i) for i in range(1, 6)]
    rows[2] = product(2, ocop_stars="0")
    report = import_file(kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test", batch_rows=3)
    assert [line for line, _ in report.errors] == [3]
    assert report.created == 4
    with kbase.session() as s:
        assert sorted(p.name for p in s.exec(select(Product))) == [f"Mỳ gạo Chũ số {i}" for i in (1, 3, 4, 5)]


def test_batches_are_committed_while_the_import_runs(any_kbase, tmp_path):
    rows = [P_HEADER] + [product(i) for i in range(1, 12)]
    seen: list[tuple[int, int]] = []

    def look(report: importers.ImportReport) -> None:
        # another connection, as a reader of the site would see the database
        with Session(any_kbase.engine) as other:
            seen.append((report.committed, other.exec(select(func.count()).select_from(Product)).one()))

    import_file(any_kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test", batch_rows=5,
                after_batch=look)
    assert seen == [(5, 5), (10, 10), (11, 11)]


def test_reimport_of_a_bulk_file_changes_nothing(any_kbase, tmp_path):
    path = write_csv(tmp_path / "p.csv", [P_HEADER] + [product(i) for i in range(1, 9)])
    import_file(any_kbase, "products", path, actor="test", batch_rows=3)
    events = count(any_kbase, AuditEvent)
    again = import_file(any_kbase, "products", path, actor="test", batch_rows=3)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 8, [])
    assert count(any_kbase, AuditEvent) == events


S_HEADER = ["code", "title_vi", "status", "replaces", "equivalent"]


def test_standards_in_batches_with_their_relations_audit_and_notices(any_kbase, tmp_path):
    first = write_csv(tmp_path / "old.csv", [S_HEADER, ["TCVN 3118:1993", "Bê tông nặng", "", "", ""]])
    import_file(any_kbase, "standards", first, actor="test")
    rows = [S_HEADER] + [[f"TCVN {20000 + i}:2020", f"Gạo trắng phần {i}", "còn hiệu lực", "", ""] for i in range(6)]
    rows[2] = ["TCVN 3118:2022", "Bê tông - cường độ chịu nén", "in_force", "TCVN 3118:1993", "ISO 1920-4:2005 (IDT)"]
    rows[4] = ["XYZ 12", "", "", "", ""]  # line 5: not a designation
    rows.append(["TCVN 20000:2020", "", "", "TCVN 20000:2010", ""])  # line 8: line 2 again, same batch
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_file(any_kbase, "standards", path, actor="test", batch_rows=4)
    assert [line for line, _ in report.errors] == [5]
    assert (report.created, report.updated) == (5, 1)
    with any_kbase.session() as s:
        old = standards.get_standard(s, "TCVN 3118:1993")
        new = standards.get_standard(s, "TCVN 3118:2022")
        assert old.status == StandardStatus.replaced and standards.replaced_by_chain(s, old) == ["TCVN 3118:2022"]
        again = standards.get_standard(s, "TCVN 20000:2020")
        assert again.title_vi == "Gạo trắng phần 0" and standards.relations_of(s, again)
        edges = s.exec(select(StandardRelation).where(StandardRelation.from_key == new.code_key)).all()
        assert {(e.relation.value, e.to_code, e.qualifier) for e in edges} == {
            ("replaces", "TCVN 3118:1993", None), ("equivalent", "ISO 1920-4:2005", "IDT")}
        # followers of the old edition are told it was replaced, in the import's own transaction
        assert s.exec(select(Notice).where(Notice.kind == "standard_replaced")).one().title == \
            "TCVN 3118:1993 bị thay thế"
    assert count(any_kbase, AuditEvent, AuditEvent.entity == "standard",
                 AuditEvent.summary.startswith("Tạo ")) == 1 + 5  # type: ignore[union-attr]
    assert count(any_kbase, AuditEvent, AuditEvent.entity == "standard",
                 AuditEvent.summary == "TCVN 3118:2022 replaces TCVN 3118:1993") == 1
    events = count(any_kbase, AuditEvent)
    again = import_file(any_kbase, "standards", path, actor="test", batch_rows=4)
    assert (again.created, again.updated, again.unchanged, len(again.errors)) == (0, 0, 6, 1)
    assert count(any_kbase, AuditEvent) == events
    assert count(any_kbase, Standard) == 6


def test_group_membership_after_a_bulk_import_is_what_the_rules_say(kbase, tmp_path):
    path = write_csv(tmp_path / "g.csv", [
        ["slug", "name", "kind", "keywords", "hs_codes"],
        ["my-gao", "Mỳ gạo", "trade", "mỳ gạo", ""],
        ["hs-1902", "Chương 19.02", "hs_chapter", "", "1902"],
        ["gom", "Gốm", "trade", "gốm", ""],
    ])
    import_file(kbase, "product-groups", path, actor="test")
    rows = [P_HEADER] + [product(i) for i in range(1, 8)]
    rows[3] = product(3, name="Gốm Phù Lãng", kind="other", ocop_stars="", ocop_group="")
    import_file(kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test", batch_rows=2)
    with kbase.session() as s:
        got = {(m.group_id, m.product_id) for m in s.exec(select(ProductGroupMember))}
        want = {(g.id, p.id) for g in groups.list_groups(s) for p in s.exec(select(Product))
                if groups.matches(g, p, s)}
        assert got == want and len(got) == 6 + 4 + 1  # 6 noodles, 4 coded under 19.02, 1 pottery


def test_kb_import_leaves_the_index_current_and_gives_way_to_the_site(kbase, tmp_path, monkeypatch):
    import os

    from web.cli import app

    monkeypatch.setenv("KB_DATA_DIR", str(kbase.settings.data_dir))
    monkeypatch.setenv("KB_SECRET_KEY", "t")
    monkeypatch.setattr(importers, "BATCH_ROWS", 3)
    niceness: list[int] = []
    monkeypatch.setattr(os, "nice", niceness.append)  # this test's own process keeps its priority
    rows = [P_HEADER] + [product(i) for i in range(1, 9)] + [product(9, name="Bánh đa nem Thổ Hà")]
    out = CliRunner().invoke(app, ["import", "products", str(write_csv(tmp_path / "p.csv", rows))])
    assert out.exit_code == 0, out.output
    res = search.search(kbase, "bánh đa nem Thổ Hà", kind="product")
    assert not res.degraded and [h.title for h in res.hits][:1] == ["Bánh đa nem Thổ Hà"]
    again = CliRunner().invoke(app, ["import", "products", str(tmp_path / "p.csv"), "--full-priority"])
    assert again.exit_code == 0, again.output
    assert niceness == [importers.IMPORT_NICENESS] and importers.IMPORT_NICENESS > 0  # the first one only


def test_a_large_import_rebuilds_the_index_instead(kbase, tmp_path, monkeypatch):
    monkeypatch.setattr(importers, "REBUILD_OVER", 3)
    search.reindex(kbase)
    rows = [P_HEADER] + [product(i) for i in range(1, 9)]
    import_file(kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test", procs=2)
    res = search.search(kbase, "Mỳ gạo Chũ số 8", kind="product")
    assert not res.degraded and "Mỳ gạo Chũ số 8" in [h.title for h in res.hits]


@pytest.mark.postgres
def test_a_large_import_on_postgresql_rebuilds_the_index_in_two_processes(pg_kbase, tmp_path, monkeypatch):
    import gc

    from kb import bulk

    monkeypatch.setattr(importers, "REBUILD_OVER", 3)
    search.reindex(pg_kbase)
    thresholds = []
    real = importers._update_index
    monkeypatch.setattr(importers, "_update_index", lambda *a: (thresholds.append(gc.get_threshold()[0]), real(*a)))
    rows = [P_HEADER] + [product(i) for i in range(1, 9)]
    import_file(pg_kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test", procs=2)
    assert thresholds == [bulk.BULK_GC_THRESHOLD]  # the batches and the index build collect garbage less often
    res = search.search(pg_kbase, "Mỳ gạo Chũ số 8", kind="product")
    assert not res.degraded and "Mỳ gạo Chũ số 8" in [h.title for h in res.hits]
    with pg_kbase.session() as session:  # the forked build's connections were its own: the parent's still work
        assert session.exec(select(func.count()).select_from(Product)).one() == 8


@pytest.mark.postgres
def test_batches_on_postgresql_keep_good_rows_and_report_bad_ones(pg_kbase, tmp_path):
    rows = [P_HEADER] + [product(i) for i in range(1, 8)]
    rows[3] = product(3, name="Tương " * 61)  # too long for the column: refused before any SQL
    report = import_file(pg_kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test", batch_rows=3)
    assert [line for line, _ in report.errors] == [4] and report.created == 6
    assert count(pg_kbase, Product) == 6


def test_a_crash_midway_keeps_the_committed_batches_and_a_rerun_finishes(kbase, tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from kb.errors import KBError

    real = products.upsert_products
    calls = []

    def crash_on_second(session, items, actor):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(session, items, actor)

    monkeypatch.setattr(products, "upsert_products", crash_on_second)
    path = write_csv(tmp_path / "p.csv", [P_HEADER] + [product(i) for i in range(1, 8)])
    with pytest.raises(KBError) as err:
        import_file(kbase, "products", path, actor="test", batch_rows=3)
    assert "đã ghi 3 dòng" in err.value.message and "dòng 5" in err.value.message and "chạy lại" in err.value.message
    assert count(kbase, Product) == 3
    monkeypatch.setattr(products, "upsert_products", real)
    again = import_file(kbase, "products", path, actor="test", batch_rows=3)
    assert (again.created, again.unchanged, again.errors) == (4, 3, [])


def test_a_file_past_the_row_cap_is_refused_before_any_batch_is_committed(tmp_path):
    from kb.config import Settings
    from kb.core import KnowledgeBase
    from kb.errors import KBError

    kbase = KnowledgeBase(Settings(data_dir=tmp_path / "var", database_url=None, secret_key="t", max_rows=10))
    kbase.init()
    try:
        path = write_csv(tmp_path / "p.csv", [P_HEADER] + [product(i) for i in range(1, 16)])
        with pytest.raises(KBError, match="quá giới hạn 10 dòng"):
            import_file(kbase, "products", path, actor="test", batch_rows=3)
        assert count(kbase, Product) == 0
    finally:
        kbase.dispose()


@pytest.mark.postgres
def test_approved_codes_of_more_products_than_postgresql_takes_parameters(pg_kbase, tmp_path):
    from kb import hscodes

    import_file(pg_kbase, "products", write_csv(tmp_path / "p.csv", [P_HEADER, product(1)]), actor="test")
    with pg_kbase.session() as s:
        pid = s.exec(select(Product.id)).one()
        assert hscodes.approved_codes(s, [*range(pid + 1, pid + 70_001), pid]) == {pid: ["19021920"]}
