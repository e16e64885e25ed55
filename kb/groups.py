"""Product groups (nhóm sản phẩm): a taxonomy by trade, HS heading and OCOP group whose mappings every
member inherits ("áp dụng cho cả nhóm …").

A group is identified by its ``slug`` (its address, ``/groups/{slug}``) and may sit under a parent. Products
join a group automatically when one of its keywords matches whole words of their name, aliases, category or
OCOP group, or when their HS code starts with one of the group's codes; a curator may add a member by hand
or remove one (an automatic member removed by hand stays out: the row is kept, ``excluded``). Every change
is audited; re-importing the same rows changes nothing and writes no event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import insert as sa_insert
from sqlmodel import Session, col, select

from kb import audit, hscodes
from kb.errors import BadInput, Conflict, NotFound
from kb.hs import covers, normalize_hs
from kb.mappings import parse_type
from kb.models import (
    GROUP_KIND_LABELS_VI,
    GroupKind,
    GroupMapping,
    MappingType,
    Product,
    ProductGroup,
    ProductGroupBase,
    ProductGroupMember,
    Standard,
    payload,
    pk,
    utcnow,
)
from kb.text import clean, fold, split_items, tokens
from kb.versioning import delete_versioned, update_versioned

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
#: The fields a row or a form may carry besides ``slug`` and ``parent`` (given as the parent's slug).
GROUP_FIELDS = ("name", "kind", "aliases", "keywords", "hs_codes", "description", "route", "sources", "is_sample")
_LISTS = ("aliases", "keywords", "hs_codes")
_KIND_VI = {fold(label): kind for kind, label in GROUP_KIND_LABELS_VI.items()} | {
    "nganh nghe": "trade", "lang nghe": "trade", "hs": "hs_chapter", "chuong hs": "hs_chapter", "ma hs": "hs_chapter",
}
_YES = {"yes", "y", "true", "1", "co", "x", "on"}
_NO = {"no", "n", "false", "0", "khong", ""}
AUTO, CURATOR = "auto", "curator"


@dataclass(frozen=True)
class GroupInput:
    """A group as an import row or a form states it: its slug, its parent's slug (``None``: top level) and
    the fields given, cleaned. ``has_parent`` is False when the row says nothing of a parent (kept as stored)."""

    slug: str
    parent: str | None
    fields: dict[str, Any]
    has_parent: bool = True


# --- Parsing ----------------------------------------------------------------------------------------


def parse_slug(value: Any, field: str = "slug") -> str:
    slug = clean(str(value or "")).lower()
    if not _SLUG.match(slug):
        raise BadInput(f"{field}: {slug[:80]!r} không hợp lệ: chỉ gồm chữ thường không dấu, số và dấu '-' "
                       "(ví dụ gom-phu-lang)")
    return slug


def _coerce(field: str, value: Any) -> Any:
    if field == "hs_codes":  # no HS code holds a comma: "69.13, 69.14" is two
        return [normalize_hs(x, "hs_codes") for x in split_items(value.replace(",", ";") if isinstance(value, str) else value)]
    if field in _LISTS:
        return split_items(value)
    if field == "is_sample":
        if isinstance(value, bool):
            return value
        key = fold(str(value or ""))
        if key in _YES or key in _NO:
            return key in _YES
        raise BadInput(f"is_sample: {clean(str(value))!r} không phải yes/no (có/không)")
    if field == "kind":
        key = fold(str(value or ""))
        if not key:
            return None  # unset: a new group is a trade, a stored one keeps its kind
        try:
            return GroupKind(_KIND_VI.get(key, key))
        except ValueError:
            raise BadInput(f"kind: {clean(str(value))!r} không hợp lệ (trade, hs_chapter hoặc ocop)") from None
    if field == "sources":  # one source a line: an address, or a document and where it is
        return "\n".join(split_items(value)) or None
    return clean(str(value or "")) or None


def parse_group(data: dict[str, Any]) -> GroupInput:
    """An import row or a form as a group: each value cleaned and checked (a BadInput names the field).

    Fields absent from ``data`` are left as stored; a field present but empty clears the stored value.
    """
    slug = parse_slug(data.get("slug"))
    fields = {f: _coerce(f, data[f]) for f in GROUP_FIELDS if f in data}
    if not fields.get("name"):
        raise BadInput("name: nhóm cần có tên")
    if "kind" in fields and fields["kind"] is None:
        fields.pop("kind")
    has_parent = "parent" in data
    parent = parse_slug(data["parent"], "parent") if has_parent and clean(str(data["parent"] or "")) else None
    if parent == slug:
        raise BadInput("parent: nhóm không thể là nhóm cha của chính nó")
    payload(ProductGroupBase, {"slug": slug, **fields})  # lengths and types, with the field named
    return GroupInput(slug=slug, parent=parent, fields=fields, has_parent=has_parent)


# --- Lookups ----------------------------------------------------------------------------------------


def get_group(session: Session, slug: str) -> ProductGroup | None:
    return session.exec(select(ProductGroup).where(ProductGroup.slug == clean(slug).lower())).first()


def require_group(session: Session, slug: str) -> ProductGroup:
    group = get_group(session, slug)
    if group is None:
        raise NotFound(f"Không có nhóm sản phẩm {clean(slug)[:80]!r}")
    return group


def list_groups(session: Session) -> list[ProductGroup]:
    return list(session.exec(select(ProductGroup).order_by(col(ProductGroup.kind), col(ProductGroup.name))).all())


def ancestors(session: Session, group: ProductGroup) -> list[ProductGroup]:
    """The group's parent, its parent's parent …, nearest first (a cycle, which writes refuse, stops it)."""
    out: list[ProductGroup] = []
    seen = {group.id}
    parent_id = group.parent_id
    while parent_id is not None and parent_id not in seen:
        parent = session.get(ProductGroup, parent_id)
        if parent is None:
            break
        out.append(parent)
        seen.add(parent_id)
        parent_id = parent.parent_id
    return out


def children(session: Session, group: ProductGroup) -> list[ProductGroup]:
    return list(session.exec(select(ProductGroup).where(ProductGroup.parent_id == group.id)
                             .order_by(col(ProductGroup.name))).all())


# --- Writing groups ---------------------------------------------------------------------------------


def upsert_group(session: Session, data: GroupInput, actor: str,
                 expected_version: int | None = None) -> tuple[ProductGroup, str]:
    """Create or update the group ``data.slug``; returns it and ``created`` / ``updated`` / ``unchanged``."""
    fields = dict(data.fields)
    group = get_group(session, data.slug)
    if data.has_parent:
        parent = None
        if data.parent:
            parent = get_group(session, data.parent)
            if parent is None:
                raise BadInput(f"parent: chưa có nhóm {data.parent!r} (nhập nhóm cha trước)")
            if group is not None and group.id in {g.id for g in [parent, *ancestors(session, parent)]}:
                raise BadInput(f"parent: {data.parent!r} nằm trong nhóm {data.slug!r}; không thể tạo vòng")
        fields["parent_id"] = parent.id if parent else None
    if group is None:
        group = ProductGroup(slug=data.slug, **{k: v for k, v in fields.items() if v is not None})
        session.add(group)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="product_group", entity_id=group.id,
                     after=audit.snapshot(group), summary=f"Tạo nhóm sản phẩm {group.name}")
        return group, "created"
    # A list column cleared by an empty cell becomes [] (the column is NOT NULL).
    fields = {k: ([] if v is None and k in _LISTS else v) for k, v in fields.items()}
    if "is_sample" in fields and fields["is_sample"] is None:
        fields["is_sample"] = False
    changed = update_versioned(session, group, fields, expected_version, actor=actor, entity="product_group",
                               summary=f"Cập nhật nhóm sản phẩm {group.name}")
    return group, "updated" if changed else "unchanged"


# --- Membership -------------------------------------------------------------------------------------


Words = list[tuple[str, str]]


def _word_seq(text: str | None) -> Words:
    """(folded, accented lower-case) per word."""
    return list(zip(tokens(text, folded=True), tokens(text), strict=False))


def _phrase_in(want: Words, have: Words) -> bool:
    """``want`` as whole consecutive words of ``have``, accents folded, except that two accented spellings of
    a word must agree (``gốm`` is not ``gồm``; an unaccented ``gom`` matches both)."""
    n = len(want)
    for i in range(len(have) - n + 1) if n else ():
        if all(f == hf and (f == w or hf == h or w == h) for (f, w), (hf, h) in zip(want, have[i:i + n], strict=True)):
            return True
    return False


@dataclass
class _Product:
    """What the rules look at in a product, read once (the automatic pass checks it against every group)."""

    texts: list[Words]
    hs: tuple[str, ...]  # approved HS codes (kb.hscodes), digits
    ocop_group: str
    folded: frozenset[str]  # every folded word: most keywords are ruled out by a set lookup

    @classmethod
    def of(cls, p: Any, hs: Iterable[str] = ()) -> _Product:  # a Product, or a row of its columns
        texts = [_word_seq(t) for t in [p.name, *(p.aliases or []), p.category, p.ocop_group] if t]
        return cls(texts, tuple(hs), fold(p.ocop_group), frozenset(f for t in texts for f, _ in t))

    def under(self, codes: list[str]) -> bool:
        """Whether one of the product's codes lies under one of ``codes`` (a group's)."""
        return any(covers(code, mine) for mine in self.hs for code in codes)


@dataclass
class _Rule:
    """A group's automatic rule: keywords, HS codes and, for an OCOP group, the OCOP group names it stands for."""

    keywords: list[Words]
    hs_codes: list[str]
    ocop_names: set[str]

    @classmethod
    def of(cls, g: ProductGroup) -> _Rule:
        names = {fold(n) for n in [g.name, *(g.aliases or [])]} if g.kind == GroupKind.ocop else set()
        return cls([w for w in (_word_seq(k) for k in g.keywords or []) if w], list(g.hs_codes or []), names)

    def matches(self, p: _Product) -> bool:
        return (bool(p.ocop_group) and p.ocop_group in self.ocop_names) \
            or any(_phrase_in(k, t) for k in self.keywords if k[0][0] in p.folded for t in p.texts) \
            or p.under(self.hs_codes)


class _Index:
    """Products by folded word, by spelling, by OCOP group and by HS code prefix, so a rule looks only at the
    products that can match."""

    def __init__(self, prods: list[tuple[int, _Product]]):
        self.products = dict(prods)
        self.by_word: dict[str, set[int]] = {}
        # (folded, accented) of every word: a one-word keyword is a lookup (``_phrase_in``'s accent rule below)
        self.by_spelling: dict[tuple[str, str], set[int]] = {}
        self.by_ocop: dict[str, set[int]] = {}
        # Every leading part of every code (``covers`` is a prefix test): a rule's code is one lookup, not a
        # test against each product's codes (the pass's largest cost with 2,000 products and 46 groups).
        self.by_code_prefix: dict[str, set[int]] = {}
        for pid, p in prods:
            for word in p.folded:
                self.by_word.setdefault(word, set()).add(pid)
            for text in p.texts:
                for spelling in text:
                    self.by_spelling.setdefault(spelling, set()).add(pid)
            if p.ocop_group:
                self.by_ocop.setdefault(p.ocop_group, set()).add(pid)
            for code in p.hs:
                for n in range(len(code) + 1):
                    self.by_code_prefix.setdefault(code[:n], set()).add(pid)

    def hits(self, rule: _Rule) -> set[int]:
        found = {pid for name in rule.ocop_names for pid in self.by_ocop.get(name, ())}
        for k in rule.keywords:
            if len(k) == 1:
                # ``_phrase_in`` for one word (f, w): a word (f, h) of the product with f == w (the keyword is
                # unaccented), h == f (the product's word is) or h == w (the same spelling).
                f, w = k[0]
                if f == w:
                    found.update(self.by_word.get(f, ()))
                else:
                    found.update(self.by_spelling.get((f, f), ()))
                    found.update(self.by_spelling.get((f, w), ()))
                continue
            # Only the products that have every word of the phrase are read word by word.
            candidates = set.intersection(*(self.by_word.get(f, set()) for f, _ in k))
            found.update(pid for pid in candidates if any(_phrase_in(k, t) for t in self.products[pid].texts))
        for code in rule.hs_codes:
            found.update(self.by_code_prefix.get(code, ()))
        return found


def matches(group: ProductGroup, product: Product, session: Session | None = None) -> bool:
    """Whether the automatic rule places ``product`` in ``group``: a keyword in its words, one of its approved
    HS codes under one of the group's (read when a ``session`` is given), or (OCOP groups) its OCOP group
    named by the group's name or an alias."""
    hs = hscodes.product_codes(session, pk(product)) if session is not None and product.id is not None else []
    return _Rule.of(group).matches(_Product.of(product, hs))


def refresh_members(session: Session, actor: str, *, group_ids: Iterable[int] | None = None,
                    product_ids: Iterable[int] | None = None) -> dict[str, int]:
    """The automatic pass: place products their groups' rules match, and take out the automatic members the
    rules no longer match. Curators' members and exclusions stay as they are. One audit event per group
    whose members changed. Rows are read and written in bulk: the pass runs after every products import."""
    product_ids = list(product_ids) if product_ids is not None else None  # read twice below
    gq = select(ProductGroup)
    if group_ids is not None:
        gq = gq.where(col(ProductGroup.id).in_(list(group_ids)))
    # Only the columns the rules read (ORM objects cost more than the matching itself).
    pq = select(Product.id, Product.name, Product.aliases, Product.category, Product.ocop_group)  # type: ignore[call-overload]
    if product_ids is not None:
        pq = pq.where(col(Product.id).in_(list(product_ids)))
    groups = list(session.exec(gq).all())
    rows = session.exec(pq).all()
    hs = hscodes.approved_codes(session, product_ids)
    prods = [(row.id, _Product.of(row, hs.get(row.id, ()))) for row in rows]
    counts = {"added": 0, "removed": 0}
    if not groups or not prods:
        return counts
    mq = select(ProductGroupMember.id, ProductGroupMember.group_id, ProductGroupMember.product_id,  # type: ignore[call-overload]
                ProductGroupMember.source, ProductGroupMember.excluded)
    if group_ids is not None:
        mq = mq.where(col(ProductGroupMember.group_id).in_([pk(g) for g in groups]))
    if product_ids is not None:
        mq = mq.where(col(ProductGroupMember.product_id).in_([pid for pid, _ in prods]))
    existing: dict[int, dict[int, Any]] = {}
    for m in session.exec(mq).all():
        existing.setdefault(m.group_id, {})[m.product_id] = m
    index = _Index(prods)
    now = utcnow()
    for g in groups:
        gid = pk(g)
        hits, members_now = index.hits(_Rule.of(g)), existing.get(gid, {})
        added = sorted(hits - members_now.keys())
        stale = sorted((pid, m.id) for pid, m in members_now.items()
                       if pid not in hits and m.source == AUTO and not m.excluded)
        removed, gone = [pid for pid, _ in stale], [mid for _, mid in stale]
        if added:
            session.execute(sa_insert(ProductGroupMember), [
                {"group_id": gid, "product_id": pid, "source": AUTO, "excluded": False, "created_at": now}
                for pid in added])
        for i in range(0, len(gone), 1000):
            session.execute(sa_delete(ProductGroupMember).where(col(ProductGroupMember.id).in_(gone[i:i + 1000])))
        if added or removed:
            audit.record(session, actor=actor, action="update", entity="product_group", entity_id=gid,
                         before={"members_removed": removed} if removed else None,
                         after={"members_added": added} if added else None,
                         summary=f"Tự động xếp sản phẩm vào nhóm {g.name}: thêm {len(added)}, bỏ {len(removed)}")
            counts["added"] += len(added)
            counts["removed"] += len(removed)
    session.flush()
    return counts


def _member(session: Session, group: ProductGroup, product: Product) -> ProductGroupMember | None:
    return session.exec(select(ProductGroupMember).where(ProductGroupMember.group_id == group.id,
                                                         ProductGroupMember.product_id == product.id)).first()


def _replace_member(session: Session, old: ProductGroupMember | None, **values: Any) -> ProductGroupMember:
    """Write a member row anew rather than in place: the page cache sees a member change by its newest
    ``created_at`` (``kb.fingerprint``)."""
    if old is not None:
        session.delete(old)
        session.flush()
    member = ProductGroupMember(**values)
    session.add(member)
    session.flush()
    return member


def add_member(session: Session, group: ProductGroup, product: Product, actor: str) -> str:
    """A curator places ``product`` in ``group`` (lifting an earlier exclusion); ``added`` or ``unchanged``."""
    member = _member(session, group, product)
    if member is not None and not member.excluded:
        return "unchanged"
    before = audit.snapshot(member)
    member = _replace_member(session, member, group_id=pk(group), product_id=pk(product), source=CURATOR)
    audit.record(session, actor=actor, action="create" if before is None else "update", entity="group_member",
                 entity_id=member.id, before=before, after=audit.snapshot(member),
                 summary=f"Thêm {product.name} vào nhóm {group.name}")
    return "added"


def remove_member(session: Session, group: ProductGroup, product: Product, actor: str) -> str:
    """A curator takes ``product`` out of ``group``: a hand-placed member is deleted; an automatic one, or one
    the rule would place, is kept as excluded so the automatic pass does not bring it back.
    ``removed`` or ``unchanged``."""
    member = _member(session, group, product)
    if member is not None and member.excluded:
        return "unchanged"
    if member is None and not matches(group, product, session):
        return "unchanged"
    before = audit.snapshot(member)
    if member is not None and member.source == CURATOR:
        session.delete(member)
        session.flush()
        audit.record(session, actor=actor, action="delete", entity="group_member", entity_id=member.id,
                     before=before, summary=f"Loại {product.name} khỏi nhóm {group.name}")
        return "removed"
    member = _replace_member(session, member, group_id=pk(group), product_id=pk(product), source=AUTO, excluded=True)
    audit.record(session, actor=actor, action="update" if before else "create", entity="group_member",
                 entity_id=member.id, before=before, after=audit.snapshot(member),
                 summary=f"Loại {product.name} khỏi nhóm {group.name}")
    return "removed"


def members(session: Session, group: ProductGroup, *, include_excluded: bool = False
            ) -> list[tuple[ProductGroupMember, Product]]:
    q = select(ProductGroupMember, Product).join(Product, col(Product.id) == col(ProductGroupMember.product_id)) \
        .where(ProductGroupMember.group_id == group.id)
    if not include_excluded:
        q = q.where(col(ProductGroupMember.excluded).is_(False))
    return sorted(session.exec(q).all(), key=lambda mp: fold(mp[1].name))


def groups_of_product(session: Session, product: Product) -> list[tuple[ProductGroup, ProductGroup | None]]:
    """The product's groups and, after each, its ancestors: ``(group, via)`` where ``via`` is the member group
    an ancestor is reached through (``None`` for a group the product is a member of). Each group once."""
    direct = session.exec(
        select(ProductGroup).join(ProductGroupMember, col(ProductGroupMember.group_id) == col(ProductGroup.id))
        .where(ProductGroupMember.product_id == product.id, col(ProductGroupMember.excluded).is_(False))
    ).all()
    out: list[tuple[ProductGroup, ProductGroup | None]] = []
    seen: set[int] = set()
    for g in sorted(direct, key=lambda g: fold(g.name)):
        if pk(g) not in seen:
            seen.add(pk(g))
            out.append((g, None))
    for g in [g for g, _ in out]:
        for a in ancestors(session, g):
            if pk(a) not in seen:
                seen.add(pk(a))
                out.append((a, g))
    return out


# --- Group mappings ---------------------------------------------------------------------------------


def _find_mapping(session: Session, group: ProductGroup, standard: Standard, mtype: MappingType) -> GroupMapping | None:
    return session.exec(select(GroupMapping).where(GroupMapping.group_id == group.id,
                                                   GroupMapping.standard_id == standard.id,
                                                   GroupMapping.type == mtype)).first()


def upsert_group_mapping(session: Session, group: ProductGroup, standard: Standard, type: MappingType | str,
                         rationale: str | None, legal_basis: str | None, actor: str) -> tuple[GroupMapping, str]:
    """Create or update the group mapping (group, standard, type); the texts given replace the stored ones
    (an import row or a form is the whole mapping). Returns it and created / updated / unchanged."""
    mtype = parse_type(type)
    values: dict[str, Any] = {"rationale": clean(rationale) or None, "legal_basis": clean(legal_basis) or None}
    label = f"nhóm {group.name} ↔ {standard.code} ({mtype.value})"
    mapping = _find_mapping(session, group, standard, mtype)
    if mapping is None:
        mapping = GroupMapping(group_id=pk(group), standard_id=pk(standard), type=mtype, created_by=actor, **values)
        session.add(mapping)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="group_mapping", entity_id=mapping.id,
                     after=audit.snapshot(mapping), summary=f"Tạo ánh xạ {label}")
        return mapping, "created"
    changed = update_versioned(session, mapping, values, None, actor=actor, entity="group_mapping",
                               summary=f"Cập nhật ánh xạ {label}")
    return mapping, "updated" if changed else "unchanged"


def remove_group_mapping(session: Session, mapping_id: int, expected_version: int | None, actor: str, *,
                         group: ProductGroup | None = None) -> GroupMapping:
    """Delete a group mapping (of ``group``, when given: another group's mapping is not found there)."""
    mapping = session.get(GroupMapping, mapping_id)
    if mapping is None or (group is not None and mapping.group_id != group.id):
        raise NotFound(f"Không có ánh xạ nhóm #{mapping_id}" + (f" trong nhóm {group.slug}" if group else ""))
    group = group or session.get(ProductGroup, mapping.group_id)
    std = session.get(Standard, mapping.standard_id)
    delete_versioned(session, mapping, expected_version, actor=actor, entity="group_mapping",
                     summary=f"Xóa ánh xạ nhóm {group.name if group else mapping.group_id} ↔ "
                             f"{std.code if std else mapping.standard_id}")
    return mapping


def mappings_of_group(session: Session, group: ProductGroup) -> list[tuple[GroupMapping, Standard]]:
    rows = session.exec(select(GroupMapping, Standard).join(Standard, col(Standard.id) == col(GroupMapping.standard_id))
                        .where(GroupMapping.group_id == group.id)).all()
    return sorted(rows, key=lambda ms: (ms[0].type.value, ms[1].code))


def inherited_mappings(session: Session, product: Product) -> list[tuple[GroupMapping, Standard, ProductGroup]]:
    """The mappings of every group of the product (its own groups, then their ancestors), each with the group
    it comes from; a (standard, type) reached through several groups appears once, from the nearest."""
    out: list[tuple[GroupMapping, Standard, ProductGroup]] = []
    seen: set[tuple[int, str]] = set()
    for g, _ in groups_of_product(session, product):
        for m, s in mappings_of_group(session, g):
            key = (pk(s), m.type.value)
            if key not in seen:
                seen.add(key)
                out.append((m, s, g))
    return out


def ensure_unused_slug(session: Session, slug: str) -> None:
    """A form that creates a group refuses a slug already taken (an import would update it instead)."""
    if get_group(session, slug) is not None:
        raise Conflict(f"đã có nhóm {slug!r}; hãy sửa nhóm đó hoặc chọn địa chỉ khác")
