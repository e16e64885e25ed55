"""hs codes: a product's HS codes live only in producthscode

The free-text ``product.hs_code`` column becomes approved ``producthscode`` rows (source ``import``), one per
code of a ``;``/``,``-separated value, then the column is dropped. A value that is not an HS code (2, 4, 6 or
8 digits once dots and spaces are removed) cannot become a row: the migration stops and names the product
rather than lose it. ``producthscode.updated_at`` moves on approve/reject, for the fingerprint.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""
import re
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _codes(value: str) -> list[str]:
    # A frozen copy of kb.hs.normalize_hs: a migration must not change when the application does.
    out: list[str] = []
    for item in re.split(r"[;,]", value):
        digits = re.sub(r"[\s.]", "", item.strip().strip('"'))
        if not digits:
            continue
        if not digits.isdigit() or len(digits) not in (2, 4, 6, 8):
            raise RuntimeError(f"product.hs_code {value!r} is not a list of HS codes; fix it before upgrading")
        if digits not in out:
            out.append(digits)
    return out


def upgrade() -> None:
    with op.batch_alter_table('producthscode', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute("UPDATE producthscode SET updated_at = created_at")
    with op.batch_alter_table('producthscode', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)
        batch_op.create_index(batch_op.f('ix_producthscode_updated_at'), ['updated_at'], unique=False)

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, hs_code, created_at FROM product WHERE hs_code IS NOT NULL AND hs_code <> ''")).all()
    insert = sa.text("INSERT INTO producthscode (product_id, code, status, source, reasons, created_at, updated_at) "
                     "VALUES (:pid, :code, 'approved', 'import', '[]', :at, :at)")
    for pid, value, at in rows:
        for code in _codes(value):
            conn.execute(insert, {"pid": pid, "code": code, "at": at})

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('hs_code')


def downgrade() -> None:
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hs_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    conn = op.get_bind()
    stated: dict[int, list[str]] = {}
    for pid, code in conn.execute(sa.text(
            "SELECT product_id, code FROM producthscode WHERE status = 'approved' ORDER BY product_id, id")).all():
        stated.setdefault(pid, []).append(code)
    for pid, codes in stated.items():
        conn.execute(sa.text("UPDATE product SET hs_code = :v WHERE id = :pid"), {"v": ";".join(codes), "pid": pid})

    with op.batch_alter_table('producthscode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_producthscode_updated_at'))
        batch_op.drop_column('updated_at')
