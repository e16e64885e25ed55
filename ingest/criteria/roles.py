"""Which column of a criteria table is which, and one table row → one criterion: shared by the ruled
(``ingest.criteria.ruled``) and unruled (``ingest.criteria.unruled``) readers."""

from __future__ import annotations

import re

from kb.records import CriterionRow
from kb.text import clean, fold

_UNIT_TAIL = re.compile(r",\s*([%‰°]|[A-Za-zµμ°³²/.·]+(?:/[A-Za-zµμ°³²0-9.]+)?)\s*$")

_CRIT_ROLES = (
    ("tt", re.compile(r"^(s?tt|so tt)\.?$")),
    # How much to sample ("Lấy mẫu / khối lượng mẫu", "Yêu cầu lấy mẫu"): never a requirement.
    ("sample", re.compile(r"lay mau|(khoi|so) luong mau")),
    ("method", re.compile(r"phuong phap")),
    ("unit", re.compile(r"don vi")),
    ("name", re.compile(r"chi tieu|ten chi tieu")),
    ("requirement", re.compile(r"\bmuc\b|yeu cau|gioi han|ham luong|quy dinh|cong bo")),
)


def cell_roles(cells: list[str]) -> list[str]:
    """The role each header cell names (``tt``, ``sample``, ``name``, ``requirement``, ``unit``, ``method``;
    ``""`` for none)."""
    return [next((r for r, rx in _CRIT_ROLES if rx.search(fold(c))), "") for c in cells]


def is_criteria_header(roles: list[str]) -> bool:
    """A criteria header: one "Chỉ tiêu" column and a "Mức / Yêu cầu / Giới hạn" or "Phương pháp thử"
    column. A test list ("Tên phép thử | Tiêu chuẩn áp dụng | Lấy mẫu") or a table with units only
    is not one: its rows are never criteria."""
    return roles.count("name") == 1 and bool({"requirement", "method"} & set(roles))


def header_roles(cells: list[str]) -> list[str] | None:
    """The cells' roles when they make a criteria header (``is_criteria_header``)."""
    roles = cell_roles(cells)
    return roles if is_criteria_header(roles) else None


def add_criterion(out: list[CriterionRow], row: list[str], roles: list[str], labels: dict[int, str],
                   page_no: int, find_codes) -> None:
    """One data row under a known header → a criterion (or a name carried over to the previous one)."""
    cells = dict(zip(roles, row, strict=False))
    name = cells.get("name", "")
    if not name or not any(ch.isalpha() for ch in name):
        return  # numbering row "(1) (2) (3)", or numbers in a mis-read layout
    values = [(j, row[j]) for j in range(len(row)) if roles[j] in ("requirement", "") and row[j]]
    if labels:
        requirement = "; ".join(f"{labels[j]}: {v}" if j in labels else v for j, v in values)
    else:
        requirement = "; ".join(v for j, v in values if roles[j] == "requirement" or "requirement" not in roles)
    tt = cells.get("tt", "")
    if not requirement and not cells.get("method") and not cells.get("unit"):
        if tt and re.fullmatch(r"[IVXLC]+\.?", tt):
            return  # a group row ("II Thử nghiệm trên mẫu chế bị ...")
        if not tt and out and out[-1].page in (page_no, page_no - 1):
            out[-1].name = clean(f"{out[-1].name} {name}")  # name carried over
        return
    unit = cells.get("unit") or None
    if not unit:
        m = _UNIT_TAIL.search(name)
        unit = m.group(1) if m and not re.search(r"[^\x00-\x7f%‰°µμ³²·]", m.group(1)) else None
    method = cells.get("method") or None
    codes_found = find_codes(method) if (method and find_codes) else []
    out.append(CriterionRow(position=len(out) + 1, name=name, requirement=requirement or None, unit=unit,
                            method=method, method_code=codes_found[0] if codes_found else None, page=page_no))
