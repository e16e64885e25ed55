"""Procedures as curated data: what a producer does on each route (công bố hợp quy, hợp chuẩn, tự công bố,
kiểm tra chất lượng), its steps, the documents to prepare, where to file, fees and time where known, the
legal basis as legal-document codes, its source and who reviewed it when.

No legal text lives in this code: the defaults ship as data (``data/standards/procedures.csv``) and curators
edit them (``/curate/procedures``). A route with no record, or a record that leaves a field empty, is shown
as not known, with DOST's contact: the page never guesses.

The product page's "Việc cần làm tiếp theo" card is :func:`next_steps`: which routes apply (mandatory
mappings → hợp quy, a food-safety basis → tự công bố, voluntary standards → hợp chuẩn, and a risk-list
control when given), each with its procedure and the legal basis once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from kb import audit, contacts, legal
from kb.errors import BadInput, Conflict, NotFound
from kb.models import Agency, Procedure
from kb.reviews import is_mandatory
from kb.text import clean, fold, split_items
from kb.versioning import StaleEdit, update_versioned

HOP_QUY, HOP_CHUAN, TU_CONG_BO, KIEM_TRA = "hop_quy", "hop_chuan", "tu_cong_bo", "kiem_tra_chat_luong"
#: The routes a product page knows, in the order it lists them, with the name shown when no record exists.
ROUTES = {
    HOP_QUY: "Công bố hợp quy",
    TU_CONG_BO: "Tự công bố sản phẩm",
    KIEM_TRA: "Kiểm tra chất lượng hàng hóa nhập khẩu",
    HOP_CHUAN: "Công bố hợp chuẩn",
}
#: A risk-list control (kb risk lists: ``requirements[].control``) → the route it leads to.
CONTROL_ROUTES = {"conformity_declaration": HOP_QUY, "quality_inspection": KIEM_TRA}
#: Fields a row or a form may carry besides ``key``.
FIELDS = ("title", "summary", "steps", "documents", "agency_key", "fees", "duration", "legal_basis", "source",
          "reviewed_by", "reviewed_at")
_LISTS = ("steps", "documents", "legal_basis")
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


# --- Reading and writing records -------------------------------------------------------------------------


def get_procedure(session: Session, key: str) -> Procedure | None:
    return session.exec(select(Procedure).where(Procedure.key == key)).first()


def require_procedure(session: Session, key: str) -> Procedure:
    proc = get_procedure(session, key)
    if proc is None:
        raise NotFound(f"Không có thủ tục {clean(key)[:40]!r}")
    return proc


def list_procedures(session: Session) -> list[Procedure]:
    """Every procedure: the known routes first in page order, then any other key."""
    order = list(ROUTES)
    return sorted(session.exec(select(Procedure)).all(),
                  key=lambda p: (order.index(p.key) if p.key in order else len(order), p.key))


def parse_key(value: Any) -> str:
    key = clean(str(value or "")).lower()
    if not _KEY.match(key):
        raise BadInput("key: cần mã ngắn gồm chữ thường không dấu, số và '_' (ví dụ hop_quy)")
    return key


def _coerce(field: str, value: Any) -> Any:
    if field in _LISTS:
        items = split_items(value)
        if field == "legal_basis":  # one document number per item, canonical ("15/2018/nđ-cp" → "15/2018/NĐ-CP")
            codes = []
            for x in items:
                found = legal.find_codes(x)
                if len(found) != 1 or (found[0].start, found[0].end) != (0, len(clean(x))):
                    raise BadInput(f"legal_basis: {x[:80]!r} không phải số hiệu văn bản (dạng số/năm/ký hiệu); "
                                   "mỗi số hiệu một dòng (trong tệp nhập: cách nhau bằng ;), tên và điều khoản ghi ở ô nguồn")
                codes.append(found[0].code)
            items = list(dict.fromkeys(codes))
        return items
    if field == "reviewed_at":
        if value in (None, ""):
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(clean(str(value)))
        except ValueError:
            raise BadInput(f"reviewed_at: {clean(str(value))[:40]!r} không phải ngày dạng YYYY-MM-DD") from None
    if field == "agency_key":  # checked against the agencies table on save
        return clean(str(value or "")).lower()[:40] or None
    if field == "source":  # one source a line (';' in an import cell): a file and its article, or an address
        return "\n".join(split_items(value)) or None
    if field == "summary":  # paragraphs: line breaks kept, each line cleaned
        lines = [clean(line) for line in str(value or "").splitlines()]
        return "\n".join(line for line in lines if line) or None
    text = clean(str(value or "")) or None
    if field == "title" and text and len(text) > 300:
        raise BadInput("title: dài quá 300 ký tự")
    return text


def parse_procedure(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An import row or a form as ``(key, fields)``, each value cleaned and checked (a BadInput names the
    field). Fields absent from ``data`` are left as stored; present but empty clears the stored value."""
    key = parse_key(data.get("key"))
    fields = {f: _coerce(f, data[f]) for f in FIELDS if f in data}
    if not fields.get("title"):
        raise BadInput("title: thủ tục cần có tên")
    return key, fields


def upsert_procedure(session: Session, key: str, fields: dict[str, Any], actor: str,
                     expected_version: int | None = None) -> tuple[Procedure, str]:
    """Create or update the procedure ``key``; returns it and ``created`` / ``updated`` / ``unchanged``.
    ``expected_version`` (a form's) makes a stale edit a 409."""
    agency_key = fields.get("agency_key")
    if agency_key and contacts.get_agency(session, agency_key) is None:
        raise BadInput(f"agency_key: chưa có cơ quan {agency_key!r}; thêm ở trang Cơ quan liên hệ trước")
    proc = get_procedure(session, key)
    if proc is None:
        proc = Procedure(key=key, **fields)
        try:
            with session.begin_nested():  # two first saves at once: the second is told, not a 500
                session.add(proc)
                session.flush()
        except IntegrityError:
            raise Conflict(f"thủ tục {key!r} vừa được người khác tạo; tải lại trang để sửa bản đó") from None
        audit.record(session, actor=actor, action="create", entity="procedure", entity_id=proc.id,
                     after=audit.snapshot(proc), summary=f"Thêm thủ tục {proc.title}")
        return proc, "created"
    changed = update_versioned(session, proc, fields, expected_version, actor=actor, entity="procedure",
                               summary=f"Cập nhật thủ tục {proc.title}")
    return proc, "updated" if changed else "unchanged"


def review_procedure(session: Session, key: str, fields: dict[str, Any], actor: str, expected_version: int | None,
                     today: date | None = None) -> tuple[Procedure, str]:
    """A curator's save of the form loaded at ``expected_version`` (``None``: the form created the record):
    the fields as edited, and the curator as the one who reviewed it today; saving unchanged text still
    records that someone checked it. A record created or changed since the form was loaded is a 409."""
    stamped = {**fields, "reviewed_by": actor, "reviewed_at": today or date.today()}
    proc = get_procedure(session, key)
    if proc is not None and expected_version is None:
        raise StaleEdit("procedure", audit.snapshot(proc), stamped)
    if proc is None and expected_version is not None:
        raise NotFound(f"Thủ tục {key!r} không còn nữa")
    return upsert_procedure(session, key, stamped, actor, expected_version=expected_version)


# --- Legal basis, once ------------------------------------------------------------------------------------


def citation_key(text: str) -> str:
    """The dedupe key of one citation: its document's key (``kb.legal``: any spelling of the number), or the
    folded text when it names none."""
    found = legal.find_codes(text)
    return found[0].key if found else "text:" + fold(text)


def legal_basis_once(codes: Iterable[str], curated: Iterable[str | None]) -> list[dict[str, Any]]:
    """The procedure's legal-basis codes and the mappings' curated bases (free text, ';'-separated), each
    document once: ``[{"code", "text"}]``. A bare code is replaced by a curated citation of the same
    document when there is one ("Nghị định …" reads better than the number alone)."""
    out: dict[str, dict[str, Any]] = {}
    for code in codes:
        out.setdefault(citation_key(code), {"code": code, "text": code})
    for basis in curated:
        for part in split_items(basis or ""):
            found = legal.find_codes(part)
            key = citation_key(part)
            if key not in out:
                out[key] = {"code": found[0].code if found else None, "text": part}
            elif out[key]["text"] == out[key]["code"] and part != out[key]["code"]:
                out[key]["text"] = part
    return list(out.values())


# --- The next-step card -----------------------------------------------------------------------------------


def _cites(basis: str | None, keys: set[str]) -> bool:
    return any(citation_key(p) in keys for p in split_items(basis or "") if legal.find_codes(p))


def routes(standards: list[dict[str, Any]], food_codes: Iterable[str],
           controls: Iterable[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """Which routes apply to a page's standards (dicts with ``mapping_type``, ``mandatory``, ``legal_basis``),
    each with the standards that lead to it, in page order. A mandatory requirement whose curated basis
    cites a document of the tự công bố procedure (``food_codes``: the food-safety law and decree, as data)
    leads there, any other to hợp quy; voluntary standards to hợp chuẩn. ``controls`` (risk-list controls
    of the product's HS codes) add their route even without a mapping."""
    food_keys = {citation_key(c) for c in food_codes}
    found: dict[str, list[dict[str, Any]]] = {}
    for s in standards:
        if is_mandatory(s["mapping_type"], s["mandatory"]):
            route = TU_CONG_BO if _cites(s.get("legal_basis"), food_keys) else HOP_QUY
        elif not s["mandatory"] and s["mapping_type"] == "voluntary":
            route = HOP_CHUAN
        else:
            continue
        found.setdefault(route, []).append(s)
    for control in controls:
        if control in CONTROL_ROUTES:
            found.setdefault(CONTROL_ROUTES[control], [])
    return {r: found[r] for r in ROUTES if r in found}


def next_steps(session: Session, standards: list[dict[str, Any]], controls: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The "Việc cần làm tiếp theo" card of a product page, built from the procedure records."""
    records = {p.key: p for p in session.exec(select(Procedure).where(col(Procedure.key).in_(list(ROUTES)))).all()}
    food = records.get(TU_CONG_BO)
    applying = routes(standards, food.legal_basis if food else (), controls)
    if not applying:
        return []
    agencies = {a.key: a for a in session.exec(select(Agency)).all()}
    dost = contacts.agency_view(agencies.get(contacts.DOST))
    return [procedure_view(records.get(route), route, items, agencies, dost) for route, items in applying.items()]


def procedure_view(proc: Procedure | None, route: str, standards: list[dict[str, Any]],
                   agencies: dict[str, Agency], dost: dict[str, Any] | None) -> dict[str, Any]:
    """One step of the card. Unknown is explicit: ``None`` fees or duration, empty steps or documents, no
    agency (then ``contact`` is DOST, whose own unverified fields are listed in ``contact_missing``)."""
    agency = contacts.agency_view(agencies.get(proc.agency_key)) if proc is not None and proc.agency_key else None
    # DOST is the way forward whenever the filing office or its contact details are not known.
    ask_dost = agency is None or (agency["key"] != contacts.DOST and not any(
        agency.get(f) for f, _ in contacts.CONTACT_FIELDS))
    contact = dost if ask_dost else None
    return {
        "kind": route,
        "key": route,
        "recorded": proc is not None,
        "title": proc.title if proc is not None else ROUTES[route],
        "summary": proc.summary if proc is not None else None,
        "steps": list(proc.steps) if proc is not None else [],
        "documents": list(proc.documents) if proc is not None else [],
        "standards": [{"code": s["code"], "url": s["url"]} for s in standards],
        "agency": agency,
        "agency_missing": contacts.missing_contact(agency),
        "contact": contact,
        "contact_missing": contacts.missing_contact(contact),
        "fees": proc.fees if proc is not None else None,
        "duration": proc.duration if proc is not None else None,
        "legal_basis": legal_basis_once(proc.legal_basis if proc is not None else (),
                                        [s.get("legal_basis") for s in standards]),
        "source": proc.source if proc is not None else None,
        "reviewed_by": proc.reviewed_by if proc is not None else None,
        "reviewed_at": proc.reviewed_at.isoformat() if proc is not None and proc.reviewed_at else None,
        "version": proc.version if proc is not None else None,
    }
