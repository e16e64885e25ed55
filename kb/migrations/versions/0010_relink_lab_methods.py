"""relink lab methods: scope rows saved before methods were normalised get their codes and links

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

A method typed loosely before ``kb.labs.parse_method`` existed (``tcvn 7570 2006``) was stored as typed,
with no method codes, so no product page found the lab. Every row's method is read again through the one
normaliser: its text written canonically (``TCVN 7570:2006``), its codes and series keys indexed (which
is what links it to a standard). Rows are read in batches by id; a row already right is not touched, a
changed one gets a new version (an edit form open on it then reports the change). Running it again
changes nothing. Data only: the downgrade leaves the rows as they are.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from kb.labs import parse_method


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 500

scope = sa.table(
    'labscope',
    sa.column('id', sa.Integer()),
    sa.column('method', sa.Text()),
    sa.column('method_codes', sa.JSON()),
    sa.column('method_series', sa.String()),
    sa.column('version', sa.Integer()),
)


def relink(conn: sa.Connection, batch: int = BATCH) -> int:
    """Normalise every stored scope row's method; returns how many rows changed."""
    changed, last = 0, 0
    while True:
        rows = conn.execute(
            sa.select(scope.c.id, scope.c.method, scope.c.method_codes, scope.c.method_series, scope.c.version)
            .where(scope.c.id > last).order_by(scope.c.id).limit(batch)
        ).all()
        if not rows:
            return changed
        for row in rows:
            cell = parse_method(row.method)
            if (cell.text, cell.codes, cell.series) == (row.method, list(row.method_codes or []), row.method_series):
                continue
            conn.execute(
                sa.update(scope).where(scope.c.id == row.id).values(
                    method=cell.text, method_codes=cell.codes, method_series=cell.series, version=row.version + 1)
            )
            changed += 1
        last = rows[-1].id


def upgrade() -> None:
    relink(op.get_bind())


def downgrade() -> None:
    pass
