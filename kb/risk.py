"""Risk lists as dated data: a ministry's annexes of goods under control, by HS code, each list in force
for a period.

A list is one document (``36/2026/TT-BKHCN``) from a date. What ends a list:

- a new import of the **same document** from a later date ends the earlier one the day before (and one
  from an earlier date ends the day before the later one starts); the same document from the same date is
  the same list: a changed file replaces its rows, the same file (sha256) changes nothing;
- ``replaces=[CODE]``: the lists of document CODE in force on the new start end the day before it.

A ministry's newer list does not end its other lists by itself: one ministry keeps several lists in force
at once for different goods (28/2026/TT-BCT food safety beside 33/2026/TT-BCT declarations of
conformity), so which list replaces which is said explicitly. ``issuer`` (the number's suffix: BKHCN,
BCT, BXD) is kept for display and filtering. Every change is audited (entity ``risk_list``); the rows of
one import are one event, not one per row.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy import delete as sa_delete
from sqlalchemy import insert as sa_insert
from sqlmodel import Session, col, select

from kb import audit, legal
from kb.errors import BadInput
from kb.hs import normalize_hs
from kb.models import RiskList, RiskListRow
from kb.text import clean, fold, is_digits
from kb.versioning import record_id, update_versioned

ENTITY = "risk_list"
#: The file's ``loai_tac_dong`` → our control names.
CONTROLS = {
    "KIEM_TRA_CHAT_LUONG": "quality_inspection",
    "CONG_BO_HOP_QUY": "conformity_declaration",
    "KIEM_TRA_ATTP": "food_safety_check",
}
#: The file's ``muc_rui_ro`` → our grades; an empty cell is a list that grades none.
RISKS = {"CAO": "high", "TRUNG_BINH": "medium"}
RISK_ORDER = {"high": 2, "medium": 1}
#: The columns of ``../shared/regulatory/risk_lists/*.csv`` (``dan_chieu`` may be missing).
COLUMNS = ("ma_hs", "mo_ta", "nhom", "phu_luc", "loai_tac_dong", "muc_rui_ro", "dieu_kien", "dan_chieu", "trang")
REQUIRED = ("ma_hs", "loai_tac_dong")
_SHORT = 40  # item and annex columns


def document_key(code: str, option: str = "--document") -> str:
    """The legal document's key (``kb.legal``: any spelling of its number finds it)."""
    try:
        return legal.legal_key(code)
    except BadInput:
        raise BadInput(f"{option}: {clean(code)[:80]!r} không phải số hiệu văn bản (dạng số/năm/ký hiệu)") from None


def issuer_of(code: str) -> str | None:
    """The issuing ministry of a document number: the part after its last dash (``TT-BKHCN`` → BKHCN)."""
    tail = clean(code).rsplit("-", 1)
    return tail[1].strip().upper()[:40] or None if len(tail) == 2 else None


def _enum_key(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", fold(str(value or ""))).upper()


def _text(value: Any) -> str | None:
    s = clean(str(value)) if value not in (None, "") else ""
    return s or None


def _code(value: Any) -> str:
    """An HS cell; a numeric XLSX cell has lost its leading zero (``401`` for 04.01): put it back."""
    s = clean(str(value or "")).strip('"')
    if is_digits(s) and len(s) in (1, 3, 5, 7):
        s = "0" + s
    return normalize_hs(s, "ma_hs")


def parse_row(rec: dict[str, Any]) -> dict[str, Any]:
    """One file row → the fields of a :class:`RiskListRow` (``BadInput`` names the bad cell)."""
    if not rec.get("ma_hs"):
        raise BadInput("ma_hs: trống")
    control_raw = _enum_key(rec.get("loai_tac_dong"))
    control = CONTROLS.get(control_raw) or (control_raw.lower() if control_raw.lower() in CONTROLS.values() else None)
    if control is None:
        raise BadInput(f"loai_tac_dong: {_text(rec.get('loai_tac_dong'))!r} không hợp lệ "
                       f"(dùng: {', '.join(CONTROLS)})")
    risk_raw = _enum_key(rec.get("muc_rui_ro"))
    risk = RISKS.get(risk_raw) or (risk_raw.lower() if risk_raw.lower() in RISKS.values() else None)
    if risk_raw and risk is None:
        raise BadInput(f"muc_rui_ro: {_text(rec.get('muc_rui_ro'))!r} không hợp lệ (dùng: CAO, TRUNG_BINH hoặc để trống)")
    page_raw = _text(rec.get("trang"))
    if page_raw is not None and not is_digits(page_raw):
        raise BadInput(f"trang: {page_raw!r} không phải số trang")
    item, annex = _text(rec.get("nhom")), _text(rec.get("phu_luc"))
    for name, v in (("nhom", item), ("phu_luc", annex)):
        if v is not None and len(v) > _SHORT:
            raise BadInput(f"{name}: dài quá {_SHORT} ký tự")
    return {
        "hs_code": _code(rec["ma_hs"]),
        "description": _text(rec.get("mo_ta")),
        "item": item,
        "annex": annex,
        "control": control,
        "risk": risk,
        "conditions": _text(rec.get("dieu_kien")),
        "reference": _text(rec.get("dan_chieu")),
        "page": int(page_raw) if page_raw is not None else None,
    }


@dataclass
class RiskImport:
    """What an import did: ``outcome`` is created | replaced | updated | unchanged."""

    document: str
    effective_from: date
    effective_until: date | None = None
    outcome: str = "unchanged"
    list_id: int | None = None
    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: lists this import ended, as "CODE (từ … đến …)"
    ended: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "risk-list", "document": self.document, "effective_from": self.effective_from.isoformat(),
            "effective_until": self.effective_until.isoformat() if self.effective_until else None,
            "outcome": self.outcome, "list_id": self.list_id, "rows": self.rows, "ended": self.ended,
            "errors": [{"line": line, "message": msg} for line, msg in self.errors],
        }


def _label(rl: RiskList) -> str:
    until = rl.effective_until.isoformat() if rl.effective_until else "nay"
    return f"{rl.document_code} ({rl.effective_from.isoformat()} – {until})"


def _end(session: Session, rl: RiskList, until: date, actor: str, why: str) -> str:
    update_versioned(session, rl, {"effective_until": until}, None, actor=actor, entity=ENTITY,
                     summary=f"Danh mục {rl.document_code} hết áp dụng sau ngày {until.isoformat()}: {why}")
    return _label(rl)


def import_list(
    session: Session,
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    document: str,
    effective_from: date,
    effective_until: date | None = None,
    replaces: Sequence[str] = (),
    sha256: str | None = None,
    source_file: str | None = None,
    actor: str = "cli",
) -> RiskImport:
    """Store one list (see the module docstring for what ends what); bad rows come back with their line."""
    code = clean(document)
    if not code:
        raise BadInput("--document: thiếu số hiệu văn bản")
    key = document_key(code)
    if effective_until is not None and effective_until < effective_from:
        raise BadInput("--effective-until: ngày hết hiệu lực trước ngày có hiệu lực")
    report = RiskImport(document=code, effective_from=effective_from, effective_until=effective_until)
    good: list[dict[str, Any]] = []
    for line, rec in rows:
        try:
            good.append({"line": line, **parse_row(rec)})
        except BadInput as exc:
            report.errors.append((line, exc.message))
    if not good:
        # An empty list in force would make every product "low": store nothing.
        if not report.errors:
            raise BadInput("tệp không có dòng nào")
        return report
    # Without the file's hash (a caller other than the file import), the rows' own: the sha256 moves with
    # every change of content, so the list's version and updated_at (the page cache's fingerprint) do too.
    sha256 = sha256 or hashlib.sha256(json.dumps(good, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    replaced_keys = {document_key(c, "--replaces"): clean(c) for c in replaces}
    replaced_keys.pop(key, None)
    others: dict[str, list[RiskList]] = {}
    for rk, rc in replaced_keys.items():
        others[rk] = list(session.exec(select(RiskList).where(RiskList.document_key == rk)).all())
        if not others[rk]:
            raise BadInput(f"--replaces: chưa nhập danh mục nào của văn bản {rc}")

    same_doc = list(session.exec(select(RiskList).where(RiskList.document_key == key)
                                 .order_by(col(RiskList.effective_from))).all())
    # The next list of this document bounds this one when no end was given.
    later = [rl for rl in same_doc if rl.effective_from > effective_from]
    if later and (effective_until is None or effective_until >= later[0].effective_from):
        effective_until = later[0].effective_from - timedelta(days=1)
        report.effective_until = effective_until
    existing = next((rl for rl in same_doc if rl.effective_from == effective_from), None)
    fields: dict[str, Any] = {"document_code": code, "issuer": issuer_of(code), "effective_until": effective_until,
                              "source_file": source_file, "sha256": sha256, "rows": len(good)}
    if existing is None:
        rl = RiskList(document_key=key, effective_from=effective_from, **fields)
        session.add(rl)
        session.flush()
        _insert_rows(session, rl, good)
        audit.record(session, actor=actor, action="create", entity=ENTITY, entity_id=rl.id,
                     after=audit.snapshot(rl), summary=f"Nhập danh mục {code}: {len(good)} dòng")
        report.outcome = "created"
    elif existing.sha256 == sha256 and existing.rows == len(good):
        rl = existing
        if existing.effective_until != effective_until:
            update_versioned(session, rl, {"effective_until": effective_until}, None, actor=actor, entity=ENTITY,
                             summary=f"Danh mục {code}: đổi ngày hết áp dụng")
            report.outcome = "updated"
    else:
        rl = existing
        session.exec(sa_delete(RiskListRow).where(col(RiskListRow.list_id) == rl.id))
        _insert_rows(session, rl, good)
        update_versioned(session, rl, fields, None, actor=actor, entity=ENTITY,
                         summary=f"Nhập lại danh mục {code}: {len(good)} dòng thay các dòng cũ")
        report.outcome = "replaced"
    report.list_id, report.rows = record_id(rl), len(good)

    # The previous list of this document, and those of the documents it replaces, end the day before.
    day_before = effective_from - timedelta(days=1)
    earlier = [r for r in same_doc if r.effective_from < effective_from]
    if earlier and (earlier[-1].effective_until is None or earlier[-1].effective_until > day_before):
        report.ended.append(_end(session, earlier[-1], day_before, actor, f"danh mục từ {effective_from} thay thế"))
    for lists in others.values():
        for old in lists:
            if old.effective_from <= day_before and (old.effective_until is None or old.effective_until > day_before):
                report.ended.append(_end(session, old, day_before, actor, f"thay thế bởi {code}"))
    return report


def _insert_rows(session: Session, rl: RiskList, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(sa_insert(RiskListRow), [{"list_id": rl.id, **r} for r in rows])


def in_force(on: date) -> Any:
    """The condition for a list in force on ``on`` (its last day included)."""
    return and_(col(RiskList.effective_from) <= on,
                or_(col(RiskList.effective_until).is_(None), col(RiskList.effective_until) >= on))
