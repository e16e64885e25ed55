"""Criteria from ruled tables: bands cut by the pypdfium2 grid, or pdfplumber's tables as a fallback."""

from __future__ import annotations

import re

from ingest.criteria.roles import add_criterion, cell_roles, header_roles, is_criteria_header
from ingest.grid import Row
from ingest.pdf import OpenPdf
from kb.records import CriterionRow
from kb.text import clean


def _grid_header(rows: list[Row], i: int) -> tuple[list[str], dict[int, str], int] | None:
    """Roles (and grade labels) if band ``i`` heads a criteria table; with the number of bands it uses.

    A header often spans two bands: "Loại vật liệu CA" over "CA 6,7 | CA 9,5 | ...", or "Mức" over
    grade names; the finer band gives the columns, the coarser one lends its words by position.
    """
    row = rows[i]
    if "name" not in cell_roles(row.cells):
        return None
    fine, coarse, used = row, None, 1
    if i + 1 < len(rows) and len(rows[i + 1].cells) > len(row.cells) and not _is_data(rows[i + 1]):
        fine, coarse, used = rows[i + 1], row, 2
    elif i > 0 and len(rows[i - 1].cells) < len(row.cells) and not _is_data(rows[i - 1]):
        coarse = rows[i - 1]
    roles: list[str] = []
    labels: dict[int, str] = {}
    for j, text in enumerate(fine.cells):
        above = ""
        if coarse is not None:
            k = coarse.cell_at(fine.edges[j], fine.edges[j + 1])
            above = coarse.cells[k] if k is not None else ""
        role = cell_roles([text])[0] or cell_roles([above])[0]
        roles.append(role)
        if text and text != above and role in ("", "requirement") and coarse is not None:
            labels[j] = text
    if is_criteria_header(roles) or (roles.count("name") == 1 and labels and "sample" not in roles):
        return roles, labels, used
    return None


def _is_data(row: Row) -> bool:
    """A band that starts with a row number ("12", "II"): content, not a header."""
    return bool(re.fullmatch(r"\d+\.?|[IVXLC]+\.?", row.cells[0].strip())) if row.cells else False


def criteria_from_grid(pages: list[tuple[int, list[Row]]], *, find_codes=None) -> list[CriterionRow]:
    """Criterion rows from ruled bands; a page without a header continues the last table."""
    out: list[CriterionRow] = []
    roles: list[str] | None = None
    labels: dict[int, str] = {}
    for page_no, rows in pages:
        i = 0
        while i < len(rows):
            head = _grid_header(rows, i)
            if head:
                roles, labels, used = head
                i += used
                continue
            if roles is not None and len(rows[i].cells) == len(roles):
                add_criterion(out, rows[i].cells, roles, labels, page_no, find_codes)
            i += 1
    return out


def criteria_from_tables(tables: list[tuple[int, list[list[str | None]]]], *, find_codes=None) -> list[CriterionRow]:
    """Criterion rows from pdfplumber tables ``(page, rows)``; a table without a header continues the last one."""
    out: list[CriterionRow] = []
    roles: list[str] | None = None
    labels: dict[int, str] = {}
    for page_no, table in tables:
        rows = [[clean(c) for c in r] for r in table if r]
        start = 0
        for i, row in enumerate(rows[:3]):
            found = header_roles(row)
            if found:
                roles, labels, start = found, {}, i + 1
                # A second header row names the grades of a spanning "Mức" column (CA 6,7 | CA 9,5 ...).
                if start < len(rows) and not rows[start][roles.index("name")] and sum(bool(c) for c in rows[start]) >= 2:
                    sub = rows[start]
                    labels = {j: sub[j] for j in range(len(sub)) if sub[j] and roles[j] in ("", "requirement")}
                    start += 1
                break
        else:
            if roles is None or len(rows[0]) != len(roles):
                continue  # not a criteria table, nor a continuation of one
        for row in rows[start:]:
            if len(row) == len(roles):
                add_criterion(out, row, roles, labels, page_no, find_codes)
    return out


def pdfplumber_criteria(pdf: OpenPdf, page_numbers: list[int], *, find_codes=None) -> list[CriterionRow]:
    """pdfplumber's table finder on the given pages, each page closed as soon as it is read."""
    tables: list[tuple[int, list[list[str | None]]]] = []
    for page in pdf.plumber(page_numbers).pages:
        try:
            for t in page.extract_tables():
                if t:
                    tables.append((page.page_number, t))
        finally:
            page.close()
    return criteria_from_tables(tables, find_codes=find_codes)
