"""Product group pages: every group as a tree by kind, and one group with its parent and children, route,
sources, members and the mappings its members inherit ("áp dụng cho cả nhóm …")."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from kb import groups
from kb.models import GROUP_KIND_LABELS_VI, MAPPING_TYPE_LABELS_VI, ProductGroup, ProductGroupMember, pk
from kb.read.legal_basis import BasisLinker
from kb.read.mandatory import mandatory_section
from kb.read.refs import standard_ref
from kb.text import fold
from kb.urls import group_url, product_url


def group_ref(group: ProductGroup) -> dict[str, Any]:
    """How a group appears on another page (a product's groups, a mapping it passes on)."""
    return {"slug": group.slug, "name": group.name, "url": group_url(group.slug)}


def group_tree(session: Session) -> dict[str, Any]:
    """All groups by kind, each kind a tree (children under their parent of the same kind), with member counts."""
    all_groups = groups.list_groups(session)
    counts = dict(session.exec(
        select(ProductGroupMember.group_id, func.count()).where(col(ProductGroupMember.excluded).is_(False))
        .group_by(col(ProductGroupMember.group_id))).all())
    # Each kind is its own tree: a group under a parent of another kind is a root of its kind's tree.
    kind_of = {pk(g): g.kind for g in all_groups}
    by_parent: dict[int | None, list[ProductGroup]] = {}
    for g in all_groups:
        by_parent.setdefault(g.parent_id if kind_of.get(g.parent_id or 0) == g.kind else None, []).append(g)

    def node(g: ProductGroup, seen: frozenset[int]) -> dict[str, Any]:
        kids = [c for c in by_parent.get(pk(g), []) if pk(c) not in seen]
        return {**group_ref(g), "kind": g.kind.value, "members": counts.get(pk(g), 0), "is_sample": g.is_sample,
                "children": [node(c, seen | {pk(c)}) for c in sorted(kids, key=_order)]}

    kinds = []
    for kind, label in GROUP_KIND_LABELS_VI.items():
        roots = sorted((g for g in by_parent.get(None, []) if g.kind.value == kind), key=_order)
        if roots:
            kinds.append({"kind": kind, "label": label, "groups": [node(g, frozenset({pk(g)})) for g in roots]})
    return {"total": len(all_groups), "kinds": kinds}


def _order(g: ProductGroup) -> tuple[str, str]:
    return (g.slug if g.kind.value == "hs_chapter" else "", fold(g.name))


def group_detail(session: Session, slug: str) -> dict[str, Any]:
    g = groups.require_group(session, slug)
    parents = groups.ancestors(session, g)
    mappings = _group_mappings(session, g, parents)
    return {
        **group_ref(g),
        "id": g.id,
        "kind": g.kind.value,
        "kind_label": GROUP_KIND_LABELS_VI[g.kind.value],
        "aliases": g.aliases or [],
        "keywords": g.keywords or [],
        "hs_codes": g.hs_codes or [],
        "description": g.description,
        "route": g.route,
        "sources": [s for s in (g.sources or "").split("\n") if s],
        "is_sample": g.is_sample,
        "parent": group_ref(parents[0]) if parents else None,
        "ancestors": [group_ref(a) for a in reversed(parents)],
        "children": [group_ref(c) for c in groups.children(session, g)],
        "members": [{"id": p.id, "name": p.name, "producer": p.producer, "url": product_url(pk(p)), "source": m.source}
                    for m, p in groups.members(session, g)],
        "mappings": mappings,
        "mandatory": mandatory_section(mappings, g),
        "version": g.version,
    }


def _group_mappings(session: Session, g: ProductGroup, parents: list[ProductGroup]) -> list[dict[str, Any]]:
    """The group's own mappings, then those of its ancestors, which its members inherit as well."""
    linker = BasisLinker(session)
    return [{
        **standard_ref(s),
        "group_mapping_id": m.id,
        "mapping_type": m.type.value,
        "mapping_type_label": MAPPING_TYPE_LABELS_VI[m.type.value],
        "mandatory": m.type.value == "mandatory" or s.mandatory,
        "rationale": m.rationale,
        "legal_basis": m.legal_basis,
        "legal_basis_parts": linker.parts(m.legal_basis),
        "version": m.version,
        "inherited_from": group_ref(owner) if owner is not g else None,
    } for owner in [g, *parents] for m, s in groups.mappings_of_group(session, owner)]
