"""The grammar of standard designations: parse, normalise and format.

Every other module that reads, stores, searches or displays a code such as ``TCVN 3118:2022``
goes through this one; nothing else should split or glue designations by hand.

Public API
----------
``parse(text)``        one designation, written formally or loosely -> :class:`Designation` or ``None``
``canonical(text)``    ``parse(text).format()`` or ``None``
``find_all(text)``     every designation in free text, in order, with catalogue shorthands expanded
``parse_query(text)``  what a *user* may have meant by a search string, best interpretation first
``parse_whole(text)``  one designation when the whole text is one, formally or loosely typed (``tcvn 7570 2006``)
``parse_method(text)`` a test-method cell (lab scope, criteria table) with its codes normalised -> :class:`MethodCell`

A :class:`Designation` has ``format()`` (canonical text), ``key`` (edition lookup key, equal for
every spelling of the same edition), ``series_key`` (key without year, equal for all editions)
and ``undated()``.

Fields
------
``doc_type``  the issuing body or document kind, as in :data:`DOC_TYPES` (``"TCVN"``, ``"QCĐP"``,
              ``"ISO/IEC"``, ``"GB/T"``); joint bodies keep their slash (``"ISO/TS"``, ``"EN/IEC"``).
``prefix``    an adopted series printed between the body and the number: ``TCVN ISO/IEC 17025``
              (prefix ``ISO/IEC``), ``BS EN ISO 17892-1`` (doc_type ``BS``, prefix ``EN ISO``), the
              ministry number of a sector standard ``22 TCN 272-05`` (prefix ``22``), ``GOST R``
              (prefix ``R``), the Codex series (``STAN``, ``GL``, ``RCP``).
``number``    as printed, leading zeros kept (``QCVN 01``); GOST/IEEE sub-numbers keep their dot
              (``GOST 12730.1``); letter-number families keep the letter (``ASTM C39/C39M``,
              ``AASHTO T96``, ``JIS A1108``).
``part``      ``"1"``, ``"2-1"`` (IEC 60068-2-1), joined with ``-``.
``year``      always 4 digits.
``issuer_suffix``  ``/BYT``, ``/BXD``, ``/CĐBVN`` of QCVN, QCĐP, QCXDVN and TCCS, upper case.
``amendment`` Vietnamese "Sửa đổi 1:2016 QCVN 4:2009/BKHCN" -> ``"1:2016"``; European/IEC
              amendments keep their joiner ``"+A1:2016"``, ``"/AMD1:2016/COR1:2023"``; ASTM
              revision letters and editorial marks after the year -> ``"a"``, ``"e1"``.
``style``     printed choices that do not change the edition and that we cannot normalise without
              contradicting what the bodies themselves print (see below). Not compared, not in keys.

Rules
-----
1. Input is NFC-normalised; full-width forms, NBSP and other odd spaces, en/em dashes, minus
   signs, soft hyphens and U+FFFE (a line-end hyphen in some PDF text layers) become ASCII.
   ``parse`` accepts any letter case; ``find_all`` only upper-case bodies, because in running text
   lower-case ``en``/``bs``/``tb`` are words, not codes.
2. Spaces are optional between body and number (``TCXDVN314:2005``) and allowed around ``:`` before a
   4-digit year (``TCVN 5408 : 2007``). A code may be split by a line break after the body or after a
   dash (``GOST\\n12730.1-2020``, ``ISO 5735-\\n1:2024``).
3. ``:YYYY`` is always a year; ``:YY`` (no space) is an abbreviated year (``GOST 10180:12``).
4. Dashes after the number are parts, except a trailing dash group that is a year:
   - ``-NNNN`` with 1950 <= NNNN <= current year + 1 is a year (``TCVN 2682-1992``, ``GB/T 44413-2024``);
   - ``-NN`` (exactly 2 digits) is always a year for families that print 2-digit years (TCN,
     ASTM, AASHTO, ACI, GOST: ``22 TCN 272-05``, ``GOST 310.2-76``) and never for ISO/IEC/EN/BS
     (``IEC 60364-4-41``);
   - for Vietnamese codes ``-NN`` is a year only when it is the only dash group and NN is greater
     than the current 2-digit year, i.e. a 19NN year (``TCVN 1651-85``, ``TCVN 4449-87``).
     Vietnamese bodies stopped printing 2-digit years in the 1990s, while undated references to
     parts 10-26 are common (``TCVN 7572-10``, ``TCVN 8860-12`` in the lab and catalogue corpus),
     so ``TCVN 7572-12`` is part 12, not 2012;
   - anything else is a part (``TCVN 14134-5``, ``TCVN 6259-1:2003`` = part 1).
   - An abbreviated year NN (``:NN``, ``-NN`` as above) means 19NN if NN > the current 2-digit
     year, else 20NN (``TCVN 7496:05`` = 2005, ``22 TCN 272-05`` = 2005).
   The price: an undated Vietnamese code whose only part is a 2-digit number above the current
   2-digit year (``TCVN 6305-85``) reads as 1985; such a part can only be written with its year.
5. Canonical forms follow what each body prints:
   ``TCVN 3118:2022``, ``TCVN ISO/IEC 17025:2017``, ``QCVN 8-1:2011/BYT``, ``TCCS 09:2024/CĐBVN``,
   ``Sửa đổi 1:2016 QCVN 4:2009/BKHCN``, ``22 TCN 272-05``, ``ISO 6892-1:2019``, ``BS EN 12390-3:2019``,
   ``EN 15273-1:2013+A1:2016``, ``ASTM C39/C39M-21``, ``AASHTO T 96-02``, ``GOST 10180-2012``
   (``GOST 310.2-76`` before 2000, as GOST printed it), ``CODEX STAN 192-1995`` (``CXS 192-1995``
   parses to the same), ``JIS A 1108``, ``DIN 1048``.
   Style that is kept as printed (``style`` field): the space after the letter of AASHTO and JIS
   designations (``AASHTO T 176`` and ``AASHTO T133`` are both common, also in our labels), and the
   year separator of Chinese (GB, TB, CJJ, JGJ), IEEE, UIC and NFPA codes, which Vietnamese
   documents print with either ``-`` or ``:``.
6. ``Đ`` is kept in ``QCĐP`` and issuer suffixes such as ``CĐBVN``; keys fold ``đ`` to ``d``,
   lower-case, drop spaces and leading zeros of numbers (``QCVN 01`` ~ ``QCVN 1``).
7. ``find_all`` expands catalogue shorthands: ``TCVN 13937-1,2,3:2024`` (3 codes),
   ``TCVN 13695-1 đến 10:2023`` (10), ``TCVN 14552-1.2:2025`` (parts 1 and 2),
   ``QCVN 8-1/8-2:2011/BYT`` (2), ``TCVN 6284:1997 (các phần 1,2,3)`` (3),
   ``ASTM C143, C172`` / ``AASHTO T99,T180`` (2); a bracketed equivalent
   ``TCVN 5408:2007 (ISO 1461:1999)`` simply yields both codes.
8. Guards against look-alikes in running text: Chinese codes (GB, TB, CJJ, JGJ) need a number of
   3+ digits without a leading zero (``TB0001`` is an equipment id, "thiết bị"); ASTM letters are
   A-G; Vietnamese numbers are plain digits; issuer suffixes only follow QCVN, QCĐP, QCXDVN
   and TCCS, and are never a body name (``TCVN 5408:2007/ISO 1461`` is two codes).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache

from kb.text import clean, fold, is_digits, nfc

__all__ = [
    "DOC_TYPES",
    "Designation",
    "MethodCell",
    "canonical",
    "find_all",
    "iter_matches",
    "parse",
    "parse_method",
    "parse_query",
    "parse_whole",
]

DOC_TYPES: tuple[str, ...] = (
    # Vietnamese
    "TCVN", "QCVN", "QCĐP", "TCCS", "TCXDVN", "QCXDVN", "TCXD", "TCN",
    # international and regional
    "ISO", "IEC", "ISO/IEC", "EN", "CODEX", "ASTM", "GOST", "AASHTO",
    # national bodies seen in Vietnamese references and catalogues
    "BS", "DIN", "NF", "JIS", "ACI", "IEEE", "CLC", "UIC", "NFPA",
    "GB", "GB/T", "GB/Z", "TB", "TB/T", "CJJ", "CJJ/T", "JGJ", "JGJ/T",
    # European technical approval guidelines, cited undated in construction references ("ETAG 018")
    "ETAG",
    # for callers that classify documents with no recognisable designation; parse never returns it
    "other",
)

# Current year drives the 2-digit year pivot and the plausible-year window of rule 4.
_THIS_YEAR = datetime.date.today().year
_PIVOT = _THIS_YEAR % 100
_MAX_EXPANSION = 200  # "TCVN 1-1 đến 99999" must not explode

# ---------------------------------------------------------------------------------------------
# Families: how a body writes its years. Keyed by the first slash component of doc_type.

_VN = {"TCVN", "QCVN", "QCĐP", "TCCS", "TCXDVN", "QCXDVN", "TCXD"}
_COLON_YEAR = {"ISO", "IEC", "EN", "BS", "DIN", "NF", "CLC", "JIS"} | _VN
_YY_YEAR = {"TCN", "ASTM", "AASHTO", "ACI"}  # print "-YY"
_PRINTED_SEP = {"GB", "TB", "CJJ", "JGJ", "IEEE", "UIC", "NFPA", "ETAG"}  # keep ":" or "-" as printed
_DASH_YEAR2 = {"TCN", "ASTM", "AASHTO", "ACI", "GOST"}  # a trailing -NN is always a year
_LETTER_GAP = {"AASHTO", "JIS"}  # "T 96" / "T96" kept as printed
_CHINESE = {"GB", "TB", "CJJ", "JGJ"}
_ISSUED = {"QCVN", "QCĐP", "QCXDVN", "TCCS"}  # carry "/BYT", "/CĐBVN"
_BODIES = {"ISO", "IEC", "EN", "BS", "DIN", "NF", "ASTM", "GOST", "TCVN", "QCVN"}
_ADOPTING = _VN | {"ISO", "IEC", "EN", "BS", "DIN", "NF", "CLC", "GOST"}  # may carry a series prefix

_CODEX_SERIES = {  # printed head -> (prefix, canonical head)
    "CODEX STAN": "STAN", "CODEX STANDARD": "STAN", "CXS": "STAN",
    "CAC/GL": "GL", "CXG": "GL", "CAC/RCP": "RCP", "CXC": "RCP",
}
_CODEX_HEAD = {"STAN": "CODEX STAN", "GL": "CAC/GL", "RCP": "CAC/RCP"}

_HEAD_ALIASES = {"QCDP": "QCĐP", "AASTHO": "AASHTO", "ГОСТ": "GOST"}
_ISSUER_ALIASES = {"CDBVN": "CĐBVN", "TCDBVN": "TCĐBVN"}


def _family(doc_type: str) -> str:
    return doc_type.split("/", 1)[0]


# ---------------------------------------------------------------------------------------------
# Normalisation. A str.translate table keeps the text the same length, so match offsets from
# iter_matches still point into the (NFC) input.

_TRANSLATE = {c: " " for c in (0x00A0, 0x1680, 0x180E, 0x202F, 0x205F, 0x3000, 0xFEFF)}
_TRANSLATE.update({c: " " for c in range(0x2000, 0x200C)})
_TRANSLATE.update({c: "-" for c in (0x00AD, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015,
                                    0x2212, 0xFE58, 0xFE63, 0xFFFE)})
_TRANSLATE.update({c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})  # full-width ASCII
_TRANSLATE[0x03B5] = "e"  # ASTM editorial mark printed as ε1
_TRANSLATE[0x0420] = "R"  # Cyrillic Р in "ГОСТ Р"


def _normalise(text: str) -> str:
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.translate(_TRANSLATE)


def _fold(s: str) -> str:
    return re.sub(r"\s+", "", s).replace("Đ", "D").replace("đ", "d").lower()


def _strip_zeros(s: str) -> str:
    return re.sub(r"(?<!\d)0+(?=\d)", "", s)


def _year4(yy: str) -> str:
    if len(yy) == 4:
        return yy
    n = int(yy)
    return str(1900 + n if n > _PIVOT else 2000 + n)


def _plausible_year(s: str) -> bool:
    return len(s) == 4 and 1950 <= int(s) <= _THIS_YEAR + 1


# ---------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class Designation:
    doc_type: str
    number: str
    part: str | None = None
    year: str | None = None
    issuer_suffix: str | None = None
    prefix: str | None = None
    amendment: str | None = None
    # Printed choices that are not part of the identity (rule 5): "-"/":" year separator for
    # _PRINTED_SEP families, " " for a letter gap in AASHTO/JIS numbers.
    style: str = field(default="", compare=False, repr=False)

    # -- text ---------------------------------------------------------------------------------
    def format(self) -> str:
        fam = _family(self.doc_type)
        number = self.number
        if fam in _LETTER_GAP and " " in self.style:
            number = re.sub(r"^([A-Z]+)(\d)", r"\1 \2", number)

        if fam == "CODEX":
            head = _CODEX_HEAD.get(self.prefix or "STAN", "CODEX " + (self.prefix or "STAN"))
        elif fam == "TCN":
            head = f"{self.prefix} TCN" if self.prefix else "TCN"
        else:
            head = f"{self.doc_type} {self.prefix}" if self.prefix else self.doc_type
        s = f"{head} {number}"
        if self.part:
            s += f"-{self.part}"
        if self.year:
            if fam in _YY_YEAR:
                s += f"-{self.year[2:]}"
            elif fam == "GOST":
                s += f"-{self.year[2:]}" if self.year < "2000" else f"-{self.year}"
            elif fam == "CODEX":
                s += f"-{self.year}"
            elif fam in _PRINTED_SEP:
                s += (":" if ":" in self.style else "-") + self.year
            else:
                s += f":{self.year}"
        if self.amendment and fam not in _VN:  # "+A1:2016", "/AMD1:2016", ASTM "a"
            s += self.amendment
        if self.issuer_suffix:
            s += f"/{self.issuer_suffix}"
        if self.amendment and fam in _VN:
            s = f"Sửa đổi {self.amendment} {s}"
        return s

    def __str__(self) -> str:
        return self.format()

    def undated(self) -> Designation:
        """The same series without year; an amendment or revision mark only exists for a dated
        edition, so it goes too."""
        return replace(self, year=None, amendment=None)

    # -- keys -----------------------------------------------------------------------------------
    def _base_key(self) -> str:
        s = _fold(self.doc_type)
        if self.prefix and _family(self.doc_type) == "TCN":
            s = _fold(self.prefix) + s  # "22tcn272", never "tcn22272"
        elif self.prefix:
            s += _fold(self.prefix)
        s += _strip_zeros(_fold(self.number))
        if self.part:
            s += "-" + _strip_zeros(self.part)
        return s

    @property
    def key(self) -> str:
        s = self._base_key()
        if self.year:
            s += ":" + self.year
        if self.issuer_suffix:
            s += "/" + _fold(self.issuer_suffix)
        if self.amendment:
            s += "+" + _fold(self.amendment).lstrip("+")
        return s

    @property
    def series_key(self) -> str:
        s = self._base_key()
        if self.issuer_suffix:
            s += "/" + _fold(self.issuer_suffix)
        return s


# ---------------------------------------------------------------------------------------------
# Grammar. One head regex finds where a designation may start; a tail regex per kind of numbering
# reads the rest at that position. Both are precompiled twice: case-sensitive for running text,
# case-insensitive for parse(). Inline (?i:...) marks words that are lower case in print.

_INTL_QUAL = r"(?:/(?:EN|ISO|IEC|IEEE|ASTM|TS|TR|PAS|IS|ASHRAE))*"
_HEAD = r"""
(?<!\w)(?<![A-Za-z]/)
(?:(?P<amd>(?i:sửa\s+đổi|sua\s+doi|SĐ))\s*(?P<amd_no>\d+)\s*:\s*(?P<amd_year>\d{4})\s+)?
(?:(?P<tcn_prefix>\d{1,3})[ ]?(?=TCN\b))?
(?P<head>
    TCXDVN|QCXDVN|TCVN|QCVN|QCĐP|QCDP|TCCS|TCXD|TCN
  | CODEX[ ]+STAN(?:DARD)?|CXS|CXG|CXC|CAC/GL|CAC/RCP
  | GB/T|GB/Z|GB|TB/T|TB|CJJ/T|CJJ|JGJ/T|JGJ
  | ASTM|AASHTO|AASTHO|JIS|GOST|ГОСТ|ACI|NFPA|ETAG|UIC(?:[ ]+Code)?
  | (?:BS|DIN|NF|EN|ISO|IEC|CLC|IEEE)""" + _INTL_QUAL + r"""
)
(?![^\W\d_])
"""

# Numbered families. Parts come as "-1", "- 1", "-\n1"; shorthand siblings (",2,3", ".2",
# "/8-2", "đến 10") are captured separately so parse() can refuse them and find_all expand them.
_NUM_TAIL = r"""
(?P<adopt>(?:(?:[ ]+|-)(?:EN|ISO|IEC)(?:/(?:IEC|TS|TR|PAS|IEEE|ASTM))*|[ ]+R(?=[ ]))*)
(?:[ ]+(?i:std)\.?)?
\s*(?P<num>\d+(?:\.\d+)*)
(?:
  (?P<parts>(?:-\s{0,2}\d+(?![\d.]*[A-Za-z]))+)
  (?P<alts>(?:\.\d+(?![\d.])|\s*,\s*\d+(?:-\s{0,3}\d+)*|/\d+(?:-\d+)+)*)
  (?:\s+(?i:đến|to)\s+(?P<upto>\d+))?
)?
(?:\s*:\s*(?P<year4>\d{4})(?!\d)|:(?P<year2>\d{2})(?!\d))?
(?P<amend>(?:\s?[+/]\s?(?:A|AMD|COR|AC)\d+(?::\d{4})?(?![\d\w]))*)
(?:\s*/\s*(?P<issuer>[A-ZĐ][A-ZĐ&]{1,11})(?![\w]))?
(?P<cacphan>\s*\(\s*(?i:các\s+phần)(?P<cp>[^()]{0,120})\)?)?
"""

# Letter-number families: ASTM C39/C39M-21, AASHTO T 96-02, JIS A 1108:2018.
_LETTER_TAIL = r"""
(?:\s*|-)
(?P<letter>[A-Z]{1,2})(?P<gap>[ ]?)(?P<digits>\d+(?:\.\d+)?)
(?P<metric>/[A-Z]?\d+M|/M|M)?
(?:-(?P<jpart>\d+)(?=:))?
(?:\s*-\s?(?P<dyear>\d{4}|\d{2})(?P<rev>[a-e]?(?:e\d)?)(?!\w)|\s*:\s*(?P<cyear4>\d{4})(?!\d)|:(?P<cyear2>\d{2})(?!\d))?
"""
_LETTER_CONT = r"\s*,\s*(?=[A-Z]{1,2}[ ]?\d)"


def _compile(pattern: str, ci: bool) -> re.Pattern[str]:
    return re.compile(pattern, re.VERBOSE | (re.IGNORECASE if ci else 0))


_RX = {
    ci: (_compile(_HEAD, ci), _compile(_NUM_TAIL, ci), _compile(_LETTER_TAIL, ci), _compile(_LETTER_CONT, ci))
    for ci in (False, True)
}


def _canonical_head(raw: str) -> tuple[str, str | None]:
    """Printed head -> (doc_type, prefix-from-head)."""
    h = re.sub(r"\s+", " ", raw.upper())
    if h in _CODEX_SERIES:
        return "CODEX", _CODEX_SERIES[h]
    if h.startswith("UIC"):
        return "UIC", None
    return _HEAD_ALIASES.get(h, h), None


def _split_parts(s: str) -> list[str]:
    return [p for p in re.split(r"\s*-\s*", s.strip().lstrip("-").strip()) if p]


def _cacphan_items(text: str) -> list[str]:
    """'(các phần 1-6)', '(các phần: từ 1 đến 23, 25, 29)', '(các phần 1, 2, 3, 4, 5- 3)'."""
    text = re.sub(r"(?i)\btừ\b|:", " ", text)
    out: list[str] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        m = re.fullmatch(r"(?i)(\d+)\s*(?:-|đến)\s*(\d+)", item)
        if m and int(m[2]) > int(m[1]):
            out += [str(i) for i in range(int(m[1]), min(int(m[2]), int(m[1]) + _MAX_EXPANSION) + 1)]
        elif m:
            out.append(f"{m[1]}-{m[2]}")  # "5- 3" is part 5-3, not a backwards range
        elif re.fullmatch(r"\d+", item):
            out.append(item)
        else:
            return []  # "(các phần)" or prose: refer to the whole series
    return out


class _Match:
    __slots__ = ("start", "end", "items", "shorthand")

    def __init__(self, start: int, end: int, items: list[Designation], shorthand: bool):
        self.start, self.end, self.items, self.shorthand = start, end, items, shorthand


def _read_numbered(text: str, hm: re.Match[str], doc_type: str, head_prefix: str | None,
                   ci: bool) -> _Match | None:
    m = _RX[ci][1].match(text, hm.end())
    if not m:
        return None
    fam = _family(doc_type)
    end = m.end()
    adopt = m["adopt"].replace("-", " ").upper().split()
    if fam == "GOST":
        adopt = [a for a in adopt if a == "R"]
    elif "R" in adopt:
        return None  # "R" only qualifies GOST
    if adopt and fam not in _ADOPTING:
        return None
    prefix = head_prefix
    if adopt:
        prefix = " ".join(adopt)
    if fam == "TCN":
        prefix = hm["tcn_prefix"]

    number = m["num"]
    if fam in _VN and "." in number:
        return None
    parts = _split_parts(m["parts"] or "")
    year = m["year4"] or (_year4(m["year2"]) if m["year2"] else None)
    style = ""
    if year:
        style = ":"
    alts, upto = m["alts"] or "", m["upto"]

    # Rule 4: a trailing dash group may be the year.
    if not year and parts and not alts and not upto:
        last = parts[-1]
        if _plausible_year(last) or (len(last) == 2 and (
                fam in _DASH_YEAR2 or (fam in _VN and len(parts) == 1 and int(last) > _PIVOT))):
            year = _year4(last)
            parts = parts[:-1]
            style = "-"
    issuer = m["issuer"]
    if issuer and (fam not in _ISSUED or issuer.upper() in _BODIES):
        # Not an issuer ("TCVN 5408:2007/ISO ...", "DIN EN 1997-2/NA"): the code ends at the slash.
        end = m.start("issuer") - 1
        while text[end] != "/":
            end -= 1
        issuer = None
    if issuer:
        issuer = issuer.upper()
        issuer = _ISSUER_ALIASES.get(issuer, issuer)
    amendment = None
    if hm["amd"]:
        if fam not in _VN:
            return None
        amendment = f"{int(hm['amd_no'])}:{hm['amd_year']}"
    elif m["amend"] and fam in _VN:
        # "+A1"-style amendments are European; a Vietnamese code ends before them.
        end, issuer = m.start("amend"), None
    elif m["amend"]:
        amendment = re.sub(r"\s+", "", m["amend"]).upper()
    if fam in _VN | {"TCN"} and not is_digits(number):
        return None
    if fam in _CHINESE and (number.startswith("0") or len(number) < 3):
        return None  # "TB0001" is an equipment id (thiết bị), not a railway standard

    base = Designation(doc_type=doc_type, number=number, part="-".join(parts) or None, year=year,
                       issuer_suffix=issuer, prefix=prefix, amendment=amendment,
                       style=style if fam in _PRINTED_SEP else "")

    items = [base]
    shorthand = False
    if alts or upto:
        shorthand = True
        items = _expand_siblings(base, alts, upto)
    if m["cacphan"]:
        subs = _cacphan_items(m["cp"])
        shorthand = True
        if subs:
            items = [replace(d, part=f"{d.part}-{p}" if d.part else p) for d in items for p in subs]
    return _Match(hm.start(), end, items, shorthand)


def _expand_siblings(base: Designation, alts: str, upto: str | None) -> list[Designation]:
    items = [base]
    for tok in re.findall(r"[.,]\s*\d+(?:-\s*\d+)*|/\d+(?:-\d+)+", alts):
        if tok.startswith("/"):  # QCVN 8-1/8-2: a sibling with its own number
            num, *rest = tok[1:].split("-")
            items.append(replace(base, number=num, part="-".join(rest)))
        else:
            items.append(replace(base, part="-".join(_split_parts(tok[1:]))))
    if upto and base.part and is_digits(base.part):
        lo, hi = int(items[-1].part or 0), int(upto)
        for p in range(lo + 1, min(hi, lo + _MAX_EXPANSION) + 1):
            items.append(replace(base, part=str(p)))
    return items


def _read_letter(text: str, hm: re.Match[str], doc_type: str, ci: bool) -> _Match | None:
    rx_tail, rx_cont = _RX[ci][2], _RX[ci][3]
    fam = doc_type
    items: list[Designation] = []
    pos = end = hm.end()
    while True:
        m = rx_tail.match(text, pos)
        if not m:
            break
        letter = m["letter"].upper()
        if fam == "ASTM" and (len(letter) != 1 or letter > "G"):
            break
        if fam == "JIS" and len(letter) != 1:
            break
        number = letter + m["digits"] + (m["metric"] or "").upper()
        year = (m["dyear"] and _year4(m["dyear"])) or m["cyear4"] or (m["cyear2"] and _year4(m["cyear2"])) or None
        rev = (m["rev"] or "").lower() or None
        if fam != "ASTM" and rev:
            break
        items.append(Designation(doc_type=fam, number=number, part=m["jpart"], year=year,
                                 amendment=rev, style=" " if (m["gap"] and fam in _LETTER_GAP) else ""))
        end = m.end()
        c = rx_cont.match(text, end) if fam in ("ASTM", "AASHTO") else None
        if not c:
            break
        pos = c.end()
    if not items:
        return None
    return _Match(hm.start(), end, items, len(items) > 1)


def _scan(text: str, ci: bool, start: int = 0, anchored: bool = False) -> Iterator[_Match]:
    rx_head = _RX[ci][0]
    pos = start
    n = len(text)
    while pos < n:
        hm = rx_head.match(text, pos) if anchored else rx_head.search(text, pos)
        if not hm:
            return
        doc_type, head_prefix = _canonical_head(hm["head"])
        fam = _family(doc_type)
        if fam in ("ASTM", "AASHTO", "JIS"):
            res = _read_letter(text, hm, doc_type, ci) if not hm["amd"] else None
        else:
            res = _read_numbered(text, hm, doc_type, head_prefix, ci)
        if res is None:
            if anchored:
                return
            pos = hm.start("head") + 1
            continue
        yield res
        if anchored:
            return
        pos = res.end


# ---------------------------------------------------------------------------------------------
# Public functions


def iter_matches(text: str) -> Iterator[tuple[int, int, list[Designation]]]:
    """``(start, end, designations)`` for every code in ``text``; offsets index the NFC text.
    One span yields several designations when it is a shorthand (``TCVN 13937-1,2,3:2024``)."""
    for m in _scan(_normalise(text), ci=False):
        yield m.start, m.end, m.items


def find_all(text: str) -> list[Designation]:
    """Every designation in free text, in order, shorthands expanded (module docstring, rule 7)."""
    out: list[Designation] = []
    for m in _scan(_normalise(text), ci=False):
        out.extend(m.items)
    return out


_TRAILING_JUNK = " \t\r\n.,;"


@lru_cache(maxsize=65_536)  # a standard's code is parsed again for each of its keys, series and relations
def parse(text: str) -> Designation | None:
    """Exactly one designation, any letter case; ``None`` for anything else, including lists and
    shorthands that stand for several codes. (A ``Designation`` is frozen: the cached one can be shared.)"""
    if not text:
        return None
    s = re.sub(r"\s+", " ", _normalise(text)).strip(_TRAILING_JUNK)
    for m in _scan(s, ci=True, anchored=True):
        if m.end == len(s) and not m.shorthand and len(m.items) == 1:
            return m.items[0]
    return None


def canonical(text: str) -> str | None:
    d = parse(text)
    return d.format() if d else None


_QUERY = re.compile(
    r"""(?P<type>[^\W\d_]+)?\s*
        (?P<nums>\d+(?:\.\d+)*(?:\s*[-:_/ ]\s*\d+(?:\.\d+)*)*)
        (?:\s*/\s*(?P<issuer>[^\W\d_]+))?""",
    re.VERBOSE | re.IGNORECASE,
)
_QUERY_TYPES = {"TCVN", "QCVN", "QCĐP", "QCDP", "TCCS", "TCXDVN", "QCXDVN", "TCXD",
                "ISO", "IEC", "EN", "BS", "DIN", "GOST", "CODEX"}


def _query_interpretations(doc_type: str, nums: list[str], issuer: str | None) -> list[Designation]:
    fam = _family(doc_type)
    if fam in _VN and "." in nums[0]:
        nums = nums[0].split(".") + nums[1:]
    number, rest = nums[0], nums[1:]
    shapes: list[tuple[list[str], str | None]] = []
    if rest and (_plausible_year(rest[-1]) or len(rest[-1]) == 2):
        shapes.append((rest[:-1], _year4(rest[-1])))
    if not rest or not _plausible_year(rest[-1]):
        shapes.append((rest, None))
    out = []
    for parts, year in shapes:
        if any(not is_digits(p) for p in parts):
            continue
        iss = issuer.upper() if issuer and fam in _VN else None
        out.append(Designation(doc_type=doc_type, number=number, part="-".join(parts) or None,
                               year=year, issuer_suffix=_ISSUER_ALIASES.get(iss or "", iss)))
    return out


def parse_query(text: str) -> list[Designation]:
    """Interpretations of a user's search string, best first; ``[]`` if it is not a code.

    ``tcvn3118``, ``TCVN 3118 : 2022``, ``qcvn 8 1 2011`` (-> QCVN 8-1:2011, issuer unknown),
    ``3118-2022`` (no body: TCVN first, then QCVN), ``ISO 1461``. Digit groups may be separated by
    spaces, ``-``, ``:``, ``_`` or ``/``; the last group is a year when it looks like one (rule 4,
    plus 2-digit groups, whose reading as a part is offered second). Text that merely contains
    codes (``TCVN 3118 bê tông``) yields the codes found in it.
    """
    if not text or not text.strip():
        return []
    s = re.sub(r"\s+", " ", _normalise(text)).strip(_TRAILING_JUNK)
    out: list[Designation] = []
    d = parse(s)
    if d:
        out.append(d)
    m = _QUERY.fullmatch(s)
    if m:
        raw_type = (m["type"] or "").upper()
        if raw_type:
            types = [_HEAD_ALIASES.get(raw_type, raw_type)]
        else:  # an issuer suffix ("8-1/BYT") belongs to a regulation, so QCVN goes first
            types = ["QCVN", "TCVN"] if m["issuer"] else ["TCVN", "QCVN"]
        if all(t in _QUERY_TYPES for t in types):
            nums = [n for n in re.split(r"[-:_/ ]+", m["nums"]) if n]
            for t in types:
                out += _query_interpretations(t, nums, m["issuer"])
    if not out:
        out = find_all(s)
        if not out:
            out = [d for m in _scan(s, ci=True) for d in m.items]
    return list(dict.fromkeys(out))  # first interpretation of each, in order


# ---------------------------------------------------------------------------------------------
# Method cells: the test-method column of a lab's scope and of a standard's criteria table.

@dataclass(frozen=True)
class MethodCell:
    """A method cell read through the designation grammar: the text to store, the codes it cites and the
    parts that are not a designation (kept as typed, flagged on the lab's page)."""

    text: str | None
    codes: list[str] = field(default_factory=list)
    series: str = ""
    unrecognised: list[str] = field(default_factory=list)


def _method_skeleton(s: str) -> str:
    return "".join(ch for ch in fold(s) if ch.isalnum())


def parse_whole(piece: str) -> Designation | None:
    """``piece`` when the whole of it is one designation, written formally or loosely (``tcvn 7570 2006``).

    A loose reading (the grammar's interpretations of a typed query) counts only when it spells exactly the
    letters and digits typed, so a bare number never gets a body and text around a code is not swallowed.
    """
    d = parse(piece)
    if d is not None:
        return d
    skeleton = _method_skeleton(piece)
    return next((q for q in parse_query(piece) if _method_skeleton(q.format()) == skeleton), None)


def _canonical_spans(piece: str) -> tuple[str, list[Designation]]:
    """Codes written formally inside other text: each rewritten canonically, the text around kept."""
    out, found, pos = [], [], 0
    for start, end, items in iter_matches(piece):
        out.append(piece[pos:start])
        out.append(items[0].format() if len(items) == 1 else piece[start:end])  # a shorthand stays as printed
        found.extend(items)
        pos = end
    out.append(piece[pos:])
    return "".join(out), found


def _method_parts(text: str) -> list[str]:
    """The cell cut at ``;`` and line breaks, except a line break inside a code (``GOST\\n12730.1-2020``, as
    PDF tables wrap them)."""
    inside = [(start, end) for start, end, _ in iter_matches(text)]
    parts, last = [], 0
    for m in re.finditer(r"[;\n\r]+", text):
        if not any(start < m.start() < end for start, end in inside):
            parts.append(text[last:m.start()])
            last = m.end()
    parts.append(text[last:])
    return parts


def parse_method(text: str | None) -> MethodCell:
    """Normalise a method cell (form, API and scope file alike): ``tcvn 7570 2006``, ``TCVN7570:2006``,
    ``tcvn 7570-2006`` → ``TCVN 7570:2006``.

    The cell is read in parts separated by ``;`` or line breaks (``,`` too when every piece is a code);
    a part that is not a designation is kept as typed and listed in ``unrecognised``. Applying it to its
    own output changes nothing, so an exported scope re-imports unchanged.
    """
    parts_out: list[str] = []
    found: list[Designation] = []
    unrecognised: list[str] = []
    for raw in _method_parts(nfc(text or "")):
        part = clean(raw)
        if not part:
            continue
        d = parse_whole(part)
        if d is not None:
            parts_out.append(d.format())
            found.append(d)
            continue
        pieces = [clean(p) for p in part.split(",")]
        many = [parse_whole(p) for p in pieces] if len(pieces) > 1 else []
        if many and all(many):
            parts_out.append(", ".join(m.format() for m in many if m))
            found.extend(m for m in many if m)
            continue
        rewritten, inside = _canonical_spans(part)
        parts_out.append(rewritten)
        found.extend(inside)
        if not inside:
            unrecognised.append(part)
    code_list: list[str] = []
    series: list[str] = []
    for d in found:
        if d.format() not in code_list:
            code_list.append(d.format())
        if d.series_key not in series:
            series.append(d.series_key)
    return MethodCell("; ".join(parts_out) or None, code_list, f"|{'|'.join(series)}|" if series else "",
                      unrecognised)
