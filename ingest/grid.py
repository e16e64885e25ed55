"""The word grid of a PDF page: words with their boxes, the page's drawn rules, and ruled table rows
cut from them (``page_rows``), read with pypdfium2.

pdfplumber is correct but ≈80× slower than pypdfium2, so ruled tables (the lab declaration, the
catalogue, criteria tables) are cut from pypdfium2 character boxes and the table's own rules: thin
filled rules, outlined cells, one stroked path per row, shaded cells, row spans. The readers of each
kind of table (``ingest.criteria``, ``ingest.lab``, ``ingest.catalogue``) work on these rows.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kb.text import clean

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


def path_geometry(page: Any) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
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
    vedges, hrules = path_geometry(page)
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


def text_lines(words: list[Word]) -> list[list[Word]]:
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


def _lines_text(words: list[Word]) -> list[str]:
    """Words of one cell as its lines of text, top to bottom."""
    return [" ".join(w.text for w in ln) for ln in text_lines(words)]


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
