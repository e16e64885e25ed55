"""A product's HS codes and the nomenclature they come from.

``ProductHsCode`` rows are the one place a product's codes live: stated ones (an import's ``hs_code`` column,
a curator) are ``approved``; the ones :func:`suggest` finds in the nomenclature are ``suggested`` with their
score and reasons until a curator approves or rejects them. Everything that needs a product's codes (group
rules, search, the risk lists) reads :func:`approved_codes`.

Suggestion (:func:`rank`): each of the product's names is read as syllables with their accents (folding
would make the lychee ``vải`` the word ``vai``) and syllable pairs; the 8-digit lines holding those words are
the candidates, each line read with its heading and subheading (most lines alone say only "Loại khác").
A candidate's score blends the rarity-weighted share of the product's words it holds (later and capitalised
syllables, a place or a brand, count less) with a rapidfuzz scorer on the line's own label.

Scorer measured on a hand-labelled set (tests/kb/relevance/hs_labels*.csv, 78 products → heading; a third
held back, written before any scorer ran). Right heading first / among the five suggestions:

======================================  ==============  ==============
scorer                                  tuning (52)     held back (26)
======================================  ==============  ==============
rapidfuzz alone on the whole line text:
  token_set_ratio                       9 / 16          6 / 15
  partial_ratio                         8 / 11          7 / 12
  WRatio                                5 / 12          0 / 10
word share alone (no scorer)            17 / 33         9 / 15
word share + token_set_ratio (0.5)      19 / 33         13 / 17
word share + partial_ratio (0.5)        18 / 35         14 / 18
word share + token_sort_ratio (0.5)     18 / 35         10 / 17
word share + WRatio (0.5)               19 / 33         12 / 16
word share + ratio (0.5), in use        24 / 36         11 / 17
======================================  ==============  ==============

``ratio`` was chosen on the tuning part; on the held-back part ``partial_ratio`` did 3 better at top 1, within
what 26 products can tell apart. A suggestion is a curator's starting point, never a ruling.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from kb import audit
from kb.errors import BadInput, NotFound
from kb.hs import dotted, normalize_hs
from kb.models import HsLine, MappingStatus, Product, ProductHsCode, pk, utcnow
from kb.text import clean, tokens

#: Suggestions kept per product (one per heading, so a curator sees different readings, not five "loại khác").
SUGGESTIONS = 5
#: Below this a line shares too little with the product to be worth a curator's time.
MIN_SCORE = 30.0


def parse_codes(value: str | Iterable[str] | None, field: str = "hs_code") -> list[str]:
    """``8516.60.10; 851660, 8516`` → ``["85166010", "851660", "8516"]`` (each code checked, duplicates dropped)."""
    if value is None:
        return []
    items = re.split(r"[;,\n]", value) if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        if clean(str(item)):
            code = normalize_hs(item, field)
            if code not in out:
                out.append(code)
    return out


# --- reading ----------------------------------------------------------------------------------------


def approved_codes(session: Session, product_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    """Product id → its approved codes, in the order they were added (all products when ``product_ids`` is None)."""
    stmt = select(ProductHsCode.product_id, ProductHsCode.code).where(
        ProductHsCode.status == MappingStatus.approved).order_by(col(ProductHsCode.id))
    if product_ids is not None:
        ids = list(product_ids)
        if not ids:
            return {}
        stmt = stmt.where(col(ProductHsCode.product_id).in_(ids))
    out: dict[int, list[str]] = {}
    for pid, code in session.exec(stmt).all():
        out.setdefault(pid, []).append(code)
    return out


def product_codes(session: Session, product_id: int) -> list[str]:
    """A product's approved codes (digits)."""
    return approved_codes(session, [product_id]).get(product_id, [])


def descriptions(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Code → the nomenclature's Vietnamese description (English when it has none); codes it lacks are absent."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return {}
    rows = session.exec(select(HsLine.code, HsLine.description_vi, HsLine.description_en)
                        .where(col(HsLine.code).in_(wanted))).all()
    return {c: _label(vi or en or "") for c, vi, en in rows}


def code_rows(session: Session, product_id: int) -> list[dict[str, Any]]:
    """Every HS code row of a product for the curator's page: approved first, then suggested (best first),
    then rejected; each with its dotted form and the nomenclature's description."""
    rows = list(session.exec(select(ProductHsCode).where(ProductHsCode.product_id == product_id)).all())
    order = {MappingStatus.approved: 0, MappingStatus.suggested: 1, MappingStatus.rejected: 2}
    rows.sort(key=lambda r: (order[r.status], -(r.score or 0), pk(r)))
    desc = descriptions(session, [r.code for r in rows])
    return [{"code": r.code, "dotted": dotted(r.code), "status": r.status.value, "source": r.source,
             "score": r.score, "reasons": r.reasons or [], "decided_by": r.decided_by,
             "description": desc.get(r.code)} for r in rows]


# --- writing ------------------------------------------------------------------------------------------


def _summary(product: Product, verb: str, code: str) -> str:
    return f"{verb} mã HS {dotted(code)} của sản phẩm {product.name}"


def _row(session: Session, product_id: int, code: str) -> ProductHsCode | None:
    return session.exec(select(ProductHsCode).where(ProductHsCode.product_id == product_id,
                                                    ProductHsCode.code == code)).first()


def add_codes(session: Session, product: Product, codes: Sequence[str], actor: str, source: str = "curator") -> int:
    """State ``codes`` (digits) for ``product``: each becomes approved (a suggestion or a rejection of the
    same code is overturned). Returns how many rows changed; codes already approved change nothing."""
    changed = 0
    for code in codes:
        row = _row(session, pk(product), code)
        if row is not None and row.status == MappingStatus.approved:
            continue
        before = audit.snapshot(row) if row is not None else None
        if row is None:
            row = ProductHsCode(product_id=pk(product), code=code, source=source, status=MappingStatus.approved,
                                decided_by=actor)
            session.add(row)
        else:
            row.status, row.source, row.decided_by, row.updated_at = MappingStatus.approved, source, actor, utcnow()
        session.flush()
        audit.record(session, actor=actor, action="create" if before is None else "approve", entity="producthscode",
                     entity_id=row.id, before=before, after=audit.snapshot(row),
                     summary=_summary(product, "Thêm", code))
        changed += 1
    return changed


def decide(session: Session, product: Product, code: str, status: MappingStatus, actor: str) -> ProductHsCode:
    """A curator's approval or rejection of one of the product's codes (a suggestion, or a stated code taken
    back as rejected, which a later suggestion run then leaves alone)."""
    code = normalize_hs(code, "mã HS")
    row = _row(session, pk(product), code)
    if row is None:
        raise NotFound(f"Sản phẩm {product.name} không có mã HS {dotted(code)}")
    if status not in (MappingStatus.approved, MappingStatus.rejected):
        raise BadInput("chỉ có thể duyệt (approved) hoặc loại (rejected) một mã HS")
    if row.status == status:
        return row
    before = audit.snapshot(row)
    row.status, row.decided_by, row.updated_at = status, actor, utcnow()
    session.flush()
    verb = "Duyệt" if status == MappingStatus.approved else "Loại"
    audit.record(session, actor=actor, action="approve" if status == MappingStatus.approved else "reject",
                 entity="producthscode", entity_id=row.id, before=before, after=audit.snapshot(row),
                 summary=_summary(product, verb, code))
    return row


def remove_code(session: Session, product: Product, code: str, actor: str) -> None:
    """Delete one of the product's codes (a stated code entered by mistake)."""
    code = normalize_hs(code, "mã HS")
    row = _row(session, pk(product), code)
    if row is None:
        raise NotFound(f"Sản phẩm {product.name} không có mã HS {dotted(code)}")
    before = audit.snapshot(row)
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor, action="delete", entity="producthscode", entity_id=before["id"],
                 before=before, summary=_summary(product, "Xóa", code))


# --- the nomenclature ------------------------------------------------------------------------------


@dataclass
class NomenclatureRow:
    line: int
    code: str
    level: int | None
    description_vi: str | None
    description_en: str | None
    controls: list[str] | None  # None: the file has no controls column, keep what is stored


def import_lines(session: Session, rows: Iterable[NomenclatureRow], actor: str, source: str) -> dict[str, int]:
    """Upsert nomenclature lines by code in bulk; one audit event for the whole import when anything changed.
    Controls are kept when the file has no such column (HS_PBI_VN after Specialised_procedures)."""
    existing = {h.code: h for h in session.exec(select(HsLine)).all()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    seen: set[str] = set()
    for r in rows:
        if r.code in seen:
            continue  # the files repeat a few lines; the first one counts
        seen.add(r.code)
        values: dict[str, Any] = {"level": r.level, "description_vi": r.description_vi or None,
                                  "description_en": r.description_en or None}
        if r.controls is not None:
            values["controls_before_2026"] = r.controls
        line = existing.get(r.code)
        if line is None:
            session.add(HsLine(code=r.code, **values))
            counts["created"] += 1
        elif any(getattr(line, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(line, k, v)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    session.flush()
    if counts["created"] or counts["updated"]:
        audit.record(session, actor=actor, action="import", entity="hsline", entity_id=None,
                     after={"source": source, **counts},
                     summary=f"Nhập danh mục HS từ {source}: {counts['created']} dòng mới, "
                             f"{counts['updated']} dòng cập nhật")
    return counts


def split_controls(text: str | None) -> list[str]:
    """``Hàng hóa nhóm 2 (2711/QĐ-BKHCN 2022)HH KTCN … (…)`` → one control per ``label (basis)``, duplicates
    dropped (the file runs some together and repeats others)."""
    text = clean(text)
    if not text:
        return []
    parts = re.findall(r"[^()]+\([^()]*\)", text) or [text]
    out: list[str] = []
    for p in (clean(x).strip(" ;,") for x in parts):
        if p and p not in out:
            out.append(p)
    return out


# --- suggestion ------------------------------------------------------------------------------------


def _label(text: str) -> str:
    """``- - Loại khác`` → ``Loại khác``: the nomenclature's indentation dashes are not words."""
    return clean(re.sub(r"^[\s\-–:]+", "", text or ""))


# Old and new spelling write a syllable-final i after a consonant as y or i (mỳ/mì, lý/lí), tone kept.
_Y_FINAL = re.compile(r"^([bcdghklmnpqrstvxđ]+)([yýỳỷỹỵ])$")
_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


def _short(text: str, limit: int = 120) -> str:
    """A heading as a reason: headings run to several hundred characters; the first words say which it is."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _syllables(text: str | None) -> list[str]:
    """Lower-case syllables with their accents (folding would make the lychee ``vải`` and ``vai`` one word)."""
    return [_Y_FINAL.sub(lambda m: m.group(1) + m.group(2).translate(_Y_TO_I), w) for w in tokens(text)]


def _terms(words: list[str]) -> set[str]:
    """Syllables and adjacent pairs: most Vietnamese words are two syllables (``điện thoại``, ``nước mắm``)."""
    return set(words) | {f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)}


@dataclass
class Line:
    code: str
    own: str  # the line's own label ("Quả vải")
    text: str  # heading, subheading and own label, as one string for the scorer
    heading: str  # the 4-digit heading's label, for the reason
    terms: frozenset[str]


class Nomenclature:
    """The 8-digit lines as the suggestion reads them, built once per run (~1 s for 11,414 lines): each line
    with its heading and subheading, as most lines alone say only "Loại khác"; terms weighted by rarity."""

    def __init__(self, session: Session):
        rows = session.exec(select(HsLine.code, HsLine.description_vi, HsLine.description_en)).all()
        by_code = {c: (_label(vi or ""), _label(en or "")) for c, vi, en in rows}
        self.lines: list[Line] = []
        self.postings: dict[str, list[int]] = {}
        for code in sorted(c for c in by_code if len(c) == 8):
            parents = [by_code.get(code[:n], ("", "")) for n in (4, 6)] + [by_code[code]]
            vi = [p[0] for p in parents if p[0]]
            en = [p[1] for p in parents if p[1]]
            terms = frozenset(t for label in vi + en for t in _terms(_syllables(label)))
            line = Line(code, vi[-1] if vi else (en[-1] if en else ""), " ".join(dict.fromkeys(vi + en)),
                        parents[0][0] or parents[0][1], terms)
            for t in terms:
                self.postings.setdefault(t, []).append(len(self.lines))
            self.lines.append(line)
        n = max(len(self.lines), 1)
        self.idf = {t: math.log(n / len(ids)) for t, ids in self.postings.items()}

    def __len__(self) -> int:
        return len(self.lines)


Scorer = Callable[..., float]
#: the scorer in use (how close the product's words are to a line's own label, once the words that name
#: something in the nomenclature have chosen the candidates); tests/kb/test_hscodes.py measures the others
SCORER: Scorer | None = fuzz.ratio
#: share of the score that the scorer decides; the rest is the rarity-weighted share of the product's
#: known words the line holds
SCORER_WEIGHT = 0.5


#: A product's name leads with what it is and ends with where or whose (``Vải thiều Lục Ngạn``, ``Chum gốm
#: Phù Lãng``): later syllables count less, a capitalised one after the first (a place, a brand) little.
HEAD, TAIL, PROPER = 1.0, 0.6, 0.2


def _weights(text: str, words: list[str]) -> dict[str, float]:
    raw = re.findall(r"\w+", clean(text))
    w = [HEAD if i < 2 else TAIL for i in range(len(words))]
    for i, original in enumerate(raw[:len(words)]):
        if i and original[:1].isupper():
            w[i] *= PROPER
    out: dict[str, float] = {}
    for word, weight in zip(words, w, strict=False):
        out[word] = max(out.get(word, 0.0), weight)
    for i, (a, b) in enumerate(zip(words, words[1:], strict=False)):
        out[f"{a}_{b}"] = min(w[i], w[i + 1])
    return out


def product_text(name: str | None, aliases: Sequence[str] | None = ()) -> list[str]:
    """The names of a product, each read on its own: its name and each alias (NFC, cleaned)."""
    return [clean(t) for t in [name, *(aliases or [])] if clean(t)]


#: A description speaks of much besides what the product is (who recognised it, when): its matches count less.
DESCRIPTION = 0.6


def rank(nom: Nomenclature, texts: Sequence[str], *, description: str | None = None, scorer: Scorer | None = SCORER,
         weight: float = SCORER_WEIGHT, whole: bool = False, limit: int = SUGGESTIONS,
         min_score: float = MIN_SCORE) -> list[dict[str, Any]]:
    """The best line per heading for a product's names (``texts``) and ``description``, best first.

    Each name is read on its own (an alias is another name, not more words of the first), the description
    too, its score discounted (``DESCRIPTION``). The lines holding a text's known words (syllables and
    syllable pairs the nomenclature uses) are the candidates, scored by the rarity-weighted share of those
    words they hold, blended with ``scorer`` on the line's own label.
    ``whole=True`` instead runs ``scorer`` alone over every line's full text (the plain rapidfuzz baseline).
    """
    best: dict[int, tuple[float, list[str]]] = {}
    reads = [(t, 1.0) for t in texts] + ([(clean(description), DESCRIPTION)] if clean(description) else [])
    for text, factor in reads:
        words = _syllables(text)
        folded = " ".join(words)
        if whole and scorer is not None:
            for _, score, i in process.extract(folded, [x.text.lower() for x in nom.lines], scorer=scorer,
                                               processor=None, limit=60):
                if i not in best or score > best[i][0]:
                    best[i] = (float(score), [])
            continue
        weights = _weights(text, words)
        known = {t: w * nom.idf[t] for t, w in weights.items() if t in nom.idf}
        total = sum(known.values())
        if not total:
            continue
        cover: dict[int, float] = {}
        for t, w in known.items():
            for i in nom.postings[t]:
                cover[i] = cover.get(i, 0.0) + w
        for i, c in cover.items():
            line = nom.lines[i]
            share = 100.0 * c / total
            score = share if scorer is None else (1 - weight) * share + weight * scorer(folded, line.own.lower())
            score *= factor
            if i not in best or score > best[i][0]:
                best[i] = (score, [t for t in known if t in line.terms and "_" not in t])
    out: list[dict[str, Any]] = []
    headings: set[str] = set()
    # Ties go to the shorter line: it says less besides what matched.
    for i, (score, shared) in sorted(best.items(), key=lambda kv: (-kv[1][0], len(nom.lines[kv[0]].text), kv[0])):
        if score < min_score:
            break
        line = nom.lines[i]
        if line.code[:4] in headings:
            continue
        headings.add(line.code[:4])
        reasons = [f"trùng từ: {', '.join(shared)}" if shared else "gần giống về chữ",
                   f"dòng {dotted(line.code)}: {line.own}",
                   f"nhóm {dotted(line.code[:4])}" + (f": {_short(line.heading)}" if line.heading else "")]
        out.append({"code": line.code, "dotted": dotted(line.code), "score": round(score, 1), "reasons": reasons})
        if len(out) == limit:
            break
    return out


def suggest(session: Session, product: Product, actor: str = "auto", *, store: bool = True,
            limit: int = SUGGESTIONS) -> list[dict[str, Any]]:
    """Suggest HS codes for ``product`` from the nomenclature and (``store``) keep them as ``suggested`` rows
    for a curator. Codes a curator approved or rejected stay as decided; earlier suggestions get the new
    score and reasons. Raises BadInput when no nomenclature is imported."""
    nom = Nomenclature(session)
    if not len(nom):
        raise BadInput("chưa có danh mục HS; chạy kb import hs-nomenclature HS_PBI_VN.xlsx trước")
    found = rank(nom, product_text(product.name, product.aliases), description=product.description, limit=limit)
    if store:
        for s in found:
            row = _row(session, pk(product), s["code"])
            if row is None:
                row = ProductHsCode(product_id=pk(product), code=s["code"], status=MappingStatus.suggested,
                                    source="auto", score=s["score"], reasons=s["reasons"])
                session.add(row)
                session.flush()
                audit.record(session, actor=actor, action="suggest", entity="producthscode", entity_id=row.id,
                             after=audit.snapshot(row), summary=_summary(product, "Gợi ý", s["code"]))
            elif row.status == MappingStatus.suggested and (row.score, row.reasons) != (s["score"], s["reasons"]):
                row.score, row.reasons, row.updated_at = s["score"], s["reasons"], utcnow()
        session.flush()
    return found
