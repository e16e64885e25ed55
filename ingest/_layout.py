"""Page furniture and line helpers shared by the field extractors.

The text layer of a standard repeats a running header (``TCVN 3106:2022`` + page number), re-hosting
sites add advertising lines, and template documents repeat a header box on every page. These are
found by repetition across pages, never by name, and set aside so the body reads continuously.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from kb.text import fold

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_PAGE_NUMBER = re.compile(r"(?:trang\s*)?[-–]?\s*\d{1,4}\s*[-–]?(?:\s*/\s*\d{1,4})?", re.IGNORECASE)


def is_toc_line(text: str) -> bool:
    """A table-of-contents line: dot leaders (or ellipses) before a page number, or at the end.
    Plain string tests, no regex: a page-long run of dots must not cost quadratic time."""
    t = text.rstrip(" 0123456789")
    return t.endswith(("....", "……", ". . . ."))

HEAD_ZONE = 8  # lines at the top (and bottom) of a page where furniture may sit


@dataclass
class Line:
    page: int  # 1-based
    text: str  # single-spaced, stripped


def squash(text: str) -> str:
    """Folded and space-free: ``T I Ê U C H U Ẩ N`` and ``TIÊU CHUẨN`` both give ``tieuchuan``."""
    return fold(text).replace(" ", "")


def single_space(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _shape(line: str) -> str:
    return _DIGITS.sub("#", single_space(line)).casefold()


def page_lines(pages: list[str]) -> list[list[str]]:
    return [[s for s in (single_space(x) for x in page.split("\n")) if s] for page in pages]


def furniture(lines_by_page: list[list[str]]) -> list[tuple[set[int], set[int]]]:
    """For each page, (top, bottom) sets of line indexes that are running headers/footers.

    A line is furniture when it sits in the top or bottom zone of a page and a line of the same shape
    (digits ignored) sits in that zone on at least 3 pages and 40 % of the pages with text; bare page
    numbers in those zones are furniture too.
    """
    with_text = [ls for ls in lines_by_page if ls]
    counts: Counter[str] = Counter()
    for ls in with_text:
        zone = set(_shape(x) for x in ls[:HEAD_ZONE]) | set(_shape(x) for x in ls[-HEAD_ZONE:])
        counts.update(zone)
    threshold = max(3, 0.4 * len(with_text))
    repeated = {shape for shape, n in counts.items() if n >= threshold}
    out = []
    for ls in lines_by_page:
        top: set[int] = set()
        for i, x in enumerate(ls[:HEAD_ZONE]):
            if _shape(x) in repeated or _PAGE_NUMBER.fullmatch(x):
                top.add(i)
            else:
                break
        bottom: set[int] = set()
        for i in range(len(ls) - 1, max(len(ls) - 1 - HEAD_ZONE, -1), -1):
            if i in top:
                break
            if _shape(ls[i]) in repeated or _PAGE_NUMBER.fullmatch(ls[i]):
                bottom.add(i)
            else:
                break
        out.append((top, bottom))
    return out


def body_lines(pages: list[str]) -> tuple[list[Line], list[list[str]]]:
    """Lines of the whole document without running headers/footers, and the furniture lines per page."""
    by_page = page_lines(pages)
    marks = furniture(by_page)
    body: list[Line] = []
    removed: list[list[str]] = []
    for p, (ls, (top, bottom)) in enumerate(zip(by_page, marks, strict=False), start=1):
        removed.append([ls[i] for i in sorted(top)] + [ls[i] for i in sorted(bottom)])
        body.extend(Line(p, x) for i, x in enumerate(ls) if i not in top and i not in bottom)
    return body, removed


_VI_LETTERS = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)


def has_vietnamese(text: str) -> bool:
    return _VI_LETTERS.search(text) is not None


def upper_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(ch.isupper() for ch in letters) / len(letters)


def is_upper_line(text: str) -> bool:
    """Mostly capitals (a unit like ``pH`` or ``mm`` may stay lower-case)."""
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and upper_share(text) >= 0.85


def is_english_line(text: str) -> bool:
    words = re.findall(r"[A-Za-z]+", text)
    return len(words) >= 2 and not has_vietnamese(text) and upper_share(text) < 0.85
