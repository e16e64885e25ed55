"""The audit log in Vietnamese: each event as a sentence naming the things it changed, and its before/after
as a table of labelled fields. The one place for the log's wording (actions, record kinds, field names).

Recent writers already summarise well ("Duyệt ánh xạ Bánh phu thê → QCVN 8-2:2011/BYT (#114)"); older rows
name records only by id, so their names are looked up, one query per kind of record for a whole page, and
a record deleted since is named from the event's own snapshot, or "#id (đã xóa)".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from kb import legal
from kb.audit import ACTION_VERBS, ENTITY_LABELS, action_label, entity_label  # noqa: F401  (the log's words, re-exported)
from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    STATUS_LABELS_VI,
    Agency,
    AuditEvent,
    CategoryRule,
    Document,
    GroupMapping,
    Lab,
    LabScope,
    LegalDocument,
    Procedure,
    Product,
    ProductGroup,
    ProductGroupMember,
    ProductHsCode,
    RiskItemDecision,
    RiskList,
    Standard,
    User,
)
from kb.models import Mapping as MappingRow
from kb.versioning import NOT_UNDOABLE, REVERT_PREFIX

#: What an uploaded table holds, by upload kind.
UPLOAD_KINDS = {"products": "sản phẩm", "standards": "tiêu chuẩn", "labs": "phòng thí nghiệm",
                "lab-scope": "dòng phạm vi công nhận", "mappings": "ánh xạ"}
#: A standard's relations, as the sentence "A thay thế B" reads them.
STANDARD_RELATIONS = {"replaces": "thay thế", "amends": "sửa đổi", "converted_from": "được chuyển đổi từ",
                      "equivalent": "tương đương với", "cites": "viện dẫn"}
#: Field names the shared form labels do not cover (the web passes those in; these complete them).
FIELD_LABELS = {
    "code": "Số hiệu", "doc_type": "Loại văn bản", "number": "Số", "part": "Phần", "year": "Năm",
    "issuer_suffix": "Cơ quan ban hành", "mandatory": "Bắt buộc", "document_id": "Tài liệu nguồn",
    "provenance": "Nguồn của từng trường", "extra": "Thông tin thêm", "product_id": "Sản phẩm",
    "standard_id": "Tiêu chuẩn", "lab_id": "Phòng thí nghiệm", "group_id": "Nhóm sản phẩm",
    "parent_id": "Nhóm cha", "standard_code": "Số hiệu tiêu chuẩn", "created_by": "Người tạo",
    "decided_by": "Người quyết định", "score": "Điểm gợi ý", "reasons": "Lý do gợi ý", "position": "Thứ tự",
    "accreditation": "Số công nhận", "accreditation_body": "Tổ chức công nhận",
    "accreditation_number": "Số hiệu công nhận", "is_sample": "Dữ liệu mẫu", "ocop_group": "Nhóm OCOP",
    "ocop_year": "Năm OCOP", "commune": "Xã", "description": "Mô tả", "source_url": "Địa chỉ nguồn",
    "slug": "Đường dẫn", "keywords": "Từ khóa", "hs_codes": "Mã HS", "route": "Thủ tục", "sources": "Nguồn",
    "unit": "Đơn vị", "verified_at": "Ngày xác minh", "issuer": "Cơ quan ban hành", "issued": "Ngày ban hành",
    "effective_from": "Có hiệu lực từ", "effective_until": "Hiệu lực đến hết ngày", "note": "Ghi chú",
    "document_code": "Số hiệu văn bản", "document_key": "Văn bản", "annex": "Phụ lục", "item": "Mục",
    "hs_code": "Mã HS", "applies": "Áp dụng", "key": "Mã thủ tục", "username": "Tên đăng nhập",
    "role": "Vai trò", "disabled": "Đã khóa", "excluded": "Bị loại khỏi nhóm", "file": "Tệp",
    "created": "Số bản ghi mới", "updated": "Số bản ghi cập nhật", "unchanged": "Số bản ghi giữ nguyên",
    "deleted": "Số bản ghi đã xóa", "errors": "Lỗi", "error": "Lỗi", "line": "Dòng", "message": "Nội dung",
    "relation": "Quan hệ", "to": "Văn bản liên quan", "qualifier": "Mức tương đương", "target": "Đối tượng",
    "reason": "Lý do", "rows": "Các dòng", "values": "Giá trị", "diff": "Khác biệt",
    "replaces": "Thay thế", "amends": "Sửa đổi, bổ sung", "guides": "Hướng dẫn", "lab_scope": "Phạm vi công nhận",
    "status": "Trạng thái", "name": "Tên", "decided_at": "Ngày quyết định", "verified_by": "Người xác minh",
    "code_key": "Số hiệu (dạng so khớp)", "series_key": "Bộ tiêu chuẩn (dạng so khớp)",
    "session_version": "Phiên đăng nhập", "file_name": "Tên tệp", "pages": "Số trang", "status_note": "Ghi chú",
}
_YES_NO = {True: "có", False: "không"}
#: Stored values shown in words, by (kind of record, field), then by field.
VALUE_LABELS: dict[tuple[str, str] | str, dict[str, str]] = {
    ("mapping", "status"): {"suggested": "Đề xuất", "approved": "Đã duyệt", "rejected": "Bị từ chối"},
    ("producthscode", "status"): {"suggested": "Đề xuất", "approved": "Đã duyệt", "rejected": "Bị từ chối"},
    ("standard", "status"): STATUS_LABELS_VI,
    ("legal_document", "status"): legal.STATUS_LABELS_VI,
    ("legal_document", "kind"): legal.KIND_LABELS_VI,
    "type": MAPPING_TYPE_LABELS_VI,
    "source": {"auto": "Tự động", "curator": "Người duyệt", "import": "Nhập từ tệp", "ingest": "Nạp tài liệu"},
    "kind": {"key": "Sản phẩm chủ lực", "ocop": "Sản phẩm OCOP", "other": "Khác"},
    "role": {"admin": "Quản trị", "curator": "Người duyệt", "lab": "Phòng thí nghiệm"},
    "relation": {**STANDARD_RELATIONS, **legal.RELATION_LABELS_VI},
}
#: Fields that hold another record's id, and the kind of record they point to.
REF_FIELDS = {"product_id": "product", "standard_id": "standard", "lab_id": "lab", "group_id": "product_group",
              "parent_id": "product_group", "document_id": "document"}
_BOOKKEEPING = {"id", "version", "created_at", "updated_at"}
#: Verbs writers start a good summary with (a summary that starts otherwise is rebuilt from the event).
_VERBS = ("Tạo", "Sửa", "Cập nhật", "Xóa", "Duyệt", "Từ chối", "Thêm", "Bỏ", "Nhận", "Nhập", "Chuyển", "Gộp",
          "Loại", "Rà soát", "Khóa", "Mở khóa", "Đổi", "Xác nhận", "Xác minh", "Gợi ý", "Tự động", "Đề xuất",
          "Đưa về", "Ghi nhận", "Danh mục")
_ONLY_ID = re.compile(r"^[\w ]+ #\d+$")  # "Duyệt ánh xạ #114": names nothing but the id


def action_choices(actions: Iterable[str]) -> list[tuple[str, str]]:
    """(value, label) for the action filter: one choice per label (``approve`` and ``approved`` are one)."""
    seen: dict[str, str] = {}
    for a in sorted(actions):
        seen.setdefault(action_label(a), a)
    return sorted(((a, label) for label, a in seen.items()), key=lambda x: x[1])


def same_action(action: str) -> list[str]:
    """Every stored action that reads as ``action`` does (the filter matches them all)."""
    verb = ACTION_VERBS.get(action)
    return [a for a, v in ACTION_VERBS.items() if v == verb] if verb else [action]


def entity_choices(entities: Iterable[str]) -> list[tuple[str, str]]:
    return sorted(((e, entity_label(e).capitalize()) for e in entities), key=lambda x: x[1])


# --- Names of the records events point to ----------------------------------------------------------

Names = dict[tuple[str, int], str]


def _keyed(session: Session, stmt: Any, fmt: Callable[..., str] = str) -> dict[int, str]:
    """``{id: fmt(*other columns)}`` for the rows of ``stmt`` (its first column the id)."""
    return {row[0]: fmt(*row[1:]) for row in session.exec(stmt).all()}


def _join(*parts: Any, sep: str = " → ") -> str:
    return sep.join(str(p) for p in parts if p not in (None, ""))


def _mapping_names(session: Session, ids: list[int]) -> dict[int, str]:
    return _keyed(session, select(MappingRow.id, Product.name, Standard.code)
                  .join(Product, col(Product.id) == MappingRow.product_id)
                  .join(Standard, col(Standard.id) == MappingRow.standard_id)
                  .where(col(MappingRow.id).in_(ids)), _join)


def _group_mapping_names(session: Session, ids: list[int]) -> dict[int, str]:
    return _keyed(session, select(GroupMapping.id, ProductGroup.name, Standard.code)
                  .join(ProductGroup, col(ProductGroup.id) == GroupMapping.group_id)
                  .join(Standard, col(Standard.id) == GroupMapping.standard_id)
                  .where(col(GroupMapping.id).in_(ids)), _join)


def _member_names(session: Session, ids: list[int]) -> dict[int, str]:
    return _keyed(session, select(ProductGroupMember.id, Product.name, ProductGroup.name)
                  .join(Product, col(Product.id) == ProductGroupMember.product_id)
                  .join(ProductGroup, col(ProductGroup.id) == ProductGroupMember.group_id)
                  .where(col(ProductGroupMember.id).in_(ids)), lambda p, g: f"{p} trong nhóm {g}")


def _scope_names(session: Session, ids: list[int]) -> dict[int, str]:
    return _keyed(session, select(LabScope.id, Lab.accreditation, LabScope.test)
                  .join(Lab, col(Lab.id) == LabScope.lab_id).where(col(LabScope.id).in_(ids)),
                  lambda acc, test: f"của {acc}: {_short(test)}")


def _hs_names(session: Session, ids: list[int]) -> dict[int, str]:
    return _keyed(session, select(ProductHsCode.id, Product.name, ProductHsCode.code)
                  .join(Product, col(Product.id) == ProductHsCode.product_id)
                  .where(col(ProductHsCode.id).in_(ids)), lambda p, c: f"{c} của {p}")


def _decision_names(session: Session, ids: list[int]) -> dict[int, str]:
    return _keyed(session, select(RiskItemDecision.id, Product.name, RiskItemDecision.document_key,
                                  RiskItemDecision.item)
                  .join(Product, col(Product.id) == RiskItemDecision.product_id)
                  .where(col(RiskItemDecision.id).in_(ids)),
                  lambda p, d, item: f"{_join(d, item and f'mục {item}', sep=', ')} cho {p}")


def _column(model: Any, name: str) -> Callable[[Session, list[int]], dict[int, str]]:
    return lambda session, ids: _keyed(session, select(model.id, getattr(model, name))
                                       .where(col(model.id).in_(ids)))


_LOOKUPS: dict[str, Callable[[Session, list[int]], dict[int, str]]] = {
    "mapping": _mapping_names, "group_mapping": _group_mapping_names, "group_member": _member_names,
    "lab_scope": _scope_names, "producthscode": _hs_names, "risk_item_decision": _decision_names,
    "product": _column(Product, "name"), "standard": _column(Standard, "code"), "lab": _column(Lab, "accreditation"),
    "product_group": _column(ProductGroup, "name"), "procedure": _column(Procedure, "title"),
    "legal_document": _column(LegalDocument, "code"), "agency": _column(Agency, "name"),
    "user": _column(User, "username"), "document": _column(Document, "file_name"),
    "risk_list": _column(RiskList, "document_code"),
    "category_rule": lambda session, ids: _keyed(
        session, select(CategoryRule.id, CategoryRule.category, CategoryRule.standard_code)
        .where(col(CategoryRule.id).in_(ids)), _join),
}


def _short(text: Any, limit: int = 80) -> str:
    s = str(text or "")
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def lookup_names(session: Session, wanted: Iterable[tuple[str, int]]) -> Names:
    """Current names of records, one query per kind of record; records gone are left out."""
    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, rid in wanted:
        if kind in _LOOKUPS and isinstance(rid, int):
            by_kind[kind].add(rid)
    names: Names = {}
    for kind, ids in by_kind.items():
        for rid, name in _LOOKUPS[kind](session, sorted(ids)).items():
            names[(kind, rid)] = str(name)
    return names


def _refs(event: AuditEvent) -> Iterable[tuple[str, int]]:
    if event.entity_id is not None:
        yield event.entity, event.entity_id
    for snap in (event.before, event.after):
        for k, v in (snap or {}).items():
            if k in REF_FIELDS and isinstance(v, int):
                yield REF_FIELDS[k], v


def _name_from_snapshot(event: AuditEvent, names: Names) -> str | None:
    """A deleted record's name, from what the event itself stored of it."""
    snap = event.before or event.after or {}

    def ref(f: str) -> str | None:
        v = snap.get(f)
        return names.get((REF_FIELDS[f], v)) if isinstance(v, int) else None

    e = event.entity
    if e in ("mapping", "group_mapping"):
        one = ref("product_id") if e == "mapping" else ref("group_id")
        two = ref("standard_id")
        return _join(one, two) if one and two else None
    if e == "lab_scope" and snap.get("test"):
        lab = ref("lab_id")
        return f"của {lab}: {_short(snap['test'])}" if lab else _short(snap["test"])
    if e == "category_rule" and snap.get("category"):
        return _join(snap["category"], snap.get("standard_code"))
    if e == "producthscode" and snap.get("code"):
        product = ref("product_id")
        return f"{snap['code']} của {product}" if product else str(snap["code"])
    for f in ("name", "code", "accreditation", "title", "username", "document_code", "file_name"):
        if snap.get(f):
            return str(snap[f])
    return None


def record_name(event: AuditEvent, names: Names) -> str:
    """The record's name now; from the event's snapshot when deleted; else "#id (đã xóa)"."""
    if event.entity_id is None:
        return ""
    gone = " (đã xóa)" if event.entity in _LOOKUPS else ""  # a kind never looked up is not known to be gone
    return (names.get((event.entity, event.entity_id)) or _name_from_snapshot(event, names)
            or f"#{event.entity_id}{gone}")


# --- Sentences -------------------------------------------------------------------------------------


def _lower_first(s: str) -> str:
    """"Duyệt ánh xạ" → "duyệt ánh xạ"; "TCVN 1 …" keeps its capitals."""
    return s[0].lower() + s[1:] if len(s) > 1 and s[1].islower() else s


def _worded(summary: str) -> str:
    """Codes some writers put in brackets, in words: "(test_method)" → "(phương pháp thử)"."""
    return re.sub(r"\((\w+)\)", lambda m: f"({MAPPING_TYPE_LABELS_VI[m[1]].lower()})"
                  if m[1] in MAPPING_TYPE_LABELS_VI else m[0], summary)


def _good_summary(summary: str | None) -> bool:
    return summary is not None and summary.startswith(_VERBS) and not _ONLY_ID.match(summary)


def _changed_labels(event: AuditEvent, labels: Mapping[str, str]) -> list[str]:
    if not (event.before and event.after):
        return []
    keys = [k for k in _ordered_keys(event) if k not in _BOOKKEEPING
            and event.before.get(k) != event.after.get(k)]
    return sorted({_lower_first(field_label(event.entity, k, labels)) for k in keys})  # stored order: a set's


def _upload_sentence(event: AuditEvent) -> str:
    after = event.after or {}
    file = after.get("file") or "tệp không tên"
    if after.get("error"):
        return f"{event.actor} nhập {file} thất bại: {after['error']}"
    what = UPLOAD_KINDS.get(str(after.get("kind")), "bản ghi")
    created, updated, errors = after.get("created") or 0, after.get("updated") or 0, len(after.get("errors") or [])
    parts = [f"{created} {what}" + (" mới" if updated else "")] if created else []
    if updated:
        parts.append(f"cập nhật {updated} {what}" if not created else f"cập nhật {updated}")
    tail = f"; {errors} dòng lỗi" if errors else ""
    return f"{event.actor} nhập {', '.join(parts) or f'{what}, không có gì thay đổi,'} từ {file}{tail}"


def sentence(event: AuditEvent, names: Names, labels: Mapping[str, str] = FIELD_LABELS) -> str:
    """One event as a sentence: "cur1 duyệt ánh xạ Bánh phu thê → QCVN 8-2:2011/BYT"."""
    actor, summary = event.actor, (event.summary or "").strip()
    if event.entity == "upload":
        return _upload_sentence(event)
    if summary.startswith(REVERT_PREFIX):
        head, _, what = summary.partition(": ")
        what = action_label(what).lower() if re.fullmatch(r"[a-z_]+", what) else _lower_first(what)
        return f"{actor} {_lower_first(head)} ({what or entity_label(event.entity)})"
    if event.entity == "document" and (m := re.match(r"Nạp (.+) \((\d+) trang, [\w ]+\)$", summary)):
        return f"{actor} nạp tài liệu {m[1]} ({m[2]} trang)"
    rel = (event.after or {}).get("relation")
    if event.entity == "standard" and event.action == "import" and rel and not event.before:
        name = record_name(event, names)
        verb = VALUE_LABELS["relation"].get(str(rel), "liên quan tới")
        return f"{actor} ghi nhận {name} {verb} {(event.after or {}).get('to', '')}".rstrip()
    # which fields an edit changed (an approval's verb says it already)
    changed = _changed_labels(event, labels) if event.action in ("update", "curator", "ingest", "import") else []
    tail = f" (đổi {', '.join(changed)})" if changed and len(changed) <= 4 else (
        f" (đổi {len(changed)} trường)" if changed else "")
    if _good_summary(summary):
        return f"{actor} {_lower_first(_worded(summary))}{tail}"
    verb = ACTION_VERBS.get(event.action, "thay đổi")
    name = record_name(event, names)
    return " ".join(p for p in (actor, verb, entity_label(event.entity), name) if p) + tail


# --- Before / after ------------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    before: list[str]
    after: list[str]
    changed: bool


def field_label(entity: str, key: str, labels: Mapping[str, str] = FIELD_LABELS) -> str:
    return labels.get(key) or FIELD_LABELS.get(key) or "Trường khác"


def _ordered_keys(event: AuditEvent) -> list[str]:
    keys = list(event.after or {})
    return keys + [k for k in (event.before or {}) if k not in keys]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def show(entity: str, key: str, value: Any, names: Names, labels: Mapping[str, str] = FIELD_LABELS) -> list[str]:
    """A stored value as lines of text: words for codes, names for ids, lists and objects line by line."""
    if value is None or value == "" or value == [] or value == {}:
        return ["—"]
    if isinstance(value, bool):
        return [_YES_NO[value]]
    if key in REF_FIELDS and isinstance(value, int):
        return [names.get((REF_FIELDS[key], value)) or f"#{value} (đã xóa)"]
    if isinstance(value, str):
        words = VALUE_LABELS.get((entity, key)) or VALUE_LABELS.get(key)
        if words and value in words:
            return [words[value]]
        if _ISO_DATE.match(value):
            return [date.fromisoformat(value).strftime("%d/%m/%Y")]
        if _ISO_TIME.match(value):
            try:
                return [datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")]
            except ValueError:
                return [value]
        return [value]
    if isinstance(value, list):
        lines: list[str] = []
        for item in value:
            lines.append("; ".join(show(entity, key, item, names, labels)) if not isinstance(item, dict)
                         else "; ".join(f"{field_label(entity, k, labels)}: {', '.join(show(entity, k, v, names, labels))}"
                                        for k, v in item.items()))
        return lines
    if isinstance(value, dict):
        return [f"{field_label(entity, k, labels)}: {'; '.join(show(entity, k, v, names, labels))}"
                for k, v in value.items()]
    return [str(value)]


def changes(event: AuditEvent, names: Names, labels: Mapping[str, str] = FIELD_LABELS) -> list[Change]:
    """The before/after table: one row per field (bookkeeping left out), changed ones marked."""
    before, after = event.before or {}, event.after or {}
    rows = []
    for k in _ordered_keys(event):
        if k in _BOOKKEEPING:
            continue
        b = show(event.entity, k, before.get(k), names, labels) if event.before is not None else ["—"]
        a = show(event.entity, k, after.get(k), names, labels) if event.after is not None else ["—"]
        rows.append(Change(field_label(event.entity, k, labels), b, a, before.get(k) != after.get(k)))
    return rows


@dataclass
class AuditLine:
    """One event as the log page shows it."""

    event: AuditEvent
    sentence: str
    entity_label: str
    action_label: str
    changes: list[Change] = field(default_factory=list)
    revert_block: str | None = NOT_UNDOABLE

    @property
    def id(self) -> int | None:
        return self.event.id

    @property
    def revertable(self) -> bool:
        return self.revert_block is None

    @property
    def revert_note(self) -> str | None:
        """Why a change of a kind that can be undone cannot be now (reverted, superseded); None otherwise."""
        return None if self.revert_block == NOT_UNDOABLE else self.revert_block


def describe(session: Session, events: list[AuditEvent], labels: Mapping[str, str] = FIELD_LABELS,
             by_entity: Mapping[str, Mapping[str, str]] | None = None) -> list[AuditLine]:
    """Sentences and before/after tables for a page of events (names looked up once per kind of record).
    ``labels`` names fields as the forms do; ``by_entity`` where one kind of record's form names them its own way."""
    base = {**FIELD_LABELS, **labels}
    names = lookup_names(session, (r for e in events for r in _refs(e)))
    lines = []
    for e in events:
        own = {**base, **(by_entity or {}).get(e.entity, {})}
        lines.append(AuditLine(e, sentence(e, names, own), entity_label(e.entity).capitalize(),
                               action_label(e.action), changes(e, names, own)))
    return lines
