"""Product → standard suggestions, each with human-readable reasons, for the curator queue.

Evidence is combined as independent signals (a "noisy or": 1 − Π(1 − wᵢ·sᵢ)), so a standard backed by
several kinds of evidence ranks above one backed by a single strong string match:

* the subject of a standard's title resembles the product's name or an alias (rapidfuzz, accents folded);
* the search engine finds the standard for the product's name, its aliases, the head of its name
  (Vietnamese noun phrases put the generic word first: ``Mỳ gạo`` Chũ Xuân Trường) or its description;
* a curated category rule (``Thực phẩm`` → ``QCVN 8-1:2011/BYT``);
* what curators approved for products with a similar name, and for most products of the same category.

Precision (issue 11). Fuzzy likeness of letters is not likeness of products (``Tương Bần`` ~ ``Bê tông``
75 %), so a title or another product counts only when it shares the product's head word (Vietnamese noun
phrases put it first: ``Ống cống`` bê tông cốt thép is a pipe, not ``Thép cốt bê tông``), accents kept
(``thê`` is not ``thẻ``); a title sharing two other words (the material, the process) counts half. A
standard the search finds only by words of its body counts a third, once however many heads of the name
find it, so alone it stays under ``MIN_SCORE``. A regulation (a QC… designation or ``mandatory``) is suggested as
mandatory only with evidence that its scope covers the product: its title or scope names the product, a
curated category rule, curators' approvals for this or a similar product, or for most of the product's
category when the regulation's title names that category. A regulation whose title names only the
product's category (``vật liệu xây dựng``) is suggested as ``other`` with a reason saying what to check;
any other regulation is dropped.

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
from sqlmodel import Session, col, select

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
W_SCOPE = 0.85  # a regulation's title or scope names the product
W_CATEGORY_NAMED = 0.45  # a regulation's title names only the product's category: worth checking
BODY_ONLY = 1 / 3  # a search hit on body words only
HALF_TITLE = 0.5  # a title sharing words with the product but not its head word
#: Mapping types the product page files under "Quy chuẩn bắt buộc".
MANDATORY_TYPES = frozenset({MappingType.mandatory.value, MappingType.hygiene.value})
#: Below these, a similarity is not evidence.
MIN_TITLE_SIM = 60.0
MIN_PRODUCT_SIM = 60.0
MIN_SCORE = 0.3  # above a search hit on body words alone (W_SEARCH × BODY_ONLY)
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
    t = re.sub(r"(?i)^quy chuẩn (kỹ thuật (quốc gia|địa phương)|xây dựng việt nam)( về| đối với)?( các)?\s*", "", t)
    head = t
    for m in re.finditer(r"(\s*)[-–—](\s*)", t):
        nxt = t[m.end():m.end() + 1]
        # `` - `` separates; so does a dash glued to a capital (``Đường ray- Các``), not ``gió-gió``
        if (m.group(1) and m.group(2)) or nxt.isupper():
            head = t[:m.start()]
            break
    return head or t


def regulation_coverage(title: str | None) -> list[str]:
    """What a regulation's title says it covers, as alternatives: ``… giới hạn ô nhiễm kim loại nặng trong
    thực phẩm`` → [``thực phẩm``]; ``… về sản phẩm, hàng hóa vật liệu xây dựng`` → [``vật liệu xây dựng``];
    ``… nước khoáng thiên nhiên và nước uống đóng chai`` → both."""
    s = re.split(r"\s+trong\s+", title_subject(title))[-1]  # limits "in food": the object follows
    s = re.sub(r"(?i)^(các\s+)?(sản phẩm|hàng hóa|hàng hoá)(\s*,\s*(sản phẩm|hàng hóa|hàng hoá))?\s+", "", s)
    return [a for a in (x.strip() for x in re.split(r"\s*[,;]\s*|\s+và\s+", s)) if a]


@lru_cache(maxsize=100_000)
def _words(text: str | None) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """A text's words as written and folded, and whether it carries marks (or đ) at all."""
    written, folded = tuple(tokens(text)), tuple(tokens(text, folded=True))
    return written, folded, written != folded


def _comparable(a: str | None, b: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Both texts' words in a form that compares: accents count (``phu`` in Bánh phu thê is not ``phụ``,
    ``thê`` is not ``thẻ``) unless one side was typed without them (``nuoc mam`` is ``nước mắm``)."""
    aw, af, am = _words(a)
    bw, bf, bm = _words(b)
    return (aw, bw) if am and bm else (af, bf)


def _has_words(needle: str | None, hay: str | None) -> bool:
    """Every word of ``needle`` is in ``hay``."""
    nw, hw = _comparable(needle, hay)
    return bool(nw) and set(nw) <= set(hw)


def _has_phrase(needle: str | None, hay: str | None) -> bool:
    nw, hw = _comparable(needle, hay)
    n = len(nw)
    return n > 0 and any(hw[i:i + n] == nw for i in range(len(hw) - n + 1))


def _title_weight(name: str, subject: str) -> float:
    """1 when the title's subject opens with the name's head word (``Ống`` cống … ~ ``Ống`` bê tông …);
    ½ when the head word is elsewhere in it or two words are shared (the material, the process); else 0
    (letters alike: ``Tương Bần`` ~ ``Bê tông``)."""
    nw, sw = _comparable(name, subject)
    if not nw or not sw:
        return 0.0
    if nw[0] == sw[0]:
        return 1.0
    return HALF_TITLE if nw[0] in sw or len(set(nw) & set(sw)) >= 2 else 0.0


def _alike(a: str, b: str) -> bool:
    """Two product names can be alike only if they share the head word or one contains the other
    (``Ống thép mạ kẽm nhúng nóng`` ⊇ ``Thép mạ kẽm nhúng nóng``)."""
    aw, bw = _comparable(a, b)
    return bool(aw and bw) and (aw[0] == bw[0] or set(aw) <= set(bw) or set(bw) <= set(aw))


def _similarity(a: str, b: str) -> float:
    """Likeness of two product names; 0 unless they are alike in words (40 counts for nothing anyway)."""
    sim = SCORER(a, b)
    return sim if sim > 40.0 and _alike(a, b) else 0.0


def is_regulation(std: Any) -> bool:
    return bool(std.mandatory) or (std.doc_type or "").upper().startswith("QC")


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
    scope: list[str] = field(default_factory=list)  # why a regulation covers this product
    category_named: str | None = None  # a regulation's title names the product's category only

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
    body: dict[int, tuple[float, str]] = {}
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
            if e is None:
                continue
            value = W_SEARCH * w * (h.score / top) * (1.0 if rank < 3 else 0.8)
            std = e.standard
            if _has_words(q, f"{std.code} {std.title_vi or ''}") or _has_words(q, f"{std.code} {std.title_en or ''}"):
                e.add(value, f"tìm theo {label} '{q}' thấy tiêu chuẩn này")
            elif value * BODY_ONLY > body.get(h.id, (0.0, ""))[0]:
                body[h.id] = (value * BODY_ONLY, f"tìm theo {label} '{q}' chỉ thấy trong nội dung")
    # Words met only in a body are one weak signal, however many heads of the name meet them.
    for sid, (value, reason) in body.items():
        if e := ev(sid):
            e.add(value, reason)


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
             # a regulation with nothing saying it covers the product is not suggested at all
             and (e.scope or e.category_named or not is_regulation(e.standard))
             # an edition no longer in force is only shown when a curator mapped it to this product
             and (sid in own_approved or e.standard.status not in (StandardStatus.replaced, StandardStatus.withdrawn))),
            key=lambda e: (-e.score, e.standard.code),
        )
        ranked = [e for e in ranked if e.score >= MIN_SCORE][:limit]
        suggestions = []
        for e in ranked:
            mtype = e.types.most_common(1)[0][0] if e.types else _guess_type(e.standard)
            reasons = e.reasons
            if is_regulation(e.standard) and not e.scope:
                # named for the category only: worth a look, not a claim that it binds this product
                mtype = MappingType.other.value
                reasons = [f"quy chuẩn cho '{e.category_named}', nhóm của sản phẩm: chưa rõ sản phẩm có thuộc "
                           "phạm vi không, cần kiểm tra trước khi coi là bắt buộc",
                           *(r for r in reasons if not r.startswith("quy chuẩn cho '"))]
            suggestions.append({
                "code": e.standard.code, "title": e.standard.title_vi or e.standard.title_en or "",
                "score": e.score, "reasons": reasons[:5], "type": mtype,
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
            e.scope.append(_OWN)

    # 2. title subject ~ name / aliases (both rapidfuzz scorers run in C over every title, then combine)
    names = [product.name, *(product.aliases or [])]
    subjects = {sid: _subject_words(s.title_vi) for sid, s in standards.items()}
    subjects = {sid: w for sid, w in subjects.items() if w}
    best: dict[int, tuple[float, float, str]] = {}  # (head weight, similarity, name)
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
            weight = _title_weight(n, title_subject(standards[sid].title_vi)) if sim >= MIN_TITLE_SIM else 0.0
            if weight * sim > best.get(sid, (0.0, 0.0, ""))[0] * best.get(sid, (0.0, 0.0, ""))[1]:
                best[sid] = (weight, sim, n)
    for sid, (weight, sim, n) in best.items():
        if weight and (e := ev(sid)):
            e.add(W_TITLE * weight * (sim - 50.0) / 50.0,
                  f"tên tiêu chuẩn khớp '{title_subject(standards[sid].title_vi)}' ({n}, {sim:.0f}%)")

    # 3. the search engine (scope, full text, typos, English) for the name, its heads, aliases, description
    _search_signal(kbase, product, ev)

    # similarity of this product to every other one (names and aliases), used by 4 and 5
    products = {pk(p): p for p in session.exec(select(Product)).all()}
    similar: dict[int, tuple[float, str]] = {}
    for pid, other in products.items():
        if pid != product.id:
            # letters alike are not products alike: the head words must agree (Tương Bần ≁ Bê tông)
            similar[pid] = max((_similarity(n, o), o) for n in names for o in [other.name, *(other.aliases or [])])
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
                    e.scope.append(f"quy tắc: {clean(rule.category)} → {std.code}")

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
                    e.scope.append(f"đã duyệt cho sản phẩm tương tự '{like}'")
    # 6. what the regulations say they cover: the product (scope), or only its category (check it)
    _regulation_scope(session, product, category, names, standards, ev)

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
                    why = f"đã duyệt cho {count[sid]}/{len(peers)} sản phẩm cùng nhóm '{category}'"
                    e.add(W_CATEGORY_PEERS * frac, why, mtypes[sid].most_common(1)[0][0])
                    if e.category_named:  # a regulation for drinks with alcohol is not for all drinks
                        e.scope.append(why)
    # a title naming only the category is evidence where nothing else says the regulation applies
    for e in evidence.values():
        if e.category_named and not e.scope:
            e.add(W_CATEGORY_NAMED, f"quy chuẩn cho '{e.category_named}', nhóm của sản phẩm")
    return evidence, rejected


def _regulation_scope(session: Session, product: Product, category: str, names: list[str],
                      standards: dict[int, Any], ev: Callable[[int], _Evidence | None]) -> None:
    """Scope evidence from the regulations' own words: the coverage of the title (``… trong thực phẩm``)
    or the scope clause naming the product, or the title naming the product's category."""
    regs = [sid for sid, s in standards.items() if is_regulation(s)]
    if not regs:
        return
    scopes = dict(session.exec(select(Standard.id, Standard.scope).where(col(Standard.id).in_(regs))).all())
    category_words = f"{category or ''} {product.ocop_group or ''}"
    for sid in regs:
        std = standards[sid]
        coverage = regulation_coverage(std.title_vi)
        hit = next((alt for alt in coverage for n in names if _has_words(alt, n)), None)
        if hit is None:  # the product's head phrase (two words) in the coverage or the scope clause
            heads = [" ".join(clean(n).split()[:2]) for n in names if len(clean(n).split()) >= 2]
            hit = next((h for h in heads for hay in [*coverage, scopes.get(sid)] if _has_phrase(h, hay)), None)
        if hit is not None and (e := ev(sid)):
            why = f"phạm vi quy chuẩn nêu '{hit}'"
            e.add(W_SCOPE, why)
            e.scope.append(why)
            continue
        cat = next((alt for alt in coverage if _has_words(alt, category_words)), None)
        if cat is not None and (e := ev(sid)):
            e.category_named = cat


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
