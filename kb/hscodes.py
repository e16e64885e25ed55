"""A product's HS codes and the nomenclature they come from.

``ProductHsCode`` rows are the one place a product's codes live: stated ones (an import's ``hs_code`` column,
a curator) are ``approved``; the ones :func:`suggest` finds in the nomenclature are ``suggested`` with their
score and reasons until a curator approves or rejects them. Everything that needs a product's codes (group
rules, search, the risk lists) reads :func:`approved_codes`.

Suggestion (:func:`rank`): each of the product's names is read as syllables with their accents (folding
would make the lychee ``vải`` the word ``vai``) and the pairs within a phrase, stop words left out, everyday
words the nomenclature lacks read through a glossary (``hs_words.csv``: ``giò`` → ``xúc xích thịt``). The
8-digit lines holding those words (an inverted index) are the candidates, each read with its heading and
subheading (most lines alone say only "Loại khác"). A candidate's score blends the rarity-weighted share of
the product's words its path holds (the name's kind word more, later and capitalised syllables less; a
syllable the line has only inside another word, ``tương`` in ``tương tự``, little) with rapidfuzz's
``ratio`` on the line's own label; the best line of each heading is kept, five headings at most, each with
its reasons in Vietnamese (the words matched, at which level of the path).

Measured by ``bench/hs_suggest.py`` on hand-labelled products (``tests/kb/relevance/hs_labels*.csv``): tuned
on 52, a held-back 26 never tuned on; the figures and the scorers compared are in README.md.
A suggestion is a curator's starting point, never a ruling.
"""

from __future__ import annotations

import csv
import functools
import itertools
import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func
from sqlmodel import Session, col, select

from kb import audit
from kb.bulk import among
from kb.errors import BadInput, NotFound
from kb.hs import dotted, normalize_hs
from kb.models import AuditEvent, HsLine, MappingStatus, Product, ProductHsCode, pk, utcnow
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
    out: dict[int, list[str]] = {}
    if product_ids is None:
        for pid, code in session.exec(stmt).all():
            out.setdefault(pid, []).append(code)
        return out
    ids = sorted(set(product_ids))
    # A chunk at a time: PostgreSQL takes at most 65,535 parameters (an index build after a 100,000-product
    # import asked for all of them at once); a product's codes all come in its own chunk, in order.
    for i in range(0, len(ids), 5000):
        for pid, code in session.exec(stmt.where(among(ProductHsCode.product_id, ids[i:i + 5000]))).all():
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
    """State ``codes`` (any spelling: ``8516.60.10``) for ``product``: each becomes approved (a suggestion or a
    rejection of the same code is overturned). Returns how many rows changed; codes already approved change
    nothing."""
    changed = 0
    for code in parse_codes(codes):
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


_BREAK = re.compile(r"[,;:()\[\]/.–\-]+")


def _phrases(text: str | None) -> list[list[str]]:
    """The syllables of each stretch between punctuation: no pair spans a comma ("Mì, bún" has no ``mì_bún``)."""
    return [w for w in (_syllables(part) for part in _BREAK.split(text or "")) if w]


#: Words that say how or which, not what ("và", "loại", "khác"; "of", "other"): the nomenclature has them in
#: most lines and a product's name in many ("Cốt liệu cho bê tông và vữa"), so they only blur a match.
#: (No English word that is also a Vietnamese one: "in", "to", "an" stay.)
STOP_WORDS = frozenset(
    "và hoặc của các cho có không đã chưa được bằng từ với trong loại khác dùng để những một là như trừ kể cả "
    "thuộc nhóm chương ví dụ sản phẩm hàng hóa nhưng hay mà này đó chỉ "
    "and or of the for with other whether not including than such as by from their its".split())


def _pairs(words: list[str]) -> list[str]:
    """Adjacent syllables as one term: most Vietnamese words are two syllables (``điện thoại``, ``nước mắm``)."""
    return [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False) if a not in STOP_WORDS and b not in STOP_WORDS]


def _terms(words: list[str]) -> set[str]:
    """Syllables and adjacent pairs, stop words left out."""
    return {w for w in words if w not in STOP_WORDS} | set(_pairs(words))


#: A syllable that lives mostly inside one compound of the nomenclature ("tương" in "tương tự", "nội" in "nội
#: thất") is another word there: where a line has it only inside such a compound it counts this much.
BOUND = 0.2
#: ... "mostly": this share of the syllable's uses in the nomenclature's labels, in at least BOUND_MIN labels
BINDING, BOUND_MIN = 0.8, 3


@dataclass
class Line:
    code: str
    own: str  # the line's own Vietnamese label ("Quả vải"), English where it has none
    path: list[tuple[str, str]]  # (code, label) from the heading down to the line, label-less levels left out
    text: str  # the path's labels, Vietnamese then English, for the whole-text baseline
    heading: str  # the 4-digit heading's label, for the reason
    terms: frozenset[str]
    bound: frozenset[str]  # syllables the line has only inside a compound that makes them another word


def _binding(labels: Iterable[str]) -> dict[str, set[str]]:
    """Syllable → the pairs that hold it in at least BINDING of its uses (``tương`` → ``{tương_tự}``)."""
    single: dict[str, int] = {}
    double: dict[tuple[str, str], int] = {}
    for label in labels:
        phrases = _phrases(label)
        for w in {w for words in phrases for w in words}:
            single[w] = single.get(w, 0) + 1
        for p in {p for words in phrases for p in zip(words, words[1:], strict=False)}:
            double[p] = double.get(p, 0) + 1
    out: dict[str, set[str]] = {}
    for (a, b), n in double.items():
        if n < BOUND_MIN:
            continue
        for w in (a, b):
            if n >= BINDING * single[w]:
                out.setdefault(w, set()).add(f"{a}_{b}")
    return out


def _bound(words: list[str], binding: dict[str, set[str]]) -> tuple[set[str], set[str]]:
    """The syllables of ``words`` (one label) used freely, and those used only inside a pair that binds them."""
    free: set[str] = set()
    held: set[str] = set()
    for i, w in enumerate(words):
        around = {f"{words[i - 1]}_{w}"} if i else set()
        if i + 1 < len(words):
            around.add(f"{w}_{words[i + 1]}")
        (held if binding.get(w, set()) & around else free).add(w)
    return free, held


class Nomenclature:
    """The 8-digit lines as the suggestion reads them, built once per import (:func:`nomenclature`; 11,414
    lines, 2–4 s on a busy 2-core machine): each line with the labels of its heading and subheading, as most
    lines alone say only "Loại khác"; terms weighted by rarity; which syllables each line has only inside a
    compound."""

    def __init__(self, session: Session):
        rows = session.exec(select(HsLine.code, HsLine.description_vi, HsLine.description_en)).all()
        by_code = {c: (_label(vi or ""), _label(en or "")) for c, vi, en in rows}
        binding = _binding(label for pair in by_code.values() for label in pair)
        self.lines: list[Line] = []
        self.postings: dict[str, list[int]] = {}
        #: terms that open a heading's or subheading's label: what the nomenclature sorts goods by
        #: ("bánh", "rượu", "gạch", "thép"), a product's kind where its name has one
        self.kinds: set[str] = set()
        read: dict[str, tuple[set[str], set[str], set[str]]] = {}
        for code in sorted(c for c in by_code if len(c) == 8):
            levels = [(c, by_code[c]) for c in dict.fromkeys((code[:4], code[:6], code)) if c in by_code]
            vi = [(c, v) for c, (v, _) in levels if v]
            en = [e for _, (_, e) in levels if e]
            terms: set[str] = set()
            free: set[str] = set()
            held: set[str] = set()
            for label in [v for _, v in vi] + en:
                if label not in read:  # a heading's label serves hundreds of lines: read it once
                    phrases = _phrases(label)
                    bound = [_bound(w, binding) for w in phrases]
                    read[label] = ({t for w in phrases for t in _terms(w)}, {x for f, _ in bound for x in f},
                                   {x for _, h in bound for x in h})
                label_terms, label_free, label_held = read[label]
                terms |= label_terms
                free |= label_free
                held |= label_held
            own_vi, own_en = by_code[code]
            heading = by_code.get(code[:4], ("", ""))
            line = Line(code, own_vi or own_en, vi, " ".join(dict.fromkeys([v for _, v in vi] + en)),
                        heading[0] or heading[1], frozenset(terms), frozenset(held - free))
            for t in terms:
                self.postings.setdefault(t, []).append(len(self.lines))
            self.lines.append(line)
        for c, (vi_label, en_label) in by_code.items():
            if len(c) < 8:
                for label in (vi_label, en_label):
                    content = [w for w in _syllables(label) if w not in STOP_WORDS]
                    if content:
                        self.kinds.add(content[0])
                        if len(content) > 1:
                            self.kinds.add(f"{content[0]}_{content[1]}")
        n = max(len(self.lines), 1)
        self.idf = {t: math.log(n / len(ids)) for t, ids in self.postings.items()}

    def __len__(self) -> int:
        return len(self.lines)


_built: dict[tuple[Any, ...], Nomenclature] = {}
_built_lock = threading.Lock()


def nomenclature(session: Session) -> Nomenclature:
    """The nomenclature as the suggestion reads it, built once per database and import (seconds to build:
    a curator's "Gợi ý" click must not pay it). An import writes one ``hsline`` audit event when anything
    changed, so the newest such event and the line count say which build is current."""
    version = session.exec(select(func.count(col(HsLine.id)), select(func.max(col(AuditEvent.id)))
                                  .where(AuditEvent.entity == "hsline").scalar_subquery())).one()
    key = (str(session.get_bind().engine.url), *version)
    with _built_lock:  # one build at a time; the others wait for it rather than build their own
        if key not in _built:
            _built.clear()  # the previous import's build (or another database's): keep one
            _built[key] = Nomenclature(session)
        return _built[key]


#: Everyday words the nomenclature does not use, each with the nomenclature's words for the same thing
#: (``giò`` → ``xúc xích thịt``, ``mè`` → ``vừng``): data beside this module, one word a row, with why.
WORDS_FILE = Path(__file__).with_name("hs_words.csv")


@functools.cache
def glossary() -> list[tuple[list[str], str]]:
    """``(syllables of the everyday word, the nomenclature's words)``, longest words first."""
    with open(WORDS_FILE, encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    out = [(_syllables(r["word"]), clean(r["means"])) for r in rows if _syllables(r["word"]) and clean(r["means"])]
    return sorted(out, key=lambda x: -len(x[0]))


#: A product's name leads with what it is and ends with where or whose (``Vải thiều Lục Ngạn``, ``Chum gốm
#: Phù Lãng``): later syllables count less, a capitalised one after the first (a place, a brand) little.
HEAD, TAIL, PROPER = 1.0, 0.6, 0.2
#: A name's first word that opens a heading or subheading of the nomenclature ("bánh", "rượu", "gạch") says
#: what kind of goods it is: it counts this much more than the words around it.
KIND = 1.5
#: An everyday word the glossary explains still counts this much as itself (``giò`` is also a fish).
GLOSSED = 0.3


@dataclass
class Reading:
    """One text of a product as the suggestion reads it."""
    weights: dict[str, float]  # term → how much it says about what the product is
    words: str  # the syllables, with the glossary's words, for the scorer
    glosses: list[str]  # "giò → xúc xích thịt", for the reasons


def _read(text: str, kinds: AbstractSet[str] = frozenset()) -> Reading:
    """A product's text as weighted terms: its syllables and pairs (by position, case and ``kinds``) and the
    glossary's words for any everyday word in it."""
    phrases = _phrases(text)
    words = [w for phrase in phrases for w in phrase]
    ends = set(itertools.accumulate(len(p) for p in phrases))  # a phrase ends before these positions
    raw = re.findall(r"\w+", clean(text))
    pos = [HEAD if i < 2 else TAIL for i in range(len(words))]
    for i, original in enumerate(raw[:len(words)]):
        if i and original[:1].isupper():
            pos[i] *= PROPER
    glossed = [1.0] * len(words)
    extra: list[tuple[list[str], float]] = []
    glosses: list[str] = []
    taken: set[int] = set()
    for seq, means in glossary():
        n = len(seq)
        for i in range(len(words) - n + 1):
            span = set(range(i, i + n))
            if words[i:i + n] == seq and not span & taken:
                taken |= span
                extra.append((_syllables(means), max(pos[i:i + n])))
                glosses.append(f"{' '.join(seq)} → {means}")
                for j in span:
                    glossed[j] = GLOSSED
    weights: dict[str, float] = {}

    def put(term: str, w: float) -> None:
        weights[term] = max(weights.get(term, 0.0), w)

    for i, word in enumerate(words):
        if word not in STOP_WORDS:
            put(word, pos[i] * glossed[i])
    for i, (a, b) in enumerate(zip(words, words[1:], strict=False)):
        if a not in STOP_WORDS and b not in STOP_WORDS and i + 1 not in ends:
            put(f"{a}_{b}", min(pos[i], pos[i + 1]) * min(glossed[i], glossed[i + 1]))
    for added, w in extra:
        for t in _terms(added):
            put(t, w)
    # the kind: the name's first pair or, failing that, one of its first two syllables that opens a heading
    for t in [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)][:1] + words[:2]:
        if t in kinds and t in weights:
            weights[t] *= KIND
            break
    return Reading(weights, " ".join(words + [w for added, _ in extra for w in added]), glosses)


def product_text(name: str | None, aliases: Sequence[str] | None = ()) -> list[str]:
    """The names of a product, each read on its own: its name and each alias (NFC, cleaned)."""
    return [clean(t) for t in [name, *(aliases or [])] if clean(t)]


Scorer = Callable[..., float]
#: the scorer in use (how close the product's words are to a line's own label, once the words that name
#: something in the nomenclature have chosen the candidates); bench/hs_suggest.py measures the others
SCORER: Scorer | None = fuzz.ratio
#: share of the score that the scorer decides; the rest is the rarity-weighted share of the product's
#: words the line holds
SCORER_WEIGHT = 0.5
#: A description speaks of much besides what the product is (who recognised it, when): its matches count less.
DESCRIPTION = 0.6


def rank(nom: Nomenclature, texts: Sequence[str], *, description: str | None = None, scorer: Scorer | None = SCORER,
         weight: float = SCORER_WEIGHT, whole: bool = False, limit: int = SUGGESTIONS,
         min_score: float = MIN_SCORE) -> list[dict[str, Any]]:
    """The best line per heading for a product's names (``texts``) and ``description``, best first.

    Each name is read on its own (an alias is another name, not more words of the first), the description
    too, its score discounted (``DESCRIPTION``). The lines holding a text's known words (syllables and
    syllable pairs the nomenclature uses, everyday words through the glossary) are the candidates, scored by
    the rarity-weighted share of those words they hold, blended with ``scorer`` on the line's own label.
    ``whole=True`` instead runs ``scorer`` alone over every line's full text (the plain rapidfuzz baseline).
    """
    best: dict[int, tuple[float, list[str], list[str]]] = {}
    reads = [(t, 1.0) for t in texts] + ([(clean(description), DESCRIPTION)] if clean(description) else [])
    for text, factor in reads:
        reading = _read(text, nom.kinds)
        if whole and scorer is not None:
            for _, score, i in process.extract(reading.words, [x.text.lower() for x in nom.lines], scorer=scorer,
                                               processor=None, limit=60):
                if i not in best or score > best[i][0]:
                    best[i] = (float(score), [], [])
            continue
        known = {t: w * nom.idf[t] for t, w in reading.weights.items() if t in nom.idf and w > 0}
        total = sum(known.values())
        if not total:
            continue
        cover: dict[int, float] = {}
        for t, w in known.items():
            for i in nom.postings[t]:
                cover[i] = cover.get(i, 0.0) + (w * BOUND if t in nom.lines[i].bound else w)
        for i, c in cover.items():
            line = nom.lines[i]
            share = 100.0 * c / total
            score = share if scorer is None else (1 - weight) * share + weight * scorer(reading.words,
                                                                                          line.own.lower())
            score *= factor
            if i not in best or score > best[i][0]:
                best[i] = (score, _shared(known, line), reading.glosses)
    per_heading: dict[str, tuple[float, int]] = {}
    # Ties go to the shorter line: it says less besides what matched.
    for i, (score, _, _) in sorted(best.items(), key=lambda kv: (-kv[1][0], len(nom.lines[kv[0]].text), kv[0])):
        if score < min_score:
            break
        per_heading.setdefault(nom.lines[i].code[:4], (score, i))
    chosen = sorted(per_heading.values(), key=lambda x: -x[0])[:limit]
    return [_suggestion(nom.lines[i], score, best[i][1], best[i][2]) for score, i in chosen]


def _shared(known: dict[str, float], line: Line) -> list[str]:
    """The product's words the line holds, in the product's order: a pair as one word ("chế biến"), its
    syllables not again; a syllable the line has only inside another word left out."""
    pairs = [t for t in known if "_" in t and t in line.terms]
    inside = {w for t in pairs for w in t.split("_")}
    words = [t.replace("_", " ") for t in pairs]
    return words + [t for t in known if "_" not in t and t in line.terms and t not in line.bound and t not in inside]


def _suggestion(line: Line, score: float, shared: list[str], glosses: list[str]) -> dict[str, Any]:
    """A line as a suggestion with its reasons in Vietnamese: the words it shares with the product, the
    glossary's readings used, and the path from the heading down to the line, each level with its words."""
    reasons = [f"trùng từ: {', '.join(shared)}" if shared else "gần giống về chữ"]
    reasons += [f"hiểu theo bảng từ: {g}" for g in glosses if any(w in line.terms for w in _syllables(g.split("→")[1]))]
    for code, label in reversed(line.path):
        have = set(_syllables(label))
        words: list[str] = []
        for w in shared:  # a pair where the level has it whole, else the syllables it has
            for part in [w] if set(w.split()) <= have else [p for p in w.split() if p in have]:
                if part not in words:
                    words.append(part)
        label = label.rstrip(": ")
        kind = "dòng" if len(code) == 8 else ("phân nhóm" if len(code) == 6 else "nhóm")
        text = label if len(code) == 8 else _short(label)
        reasons.append(f"{kind} {dotted(code)}: {text}" + (f" (có: {', '.join(words)})" if words else ""))
    if not any(len(code) == 4 for code, _ in line.path):
        reasons.append(f"nhóm {dotted(line.code[:4])}")
    return {"code": line.code, "dotted": dotted(line.code), "score": round(score, 1), "reasons": reasons}


def suggest(session: Session, product: Product, actor: str = "auto", *, store: bool = True,
            limit: int = SUGGESTIONS) -> list[dict[str, Any]]:
    """Suggest HS codes for ``product`` from the nomenclature and (``store``) keep them as ``suggested`` rows
    for a curator. Codes a curator approved or rejected stay as decided; earlier suggestions get the new
    score and reasons. Raises BadInput when no nomenclature is imported."""
    nom = nomenclature(session)
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
