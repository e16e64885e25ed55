"""The coverage page: gaps in the knowledge base, what an enterprise would look for and not find."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    STATUS_LABELS_VI,
    Criterion,
    Lab,
    LabScope,
    Mapping,
    MappingStatus,
    Product,
    ProductKind,
    Standard,
    StandardStatus,
    pk,
)
from kb.read.labs import VALIDITY_LABELS_VI, lab_ref, validity
from kb.read.refs import KIND_LABELS_VI, series_key, status_fields
from kb.standards import replaced_by_chain
from kb.text import fold
from kb.urls import product_url, standard_url


def coverage(session: Session, today: date | None = None) -> dict[str, Any]:
    """Gaps in the knowledge base: what an enterprise would look for and not find."""
    today = today or date.today()
    products = session.exec(select(Product)).all()
    approved = session.exec(
        select(Mapping, Standard).join(Standard, col(Standard.id) == Mapping.standard_id)
        .where(Mapping.status == MappingStatus.approved)
    ).all()
    mapped_ids = {m.product_id for m, _ in approved}
    by_id = {p.id: p for p in products}

    without = [{"id": p.id, "name": p.name, "kind": p.kind.value, "kind_label": KIND_LABELS_VI[p.kind.value],
                "district": p.district, "url": product_url(pk(p))}
               for p in sorted(products, key=lambda p: fold(p.name)) if p.id not in mapped_ids]

    # Every series some lab scope row cites as a method.
    tested: set[str] = set()
    for ms in session.exec(select(LabScope.method_series).where(LabScope.method_series != "")).all():
        tested.update(k for k in ms.strip("|").split("|") if k)

    crit_rows = session.exec(
        select(Criterion, Standard).join(Standard, col(Standard.id) == Criterion.standard_id)
        .order_by(Standard.code, col(Criterion.position))
    ).all()
    untestable, no_method = [], 0
    for c, s in crit_rows:
        key = series_key(c.method_code)
        if key is None:
            no_method += 1
        elif key not in tested:
            untestable.append({"standard": s.code, "standard_url": standard_url(s.code), "criterion": c.name,
                               "method": c.method, "method_code": c.method_code})

    labs = session.exec(select(Lab).order_by(Lab.name)).all()
    lab_states = {lab.id: validity(lab.valid_until, today) for lab in labs}
    lapsed = [lab_ref(lab, today) for lab in labs if lab_states[lab.id]["state"] == "lapsed"]
    expiring = [lab_ref(lab, today) for lab in labs if lab_states[lab.id]["state"] == "expiring"]

    on_replaced = []
    for m, s in approved:
        if s.status in (StandardStatus.replaced, StandardStatus.withdrawn):
            p = by_id.get(m.product_id)
            on_replaced.append({
                "mapping_id": m.id, "product": p.name if p else None, "product_url": product_url(m.product_id),
                "standard": s.code, "standard_url": standard_url(s.code), **status_fields(s),
                "mapping_type_label": MAPPING_TYPE_LABELS_VI[m.type.value],
                "replaced_by": replaced_by_chain(session, s),
            })

    status_counts = dict(session.exec(select(Standard.status, func.count()).group_by(Standard.status)).all())
    kinds = Counter(p.kind.value for p in products)
    kinds_mapped = Counter(p.kind.value for p in products if p.id in mapped_ids)
    validity_counts = Counter(s["state"] for s in lab_states.values())

    return {
        "today": today.isoformat(),
        "counts": {
            "products": len(products),
            "products_mapped": len(mapped_ids & set(by_id)),
            "standards": sum(status_counts.values()),
            "labs": len(labs),
            "criteria": len(crit_rows),
            "criteria_without_method": no_method,
            "approved_mappings": len(approved),
        },
        "products_without_mappings": without,
        "criteria_untestable": untestable,
        "labs_lapsed": lapsed,
        "labs_expiring": expiring,
        "mappings_on_replaced": on_replaced,
        "charts": {
            "products": [
                {"label": f"{KIND_LABELS_VI[k.value]} – có ánh xạ", "value": kinds_mapped.get(k.value, 0),
                 "total": kinds.get(k.value, 0)}
                for k in ProductKind if kinds.get(k.value)
            ],
            "standards_by_status": [
                {"label": STATUS_LABELS_VI[s.value], "value": status_counts.get(s, 0)}
                for s in StandardStatus if status_counts.get(s, 0)
            ],
            "labs_by_validity": [
                {"label": VALIDITY_LABELS_VI[k], "value": validity_counts.get(k, 0), "state": k}
                for k in ("valid", "expiring", "lapsed", "unknown") if validity_counts.get(k, 0)
            ],
        },
    }
