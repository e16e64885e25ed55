"""Catalogue imports from CSV (UTF-8, BOM accepted) or XLSX with a header row.

One function, :func:`import_file`, for the kinds of the CLI. Columns are matched by header name
(case, accents of the header and a trailing ``(...)`` note ignored); extra columns are ignored; a missing
required column stops the import with one line. A bad row is reported with its line number (the physical
CSV line where the record starts, header = line 1; the sheet row for XLSX) and the good rows are imported.
Each row runs in a savepoint, so a failing row leaves nothing half-written. Re-importing the same file
changes nothing and writes no audit events.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlmodel import Session, func, select

from ingest import sheets
from kb import (
    bulk,
    codes,
    contacts,
    documents,
    groups,
    hscodes,
    labs,
    legal,
    mappings,
    procedures,
    products,
    risk,
    search,
    standards,
)
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import BadInput, Conflict, KBError
from kb.hs import normalize_hs
from kb.models import (
    Lab,
    LabScopeCreate,
    MappingSource,
    Product,
    ProductCreate,
    RelationType,
    Standard,
    StandardCreate,
    payload,
)
from kb.text import clean, fold

log = logging.getLogger(__name__)

KINDS = ("standards", "products", "labs", "lab-scope", "mappings", "agencies", "product-groups",
         "group-mappings", "legal-documents", "procedures", "hs-nomenclature")

#: Required columns per kind; the other documented columns are optional.
REQUIRED = {
    "standards": ("code",),
    "products": ("name",),
    "labs": ("name", "accreditation"),
    "lab-scope": ("accreditation", "test"),
    "mappings": ("product", "standard", "type"),
    "agencies": ("key", "name"),
    "product-groups": ("slug", "name", "kind"),
    "group-mappings": ("group", "standard", "type"),
    "legal-documents": ("code",),
    "procedures": ("key", "title"),
    "hs-nomenclature": ("hscode",),
    "risk-list": risk.REQUIRED,
}
#: Documented columns (README), then the optional extras that map to model fields.
COLUMNS = {
    "standards": ("code", "title_vi", "title_en", "status", "year", "ics", "scope", "replaces",
                  "mandatory", "equivalent", "converted_from", "edition", "drafted_by", "proposed_by", "appraised_by",
                  "published_by", "issuing_instrument", "effective_date", "is_sample"),
    "products": ("name", "aliases", "category", "kind", "ocop_stars", "ocop_group", "producer", "district",
                 "hs_code", "description", "commune", "ocop_year", "source_url", "is_sample"),
    "labs": ("name", "organization", "accreditation", "valid_from", "valid_until", "address", "district",
             "phone", "email", "website", "is_sample"),
    "lab-scope": ("accreditation", "material", "test", "range", "method", "accredited"),
    "mappings": ("product", "standard", "type", "rationale", "legal_basis", "status", "producer"),
    "agencies": ("key", *contacts.AGENCY_FIELDS),
    "product-groups": ("slug", "name", "kind", "parent", "aliases", "keywords", "hs_codes", "description", "route",
                       "sources", "is_sample"),
    "group-mappings": ("group", "standard", "type", "rationale", "legal_basis"),
    "legal-documents": ("code", "kind", "title", "issuer", "issued", "effective_from", "effective_until", "status",
                        "replaces", "source_url", "amends", "guides", "note"),
    "procedures": ("key", *procedures.FIELDS),
    # HS_PBI_VN.xlsx; Specialised_procedures.xlsx adds the controls before 01/07/2026
    "hs-nomenclature": ("level", "hscode", "description_vn", "description_en", "specialised_procedures"),
    "risk-list": risk.COLUMNS,  # imported by import_risk_list (it needs the document and its dates)
}
#: Column names a file may use instead of the documented ones: the Vietnamese headers of the lab scope (the
#: ones its export writes), matched like every header (case, accents and a trailing note ignored).
SCOPE_HEADERS_VI = {"accreditation": "số công nhận", "material": "vật liệu", "test": "phép thử",
                    "range": "phạm vi đo", "method": "phương pháp", "accredited": "được công nhận"}
HEADER_NAMES_VI = {"lab-scope": SCOPE_HEADERS_VI}


@dataclass
class ImportReport:
    kind: str
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: rows of the batches committed so far (good and bad ones)
    committed: int = 0
    #: ids of created/updated records per entity, for the search index (not part of the JSON)
    changed: dict[str, set[int]] = field(default_factory=dict, repr=False)

    def touch(self, outcome: str, entity: str, ids: Iterable[int | None]) -> None:
        if outcome in ("created", "updated"):
            self.changed.setdefault(entity, set()).update(i for i in ids if i is not None)

    def count(self, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)

    def merge(self, other: ImportReport) -> None:
        for outcome in ("created", "updated", "unchanged", "deleted"):
            self.count(outcome, getattr(other, outcome))
        self.errors.extend(sorted(other.errors))
        for entity, ids in other.changed.items():
            self.changed.setdefault(entity, set()).update(ids)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "errors": [{"line": line, "message": msg} for line, msg in self.errors],
        }


# --- Value parsers (shared by every kind) -----------------------------------------------------------

_YES = {"yes", "y", "true", "1", "co", "x", "dung"}
_NO = {"no", "n", "false", "0", "khong", "sai"}
_STATUS = {
    "in_force": "in_force", "in force": "in_force", "con hieu luc": "in_force", "hieu luc": "in_force",
    "replaced": "replaced", "het hieu luc": "replaced", "da bi thay the": "replaced", "bi thay the": "replaced",
    "withdrawn": "withdrawn", "huy bo": "withdrawn", "da huy bo": "withdrawn", "bi huy bo": "withdrawn",
    "draft": "draft", "du thao": "draft",
    "unknown": "unknown", "chua ro": "unknown", "khong ro": "unknown",
}
_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{4})")


def parse_bool(value: Any, column: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    s = fold(str(value))
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise BadInput(f"{column}: {clean(str(value))!r} không phải yes/no (có/không)")


def parse_date(value: Any, column: str, *, end_of_month: bool = False) -> date | None:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY``; a validity printed as ``MM/YYYY`` is the month's first (or last) day."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = clean(str(value))
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", s):
            y, m, d = (int(x) for x in s.split("-"))
            return date(y, m, d)
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", s):
            d, m, y = (int(x) for x in s.split("/"))
            return date(y, m, d)
        mm = _MONTH_YEAR.fullmatch(s)
        if mm:
            m, y = int(mm.group(1)), int(mm.group(2))
            if end_of_month:
                nxt = date(y + (m == 12), m % 12 + 1, 1)
                return date.fromordinal(nxt.toordinal() - 1)
            return date(y, m, 1)
    except ValueError:
        pass
    raise BadInput(f"{column}: ngày {s!r} không hợp lệ (YYYY-MM-DD hoặc DD/MM/YYYY)")


def parse_int(value: Any, column: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        f = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise BadInput(f"{column}: {clean(str(value))!r} không phải số") from None
    if f != int(f):
        raise BadInput(f"{column}: {clean(str(value))!r} không phải số nguyên")
    return int(f)


def parse_status(value: Any) -> str | None:
    s = fold(str(value or "")).replace("_", " ").strip()
    if not s:
        return None
    found = _STATUS.get(s) or _STATUS.get(s.replace(" ", "_"))
    if found is None:
        raise BadInput(f"status: {clean(str(value))!r} không hợp lệ (in_force, replaced, withdrawn, draft, unknown "
                       "hoặc còn hiệu lực / hết hiệu lực / hủy bỏ)")
    return found


def split_list(value: Any) -> list[str]:
    return [x for x in (clean(p) for p in str(value or "").split(";")) if x]


def designation(text: str, column: str) -> codes.Designation:
    d = codes.parse(text)
    if d is None:
        raise BadInput(f"{column}: không nhận ra ký hiệu {clean(text)[:80]!r}")
    return d


# --- Reading rows ---------------------------------------------------------------------------------------


def _header_key(h: Any) -> str:
    s = fold(str(h or ""))
    s = re.sub(r"\s*\(.*\)\s*$", "", s)
    return re.sub(r"[\s\-]+", "_", s.strip())


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, (date, bool)):
        return v
    return clean(str(v))


def read_rows(path: Path, kind: str, settings: Settings | None = None, name: str | None = None
              ) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """The header keys and an iterator of (line number, {column: value}) for non-empty rows.

    The file is parsed in a worker process under the caps of ``settings`` (``ingest.sheets``): a spreadsheet
    bomb or a file past the row, column or cell caps is a ``KBError`` line, here or while iterating. Messages
    name the file ``name`` (an upload's own name), else the path's."""
    name = name or path.name
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt", ""):
        raise KBError(f"{name}: định dạng {suffix} không hỗ trợ (dùng .csv hoặc .xlsx)")
    raw = sheets.read_isolated(path, sheets.Limits.of(settings or Settings()), name)
    try:
        keys = _check_header(name, kind, raw)
    except BaseException:
        raw.close()  # ends the worker
        raise
    known = set(COLUMNS[kind])

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        with closing(raw):
            for line, values in raw:
                cells = [_cell(v) for v in values]
                if not any(c not in ("", None) for c in cells):
                    continue
                rec: dict[str, Any] = {}
                for k, v in zip(keys, cells, strict=False):
                    if k in known and k not in rec:
                        rec[k] = v
                yield line, rec

    return keys, rows()


def _check_header(name: str, kind: str, raw: Iterator[tuple[int, list[Any]]]) -> list[str]:
    try:
        _, header = next(raw)
    except StopIteration:
        raise KBError(f"{name}: tệp rỗng, thiếu dòng tiêu đề") from None
    raw_keys = [_header_key(h) for h in header]
    # Extra columns are ignored, so a labs file imported as products would "work": refuse a file whose
    # header fits another kind better.
    score = {k: len(set(_aliased(k, raw_keys)) & set(cols)) for k, cols in COLUMNS.items()}
    best = max(score, key=lambda k: score[k])
    if score[best] > score[kind]:
        raise KBError(f"{name}: tiêu đề giống tệp {best} hơn là {kind} "
                      f"({score[best]} so với {score[kind]} cột khớp); kiểm tra lại loại nhập")
    keys = _aliased(kind, raw_keys)
    missing = [c for c in REQUIRED[kind] if c not in keys]
    if missing:
        names = HEADER_NAMES_VI.get(kind)
        if names:  # a file with Vietnamese headers is told in Vietnamese what it lacks
            raise KBError(f"{name}: thiếu cột bắt buộc {', '.join(names[c] for c in missing)} "
                          f"(các cột: {', '.join(names.values())})")
        raise KBError(f"{name}: thiếu cột bắt buộc {', '.join(missing)} cho loại {kind} "
                      f"(cột cần có: {', '.join(COLUMNS[kind][:10])})")
    return keys


def _aliased(kind: str, keys: list[str]) -> list[str]:
    """Header keys with the kind's Vietnamese names read as the documented ones."""
    names = {_header_key(vi): en for en, vi in HEADER_NAMES_VI.get(kind, {}).items()}
    return [names.get(k, k) for k in keys]


#: A cell starting with these is a formula to a spreadsheet; the export prefixes ``'`` and the import drops it.
_FORMULA = re.compile(r"[=+@]|-(?![\d\s])")


def scope_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """Lab scope rows (``kb.labs.scope_export``) as the import reads them: Vietnamese headers, UTF-8 with a
    BOM (Excel reads a CSV without one in the local code page and garbles the accents), ``có``/``không``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SCOPE_HEADERS_VI[c] for c in COLUMNS["lab-scope"])
    for row in rows:
        cells = []
        for c in COLUMNS["lab-scope"]:
            v = row.get(c)
            v = ("có" if v else "không") if c == "accredited" else (v or "")
            cells.append(f"'{v}" if _FORMULA.match(v) else v)
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _unquote_formula(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("'") and _FORMULA.match(value[1:]):
        return value[1:]
    return value


# --- Row handlers ---------------------------------------------------------------------------------------


Outcome = tuple[str, str, list[int | None]]  # created/updated/unchanged, entity, ids to re-index


def _standard_data(rec: dict[str, Any]) -> tuple[StandardCreate, list[standards.Edge]]:
    """A standards row as a standard and its edges, checked (BadInput names the column); no database needed."""
    d = designation(rec.get("code", ""), "code")
    year = parse_int(rec.get("year"), "year")
    if year is not None:
        if d.year is None:
            d = designation(f"{d.format()}:{year}", "code")
        elif str(d.year) != str(year):
            raise BadInput(f"year {year} khác năm trong ký hiệu {d.format()}")
    fields: dict[str, Any] = {k: rec.get(k) for k in (
        "title_vi", "title_en", "ics", "scope", "edition", "drafted_by", "proposed_by", "appraised_by",
        "published_by", "issuing_instrument")}
    fields["status"] = parse_status(rec.get("status"))
    fields["effective_date"] = parse_date(rec.get("effective_date"), "effective_date")
    mandatory = parse_bool(rec.get("mandatory"), "mandatory")
    if mandatory is not None:
        fields["mandatory"] = mandatory
    fields["is_sample"] = parse_bool(rec.get("is_sample"), "is_sample")
    edges: list[standards.Edge] = []
    for text in split_list(rec.get("replaces")):
        edges.append((RelationType.replaces, designation(text, "replaces"), None))
    for text in split_list(rec.get("converted_from")):
        edges.append((RelationType.converted_from, designation(text, "converted_from"), None))
    for text in split_list(rec.get("equivalent")):
        m = re.fullmatch(r"(.*?)\s*\((IDT|MOD|NEQ|reference|tham khảo)\)", text, flags=re.I)
        qualifier = None
        if m:
            text, qualifier = m.group(1), m.group(2)
            qualifier = "reference" if fold(qualifier) in ("reference", "tham khao") else qualifier.upper()
        edges.append((RelationType.equivalent, designation(text, "equivalent"), qualifier))
    # An absent status must stay absent: upsert_standard then marks an edition already replaced as such.
    fields = {k: v for k, v in fields.items() if v is not None and v != ""}
    return payload(StandardCreate, {"code": d.format(), **fields}), edges


def _standard_row(session: Session, rec: dict[str, Any], actor: str) -> Outcome:
    data, edges = _standard_data(rec)
    std, outcome = standards.upsert_standard(session, data, actor=actor, source="import")
    for position, (rel, other, qualifier) in enumerate(edges):
        added = standards.import_relation(session, std, rel, other, qualifier=qualifier, position=position, actor=actor)
        if added and outcome == "unchanged":
            outcome = "updated"
    return outcome, "standard", [std.id]


def _product_data(rec: dict[str, Any]) -> ProductCreate:
    """A products row as a product, checked (BadInput names the column); no database needed."""
    data: dict[str, Any] = {k: rec.get(k) for k in (
        "name", "category", "ocop_group", "producer", "district", "commune", "description", "source_url")}
    data["hs_codes"] = rec.get("hs_code")  # a ;-list: "8516.60.10; 8516"
    data["aliases"] = split_list(rec.get("aliases")) or None
    data["kind"] = rec.get("kind") or None
    data["ocop_stars"] = parse_int(rec.get("ocop_stars"), "ocop_stars")
    data["ocop_year"] = parse_int(rec.get("ocop_year"), "ocop_year")
    data["is_sample"] = parse_bool(rec.get("is_sample"), "is_sample")
    return products.parse_product(data)


def _product_row(session: Session, rec: dict[str, Any], actor: str) -> Outcome:
    product, outcome = products.upsert_product(session, _product_data(rec), actor)
    return outcome, "product", [product.id]


def _parsed(batch: list[tuple[int, dict[str, Any]]], parse: Callable[[dict[str, Any]], Any],
            report: ImportReport) -> tuple[list[int], list[Any]]:
    """The rows of a batch that parse, with their lines; the others reported with theirs."""
    lines: list[int] = []
    items: list[Any] = []
    for line, rec in batch:
        try:
            items.append(parse(rec))
            lines.append(line)
        except (KBError, ValueError) as exc:
            report.errors.append((line, exc.message if isinstance(exc, KBError) else str(exc).splitlines()[0]))
    return lines, items


def _outcomes(report: ImportReport, entity: str, lines: list[int], done: list[tuple[int, str] | BadInput]) -> None:
    for line, one in zip(lines, done, strict=True):
        if isinstance(one, KBError):
            report.errors.append((line, one.message))
        else:
            report.count(one[1])
            report.touch(one[1], entity, [one[0]])


def _standard_batch(session: Session, batch: list[tuple[int, dict[str, Any]]], actor: str, report: ImportReport) -> None:
    """A batch of standards rows through ``standards.import_standards`` (a few statements for the batch)."""
    lines, items = _parsed(batch, _standard_data, report)
    _outcomes(report, "standard", lines, standards.import_standards(session, items, actor))


def _product_batch(session: Session, batch: list[tuple[int, dict[str, Any]]], actor: str, report: ImportReport) -> None:
    """A batch of products rows through ``products.upsert_products`` (a few statements for the batch)."""
    lines, items = _parsed(batch, _product_data, report)
    _outcomes(report, "product", lines, products.upsert_products(session, items, actor))


def _lab_row(session: Session, rec: dict[str, Any], actor: str) -> Outcome:
    data: dict[str, Any] = {k: rec.get(k) for k in (
        "name", "organization", "accreditation", "address", "district", "phone", "email", "website")}
    data["valid_from"] = parse_date(rec.get("valid_from"), "valid_from")
    data["valid_until"] = parse_date(rec.get("valid_until"), "valid_until", end_of_month=True)
    data["is_sample"] = parse_bool(rec.get("is_sample"), "is_sample")
    lab, outcome = labs.upsert_lab(session, labs.parse_lab(data), actor)
    return outcome, "lab", [lab.id]


def _mapping_row(session: Session, rec: dict[str, Any], actor: str) -> Outcome:
    product = products.find_product(session, rec.get("product", ""), producer=rec.get("producer") or None)
    std = standards.get_standard(session, str(rec.get("standard", "")))
    if std is None:
        designation(str(rec.get("standard", "")), "standard")  # unparseable code: say so
        raise BadInput(f"tiêu chuẩn {clean(str(rec.get('standard')))!r} chưa có trong cơ sở dữ liệu")
    _, outcome = mappings.upsert_mapping(
        session, product, std, rec.get("type"), rec.get("rationale"), rec.get("legal_basis"),
        mappings.parse_status(rec.get("status")), MappingSource.import_, actor, keep_curated=True,
    )
    return outcome, "product", [product.id]


def _agency_row(session: Session, rec: dict[str, Any], actor: str) -> Outcome:
    # Empty cells are left out, not cleared: a re-import (``kb demo``) keeps what an admin has filled in.
    data = {k: v for k, v in rec.items() if v not in ("", None)}
    if "verified_at" in data:
        data["verified_at"] = parse_date(data["verified_at"], "verified_at")
    key, fields = contacts.parse_agency(data)
    _, outcome = contacts.upsert_agency(session, key, fields, actor)
    return outcome, "agency", []  # agencies are not in the search index


def _group_row(session: Session, rec: dict[str, Any], actor: str) -> Outcome:
    row = dict(rec)
    row["is_sample"] = parse_bool(rec.get("is_sample"), "is_sample") or False
    group, outcome = groups.upsert_group(session, groups.parse_group(row), actor)
    return outcome, "group", [group.id]


def _group_mapping_row(session: Session, rec: dict[str, Any], actor: str) -> Outcome:
    group = groups.get_group(session, groups.parse_slug(rec.get("group"), "group"))
    if group is None:
        raise BadInput(f"group: chưa có nhóm {clean(str(rec.get('group')))!r}; nhập tệp product-groups trước")
    std = standards.get_standard(session, str(rec.get("standard", "")))
    if std is None:
        designation(str(rec.get("standard", "")), "standard")  # unparseable code: say so
        raise BadInput(f"tiêu chuẩn {clean(str(rec.get('standard')))!r} chưa có trong cơ sở dữ liệu")
    _, outcome = groups.upsert_group_mapping(session, group, std, rec.get("type"), rec.get("rationale"),
                                             rec.get("legal_basis"), actor)
    return outcome, "group", [group.id]


def _legal_row(session: Session, rec: dict[str, Any], actor: str) -> Outcome:
    _, outcome = legal.upsert_document(session, legal.parse_document(rec), actor)
    return outcome, "legal_document", []  # legal documents are not in the search index


def _procedure_row(session: Session, rec: dict[str, Any], actor: str) -> Outcome:
    row = dict(rec)
    if row.get("reviewed_at"):
        row["reviewed_at"] = parse_date(row["reviewed_at"], "reviewed_at")
    key, fields = procedures.parse_procedure(row)
    _, outcome = procedures.upsert_procedure(session, key, fields, actor)
    return outcome, "procedure", []  # procedures are not in the search index


_ROW_HANDLERS: dict[str, Callable[[Session, dict[str, Any], str], Outcome]] = {
    "standards": _standard_row,
    "products": _product_row,
    "labs": _lab_row,
    "mappings": _mapping_row,
    "agencies": _agency_row,
    "product-groups": _group_row,
    "group-mappings": _group_mapping_row,
    "legal-documents": _legal_row,
    "procedures": _procedure_row,
}


#: Kinds with a bulk path: a whole batch in a few statements, row by row only when the batch fails.
_BATCH_HANDLERS: dict[str, Callable[[Session, list[tuple[int, dict[str, Any]]], str, ImportReport], None]] = {
    "products": _product_batch,
    "standards": _standard_batch,
}


def import_batch(session: Session, kind: str, batch: list[tuple[int, dict[str, Any]]], actor: str,
           report: ImportReport) -> None:
    """One batch of rows of a row kind, in ``session``'s transaction (the caller commits it), its outcomes
    added to ``report``: ``import_file`` and the curator's upload jobs (``ingest.jobs``) both write so.

    The bulk path first (in a savepoint); when the database refuses something in it (a constraint, a value
    too long for PostgreSQL), the batch is rolled back and done again row by row, each row in its own
    savepoint, so the bad row is reported with its line and the others land."""
    bulk = _BATCH_HANDLERS.get(kind)
    if bulk is not None:
        part = ImportReport(kind=kind, file=report.file)
        sp = session.begin_nested()
        try:
            bulk(session, batch, actor, part)
            sp.commit()
        except (IntegrityError, DataError):
            sp.rollback()
            products.forget_index(session)  # the index may name a product the rollback removed
        else:
            report.merge(part)
            return
    handler = _ROW_HANDLERS[kind]
    for line, rec in batch:
        done = _guarded(session, report, line, lambda rec=rec: handler(session, rec, actor))
        if done:
            outcome, entity, ids = done
            report.count(outcome)
            report.touch(outcome, entity, ids)


def _guarded(session: Session, report: ImportReport, line: int, fn: Callable[[], Any]) -> Any:
    """Run one row in a savepoint; a bad row becomes (line, message) and leaves nothing behind."""
    sp = session.begin_nested()
    try:
        result = fn()
        sp.commit()
        return result
    except (KBError, ValueError, IntegrityError, DataError) as exc:
        sp.rollback()
        products.forget_index(session)  # the index may name a product the rollback removed
        message = exc.message if isinstance(exc, KBError) else str(exc).splitlines()[0]
        report.errors.append((line, message))
        return None


def scope_record(rec: dict[str, Any], lab_check: Callable[[str], None]) -> tuple[str, LabScopeCreate]:
    """A scope file's row as (accreditation, row); ``lab_check`` refuses an accreditation (BadInput) before
    the row's own checks. Shared by ``kb import`` and the lab upload job (``ingest.jobs``)."""
    acc = labs.normalize_accreditation(rec.get("accreditation"))
    lab_check(acc)
    if not clean(str(rec.get("test") or "")):
        raise BadInput("thiếu tên phép thử")
    accredited = parse_bool(rec.get("accredited"), SCOPE_HEADERS_VI["accredited"])
    row = {k: _unquote_formula(rec.get(k)) for k in ("material", "test", "range", "method")}
    row["accredited"] = True if accredited is None else accredited
    return acc, labs.parse_scope_row(row)


def _import_scope(session: Session, rows: Iterator[tuple[int, dict[str, Any]]], report: ImportReport,
                  actor: str) -> None:
    """Rows grouped by lab; each lab's scope becomes exactly the good rows the file gives for it.

    When some of a lab's lines were bad, its other existing rows are kept rather than deleted.
    """
    per_lab: dict[str, list[LabScopeCreate]] = {}
    lab_of: dict[str, Any] = {}
    with_errors: set[str] = set()
    for line, rec in rows:
        def known(acc: str) -> None:
            if acc not in lab_of:
                lab = labs.find_lab(session, acc)
                if lab is None:
                    raise BadInput(f"chưa có phòng thí nghiệm {acc}; nhập tệp labs trước")
                lab_of[acc] = lab

        def check(rec: dict[str, Any] = rec) -> tuple[str, LabScopeCreate]:
            return scope_record(rec, known)

        checked = _guarded(session, report, line, check)
        if checked:
            per_lab.setdefault(checked[0], []).append(checked[1])
        else:
            try:
                with_errors.add(labs.normalize_accreditation(rec.get("accreditation")))
            except KBError:
                pass
    for acc, rows_of_lab in per_lab.items():
        counts = labs.replace_scope(session, lab_of[acc], rows_of_lab, actor, keep_others=acc in with_errors)
        for outcome, n in counts.items():
            report.count(outcome, n)
        if counts["created"] or counts["updated"] or counts["deleted"]:
            report.touch("updated", "lab", [lab_of[acc].id])


def _import_hs(session: Session, keys: list[str], rows: Iterator[tuple[int, dict[str, Any]]], report: ImportReport,
               actor: str, source: str) -> None:
    """The nomenclature in one bulk upsert (16,798 lines: one audit event, not one per line)."""
    with_controls = "specialised_procedures" in keys
    good: list[hscodes.NomenclatureRow] = []
    for line, rec in rows:
        if not rec.get("hscode"):
            continue  # a label grouping the lines below it ("- Ngựa:"), not a line of its own
        def check(rec: dict[str, Any] = rec, line: int = line) -> hscodes.NomenclatureRow:
            return hscodes.NomenclatureRow(
                line, normalize_hs(rec.get("hscode") or "", "HSCode"), parse_int(rec.get("level"), "Level"),
                clean(str(rec.get("description_vn") or "")), clean(str(rec.get("description_en") or "")),
                hscodes.split_controls(str(rec.get("specialised_procedures") or "")) if with_controls else None)
        try:
            good.append(check())
        except KBError as exc:
            report.errors.append((line, exc.message))
    for outcome, n in hscodes.import_lines(session, good, actor, source).items():
        report.count(outcome, n)


def _checked_file(kbase: KnowledgeBase, path: Path) -> Path:
    if not path.is_file():
        raise KBError(f"không tìm thấy tệp {path}")
    limit = kbase.settings.max_file_mb * 1024 * 1024
    if path.stat().st_size > limit:
        raise KBError(f"{path.name}: lớn hơn giới hạn {kbase.settings.max_file_mb} MB")
    return path


def import_risk_list(kbase: KnowledgeBase, path: Path | str, *, document: str, effective_from: date,
                     effective_until: date | None = None, replaces: Sequence[str] = (),
                     actor: str = "cli") -> risk.RiskImport:
    """Import a risk list (``kb.risk``); the file's sha256 makes re-importing it a no-op."""
    path = _checked_file(kbase, Path(path))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _, rows = read_rows(path, "risk-list", kbase.settings)
    with kbase.session() as session:
        done = risk.import_list(session, rows, document=document, effective_from=effective_from,
                                effective_until=effective_until, replaces=replaces, sha256=digest,
                                source_file=path.name, actor=actor)
    bulk.analyze_grown(kbase.engine)
    return done


def import_file(kbase: KnowledgeBase, kind: str, path: Path | str, actor: str = "cli", *,
                batch_rows: int | None = None, after_batch: Callable[[ImportReport], None] | None = None,
                procs: int = 1) -> ImportReport:
    """Import ``path`` as ``kind`` (one of :data:`KINDS`) and report what changed.

    Row kinds are written in batches of ``batch_rows`` (default :data:`BATCH_ROWS`), each committed on its
    own: readers see the rows of every finished batch, no lock is held for the whole file, and a crash
    leaves the batches done (re-running the file finishes the job: what is stored is "không đổi").
    ``after_batch`` is called after each commit with the report so far (``committed`` rows). The search
    index is brought up to date at the end: incrementally, or, for a large import, rebuilt with ``procs``
    processes (only callers that may fork pass more than one: the CLI, not the web server)."""
    if kind not in KINDS:
        raise BadInput(f"loại nhập {kind!r} không hợp lệ (dùng: {', '.join(KINDS)})")
    path = _checked_file(kbase, Path(path))
    report = ImportReport(kind=kind, file=str(path))
    with bulk.fewer_collections():
        keys, rows = read_rows(path, kind, kbase.settings)
        prebuild = None
        try:
            if kind in _ROW_HANDLERS:
                # Read to the end before the first commit: a file past a cap (a row too many at line 200,001, a
                # bomb) is refused whole, never after some batches were committed.
                all_rows = list(rows)
                if kind == "products" and _rebuild_pays(kbase, len(all_rows), procs):
                    try:
                        prebuild = search.Prebuild(kbase, procs)  # the index built beside the batches
                    except Conflict as exc:
                        log.info("search index built after the import, not beside it: %s", exc)
                _import_batches(kbase, kind, iter(all_rows), report, actor, batch_rows or BATCH_ROWS, after_batch,
                                prebuild)
            else:
                with kbase.session() as session:
                    if kind == "hs-nomenclature":
                        _import_hs(session, keys, rows, report, actor, path.name)
                    else:
                        _import_scope(session, rows, report, actor)
                bulk.analyze_grown(kbase.engine)
            _update_index(kbase, report, procs, prebuild)
        finally:
            if prebuild is not None:
                prebuild.cancel()  # nothing once finished
    return report


#: How much lower the CPU priority of ``kb import`` is than the site's (``os.nice``; its build processes go lower
#: still). On an idle machine it changes nothing; beside a serving site the searches come first: 16 clients'
#: p95 during a 100,000-product import went from 250 to 178 ms (``bench/search_during_import.py --writer kb-import``).
IMPORT_NICENESS = 5
#: Rows per transaction of a row kind's import (``import_file``): large enough that a batch's few
#: statements cost little per row, small enough that a batch commits within a second or two.
BATCH_ROWS = 2000
#: An import that changed more records than this (and more than a quarter of the index) rebuilds the
#: index instead of updating it record by record (bench/bulk_import.py measured both).
REBUILD_OVER = 20_000


def _import_batches(kbase: KnowledgeBase, kind: str, rows: Iterator[tuple[int, dict[str, Any]]],
                    report: ImportReport, actor: str, batch_rows: int,
                    after_batch: Callable[[ImportReport], None] | None, prebuild: search.Prebuild | None) -> None:
    line = 0
    with kbase.session() as session:  # one session (its caches last), one transaction per batch
        try:
            for batch in _chunks(rows, batch_rows):
                line = batch[0][0]
                part = ImportReport(kind=kind, file=report.file)
                import_batch(session, kind, batch, actor, part)
                # Group membership follows the rules: new or changed groups over every product, new or
                # changed products over every group; in the batch's transaction, so it is never behind.
                if kind == "product-groups" and part.changed.get("group"):
                    groups.refresh_members(session, actor, group_ids=part.changed["group"])
                elif kind == "products" and part.changed.get("product"):
                    groups.refresh_members(session, actor, product_ids=part.changed["product"])
                session.commit()
                bulk.analyze_grown(kbase.engine)
                if prebuild is not None:
                    prebuild.committed(part.changed.get("product", ()))
                report.merge(part)
                report.committed += len(batch)
                if after_batch is not None:
                    after_batch(report)
        except SQLAlchemyError as exc:
            session.rollback()
            raise KBError(f"{Path(report.file).name}: lỗi cơ sở dữ liệu ở lô bắt đầu từ dòng {line} "
                          f"({str(exc).splitlines()[0][:200]}); đã ghi {report.committed} dòng của các lô trước, "
                          "chạy lại tệp để nhập tiếp") from exc


def _chunks(rows: Iterator[tuple[int, dict[str, Any]]], n: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    batch: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def _rebuild_pays(kbase: KnowledgeBase, changed: int, procs: int) -> bool:
    """Whether rebuilding the index beats updating these many records in it (only with several processes)."""
    if procs <= 1 or changed <= REBUILD_OVER:
        return False
    with kbase.session() as session:
        total = sum(session.exec(select(func.count()).select_from(m)).one() for m in (Standard, Product, Lab))
    return changed * 4 > total


def _update_index(kbase: KnowledgeBase, report: ImportReport, procs: int, prebuild: search.Prebuild | None) -> None:
    """The search index after an import: the changed records, or a rebuild when that is quicker (finishing the
    one built beside the batches, when there is one)."""
    changed = sum(len(v) for k, v in report.changed.items() if k in ("standard", "product", "lab", "group"))
    if _rebuild_pays(kbase, changed, procs):
        if prebuild is not None:
            try:
                prebuild.finish()
                return
            except Exception:  # noqa: BLE001 - built again below, the usual way
                log.exception("the search index build beside the import failed; rebuilding it")
        try:
            search.reindex(kbase, procs=procs)
            return
        except Exception:  # noqa: BLE001 - as update_search: the index catches up by itself
            log.exception("search index rebuild after the import failed; updating it instead")
    elif prebuild is not None:
        prebuild.cancel()
    documents.update_search(kbase, report.changed, procs=procs)
