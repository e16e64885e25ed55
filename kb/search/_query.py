"""From a user's string to ranked hits and near matches: designations first, then weighted text, typo
tolerance, facets.

1. A string that reads as a designation (``kb.codes.parse_query``) is looked up in the code fields: the
   edition itself, the edition that replaced it, the national standard that adopts an international one,
   other editions of the series, labs whose methods cite it. These come first, in tiers.
2. Words are looked up per field (exact accented forms weigh more than folded ones) as bitsets of the
   postings (``_bits``); every word must match, else most of them. The matches are scored BM25-like
   (idf × field boost × length norm, dis-max over the fields of a word), boosted when neighbouring words
   are neighbours in the title (bigrams), and weighted by status (in force first unless the query names
   an edition), national before foreign, real before sample.
3. Unknown words are replaced by their neighbours in the index vocabulary (typos).
4. A match is a *hit* (an answer) when it matches the query as a whole: a designation tier; every
   meaningful word in one title field (Vietnamese title / name and aliases, or English title); or the
   query as a phrase in the secondary text or body. The rest (some of the words, or words scattered in
   a long text) are *near* matches with a reason, ranked apart. Total and facets count hits only.
5. "Did you mean" replaces unknown words by neighbours from titles only, and is offered only when the
   corrected query has hits.

Nothing is parsed from the user's text by a query language, so quotes, brackets and ``field:value``
are only words here and no input can raise a syntax error.
"""

from __future__ import annotations

import html
import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from whoosh import query as Q

from kb import codes
from kb.search import _documents as docs
from kb.search._bits import Accumulator, Among, Bits, bit, lowest
from kb.search._results import Hit, SearchResults
from kb.search._schema import english_stem_analyzer, term_fold
from kb.text import clean, fold, is_digits, tokens
from kb.urls import group_url, lab_url, product_url, standard_url

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 300
MAX_TOKENS = 16
#: How many text matches are scored and re-ranked (status, relations) before the page is cut.
WINDOW = 60
FACETS = ("kind", "doc_type", "status", "year", "mandatory", "ics", "district")
_NATIONAL = {"TCVN", "QCVN", "QCĐP", "TCCS", "TCXDVN", "QCXDVN", "TCXD", "TCN"}

# Field weights. Exact (accented) fields outweigh folded ones, so "mắm" ranks fish sauce above "mầm",
# while the folded field still lets "mam" find both.
_W_TEXT = (
    ("title", "exact", 3.0),
    ("title_f", "folded", 2.0),
    ("title_en", "exact", 1.6),
    ("title_en_stem", "stem", 0.8),
    ("text", "exact", 0.7),
    ("text_f", "folded", 0.5),
    ("body", "exact", 0.25),
    ("body_f", "folded", 0.2),
)
_PHRASE_BONUS = 0.5  # all neighbouring pairs of the query found as neighbours: score × 1.5
#: Multiplier of text scores by status: in force first unless the query names an edition.
_STATUS_FACTOR = {"in_force": 1.0, "unknown": 0.85, "draft": 0.8, "replaced": 0.6, "withdrawn": 0.55}
_OTHER_DOC_TYPE = 0.9  # organisation (TCCS), legacy and foreign documents
_SAMPLE = 0.8
_PRODUCT = 0.8
_CODE_WORDS = {w for t in codes.DOC_TYPES for w in tokens(t, folded=True)} | {"tcvn", "qcvn", "tccs"}
_VOCAB_FIELDS = ("title_f", "title_en", "text_f", "body_f")

_stem = english_stem_analyzer()


@dataclass
class _Cand:
    docnum: int
    tier: float  # lower is better; text hits have tier 9
    score: float
    note: str | None = None


def _safe_designations(q: str) -> list[codes.Designation]:
    try:
        return codes.parse_query(q)
    except Exception:  # noqa: BLE001 - a grammar bug must not turn a search into an error
        log.exception("designation grammar failed on %r", q[:200])
        return []


class _Vocab:
    """The index's own vocabulary: known folded words, neighbours within an edit distance, accented forms."""

    def __init__(self, searcher, cache: dict[str, Any]):
        self.reader = searcher.reader()
        self.cache = cache

    def known(self, word: str) -> bool:
        return any(self.reader.doc_frequency(f, word) for f in _VOCAB_FIELDS)

    def frequency(self, word: str) -> int:
        return sum(self.reader.doc_frequency(f, word) for f in _VOCAB_FIELDS)

    def neighbours(self, word: str, fields: tuple[str, ...] = ("title_f", "text_f", "title_en")) -> list[tuple[str, int]]:
        """Indexed words of these fields near ``word`` (Damerau-Levenshtein 1, or 2 for long words), best first."""
        if len(word) < 3 or any(ch.isdigit() for ch in word):
            return []
        memo = self.cache.setdefault("neighbours", {})
        found = memo.get((word, fields))
        if found is None:
            if len(memo) > 5000:
                memo.clear()
            found = memo[(word, fields)] = self._neighbours(word, fields)
        return found

    def _neighbours(self, word: str, fields: tuple[str, ...]) -> list[tuple[str, int]]:
        maxdist = 1 if len(word) <= 5 else 2
        found: dict[str, int] = {}
        for f in fields:
            for t in self.reader.terms_within(f, word, maxdist, prefix=1):
                if t != word:
                    found[t] = found.get(t, 0) + self.reader.doc_frequency(f, t)
        # whoosh's automaton counts a swap of two letters as two edits; typists make it as one
        for i in range(len(word) - 1):
            t = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            if t != word and t not in found:
                n = sum(self.reader.doc_frequency(f, t) for f in fields)
                if n:
                    found[t] = n
        # closer first, then the more common word
        return sorted(found.items(), key=lambda kv: (_distance(word, kv[0]), -kv[1]))

    def accented(self, folded_word: str) -> str:
        """The most common accented spelling of a folded word in titles (for "did you mean")."""
        table = self.cache.get("vocab")
        if table is None:
            with self.cache.setdefault("build_lock", threading.RLock()):  # one thread reads the vocabulary
                table = self.cache.get("vocab")
                if table is None:
                    table = self.cache["vocab"] = self._accented_forms()
        return table.get(folded_word, folded_word)

    def _accented_forms(self) -> dict[str, str]:
        table: dict[str, str] = {}
        best: dict[str, int] = {}
        for t, ti in self.reader.iter_field("title"):
            w = t.decode("utf-8") if isinstance(t, bytes) else t
            fw = term_fold(w)
            if ti.doc_frequency() > best.get(fw, 0):
                best[fw] = ti.doc_frequency()
                table[fw] = w
        return table


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment); short words only."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@dataclass
class _TextQuery:
    groups: list[list[tuple[str, str, float]]]  # per query word: (field, term, boost) that stand for it
    pairs: list[str]  # folded bigrams of neighbouring words


def _text_query(exact: list[str], folded: list[str], expansions: dict[int, list[str]], strict: bool) -> _TextQuery:
    groups: list[list[tuple[str, str, float]]] = []
    for i, (te, tf) in enumerate(zip(exact, folded, strict=False)):
        alts: list[tuple[str, str, float]] = []
        if i in expansions:  # unknown word: its neighbours from the vocabulary, a little below a true match
            for alt in expansions[i]:
                for field, mode, w in _W_TEXT:
                    if (mode == "folded" or field == "title_en") and (strict or not field.startswith("body")):
                        alts.append((field, alt, w * 0.8))
        else:
            stem = next((t.text for t in _stem(te)), te)
            accented = te != tf and te.isalpha()
            for field, mode, w in _W_TEXT:
                if field.startswith("body") and not strict:
                    continue  # loose matching stays in titles and scopes
                if mode == "exact" and te == tf and field != "title_en":
                    continue  # an unaccented word: its folded field says the same
                if accented and mode == "folded" and (field != "title_f" or not strict):
                    # Folded syllables collide (thiều/thiếu, cúc/cục, chè/chế): a word typed with its
                    # accents must match them, except in titles when every other word matches too.
                    continue
                word = {"exact": te, "folded": tf, "stem": stem}[mode]
                alts.append((field, word, w))
        groups.append(alts)
    return _TextQuery(groups, [f"{a}_{b}" for a, b in zip(folded, folded[1:], strict=False)])


def _without_issuer(d: codes.Designation) -> codes.Designation:
    return replace(d, issuer_suffix=None) if d.issuer_suffix else d


def _designation_candidates(searcher, ds: list[codes.Designation], allow) -> dict[int, _Cand]:
    """Docs a designation query names, each with a tier: exact or adopting 0, replacing 1, series 2, labs 3."""
    out: dict[int, _Cand] = {}

    def add(docnum: int, tier: float, note: str | None = None) -> None:
        if not allow(docnum):
            return
        c = out.get(docnum)
        if c is None or tier < c.tier:
            out[docnum] = _Cand(docnum, tier, 0.0, note if c is None or note else c.note)

    def docs_for(field: str, value: str) -> list[int]:
        return list(searcher.docs_for_query(Q.Term(field, value)))

    variants: list[codes.Designation] = []
    for d in ds[:4]:
        variants += [d, _without_issuer(d)]
    ds = list(dict.fromkeys(variants))
    for rank, d in enumerate(ds):
        bias = rank * 0.01  # earlier interpretations first
        intl = d.doc_type not in _NATIONAL
        key, series = d.key, d.series_key
        if d.year:
            # A replaced edition leads to the one that replaced it (newest first), then to itself.
            replacing = docs_for("replaced_key", key)
            for n in replacing:
                add(n, 0.5 + bias, _replaced_note(searcher, n, key))
                _follow_replacements(searcher, n, add, 0.5 + bias, d.format())
            for n in docs_for("code_key", key):
                add(n, (0.7 if replacing else 0.1) + bias)
            for n in docs_for("equiv_key", key):
                add(n, (0.0 if intl else 1.0) + bias + _adoption_rank(searcher, n, key, False),
                    _equivalent_note(searcher, n, key))
            for n in docs_for("code_series", series):
                add(n, 2.0 + bias)
        else:
            for n in docs_for("code_series", series):
                add(n, 0.2 + bias)
            for n in docs_for("equiv_series", series):
                add(n, (0.0 if intl else 1.0) + bias + _adoption_rank(searcher, n, series, True),
                    _equivalent_note(searcher, n, series, by_series=True))
            for n in docs_for("replaced_series", series):
                add(n, 1.5 + bias, _replaced_note(searcher, n, series, by_series=True))
        for n in docs_for("method_series", series):
            add(n, 3.0 + bias)
    return out


_QUALIFIER_RANK = {"IDT": 0.0, "MOD": 0.02, "NEQ": 0.04}


def _adoption_rank(searcher, docnum: int, key: str, by_series: bool) -> float:
    """Among standards equivalent to an international code: a national standard that adopts it identically
    first, one that only refers to it last; an in-force edition before a replaced one."""
    f = searcher.stored_fields(docnum)
    r = _rel(searcher, docnum, "equivalent", key, by_series)
    rank = _QUALIFIER_RANK.get((r[5] or "").upper(), 0.06) if r else 0.01
    if f.get("doc_type") not in ("TCVN", "QCVN"):
        rank += 0.03
    if f.get("status") not in ("in_force", None):
        rank += 0.005
    return rank


def _follow_replacements(searcher, docnum: int, add, tier: float, asked: str, hops: int = 5) -> None:
    """A replaced code whose replacement was itself replaced leads on to the newest edition."""
    seen = {docnum}
    for _ in range(hops):
        key = (searcher.stored_fields(docnum).get("code") or "")
        d = codes.parse(key)
        if d is None:
            return
        nxt = [n for n in searcher.docs_for_query(Q.Term("replaced_key", d.key)) if n not in seen]
        if not nxt:
            return
        docnum = nxt[0]
        seen.add(docnum)
        tier -= 0.05  # the newest edition ahead of the intermediate one
        code = searcher.stored_fields(docnum).get("code")
        add(docnum, tier, f"{asked} đã được thay thế; phiên bản mới nhất là {code}")


def _rel(searcher, docnum: int, relation: str, key: str, by_series: bool) -> list | None:
    for r in searcher.stored_fields(docnum).get("rels") or []:
        if r[0] == relation and r[1] == "out":
            keys, series = docs.key_variants(r[2], r[3], r[4])  # every spelling the index knows it by
            if key in (series if by_series else keys):
                return r
    return None


def _replaced_note(searcher, docnum: int, key: str, by_series: bool = False) -> str | None:
    code = searcher.stored_fields(docnum).get("code")
    r = _rel(searcher, docnum, "replaces", key, by_series)
    if r:
        return f"{r[2]} đã được thay thế bởi {code}"
    r = _rel(searcher, docnum, "converted_from", key, by_series)
    if r:
        return f"{code} được chuyển đổi từ {r[2]}"
    return None


def _equivalent_note(searcher, docnum: int, key: str, by_series: bool = False) -> str | None:
    code = searcher.stored_fields(docnum).get("code")
    r = _rel(searcher, docnum, "equivalent", key, by_series)
    other = r[2] if r else None
    if other is None:
        return f"{code} chấp nhận tiêu chuẩn quốc tế tương ứng"
    qual = f" ({r[5]})" if r and r[5] else ""
    return f"{code} tương đương {other}{qual}"


# --- snippets --------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")


_SNIPPET_SCAN = 4000  # characters of a long text looked at for a snippet


def highlight(text: str, words: set[str], width: int = 220) -> str:
    """HTML-escaped excerpt of ``text`` around the densest run of matching words, each in <mark>."""
    text = clean(text[:_SNIPPET_SCAN])
    if not text:
        return ""
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text) if term_fold(m.group()) in words]
    if not spans:
        cut = text[:width]
        return html.escape(cut + ("…" if len(text) > width else ""))
    # window with the most matches
    best_i, best_n, j = 0, 0, 0
    for i, (s, _) in enumerate(spans):
        while spans[j][0] < s - width // 2 and j < i:
            j += 1
        if i - j + 1 > best_n:
            best_i, best_n = j, i - j + 1
    start = max(0, spans[best_i][0] - 40)
    if start:
        sp = text.rfind(" ", 0, start)
        start = sp + 1 if sp >= 0 and start - sp < 20 else start
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def _snippet(searcher, fields: dict, words: set[str], title: str, pages: bool = True,
             paged: frozenset[str] | None = None) -> str:
    """The first of scope/description, title, secondary text that shows a query word; else the best page of
    those it has (``paged``: the keys of the standards with pages; None: look anyway). Near matches (``pages`` False) show their
    scope or title as it is."""
    src = fields.get("snippet_src") or ""
    texts = [t for t in (src, title, fields.get("text") or "") if t]
    if not pages:  # a near match: its reason tells more; the scope or title as it is
        return highlight(src or title, words)
    if words and texts:
        best = max(texts, key=lambda t: len(_mentions(t, words)))  # the most query words; first on ties
        if _mentions(best, words):
            return highlight(best, words)
    if pages and words and fields.get("kind") == "standard" and (paged is None or fields["key"] in paged):
        page_q = Q.And([Q.Term("parent", fields["key"]), Q.Or([Q.Term("page_f", w) for w in words])])
        res = searcher.search(page_q, limit=1)
        if len(res):
            page = res[0]
            return f"tr. {page['page_no']}: " + highlight(page["page_text"], words)
    return highlight(src or title, words)


def _mentions(text: str, words: set[str]) -> set[str]:
    """The query words a text contains, its words folded one by one as ``highlight`` marks them (each word's
    fold is memoised: no pass over the whole text's accents)."""
    return {term_fold(w) for w in set(_TOKEN.findall(text[:_SNIPPET_SCAN].casefold()))} & words


# --- the search ------------------------------------------------------------------------------------

#: Function words left out when deciding whether a record answers the query as a whole ("thép cho bê
#: tông" is answered by "Thép cốt bê tông"); a query of nothing else keeps them. Exact forms only: the
#: unaccented "cho" or "cua" may be other words.
STOP_WORDS = frozenset({"và", "của", "cho", "các", "những", "với", "về", "là", "được",
                        "the", "of", "and", "for", "an"})
#: Fields whose words make a hit when every meaningful word of the query is in one of them: the
#: Vietnamese title (name and aliases for products and groups), or the English title.
_HIT_FIELDS = (("title", "title_f"), ("title_en", "title_en_stem"))
_TITLE_VOCAB = ("title_f", "title_en")
_EXACT_FIELDS = ("title", "title_en", "text", "body")


def _url(kind: str, fields: dict) -> str:
    if kind == "standard":
        return standard_url(fields.get("code") or "")
    if kind == "group":
        return group_url(fields.get("slug") or "")
    return product_url(int(fields["pk"])) if kind == "product" else lab_url(int(fields["pk"]))


def meaningful(exact: list[str]) -> list[int]:
    """Indices of the query words that must all be matched for a hit."""
    keep = [i for i, w in enumerate(exact) if w not in STOP_WORDS]
    return keep or list(range(len(exact)))


def _typos_ok(exact: list[str], fixed: set[int], must: list[int]) -> bool:
    """Whether words replaced by their vocabulary neighbours may still make an answer (or a "did you
    mean"): one in three of the meaningful words at most, and a short word (3 letters: "gom", "abc", "non"
    have many neighbours) only beside at least two words that were typed right."""
    fixed = fixed & set(must)
    if not fixed:
        return True
    if len(fixed) > max(1, len(must) // 3):
        return False
    right = len(must) - len(fixed)
    return all(len(exact[i]) >= 4 or right >= 2 for i in fixed)


def warm(searcher, cache: dict) -> None:
    """Build the tables over the whole index that searches read (facet masks, columns, the standards that have
    pages, the accented vocabulary) once for this generation, before any search on an event loop needs them:
    at 110,000 products they take up to a second, during which a loop would serve nothing else. Marks the
    generation's memo ``warm``; nothing to do once it is."""
    if cache.get("warm"):
        return
    bits = Bits(searcher, cache)
    bits.live()
    for name in (*FACETS, "kind", "sample"):
        bits.values(name)
    for name in ("status", "doc_type", "year"):
        bits.column(name)
    bits.terms("parent")
    _Vocab(searcher, cache).accented("")
    cache["warm"] = True


def run(searcher, cache: dict, query: str, *, kind: str | None, limit: int, filters: dict | None,
        suggest: bool = True) -> SearchResults:
    """Hits, near matches, facets and a "did you mean"; ``suggest`` False only checks a correction: counts
    its hits (nothing ranked, no further correction), its accented words in a title as typed."""
    q = clean(query)[:MAX_QUERY_CHARS]
    res = SearchResults(query=q)
    if searcher is None or not q:
        return res
    limit = max(1, min(int(limit or 10), 100))
    bits = Bits(searcher, cache)
    allowed = _filter_mask(bits, kind, filters)  # documents a filter lets through (pages never)

    def allow(n: int) -> bool:
        return bit(allowed, n)

    ds = _safe_designations(q)
    names_edition = any(d.year for d in ds)
    cands = _designation_candidates(searcher, ds, allow) if ds else {}
    # accreditation numbers typed any way: "VILAS 1074", "vilas-1074", "vilas1074"
    comp = docs.compact(q)
    if comp and len(comp) <= 24:
        for n in searcher.docs_for_query(Q.Term("code_key", comp)):
            if allow(n) and n not in cands:
                cands[n] = _Cand(n, 0.3, 0.0)

    exact = [t for t in tokens(q)][:MAX_TOKENS]
    folded = [term_fold(t) for t in exact]
    vocab = _Vocab(searcher, cache)
    expansions: dict[int, list[str]] = {}
    unknown: list[int] = []
    for i, w in enumerate(folded):
        if not cands and not vocab.known(w):  # a designation query is not misspelt prose
            unknown.append(i)
            near = vocab.neighbours(w)[:6]
            if near:
                expansions[i] = [t for t, _ in near]

    if not _typos_ok(exact, set(expansions), meaningful(exact)):
        # too many or too short guesses ("xyzqwe abc" → "bắc"): they would only fill the near list with noise
        expansions = {}
    named = 0
    for n in cands:
        named |= 1 << n
    words = set(folded)
    for alts in expansions.values():
        words.update(alts)
    m = _Matches([], 0, [], 0, [], meaningful(exact))
    if exact:
        m = _text_search(searcher, bits, exact, folded, expansions, allowed, relaxed_ok=not cands,
                         names_edition=names_edition, named=named, accent_slack=suggest, rank=suggest)

    # merge: designation tiers first (in-force before others within a tier), then text by score
    merged = list(cands.values()) + m.hits

    def sort_key(c: _Cand):
        st = bits.value_of("status", c.docnum)
        in_force_first = 0 if (names_edition or c.tier >= 9 or st in (None, "in_force")) else 1
        year = bits.value_of("year", c.docnum) if c.tier < 9 else None
        newest_first = -int(year) if year and is_digits(year) else 0  # editions of one series: newest first
        return (int(c.tier), in_force_first, c.tier, newest_first, -c.score)

    merged.sort(key=sort_key)
    # Scores shown follow the order: named designations sit above every text match.
    top = max((c.score for c in m.hits), default=0.0)
    tiers = [c for c in merged if c.tier < 9]
    for i, c in enumerate(tiers):
        c.score = (top + 10.0) * (1.0 + 0.5 * (len(tiers) - i) / len(tiers))
    hit_mask = m.hit_mask | named
    res.total = hit_mask.bit_count()
    if not suggest:
        return res
    res.near_total = m.near_mask.bit_count()
    res.facets = {name: _count(bits, name, hit_mask) for name in FACETS}
    if suggest and unknown and not cands:
        res.did_you_mean = _did_you_mean(searcher, cache, vocab, exact, folded, unknown, m.must,
                                         kind=kind, filters=filters)
    if ds:  # a code's digits and body names say nothing in a snippet ("TCVN 9393:2012" is not a match)
        words = {w for w in words if not any(ch.isdigit() for ch in w) and w not in _CODE_WORDS}
    paged = bits.terms("parent")  # a page search only for a standard that has pages
    res.hits = [_hit(searcher, c, words, paged=paged) for c in merged[:limit]]
    for c in m.near[:limit]:
        h = _hit(searcher, c, words, pages=False)  # its reason says more than a page would; pages cost a search
        h.why = _why(exact, m.must, [bit(mask, c.docnum) for mask in m.word_masks])
        res.near.append(h)
    return res


def _hit(searcher, c: _Cand, words: set[str], pages: bool = True, paged: frozenset[str] | None = None) -> Hit:
    f = searcher.stored_fields(c.docnum)
    k = f.get("kind")
    title = f.get("title_display") or ""
    return Hit(
        kind=k, id=int(f["pk"]), code=f.get("code"), title=title,
        accreditation=f.get("accreditation") if k == "lab" else None,
        status=f.get("status") if k == "standard" else None,
        url=_url(k, f), score=round(float(c.score), 4),
        snippet=_snippet(searcher, f, words, title, pages, paged),
        relation_note=c.note or _own_replacement_note(f),
    )


def _why(exact: list[str], must: list[int], present: list[bool]) -> str:
    """A near match's reason in the visitor's words: the runs of query words it lacks, or that its
    words are spread out."""
    runs: list[list[str]] = []
    last = -2
    for i in must:
        if present[i] if i < len(present) else True:
            continue
        if i == last + 1 and runs:
            runs[-1].append(exact[i])
        else:
            runs.append([exact[i]])
        last = i
    if runs:
        return "chỉ khớp một phần: thiếu " + ", ".join(f"«{' '.join(r)}»" for r in runs)
    if len(must) == 1:
        return "từ này chỉ có trong nội dung, không có trong tên"
    return "các từ nằm rải rác trong nội dung"


def _did_you_mean(searcher, cache: dict, vocab: _Vocab, exact: list[str], folded: list[str], unknown: list[int],
                  must: list[int], *, kind: str | None, filters: dict | None) -> str | None:
    """The query with its unknown words replaced by neighbours from the vocabulary of codes, titles, names
    and aliases (never body text), offered only when that query has answers."""
    options = {i: [t for t, _ in vocab.neighbours(folded[i], _TITLE_VOCAB)[:6]] for i in unknown}
    options = {i: alts for i, alts in options.items() if alts}
    if not options or not _typos_ok(exact, set(options), must) or set(unknown) - set(options):
        return None
    reader = searcher.reader()
    chosen = {i: alts[0] for i, alts in options.items()}
    for i, alts in options.items():
        # prefer the neighbour that stands beside the neighbouring words somewhere in the index
        # ("kim loai nagn" → "nang", as in "kim loại nặng", not the more frequent "ngan")
        def beside(t: str, i: int = i) -> int:
            pairs = []
            if i > 0:
                pairs.append(f"{chosen.get(i - 1, folded[i - 1])}_{t}")
            if i + 1 < len(folded):
                pairs.append(f"{t}_{chosen.get(i + 1, folded[i + 1])}")
            return sum(1 for p in pairs if reader.doc_frequency("bigrams", p))

        best = max(alts, key=beside)  # max keeps the first (closest, most frequent) on ties
        if beside(best):
            chosen[i] = best
    # in the user's own style: an accented word is corrected with accents, an unaccented one without
    fixed = " ".join((vocab.accented(chosen[i]) if exact[i] != folded[i] else chosen[i]) if i in chosen else exact[i]
                     for i in range(len(exact)))
    if fold(fixed) == fold(" ".join(exact)):
        return None
    again = run(searcher, cache, fixed, kind=kind, limit=1, filters=filters, suggest=False)
    return fixed if again.total else None


_K1, _B = 1.2, 0.75
_TIE = 0.2  # dis-max tie breaker: a word found in the title and the scope is not worth two words
CANDIDATES = 200  # best documents by a quick integer score, then scored exactly
NEAR_CANDIDATES = 40


@dataclass
class _Matches:
    hits: list[_Cand]  # best first, at most WINDOW
    hit_mask: int  # every hit (total, facets)
    near: list[_Cand]
    near_mask: int
    word_masks: list[int]  # per query word: documents that have it anywhere (the reasons of near matches)
    must: list[int]  # the meaningful words


def _text_search(searcher, bits: Bits, exact, folded, expansions, allowed: int, *, relaxed_ok: bool,
                 names_edition: bool, named: int = 0, accent_slack: bool = True, rank: bool = True) -> _Matches:
    """Hits and near matches of the words, each scored and ranked (only counted when ``rank`` is False).

    A hit has every meaningful word in one of its title fields, or the whole query (two words or more)
    as a phrase in its secondary text or body (neighbouring words as neighbouring postings of the
    ``pairs`` bigrams). A near match has every word somewhere, or (unless the query names a designation)
    at least half of them in its titles and secondary text. Scoring is BM25F-like (idf × field boost ×
    length norm, term frequency taken as 1: titles rarely repeat a word) computed over bitsets of
    whoosh's postings; whoosh's own matchers walk every posting in Python, ~4 µs each.
    """
    reader = searcher.reader()
    ndocs = max(1, reader.doc_count())
    must = meaningful(exact)
    tq = _text_query(exact, folded, expansions, True)
    feats, word_masks = _features(bits, tq, ndocs)
    every = allowed
    for i in must:
        every &= word_masks[i]
    hit = 0
    if _typos_ok(exact, set(expansions), must):
        # Accented words matched only by their folded form (kẹo → "kéo", dồi → "đổi") are near-typos:
        # they share the typos' allowance (none when checking a "did you mean").
        accented = [i for i in must if exact[i] != folded[i] and i not in expansions]
        slack = max(1, len(must) // 3) - len(set(expansions) & set(must)) if accent_slack else 0
        for fields in _HIT_FIELDS:
            m = allowed
            for i in must:
                m &= _or_fields(feats[i], fields)
            if accented and m and fields[0] == "title":
                loose = [_or_fields(feats[i], ("title_f",)) & ~_or_fields(feats[i], ("title",)) for i in accented]
                m &= ~_at_least(loose, slack + 1)
            hit |= m
        if len(exact) >= 2 and every:
            # the phrase: accented words as typed, neighbouring words as neighbouring postings
            phrase = allowed
            for i in must:
                phrase &= _or_fields(feats[i], _EXACT_FIELDS) if i in accented else word_masks[i]
            alts = [expansions.get(i, [w]) for i, w in enumerate(folded)]
            for i in range(len(exact) - 1):
                if not phrase:
                    break
                pm = 0
                for a in alts[i]:
                    for b in alts[i + 1]:
                        pm |= bits.term("pairs", f"{a}_{b}")
                phrase &= pm
            hit |= phrase
    hit &= ~named
    near = every
    if relaxed_ok and rank:
        _, loose = _features(bits, _text_query(exact, folded, expansions, False), ndocs)
        near |= _at_least([loose[i] for i in must], max(1, (len(must) + 1) // 2)) & allowed
    near &= ~(hit | named)
    if not rank:
        return _Matches([], hit, [], near, word_masks, must)
    pair_masks = [bits.term("bigrams", p) for p in tq.pairs]
    hits = _rank(bits, hit, feats, word_masks, pair_masks, len(exact), names_edition, CANDIDATES)
    # near matches are shown a page at a time below the answers: fewer candidates deserve exact scores
    near_list = _rank(bits, near, feats, word_masks, pair_masks, len(exact), names_edition, NEAR_CANDIDATES)
    return _Matches(hits, hit, near_list, near, word_masks, must)


def _features(bits: Bits, tq: _TextQuery, ndocs: int) -> tuple[list[list[tuple[int, float, str]]], list[int]]:
    """Per query word: its (mask, weight, field) in every field it is found in, and the union mask."""
    feats, word_masks = [], []
    for g in tq.groups:
        tm, fs = 0, []
        for field, term, boost in g:
            m = bits.term(field, term)
            if m:
                df = m.bit_count()
                idf = math.log(1.0 + (ndocs - df + 0.5) / (df + 0.5))
                fs.append((m, boost * idf, field))
                tm |= m
        feats.append(fs)
        word_masks.append(tm)
    return feats, word_masks


def _or_fields(fs: list[tuple[int, float, str]], fields: tuple[str, ...]) -> int:
    m = 0
    for mask, _, field in fs:
        if field in fields:
            m |= mask
    return m


def _rank(bits: Bits, match: int, feats, word_masks: list[int], pair_masks: list[int], nwords: int,
          names_edition: bool, candidates: int) -> list[_Cand]:
    """The best WINDOW documents of ``match``: a quick integer score picks candidates, then exact scores."""
    if not match:
        return []
    in_force = bits.values("status").get("in_force", 0)
    sample = bits.values("sample").get("1", 0)
    kinds = bits.values("kind")
    products = kinds.get("product", 0) | kinds.get("group", 0)
    # 1. a quick integer score over every match: which candidates deserve exact scoring
    acc = Accumulator()
    top_w = max((w for fs in feats for _, w, _ in fs), default=1.0) or 1.0
    if candidates > NEAR_CANDIDATES:
        for fs in feats:
            for m, w, _ in fs:
                acc.add(m & match, max(1, round(16 * w / top_w)))
        for m in pair_masks:
            acc.add(m & match, 8)
    else:  # a few near matches: one sum per word (by its best field) is choice enough, and far cheaper
        for fs, wm in zip(feats, word_masks, strict=True):
            if fs:
                acc.add(wm & match, max(1, round(16 * max(w for _, w, _ in fs) / top_w)))
    if not names_edition:
        acc.add(in_force & match, 4)
    cands = acc.top(match, candidates)
    # 2. exact scores for the candidates: each mask cut down to them once, then set look-ups
    among = Among(cands, lowest(cands, candidates))
    cand_list = among.docs
    cut = [[(among.members(m), w, field) for m, w, field in fs] for fs in feats]
    in_field: dict[str, set[int]] = {}
    for fs in cut:
        for docs_in, _, field in fs:
            in_field.setdefault(field, set()).update(docs_in)
    norms = {field: bits.norms(field, sorted(docs_in), _K1, _B) for field, docs_in in in_field.items()}
    # Walked feature by feature over the candidates each one has (not every candidate against every
    # feature), in the same order as a per-candidate loop, so the sums are the same to the last bit.
    scores = dict.fromkeys(cand_list, 0.0)
    for fs in cut:
        # a word counts once, by its best field, plus a little for each other field it is in
        best: dict[int, float] = {}
        total: dict[int, float] = {}
        for docs_in, w, field in fs:
            norm = norms[field]
            for n in docs_in:
                v = w * norm[n]
                if n in best:
                    if v > best[n]:
                        best[n] = v
                    total[n] += v
                else:
                    best[n] = total[n] = v
        for n, b in best.items():
            scores[n] += b + _TIE * (total[n] - b)
    words_hit = Counter(n for m in word_masks for n in among.members(m))
    pairs_hit = Counter(n for m in pair_masks for n in among.members(m))
    samples, products_in = among.members(sample), among.members(products)
    status, doc_type = bits.column("status"), bits.column("doc_type")
    hits = []
    for n in cand_list:
        st = status[n]
        factor = 1.0 if (names_edition or not st) else _STATUS_FACTOR.get(st, 0.85)
        dt = doc_type[n]
        if dt and dt not in ("TCVN", "QCVN", "QCĐP"):
            factor *= _OTHER_DOC_TYPE  # at equal match, national standards and regulations first
        if n in samples:
            factor *= _SAMPLE  # illustrative demo records after real ones
        if n in products_in:
            factor *= _PRODUCT  # a product named after a material ranks below the material's standard
        factor *= (words_hit[n] / nwords) ** 2  # more of the words is better
        if nwords > 1:  # words side by side as typed: the phrase-proximity boost
            factor *= 1.0 + _PHRASE_BONUS * pairs_hit[n] / (nwords - 1)
        hits.append(_Cand(n, 9.0, scores[n] * factor))
    hits.sort(key=lambda c: (-c.score, c.docnum))
    return hits[:WINDOW]


def _or(bits: Bits, group: list[tuple[str, str]]) -> int:
    m = 0
    for field, word in group:
        m |= bits.term(field, word)
    return m


def _at_least(masks: list[int], k: int) -> int:
    """Documents in at least ``k`` of the masks: at[j] holds those seen in j masks or more so far."""
    at = [-1] + [0] * k
    for m in masks:
        for j in range(k, 0, -1):
            at[j] |= at[j - 1] & m
    return at[k]


def _filter_mask(bits: Bits, kind: str | None, filters: dict | None) -> int:
    kinds = bits.values("kind")
    allowed = 0
    for k in docs.KINDS:
        if not kind or kind == k:
            allowed |= kinds.get(k, 0)
    for name, value in (filters or {}).items():
        if value is None or value == "" or name not in FACETS:
            continue
        values = value if isinstance(value, (list, tuple, set)) else [value]
        m = 0
        for v in values:
            if isinstance(v, bool) and name == "mandatory":
                v = "mandatory" if v else "voluntary"
            m |= bits.term("ics_all", str(v)) if name == "ics" else bits.values(name).get(str(v), 0)
        allowed &= m
    return allowed


def _count(bits: Bits, name: str, mask: int) -> dict[str, int]:
    counts = {v: (mask & m).bit_count() for v, m in bits.values(name).items()}
    return dict(sorted(((v, n) for v, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0])))


def _own_replacement_note(f: dict) -> str | None:
    """A replaced standard found by its words says what replaced it."""
    if f.get("status") != "replaced":
        return None
    for r in f.get("rels") or []:
        if r[0] == "replaces" and r[1] == "in":
            return f"{f.get('code')} đã được thay thế bởi {r[2]}"
    return None
