"""What reading a file produces, defined once: the extracted standard, lab declaration and catalogue
records, criteria rows, and the per-file ingest result that carries them.

``ingest/`` fills these in (worker processes send them to the parent by pickle, which dataclasses
survive); ``kb.documents`` stores them; ``IngestResult.to_json`` is the ``kb ingest --json`` line. Every
extracted value keeps the page it came from and how it was found (``Provenance``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from kb.text import clean, sentence_case

#: Kinds of document that carry a designation of their own.
STANDARD_KINDS = ("standard", "regulation")


@dataclass
class Provenance:
    """Where an extracted value was found: page (1-based), the rule that found it, and how much that
    rule is trusted (0–1; graded in ``ingest.extract.confidence``, None when nothing graded it)."""

    page: int | None
    method: str | None
    confidence: float | None = None


@dataclass
class FieldValue:
    """One extracted value with its provenance."""

    value: Any
    page: int | None
    method: str | None
    confidence: float | None = None


@dataclass
class Equivalence:
    """Adoption of other standards: ``relation`` is IDT / MOD / NEQ / reference."""

    relation: str | None = None
    codes: list[str] = field(default_factory=list)


@dataclass
class Annex:
    id: str
    status: str | None = None
    title: str | None = None


@dataclass
class ExtractedStandard:
    """The label fields of a standard or regulation as read from its pages (see the corpus README)."""

    kind: str | None = None
    code: str | None = None
    doc_type: str | None = None
    number: str | None = None
    part: str | None = None
    year: int | None = None
    issuer_suffix: str | None = None
    title_vi: str | None = None
    title_vi_normalised: str | None = None
    title_en: str | None = None
    #: A number as printed on the cover; text when read back from a stored standard.
    edition: int | str | None = None
    revision: int | None = None
    replaces: list[str] = field(default_factory=list)
    converted_from: list[str] = field(default_factory=list)
    equivalence: Equivalence = field(default_factory=Equivalence)
    drafted_by: str | None = None
    proposed_by: str | None = None
    appraised_by: str | None = None
    published_by: str | None = None
    submitted_by: str | None = None
    normative_references: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    annexes: list[Annex] = field(default_factory=list)
    #: The scope clause as printed (``kb.models.Standard.scope`` keeps its first sentence).
    scope: str | None = None
    scope_first_sentence: str | None = None
    ics: str | None = None
    provenance: dict[str, Provenance] = field(default_factory=dict)

    def field(self, name: str) -> FieldValue:
        """The value of ``name`` with where it was found."""
        p = self.provenance.get(name)
        return FieldValue(getattr(self, name), p.page if p else None, p.method if p else None,
                          p.confidence if p else None)

    def display_title(self) -> str | None:
        """Sentence case as printed on the first body page, else the printed title in sentence case."""
        if self.title_vi_normalised:
            return clean(self.title_vi_normalised)
        t = self.title_vi
        if not t:
            return None
        return sentence_case(t) if t.isupper() else clean(t)

    def drop_identity(self) -> None:
        """Forget the designation (it did not survive ``kb.codes``)."""
        self.code = self.doc_type = self.number = self.part = self.issuer_suffix = None
        self.year = None


#: The label fields ``ExtractedStandard`` holds, in schema order (provenance aside).
FIELDS = tuple(f.name for f in fields(ExtractedStandard) if f.name != "provenance")
#: The document's own designation: printed only when it has one.
_IDENTITY = ("code", "doc_type", "number", "part", "year", "issuer_suffix")
_LIST_FIELDS = ("replaces", "converted_from", "normative_references", "sections")
#: What any document may state of itself, printed whether or not it has a designation.
_STATED = ("title_en", "edition", "replaces", "equivalence", "converted_from", "drafted_by", "proposed_by",
           "appraised_by", "published_by", "normative_references", "sections", "ics", "scope", "scope_first_sentence")
#: The label fields of the corpus schema (``../shared/corpus/README.md``), in its order, plus criteria rows.
LABEL_FIELDS = ("kind", *_IDENTITY, "title_vi", *_STATED, "criteria")
#: Keys of one ``kb ingest --json`` result: the same for every file, whatever its kind or status.
#: ``confidence`` maps each label field found to its ``Provenance.confidence``.
OUTPUT_FIELDS = ("file", "status", *LABEL_FIELDS, "confidence", "pages", "error")


@dataclass
class CriterionRow:
    """One row of a standard's criteria table (Chỉ tiêu | Mức | Phương pháp thử)."""

    position: int
    name: str
    requirement: str | None = None
    unit: str | None = None
    method: str | None = None
    method_code: str | None = None
    page: int | None = None


@dataclass
class LabHeader:
    """A lab as its declaration prints it on the first pages."""

    name: str | None = None
    organization: str | None = None
    accreditation: str | None = None
    accreditation_body: str | None = None
    accreditation_number: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None

    def values(self) -> dict[str, Any]:
        """The fields printed (absent ones left out)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ScopeRow:
    """One row of a lab's capability table: material × test × range × method."""

    position: int
    test: str
    material: str | None = None
    range: str | None = None
    method: str | None = None
    method_codes: list[str] = field(default_factory=list)
    page: int | None = None
    equipment: str | None = None


@dataclass
class LabDeclaration:
    lab: LabHeader
    scope: list[ScopeRow] = field(default_factory=list)
    #: Material groups in printed order.
    groups: list[str] = field(default_factory=list)


@dataclass
class CatalogueCode:
    code: str
    title: str


@dataclass
class CatalogueEntry:
    """One numbered row of a catalogue: designations as printed and as read."""

    stt: str
    code_raw: str
    title: str
    page: int
    section: str | None = None
    section_title: str | None = None
    codes: list[CatalogueCode] = field(default_factory=list)
    equivalents: list[str] = field(default_factory=list)


@dataclass
class Catalogue:
    entries: list[CatalogueEntry] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    title: str | None = None
    published_by: str | None = None


@dataclass
class IngestResult:
    """One file through ingest: what the worker read and, after storing, how it went."""

    path: Path
    status: str  # an IngestStatus value
    error: str | None = None
    sha256: str | None = None
    page_count: int = 0
    legacy_font: str | None = None
    ocr: bool = False
    kind: str | None = None
    #: Page texts (index 0 = page 1), cut to the per-page limit.
    pages: list[str] = field(default_factory=list)
    #: The label fields read from the pages (any kind of document).
    standard: ExtractedStandard | None = None
    #: A standard's own designation was found (decided before storing).
    designated: bool = False
    criteria: list[CriterionRow] | None = None
    lab: LabDeclaration | None = None
    catalogue: Catalogue | None = None
    #: The title shown for the document.
    title_vi: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``kb ingest --json`` line: keys ``OUTPUT_FIELDS``, ``None`` / ``[]`` for what is not stated."""
        out: dict[str, Any] = dict.fromkeys(OUTPUT_FIELDS)
        out.update({f: [] for f in _LIST_FIELDS}, equivalence={"relation": None, "codes": []}, criteria=[],
                   confidence={}, file=str(self.path), status=self.status, error=self.error,
                   pages=self.page_count, kind=self.kind, title_vi=self.title_vi)
        rec = self.standard
        if rec is not None:
            # A lab declaration's or catalogue's own rows are not a standard's clauses and headings.
            shown = (_IDENTITY if self.designated else ()) + \
                (_STATED if self.kind not in ("lab_scope", "catalogue") else ())
            for f in shown:
                value = getattr(rec, f)
                out[f] = list(value) if isinstance(value, list) else value
            out["equivalence"] = {"relation": rec.equivalence.relation, "codes": list(rec.equivalence.codes)}
            prov = rec.provenance
            out["confidence"] = {
                f: prov[f].confidence for f in ("kind", "title_vi", *shown)
                if f in prov and out[f] not in (None, [], {"relation": None, "codes": []})
                and (f != "kind" or rec.kind == self.kind)
            }
        if self.criteria:
            out["criteria"] = [asdict(row) for row in self.criteria]
        if self.catalogue is not None:
            out["sections"] = list(self.catalogue.sections)
            out["published_by"] = self.catalogue.published_by
        return out
