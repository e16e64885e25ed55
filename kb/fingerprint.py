"""A cheap fingerprint of the database: per table, its row count and its newest ``updated_at`` (or id).

Counts catch deletions; the newest timestamp or id catches additions and edits. It is read in one round
trip (0.6 ms on SQLite with 20,000 standards, 12–19 ms on PostgreSQL with 110,000 products: counting is a scan
there, so the page cache trusts it for a second while this process writes nothing), and the search index stores it as the
stamp of what a generation reflects (hence JSON-ready values: ``[count, newest as text]``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, SQLModel

from kb.models import (
    Agency,
    Criterion,
    Document,
    DocumentPage,
    GroupMapping,
    Lab,
    LabScope,
    LegalDocument,
    Mapping,
    Notice,
    Procedure,
    Product,
    ProductGroup,
    ProductGroupMember,
    ProductHsCode,
    RiskItemDecision,
    RiskList,
    Standard,
    StandardRelation,
)

#: Each part: a table and the column whose maximum moves on every change of it.
PARTS: dict[str, tuple[type[SQLModel], Any]] = {
    "standard": (Standard, Standard.updated_at),
    "product": (Product, Product.updated_at),
    "lab": (Lab, Lab.updated_at),
    "group": (ProductGroup, ProductGroup.updated_at),
    "labscope": (LabScope, LabScope.updated_at),
    "mapping": (Mapping, Mapping.updated_at),
    "relation": (StandardRelation, StandardRelation.id),
    "criterion": (Criterion, Criterion.id),
    "document": (Document, Document.id),
    "page": (DocumentPage, DocumentPage.id),
    "agency": (Agency, Agency.updated_at),
    # Member rows are never updated in place (kb.groups writes them anew), so the newest creation time moves on
    # every change (ids may be reused after a delete).
    "groupmember": (ProductGroupMember, ProductGroupMember.created_at),
    "groupmapping": (GroupMapping, GroupMapping.updated_at),
    # A change of a document's relations moves its updated_at too (kb.legal), so the count and the newest
    # timestamp of the documents cover both.
    "legal": (LegalDocument, LegalDocument.updated_at),
    "procedure": (Procedure, Procedure.updated_at),
    "producthscode": (ProductHsCode, ProductHsCode.updated_at),
    # A list's rows change only with the list (kb.risk bumps it), so the list's updated_at stands for them.
    "risklist": (RiskList, RiskList.updated_at),
    "riskdecision": (RiskItemDecision, RiskItemDecision.updated_at),
    # The feeds show released notices: a release (by the delivery loop, with no web request to clear the
    # cache) sets released_at to now, so the newest released_at moves; new notices move the count.
    "notice": (Notice, Notice.released_at),
}
#: Everything the public pages show: the page cache keeps a page while these are unchanged.
PAGES = ("standard", "relation", "criterion", "product", "mapping", "lab", "labscope", "document", "agency", "group",
         "groupmember", "groupmapping", "legal", "procedure", "producthscode", "risklist",
         "riskdecision", "notice")

Part = list[int | str | None]


def fingerprint(session: Session, parts: Sequence[str]) -> dict[str, Part]:
    """``{part: [row count, newest value]}`` for the named parts of :data:`PARTS`."""
    row = session.connection().execute(_statement(tuple(parts))).one()
    return {name: [int(row[2 * i] or 0), _text(row[2 * i + 1])] for i, name in enumerate(parts)}


@lru_cache(maxsize=8)
def _statement(parts: tuple[str, ...]) -> Select[Any]:
    columns = []
    for name in parts:
        table, column = PARTS[name]
        columns += [select(func.count()).select_from(table).scalar_subquery(),
                    select(func.max(column)).scalar_subquery()]
    return select(*columns)


def _text(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else (str(value) if value is not None else None)


def index_generation(index_dir: Path) -> str:
    """The name of the search index's live generation (``CURRENT``; a file read, no search engine loaded),
    ``""`` when there is none."""
    try:
        return (Path(index_dir) / "CURRENT").read_text("utf-8").strip()
    except (OSError, ValueError):
        return ""


def index_version(index_dir: Path) -> str:
    """What the search index answers from now: its live generation, that generation's newest commit (whoosh's
    ``_MAIN_<n>.toc``) and its stamp's time. A page cache keyed on it never serves an answer past a rebuild,
    nor one rendered before a catch-up committed what the database already held (the data version alone does
    not move then: the change was committed before the index caught up). A directory listing, no engine."""
    name = index_generation(index_dir)
    if not name:
        return ""
    gen = Path(index_dir) / name
    try:
        tocs = [e.name for e in os.scandir(gen) if e.name.startswith("_MAIN_") and e.name.endswith(".toc")]
        stamp = (gen / "stamp.json").stat().st_mtime_ns
    except OSError:
        return name
    newest = max(tocs, key=lambda t: int(t[6:-4]) if t[6:-4].isdigit() else -1, default="")
    return f"{name}/{newest}/{stamp}"
