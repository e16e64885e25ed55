"""Extract the label fields of a standard / regulation from its page texts."""

from __future__ import annotations

FIELDS = (
    "kind", "code", "doc_type", "number", "part", "year", "issuer_suffix", "title_vi",
    "title_vi_normalised", "title_en", "edition", "revision", "replaces", "converted_from",
    "equivalence", "drafted_by", "proposed_by", "appraised_by", "published_by", "submitted_by",
    "normative_references", "sections", "annexes", "scope_first_sentence", "ics",
)


def extract_fields(pages: list[str]) -> dict:  # stub: real extractor follows
    out: dict = {f: None for f in FIELDS}
    out.update(kind="other", replaces=[], converted_from=[], normative_references=[], sections=[],
               annexes=[], provenance={})
    return out
