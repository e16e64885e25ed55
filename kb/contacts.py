"""Agencies the site points people to (DOST first) as curated, dated data: name, office, address, phone,
e-mail, website, where the details come from and when a curator last checked them.

Pages ask for an agency by its ``key`` (``dost``); a detail nobody has verified is absent, and the page
says so rather than guessing.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlmodel import Session, select

from kb import audit
from kb.errors import BadInput
from kb.links import check_url
from kb.models import Agency, AgencyBase, payload
from kb.text import clean
from kb.versioning import update_versioned

#: The provincial Department of Science and Technology: where a producer without an answer is sent.
DOST = "dost"
AGENCY_FIELDS = tuple(AgencyBase.model_fields)
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: The contact fields a page shows under an agency's name, in order, with what to call them when missing.
CONTACT_FIELDS = (("unit", "đơn vị tiếp nhận"), ("address", "địa chỉ"), ("phone", "số điện thoại"),
                  ("email", "thư điện tử"), ("website", "trang web"))


def get_agency(session: Session, key: str) -> Agency | None:
    return session.exec(select(Agency).where(Agency.key == key)).first()


def list_agencies(session: Session) -> list[Agency]:
    return list(session.exec(select(Agency).order_by(Agency.key)).all())


def agency_view(agency: Agency | None) -> dict[str, Any] | None:
    """What a public page shows of an agency (``None``: the project holds no record of it)."""
    if agency is None:
        return None
    return {
        "key": agency.key, "name": agency.name, "unit": agency.unit, "address": agency.address,
        "phone": agency.phone, "email": agency.email, "website": agency.website, "source": agency.source,
        "verified_at": agency.verified_at.isoformat() if agency.verified_at else None,
        "version": agency.version,
    }


def missing_contact(view: dict[str, Any] | None) -> list[str]:
    """What a page must say nobody has verified yet for the agency ``view`` ("chưa có … đã xác minh")."""
    return [label for name, label in CONTACT_FIELDS if view is not None and not view.get(name)]


def _coerce(field: str, value: Any) -> Any:
    if value in (None, ""):
        return None
    if field == "verified_at":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(clean(str(value)))
        except ValueError:
            raise BadInput(f"verified_at: {clean(str(value))!r} không phải ngày dạng YYYY-MM-DD") from None
    text = clean(str(value))
    if field == "email" and text and not _EMAIL.match(text):
        raise BadInput(f"email: {text!r} không phải địa chỉ e-mail")
    if field == "website":
        return check_url(text, "website")
    return text or None


def parse_agency(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An import row or a form as ``(key, fields)``: every value cleaned and checked; empty clears."""
    key = clean(str(data.get("key") or "")).lower()
    if not _KEY.match(key):
        raise BadInput("key: cần mã ngắn gồm chữ thường, số, '-' hoặc '_' (ví dụ dost)")
    fields = {f: _coerce(f, data.get(f)) for f in AGENCY_FIELDS if f in data}
    if not fields.get("name"):
        raise BadInput("name: cơ quan cần có tên")
    payload(AgencyBase, fields)  # lengths and types, with the field named
    return key, fields


def upsert_agency(session: Session, key: str, fields: dict[str, Any], actor: str,
                  expected_version: int | None = None) -> tuple[Agency, str]:
    """Create or update the agency ``key``; returns it and ``created`` / ``updated`` / ``unchanged``."""
    agency = get_agency(session, key)
    if agency is None:
        agency = Agency(key=key, **fields)
        session.add(agency)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="agency", entity_id=agency.id,
                     after=audit.snapshot(agency), summary=f"Thêm cơ quan {agency.name}")
        return agency, "created"
    changed = update_versioned(session, agency, fields, expected_version, actor=actor, entity="agency",
                               summary=f"Cập nhật thông tin liên hệ {agency.name}")
    return agency, "updated" if changed else "unchanged"
