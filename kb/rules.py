"""Category rules: "every product of this category falls under this standard", turned into suggestions.

A rule makes a suggested mapping for each product of its category; the curator still decides each one.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from kb import audit, mappings, standards
from kb.errors import BadInput, Conflict, NotFound
from kb.models import CategoryRule, Mapping, MappingSource, MappingStatus, Product
from kb.text import clean, fold


def list_rules(session: Session) -> list[CategoryRule]:
    return list(session.exec(
        select(CategoryRule).order_by(col(CategoryRule.category), col(CategoryRule.standard_code))).all())


def require_rule(session: Session, rule_id: int) -> CategoryRule:
    rule = session.get(CategoryRule, rule_id)
    if rule is None:
        raise NotFound(f"Không có quy tắc #{rule_id}")
    return rule


def add_rule(session: Session, category: str, standard_code: str, type: str, rationale: str | None,
             legal_basis: str | None, actor: str) -> tuple[CategoryRule, int]:
    """A rule category → standard, and a suggestion for every product of the category. Returns the rule and
    the number of suggestions made."""
    category = clean(category)
    if not category:
        raise BadInput("thiếu nhóm sản phẩm (category)")
    std = standards.standard_named(session, standard_code)
    mtype = mappings.parse_type(type)
    exists = session.exec(select(CategoryRule).where(
        CategoryRule.category == category, CategoryRule.standard_code == std.code, CategoryRule.type == mtype)).first()
    if exists is not None:
        raise Conflict(f"đã có quy tắc {category} → {std.code} ({mtype.value})")
    rule = CategoryRule(category=category, standard_code=std.code, type=mtype,
                        rationale=clean(rationale) or None, legal_basis=clean(legal_basis) or None)
    session.add(rule)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="category_rule", entity_id=rule.id,
                 after=audit.snapshot(rule), summary=f"Quy tắc nhóm {category} → {std.code}")
    return rule, apply_rule(session, rule, actor)


def apply_rule(session: Session, rule: CategoryRule, actor: str) -> int:
    """Suggest the rule's standard for each product of its category that has no such mapping yet."""
    std = standards.standard_named(session, rule.standard_code)
    want = fold(rule.category)
    made = 0
    for product in session.exec(select(Product).where(col(Product.category).is_not(None))).all():
        if fold(product.category) != want:
            continue
        exists = session.exec(select(Mapping.id).where(
            Mapping.product_id == product.id, Mapping.standard_id == std.id, Mapping.type == rule.type)).first()
        if exists is not None:
            continue  # never downgrade a decided mapping to a suggestion
        mappings.upsert_mapping(session, product, std, rule.type, rule.rationale, rule.legal_basis,
                                MappingStatus.suggested, MappingSource.auto, actor, score=1.0,
                                reasons=[f"Quy tắc nhóm sản phẩm: {rule.category}"])
        made += 1
    return made


def delete_rule(session: Session, rule_id: int, actor: str) -> None:
    rule = require_rule(session, rule_id)
    audit.record(session, actor=actor, action="delete", entity="category_rule", entity_id=rule.id,
                 before=audit.snapshot(rule), summary=f"Xóa quy tắc {rule.category} → {rule.standard_code}")
    session.delete(rule)
    session.flush()
