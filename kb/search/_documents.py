"""Turn database rows into index documents. Reads only; the database stays the source of truth."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from kb import codes, hscodes
from kb.bulk import among
from kb.models import (
    Criterion,
    DocumentPage,
    Lab,
    LabScope,
    Product,
    ProductGroup,
    ProductHsCode,
    RelationType,
    Standard,
    StandardRelation,
    pk,
)
from kb.search._schema import term_fold
from kb.text import clean, fold, tokens

KINDS = ("standard", "product", "lab", "group")
PAGE_BREAK = "\n\f\n"
#: Stored snippet source and body are cut here: a snippet never needs more, and the index stays small.
_BODY_CHARS = 400_000
_COMPACT = re.compile(r"[\W_]+")


def doc_key(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def compact(text: str) -> str:
    """``VILAS 1074`` / ``vilas-1074`` → ``vilas1074``: accreditation numbers typed any way."""
    return _COMPACT.sub("", fold(text))


def _kw(values: Iterable[str | None]) -> str:
    """Whitespace-separated keyword list; keys never contain spaces, but guard anyway."""
    seen: dict[str, None] = {}
    for v in values:
        if v:
            seen.setdefault(v.replace(" ", "_"), None)
    return " ".join(seen)


def bigrams(*texts: str | None) -> str:
    """Folded syllable bigrams per text (never across two texts, e.g. two aliases)."""
    seen: dict[str, None] = {}
    for t in texts:
        toks = list(map(term_fold, tokens(t)))
        # tokens are runs of word characters: no space to guard against, so no _kw (a third of an index build's
        # document time was bigrams)
        seen.update(dict.fromkeys(map("_".join, zip(toks, toks[1:], strict=False))))
    return " ".join(seen)


#: What a title says one way and people type another: when a title holds the first (whole words, folded),
#: the second is indexed with it. Each pair is the common name of the same thing, not a guess.
_TITLE_EQUIVALENTS = (
    ("phủ kẽm", "mạ kẽm"),  # hot-dip galvanizing is "mạ kẽm nhúng nóng" in trade and on drawings
    ("vlxd", "vật liệu xây dựng"),  # the abbreviation in lab names
)
_EQUIVALENTS_FOLDED = tuple((f" {' '.join(tokens(a, folded=True))} ", b) for a, b in _TITLE_EQUIVALENTS)


def searchable_title(title: str) -> str:
    """The title as indexed: itself, then the common names of what it says (``_TITLE_EQUIVALENTS``)."""
    folded = f" {' '.join(tokens(title, folded=True))} "
    extra = [b for a, b in _EQUIVALENTS_FOLDED if a in folded]
    return " ; ".join([title, *extra]) if extra else title


def _series_of(code: str) -> str | None:
    d = codes.parse(code)
    return d.series_key if d else None


def key_variants(code: str, key: str | None = None, series: str | None = None) -> tuple[list[str], list[str]]:
    """Edition and series keys of a code, also without its issuer: people type ``qcvn 8-1 2011``."""
    keys, ser = [key] if key else [], [series] if series else []
    d = codes.parse(code or "")
    if d is not None:
        keys.append(d.key)
        ser.append(d.series_key)
        variants = [d]
        if d.issuer_suffix:
            variants.append(replace(d, issuer_suffix=None))
        if "/" in (d.number or ""):  # ASTM C231/C231M: people type "ASTM C231"
            variants += [replace(v, number=v.number.split("/")[0]) for v in list(variants)]
        for v in variants[1:]:
            keys.append(v.key)
            ser.append(v.series_key)
    return keys, ser


def _number_forms(std: Standard) -> list[str]:
    out = []
    if std.number:
        out.append(std.number.lower())
        if std.part:
            out.append(f"{std.number}-{std.part}".lower())
    return out


# --- loading ---------------------------------------------------------------------------------------


def _relations(session: Session, keys: list[str] | None) -> tuple[dict, dict]:
    stmt = select(StandardRelation)
    if keys is not None:
        stmt = stmt.where(col(StandardRelation.from_key).in_(keys) | col(StandardRelation.to_key).in_(keys))
    out: dict[str, list[StandardRelation]] = defaultdict(list)
    inc: dict[str, list[StandardRelation]] = defaultdict(list)
    for r in session.exec(stmt):
        if r.relation == RelationType.cites:
            continue  # a citation does not make a standard findable under another's code
        out[r.from_key].append(r)
        inc[r.to_key].append(r)
    return out, inc


def _pages(session: Session, doc_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    pages: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not doc_ids:
        return pages
    for chunk in _chunks(doc_ids, 500):
        stmt = (
            select(DocumentPage.document_id, DocumentPage.page_no, DocumentPage.text)
            .where(col(DocumentPage.document_id).in_(chunk))
            .order_by(col(DocumentPage.document_id), col(DocumentPage.page_no))
        )
        for did, no, text in session.exec(stmt):
            pages[did].append((no, clean(text)))
    return pages


def _criteria(session: Session, std_ids: list[int]) -> dict[int, list[str]]:
    crit: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(std_ids, 500):
        for sid, name in session.exec(
            select(Criterion.standard_id, Criterion.name).where(col(Criterion.standard_id).in_(chunk))
        ):
            crit[sid].append(name)
    return crit


def _chunks(items: list, n: int) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def standard_docs(session: Session, ids: list[int] | None = None) -> Iterator[dict[str, Any]]:
    """Index documents for the given standards (all when ``ids`` is None)."""
    if ids is not None and not ids:
        return
    chunks = [None] if ids is None else list(_chunks(sorted(set(ids)), 500))
    for chunk in chunks:
        stmt = select(Standard)
        if chunk is not None:
            stmt = stmt.where(among(Standard.id, chunk))
        stds = session.exec(stmt).all()
        keys = None if chunk is None else [s.code_key for s in stds]
        out, inc = _relations(session, keys)
        pages = _pages(session, [s.document_id for s in stds if s.document_id])
        crit = _criteria(session, [pk(s) for s in stds])
        for s in stds:
            yield standard_doc(s, out.get(s.code_key, []), inc.get(s.code_key, []),
                               pages.get(s.document_id, []) if s.document_id else [], crit.get(pk(s), []))


def standard_doc(s: Standard, out: list[StandardRelation], inc: list[StandardRelation],
                 pages: list[tuple[int, str]], criteria: list[str]) -> dict[str, Any]:
    replaced_keys, replaced_series, equiv_keys, equiv_series, rels = [], [], [], [], []
    for r in out:
        other_series = _series_of(r.to_code)
        rels.append([r.relation.value, "out", r.to_code, r.to_key, other_series, r.qualifier])
        k, sr = key_variants(r.to_code, r.to_key, other_series)
        if r.relation in (RelationType.replaces, RelationType.converted_from):
            replaced_keys += k
            replaced_series += sr
        elif r.relation == RelationType.equivalent:
            equiv_keys += k
            equiv_series += sr
    for r in inc:
        rels.append([r.relation.value, "in", r.from_code, r.from_key, _series_of(r.from_code), r.qualifier])
    # "TCVN ISO 9001:2015" adopts "ISO 9001:2015" even when no relation row says so.
    adopted = _embedded_international(s.code)
    if adopted is not None:
        equiv_keys.append(adopted.key)
        equiv_series.append(adopted.series_key)

    own_keys, own_series = key_variants(s.code, s.code_key, s.series_key)
    title = clean(s.title_vi)
    scope = clean(s.scope)
    secondary = " . ".join(x for x in [scope, *map(clean, criteria)] if x)
    body = PAGE_BREAK.join(t for _, t in pages if t)[:_BODY_CHARS]
    ics = [x for x in re.split(r"[;,\s]+", s.ics or "") if x]
    status = s.status.value if hasattr(s.status, "value") else str(s.status or "unknown")
    return {
        "key": doc_key("standard", pk(s)),
        "kind": "standard",
        "pk": s.id,
        "code": s.code,
        "title_display": title or clean(s.title_en) or s.code,
        "snippet_src": (scope or title)[:600],
        "rels": rels,
        "code_key": _kw(own_keys),
        "code_series": _kw(own_series),
        "code_number": _kw(_number_forms(s)),
        "replaced_key": _kw(replaced_keys),
        "replaced_series": _kw(replaced_series),
        "equiv_key": _kw(equiv_keys),
        "equiv_series": _kw(equiv_series),
        "title": searchable_title(title),
        "title_f": searchable_title(title),
        "title_en": clean(s.title_en),
        "title_en_stem": clean(s.title_en),
        "bigrams": bigrams(title, s.title_en, scope),
        "pairs": bigrams(secondary, body),
        "text": secondary,
        "text_f": secondary,
        "body": body,
        "body_f": body,
        "_pages": pages,
        "doc_type": s.doc_type or "other",
        "status": status,
        "year": str(s.year) if s.year else "",
        "mandatory": "mandatory" if s.mandatory else "voluntary",
        "sample": "1" if s.is_sample else "",
        "ics": ics[0] if ics else "",
        "ics_all": ",".join(ics),
    }


def page_docs(std_doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One document per non-empty page of a standard's source file, for page-level snippets."""
    for no, text in std_doc.get("_pages") or []:
        if text:
            yield {
                "key": f"page:{std_doc['pk']}:{no}",
                "kind": "page",
                "parent": std_doc["key"],
                "page_no": no,
                "page_text": text,
                "page_f": text,
            }


def _embedded_international(code: str) -> Any:
    """``TCVN ISO 9001:2015`` → the designation ``ISO 9001:2015`` (national adoption by name)."""
    parts = (code or "").split(None, 1)
    if len(parts) == 2 and parts[0].upper() in ("TCVN", "QCVN"):
        d = codes.parse(parts[1])
        if d is not None and d.doc_type not in ("TCVN", "QCVN", None):
            return d
    return None


def product_docs(session: Session, ids: list[int] | None = None) -> Iterator[dict[str, Any]]:
    if ids is not None and not ids:
        return
    chunks = [None] if ids is None else list(_chunks(sorted(set(ids)), 500))
    for chunk in chunks:
        stmt = select(Product)
        if chunk is not None:
            stmt = stmt.where(among(Product.id, chunk))
        prods = list(session.exec(stmt))
        hs = hscodes.approved_codes(session, [pk(p) for p in prods])
        for p in prods:
            yield product_doc(p, hs.get(pk(p), []))


def product_versions(session: Session, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """What each product's document is made of, as something that changes whenever it does: the row's
    ``updated_at`` and the count and newest ``updated_at`` of its HS codes (every change of a row moves its
    ``updated_at``: ``kb.fingerprint``). Products no longer in the database are absent."""
    out: dict[int, tuple[Any, ...]] = {}
    for chunk in _chunks(sorted(set(ids)), 2000):
        codes_of: dict[int, tuple[int, Any]] = {pid: (n, newest) for pid, n, newest in session.exec(
            select(ProductHsCode.product_id, func.count(), func.max(ProductHsCode.updated_at))
            .where(among(ProductHsCode.product_id, chunk)).group_by(col(ProductHsCode.product_id)))}
        for pid, updated in session.exec(select(Product.id, Product.updated_at).where(among(Product.id, chunk))):
            if pid is not None:
                out[pid] = (updated, *codes_of.get(pid, (0, None)))
    return out


def hs_keys(codes: Iterable[str]) -> list[str]:
    """A product's HS codes as ``code_key`` terms: each code and its 4- and 6-digit headings, so ``8516``,
    ``851660`` and ``8516.60.10`` (compacted by the query like an accreditation number) all find it."""
    return [c[:n] for c in codes for n in (4, 6, 8) if len(c) >= n]


def product_doc(p: Product, hs: list[str] | None = None) -> dict[str, Any]:
    name = clean(p.name)
    aliases = [a for a in map(clean, p.aliases or []) if a]
    title = " ; ".join([name, *aliases])
    description, category, district = clean(p.description), clean(p.category), clean(p.district)
    secondary = " . ".join(
        x for x in [description, category, clean(p.producer), clean(p.ocop_group), clean(p.commune), district] if x
    )
    indexed_title = searchable_title(title)
    return {
        "key": doc_key("product", pk(p)),
        "kind": "product",
        "pk": p.id,
        "title_display": name,
        "snippet_src": (description or title)[:600],
        "rels": [],
        "code_key": _kw(hs_keys(hs or [])),
        "title": indexed_title,
        "title_f": indexed_title,
        "bigrams": bigrams(name, *aliases, p.description),
        "pairs": bigrams(secondary),
        "text": secondary,
        "text_f": secondary,
        "district": district,
        "category": category,
        "sample": "1" if p.is_sample else "",
        "year": str(p.ocop_year) if p.ocop_year else "",
    }


def lab_docs(session: Session, ids: list[int] | None = None) -> Iterator[dict[str, Any]]:
    if ids is not None and not ids:
        return
    chunks = [None] if ids is None else list(_chunks(sorted(set(ids)), 500))
    for chunk in chunks:
        stmt = select(Lab)
        sstmt = select(LabScope).order_by(col(LabScope.lab_id), col(LabScope.position), col(LabScope.id))
        if chunk is not None:
            stmt = stmt.where(among(Lab.id, chunk))
            sstmt = sstmt.where(among(LabScope.lab_id, chunk))
        scopes: dict[int, list[LabScope]] = defaultdict(list)
        for row in session.exec(sstmt):
            scopes[row.lab_id].append(row)
        for lab in session.exec(stmt):
            yield lab_doc(lab, scopes.get(pk(lab), []))


def lab_doc(lab: Lab, scope: list[LabScope]) -> dict[str, Any]:
    name = clean(lab.name)
    title = " ; ".join(x for x in [name, clean(lab.accreditation)] if x)
    tests = [" ".join(x for x in (clean(r.material), clean(r.test)) if x) for r in scope]
    # the organisation goes with the secondary text: a long title would dilute the lab's own name
    secondary = " . ".join(x for x in [clean(lab.organization), *tests, clean(lab.address), clean(lab.district)] if x)
    method_series: list[str] = []
    for r in scope:
        for c in r.method_codes or []:
            d = codes.parse(c)
            if d is not None:
                method_series += [d.series_key, d.key]
    acc_number = re.sub(r"\D+", " ", lab.accreditation or "").split()
    return {
        "key": doc_key("lab", pk(lab)),
        "kind": "lab",
        "pk": lab.id,
        "title_display": name,
        "accreditation": clean(lab.accreditation),
        "snippet_src": (" . ".join(tests) or title)[:600],
        "rels": [],
        "code_key": _kw([compact(lab.accreditation or "")]),
        "code_number": _kw(acc_number[-1:]),
        "method_series": _kw(method_series),
        "title": searchable_title(title),
        "title_f": searchable_title(title),
        "bigrams": bigrams(name, lab.organization),
        "pairs": bigrams(secondary),
        "text": secondary,
        "text_f": secondary,
        "district": clean(lab.district),
        "sample": "1" if lab.is_sample else "",
    }


def group_docs(session: Session, ids: list[int] | None = None) -> Iterator[dict[str, Any]]:
    if ids is not None and not ids:
        return
    chunks = [None] if ids is None else list(_chunks(sorted(set(ids)), 500))
    for chunk in chunks:
        stmt = select(ProductGroup)
        if chunk is not None:
            stmt = stmt.where(among(ProductGroup.id, chunk))
        for g in session.exec(stmt):
            yield group_doc(g)


def group_doc(g: ProductGroup) -> dict[str, Any]:
    """A product group is found like a product: its name, aliases and keywords are its title (keywords
    are the words that name its products); the description is its secondary text. The route is shown on
    the no-answer page, not searched: it is general advice, the same words for many groups."""
    name = clean(g.name)
    names = [name, *(clean(a) for a in g.aliases or []), *(clean(k) for k in g.keywords or [])]
    names = [x for x in dict.fromkeys(names) if x]
    title = " ; ".join(names)
    description = clean(g.description)
    return {
        "key": doc_key("group", pk(g)),
        "kind": "group",
        "pk": g.id,
        "slug": g.slug,
        "title_display": name,
        "snippet_src": (description or title)[:600],
        "rels": [],
        "title": searchable_title(title),
        "title_f": searchable_title(title),
        "bigrams": bigrams(*names, description),
        "pairs": bigrams(description),
        "text": description,
        "text_f": description,
        "sample": "1" if g.is_sample else "",
    }
