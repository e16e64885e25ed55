"""Browse pages: products by kind, OCOP group, stars and district; standards by type, status and ICS; each
with facet counts; and the overview that the home and browse pages open with."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session, select

from kb.errors import BadInput
from kb.models import STATUS_LABELS_VI, Mapping, MappingStatus, Product, Standard, pk
from kb.read.refs import KIND_LABELS_VI
from kb.text import clean, fold
from kb.urls import product_url, standard_url

PAGE_SIZE = 50


def _page(page: int) -> int:
    if page < 1 or page > 100_000:
        raise BadInput("số trang không hợp lệ")
    return page


def _facet(values: Iterable[Any]) -> list[dict[str, Any]]:
    counts = Counter(v for v in values if v not in (None, ""))
    return [{"value": v, "count": n} for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]


def browse_products(
    session: Session, *, kind: str | None = None, group: str | None = None, stars: int | None = None,
    district: str | None = None, page: int = 1,
) -> dict[str, Any]:
    """Products filtered by kind, OCOP group, stars and district, with facet counts over the whole set."""
    page = _page(page)
    if kind and kind not in KIND_LABELS_VI:
        raise BadInput(f"loại sản phẩm {kind!r} không hợp lệ (key, ocop, other)")
    if stars is not None and not 1 <= stars <= 5:
        raise BadInput("số sao OCOP phải từ 1 đến 5")
    allp = session.exec(select(Product)).all()
    mapped = set(session.exec(
        select(Mapping.product_id).where(Mapping.status == MappingStatus.approved).distinct()
    ).all())

    def keep(p: Product, skip: str | None = None) -> bool:
        return ((skip == "kind" or not kind or p.kind.value == kind)
                and (skip == "group" or not group or clean(p.ocop_group) == clean(group))
                and (skip == "stars" or stars is None or p.ocop_stars == stars)
                and (skip == "district" or not district or clean(p.district) == clean(district)))

    items = sorted((p for p in allp if keep(p)), key=lambda p: (-(p.ocop_stars or 0), fold(p.name)))
    start = (page - 1) * PAGE_SIZE
    return {
        "filters": {"kind": kind, "group": group, "stars": stars, "district": district},
        "total": len(items),
        "page": page,
        "pages": max(1, -(-len(items) // PAGE_SIZE)),
        "items": [{
            "id": p.id, "name": p.name, "kind": p.kind.value, "kind_label": KIND_LABELS_VI[p.kind.value],
            "ocop_stars": p.ocop_stars, "ocop_group": p.ocop_group, "ocop_year": p.ocop_year,
            "producer": p.producer, "district": p.district, "has_mappings": p.id in mapped, "url": product_url(pk(p)),
        } for p in items[start:start + PAGE_SIZE]],
        # Each facet counts what the other filters leave, so its numbers match what a click gives.
        "facets": {
            "kind": [{**f, "label": KIND_LABELS_VI[f["value"]]}
                     for f in _facet(p.kind.value for p in allp if keep(p, "kind"))],
            "group": _facet(clean(p.ocop_group) for p in allp if keep(p, "group")),
            "stars": sorted(_facet(p.ocop_stars for p in allp if keep(p, "stars")), key=lambda f: -f["value"]),
            "district": _facet(clean(p.district) for p in allp if keep(p, "district")),
        },
    }


def browse_standards(
    session: Session, *, doc_type: str | None = None, status: str | None = None, ics: str | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """Standards by type, status and ICS prefix, with facet counts."""
    page = _page(page)
    if status and status not in STATUS_LABELS_VI:
        raise BadInput(f"trạng thái {status!r} không hợp lệ ({', '.join(STATUS_LABELS_VI)})")
    # Only the columns a list shows, as rows with attributes (sqlmodel types a select of nine columns poorly).
    rows: Sequence[Any] = session.exec(select(  # type: ignore[call-overload,misc]
        Standard.id, Standard.code, Standard.title_vi, Standard.title_en, Standard.doc_type, Standard.status,
        Standard.ics, Standard.mandatory, Standard.year)).all()

    def ics_top(v: str | None) -> str | None:
        return clean(v).split(".")[0] if v and clean(v) else None

    def keep(r, skip: str | None = None) -> bool:
        return ((skip == "doc_type" or not doc_type or r.doc_type == doc_type)
                and (skip == "status" or not status or r.status.value == status)
                and (skip == "ics" or not ics or (r.ics or "").startswith(clean(ics))))

    items = sorted((r for r in rows if keep(r)), key=lambda r: (r.doc_type, _natural(r.code)))
    start = (page - 1) * PAGE_SIZE
    return {
        "filters": {"doc_type": doc_type, "status": status, "ics": ics},
        "total": len(items),
        "page": page,
        "pages": max(1, -(-len(items) // PAGE_SIZE)),
        "items": [{
            "id": r.id, "code": r.code, "title": r.title_vi or r.title_en, "doc_type": r.doc_type,
            "status": r.status.value, "status_label": STATUS_LABELS_VI[r.status.value], "ics": r.ics,
            "mandatory": r.mandatory, "year": r.year, "url": standard_url(r.code),
        } for r in items[start:start + PAGE_SIZE]],
        "facets": {
            "doc_type": _facet(r.doc_type for r in rows if keep(r, "doc_type")),
            "status": [{**f, "label": STATUS_LABELS_VI[f["value"]]}
                       for f in _facet(r.status.value for r in rows if keep(r, "status"))],
            "ics": sorted(_facet(ics_top(r.ics) for r in rows if keep(r, "ics")), key=lambda f: f["value"]),
        },
    }


def _natural(code: str) -> list[Any]:
    """``TCVN 2:…`` before ``TCVN 10:…``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", code)]


def browse_overview(session: Session) -> dict[str, Any]:
    products = browse_products(session)
    standards = browse_standards(session)
    key_products = browse_products(session, kind="key")
    return {
        "products": {"total": products["total"], "facets": products["facets"]},
        "key_products": key_products["items"],
        "standards": {"total": standards["total"], "facets": standards["facets"]},
    }
