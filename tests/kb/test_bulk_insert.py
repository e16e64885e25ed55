"""``kb.bulk.insert_rows``: on PostgreSQL a COPY, which must store what an INSERT stores, fail as an INSERT
fails (SQLAlchemy's error class, the savepoint usable afterwards) and count as a write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from kb import bulk, db
from kb.models import AuditEvent, MappingStatus, Product, ProductHsCode

NOW = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)


def events(entity: str) -> list[dict]:
    return [
        {"at": NOW, "actor": "cli", "action": "create", "entity": entity, "entity_id": 7,
         "summary": "Tạo sản phẩm Mỳ gạo Chũ", "before": None,
         "after": {"name": "Mỳ gạo Chũ", "aliases": ["mì đũa", "Đ"], "stars": 4, "score": 0.5, "note": None}},
        {"at": NOW, "actor": "cli", "action": "update", "entity": entity, "entity_id": None, "summary": None,
         "before": {"a": [1, 2, {"b": "tab\there, new\nline, back\\slash"}]}, "after": {}},
    ]


def stored(session, entity: str) -> list[tuple]:
    return [tuple(r) for r in session.connection().execute(text(
        "SELECT at, actor, action, entity_id, summary, CAST(before AS TEXT), CAST(after AS TEXT) FROM auditevent "
        "WHERE entity = :e ORDER BY id"), {"e": entity})]


def hs_rows(product_id: int, *codes: str) -> list[dict]:
    return [{"product_id": product_id, "code": code, "source": "import", "status": MappingStatus.approved,
             "decided_by": "cli", "score": None, "reasons": ["mã khai trong tệp"], "created_at": NOW,
             "updated_at": NOW} for code in codes]


def a_product(session) -> int:
    product = Product(name="Mỳ gạo Chũ", producer="HTX Xuân Trường")
    session.add(product)
    session.flush()
    assert product.id is not None
    return product.id


def test_rows_are_stored_as_an_insert_stores_them(any_kbase):
    with any_kbase.session() as s:
        s.connection().execute(insert(AuditEvent), events("by insert"))
        bulk.insert_rows(s, AuditEvent, events("by bulk"))
        assert stored(s, "by bulk") == stored(s, "by insert")
        assert stored(s, "by bulk")[0][5] in ("null", None)  # as the INSERT wrote it, whichever that is
        pid = a_product(s)
        bulk.insert_rows(s, ProductHsCode, hs_rows(pid, "19021920", "0902"))
        s.commit()
        codes = s.exec(select(ProductHsCode).where(ProductHsCode.product_id == pid)).all()
    assert sorted((c.code, c.status, c.reasons, c.score, c.created_at.replace(tzinfo=UTC)) for c in codes) == [
        ("0902", MappingStatus.approved, ["mã khai trong tệp"], None, NOW),
        ("19021920", MappingStatus.approved, ["mã khai trong tệp"], None, NOW)]


def test_a_refused_row_raises_as_an_insert_would_and_the_savepoint_goes_on(any_kbase):
    with any_kbase.session() as s:
        pid = a_product(s)
        bulk.insert_rows(s, ProductHsCode, hs_rows(pid, "19021920"))
        sp = s.begin_nested()
        with pytest.raises(IntegrityError):
            bulk.insert_rows(s, ProductHsCode, hs_rows(pid, "0902", "19021920"))  # the second one is stored already
        sp.rollback()
        bulk.insert_rows(s, ProductHsCode, hs_rows(pid, "0902"))
        s.commit()
        assert sorted(s.exec(select(ProductHsCode.code).where(ProductHsCode.product_id == pid)).all()) == [
            "0902", "19021920"]


def test_rows_without_every_column_get_the_defaults(any_kbase):
    with any_kbase.session() as s:
        bulk.insert_rows(s, AuditEvent, [{"actor": "cli", "action": "create", "entity": "no summary"}])
        s.commit()
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "no summary")).one()
    assert event.summary is None and event.at is not None


def test_the_commit_counts_as_a_write(any_kbase):
    before = db.write_commits(any_kbase.engine)
    with any_kbase.session() as s:
        bulk.insert_rows(s, AuditEvent, events("counted"))
        s.commit()
    assert db.write_commits(any_kbase.engine) == before + 1


def test_a_table_filled_from_empty_is_analyzed_and_a_plan_made_when_it_was_small_is_made_again(pg_kbase):
    with pg_kbase.engine.connect() as conn, Session(bind=conn) as s:  # one server connection: its prepared plan
        conn.execute(text("TRUNCATE auditevent"))
        conn.execute(insert(AuditEvent), events("small"))
        conn.execute(text("ANALYZE auditevent"))  # statistics of a small table: two rows
        conn.execute(text("SET plan_cache_mode = force_generic_plan"))  # as the server may choose after five runs
        params = ", ".join(f"${i}" for i in range(1, 11))  # the shape of a batch's lookups: key IN (...)
        conn.execute(text(f"PREPARE by_entity({', '.join(['text'] * 10)}) AS "
                          f"SELECT * FROM auditevent WHERE entity IN ({params})"))
        conn.commit()  # from here the session begins and commits the connection's transactions

        def plan() -> str:
            args = ", ".join(f"'x{i}'" for i in range(10))
            return "\n".join(s.connection().execute(text(f"EXPLAIN EXECUTE by_entity({args})")).scalars())

        def commit() -> None:
            s.connection().execute(text("SELECT pg_stat_force_next_flush()"))  # this connection's counts, now
            s.commit()

        assert "Seq Scan" in plan()  # made for the small table
        bulk.insert_rows(s, AuditEvent, [{**events(f"e{i}")[0], "entity_id": i} for i in range(5000)])
        commit()
        assert "Seq Scan" in plan()  # 5,000 rows later the plan is the same
        assert "auditevent" in bulk.analyze_grown(pg_kbase.engine)  # from another connection: this one's plan too
        s.commit()  # its next transaction (a batch's next) reads the invalidation
        assert "Seq Scan" not in plan()
        assert bulk.analyze_grown(pg_kbase.engine) == []  # nothing changed since


def test_nothing_is_analyzed_on_sqlite(kbase):
    with kbase.session() as s:
        bulk.insert_rows(s, AuditEvent, [{**events(f"e{i}")[0], "entity_id": i} for i in range(2000)])
        s.commit()
    assert bulk.analyze_grown(kbase.engine) == []
