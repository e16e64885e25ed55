"""How much to trust each extracted field: one table, rule that found it → base confidence (0–1).

The designation is graded by agreement instead (``code_confidence``): the places where a document
names itself are the cover (or the code line over the title), the running header and the foreword
statement. Two of them naming the same designation → 1.0; one alone → its base below; another
designation also voted for → scaled by the winner's share of the votes. Fields read from the
designation (doc_type, number, ...) and a kind decided by it share its confidence.

A curator's review queue reads ``Provenance.confidence``: low values go to a person first.
"""

from __future__ import annotations

from kb.records import Provenance

#: Rule (the start of ``Provenance.method``) → base confidence. First matching prefix wins.
METHOD_CONFIDENCE: tuple[tuple[str, float], ...] = (
    # designation, one source alone (see code_confidence)
    ("cover/heading code line", 0.8),
    ("foreword subject", 0.7),
    ("running header", 0.6),
    # titles
    ("cover block after designation", 0.9),
    ("repeated header box", 0.8),
    ("English lines after cover title", 0.8),
    ("title under first body heading", 0.8),
    ("first upper-case block", 0.6),
    ("title under the first body heading", 0.5),
    ("sentence case of title_vi", 0.6),
    # kind without a designation
    ("title genre", 0.8),
    ("numbered designation rows", 0.8),
    ("title: ", 0.7),
    ("title", 0.6),
    ("body: ", 0.5),
    ("default", 0.3),
    # cover statements, foreword, clauses
    ("cover '", 0.9),
    ("foreword", 0.9),
    ("statement naming the designation", 0.7),
    ("clause 'Tài liệu viện dẫn'", 0.9),
    ("numbered headings in sequence", 0.8),
    ("'Phụ lục X' headings", 0.8),
    ("scope clause", 0.9),
    ("first sentence of scope clause", 0.9),
    ("opening 'Tiêu chuẩn này' paragraph", 0.7),
    ("'ICS' line", 0.9),
)
#: A rule not in the table.
UNKNOWN = 0.5
#: Places that name the document, by the method of their vote.
SOURCE_OF = {"cover/heading code line": "cover", "running header": "header", "foreword subject": "foreword"}


def method_confidence(method: str | None) -> float:
    for prefix, value in METHOD_CONFIDENCE:
        if method and method.startswith(prefix):
            return value
    return UNKNOWN


def code_confidence(sources: set[str], share: float) -> float:
    """The designation's confidence: ``sources`` that named it (cover, header, foreword), ``share`` of
    all designation votes that went to it."""
    if len(sources) >= 2:
        base = 1.0
    else:
        base = max((method_confidence(m) for m, s in SOURCE_OF.items() if s in sources), default=UNKNOWN)
    return round(base * share, 2)


def grade(provenance: dict[str, Provenance]) -> None:
    """Fill in the confidence of every field whose rule has not set it."""
    for p in provenance.values():
        if p.confidence is None:
            p.confidence = method_confidence(p.method)
