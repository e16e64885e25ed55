"""The criteria of standards as their pages show them: the test method, linked when it is in the knowledge
base, and the labs whose accredited scope cites that method."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from kb.models import Criterion, Standard
from kb.read.labs import LabFinder
from kb.read.refs import code_ref, series_key


def criteria_rows(session: Session, std_ids: list[int]) -> dict[int, list[Criterion]]:
    out: dict[int, list[Criterion]] = defaultdict(list)
    if std_ids:
        rows = session.exec(
            select(Criterion).where(col(Criterion.standard_id).in_(std_ids)).order_by(col(Criterion.position), col(Criterion.id))
        ).all()
        for c in rows:
            out[c.standard_id].append(c)
    return out


def criterion(c: Criterion, known: dict[str, Standard], finder: LabFinder | None) -> dict[str, Any]:
    method = code_ref(c.method_code, known) if c.method_code else None
    item: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "requirement": c.requirement,
        "unit": c.unit,
        "method": c.method,
        "method_code": c.method_code,
        "method_ref": method,
        "page": c.page,
    }
    if finder is not None:
        item["labs"] = [
            {k: lab[k] for k in ("id", "name", "accreditation", "valid_until", "validity", "url")}
            for lab in finder.for_series(series_key(c.method_code))
        ]
    return item
