"""The slow path: answers straight from the database while the index is missing, damaged or being rebuilt.

No index, no ranking model: a designation is looked up as the code pages look it up
(``kb.standards.editions_for``), and words are matched accent-insensitively (``kb.text.fold``, NFC in, đ → d)
against every record's title fields (names, aliases, codes, English title) and then its secondary text, in
Python. The database narrows the rows first with LIKE patterns that every accented spelling of a folded word
matches in NFC text (``b_nh`` for ``banh``), so Python folds only candidates — correct on SQLite and
PostgreSQL alike, slower than the index. Every answer says ``degraded=True`` so pages can say so and caches keep it out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, cast, or_, true
from sqlalchemy import select as columns_of
from sqlmodel import Session, col, select

from kb import codes
from kb.core import KnowledgeBase
from kb.models import Lab, LabScope, Product, ProductGroup, Standard
from kb.search._query import _CODE_WORDS, FACETS, MAX_QUERY_CHARS, MAX_TOKENS, STOP_WORDS, highlight
from kb.search._results import Hit, SearchResults
from kb.standards import editions_for, like_escape
from kb.text import clean, fold, tokens
from kb.urls import group_url, lab_url, product_url, standard_url

_STATUS_ORDER = {"in_force": 0, "unknown": 1, "draft": 2, "replaced": 3, "withdrawn": 4}


@dataclass
class _Record:
    kind: str
    id: int
    title: str
    url: str
    titles: str  # what counts as its title, for matching (names, aliases, codes)
    text: str  # secondary text: scope, description, tests, organisation
    code: str | None = None
    accreditation: str | None = None
    status: str | None = None
    facets: dict[str, str] = field(default_factory=dict)


def search_db(kbase: KnowledgeBase, query: str, *, kind: str | None, limit: int,
              filters: dict | None) -> SearchResults:
    q = clean(query)[:MAX_QUERY_CHARS]
    res = SearchResults(query=q, degraded=True)
    if not q:
        return res
    limit = max(1, min(int(limit or 10), 100))
    wanted = {str(k): str(v) for k, v in (filters or {}).items() if v not in (None, "")}
    if kind:
        wanted["kind"] = kind
    try:
        ds = codes.parse_query(q)
    except Exception:  # noqa: BLE001 - odd input is a search for words, never an error
        ds = []
    exact = tokens(q)[:MAX_TOKENS]
    if ds:  # "tcvn 3118 bê tông": the code is looked up, the words narrow nothing else
        exact = [w for w in exact if not any(ch.isdigit() for ch in w) and fold(w) not in _CODE_WORDS]
    must = [fold(w) for w in exact if w not in STOP_WORDS] or [fold(w) for w in exact]
    scored: dict[tuple[str, int], tuple[tuple, _Record]] = {}
    with kbase.session() as session:
        named: list[Standard] = []
        for d in ds:
            for s in editions_for(session, d):
                if s not in named:
                    named.append(s)
        keys = {d.key for d in ds}
        for rank, s in enumerate(sorted(named, key=lambda s: (s.code_key not in keys,
                                                               _STATUS_ORDER.get(_status(s), 5), -(s.year or 0)))):
            r = _standard(s)
            if _passes(r, wanted):
                scored[(r.kind, r.id)] = ((0, rank), r)
        if must:
            for r in _records(session, wanted.get("kind"), must):
                if (r.kind, r.id) in scored or not _passes(r, wanted):
                    continue
                title_words = set(tokens(r.titles, folded=True))
                if all(w in title_words for w in must):
                    tier = 1
                else:
                    text_words = set(tokens(r.text, folded=True))
                    if not all(w in title_words or w in text_words for w in must):
                        continue
                    tier = 2
                scored[(r.kind, r.id)] = ((tier, _STATUS_ORDER.get(r.status or "", 0), len(r.title)), r)
    ordered = [r for _, r in sorted(scored.values(), key=lambda x: x[0])]
    res.total = len(ordered)
    res.facets = {name: _count(ordered, name) for name in FACETS}
    shown = set(must) | set(tokens(q))
    n = len(ordered)
    res.hits = [Hit(kind=r.kind, id=r.id, title=r.title, url=r.url, score=float(n - i), code=r.code,
                    accreditation=r.accreditation, status=r.status,
                    snippet=highlight(r.text, shown) if r.text else "")
                for i, r in enumerate(ordered[:limit])]
    return res


def _passes(r: _Record, wanted: dict[str, str]) -> bool:
    return all(r.facets.get(k) == v for k, v in wanted.items())


def _count(records: list[_Record], name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        v = r.facets.get(name)
        if v:
            out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _status(s: Any) -> str:
    st = s.status
    return st.value if hasattr(st, "value") else str(st or "unknown")


def _standard(s: Standard) -> _Record:
    status = _status(s)
    ics = [x for x in (s.ics or "").replace(";", " ").replace(",", " ").split() if x]
    facets = {"kind": "standard", "doc_type": s.doc_type or "other", "status": status,
              "mandatory": "mandatory" if s.mandatory else "voluntary"}
    if s.year:
        facets["year"] = str(s.year)
    if ics:
        facets["ics"] = ics[0]
    title = clean(s.title_vi) or clean(s.title_en) or s.code
    return _Record("standard", int(s.id or 0), title, standard_url(s.code),
                   " ; ".join(x for x in (s.code, clean(s.title_vi), clean(s.title_en)) if x), clean(s.scope)[:600],
                   code=s.code, status=status, facets=facets)


def _rows(session: Session, *columns: Any, where: Any = None) -> Any:
    """Plain rows of these columns (no model objects: the scan may read every record)."""
    stmt = columns_of(*columns).order_by(columns[0])
    return session.connection().execute(stmt if where is None else stmt.where(where))


#: Letters an accented or folded spelling may change (đ folds to d): a LIKE pattern leaves them open.
_OPEN = frozenset("aeiouyd")


def _pattern(word: str) -> str | None:
    """A LIKE pattern every spelling of a folded word matches in NFC text, ``bánh``, ``Banh`` and ``bành`` for
    ``banh`` (``b_nh``: one character per vowel), or None when it would let almost everything through."""
    if not any(c.isascii() and c.isalnum() and c not in _OPEN for c in word):
        return None
    return "%" + "".join("_" if c in _OPEN else like_escape(c) for c in word) + "%"


def _narrowed(columns: tuple[Any, ...], words: list[str], always: Any = None) -> Any:
    """Rows that may hold every word in one of these columns (a superset: the folded words decide)."""
    patterns = [p for p in map(_pattern, words) if p]
    if not patterns:
        return true()
    clause = and_(*(or_(*(c.ilike(p, escape="\\") for c in columns)) for p in patterns))
    return clause if always is None else or_(clause, always)


def _records(session: Session, kind: str | None, words: list[str]) -> Iterator[_Record]:
    if kind in (None, "standard"):
        where = _narrowed((col(Standard.code), col(Standard.title_vi), col(Standard.title_en), col(Standard.scope)),
                          words)
        for s in session.exec(select(Standard).where(where)):
            yield _standard(s)
    if kind in (None, "product"):
        cols: tuple[Any, ...] = (Product.id, Product.name, Product.aliases, Product.description, Product.category,
                                 Product.producer, Product.ocop_group, Product.commune, Product.district,
                                 Product.ocop_year)
        # aliases are JSON (escaped on SQLite): a product that has any is looked at in Python
        aliases_col = cast(col(Product.aliases), String)
        where = _narrowed(tuple(col(c) for c in cols[1:2] + cols[3:9]), words,
                          always=and_(col(Product.aliases).is_not(None), aliases_col.not_in(["[]", "null"])))
        for pid, name, aliases, desc, cat, producer, ocop, commune, district, year in _rows(session, *cols,
                                                                                             where=where):
            facets = {"kind": "product"}
            if district:
                facets["district"] = clean(district)
            if year:
                facets["year"] = str(year)
            yield _Record("product", pid, clean(name), product_url(pid),
                          " ; ".join([clean(name), *(clean(a) for a in aliases or [])]),
                          " . ".join(x for x in map(clean, (desc, cat, producer, ocop, commune, district)) if x),
                          facets=facets)
    if kind in (None, "lab"):
        tests: dict[int, list[str]] = {}
        for lab_id, material, test in _rows(session, LabScope.lab_id, LabScope.material, LabScope.test):
            tests.setdefault(lab_id, []).append(" ".join(x for x in (clean(material), clean(test)) if x))
        cols = (Lab.id, Lab.name, Lab.accreditation, Lab.organization, Lab.address, Lab.district)
        for lid, name, acc, org, address, district in _rows(session, *cols):
            facets = {"kind": "lab"}
            if district:
                facets["district"] = clean(district)
            yield _Record("lab", lid, clean(name), lab_url(lid), " ; ".join(x for x in (clean(name), clean(acc)) if x),
                          " . ".join(x for x in (clean(org), *tests.get(lid, []), clean(address), clean(district)) if x),
                          accreditation=clean(acc), facets=facets)
    if kind in (None, "group"):
        cols = (ProductGroup.id, ProductGroup.slug, ProductGroup.name, ProductGroup.aliases, ProductGroup.keywords,
                ProductGroup.description)
        for gid, slug, name, aliases, keywords, desc in _rows(session, *cols):
            names = [clean(name), *(clean(a) for a in aliases or []), *(clean(k) for k in keywords or [])]
            yield _Record("group", gid, clean(name), group_url(slug), " ; ".join(x for x in names if x), clean(desc),
                          facets={"kind": "group"})
