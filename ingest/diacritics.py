"""Vietnamese diacritics repair for OCR'd text: ``DAT, CHAT THAI ... VA BUN`` → ``ĐẤT, CHẤT THẢI ... VÀ BÙN``.

Tesseract reads lower-case marks well and upper-case ones poorly, so a scan's title (printed in capitals)
loses accents that its body, printed in lower case, keeps. Each word is replaced by the accented spelling
with the same letters (accent-folded) that fits its neighbours best, under a syllable-bigram model counted
from a vocabulary: the printed furniture of a standard (``LAYOUT``), the knowledge base's own titles and
names (``kb_vocabulary``: the ingest parent reads them, the worker gets them with the file) and the
document's other lines. The worker repairs the pages before the extraction rules read them (``Xuất ban lần
3`` would hide an edition). A word no spelling in the vocabulary fits is left as read.

Why not a package: ``underthesea`` is GPL; ``pyvi`` (MIT) was not measured. A bigram model over the
knowledge base's words knows this domain's terms (``đầm nén``, ``bùn``); ``tests/ingest/test_ocr.py`` and
``bench/ocr.py`` measure it on generated and corpus scans.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

from kb import documents
from kb.core import KnowledgeBase
from kb.text import fold, nfc

_LETTERS = re.compile(r"[^\W\d_]+")
#: Interpolation weight of the unigram model.
_ALPHA = 2.0
#: How much the spelling OCR read is preferred: much when it has marks (Tesseract rarely invents them), some
#: for a lower-case word, none for a capital word without marks (where it drops them).
_AS_READ_MARKED, _AS_READ_LOWER = math.log(50.0), math.log(2.0)
#: A syllable ending in a stop (p, t, c, ch) takes the sắc or nặng tone: ``dat``, ``chat`` are not words.
_STOP_END = re.compile(r"(?:p|t|c|ch)$")
_STOP_TONES = {"\u0301", "\u0323"}
#: Below this share of marked words an OCR'd line has lost its marks (ordinary Vietnamese text: about 3/4).
_MARKED_SHARE = 0.5


class Vocabulary:
    """Syllable and syllable-bigram counts of accented text, with the spellings of each folded syllable."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self.unigrams: Counter[str] = Counter()
        self.bigrams: Counter[tuple[str, str]] = Counter()
        self.total = 0
        self.spellings: defaultdict[str, set[str]] = defaultdict(set)
        for text in texts:
            self.add(text)

    def add(self, text: str | None, *, ocr: bool = False, weight: int = 1) -> None:
        """Count ``text``. OCR'd text counts only what OCR reads reliably: no all-capital words, and no
        unmarked word of a line that lost its marks (fewer than half its syllables marked, as a title
        line read as ``Dat, chat thai sinh học đã xử lý va bun``), whose unmarked words would vote for
        themselves. ``weight=-1`` takes a text out again."""
        for line in nfc(text).splitlines():
            words = [w for w in _LETTERS.findall(line) if not (ocr and len(w) > 1 and w.isupper())]
            marked = sum(1 for w in words if _marked(w))
            keep_unmarked = not ocr or marked >= _MARKED_SHARE * len(words)
            prev: str | None = None
            for word in words:
                w = word.lower()
                if _toneless_stop(w) or not (keep_unmarked or _marked(w)):
                    prev = None
                    continue
                self.unigrams[w] += weight
                self.total += weight
                self.spellings[fold(w)].add(w)
                if prev is not None:
                    self.bigrams[prev, w] += weight
                prev = w

    def repair_own_text(self, pages: list[str]) -> list[str]:
        """Pages of OCR'd text, counted into this vocabulary and repaired; each line is repaired against
        the other lines (its own words taken out for the while), so a line cannot vouch for itself."""
        for page in pages:
            self.add(page, ocr=True)
        out = []
        for page in pages:
            lines = []
            for line in page.split("\n"):
                self.add(line, ocr=True, weight=-1)
                lines.append(repair(line, self))
                self.add(line, ocr=True)
            out.append("\n".join(lines))
        return out

    def copy(self) -> Vocabulary:
        other = Vocabulary()
        other.unigrams, other.bigrams, other.total = self.unigrams.copy(), self.bigrams.copy(), self.total
        for k, v in self.spellings.items():
            other.spellings[k] = set(v)
        return other

    def _unigram(self, w: str, total: int) -> float:
        return (self.unigrams[w] + 0.1) / (total + 0.1 * (len(self.unigrams) + 1))

    def _score(self, prev: str | None, w: str, total: int) -> float:
        p_uni = self._unigram(w, total)
        if prev is None:
            return math.log(p_uni)
        return math.log((self.bigrams[prev, w] + _ALPHA * p_uni) / (self.unigrams[prev] + _ALPHA))


def repair(text: str | None, vocab: Vocabulary) -> str:
    """``text`` with each word's marks chosen by the bigram model (Viterbi over each line); case kept."""
    if not text:
        return text or ""
    return "\n".join(_repair_line(line, vocab) for line in nfc(text).split("\n"))


def _repair_line(line: str, vocab: Vocabulary) -> str:
    words = list(_LETTERS.finditer(line))
    if not words:
        return line
    total = int(vocab.total)
    # Viterbi: for each word, the best path ending in each of its candidate spellings.
    paths: dict[str | None, tuple[float, list[str]]] = {None: (0.0, [])}
    for m in words:
        read = m.group().lower()
        options = vocab.spellings.get(fold(read), set())
        if _marked(read):  # OCR drops marks, it hardly invents them: a marked word keeps some
            options = {o for o in options if _marked(o)}
        if not options or not _toneless_stop(read):
            options = options | {read}
        bonus = _as_read_bonus(m.group())
        step: dict[str | None, tuple[float, list[str]]] = {}
        for cand in options:
            best = max(((score + vocab._score(prev, cand, total) + (bonus if cand == read else 0.0), seq)
                        for prev, (score, seq) in paths.items()), key=lambda t: t[0])
            step[cand] = (best[0], [*best[1], cand])
        paths = step
    chosen = max(paths.values(), key=lambda t: t[0])[1]
    out, pos = [], 0
    for m, spelling in zip(words, chosen, strict=True):
        out.append(line[pos:m.start()])
        out.append(_with_case(m.group(), spelling))
        pos = m.end()
    out.append(line[pos:])
    return "".join(out)


def _with_case(read: str, spelling: str) -> str:
    """The chosen spelling in the letter case OCR read (a mixed-case word such as ``pH`` is kept as read)."""
    if spelling == read.lower():
        return read
    if read.isupper():
        return spelling.upper()
    if read[:1].isupper() and read[1:].islower():
        return spelling[:1].upper() + spelling[1:]
    return spelling if read.islower() else read


def _toneless_stop(word: str) -> bool:
    """A Vietnamese-looking syllable that cannot be one: it ends in a stop without sắc or nặng."""
    return bool(_STOP_END.search(word)) and not (_STOP_TONES & set(unicodedata.normalize("NFD", word)))


def _marked(word: str) -> bool:
    return fold(word) != word.lower()


def _as_read_bonus(read: str) -> float:
    if _marked(read):
        return _AS_READ_MARKED
    return 0.0 if len(read) > 1 and read.isupper() else _AS_READ_LOWER


#: The printed furniture of Vietnamese standards and regulations, which every scan has and a knowledge base
#: may not (``Xuất ban lần 3`` must read as an edition).
LAYOUT = """Tiêu chuẩn quốc gia. Tiêu chuẩn Việt Nam. Quy chuẩn kỹ thuật quốc gia. Xuất bản lần. Soát xét lần.
Lời nói đầu. Mục lục. Phạm vi áp dụng. Tài liệu viện dẫn. Tiêu chuẩn viện dẫn. Thuật ngữ và định nghĩa.
Phụ lục. Quy định. Tham khảo. Thư mục tài liệu tham khảo. Hà Nội. Bộ Khoa học và Công nghệ công bố.
Tổng cục Tiêu chuẩn Đo lường Chất lượng thẩm định, đề nghị. Ban kỹ thuật tiêu chuẩn quốc gia biên soạn.
Hoàn toàn tương đương. Thay thế. Phương pháp thử. Yêu cầu kỹ thuật. Báo cáo thử nghiệm. Cách tiến hành."""


def base_vocabulary() -> Vocabulary:
    """What every repair starts from: the printed furniture of a standard."""
    return Vocabulary([LAYOUT])


def kb_vocabulary(kbase: KnowledgeBase) -> Vocabulary:
    """The knowledge base's own words (``kb.documents.known_texts``) on top of the base vocabulary."""
    vocab = base_vocabulary()
    for text in documents.known_texts(kbase):
        vocab.add(text)
    return vocab
