"""Criteria tables without drawn rules (columns aligned by white space only)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

from ingest.criteria.roles import add_criterion, cell_roles, is_criteria_header
from ingest.grid import Word, join_cell, text_lines
from kb.records import CriterionRow
from kb.text import fold

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
        roles = cell_roles(texts)
        if len(cols) >= 2 and is_criteria_header(roles) and sum(bool(r) for r in roles) * 3 >= len(roles) * 2:
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


def criteria_unruled(pages: list[tuple[int, list[Word]]], *, find_codes=None) -> list[CriterionRow]:
    """Criterion rows from pages whose criteria table has no drawn rules ``(page, words)``.

    A page without a header of its own continues the previous page's table below its
    "Bảng N (tiếp theo)" caption, with that table's columns.
    """
    out: list[CriterionRow] = []
    carried: _Unruled | None = None
    last_page = None
    for page_no, words in pages:
        lines = text_lines(words)
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
                    add_criterion(out, cells, table.roles, table.labels, page_no, find_codes)
                # else a group heading ("Chỉ tiêu vi sinh"): wrapped names are merged already
            carried = table  # the last table on a page may go on, under "(tiếp theo)", on the next
        last_page = page_no
    return out
