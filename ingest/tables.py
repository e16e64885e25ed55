"""Tables from PDF pages: a fast pypdfium2 grid for ruled tables; pdfplumber only as a fallback.

pdfplumber is correct but ≈80× slower than pypdfium2, so ruled tables (the lab declaration, the
catalogue, criteria tables) are cut from pypdfium2 character boxes and the table's own rules: thin
filled rules, outlined cells, one stroked path per row, shaded cells, row spans. Criteria tables of
product standards ("Chỉ tiêu | Mức | Phương pháp thử") are looked for only on the pages whose plain
text shows such a header or a "(tiếp theo)" continuation; pdfplumber gets a page only when it has
drawn lines the grid could not cut into rows.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
                words.append(Word("".join(buf), *box))  # cells are cleaned (NFC) once joined
                buf.clear()

        raw = tp.raw
        rect = pdfium_c.FS_RECTF()
        get_unicode, get_box = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetLooseCharBox
        high = 0
        for i in range(n):
            u = get_unicode(raw, i)
            if 0xD800 <= u < 0xDC00:  # pdfium gives UTF-16 units: 𝜇 (U+1D707) comes as a pair
                high = u
                continue
            if high and 0xDC00 <= u < 0xE000:
                u, high = 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00), 0
            ch = _HYPHEN_STANDINS.get(u) or chr(u)
            if ch.isspace() or (u < 32 and ch != "-"):
                flush()
                continue
            get_box(raw, i, rect)  # loose box: whole font height, so accents do not shift lines
            left, right, c_top, c_bottom = rect.left, rect.right, height - rect.top, height - rect.bottom
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


def _path_geometry(page: Any) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Vertical edges ``(x, top, bottom)`` and horizontal rules ``(y, x0, x1)`` of a page's drawn paths.

    Tables are drawn as thin filled rules (Word), as outlined rectangles (fpdf2), as one stroked path
    per row holding every cell border, or as shaded cell boxes. Thin shapes and stroked segments are
    rules; a shaded box gives only its side edges, because shading is often per text line.
    """
    import ctypes

    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    vedges: list[tuple[float, float, float]] = []
    ys: list[tuple[float, float, float]] = []
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    px, py = ctypes.c_float(), ctypes.c_float()
    matrix = pdfium_c.FS_MATRIX()

    def subpaths(obj) -> list[tuple[list[tuple[float, float]], bool]]:
        """Points of each subpath in page space, and whether it is closed."""
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
            return []
        a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
        out: list[tuple[list[tuple[float, float]], bool]] = []
        for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
            seg = pdfium_c.FPDFPath_GetPathSegment(obj, i)
            pdfium_c.FPDFPathSegment_GetPoint(seg, px, py)
            pt = (a * px.value + c * py.value + e, b * px.value + d * py.value + f)
            if pdfium_c.FPDFPathSegment_GetType(seg) == pdfium_c.FPDF_SEGMENT_MOVETO or not out:
                out.append(([pt], False))
            else:
                out[-1][0].append(pt)
            if pdfium_c.FPDFPathSegment_GetClose(seg):
                out[-1] = (out[-1][0], True)
        return out

    def line(p, q) -> None:
        (x1, y1), (x2, y2) = p, q
        if abs(x1 - x2) < 1.0 and abs(y1 - y2) > 3:
            vedges.append(((x1 + x2) / 2, height - max(y1, y2), height - min(y1, y2)))
        elif abs(y1 - y2) < 1.0 and abs(x1 - x2) > 10:
            ys.append((height - (y1 + y2) / 2, min(x1, x2), max(x1, x2)))

    def shape(x0: float, y0: float, x1: float, y1: float) -> None:
        """A filled shape by its box (PDF coordinates): a thin one is a rule, a wide one shading."""
        w, h = x1 - x0, y1 - y0
        if h < 2.5 and w > 10:
            ys.append((height - (y0 + y1) / 2, x0, x1))
        elif w < 2.5 and h > 3:
            vedges.append(((x0 + x1) / 2, height - y1, height - y0))
        elif h > 5:
            vedges.append((x0, height - y1, height - y0))
            vedges.append((x1, height - y1, height - y0))

    def visit(obj) -> None:
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            for i in range(pdfium_c.FPDFFormObj_CountObjects(obj)):
                visit(pdfium_c.FPDFFormObj_GetObject(obj, i))
            return
        if kind != pdfium_c.FPDF_PAGEOBJ_PATH or not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            return
        w, h = right.value - left.value, top.value - bottom.value
        if w < 2.5 or h < 2.5 or w > 2000 or h > 2000:
            shape(left.value, bottom.value, right.value, top.value)
            return
        pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke)
        if not stroke.value and pdfium_c.FPDFPath_CountSegments(obj) <= 5:
            shape(left.value, bottom.value, right.value, top.value)  # one filled box
            return
        # Several cell borders in one path (a whole row), or an outline: look at each piece.
        for points, closed in subpaths(obj):
            if stroke.value:
                for p, q in zip(points, points[1:] + (points[:1] if closed else []), strict=False):
                    line(p, q)
            else:
                xs, ys_ = [p[0] for p in points], [p[1] for p in points]
                shape(min(xs), min(ys_), max(xs), max(ys_))

    raw = page.raw
    for i in range(pdfium_c.FPDFPage_CountObjects(raw)):
        visit(pdfium_c.FPDFPage_GetObject(raw, i))
    return vedges, ys


def page_rows(page: Any, words: list[Word] | None = None) -> list[Row]:
    """The ruled table rows of a page: bands between horizontal rules, cut into cells.

    Column edges are taken per band (clustered within 8 pt, as shading is inset a few points), so two
    tables on one page, and merged cells, keep their own columns.
    """
    vedges, hrules = _path_geometry(page)
    rules = [y for y, _ in _cluster((y for y, _, _ in hrules), 2.0)]
    if len(rules) < 2:
        return []
    words = sorted(words if words is not None else page_words(page), key=lambda w: w.yc)
    centres = [w.yc for w in words]
    rows: list[Row] = []
    for y0, y1 in zip(rules, rules[1:], strict=False):
        edges = [x for x, _ in _cluster((x for x, t, b in vedges if t < y1 - 1 and b > y0 + 1), 8.0)]
        if len(edges) < 2:
            continue
        band = words[bisect.bisect_right(centres, y0):bisect.bisect_left(centres, y1)]
        inside = [w for w in band if edges[0] - 2 < w.xc < edges[-1] + 2]
        per_col: list[list[Word]] = [[] for _ in range(len(edges) - 1)]
        for w in inside:
            i = min(max(column_of(w.x0 + 0.5, edges) - 1, 0), len(edges) - 2)
            per_col[i].append(w)
        rows.append(Row(top=y0, bottom=y1, cells=[join_cell(_lines_text(ws)) for ws in per_col], edges=edges))
    _spread_row_spans(rows, hrules)
    return rows


def _spread_row_spans(rows: list[Row], hrules: list[tuple[float, float, float]]) -> None:
    """A cell with no rule under it goes on in the next band (a row span, e.g. one material over
    several tests): every band it covers gets its text."""
    def closed(y: float, x: float) -> bool:
        return any(abs(ry - y) < 2.5 and x0 - 1 <= x <= x1 + 1 for ry, x0, x1 in hrules)

    chains: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for k in range(len(rows) - 1):
        upper, lower = rows[k], rows[k + 1]
        if abs(upper.bottom - lower.top) > 0.5:
            continue
        for j in range(len(upper.cells)):
            a, b = upper.edges[j], upper.edges[j + 1]
            if closed(upper.bottom, (a + b) / 2):
                continue
            m = next((i for i in range(len(lower.cells))
                      if abs(lower.edges[i] - a) < 3 and abs(lower.edges[i + 1] - b) < 3), None)
            if m is None:
                continue
            chain = chains.pop((k, j), [(k, j)])
            chain.append((k + 1, m))
            chains[(k + 1, m)] = chain
    for chain in chains.values():
        text = join_cell(rows[k].cells[j] for k, j in chain)
        for k, j in chain:
            rows[k].cells[j] = text


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


# --- Criteria tables of product standards (on candidate pages only) -------------------------------

# A header line that opens a criteria table: "TT | Tên chỉ tiêu | ...", "Chỉ tiêu | Mức | ...".
_CRITERIA_HEAD = re.compile(r"^(?:s?tt\.?\s+)?(?:ten\s+|cac\s+)?chi\s+tieu\b")
_CRITERIA_COLS = re.compile(r"\b(muc|yeu cau|gioi han|phuong phap thu|don vi|ham luong toi da)\b")
_CRITERIA_HINT = re.compile(r"ch[iỉ]\s*ti[eê]u|ti[eế]p\s+theo", re.IGNORECASE)
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
        if not _CRITERIA_HINT.search(text):
            continue  # folding every line of every page costs more than this test
        lines = [fold(ln) for ln in text.splitlines() if ln.strip()]
        hit = False
        for i, ln in enumerate(lines):
            # "Tên chỉ" / "tiêu": a header cell wrapped over two lines.
            head = ln if len(ln) >= 40 or i + 1 == len(lines) else f"{ln} {lines[i + 1]}"
            if len(ln) < 140 and _CRITERIA_HEAD.search(head) and _CRITERIA_COLS.search(" ".join(lines[i:i + 6])):
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


def _add_criterion(out: list[dict[str, Any]], row: list[str], roles: list[str], labels: dict[int, str],
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
        if not tt and out and out[-1]["page"] in (page_no, page_no - 1):
            out[-1]["name"] = clean(f"{out[-1]['name']} {name}")  # name carried over
        return
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


def _grid_header(rows: list[Row], i: int) -> tuple[list[str], dict[int, str], int] | None:
    """Roles (and grade labels) if band ``i`` heads a criteria table; with the number of bands it uses.

    A header often spans two bands: "Loại vật liệu CA" over "CA 6,7 | CA 9,5 | ...", or "Mức" over
    grade names; the finer band gives the columns, the coarser one lends its words by position.
    """
    row = rows[i]
    if "name" not in _plain_roles(row.cells):
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
        role = _plain_roles([text])[0] or _plain_roles([above])[0]
        roles.append(role)
        if text and text != above and role in ("", "requirement") and coarse is not None:
            labels[j] = text
    if "name" in roles and ({"requirement", "method", "unit"} & set(roles) or labels):
        return roles, labels, used
    return None


def _is_data(row: Row) -> bool:
    """A band that starts with a row number ("12", "II"): content, not a header."""
    return bool(re.fullmatch(r"\d+\.?|[IVXLC]+\.?", row.cells[0].strip())) if row.cells else False


def _plain_roles(cells: list[str]) -> list[str]:
    return [next((r for r, rx in _CRIT_ROLES if rx.search(fold(c))), "") for c in cells]


def criteria_from_grid(pages: list[tuple[int, list[Row]]], *, find_codes=None) -> list[dict[str, Any]]:
    """Criterion rows from ruled bands; a page without a header continues the last table."""
    out: list[dict[str, Any]] = []
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
                _add_criterion(out, rows[i].cells, roles, labels, page_no, find_codes)
            i += 1
    return out


def criteria_from_tables(tables: list[tuple[int, list[list[str | None]]]], *, find_codes=None) -> list[dict[str, Any]]:
    """Criterion rows from pdfplumber tables ``(page, rows)``; a table without a header continues the last one."""
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
            if len(row) == len(roles):
                _add_criterion(out, row, roles, labels, page_no, find_codes)
    return out


def extract_criteria(path: Path, page_numbers: list[int], *, find_codes=None) -> list[dict[str, Any]]:
    """Criteria rows from the given pages: the pypdfium2 grid, pdfplumber only for pages it cannot cut."""
    if not page_numbers:
        return []
    import pypdfium2 as pdfium

    gridded: list[tuple[int, list[Row]]] = []
    unruled: list[int] = []
    page_words_: dict[int, list[Word]] = {}
    doc = pdfium.PdfDocument(str(path))
    try:
        for no in page_numbers:
            page = doc[no - 1]
            try:
                words = page_words(page)
                rows = page_rows(page, words)
                # Drawn lines the grid could not cut into bands: let pdfplumber try. A page with no
                # lines at all has no table pdfplumber could find either.
                odd_lines = not rows and any(_path_geometry(page))
            finally:
                page.close()
            page_words_[no] = words
            if rows:
                gridded.append((no, rows))
            elif odd_lines:
                unruled.append(no)
    finally:
        doc.close()
    out = criteria_from_grid(gridded, find_codes=find_codes)
    if unruled:
        out.extend(_pdfplumber_criteria(path, unruled, find_codes=find_codes))
    # A page no ruled reader got a criterion from may hold a table aligned by white space only.
    done = {row["page"] for row in out}
    out.extend(criteria_unruled([(no, page_words_[no]) for no in page_numbers if no not in done],
                                find_codes=find_codes))
    out.sort(key=lambda r: (r["page"], r["position"]))
    for pos, row in enumerate(out, 1):
        row["position"] = pos
    return out


def _pdfplumber_criteria(path: Path, page_numbers: list[int], *, find_codes=None) -> list[dict[str, Any]]:
    """pdfplumber's table finder on the given pages, each page closed as soon as it is read."""
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


# --- Criteria tables without drawn rules (columns aligned by white space only) --------------------
#
# Re-typeset, Word-exported and company standards often set the criteria table with tabs: no rules to
# cut bands from. Such a table is found from its header (a line, or two or three tight lines, whose
# short phrases name the columns) and cut into columns at the white gutters its rows leave between the
# header phrases; a row starts where the TT column (or, without one, the name column) has text.

_MAX_HEAD_WORDS = 5
# Words of criteria table headers (folded): a line under a complete header made of these only is the
# header's second line ("Phương pháp" / "thử"); any other line is the first row.
_HEAD_WORDS = set(
    "tt stt so thu tu ten cac chi tieu muc yeu cau phuong phap thu don vi tinh gioi han toi da thieu ham "
    "luong quy dinh cong bo ghi chu kiem nghiem theo tieu chuan ket qua dac trung chat luong".split())
_CLAUSE_HEADING = re.compile(r"^\d+(?:\.\d+)*\.?\s+\S")
_TABLE_STOP = re.compile(r"^(?:bang\s+\d|chu thich|ghi chu\b)")
_ROW_NUMBER = re.compile(r"^(?:\d+|[IVXLC]+|[a-zđ])[.)]?$", re.IGNORECASE)


@dataclass
class _Unruled:
    """A criteria table's columns, kept to read its continuation on the next page."""

    roles: list[str]
    centres: list[float]  # x centre of each header cell
    bounds: list[float]  # len(roles) - 1 cuts between columns
    labels: dict[int, str] = field(default_factory=dict)  # grade names of split "Mức" columns
    number: str | None = None  # "Bảng N" of its caption: a continuation must name the same table


def _text_lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into visual lines, top to bottom, each line left to right."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.yc, w.x0)):
        if lines and abs(w.yc - lines[-1][0].yc) < max(lines[-1][0].bottom - lines[-1][0].top, 1.0) * 0.45:
            lines[-1].append(w)
        else:
            lines.append([w])
    for ln in lines:
        ln.sort(key=lambda w: w.x0)
    return lines


def _height(line: list[Word]) -> float:
    return max(min(w.bottom - w.top for w in line), 1.0)


def _chunks(line: list[Word], gap: float) -> list[list[Word]]:
    """A line cut into phrases at gaps wider than ``gap`` (a column gutter, not a word space)."""
    out: list[list[Word]] = []
    for w in line:
        if out and w.x0 - out[-1][-1].x1 <= gap:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _span(ws: list[Word]) -> tuple[float, float]:
    return min(w.x0 for w in ws), max(w.x1 for w in ws)


def _headerish(chunks: list[list[Word]]) -> bool:
    """Short phrases without digits: what header cells hold (a caption "Bảng 1 ..." or data does not)."""
    if chunks and _ROW_NUMBER.match(chunks[0][0].text):
        return False  # "I  Chỉ tiêu cảm quan": a group row under the header
    return all(len(c) <= _MAX_HEAD_WORDS and not any(ch.isdigit() for w in c for ch in w.text) for c in chunks)


def _unruled_header(lines: list[list[Word]], i: int, gap_of) -> tuple[list[str], list[tuple[float, float]], int] | None:
    """Roles and x-ranges of the header starting at line ``i``, with the number of lines it takes.

    Up to three tight lines ("Phương pháp" over "thử") are merged: phrases overlapping in x make one
    column; a phrase over two columns (a caption) spoils the block.
    """
    best = None
    block: list[list[list[Word]]] = []
    for k in range(i, min(i + 3, len(lines))):
        if block and lines[k][0].top - max(w.bottom for w in lines[k - 1]) > _height(lines[k - 1]) * 0.9:
            break  # not tight: the next line is another row, not the header's second line
        chunks = _chunks(lines[k], gap_of(lines[k]))
        if not _headerish(chunks) or (best and _grade_labels(lines, k, best[0], best[1], gap_of)):
            break  # data, or the grade names under "Mức" (split into columns by the caller)
        if best and not set(re.findall(r"\w+", fold(" ".join(w.text for w in lines[k])))) <= _HEAD_WORDS:
            break  # under a complete header, only a header's own words ("thử", "tính") go on it
        block.append(chunks)
        cols: list[list[Any]] = []  # [x0, x1, words]
        for chunks_ in block:
            for c in chunks_:
                x0, x1 = _span(c)
                hit = [col for col in cols if min(x1, col[1]) - max(x0, col[0]) > 0]
                if len(hit) > 1:
                    return best
                if hit:
                    hit[0][0], hit[0][1] = min(hit[0][0], x0), max(hit[0][1], x1)
                    hit[0][2].extend(c)
                else:
                    cols.append([x0, x1, list(c)])
        cols.sort(key=lambda col: col[0])
        texts = [" ".join(w.text for w in sorted(col[2], key=lambda w: (round(w.yc), w.x0))) for col in cols]
        roles = _plain_roles(texts)
        if len(cols) >= 2 and "name" in roles and {"requirement", "method", "unit"} & set(roles) \
                and sum(bool(r) for r in roles) * 3 >= len(roles) * 2 and roles.count("name") == 1:
            best = (roles, [(c[0], c[1]) for c in cols], len(block))
    return best


def _cut(lo: float, hi: float, spans: list[tuple[float, float]]) -> float:
    """The x in (lo, hi) crossed by the fewest spans: the middle of the widest such gutter."""
    if hi <= lo:
        return (lo + hi) / 2
    inside = [(max(a, lo), min(b, hi)) for a, b in spans if a < hi and b > lo]
    points = sorted({lo, hi, *(a for a, _ in inside), *(b for _, b in inside)})
    best_key, best_x = None, (lo + hi) / 2
    for a, b in zip(points, points[1:], strict=False):
        m = (a + b) / 2
        key = (sum(1 for x0, x1 in inside if x0 < m < x1), -(b - a))
        if best_key is None or key < best_key:
            best_key, best_x = key, m
    return best_x


def _table_lines(lines: list[list[Word]], start: int, centres: list[float], gap_of) -> int:
    """Index after the last line of the table body starting at ``start``."""
    prev_bottom = max(w.bottom for w in lines[start - 1]) if start > 0 else None
    k = start
    while k < len(lines):
        ln = lines[k]
        h = _height(ln)
        if prev_bottom is not None and ln[0].top - prev_bottom > h * 3.2:
            break  # a wide vertical gap: the table is over (a footer, the next clause)
        chunks = _chunks(ln, gap_of(ln))
        if any(sum(1 for c in centres if a <= c <= b) >= 2 for a, b in map(_span, chunks)):
            break  # a phrase across two columns: prose or a heading, not a table row
        text = fold(" ".join(w.text for w in ln))
        if _TABLE_STOP.search(text) or (len(chunks) == 1 and len(ln) == 1 and ln[0].text.isdigit()
                                        and ln[0].xc > centres[0] + (centres[-1] - centres[0]) / 2):
            break  # the next table's caption, a note, or a page number
        if len(chunks) == 1 and _CLAUSE_HEADING.match(text):
            break  # "3 Bao gói và ghi nhãn": the next clause
        prev_bottom = max(w.bottom for w in ln)
        k += 1
    return k


def _unruled_rows(lines: list[list[Word]], table: _Unruled) -> list[list[str]]:
    """Cells of each row: a row starts where the TT column (or the name column) has text.

    Rows are top-aligned in most tables; when the first line has no row number, or a number stands on
    a line without a name, the numbers are centred on their rows (see below).
    """
    roles = table.roles
    anchor = roles.index("tt") if "tt" in roles else roles.index("name")
    split: list[tuple[float, list[str], bool]] = []
    for ln in lines:
        per_col: list[list[Word]] = [[] for _ in roles]
        for w in ln:
            per_col[bisect.bisect_right(table.bounds, w.x0 + 0.5)].append(w)
        texts = [" ".join(w.text for w in ws) for ws in per_col]
        lead = texts[anchor]
        starts = bool(lead) and (
            _ROW_NUMBER.match(per_col[anchor][0].text) is not None if roles[anchor] == "tt"
            else not lead[0].islower() and lead[0] not in "(,;.-–")
        split.append((sum(w.yc for w in ln) / len(ln), texts, starts))
    owner = list(range(len(split)))
    heads = [k for k, (_, _, starts) in enumerate(split) if starts]
    name = roles.index("name")
    if roles[anchor] == "tt" and heads and (heads[0] > 0 or any(not split[h][1][name] for h in heads)):
        # A centred number has as much of its row below it as above: the lines before it join it,
        # and the lines after it as far down as its first line was above; the rest go to the next.
        pitch = max(_height(ln) for ln in lines) * 0.6
        done = -1
        for n, h in enumerate(heads):
            for k in range(done + 1, h):
                owner[k] = h
            limit = 2 * split[h][0] - split[min(done + 1, h)][0] + pitch
            stop = heads[n + 1] if n + 1 < len(heads) else len(split)
            k = h + 1
            while k < stop and (split[k][0] <= limit or n + 1 == len(heads)):
                owner[k] = h
                k += 1
            done = k - 1
    else:
        for k, (_, _, starts) in enumerate(split):
            if k and not starts:
                owner[k] = owner[k - 1]
    rows: dict[int, list[list[str]]] = {}
    for k, (_, texts, _) in enumerate(split):
        row = rows.setdefault(owner[k], [[] for _ in roles])
        for j, t in enumerate(texts):
            if t:
                row[j].append(t)
    return [[join_cell(parts) for parts in rows[k]] for k in sorted(rows)]


def _grade_labels(lines: list[list[Word]], start: int, roles: list[str], spans: list[tuple[float, float]],
                  gap_of) -> tuple[list[str], list[tuple[float, float]], dict[int, str]] | None:
    """A line under the header naming the grades of a "Mức" column ("Loại 1  Loại 2"): each becomes a
    requirement column of its own, labelled."""
    if start >= len(lines) or "name" not in roles:
        return None
    ln, above = lines[start], lines[start - 1]
    if ln[0].top - max(w.bottom for w in above) > _height(above) * 1.2:
        return None
    chunks = [_span(c) for c in _chunks(ln, gap_of(ln))]
    if len(chunks) < 2:
        return None
    # Under "Mức", or under a column the header names otherwise ("Loại vật liệu CA").
    for r in [j for j, role in enumerate(roles) if role == "requirement"] or \
            [j for j, role in enumerate(roles) if role == "" and j > roles.index("name")]:
        lo = spans[r - 1][1] if r > 0 else float("-inf")
        hi = spans[r + 1][0] if r + 1 < len(spans) else float("inf")
        if all(lo < a and b < hi for a, b in chunks) \
                and any(min(b, spans[r][1]) > max(a, spans[r][0]) for a, b in chunks):
            break
    else:
        return None
    texts = [" ".join(w.text for w in c) for c in _chunks(ln, gap_of(ln))]
    new_roles = roles[:r] + ["requirement"] * len(chunks) + roles[r + 1:]
    new_spans = spans[:r] + chunks + spans[r + 1:]
    return new_roles, new_spans, {r + j: t for j, t in enumerate(texts)}


def criteria_unruled(pages: list[tuple[int, list[Word]]], *, find_codes=None) -> list[dict[str, Any]]:
    """Criterion rows from pages whose criteria table has no drawn rules ``(page, words)``.

    A page without a header of its own continues the previous page's table below its
    "Bảng N (tiếp theo)" caption, with that table's columns.
    """
    out: list[dict[str, Any]] = []
    carried: _Unruled | None = None
    last_page = None
    for page_no, words in pages:
        lines = _text_lines(words)
        gaps = sorted(b.x0 - a.x1 for ln in lines for a, b in zip(ln, ln[1:], strict=False) if b.x0 > a.x1)
        space = gaps[len(gaps) // 4] if gaps else 2.5  # most gaps are word spaces

        def gap_of(ln: list[Word], space: float = space) -> float:
            return max(space * 2.5, _height(ln) * 0.6)

        tables: list[tuple[_Unruled, int, int]] = []  # table, first and past-last body line
        i = 0
        if carried is not None and last_page == page_no - 1:
            top, number = None, None
            for k, ln in enumerate(lines[:12]):
                m = re.search(r"(?:bang\s+(\d+)\D{0,80})?\(\s*tiep\s+theo\s*\)", fold(" ".join(w.text for w in ln)))
                if m:
                    top, number = k + 1, m.group(1)
                    break
            if number and carried.number and number != carried.number:
                top = None  # another table goes on here
            if top is not None and not any(_unruled_header(lines, k, gap_of) for k in range(top, min(top + 3, len(lines)))):
                end = _table_lines(lines, top, carried.centres, gap_of)
                tables.append((carried, top, end))
                i = end
        carried = None
        while i < len(lines):
            head = _unruled_header(lines, i, gap_of)
            if not head:
                i += 1
                continue
            roles, spans, used = head
            start = i + used
            labels: dict[int, str] = {}
            graded = _grade_labels(lines, start, roles, spans, gap_of)
            if graded:
                roles, spans, labels = graded
                start += 1
            head_centres = [(a + b) / 2 for a, b in head[1]]  # a value may span all grades
            centres = [(a + b) / 2 for a, b in spans]
            end = _table_lines(lines, start, head_centres, gap_of)
            body = [(w.x0, w.x1) for ln in lines[start:end] for w in ln]
            bounds = [_cut(centres[j], centres[j + 1], body + [spans[j], spans[j + 1]]) for j in range(len(spans) - 1)]
            caption = next((m.group(1) for ln in lines[max(0, i - 4):i]
                            if (m := re.match(r"bang\s+(\d+)", fold(" ".join(w.text for w in ln))))), None)
            tables.append((_Unruled(roles, centres, bounds, labels, caption), start, end))
            i = max(end, start)
        for table, start, end in tables:
            for cells in _unruled_rows(lines[start:end], table):
                if any(c for c, r in zip(cells, table.roles, strict=False) if r not in ("name", "tt")):
                    _add_criterion(out, cells, table.roles, table.labels, page_no, find_codes)
                # else a group heading ("Chỉ tiêu vi sinh"): wrapped names are merged already
            carried = table  # the last table on a page may go on, under "(tiếp theo)", on the next
        last_page = page_no
    return out
