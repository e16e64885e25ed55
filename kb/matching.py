"""Product → standard suggestions, each with human-readable reasons, for the curator queue.

Evidence is combined as independent signals (a "noisy or": 1 − Π(1 − wᵢ·sᵢ)), so a standard backed by
several kinds of evidence ranks above one backed by a single strong string match:

* the subject of a standard's title resembles the product's name or an alias (rapidfuzz, accents folded);
* the search engine finds the standard for the product's name, its aliases, the head of its name
  (Vietnamese noun phrases put the generic word first: ``Mỳ gạo`` Chũ Xuân Trường) or its description;
* a curated category rule (``Thực phẩm`` → ``QCVN 8-1:2011/BYT``);
* what curators approved for products with a similar name, and for most products of the same category.

Scorer choice (measured in tests/test_matching.py::test_scorer_choice_is_measured, MRR of the right title
among all demo standards for the title-evident products of the suggestion set, ties ranked last): the mean
of ``token_set_ratio`` and ``token_sort_ratio`` on the *subject* of a title (the part before `` - ``, without
"Quy chuẩn kỹ thuật quốc gia về"), words folded. Measured: mean 0.76, token_sort 0.71, WRatio 0.52,
token_set 0.50. ``WRatio`` gives 90 to any title that merely contains a short query word (``mam`` ~
``nuoc mam`` ~ ``mam tom``) and ``token_set_ratio`` 100 to every title contained in the name, so both tie
unrelated standards; ``token_sort_ratio`` alone punishes the brand and place words of OCOP names.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process
from sqlmodel import Session, select

from kb import search
from kb.core import KnowledgeBase
from kb.mappings import upsert_mapping
from kb.models import (
    CategoryRule,
    Mapping,
    MappingSource,
    MappingStatus,
    MappingType,
    Product,
    Standard,
    StandardStatus,
    pk,
)
from kb.products import find_product
from kb.standards import get_standard
from kb.text import clean, fold, tokens

#: Signal weights (the most a single signal can contribute).
W_OWN_APPROVED = 0.95
W_RULE = 0.7  # generic ("every food ..."): below a title that names the product
W_SIMILAR_PRODUCT = 0.85
W_CATEGORY_PEERS = 0.8
W_TITLE = 0.85
W_SEARCH = 0.6
#: Below these, a similarity is not evidence.
MIN_TITLE_SIM = 60.0
MIN_PRODUCT_SIM = 60.0
MIN_SCORE = 0.2
MIN_INFER_SIM = 60.0  # a product without a category borrows the category of a product this similar
MIN_PEERS = 3
_OWN = "đã được duyệt cho sản phẩm này"  # fewer approved products in a category say little about it


def fold_words(text: str | None) -> str:
    """The processor for rapidfuzz: folded words only (rapidfuzz's default keeps accents)."""
    return " ".join(tokens(text, folded=True))


def title_subject(title: str | None) -> str:
    """What a standard is about: ``Bê tông - Phương pháp xác định ...`` → ``Bê tông``;
    ``Quy chuẩn kỹ thuật quốc gia đối với nước khoáng ...`` → ``nước khoáng ...``."""
    t = clean(title)
    t = re.sub(r"(?i)^quy chuẩn kỹ thuật (quốc gia|địa phương)( về| đối với)?( các)?\s*", "", t)
    head = re.split(r"\s+[-–—]\s+", t, maxsplit=1)[0]
    return head or t


_STD_COLUMNS = (Standard.id, Standard.code, Standard.title_vi, Standard.title_en, Standard.status,
                Standard.mandatory, Standard.doc_type)


@lru_cache(maxsize=100_000)
def _subject_words(title: str | None) -> str:
    return fold_words(title_subject(title))


def _scorer(a: str, b: str) -> float:
    # containment (set) and likeness of the whole (sort): each breaks the other's ties
    return (fuzz.token_set_ratio(a, b, processor=fold_words) + fuzz.token_sort_ratio(a, b, processor=fold_words)) / 2


#: the scorer in use; tests compare it with the alternatives
SCORER: Callable[[str, str], float] = _scorer


@dataclass
class _Evidence:
    standard: Any  # a row of _STD_COLUMNS
    parts: list[tuple[float, str]] = field(default_factory=list)  # (weighted signal, reason)
    types: Counter = field(default_factory=Counter)

    def add(self, value: float, reason: str, mtype: str | None = None) -> None:
        if value > 0:
            self.parts.append((min(value, 0.99), reason))
        if mtype:
            self.types[mtype] += 1

    @property
    def score(self) -> float:
        miss = 1.0
        for v, _ in self.parts:
            miss *= 1.0 - v
        s = 1.0 - miss
        if self.standard.status in (StandardStatus.replaced, StandardStatus.withdrawn):
            s *= 0.5  # suggest the edition in force
        return round(s, 3)

    @property
    def reasons(self) -> list[str]:
        seen: dict[str, None] = {}
        for _, r in sorted(self.parts, key=lambda p: -p[0]):
            seen.setdefault(r, None)
        return list(seen)


def _guess_type(std: Any) -> str:
    t = fold(std.title_vi)
    if "ghi nhan" in t:
        return MappingType.labelling.value
    if "bao bi" in t or "bao goi" in t:
        return MappingType.packaging.value
    if std.mandatory or (std.doc_type or "").startswith("QC"):
        return MappingType.mandatory.value
    if "phuong phap" in t or "xac dinh" in t or "dinh luong" in t:
        return MappingType.test_method.value
    return MappingType.voluntary.value


def _category_keys(category: str | None) -> set[str]:
    """``Thực phẩm/Trái cây`` → {``thuc pham/trai cay``, ``thuc pham``, ``trai cay``}."""
    c = fold(category)
    if not c:
        return set()
    parts = {p.strip() for p in re.split(r"[/,;|]", c) if p.strip()}
    return {c, *parts}


def _product_json(p: Product) -> dict[str, Any]:
    return {
        "id": p.id, "name": p.name, "aliases": list(p.aliases or []), "category": p.category,
        "kind": p.kind.value if hasattr(p.kind, "value") else p.kind, "producer": p.producer,
        "district": p.district, "description": p.description,
    }


def _head_phrases(name: str) -> list[tuple[str, float]]:
    """The name and its shorter heads, each with the weight of what it still says."""
    words = clean(name).split()
    out = [(clean(name), 1.0)]
    for k in range(len(words) - 1, 1, -1):
        out.append((" ".join(words[:k]), 0.5 + 0.5 * k / len(words)))
    return out


def _search_signal(kbase: KnowledgeBase, p: Product, ev: Callable[[int], _Evidence | None]) -> None:
    queries: list[tuple[str, float, str]] = []
    for q, w in _head_phrases(p.name):
        queries.append((q, w, "tên"))
    for a in p.aliases or []:
        queries.append((a, 0.9, "tên khác"))
    if p.description:  # its first clause only: descriptions wander
        first = re.split(r"[.;:,()]", clean(p.description))[0]
        queries.append((" ".join(first.split()[:8]), 0.3, "mô tả"))
    seen_queries: set[str] = set()
    for q, w, label in queries:
        if fold(q) in seen_queries or not fold(q):
            continue
        seen_queries.add(fold(q))
        res = search.search(kbase, q, kind="standard", limit=8)
        # answers, then partial matches (search keeps them apart since issue 11): a lead for a curator
        found = (res.hits + res.near)[:8]
        if not found:
            continue
        top = found[0].score or 1.0
        for rank, h in enumerate(found):
            e = ev(h.id)
            if e is not None:
                rel = (h.score / top) * (1.0 if rank < 3 else 0.8)
                e.add(W_SEARCH * w * rel, f"tìm theo {label} '{q}' thấy tiêu chuẩn này")


def suggest(kbase: KnowledgeBase, product_ref: int | str, *, limit: int = 10, store: bool = True, actor: str = "auto") -> dict:
    """Suggested standards for a product, best first: ``{"product": {...}, "suggestions": [...]}``.

    Raises NotFound for an unknown product. With ``store``, writes the suggestions as Mapping rows with
    status ``suggested`` (source ``auto``) for the curator queue; approved and rejected decisions are never
    touched, and a rejected standard is never suggested again for that product.
    """
    limit = max(1, min(int(limit or 10), 100))
    with kbase.session() as session:
        product = find_product(session, product_ref)
        evidence, rejected = _collect(kbase, session, product)
        own_approved = {sid for sid, e in evidence.items() if any(r == _OWN for _, r in e.parts)}
        ranked = sorted(
            (e for sid, e in evidence.items()
             if sid not in rejected and e.parts
             # an edition no longer in force is only shown when a curator mapped it to this product
             and (sid in own_approved or e.standard.status not in (StandardStatus.replaced, StandardStatus.withdrawn))),
            key=lambda e: (-e.score, e.standard.code),
        )
        ranked = [e for e in ranked if e.score >= MIN_SCORE][:limit]
        suggestions = []
        for e in ranked:
            mtype = e.types.most_common(1)[0][0] if e.types else _guess_type(e.standard)
            suggestions.append({
                "code": e.standard.code, "title": e.standard.title_vi or e.standard.title_en or "",
                "score": e.score, "reasons": e.reasons[:5], "type": mtype,
                "standard_id": e.standard.id, "status": e.standard.status.value,
            })
        if store:
            _store(session, product, suggestions, actor)
        return {"product": _product_json(product), "suggestions": suggestions}


def _collect(kbase: KnowledgeBase, session: Session, product: Product) -> tuple[dict[int, _Evidence], set[int]]:
    # Only the columns needed: loading 20,000 full Standard objects would dominate the time.
    rows: Sequence[Any] = session.exec(select(*_STD_COLUMNS)).all()  # type: ignore[call-overload]
    standards: dict[int, Any] = {r.id: r for r in rows}
    evidence: dict[int, _Evidence] = {}

    def ev(sid: int) -> _Evidence | None:
        if sid not in standards:
            return None
        if sid not in evidence:
            evidence[sid] = _Evidence(standards[sid])
        return evidence[sid]

    mappings = session.exec(select(Mapping)).all()
    rejected = {m.standard_id for m in mappings if m.product_id == product.id and m.status == MappingStatus.rejected}

    # 1. this product's own approved mappings (shown, never re-stored)
    for m in mappings:
        if m.product_id == product.id and m.status == MappingStatus.approved and (e := ev(m.standard_id)):
            e.add(W_OWN_APPROVED, _OWN, m.type.value)

    # 2. title subject ~ name / aliases (both rapidfuzz scorers run in C over every title, then combine)
    names = [product.name, *(product.aliases or [])]
    subjects = {sid: _subject_words(s.title_vi) for sid, s in standards.items()}
    subjects = {sid: w for sid, w in subjects.items() if w}
    best: dict[int, tuple[float, str]] = {}
    for n in names:
        q = fold_words(n)
        if not q:
            continue
        # the mean of two scores reaches MIN_TITLE_SIM only if one of them is at least that high
        pre = {sid for _, _, sid in process.extract(q, subjects, scorer=fuzz.token_set_ratio, processor=None,
                                                    score_cutoff=MIN_TITLE_SIM, limit=None)}
        pre |= {sid for _, _, sid in process.extract(q, subjects, scorer=fuzz.token_sort_ratio, processor=None,
                                                     score_cutoff=MIN_TITLE_SIM, limit=None)}
        for sid in pre:
            sim = (fuzz.token_set_ratio(q, subjects[sid]) + fuzz.token_sort_ratio(q, subjects[sid])) / 2
            if sim > best.get(sid, (0.0, ""))[0]:
                best[sid] = (sim, n)
    for sid, (sim, n) in best.items():
        if sim >= MIN_TITLE_SIM and (e := ev(sid)):
            e.add(W_TITLE * (sim - 50.0) / 50.0,
                        f"tên tiêu chuẩn khớp '{title_subject(standards[sid].title_vi)}' ({n}, {sim:.0f}%)")

    # 3. the search engine (scope, full text, typos, English) for the name, its heads, aliases, description
    _search_signal(kbase, product, ev)

    # similarity of this product to every other one (names and aliases), used by 4 and 5
    products = {pk(p): p for p in session.exec(select(Product)).all()}
    similar: dict[int, tuple[float, str]] = {}
    for pid, other in products.items():
        if pid != product.id:
            similar[pid] = max((SCORER(n, o), o) for n in names for o in [other.name, *(other.aliases or [])])
    category = clean(product.category)
    if not category:  # no category given: borrow the one of the most similar product that has one
        guess = max(((sim, products[pid].category) for pid, (sim, _) in similar.items() if products[pid].category),
                    default=(0.0, None))
        if guess[0] >= MIN_INFER_SIM:
            category = clean(guess[1])

    # 4. curated category rules
    keys = _category_keys(category) | _category_keys(product.ocop_group)
    if keys:
        for rule in session.exec(select(CategoryRule)).all():
            if fold(rule.category) in keys:
                std = get_standard(session, rule.standard_code)
                if std is not None and (e := ev(pk(std))):
                    e.add(W_RULE, f"quy tắc: {clean(rule.category)} → {std.code}", rule.type.value)

    # 5. what curators approved for similar products, and for most products of the same category
    approved: dict[int, list[Mapping]] = defaultdict(list)
    for m in mappings:
        if m.status == MappingStatus.approved and m.product_id != product.id:
            approved[m.product_id].append(m)
    for pid, ms in approved.items():
        peer = products.get(pid)
        if peer is None:
            continue
        sim, via = similar[pid]
        if sim >= MIN_PRODUCT_SIM:
            like = peer.name if via == peer.name else f"{peer.name} ({via})"
            for m in ms:
                if e := ev(m.standard_id):
                    e.add(W_SIMILAR_PRODUCT * sim / 100, f"đã duyệt cho sản phẩm tương tự '{like}'", m.type.value)
    # Peers of the same category vote for what was approved for them, a peer with a similar name
    # counting more (k-nearest-neighbours): "Chè xanh" follows other teas more than the wines beside it.
    own_keys = _category_keys(category)
    if own_keys:
        peers = {pid: 0.1 + (max(0.0, similar[pid][0] - 40.0) / 60.0) ** 2
                 for pid, p in products.items()
                 if pid != product.id and approved.get(pid) and _category_keys(p.category) & own_keys}
        if len(peers) >= MIN_PEERS:
            total = sum(peers.values())
            votes: dict[int, float] = defaultdict(float)
            count: Counter = Counter()
            mtypes: dict[int, Counter] = defaultdict(Counter)
            for pid, w in peers.items():
                for sid in {m.standard_id for m in approved[pid]}:
                    votes[sid] += w
                    count[sid] += 1
                for m in approved[pid]:
                    mtypes[m.standard_id][m.type.value] += 1
            for sid, v in votes.items():
                frac = v / total
                if frac >= 0.5 and (e := ev(sid)):
                    e.add(W_CATEGORY_PEERS * frac,
                          f"đã duyệt cho {count[sid]}/{len(peers)} sản phẩm cùng nhóm '{category}'",
                          mtypes[sid].most_common(1)[0][0])
    return evidence, rejected


def _store(session: Session, product: Product, suggestions: list[dict], actor: str) -> None:
    existing: dict[int, list[Mapping]] = defaultdict(list)
    for m in session.exec(select(Mapping).where(Mapping.product_id == product.id)).all():
        existing[m.standard_id].append(m)
    for s in suggestions:
        rows = existing.get(s["standard_id"], [])
        if any(m.status != MappingStatus.suggested for m in rows):
            continue  # a curator decided: never overwrite approved or rejected
        mtype = rows[0].type.value if rows else s["type"]
        std = session.get(Standard, s["standard_id"])
        if std is None:
            continue  # deleted since it was suggested
        upsert_mapping(session, product, std, mtype, None, None,
                       MappingStatus.suggested, MappingSource.auto, actor, score=s["score"], reasons=s["reasons"])
