"""Field-by-field scoring of ``extract_fields`` against labels (corpus labels and generated ones).

Comparison: strings after ``kb.text.clean`` (NFC, single spaces), lists element by element in order,
``equivalence`` as relation + code list, ``annexes`` as id + status + title, numbers as integers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict

from kb.records import ExtractedStandard
from kb.text import clean

# Every label field a document's extraction is scored on, in table order.
SCORED_FIELDS = (
    "kind", "code", "doc_type", "number", "part", "year", "issuer_suffix", "title_vi", "title_vi_normalised",
    "title_en", "edition", "revision", "replaces", "converted_from", "equivalence", "drafted_by", "proposed_by",
    "appraised_by", "published_by", "submitted_by", "normative_references", "sections", "annexes",
    "scope_first_sentence", "ics",
)


def _norm(value):
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict) and "id" in value:
        return {k: _norm(value.get(k)) for k in ("id", "status", "title")}
    if isinstance(value, dict):
        return {"relation": value.get("relation"), "codes": _norm(value.get("codes") or [])}
    return value


def score_fields(label: dict, extracted: ExtractedStandard, fields=SCORED_FIELDS) -> dict:
    """{field: (ok, expected, got)} for the ``fields`` the label carries."""
    got = asdict(extracted)
    out = {}
    for field in fields:
        if field not in label:
            continue
        expected, actual = _norm(label[field]), _norm(got.get(field))
        out[field] = (expected == actual, expected, actual)
    return out


class Tally:
    """Per-field counts and the misses, over many documents."""

    def __init__(self) -> None:
        self.per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.misses: list[str] = []

    def add(self, name: str, scored: dict) -> None:
        for field, (ok, expected, actual) in scored.items():
            self.per_field[field][0] += ok
            self.per_field[field][1] += 1
            if not ok:
                self.misses.append(f"{name} {field}: expected {expected!r} got {actual!r}")

    @property
    def accuracy(self) -> float:
        ok = sum(v[0] for v in self.per_field.values())
        n = sum(v[1] for v in self.per_field.values())
        return ok / n if n else 0.0

    def table(self) -> str:
        order = SCORED_FIELDS + ("text_layer",)
        rows = [f"{'field':<22}{'correct':>8}{'total':>7}{'accuracy':>10}"]
        for field in sorted(self.per_field, key=order.index):
            ok, n = self.per_field[field]
            rows.append(f"{field:<22}{ok:>8}{n:>7}{ok / n:>10.1%}")
        ok = sum(v[0] for v in self.per_field.values())
        n = sum(v[1] for v in self.per_field.values())
        rows.append(f"{'ALL':<22}{ok:>8}{n:>7}{ok / n:>10.1%}")
        return "\n".join(rows)
