"""The lab page: accreditation, validity and scope rows; and the labs that test a method series, for the
criteria of standard and product pages. ``today`` is a parameter so validity flags are testable."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from kb import codes
from kb.labs import cites_series, parse_method, require_lab
from kb.models import Lab, LabScope, Standard, StandardStatus, pk
from kb.read.refs import code_ref, iso, standards_by_key
from kb.standards import replaced_by_chain
from kb.text import clean, fold
from kb.urls import lab_url

#: A lab accreditation ending within this many days is flagged as expiring.
EXPIRING_DAYS = 90
VALIDITY_LABELS_VI = {
    "valid": "Còn hiệu lực",
    "expiring": "Sắp hết hạn",
    "lapsed": "Đã hết hạn",
    "unknown": "Chưa rõ thời hạn",
}


#: A validity the lab set itself, not yet confirmed by a curator, is not stated as fact.
UNVERIFIED_LABEL_VI = "chưa xác minh"


def validity(valid_until: date | None, today: date | None = None, verified: bool = True) -> dict[str, Any]:
    """``{"state": valid|expiring|lapsed|unknown, "label", "days_left", "verified"}`` for an accreditation end
    date; ``verified`` is False while the date is the lab's own claim, and the label then says so."""
    today = today or date.today()
    if valid_until is None:
        state, days = "unknown", None
    else:
        days = (valid_until - today).days
        state = "lapsed" if days < 0 else "expiring" if days <= EXPIRING_DAYS else "valid"
    label = VALIDITY_LABELS_VI[state]
    if not verified:
        label = f"{label} ({UNVERIFIED_LABEL_VI})"
    return {"state": state, "label": label, "days_left": days, "verified": verified}


def redate(value: Any, today: date) -> Any:
    """A copy of ``value`` (an answer holding lab refs anywhere inside) with each lab's validity counted from
    ``today``: the one thing in a lab ref that moves with the day."""
    if isinstance(value, list):
        return [redate(v, today) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: redate(v, today) for k, v in value.items()}
    if "validity" in out and "valid_until" in out:
        out["validity"] = validity(date.fromisoformat(out["valid_until"]) if out["valid_until"] else None, today,
                                   out["validity"].get("verified", True))
    return out


def lab_ref(lab: Lab, today: date | None) -> dict[str, Any]:
    return {
        "id": lab.id,
        "name": lab.name,
        "organization": lab.organization,
        "accreditation": lab.accreditation,
        "valid_until": iso(lab.valid_until),
        "validity": validity(lab.valid_until, today, lab.validity_verified),
        "district": lab.district,
        "address": lab.address,
        "phone": lab.phone,
        "email": lab.email,
        "website": lab.website,
        "is_sample": lab.is_sample,
        "url": lab_url(pk(lab)),
    }


class LabFinder:
    """Labs whose scope rows cite a method series, loaded once per read model (pages ask many times)."""

    def __init__(self, session: Session, today: date | None):
        self.today = today
        self.by_series: dict[str, dict[int, list[LabScope]]] = defaultdict(lambda: defaultdict(list))
        self.labs: dict[int, Lab] = {}
        self._session = session
        self._loaded: set[str] = set()

    def load(self, series_keys: Iterable[str | None]) -> None:
        wanted = {k for k in series_keys if k and k not in self._loaded}
        if not wanted:
            return
        self._loaded |= wanted
        rows = self._session.exec(
            select(LabScope).where(cites_series(wanted)).order_by(col(LabScope.lab_id), col(LabScope.position))
        ).all()
        lab_ids = {r.lab_id for r in rows} - set(self.labs)
        if lab_ids:
            for lab in self._session.exec(select(Lab).where(col(Lab.id).in_(lab_ids))).all():
                self.labs[pk(lab)] = lab
        for r in rows:
            for k in (r.method_series or "").strip("|").split("|"):
                if k in wanted:
                    self.by_series[k][r.lab_id].append(r)

    def for_series(self, series_key: str | None) -> list[dict[str, Any]]:
        if not series_key:
            return []
        self.load([series_key])
        out: list[dict[str, Any]] = []
        for lab_id, rows in self.by_series.get(series_key, {}).items():
            ref = lab_ref(self.labs[lab_id], self.today)
            ref["tests"] = [scope_brief(r) for r in rows]
            out.append(ref)
        # Labs with a valid accreditation first, then by name.
        return sorted(out, key=lambda x: (x["validity"]["state"] == "lapsed", fold(x["name"])))


def scope_brief(r: LabScope) -> dict[str, Any]:
    return {"id": r.id, "material": r.material, "test": r.test, "range": r.range, "method": r.method,
            "accredited": r.accredited}


def lab_detail(session: Session, lab_id: int, today: date | None = None, q: str | None = None) -> dict[str, Any]:
    """The lab, its validity and its scope rows grouped by material; ``q`` filters rows (accents optional)."""
    lab = require_lab(session, lab_id)
    rows = session.exec(
        select(LabScope).where(LabScope.lab_id == lab.id).order_by(col(LabScope.position), col(LabScope.id))
    ).all()
    total = len(rows)
    needle = fold(q)
    if needle:
        rows = [r for r in rows if needle in fold(" ".join(filter(None, (r.material, r.test, r.range, r.method))))]
    known = standards_by_key(session, [c for r in rows for c in (r.method_codes or [])])
    # A row is linked when a standard of its method's series is known (as kb.labs.method_flags tells the lab):
    # that standard's page lists the lab, whichever edition the row cites.
    cited_series = {d.series_key for d in (codes.parse(c) for r in rows for c in (r.method_codes or [])) if d}
    known_series = set(session.exec(select(Standard.series_key).where(col(Standard.series_key).in_(cited_series)))
                       .all()) if cited_series else set()
    chains: dict[int, list[str]] = {}
    scope = []
    for r in rows:
        methods = []
        for c in r.method_codes or []:
            ref = code_ref(c, known)
            d = codes.parse(c)
            std = known.get(d.key) if d else None
            superseded = std is not None and std.status in (StandardStatus.replaced, StandardStatus.withdrawn)
            if std is not None and superseded and pk(std) not in chains:
                chains[pk(std)] = replaced_by_chain(session, std)
            ref["superseded"] = superseded
            ref["replaced_by"] = chains.get(pk(std), []) if std is not None else []
            methods.append(ref)
        scope.append({**scope_brief(r), "material": r.material, "methods": methods,
                      "superseded": any(m["superseded"] for m in methods),
                      "linked": any(d.series_key in known_series for d in map(codes.parse, r.method_codes or []) if d),
                      "unrecognised": parse_method(r.method).unrecognised})
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in scope:
        groups.setdefault(row["material"] or "Khác", []).append(row)
    return {
        **lab_ref(lab, today),
        "accreditation_body": lab.accreditation_body,
        "accreditation_number": lab.accreditation_number,
        "valid_from": iso(lab.valid_from),
        "verified_at": lab.verified_at.isoformat() if lab.verified_at else None,
        "query": clean(q) or None,
        "scope_total": total,
        "scope": scope,
        "groups": [{"material": k, "rows": v} for k, v in groups.items()],
        "superseded_count": sum(1 for r in scope if r["superseded"]),
    }
