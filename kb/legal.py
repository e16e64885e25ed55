"""Legal documents (laws, decrees, circulars, decisions) as dated records, and what replaces what.

A document's number is written many ways (``36/2026/TT-BKHCN``, ``36/2026/tt-bkhcn``, ``Thông tư
36/2026/TT-BKHCN``, ``15/2018/ND-CP``): :func:`legal_key` turns any of them into one key, and
:func:`find_codes` finds the numbers inside a free-text legal basis ("Luật An toàn thực phẩm số
55/2010/QH12; Nghị định 15/2018/NĐ-CP"). A document's status on a date is derived from its dates and from
the documents that replace it (:func:`status_on`); the stored ``status`` is only the fallback when no date
says anything.

Curators' forms, the JSON API and ``kb import legal-documents`` share one parser (:func:`parse_document`) and
one writer (:func:`upsert_document`; the curators' :func:`create_document` and :func:`update_document` add
"new means new" and optimistic locking on top).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from kb import audit
from kb.errors import BadInput, Conflict, NotFound
from kb.links import check_url
from kb.models import LegalDocument, LegalDocumentBase, LegalKind, LegalRelation, LegalStatus, payload
from kb.text import clean, fold
from kb.versioning import StaleEdit, bump_version, update_versioned

LEGAL_FIELDS = tuple(LegalDocumentBase.model_fields)
#: Relations a row may give, each as ``CODE@YYYY-MM-DD;…`` or plain codes.
RELATIONS = ("replaces", "amends", "guides")
RELATION_LABELS_VI = {"replaces": "thay thế", "amends": "sửa đổi, bổ sung", "guides": "hướng dẫn"}
KIND_LABELS_VI = {"law": "Luật", "decree": "Nghị định", "circular": "Thông tư", "decision": "Quyết định",
                  "other": "Văn bản khác"}
STATUS_LABELS_VI = {"in_force": "Còn hiệu lực", "not_yet": "Chưa có hiệu lực", "amended": "Còn hiệu lực (đã được sửa đổi)",
                    "replaced": "Đã được thay thế", "expired": "Hết hiệu lực", "unknown": "Chưa rõ"}

# number / [year /] symbol: 36/2026/TT-BKHCN, 55/2010/QH12, 1182/QĐ-BCT (no year: the symbol needs an
# issuer after a dash, so "1/2" or "2011/BYT" in a QCVN code are not taken). Spaces around / and - allowed.
_SYMBOL = r"[A-ZĐ]{1,8}\d{0,2}(?:\s*-\s*[A-ZĐ]{1,12}\d{0,2})*"
_CODE = re.compile(
    rf"(?<![\w:./-])(?P<num>\d{{1,5}})\s*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*(?P<sym>{_SYMBOL})"
    rf"|(?P<sym2>[A-ZĐ]{{1,8}}\s*-\s*[A-ZĐ]{{1,12}}\d{{0,2}}(?:\s*-\s*[A-ZĐ]{{1,12}}\d{{0,2}})*))(?![\w/])",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_KIND_BY_SYMBOL = (("qh", LegalKind.law), ("nd", LegalKind.decree), ("ttlt", LegalKind.circular),
                   ("tt", LegalKind.circular), ("qd", LegalKind.decision))
#: Dates outside these years are typing mistakes (0226 for 2026), not documents of this state.
_YEARS = (1945, 2100)


@dataclass(frozen=True)
class CodeMatch:
    start: int
    end: int
    code: str  # as canonical as the text allows: NFC, symbol upper-case, no inner spaces
    key: str


def _canonical(m: re.Match[str]) -> tuple[str, str]:
    num = m["num"]
    sym = _SPACE.sub("", m["sym"] or m["sym2"])
    if not any(ch.isupper() for ch in sym):  # typed in lower case; a written "QĐ-TTg" keeps its own case
        sym = sym.upper()
    code = f"{num}/{m['year']}/{sym}" if m["year"] else f"{num}/{sym}"
    # The key ignores case, đ/Đ, dashes and leading zeros: "05/2007/QH12" and "5/2007/qh12" are one law.
    key_sym = fold(sym).replace("-", "")
    key = f"{int(num)}/{m['year']}/{key_sym}" if m["year"] else f"{int(num)}/{key_sym}"
    return code, key


def find_codes(text: str | None) -> list[CodeMatch]:
    """The document numbers inside ``text``, in order, each once."""
    s = clean(text)
    out: list[CodeMatch] = []
    seen: set[str] = set()
    for m in _CODE.finditer(s):
        code, key = _canonical(m)
        if key not in seen:
            seen.add(key)
            out.append(CodeMatch(m.start(), m.end(), code, key))
    return out


def parse_code(value: Any, field: str = "code") -> CodeMatch:
    """The one document number in ``value`` (words around it such as "Thông tư số" are allowed)."""
    found = find_codes(str(value or ""))
    if len(found) != 1:
        what = "không có" if not found else "có nhiều hơn một"
        raise BadInput(f"{field}: {clean(str(value or ''))!r} {what} số hiệu văn bản dạng số/năm/ký hiệu")
    return found[0]


def legal_key(code: str) -> str:
    """Any spelling of a document number → its lookup key (BadInput when there is no number in it)."""
    return parse_code(code).key


def kind_of(code: str) -> LegalKind:
    """The kind a number's symbol says: QH law, NĐ-CP decree, TT/TTLT circular, QĐ decision."""
    symbol = legal_key(code).split("/")[-1]
    for prefix, kind in _KIND_BY_SYMBOL:
        if symbol.startswith(prefix):
            return kind
    return LegalKind.other


def get_document(session: Session, code: str) -> LegalDocument | None:
    try:
        key = legal_key(code)
    except BadInput:
        return None
    return session.exec(select(LegalDocument).where(LegalDocument.code_key == key)).first()


def list_documents(session: Session) -> list[LegalDocument]:
    """Every document, newest year first, then by number."""
    return sorted(session.exec(select(LegalDocument)).all(), key=_order)


def _order(doc: LegalDocument) -> tuple[int, int, str]:
    parts = doc.code_key.split("/")
    year = int(parts[1]) if len(parts) == 3 else (doc.issued.year if doc.issued else 0)
    return (-year, int(parts[0]), doc.code_key)


# --- parse and write ------------------------------------------------------------------------------------

def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        d = value
    else:
        text = clean(str(value))
        try:
            d = date.fromisoformat(text[:10])
        except ValueError:
            raise BadInput(f"{field}: {text[:40]!r} không phải ngày dạng YYYY-MM-DD") from None
    if not _YEARS[0] <= d.year <= _YEARS[1]:
        raise BadInput(f"{field}: năm {d.year} ngoài khoảng {_YEARS[0]}–{_YEARS[1]}; kiểm tra lại ngày")
    return d


def parse_enum(cls: type[LegalKind] | type[LegalStatus], value: Any, field: str) -> Any:
    """One of an enumeration's values, or a BadInput that names the field and the choices."""
    text = clean(str(value)).lower()
    try:
        return cls(text)
    except ValueError:
        raise BadInput(f"{field}: {text[:40]!r} không hợp lệ (dùng: {', '.join(e.value for e in cls)})") from None


@dataclass(frozen=True)
class RelationInput:
    """One document a row or form says it replaces, amends or guides, from a date, per an article."""
    code: CodeMatch
    on: date | None = None
    basis: str | None = None


def _trailing_parenthesis(text: str) -> tuple[str, str | None]:
    """``"X (Điều 6 (khoản 2))"`` → ``("X", "Điều 6 (khoản 2)")``; text without a closing one is kept whole."""
    if not text.endswith(")"):
        return text, None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            return text[:i].rstrip(), clean(text[i + 1:-1]) or None
    return text, None


def parse_relations(value: Any, field: str) -> list[RelationInput]:
    """``CODE@YYYY-MM-DD (basis)``, each part optional but the code, ``;`` or new lines between items: the
    date from which the relation applies and the article that says so (``Điều 6 khoản 2``)."""
    out: list[RelationInput] = []
    seen: set[str] = set()
    for part in re.split(r"[;\n]", str(value or "")):
        part, basis = _trailing_parenthesis(clean(part))
        if not part:
            continue
        if "(" in part or ")" in part:  # an article anywhere but at the end would be dropped with the words
            raise BadInput(f"{field}: {part[:80]!r}: điều khoản trong ngoặc đặt ở cuối (số hiệu@YYYY-MM-DD (điều khoản))")
        on = None
        if "@" in part:
            part, _, when = part.rpartition("@")
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", clean(when)):
                raise BadInput(f"{field}: {clean(when)[:40]!r} sau @ không phải ngày dạng YYYY-MM-DD")
            on = _date(when, field)
        code = parse_code(part, field)
        if code.key in seen:
            raise BadInput(f"{field}: {code.code} ghi hai lần")
        seen.add(code.key)
        if basis and len(basis) > 500:
            raise BadInput(f"{field}: căn cứ trong ngoặc dài quá 500 ký tự")
        out.append(RelationInput(code, on, basis))
    return out


def format_relation(code: str, on: date | None, basis: str | None) -> str:
    """The written form :func:`parse_relations` reads back: ``CODE@YYYY-MM-DD (basis)``."""
    return code + (f"@{on.isoformat()}" if on else "") + (f" ({basis})" if basis else "")


def relation_lines(session: Session, key: str) -> dict[str, list[str]]:
    """A document's declared relations as written lines, by relation (every relation, empty when none)."""
    out: dict[str, list[str]] = {r: [] for r in RELATIONS}
    for r in session.exec(select(LegalRelation).where(LegalRelation.from_key == key)
                          .order_by(col(LegalRelation.to_key))).all():
        out.setdefault(r.relation, []).append(format_relation(r.to_code, r.effective_from, r.basis))
    return out


@dataclass
class LegalInput:
    code: CodeMatch
    fields: dict[str, Any]
    #: relation → the documents it names; a relation absent from the input is left as it is.
    relations: dict[str, list[RelationInput]]


def parse_document(data: dict[str, Any]) -> LegalInput:
    """An import row or a form: every value cleaned and checked, the field named in Vietnamese errors.

    The kind follows the number's symbol when given empty (and on creation when absent); an empty cell
    clears the field; a field absent from ``data`` is left as stored."""
    code = parse_code(data.get("code"))
    fields: dict[str, Any] = {"code": code.code}
    for f in LEGAL_FIELDS:
        if f == "code" or f not in data:
            continue
        value = data.get(f)
        if f in ("issued", "effective_from", "effective_until"):
            fields[f] = _date(value, f)
        elif f == "kind":
            fields[f] = parse_enum(LegalKind, value, f) if value not in (None, "") else None
        elif f == "status":
            fields[f] = parse_enum(LegalStatus, value, f) if value not in (None, "") else LegalStatus.unknown
        elif f == "source_url":
            fields[f] = check_url(value, "source_url")
        else:
            fields[f] = clean(str(value or "")) or None
    if "kind" in fields and fields["kind"] is None:
        fields["kind"] = kind_of(code.code)
    check_dates(fields)
    payload(LegalDocumentBase, fields)  # lengths and types, with the field named
    relations = {r: parse_relations(data.get(r), r) for r in RELATIONS if r in data}
    for r, items in relations.items():
        if any(x.code.key == code.key for x in items):
            raise BadInput(f"{r}: văn bản không thể tự {RELATION_LABELS_VI[r]} chính nó")
    return LegalInput(code, fields, relations)


def check_dates(values: dict[str, Any]) -> None:
    """The dates of one document agree: in force until (the last day) not before in force from, nor before
    issued. In force before issued is allowed: the law lets a document act retroactively."""
    issued, start, end = values.get("issued"), values.get("effective_from"), values.get("effective_until")
    if start and end and end < start:
        raise BadInput("effective_until: ngày hết hiệu lực trước ngày có hiệu lực")
    if issued and end and end < issued:
        raise BadInput("effective_until: ngày hết hiệu lực trước ngày ban hành")


def upsert_document(session: Session, data: LegalInput, actor: str, expected_version: int | None = None,
                    source: str = "import") -> tuple[LegalDocument, str]:
    """Create or update a document and its relations; ``created`` / ``updated`` / ``unchanged``.

    A new document is one audit event (its relations in it); a change of relations is one more. A change of
    relations alone moves the document's version too, so optimistic locking covers them (``source`` marks
    who declared the relations: ``import`` or ``curator``)."""
    doc = session.exec(select(LegalDocument).where(LegalDocument.code_key == data.code.key)).first()
    if doc is None:
        return _insert(session, data, actor, source), "created"
    stored = {f: getattr(doc, f) for f in ("issued", "effective_from", "effective_until")}
    check_dates({**stored, **data.fields})
    rels = _plan_relations(session, doc.code_key, data.relations)
    try:
        changed = update_versioned(session, doc, data.fields, expected_version, actor=actor,
                                   entity="legal_document", summary=f"Cập nhật văn bản {doc.code}")
        if rels and not changed:
            bump_version(session, doc, expected_version, entity="legal_document", submitted=data.fields)
    except StaleEdit as exc:
        # Tell the editor about the relations too: they are part of what the form showed.
        now = _plan_relations(session, doc.code_key, data.relations)
        exc.changed.update({r: {"yours": "; ".join(p.after), "current": "; ".join(p.before)} for r, p in now.items()})
        raise
    _write_relations(session, doc.code_key, rels, source)
    if rels:
        audit.record(session, actor=actor, action="update", entity="legal_document", entity_id=doc.id,
                     before={r: p.before for r, p in rels.items()}, after={r: p.after for r, p in rels.items()},
                     summary=f"Cập nhật văn bản mà {doc.code} thay thế, sửa đổi hoặc hướng dẫn")
    return doc, "updated" if changed or rels else "unchanged"


def create_document(session: Session, data: LegalInput, actor: str) -> LegalDocument:
    """A curator's new document. A number already recorded, in any spelling, is a 409 that names it (the
    curator edits that one), also when two curators add it at once."""
    existing = session.exec(select(LegalDocument).where(LegalDocument.code_key == data.code.key)).first()
    if existing is not None:
        raise Conflict(f"Đã có văn bản {existing.code} trong cơ sở dữ liệu; hãy sửa văn bản đó")
    try:
        # The insert is the savepoint's first statement: SQLite then waits for the writer's lock instead of
        # failing on a read snapshot that went stale, and the unique key tells the second curator.
        with session.begin_nested():
            return _insert(session, data, actor, "curator")
    except IntegrityError:
        raise Conflict(f"Văn bản {data.code.code} vừa được người khác thêm; tải lại để sửa bản đó") from None


def _insert(session: Session, data: LegalInput, actor: str, source: str) -> LegalDocument:
    """A new document and its relations, as one audit event; the kind follows the symbol when not given."""
    doc = LegalDocument(code_key=data.code.key, **{"kind": kind_of(data.code.code), **data.fields})
    session.add(doc)
    session.flush()
    rels = _plan_relations(session, doc.code_key, data.relations)
    _write_relations(session, doc.code_key, rels, source)
    audit.record(session, actor=actor, action="create", entity="legal_document", entity_id=doc.id,
                 after={**audit.snapshot(doc), **{r: p.after for r, p in rels.items()}},
                 summary=f"Thêm văn bản {doc.code}")
    return doc


def update_document(session: Session, key: str, data: LegalInput, actor: str,
                    expected_version: int | None) -> tuple[LegalDocument, str]:
    """A curator's edit of the document ``key`` as loaded at ``expected_version`` (``None``: the API client
    read none). The number may be re-spelt, not changed: another number is another document."""
    doc = session.exec(select(LegalDocument).where(LegalDocument.code_key == key)).first()
    if doc is None:
        raise NotFound(f"Không có văn bản {data.code.code if data.code.key == key else key!r} trong cơ sở dữ liệu")
    if data.code.key != doc.code_key:
        raise BadInput(f"code: {data.code.code} là số hiệu của văn bản khác; ở đây chỉ sửa được cách viết "
                       f"số hiệu {doc.code} (văn bản khác: thêm mới)")
    return upsert_document(session, data, actor, expected_version, source="curator")


@dataclass
class _RelationPlan:
    want: dict[str, RelationInput]
    current: dict[str, LegalRelation]
    before: list[str]
    after: list[str]


def _plan_relations(session: Session, key: str, given: dict[str, list[RelationInput]]) -> dict[str, _RelationPlan]:
    """For each given relation whose documents, dates or bases differ from the stored ones: what to write,
    and both as written lines (for the audit event and a conflict's report)."""
    plans: dict[str, _RelationPlan] = {}
    for relation, items in given.items():
        current = {r.to_key: r for r in session.exec(
            select(LegalRelation).where(LegalRelation.from_key == key, LegalRelation.relation == relation)).all()}
        want = {x.code.key: x for x in items}
        before = sorted(format_relation(r.to_code, r.effective_from, r.basis) for r in current.values())
        after = sorted(format_relation(x.code.code, x.on, x.basis) for x in want.values())
        if before != after:
            plans[relation] = _RelationPlan(want, current, before, after)
    return plans


def _write_relations(session: Session, key: str, plans: dict[str, _RelationPlan], source: str) -> None:
    """Make the document's relations of each planned kind exactly the ones wanted."""
    for relation, plan in plans.items():
        for to_key, old in plan.current.items():
            if to_key not in plan.want:
                session.delete(old)
        for to_key, x in plan.want.items():
            rel = plan.current.get(to_key) or LegalRelation(from_key=key, relation=relation, to_key=to_key,
                                                            to_code=x.code.code)
            rel.to_code, rel.effective_from, rel.basis, rel.source = x.code.code, x.on, x.basis, source
            session.add(rel)
    if plans:
        session.flush()


# --- status for a date --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Successor:
    """A later document that replaces or amends this one, from a date (``None``: date not known)."""
    relation: str
    code: str
    key: str
    on: date | None
    basis: str | None = None  # the article that says so


def successors(session: Session, keys: list[str]) -> dict[str, list[Successor]]:
    """For each key, the documents that replace or amend it, with the date (the relation's own, else the
    later document's ``effective_from``)."""
    if not keys:
        return {}
    rels = session.exec(select(LegalRelation).where(col(LegalRelation.to_key).in_(keys),
                                                    col(LegalRelation.relation).in_(["replaces", "amends"]))).all()
    froms = {d.code_key: d for d in session.exec(
        select(LegalDocument).where(col(LegalDocument.code_key).in_({r.from_key for r in rels}))).all()}
    out: dict[str, list[Successor]] = {}
    for r in rels:
        later = froms.get(r.from_key)
        on = r.effective_from or (later.effective_from if later else None)
        out.setdefault(r.to_key, []).append(
            Successor(r.relation, later.code if later else r.from_key, r.from_key, on, r.basis))
    for items in out.values():
        items.sort(key=lambda s: (s.on or date.min, s.code))
    return out


def status_on(doc: LegalDocument, on: date, succ: list[Successor] | None = None) -> LegalStatus:
    """The status of ``doc`` on ``on``: replaced from the day a replacing document says; expired after
    ``effective_until`` (the last day in force); not yet before ``effective_from``; amended once an
    amendment applies; else in force when a date or the stored status says so."""
    succ = succ or []
    if any(s.relation == "replaces" and (s.on is None or s.on <= on) for s in succ):
        return LegalStatus.replaced
    if doc.effective_until and on > doc.effective_until:
        return LegalStatus.expired
    if doc.effective_from and on < doc.effective_from:
        return LegalStatus.not_yet
    if doc.status in (LegalStatus.replaced, LegalStatus.expired):  # curated without a date: it stands
        return doc.status
    if any(s.relation == "amends" and (s.on is None or s.on <= on) for s in succ):
        return LegalStatus.amended
    if doc.effective_from or doc.status in (LegalStatus.in_force, LegalStatus.amended):
        return LegalStatus.in_force
    return doc.status
