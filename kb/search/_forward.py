"""A way forward when the knowledge base has no answer: the product groups that fit the words (or the
top-level groups to choose from), each with its general route, and the agency to ask (DOST)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from kb import contacts, groups
from kb.models import GroupKind, Product, ProductGroup, pk
from kb.search._query import meaningful
from kb.text import clean, fold, tokens
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


def head_word(query: str) -> str | None:
    """The generic word of a Vietnamese noun phrase, its first meaningful word (``bánh`` cốm, ``nón`` lá)."""
    words = tokens(clean(query))
    keep = meaningful(words)
    return words[keep[0]] if words else None


def _fits(g: ProductGroup, query: str, head: str) -> bool:
    """Whether a group the words partly match is a way forward: a product named like the query would join it
    (its keywords: ``nồi gốm`` → Gốm Phù Lãng), or its name, aliases or keywords carry the query's head word,
    with its accents when it was typed with them (``tương`` is not ``tượng``)."""
    if groups.matches(g, Product(name=query)):
        return True
    text = " ".join([g.name, *(g.aliases or []), *(g.keywords or [])])
    if head == fold(head):
        return fold(head) in tokens(text, folded=True)
    return head in tokens(text)


def way_forward(session: Session, query: str, group_hits: list[int], group_near: list[int]) -> dict[str, Any]:
    """``groups``: the groups the words name; else those the words partly match that fit them (``_fits``:
    ``bánh cốm`` → "Bánh, kẹo"; a group met on a secondary word is no way forward); else the top-level trades and OCOP
    groups to choose from, with ``groups_fit`` False. And ``contact``: DOST as the database holds it, or None."""
    ids = group_hits[:MAX_GROUPS]
    head = head_word(query)
    if not ids and group_near and head:
        near = {pk(g): g for g in session.exec(select(ProductGroup).where(col(ProductGroup.id).in_(group_near)))}
        ids = [i for i in group_near if i in near and _fits(near[i], query, head)][:MAX_GROUPS]
    fitting = True
    rows = {pk(g): g for g in session.exec(select(ProductGroup).where(col(ProductGroup.id).in_(ids)))} if ids else {}
    chosen = [rows[i] for i in ids if i in rows]
    if not chosen:
        fitting = False
        # HS headings are many and technical: a visitor without an answer chooses among trades and OCOP groups
        chosen = list(session.exec(select(ProductGroup).where(col(ProductGroup.parent_id).is_(None),
                                                              ProductGroup.kind != GroupKind.hs_chapter)
                                   .order_by(col(ProductGroup.kind), col(ProductGroup.name)).limit(MAX_GROUPS * 3)))
    parent_ids = {g.parent_id for g in chosen if g.parent_id}
    parents = {pk(g): g for g in session.exec(select(ProductGroup).where(col(ProductGroup.id).in_(parent_ids)))} \
        if parent_ids else {}
    return {
        "groups": [group_view(g, parents) for g in chosen],
        "groups_fit": fitting,
        "contact": contacts.agency_view(contacts.get_agency(session, contacts.DOST)),
    }
