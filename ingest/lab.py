"""A laboratory's capability declaration or accreditation scope → one lab and its scope rows.

Both the construction-lab declarations (LAS-XD, "Công bố thông tin về năng lực ... thí nghiệm") and
VILAS scope annexes ("Danh mục phép thử được công nhận") are ruled tables whose columns are known by
their header words, so the parser maps header cells to roles instead of trusting column positions.
The accreditation number is read from the document; nothing is made up when it is missing.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.grid import Row, page_rows
from ingest.pdf import OpenPdf
from kb.records import LabDeclaration, LabHeader, ScopeRow
from kb.text import clean, fold, is_digits, sentence_case

# Registration schemes and their printed numbers: "LAS-XD 164", "VILAS 1074".
_ACCREDITATION = re.compile(r"\b(LAS-XD|VILAS)\s*(?:số\s*)?[:.]?\s*(\d{1,4})\b", re.IGNORECASE)
_ROMAN = re.compile(r"^(?=[IVXLC])M{0,3}(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})\.?$")
_NUMBERING_ROW = re.compile(r"^\(\d+\)$")
# Lines that end a wrapped upper-case name (folded text).
_NAME_STOP = re.compile(r"dia chi|dien thoai|email|truong phong|\d+\.\d")

#: Header words (folded) → column role, first match wins.
_ROLES = (
    ("tt", re.compile(r"^(s?tt|so tt|stt\.?)$")),
    ("range", re.compile(r"gioi han|pham vi do|loq")),
    ("equipment", re.compile(r"may moc|thiet bi")),
    ("method", re.compile(r"tieu chuan|phuong phap")),
    ("material", re.compile(r"san pham|vat lieu")),
    ("test", re.compile(r"chi tieu|phep thu")),
)


def looks_like_lab_declaration(pages: list[str]) -> bool:
    """A lab capability declaration or accreditation scope, judged from its first pages."""
    head = fold(" ".join(pages[:3]))
    if "danh muc phep thu duoc cong nhan" in head:
        return True
    declares = "nang luc" in head and "thi nghiem" in head and ("cong bo" in head or "cong nhan" in head)
    return declares and bool(re.search(r"ten (chi tieu|phep thu)", head))


def _header_roles(row: Row) -> list[str] | None:
    roles = []
    for cell in row.cells:
        f = fold(cell)
        roles.append(next((role for role, rx in _ROLES if rx.search(f)), ""))
    if "test" in roles and ("method" in roles or "range" in roles):
        return roles
    return None


def parse_lab_header(text: str) -> dict[str, Any]:
    """Name, organisation, accreditation and contact lines as printed on the first pages."""
    out: dict[str, Any] = {}
    m = _ACCREDITATION.search(text)
    if m:
        body = m.group(1).upper()
        out.update(accreditation_body=body, accreditation_number=m.group(2),
                   accreditation=f"{body} {m.group(2)}")
    lines = [clean(ln) for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]

    def after_label(pattern: str) -> tuple[str, int] | None:
        for i, ln in enumerate(lines):
            mm = re.search(pattern + r"\s*:?\s*(.*)$", ln, re.IGNORECASE)
            if not mm:
                continue
            parts = [mm.group(1)]
            # An upper-case name may wrap onto the next lines.
            for nxt in lines[i + 1:i + 3]:
                if _NAME_STOP.match(fold(nxt)) or not nxt.isupper():
                    break
                parts.append(nxt)
            value = clean(" ".join(p for p in parts if p))
            if value:
                return value, i
        return None

    org = after_label(r"tên tổ chức")
    if org:
        out["organization"] = org[0]
    lab = after_label(r"(?:thông tin phòng thí nghiệm|tên phòng thí nghiệm)")
    if lab:
        out["name"] = lab[0]
        after = lines[lab[1]:]
    else:
        after = lines
    for key, rx in (("address", r"^địa chỉ(?: trụ sở chính)?\s*:\s*(.+)$"),
                    ("phone", r"điện thoại\s*:\s*([\d .()+-]{6,})"),
                    ("email", r"email\s*:\s*(\S+@\S+)")):
        for ln in after:
            mm = re.search(rx, ln, re.IGNORECASE)
            if mm:
                out[key] = clean(mm.group(1)).rstrip(".;,")
                break
    if "name" not in out and "organization" in out:
        out["name"] = out["organization"]
    return out


def parse_scope(pdf: OpenPdf, *, find_codes) -> list[ScopeRow]:
    """Scope rows of every ruled capability table in the document, in printed order.

    ``find_codes`` maps a method cell to canonical designations (``kb.codes.find_all``).
    """
    rows_out: list[dict[str, Any]] = []
    roles: list[str] | None = None
    header: Row | None = None
    group: str | None = None
    for index in range(len(pdf)):
        page = pdf.doc[index]
        try:
            rows = page_rows(page)
        finally:
            page.close()
        for row in rows:
            head = _header_roles(row)
            if head:
                roles, header = head, row
                continue
            if roles is None or header is None or not row.text:
                continue
            if all(_NUMBERING_ROW.match(c) or not c for c in row.cells):
                continue
            first = row.cells[0]
            if _ROMAN.match(first.split(" ")[0]) and len(row.cells) < len(roles):
                group = clean(re.sub(r"^[IVXLC]+\.?\s+", "", row.text))
                continue
            if len(row.cells) == len(roles):
                cells = dict(zip(roles, row.cells, strict=False))
            elif any(_header_like(c) for c in row.cells):
                roles = header = None  # another table (equipment, staff) begins
                continue
            else:
                # Cells missing from this band (empty, unruled): place the others by position.
                cells = {}
                for i, text in enumerate(row.cells):
                    j = header.cell_at(row.edges[i], row.edges[i + 1])
                    if j is not None and text:
                        cells[roles[j]] = clean(f"{cells.get(roles[j], '')} {text}")
            tt = cells.get("tt", "")
            if tt and _ROMAN.match(tt) and not any(cells.get(r) for r in ("method", "range")):
                group = clean(" ".join(v for k, v in cells.items() if k != "tt"))
                continue
            if is_digits(tt) and _in_sequence(int(tt), rows_out, group):
                rows_out.append({"tt": int(tt), "group": group, "page": index + 1,
                                 **{k: v for k, v in cells.items() if k != "tt"}})
            elif not tt and rows_out:
                last = rows_out[-1]  # a cell continued from the previous band or page
                for k, v in cells.items():
                    if v and k != "tt":
                        last[k] = clean(f"{last.get(k) or ''} {v}")
    scope = []
    for pos, r in enumerate(rows_out, 1):
        method = r.get("method") or None
        codes_found = find_codes(method) if method else []
        material = r.get("material") or (sentence_case(r["group"]) if r.get("group") else None)
        scope.append(ScopeRow(position=r["tt"] or pos, material=material, test=r.get("test") or "",
                              range=r.get("range") or None, method=method, method_codes=codes_found,
                              page=r["page"], equipment=r.get("equipment") or None))
    return scope


def _in_sequence(tt: int, rows: list[dict[str, Any]], group: str | None) -> bool:
    """Numbering runs on (a few gaps allowed) or restarts in a new group; anything else is another table."""
    if not rows:
        return True
    last = rows[-1]
    return last["tt"] < tt <= last["tt"] + 5 or (tt == 1 and group != last["group"])


def _header_like(cell: str) -> bool:
    return bool(re.match(r"(s?tt|danh muc|ho va ten|model)\b", fold(cell)))


def parse_lab(pdf: OpenPdf, pages: list[str], *, find_codes) -> LabDeclaration:
    """The lab record and its scope rows from a declaration PDF (worker side)."""
    header = LabHeader(**parse_lab_header("\n".join(pages[:3])))
    scope = parse_scope(pdf, find_codes=find_codes)
    groups: list[str] = []
    for row in scope:
        if row.material and row.material not in groups:
            groups.append(row.material)
    return LabDeclaration(lab=header, scope=scope, groups=groups)
