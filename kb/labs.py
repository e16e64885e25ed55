"""Accredited labs and their scope rows (material × test × range × method standard).

A lab is identified by its accreditation (``VILAS 1074``, ``LAS-XD 164``). Each scope row keeps the method
text as printed and, beside it, the canonical codes found in it, so a standard page can list the labs that
test by that standard (any edition of it). A lab's own accounts keep its profile and scope up to date
and curators verify the listing (the curation section at the end).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, or_, select

from kb import audit, codes, standards
from kb.codes import parse_method
from kb.errors import BadInput, Conflict, NotFound
from kb.links import check_url
from kb.models import AuditEvent, Lab, LabCreate, LabScope, LabScopeCreate, LabUpdate, Standard, StandardStatus, payload, utcnow
from kb.standards import like_escape
from kb.text import clean
from kb.urls import standard_url
from kb.versioning import delete_versioned, revert_event, update_versioned

#: Fields of Lab an import or a form may set (besides the accreditation that identifies it).
LAB_FIELDS = tuple(LabUpdate.model_fields)
#: Profile fields a lab user may edit (``is_sample`` and the accreditation itself stay with curators).
LAB_PROFILE_FIELDS = ("name", "organization", "valid_from", "valid_until", "address", "district", "phone",
                      "email", "website")
SCOPE_FIELDS = ("material", "test", "range", "method", "accredited")
#: A lab may set these itself, but they are shown as fact only once a curator confirmed them.
VALIDITY_FIELDS = ("valid_from", "valid_until")

# Body letters (with inner hyphens: LAS-XD) directly or spacedly followed by the number: "vilas1074".
_ACCREDITATION = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)\s*(\d+)")


def normalize_accreditation(text: str | None) -> str:
    """``vilas  1074`` → ``VILAS 1074``, ``las - xd 164`` → ``LAS-XD 164``; other shapes are only cleaned.

    Raises BadInput when nothing is left.
    """
    s = clean(text).upper()
    s = re.sub(r"\s*-\s*", "-", s)
    if not s:
        raise BadInput("thiếu số công nhận của phòng thí nghiệm")
    m = _ACCREDITATION.fullmatch(s)
    return f"{m.group(1)} {m.group(2)}" if m else s


def split_accreditation(accreditation: str) -> tuple[str | None, str | None]:
    m = _ACCREDITATION.fullmatch(accreditation)
    if m:
        return m.group(1), m.group(2)
    return None, None


def get_lab(session: Session, lab_id: int) -> Lab | None:
    return session.get(Lab, lab_id)


def require_lab(session: Session, lab_id: int) -> Lab:
    lab = session.get(Lab, lab_id)
    if lab is None:
        raise NotFound(f"Không tìm thấy phòng thí nghiệm #{lab_id}")
    return lab


def find_lab(session: Session, accreditation: str) -> Lab | None:
    acc = normalize_accreditation(accreditation)
    return session.exec(select(Lab).where(Lab.accreditation == acc)).first()


def require_by_accreditation(session: Session, accreditation: str) -> Lab:
    lab = find_lab(session, accreditation)
    if lab is None:
        raise NotFound(f"Không có phòng thí nghiệm có số công nhận {normalize_accreditation(accreditation)!r}")
    return lab


def _coerce(field: str, value: Any) -> Any:
    if field in ("valid_from", "valid_until"):
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise BadInput(f"{field}: ngày không hợp lệ {value!r} (dùng YYYY-MM-DD)") from None
    if field == "is_sample":
        return bool(value)
    if field == "website":
        return check_url(value, "trang web")
    if isinstance(value, str):
        return clean(value) or None
    return value


def parse_lab(data: dict[str, Any]) -> LabCreate:
    """An import row or a document's lab header as a lab: accreditation normalised, values cleaned and
    checked (BadInput); empty values are left unset."""
    acc = normalize_accreditation(data.get("accreditation"))
    values = {f: _coerce(f, data[f]) for f in LAB_FIELDS if f in data}
    values = {k: v for k, v in values.items() if v is not None}
    if values.get("valid_from") and values.get("valid_until") and values["valid_until"] < values["valid_from"]:
        raise BadInput(f"{acc}: valid_until ({values['valid_until']}) trước valid_from ({values['valid_from']})")
    return payload(LabCreate, {"accreditation": acc, **values})


def parse_lab_profile(data: dict[str, Any]) -> LabUpdate:
    """A lab's profile form: the fields a lab user may edit (not ``is_sample``, not the accreditation),
    cleaned and checked; an empty field clears the value."""
    values = {f: _coerce(f, data[f] if data[f] != "" else None) for f in LAB_PROFILE_FIELDS if f in data}
    if "name" in values and not values["name"]:
        raise BadInput("tên phòng thí nghiệm không được để trống")
    return payload(LabUpdate, values)


def upsert_lab(session: Session, data: LabCreate, actor: str) -> tuple[Lab, str]:
    """Create or update the lab with ``data.accreditation``: returns it and created/updated/unchanged.

    Only the fields set are written; empty values never erase what is known.
    """
    acc = normalize_accreditation(data.accreditation)
    values = {k: v for k, v in data.model_dump(exclude_unset=True, exclude={"accreditation"}).items() if v is not None}
    body, number = split_accreditation(acc)
    lab = session.exec(select(Lab).where(Lab.accreditation == acc)).first()
    if lab is None:
        if not values.get("name"):
            raise BadInput(f"{acc}: thiếu tên phòng thí nghiệm")
        lab = Lab(accreditation=acc, accreditation_body=body, accreditation_number=number, **values)
        session.add(lab)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="lab", entity_id=lab.id,
                     after=audit.snapshot(lab), summary=f"Tạo phòng thí nghiệm {acc}")
        return lab, "created"
    if any(f in values and values[f] != getattr(lab, f) for f in VALIDITY_FIELDS):
        values["validity_verified"] = True  # imports are curators' data
    changed = update_versioned(session, lab, values, None, actor=actor, entity="lab",
                               summary=f"Cập nhật phòng thí nghiệm {acc}")
    return lab, "updated" if changed else "unchanged"


# --- Scope rows -----------------------------------------------------------------------------------


def method_index(method: str | None) -> tuple[list[str], str]:
    """Canonical codes cited in a method cell and their ``|``-joined series keys (``|tcvn3118|astmc39|``)."""
    cell = parse_method(method)
    return cell.codes, cell.series


def parse_scope_row(row: dict[str, Any]) -> LabScopeCreate:
    """An import row, a form or an API body as a scope row: cleaned, method codes normalised
    (:func:`parse_method`), and refused without a test."""
    test = clean(row.get("test"))
    if not test:
        raise BadInput("dòng phạm vi thiếu tên phép thử")
    accredited = row.get("accredited", True)
    return LabScopeCreate(
        material=clean(row.get("material")) or None,
        test=test,
        range=clean(row.get("range")) or None,
        method=parse_method(row.get("method")).text,
        accredited=True if accredited is None else bool(accredited),
    )


def _scope_values(row: LabScopeCreate) -> dict[str, Any]:
    """The row's columns with the method codes indexed (the same for import, add and edit)."""
    values = row.model_dump()
    values["method_codes"], values["method_series"] = method_index(row.method)
    return values


def _row_key(values: dict[str, Any]) -> tuple:
    return tuple(values[f] for f in SCOPE_FIELDS)


def scope_rows(session: Session, lab: Lab) -> list[LabScope]:
    return list(
        session.exec(select(LabScope).where(LabScope.lab_id == lab.id).order_by(col(LabScope.position), col(LabScope.id))).all()
    )


def add_scope_row(session: Session, lab: Lab, row: LabScopeCreate, actor: str) -> LabScope:
    """Append one row to the lab's scope."""
    values = _scope_values(row)
    assert lab.id is not None  # a stored lab
    existing = scope_rows(session, lab)
    position = (max((r.position for r in existing), default=-1)) + 1
    scope = LabScope(lab_id=lab.id, position=position, **values)
    session.add(scope)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="lab_scope", entity_id=scope.id,
                 after=audit.snapshot(scope), summary=f"Thêm phép thử vào phạm vi {lab.accreditation}: {values['test'][:80]}")
    return scope


def replace_scope(session: Session, lab: Lab, rows: Iterable[LabScopeCreate], actor: str,
                  *, keep_others: bool = False) -> dict[str, int]:
    """Make the lab's scope exactly ``rows`` (in order); identical rows are kept as they are.

    With ``keep_others`` the rows not named are kept after the given ones instead of being deleted (an
    import whose file had bad rows for this lab must not delete what those lines may have meant).
    Returns counts ``created`` / ``updated`` (moved) / ``unchanged`` / ``deleted``. Re-applying the same rows
    changes nothing and writes no audit event.
    """
    assert lab.id is not None  # a stored lab
    wanted = [_scope_values(r) for r in rows]
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    pool = _place(session, lab, wanted, scope_rows(session, lab), 0, actor, counts)
    leftovers_all = sorted(pool, key=lambda r: (r.position, r.id))
    if keep_others:
        for position, scope in enumerate(leftovers_all, start=len(wanted)):
            if scope.position != position:
                scope.position = position  # bookkeeping only: no audit event for a shifted row
                session.add(scope)
        session.flush()
        return counts
    _drop(session, lab, leftovers_all, actor, counts)
    return counts


def _place(session: Session, lab: Lab, wanted: list[dict[str, Any]], existing: Iterable[LabScope], start: int,
           actor: str, counts: dict[str, int]) -> list[LabScope]:
    """Put ``wanted`` at positions ``start``…, reusing identical ``existing`` rows (moved if need be);
    returns the existing rows not reused."""
    assert lab.id is not None  # a stored lab
    pool: dict[tuple, list[LabScope]] = {}
    for r in existing:
        pool.setdefault(_row_key(r.model_dump()), []).append(r)
    for position, values in enumerate(wanted, start=start):
        same = pool.get(_row_key(values))
        if same:
            scope = same.pop(0)
            changed = scope.position != position or scope.method_codes != values["method_codes"] \
                or scope.method_series != values["method_series"]
            if changed:
                update_versioned(session, scope, {"position": position, "method_codes": values["method_codes"],
                                                  "method_series": values["method_series"]},
                                 None, actor=actor, entity="lab_scope", summary=f"Cập nhật phạm vi {lab.accreditation}")
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
            continue
        scope = LabScope(lab_id=lab.id, position=position, **values)
        session.add(scope)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="lab_scope", entity_id=scope.id,
                     after=audit.snapshot(scope), summary=f"Thêm phép thử vào phạm vi {lab.accreditation}: {values['test'][:80]}")
        counts["created"] += 1
    return [r for rest in pool.values() for r in rest]


def _drop(session: Session, lab: Lab, rows: Iterable[LabScope], actor: str, counts: dict[str, int]) -> None:
    for scope in rows:
        audit.record(session, actor=actor, action="delete", entity="lab_scope", entity_id=scope.id,
                     before=audit.snapshot(scope), summary=f"Bỏ phép thử khỏi phạm vi {lab.accreditation}")
        session.delete(scope)
        counts["deleted"] += 1
    session.flush()


def _window(session: Session, lab: Lab, start: int, end: int | None, limit: int | None = None) -> list[LabScope]:
    query = select(LabScope).where(LabScope.lab_id == lab.id, col(LabScope.position) >= start)
    if end is not None:
        query = query.where(col(LabScope.position) < end)
    return list(session.exec(query.order_by(col(LabScope.position), col(LabScope.id)).limit(limit)).all())


def replace_scope_part(session: Session, lab: Lab, rows: Iterable[LabScopeCreate], start: int,
                       actor: str) -> dict[str, int]:
    """One batch of a scope replaced in several transactions (a file too large for one): rows ``start``…
    of the new scope. Identical rows already at those positions are kept; the others there are removed.
    A row that only moved to another batch's positions is removed and added again. After the last batch,
    :func:`drop_scope_from` removes the rows past the new end. Same counts as :func:`replace_scope`."""
    wanted = [_scope_values(r) for r in rows]
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    existing = _window(session, lab, start, start + len(wanted))
    _drop(session, lab, _place(session, lab, wanted, existing, start, actor, counts), actor, counts)
    return counts


def drop_scope_from(session: Session, lab: Lab, end: int, actor: str, limit: int) -> int:
    """Remove up to ``limit`` of the lab's rows at positions ``end`` and after; how many were removed."""
    counts = {"deleted": 0}
    _drop(session, lab, _window(session, lab, end, None, limit), actor, counts)
    return counts["deleted"]


def cites_series(series_keys: Iterable[str]) -> ColumnElement[bool]:
    """SQL condition: a scope row cites any of these method series (``method_series`` is ``|a|b|``)."""
    return or_(*(col(LabScope.method_series).like(f"%|{like_escape(k)}|%", escape="\\") for k in series_keys))


def labs_for_standard(session: Session, standard: Standard) -> list[Lab]:
    """Labs whose scope rows cite ``standard`` (any edition of its series) as a test method, by name."""
    lab_ids = session.exec(select(LabScope.lab_id).where(cites_series([standard.series_key])).distinct()).all()
    if not lab_ids:
        return []
    return list(session.exec(select(Lab).where(col(Lab.id).in_(lab_ids)).order_by(Lab.name)).all())


# --- Curation: lab self-service, verification -----------------------------------------------------
# What a lab's own accounts and the curators do on /lab; every change is versioned and audited.


def all_labs(session: Session) -> list[Lab]:
    return list(session.exec(select(Lab).order_by(col(Lab.name))).all())


def accreditations(session: Session) -> dict[int, str]:
    """lab id → accreditation, for lists of accounts."""
    return {i: a for i, a in session.exec(select(Lab.id, Lab.accreditation)).all() if i is not None}


def scope_row(session: Session, lab: Lab, row_id: int) -> LabScope:
    row = session.get(LabScope, row_id)
    if row is None or row.lab_id != lab.id:
        raise NotFound(f"Không có dòng phạm vi #{row_id} của phòng thí nghiệm {lab.accreditation}")
    return row


def update_scope(
    session: Session, lab: Lab, row_id: int, data: LabScopeCreate, expected_version: int | None, actor: str
) -> LabScope:
    """Replace the row's values (a whole row, as the form and the API send it)."""
    row = scope_row(session, lab, row_id)
    values = _scope_values(data)
    update_versioned(session, row, values, expected_version, actor=actor, entity="lab_scope",
                     summary=f"Sửa phạm vi {lab.accreditation}: {values['test'][:80]}")
    return row


def delete_scope(session: Session, lab: Lab, row_id: int, expected_version: int | None, actor: str) -> int:
    """Delete one row; returns the id of its audit event, which :func:`restore_scope` undoes."""
    row = scope_row(session, lab, row_id)
    delete_versioned(session, row, expected_version, actor=actor, entity="lab_scope",
                     summary=f"Xóa khỏi phạm vi {lab.accreditation}: {row.test[:80]}")
    session.flush()
    event_id = session.exec(select(AuditEvent.id).where(AuditEvent.entity == "lab_scope", AuditEvent.action == "delete",
                                                        AuditEvent.entity_id == row_id)
                            .order_by(col(AuditEvent.id).desc()).limit(1)).first()
    assert event_id is not None  # delete_versioned just logged it
    return event_id


def update_lab_profile(
    session: Session, lab: Lab, data: LabUpdate, expected_version: int | None, actor: str, *, confirmed: bool = True
) -> Lab:
    """Save a lab's profile. ``confirmed`` says whether the editor vouches for the validity dates (curators,
    admins, accepted proposals); the lab's own form passes False, and the dates it changes then stay
    unverified until a curator verifies the lab (:func:`verify_lab`)."""
    values = data.model_dump(exclude_unset=True)
    vf = values.get("valid_from", lab.valid_from)
    vu = values.get("valid_until", lab.valid_until)
    if vf and vu and vu < vf:
        raise BadInput(f"ngày hết hiệu lực ({vu}) trước ngày bắt đầu ({vf})")
    if any(f in values and values[f] != getattr(lab, f) for f in VALIDITY_FIELDS):
        values["validity_verified"] = confirmed
    update_versioned(session, lab, values, expected_version, actor=actor, entity="lab",
                     summary=f"Cập nhật hồ sơ phòng thí nghiệm {lab.accreditation}")
    return lab


def verify_lab(session: Session, lab: Lab, actor: str) -> Lab:
    """Mark the listing verified now, the validity dates the lab set itself included.

    ``updated_at`` tells whether the listing changed since, so it moves only when the validity becomes
    confirmed (public pages change then), and to the verification's own instant.
    """
    before = {"verified_at": audit.jsonable(lab.verified_at), "verified_by": lab.verified_by,
              "validity_verified": lab.validity_verified}
    lab.verified_at, lab.verified_by = utcnow(), actor
    if not lab.validity_verified:
        lab.validity_verified, lab.updated_at = True, lab.verified_at
    session.add(lab)
    session.flush()
    audit.record(session, actor=actor, action="verify", entity="lab", entity_id=lab.id, before=before,
                 after={"verified_at": audit.jsonable(lab.verified_at), "verified_by": actor,
                        "validity_verified": True},
                 summary=f"Xác minh phòng thí nghiệm {lab.accreditation}")
    return lab


def _aware(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for values stored as UTC.
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def changed_since_verification(session: Session, lab: Lab) -> bool | None:
    """None when never verified; True when the profile or any scope row changed after verification
    (edits, additions, imports and deletions all count)."""
    at = _aware(lab.verified_at)
    if at is None:
        return None
    updated = _aware(lab.updated_at)
    if updated is not None and updated > at:
        return True
    newer = session.exec(
        select(LabScope.id).where(LabScope.lab_id == lab.id, col(LabScope.updated_at) > lab.verified_at).limit(1)
    ).first()
    if newer is not None:
        return True
    deletions = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "lab_scope", AuditEvent.action == "delete",
                                 col(AuditEvent.at) > lab.verified_at)
    ).all()
    return any((e.before or {}).get("lab_id") == lab.id for e in deletions)


def _resolve(session: Session, code: str) -> Standard | None:
    """The standard a method code links to: its edition, else the series' in-force or newest edition (public
    pages find a lab by series, so a row citing another edition still reaches that standard's page)."""
    std = standards.get_standard(session, code)
    if std is None:
        d = codes.parse(code)
        if d is not None and d.year:
            std = standards.get_standard(session, d.undated().format())
    return std


def method_flags(session: Session, rows: list[LabScope]) -> dict[int, dict[str, Any]]:
    """For each scope row: ``links`` (its method codes resolved to the knowledge base; superseded ones carry
    the editions that replaced them), ``linked`` (any of them found) and ``unrecognised`` (parts of the
    method text that are no designation)."""
    cache: dict[str, dict[str, Any]] = {}
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        items = []
        for code in row.method_codes or []:
            if code not in cache:
                std = _resolve(session, code)
                info: dict[str, Any] = {"code": code, "linked": std is not None, "standard": None, "url": None,
                                        "status": None, "replaced_by": []}
                if std is not None:
                    info.update(standard=std.code, url=standard_url(std.code), status=std.status.value)
                    if std.status in (StandardStatus.replaced, StandardStatus.withdrawn):
                        info["replaced_by"] = standards.replaced_by_chain(session, std)
                info["superseded"] = info["status"] in ("replaced", "withdrawn")
                cache[code] = info
            items.append(cache[code])
        if row.id is not None:
            out[row.id] = {"links": items, "linked": any(i["linked"] for i in items),
                           "unrecognised": parse_method(row.method).unrecognised}
    return out


def restore_scope(session: Session, lab: Lab, event_id: int, actor: str) -> LabScope:
    """Undo the deletion of one of the lab's scope rows (the audit event of the deletion): the row comes
    back with its values and place, and the restore is logged. Restoring twice is a conflict."""
    event = session.get(AuditEvent, event_id)
    if event is None or event.entity != "lab_scope" or event.action != "delete" \
            or (event.before or {}).get("lab_id") != lab.id:
        raise NotFound(f"Không có dòng đã xóa #{event_id} của phòng thí nghiệm {lab.accreditation}")
    label = f"Hoàn tác sự kiện #{event.id}:"  # the summary kb.versioning.revert_event writes
    done = session.exec(select(AuditEvent.id).where(AuditEvent.entity == "lab_scope",
                                                    col(AuditEvent.summary).startswith(label)).limit(1)).first()
    if done is not None:
        raise Conflict("dòng này đã được khôi phục rồi")
    revert_event(session, event_id, actor)
    restored = session.exec(select(AuditEvent).where(AuditEvent.entity == "lab_scope",
                                                     col(AuditEvent.summary).startswith(label))).first()
    assert restored is not None and restored.entity_id is not None  # revert_event just logged it
    return scope_row(session, lab, restored.entity_id)


def scope_export(session: Session, lab: Lab) -> list[dict[str, Any]]:
    """The lab's scope as import rows (``accreditation`` and :data:`SCOPE_FIELDS`), in order."""
    return [{"accreditation": lab.accreditation, **{f: getattr(r, f) for f in SCOPE_FIELDS}}
            for r in scope_rows(session, lab)]
