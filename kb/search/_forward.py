"""A way forward when the knowledge base has no answer: the product groups that fit the words (or the
top-level groups to choose from), each with its general route, and the agency to ask (DOST)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from kb import contacts
from kb.models import ProductGroup, pk
from kb.text import clean, fold
from kb.urls import group_url

#: Groups offered on a page without an answer.
MAX_GROUPS = 8


def named_group(session: Session, query: str) -> ProductGroup | None:
    """The group a query names: the group's name or one of its aliases, compared folded."""
    q = fold(clean(query))
    if not q:
        return None
    for g in session.exec(select(ProductGroup).order_by(col(ProductGroup.id))):
        if any(fold(clean(n)) == q for n in [g.name, *(g.aliases or [])] if n):
            return g
    return None


def group_view(g: ProductGroup, parents: dict[int, ProductGroup]) -> dict[str, Any]:
    """Name, address and the general route (a group without one of its own shows its parent's)."""
    route = clean(g.route)
    parent = parents.get(g.parent_id) if g.parent_id else None
    if not route and parent is not None:
        route = clean(parent.route)
    return {"id": pk(g), "name": g.name, "kind": g.kind.value if hasattr(g.kind, "value") else str(g.kind),
            "url": group_url(g.slug), "route": route or None}


def way_forward(session: Session, group_hits: list[int], group_near: list[int]) -> dict[str, Any]:
    """``groups`` (the fitting groups: those the words name, else those they partly match; else the
    top-level groups, ``fitting`` False), and ``contact``: DOST as the database holds it, or None."""
    ids, fitting = (group_hits or group_near)[:MAX_GROUPS], True
    rows = {pk(g): g for g in session.exec(select(ProductGroup).where(col(ProductGroup.id).in_(ids)))} if ids else {}
    chosen = [rows[i] for i in ids if i in rows]
    if not chosen:
        fitting = False
        chosen = list(session.exec(select(ProductGroup).where(col(ProductGroup.parent_id).is_(None))
                                   .order_by(col(ProductGroup.name)).limit(MAX_GROUPS * 3)))
    parent_ids = {g.parent_id for g in chosen if g.parent_id}
    parents = {pk(g): g for g in session.exec(select(ProductGroup).where(col(ProductGroup.id).in_(parent_ids)))} \
        if parent_ids else {}
    return {
        "groups": [group_view(g, parents) for g in chosen],
        "groups_fit": fitting,
        "contact": contacts.agency_view(contacts.get_agency(session, contacts.DOST)),
    }
