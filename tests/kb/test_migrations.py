"""The migrations build exactly the schema the models declare, on SQLite and on PostgreSQL: a model
change without its migration fails here, not on an operator's server."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel, select

import kb.models  # noqa: F401 - registers every table
from kb import labs, standards
from kb.db import alembic_config
from kb.models import LabCreate, LabScope, LabScopeCreate, StandardCreate


def test_migrations_match_the_models(any_kbase):
    with any_kbase.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, SQLModel.metadata)
    assert diffs == []


def test_0010_links_lab_methods_stored_before_the_normaliser(any_kbase):
    """Rows stored the old way (method as typed, no codes) are normalised and linked by the upgrade; rows
    already right and free text are left alone; a second run changes nothing."""
    with any_kbase.session() as s:
        standards.upsert_standard(s, StandardCreate(code="TCVN 7570:2006", title_vi="Cốt liệu cho bê tông và vữa"),
                                  actor="test", source="import")
        lab, _ = labs.upsert_lab(s, LabCreate(accreditation="VILAS 1001", name="Phòng thí nghiệm A"), "test")
        rows = [labs.add_scope_row(s, lab, LabScopeCreate(test=f"Phép thử {i}", method=m), "test")
                for i, m in enumerate(["TCVN 7570:2006", "TCVN 3118:1993", "Thường quy nội bộ", None, "x"])]
        ids = [r.id for r in rows]
    loose = {ids[0]: "tcvn 7570 2006", ids[4]: "tcvn 6492-2011; Phương pháp nội bộ"}
    cfg = alembic_config(any_kbase.engine)
    command.downgrade(cfg, "0009")
    with any_kbase.engine.begin() as conn:  # the shape rows had before methods were normalised on save
        for row_id, method in loose.items():
            conn.execute(text("UPDATE labscope SET method = :m, method_codes = '[]', method_series = '' "
                              "WHERE id = :id"), {"m": method, "id": row_id})
    command.upgrade(cfg, "head")

    def stored() -> dict[int, LabScope]:
        with any_kbase.session() as s:
            return {r.id: r for r in s.exec(select(LabScope).order_by(LabScope.id)).all()}

    after = stored()
    fixed = after[ids[0]]
    assert (fixed.method, fixed.method_codes, fixed.method_series) == ("TCVN 7570:2006", ["TCVN 7570:2006"], "|tcvn7570|")
    assert fixed.version == 2
    mixed = after[ids[4]]
    assert mixed.method == "TCVN 6492:2011; Phương pháp nội bộ" and mixed.method_codes == ["TCVN 6492:2011"]
    with any_kbase.session() as s:  # linked to the standard now in the knowledge base
        assert labs.method_flags(s, [fixed])[fixed.id]["linked"]
    untouched = [after[i] for i in ids[1:4]]
    assert [(r.method, r.version) for r in untouched] == [("TCVN 3118:1993", 1), ("Thường quy nội bộ", 1), (None, 1)]
    assert after[ids[1]].method_codes == ["TCVN 3118:1993"]

    command.downgrade(cfg, "0009")
    command.upgrade(cfg, "head")
    again = stored()
    assert {i: (r.method, r.method_codes, r.version) for i, r in again.items()} == \
        {i: (r.method, r.method_codes, r.version) for i, r in after.items()}


def test_0010_reads_in_batches(any_kbase):
    """Many rows across several batches: each loose one is fixed once, the count says how many changed."""
    import importlib.util

    from kb.db import MIGRATIONS_DIR

    spec = importlib.util.spec_from_file_location("m0010", MIGRATIONS_DIR / "versions" / "0010_relink_lab_methods.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with any_kbase.session() as s:
        lab, _ = labs.upsert_lab(s, LabCreate(accreditation="VILAS 1002", name="Phòng thí nghiệm B"), "test")
        for i in range(7):
            labs.add_scope_row(s, lab, LabScopeCreate(test=f"Phép thử {i}", method="TCVN 3118:1993"), "test")
    with any_kbase.engine.begin() as conn:
        conn.execute(text("UPDATE labscope SET method = 'tcvn 3118 1993', method_codes = '[]', method_series = ''"))
        assert module.relink(conn, batch=2) == 7
        assert module.relink(conn, batch=2) == 0
    with any_kbase.session() as s:
        rows = s.exec(select(LabScope)).all()
    assert {(r.method, r.method_series, r.version) for r in rows} == {("TCVN 3118:1993", "|tcvn3118|", 2)}
