"""Tables from PDF pages: a fast pypdfium2 grid for ruled tables, pdfplumber only for criteria pages.

pdfplumber is correct but ≈80× slower than pypdfium2, so the ruled tables of the lab declaration and
the catalogue (tens of pages) are cut from pypdfium2 character boxes and the table's own rules. The
criteria tables of product standards ("Chỉ tiêu | Mức | Phương pháp thử") use pdfplumber, but only on
the few pages whose plain text shows such a header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from kb.text import clean, fold

# pdfium reports a line-end hyphen as U+FFFE (or U+0002): it is a hyphen that was broken off.
_HYPHEN_STANDINS = {0xFFFE: "-", 0x0002: "-"}


@dataclass
class Row:
    """One band of a ruled table: the text of each cell, left to right."""

    top: float
    bottom: float
    cells: list[str]
    edges: list[float] = field(default_factory=list)  # len(cells) + 1 x positions

    def cell_at(self, x0: float, x1: float) -> int | None:
        """Index of the cell overlapping [x0, x1] the most (another row's column), if any."""
        best, best_overlap = None, 0.0
        for i in range(len(self.cells)):
            overlap = min(x1, self.edges[i + 1]) - max(x0, self.edges[i])
            if overlap > best_overlap:
                best, best_overlap = i, overlap
        return best

    @property
    def text(self) -> str:
        return " ".join(c for c in self.cells if c)


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2


def page_words(page: Any) -> list[Word]:
    """Words of a pypdfium2 page in text order, with boxes in top-down coordinates.

    A word ends at white space, at a jump to another line, or at a gap wider than the glyph height
    (two cells side by side without a space between them).
    """
    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    tp = page.get_textpage()
    try:
        n = tp.count_chars()
        words: list[Word] = []
        buf: list[str] = []
        box = [0.0, 0.0, 0.0, 0.0]  # x0, x1, top, bottom

        def flush() -> None:
            if buf:
                words.append(Word(clean("".join(buf)), *box))
                buf.clear()

        for i in range(n):
            u = pdfium_c.FPDFText_GetUnicode(tp.raw, i)
            ch = _HYPHEN_STANDINS.get(u) or chr(u)
            if ch.isspace() or (u < 32 and ch != "-"):
                flush()
                continue
            left, bot, right, top_y = tp.get_charbox(i, loose=True)
            c_top, c_bottom = height - top_y, height - bot
            if buf:
                h = max(box[3] - box[2], 1.0)
                same_line = abs((c_top + c_bottom) / 2 - (box[2] + box[3]) / 2) < h * 0.6
                if not same_line or left > box[1] + h * 0.9 or left < box[0] - 1:
                    flush()
            if not buf:
                box[:] = [left, right, c_top, c_bottom]
            else:
                box[1] = max(box[1], right)
                box[2], box[3] = min(box[2], c_top), max(box[3], c_bottom)
            buf.append(ch)
        flush()
        return [w for w in words if w.text]
    finally:
        tp.close()


def _cluster(values: Iterable[float], tol: float) -> list[tuple[float, int]]:
    """Group sorted values closer than ``tol``: (mean, count) per group."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [(sum(g) / len(g), len(g)) for g in out]


def page_rows(page: Any, words: list[Word] | None = None) -> list[Row]:
    """The ruled table rows of a page: bands between horizontal rules, cut into cells.

    Tables here are drawn either as thin rules or as shaded cell rectangles; both give vertical edges
    that cluster at the column boundaries (shading is inset a few points, hence the 8 pt tolerance).
    Edges are taken per band, so two tables on one page, and merged cells, keep their own columns.
    """
    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    vedges: list[tuple[float, float, float]] = []  # x, top, bottom
    ys: list[float] = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
        left, bot, right, top = obj.get_bounds()
        w, h = right - left, top - bot
        y_top, y_bottom = height - top, height - bot
        if h > 5:
            vedges.append((left, y_top, y_bottom))
            vedges.append((right, y_top, y_bottom))
        if h < 2.5 and w > 10:
            ys.append((y_top + y_bottom) / 2)
        elif h > 5 and w > 10 and _stroked_only(obj):
            ys.extend((y_top, y_bottom))  # a cell drawn as an outlined rectangle (fpdf2, Word export)
    rules = [y for y, _ in _cluster(ys, 2.0)]
    if len(rules) < 2:
        return []
    words = words if words is not None else page_words(page)
    rows: list[Row] = []
    for y0, y1 in zip(rules, rules[1:]):
        edges = [x for x, _ in _cluster((x for x, t, b in vedges if t < y1 - 1 and b > y0 + 1), 8.0)]
        if len(edges) < 2:
            continue
        inside = [w for w in words if y0 < w.yc < y1 and edges[0] - 2 < w.xc < edges[-1] + 2]
        if not inside:
            rows.append(Row(top=y0, bottom=y1, cells=[""] * (len(edges) - 1), edges=edges))
            continue
        per_col: list[list[Word]] = [[] for _ in range(len(edges) - 1)]
        for w in inside:
            i = min(max(column_of(w.x0 + 0.5, edges) - 1, 0), len(edges) - 2)
            per_col[i].append(w)
        rows.append(Row(top=y0, bottom=y1, cells=[join_cell(_lines_text(ws)) for ws in per_col], edges=edges))
    return rows


def _stroked_only(obj: Any) -> bool:
    """An outline (stroke, no fill): its edges are rules. Filled boxes are shading, which may be per line."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(fill), ctypes.byref(stroke)):
        return False
    return bool(stroke.value) and fill.value == 0


def _lines_text(words: list[Word]) -> list[str]:
    """Words of one cell grouped into visual lines, top to bottom."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.yc, w.x0)):
        if lines and abs(w.yc - lines[-1][0].yc) < max(lines[-1][0].bottom - lines[-1][0].top, 1.0) * 0.45:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [" ".join(w.text for w in sorted(ln, key=lambda w: w.x0)) for ln in lines]


def column_of(x: float, cols: list[float]) -> int:
    """Number of edges left of x."""
    i = 0
    while i < len(cols) and x >= cols[i]:
        i += 1
    return i


def join_cell(parts: Iterable[str]) -> str:
    """Join the lines of a cell: a line ending in a hyphen after a letter or digit continues the word."""
    s = ""
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if s.endswith("-") and len(s) > 1 and s[-2].isalnum() and (p[0].isdigit() or p[0].isupper()):
            s += p  # "ISO 5735-" / "1:2024", "BS EN 12390-" / "2"
        else:
            s = f"{s} {p}" if s else p
    return clean(s)


# --- Criteria tables of product standards (pdfplumber, on candidate pages only) ------------------

# A header line that opens a criteria table: "TT | Tên chỉ tiêu | ...", "Chỉ tiêu | Mức | ...".
_CRITERIA_HEAD = re.compile(r"^(?:s?tt\.?\s+)?(?:ten\s+|cac\s+)?chi\s+tieu\b")
_CRITERIA_COLS = re.compile(r"\b(muc|yeu cau|gioi han|phuong phap thu|don vi|ham luong toi da)\b")
_CONTINUED = re.compile(r"\bbang\s+\d+[^\n]{0,80}\(\s*tiep\s+theo\s*\)")
_UNIT_TAIL = re.compile(r",\s*([%‰°]|[A-Za-zµμ°³²/.·]+(?:/[A-Za-zµμ°³²0-9.]+)?)\s*$")

_CRIT_ROLES = (
    ("tt", re.compile(r"^(s?tt|so tt)\.?$")),
    ("method", re.compile(r"phuong phap")),
    ("unit", re.compile(r"don vi")),
    ("name", re.compile(r"chi tieu|ten chi tieu")),
    ("requirement", re.compile(r"\bmuc\b|yeu cau|gioi han|ham luong|quy dinh|cong bo")),
)


def criteria_pages(pages: list[str]) -> list[int]:
    """1-based numbers of pages whose plain text shows a criteria table header, or its continuation."""
    found: list[int] = []
    for no, text in enumerate(pages, 1):
        lines = [fold(ln) for ln in text.splitlines() if ln.strip()]
        hit = False
        for i, ln in enumerate(lines):
            if len(ln) < 140 and _CRITERIA_HEAD.search(ln) and _CRITERIA_COLS.search(" ".join(lines[i:i + 6])):
                hit = True
                break
        if not hit and found and found[-1] == no - 1 and _CONTINUED.search("\n".join(lines[:12])):
            hit = True
        if hit:
            found.append(no)
    return found


def _roles(row: list[str]) -> list[str] | None:
    roles = []
    for cell in row:
        f = fold(cell)
        roles.append(next((r for r, rx in _CRIT_ROLES if rx.search(f)), ""))
    if "name" in roles and ({"requirement", "method", "unit"} & set(roles)):
        return roles
    return None


def criteria_from_tables(tables: list[tuple[int, list[list[str | None]]]], *, find_codes=None) -> list[dict[str, Any]]:
    """Criterion rows from raw tables ``(page, rows)``; a table without a header continues the last one."""
    out: list[dict[str, Any]] = []
    roles: list[str] | None = None
    labels: dict[int, str] = {}
    for page_no, table in tables:
        rows = [[clean(c) for c in r] for r in table if r]
        start = 0
        for i, row in enumerate(rows[:3]):
            found = _roles(row)
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
            if len(row) != len(roles):
                continue
            cells = dict(zip(roles, row))
            name = cells.get("name", "")
            if not name or not any(ch.isalpha() for ch in name):
                continue  # numbering row "(1) (2) (3)", or numbers in a mis-read layout
            values = [(j, row[j]) for j in range(len(row)) if roles[j] in ("requirement", "") and row[j]]
            if labels:
                requirement = "; ".join(f"{labels[j]}: {v}" if j in labels else v for j, v in values)
            else:
                requirement = "; ".join(v for j, v in values if roles[j] == "requirement")
            tt = cells.get("tt", "")
            if not requirement and not cells.get("method") and not cells.get("unit"):
                if tt and re.fullmatch(r"[IVXLC]+\.?", tt):
                    continue  # a group row ("II Thử nghiệm trên mẫu chế bị ...")
                if not tt and out and out[-1]["page"] in (page_no, page_no - 1):
                    out[-1]["name"] = clean(f"{out[-1]['name']} {name}")  # name carried over
                continue
            unit = cells.get("unit") or None
            if not unit:
                m = _UNIT_TAIL.search(name)
                unit = m.group(1) if m and not re.search(r"[^\x00-\x7f%‰°µμ³²·]", m.group(1)) else None
            method = cells.get("method") or None
            codes_found = find_codes(method) if (method and find_codes) else []
            out.append({
                "position": len(out) + 1,
                "name": name,
                "requirement": requirement or None,
                "unit": unit,
                "method": method,
                "method_code": codes_found[0] if codes_found else None,
                "page": page_no,
            })
    return out


def extract_criteria(path: Path, page_numbers: list[int], *, find_codes=None) -> list[dict[str, Any]]:
    """Criteria rows from the given pages with pdfplumber, each page closed as soon as it is read."""
    if not page_numbers:
        return []
    import pdfplumber

    tables: list[tuple[int, list[list[str | None]]]] = []
    with pdfplumber.open(str(path), pages=page_numbers) as pdf:
        for page in pdf.pages:
            try:
                for t in page.extract_tables():
                    if t:
                        tables.append((page.page_number, t))
            finally:
                page.close()
    return criteria_from_tables(tables, find_codes=find_codes)
