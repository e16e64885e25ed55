"""Products (OCOP, key products of the province, others): storage keyed by (name, producer), and the
curator's create and edit.

Two spellings that differ only in Unicode form, case or spacing name the same product
(``Mỳ gạo Lục Ngạn`` / ``Mỳ Gạo  Lục Ngạn``); accents still count (``mắm`` is not ``mầm``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from kb import audit, bulk, hscodes
from kb.errors import BadInput, Conflict, NotFound
from kb.hs import dotted
from kb.links import check_url
from kb.models import (
    MappingStatus,
    Product,
    ProductCreate,
    ProductHsCode,
    ProductKind,
    ProductUpdate,
    payload,
    pk,
    utcnow,
)
from kb.text import clean, fold, is_digits
from kb.versioning import update_versioned

PRODUCT_FIELDS = tuple(ProductUpdate.model_fields)
_INDEX = "kb.products.index"
_KIND_VI = {"chu luc": "key", "san pham chu luc": "key", "khac": "other"}


def identity(name: str | None, producer: str | None) -> tuple[str, str]:
    """The comparison key: NFC, spaces collapsed, case-folded (accents kept)."""
    return clean(name).casefold(), clean(producer).casefold()


def product_index(session: Session) -> dict[tuple[str, str], int]:
    """identity → id for every product, built once per session (imports touch many rows)."""
    idx = session.info.get(_INDEX)
    if idx is None:
        idx = {identity(n, p): i for i, n, p in session.exec(select(Product.id, Product.name, Product.producer)).all()}
        session.info[_INDEX] = idx
    return idx


def _coerce(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field == "aliases":
        items = value.split(";") if isinstance(value, str) else list(value)
        out: list[str] = []
        for a in items:
            a = clean(a)
            if a and a.casefold() not in {x.casefold() for x in out}:
                out.append(a)
        return out or None
    if field == "kind":
        key = fold(str(value))
        try:
            return ProductKind(_KIND_VI.get(key, key))
        except ValueError:
            raise BadInput(f"kind: {clean(str(value))!r} không hợp lệ (key, ocop hoặc other)") from None
    if field in ("ocop_stars", "ocop_year"):
        try:
            n = int(value)
        except (TypeError, ValueError):
            raise BadInput(f"{field}: {value!r} không phải số nguyên") from None
        if field == "ocop_stars" and not 1 <= n <= 5:
            raise BadInput(f"ocop_stars: {n} ngoài khoảng 1–5")
        if field == "ocop_year" and not 2000 <= n <= 2100:
            raise BadInput(f"ocop_year: {n} không hợp lệ")
        return n
    if field == "is_sample":
        return bool(value)
    if field == "source_url":
        return check_url(value, "nguồn (source_url)")
    return clean(str(value)) or None


def parse_product(data: dict[str, Any]) -> ProductCreate:
    """An import row or a form as a product: each value cleaned and checked (a BadInput names the field);
    empty values are left unset."""
    values = {f: _coerce(f, data[f]) for f in PRODUCT_FIELDS if data.get(f) not in (None, "")}
    values = {k: v for k, v in values.items() if v is not None}
    if not values.get("name"):
        raise BadInput("sản phẩm thiếu tên (name)")
    if data.get("hs_codes") not in (None, ""):
        values["hs_codes"] = hscodes.parse_codes(data["hs_codes"], "hs_code") or None
    return payload(ProductCreate, values)


def parse_product_changes(data: dict[str, Any]) -> ProductUpdate:
    """A curator's edit form: the fields it holds, cleaned and checked; an empty field clears the value."""
    changes = {f: _coerce(f, data[f] if data[f] != "" else None) for f in PRODUCT_FIELDS if f in data}
    if "name" in changes and not changes["name"]:
        raise BadInput("sản phẩm thiếu tên (name)")
    if "kind" in changes and changes["kind"] is None:
        raise BadInput("kind: phải chọn loại sản phẩm (key, ocop hoặc other)")
    if "aliases" in changes and changes["aliases"] is None:
        changes["aliases"] = []
    return payload(ProductUpdate, changes)


def upsert_product(session: Session, data: ProductCreate, actor: str) -> tuple[Product, str]:
    """Create or update the product named ``data.name`` by ``data.producer``.

    Returns the product and ``created`` / ``updated`` / ``unchanged``; only the fields set are written and
    empty values never erase what is known, so re-importing the same file changes nothing and writes no
    audit event. Stated HS codes are added as approved (``kb.hscodes``); codes already there stay.
    """
    values, codes = _given(data)
    idx = product_index(session)
    key = identity(values["name"], values.get("producer"))
    product = session.get(Product, idx[key]) if key in idx else None
    _check_stars(values, product)
    if product is None:
        product = Product(**values)
        session.add(product)
        session.flush()
        assert product.id is not None  # flushed
        idx[key] = product.id
        audit.record(session, actor=actor, action="create", entity="product", entity_id=product.id,
                     after=audit.snapshot(product), summary=f"Tạo sản phẩm {product.name}")
        hscodes.add_codes(session, product, codes, actor, source="import")
        return product, "created"
    return product, _update(session, product, values, codes, actor)


def _given(data: ProductCreate) -> tuple[dict[str, Any], list[str]]:
    """The fields ``data`` sets (empty values never erase what is known) and its stated HS codes."""
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    return values, values.pop("hs_codes", None) or []


def _check_stars(values: dict[str, Any], product: Any) -> None:  # a Product or a row of its columns
    """Stars only exist for OCOP products: a new product with stars and no kind is OCOP; any other kind is refused."""
    if values.get("ocop_stars"):
        if "kind" not in values and product is None:
            values["kind"] = ProductKind.ocop
        if values.get("kind", product.kind if product else None) != ProductKind.ocop:
            raise BadInput(f"{values['name']}: có số sao OCOP nhưng kind không phải ocop")


def _update(session: Session, product: Product, values: dict[str, Any], codes: list[str], actor: str,
            approved: set[str] | None = None) -> str:
    """Apply an upsert's values to a stored product: ``updated`` or ``unchanged``. ``approved``: the product's
    approved codes when the caller read them in bulk (codes all among them need no query)."""
    # The identity stays as first written; spelling variants only match it.
    changes = {k: v for k, v in values.items() if k not in ("name", "producer")}
    changed = update_versioned(session, product, changes, None, actor=actor, entity="product",
                               summary=f"Cập nhật sản phẩm {product.name}")
    if codes and (approved is None or not set(hscodes.parse_codes(codes)) <= approved):
        changed = bool(hscodes.add_codes(session, product, codes, actor, source="import")) or changed
    return "updated" if changed else "unchanged"


def upsert_products(session: Session, items: Sequence[ProductCreate], actor: str) -> list[tuple[int, str] | BadInput]:
    """:func:`upsert_product` for a batch of an import: the same rules, outcomes and audit events (one per
    new product, one per stated code, one per update), read and written with a few statements instead of
    several per row. Returns, per item, ``(product id, outcome)`` or the BadInput that refused it (the others
    still land). An item naming a product an earlier item of the batch named goes through
    :func:`upsert_product` after the others, so it updates what the first one wrote."""
    out: list[tuple[int, str] | BadInput | None] = [None] * len(items)
    idx = product_index(session)
    firsts: list[tuple[int, tuple[str, str], dict[str, Any], list[str]]] = []
    again: list[int] = []
    seen: set[tuple[str, str]] = set()
    for i, data in enumerate(items):
        values, codes = _given(data)
        key = identity(values["name"], values.get("producer"))
        if key in seen:
            again.append(i)
            continue
        seen.add(key)
        firsts.append((i, key, values, codes))
    stored_ids = [idx[key] for _, key, _, _ in firsts if key in idx]
    # Stored rows are read as plain rows (ORM objects cost more than the comparison): only a product the
    # row changes is loaded and updated as the web forms do it.
    stored: dict[int, Any] = {}
    approved: dict[int, list[str]] = {}
    table = Product.__table__  # type: ignore[attr-defined]
    for j in range(0, len(stored_ids), bulk.CHUNK):
        chunk = stored_ids[j:j + bulk.CHUNK]
        stored.update((r.id, r) for r in session.execute(select(table).where(table.c.id.in_(chunk))))
        approved.update(hscodes.approved_codes(session, chunk))
    new: list[tuple[int, tuple[str, str], dict[str, Any], list[str]]] = []
    for i, key, values, codes in firsts:
        row = stored.get(idx[key]) if key in idx else None
        try:
            _check_stars(values, row)
            if row is None:
                new.append((i, key, values, codes))
                continue
            mine = set(approved.get(row.id, ()))
            if all(getattr(row, k) == v for k, v in values.items() if k not in ("name", "producer")) \
                    and set(hscodes.parse_codes(codes)) <= mine:
                out[i] = (row.id, "unchanged")
            else:
                out[i] = (row.id, _update(session, require_product(session, row.id), values, codes, actor, mine))
        except BadInput as exc:
            out[i] = exc
    for i, pid in _insert_new(session, [(key, values, codes) for _, key, values, codes in new], actor, idx,
                              [i for i, *_ in new]):
        out[i] = (pid, "created")
    for i in again:
        try:
            product, outcome = upsert_product(session, items[i], actor)
            out[i] = (pk(product), outcome)
        except BadInput as exc:
            out[i] = exc
    return [o if o is not None else BadInput("không ghi được dòng này") for o in out]


def _insert_new(session: Session, rows: list[tuple[tuple[str, str], dict[str, Any], list[str]]], actor: str,
                idx: dict[tuple[str, str], int], tags: list[int]) -> list[tuple[int, int]]:
    """New products with one executemany INSERT, their stated codes and every audit event likewise; returns
    (tag, id) per row. Ids are read back by (name, producer), the table's unique key (``kb.bulk``)."""
    if not rows:
        return []
    now = utcnow()
    base = bulk.defaults(Product, now)
    records = [{**base, **values} for _, values, _ in rows]
    bulk.insert_rows(session, Product, records)
    by_name: dict[tuple[str, str | None], int] = {}
    names = list({r["name"] for r in records})
    for j in range(0, len(names), bulk.CHUNK):
        by_name.update(((n, p), i) for i, n, p in session.exec(
            select(Product.id, Product.name, Product.producer).where(col(Product.name).in_(names[j:j + bulk.CHUNK])))
            if i is not None)
    ids = [by_name[(r["name"], r.get("producer"))] for r in records]
    events: list[dict[str, Any]] = []
    code_rows: list[dict[str, Any]] = []
    for pid, record, (key, _, codes) in zip(ids, records, rows, strict=True):
        idx[key] = pid
        events.append({"actor": actor, "action": "create", "entity": "product", "entity_id": pid,
                       "after": {k: audit.jsonable(v) for k, v in {**record, "id": pid}.items()},
                       "summary": f"Tạo sản phẩm {record['name']}"})
        code_rows += [{"product_id": pid, "code": code, "source": "import", "status": MappingStatus.approved,
                       "decided_by": actor, "score": None, "reasons": [], "created_at": now, "updated_at": now}
                      for code in hscodes.parse_codes(codes)]
    if code_rows:
        bulk.insert_rows(session, ProductHsCode, code_rows)
        code_ids: dict[tuple[int, str], int] = {}
        for j in range(0, len(ids), bulk.CHUNK):
            code_ids.update(((p, c), i) for i, p, c in session.exec(
                select(ProductHsCode.id, ProductHsCode.product_id, ProductHsCode.code)
                .where(col(ProductHsCode.product_id).in_(ids[j:j + bulk.CHUNK]))) if i is not None)
        name_of = dict(zip(ids, (r["name"] for r in records), strict=True))
        for r in code_rows:
            cid = code_ids[(r["product_id"], r["code"])]
            events.append({"actor": actor, "action": "create", "entity": "producthscode", "entity_id": cid,
                           "after": {k: audit.jsonable(v) for k, v in {**r, "id": cid}.items()},
                           "summary": f"Thêm mã HS {dotted(r['code'])} của sản phẩm {name_of[r['product_id']]}"})
    audit.record_many(session, events, at=now)
    return list(zip(tags, ids, strict=True))


def get_product(session: Session, product_id: int) -> Product | None:
    return session.get(Product, product_id)


def require_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"Không tìm thấy sản phẩm #{product_id}")
    return product


def find_product(session: Session, ref: str | int, producer: str | None = None) -> Product:
    """A product by id (``12``, ``#12``) or by exact name (case and spacing ignored, accents kept).

    Raises NotFound, or Conflict when a name is shared by products of several producers.
    """
    text = clean(str(ref))
    if is_digits(text.lstrip("#")):
        return require_product(session, int(text.lstrip("#")))
    name = text.casefold()
    want_producer = clean(producer).casefold() if producer else None
    matches = [
        found
        for (n, p), pid in product_index(session).items()
        if n == name and (want_producer is None or p == want_producer)
        and (found := session.get(Product, pid)) is not None
    ]
    if not matches:
        # A user typing without accents still finds a unique product.
        folded = fold(text)
        matches = [
            p for p in session.exec(select(Product)).all()
            if fold(p.name) == folded and (want_producer is None or clean(p.producer).casefold() == want_producer)
        ]
    if not matches:
        raise NotFound(f"Không tìm thấy sản phẩm {text!r}")
    if len(matches) > 1:
        ids = ", ".join(f"#{p.id} ({p.producer or 'không rõ nhà sản xuất'})" for p in matches)
        raise Conflict(f"Có nhiều sản phẩm tên {text!r}: {ids}; hãy dùng id")
    return matches[0]


def forget_index(session: Session) -> None:
    """Drop the per-session name index (after a rollback or a rename)."""
    session.info.pop(_INDEX, None)


# --- Curation: a curator's products ---------------------------------------------------------------


def list_products(session: Session, name_contains: str = "", limit: int = 500) -> list[Product]:
    stmt = select(Product).order_by(col(Product.name)).limit(limit)
    if name_contains:
        stmt = stmt.where(col(Product.name).icontains(name_contains.strip()))
    return list(session.exec(stmt).all())


def categories(session: Session) -> list[str]:
    """The product categories in use, sorted."""
    return sorted({c for c in session.exec(select(Product.category).distinct()).all() if c})


def create_product(session: Session, data: ProductCreate, actor: str) -> Product:
    key = identity(data.name, data.producer)
    if key in product_index(session):
        raise Conflict(f"đã có sản phẩm {clean(data.name)!r} của {clean(data.producer) or 'nhà sản xuất này'}")
    return upsert_product(session, data, actor)[0]


def update_product(session: Session, product_id: int, data: ProductUpdate, expected_version: int | None,
                   actor: str) -> Product:
    product = require_product(session, product_id)
    changes = data.model_dump(exclude_unset=True)
    update_versioned(session, product, changes, expected_version, actor=actor, entity="product",
                     summary=f"Sửa sản phẩm {changes.get('name') or product.name}")
    forget_index(session)  # name or producer may have changed
    return product
