"""A curator's review of the mandatory regulations of a product or a product group.

Recording a review says "we looked: no technical regulation is mandatory here" (dated, signed, with an
optional note); the pages then say so instead of "chưa rà soát" (``kb.read.mandatory``). A review cannot
be recorded while an approved mandatory mapping applies: the page would contradict itself. A mapping
approved after the review simply takes precedence on the page; one rejected after it leaves the review
standing, since it found nothing mandatory without that mapping.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from kb.errors import BadInput
from kb.models import (
    GroupMapping,
    Mapping,
    MappingStatus,
    MappingType,
    Product,
    ProductGroup,
    ProductGroupMember,
    Standard,
)
from kb.text import clean
from kb.versioning import update_versioned

NOTE_MAX = 2000


def is_mandatory(mapping_type: MappingType | str, standard_mandatory: bool) -> bool:
    """The one definition of a mandatory requirement on a product page: a mapping typed "mandatory", or a
    hygiene mapping to a standard that is itself mandatory (a QCVN). Other types that point at a QCVN
    (its test method, its labelling) do not make the product regulated by it."""
    t = MappingType(mapping_type)
    return t == MappingType.mandatory or (t == MappingType.hygiene and bool(standard_mandatory))


def _group_ids_with_ancestors(session: Session, group_ids: list[int]) -> list[int]:
    seen: list[int] = []
    todo = list(group_ids)
    while todo:  # parents are few; the ``seen`` check also stops a cycle a bad import might make
        gid = todo.pop()
        if gid in seen:
            continue
        seen.append(gid)
        group = session.get(ProductGroup, gid)
        if group is not None and group.parent_id is not None:
            todo.append(group.parent_id)
    return seen


def mandatory_codes(session: Session, target: Product | ProductGroup) -> list[str]:
    """The codes of the mandatory requirements that apply to ``target``: a product's approved mappings and
    those of its groups (curated group mappings are approved by nature), a group's own and its parents'."""
    pairs: list[tuple[MappingType | str, Standard]] = []
    if isinstance(target, Product):
        pairs += session.exec(
            select(Mapping.type, Standard).join(Standard, col(Standard.id) == Mapping.standard_id)
            .where(Mapping.product_id == target.id, Mapping.status == MappingStatus.approved)
        ).all()
        group_ids = list(session.exec(
            select(ProductGroupMember.group_id)
            .where(ProductGroupMember.product_id == target.id, col(ProductGroupMember.excluded).is_(False))
        ).all())
    else:
        group_ids = [target.id] if target.id is not None else []
    groups = _group_ids_with_ancestors(session, group_ids)
    if groups:
        pairs += session.exec(
            select(GroupMapping.type, Standard).join(Standard, col(Standard.id) == GroupMapping.standard_id)
            .where(col(GroupMapping.group_id).in_(groups))
        ).all()
    return sorted({s.code for t, s in pairs if is_mandatory(t, s.mandatory)})


def _entity(target: Product | ProductGroup) -> tuple[str, str]:
    if isinstance(target, Product):
        return "product", f"sản phẩm {target.name}"
    return "product_group", f"nhóm {target.name}"


def record_mandatory_review(
    session: Session,
    target: Product | ProductGroup,
    actor: str,
    note: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> bool:
    """Record "no mandatory regulation" for ``target`` as found today by ``actor``; False when the same
    review (same day, reviewer and note) is already on record. BadInput while a mandatory mapping applies."""
    codes = mandatory_codes(session, target)
    entity, name = _entity(target)
    if codes:
        raise BadInput(f"Không thể ghi \"không có quy chuẩn bắt buộc\" cho {name}: đang áp dụng "
                       f"{', '.join(codes)}. Hãy bỏ ánh xạ bắt buộc trước nếu nó không đúng.")
    who = clean(actor)
    if not who:
        raise BadInput("thiếu người rà soát")
    text = clean(note) or None
    if text and len(text) > NOTE_MAX:
        raise BadInput(f"Ghi chú rà soát dài quá {NOTE_MAX} ký tự")
    changes = {
        "mandatory_reviewed_at": today or date.today(),
        "mandatory_reviewed_by": who,
        "mandatory_review_note": text,
    }
    return update_versioned(session, target, changes, expected_version, actor=actor, entity=entity,
                            action="review", summary=f"Rà soát {name}: không có quy chuẩn bắt buộc")


def clear_mandatory_review(
    session: Session, target: Product | ProductGroup, actor: str, expected_version: int | None = None
) -> bool:
    """Withdraw the review: the page says "chưa rà soát" again (unless a mandatory mapping applies).
    False when there was none."""
    entity, name = _entity(target)
    changes = {"mandatory_reviewed_at": None, "mandatory_reviewed_by": None, "mandatory_review_note": None}
    return update_versioned(session, target, changes, expected_version, actor=actor, entity=entity,
                            action="update", summary=f"Bỏ kết quả rà soát quy chuẩn bắt buộc của {name}")
