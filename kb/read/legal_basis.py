"""A legal document as other pages show it (number, kind, status on a date, what replaced it), and a
free-text legal basis as linked parts with a replaced or expired document flagged. Product and group pages
use it; so do the legal pages and the curators' impact view."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from kb import legal
from kb.models import LegalDocument, LegalStatus
from kb.text import clean
from kb.urls import legal_url

#: Statuses that make a citation stale: whoever cites the document should point at its successor.
STALE = (LegalStatus.replaced, LegalStatus.expired)


def _status(doc: LegalDocument, on: date, succ: list[legal.Successor]) -> dict[str, Any]:
    status = legal.status_on(doc, on, succ)
    replacing = [s for s in succ if s.relation == "replaces" and (s.on is None or s.on <= on)]
    expired = status == LegalStatus.expired and doc.effective_until is not None
    return {"status": status.value, "status_label": legal.STATUS_LABELS_VI[status.value],
            "stale": status in STALE,
            "replaced_by": [successor_ref(s) for s in replacing] if status == LegalStatus.replaced else [],
            # effective_until is the last day in force: it stops applying the day after
            "expired_from": iso(doc.effective_until + timedelta(days=1)) if expired and doc.effective_until else None}


def successor_ref(s: legal.Successor) -> dict[str, Any]:
    return {"code": s.code, "url": legal_url(s.code), "relation": s.relation,
            "on": iso(s.on)}


def legal_ref(doc: LegalDocument, on: date, succ: list[legal.Successor]) -> dict[str, Any]:
    return {"code": doc.code, "kind": doc.kind.value, "kind_label": legal.KIND_LABELS_VI[doc.kind.value],
            "title": doc.title, "issuer": doc.issuer, "url": legal_url(doc.code), **_status(doc, on, succ)}


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


class BasisLinker:
    """A free-text legal basis as parts: plain text, and each document number linked to its page when the
    knowledge base holds it, flagged when it is replaced or expired on ``on``. Loads every document once
    (a few hundred at most), so a page with many mappings asks the database twice."""

    def __init__(self, session: Session, on: date | None = None):
        self.on = on or date.today()
        self.docs = {d.code_key: d for d in legal.list_documents(session)}
        self.succ = legal.successors(session, list(self.docs))

    def parts(self, text: str | None) -> list[dict[str, Any]]:
        if not text:
            return []
        s = clean(text)  # the offsets find_codes reports are in the cleaned text
        out: list[dict[str, Any]] = []
        pos = 0
        for m in legal.find_codes(s):
            # find_codes reports each document once; a repeated number stays plain text.
            if m.start > pos:
                out.append({"text": s[pos:m.start]})
            doc = self.docs.get(m.key)
            if doc is None:
                out.append({"text": s[m.start:m.end]})
            else:
                out.append({"text": s[m.start:m.end], **legal_ref(doc, self.on, self.succ.get(m.key, []))})
            pos = m.end
        if pos < len(s):
            out.append({"text": s[pos:]})
        return out

    def stale(self, text: str | None) -> list[dict[str, Any]]:
        """The documents ``text`` cites that are replaced or expired on the linker's date."""
        return [p for p in self.parts(text) if p.get("stale")]
