"""How one record appears inside another's page: a standard (linked, with its status), a designation
that may not be in the knowledge base, a product kind; and the small conversions the read models share
(``iso`` dates, a code's ``series_key``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from kb import codes
from kb.models import STATUS_LABELS_VI, Standard
from kb.urls import standard_url

#: Labels of a product's kind (``ProductKind``) on every page that lists products.
KIND_LABELS_VI = {"key": "Sản phẩm chủ lực", "ocop": "Sản phẩm OCOP", "other": "Sản phẩm khác"}


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def series_key(code: str | None) -> str | None:
    d = codes.parse(code or "")
    return d.series_key if d else None


def status_fields(std: Standard) -> dict[str, Any]:
    return {"status": std.status.value, "status_label": STATUS_LABELS_VI[std.status.value]}


def standard_ref(std: Standard) -> dict[str, Any]:
    return {
        "id": std.id,
        "code": std.code,
        "title": std.title_vi or std.title_en,
        **status_fields(std),
        "mandatory": std.mandatory,
        "url": standard_url(std.code),
    }


def code_ref(code: str, known: dict[str, Standard]) -> dict[str, Any]:
    """A designation that may or may not be in the knowledge base (linked only when it is)."""
    d = codes.parse(code)
    std = known.get(d.key) if d else None
    if std is None:
        return {"code": code, "in_kb": False, "url": None, "status": None, "status_label": None, "title": None}
    return {"code": std.code, "in_kb": True, "url": standard_url(std.code), "title": std.title_vi or std.title_en,
            **status_fields(std)}


def standards_by_key(session: Session, code_list: Iterable[str]) -> dict[str, Standard]:
    keys = {d.key for d in (codes.parse(c) for c in code_list) if d}
    if not keys:
        return {}
    return {s.code_key: s for s in session.exec(select(Standard).where(col(Standard.code_key).in_(keys))).all()}
