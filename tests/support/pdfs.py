"""Generated PDFs for ingest tests (fpdf2 + DejaVu): standards with the real layout's hazards, and bad files.

Library of plain functions so every ingest test module can import what it needs:

- ``make_standard_pdf``: cover, foreword, body with running headers; options for NFD text, a TCVN3
  text layer, a two-column body page and text drawn outside the visible page.
- ``make_text_pdf``: one page per given string.
- ``make_scan_pdf``: pages with a drawing but no text layer (needs OCR).
- ``make_junk_text_pdf``: a text layer of junk only (needs OCR).
- ``make_encrypted_pdf``, ``make_truncated_pdf``, ``make_not_pdf``, ``make_zero_page_pdf``: bad input.
"""

from __future__ import annotations

import textwrap
import unicodedata
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

DEFAULT_FOREWORD = (
    "{code} thay thế TCVN 3118:1993.\n"
    "{code} được xây dựng trên cơ sở tham khảo GOST 10180-2012, Concretes - Methods for strength "
    "determination using reference specimens.\n"
    "{code} do Viện Khoa học Công nghệ Xây dựng biên soạn, Bộ Xây dựng đề nghị, Tổng cục Tiêu chuẩn "
    "Đo lường Chất lượng thẩm định, Bộ Khoa học và Công nghệ công bố."
)
DEFAULT_CLAUSES = [
    ("1 Phạm vi áp dụng", "Tiêu chuẩn này quy định phương pháp xác định cường độ chịu nén của bê tông."),
    (
        "2 Tài liệu viện dẫn",
        "Các tài liệu viện dẫn sau đây là cần thiết khi áp dụng tiêu chuẩn này.\n"
        "TCVN 3105:2022, Hỗn hợp bê tông và bê tông - Lấy mẫu, chế tạo và bảo dưỡng mẫu thử.\n"
        "TCVN 5878:2007 (ISO 2178:1982), Lớp phủ không từ trên chất nền từ - Đo chiều dày lớp mạ.",
    ),
    ("3 Thiết bị, dụng cụ", "3.1 Máy nén có thang lực phù hợp.\n3.2 Thước lá kim loại."),
    ("4 Cách tiến hành", "Đặt mẫu vào máy nén và tăng lực đều đến khi mẫu bị phá hủy."),
    ("5 Báo cáo thử nghiệm", "Báo cáo thử nghiệm gồm các thông tin sau: số hiệu tiêu chuẩn này."),
]

# Inverse of the TCVN3 (ABC) table: Unicode letter → the legacy byte, written as its Latin-1 character.
_TCVN3_BYTES = (
    "àµ á¸ ả¶ ã· ạ¹ ă¨ ằ» ắ¾ ẳ¼ ẵ½ ặÆ â© ầÇ ấÊ ẩÈ ẫÉ ậË đ® èÌ éÐ ẻÎ ẽÏ ẹÑ êª ềÒ ếÕ ểÓ ễÔ ệÖ "
    "ì× íÝ ỉØ ĩÜ ịÞ òß óã ỏá õâ ọä ô« ồå ốè ổæ ỗç ộé ơ¬ ờê ớí ởë ỡì ợî ùï úó ủñ ũò ụô "
    "ư\u00ad ừõ ứø ửö ữ÷ ựù ỳú ýý ỷû ỹü ỵþ Ă¡ Â¢ Đ§ Ê£ Ô¤ Ơ¥ Ư¦"
)
TCVN3_ENCODE = str.maketrans({pair[0]: pair[1] for pair in _TCVN3_BYTES.split(" ")})


def tcvn3_bytes(text: str) -> str:
    """Unicode Vietnamese → TCVN3 byte codes as Latin-1 characters (upper-case accented letters, which
    TCVN3 draws with a separate upper-case font, are written lower-case as that font's codes are)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        enc = ch.translate(TCVN3_ENCODE)
        if enc == ch and ch.isupper() and ch.lower().translate(TCVN3_ENCODE) != ch.lower():
            enc = ch.lower().translate(TCVN3_ENCODE)
        out.append(enc)
    return "".join(out)


def vni_bytes(text: str) -> str:
    """Unicode Vietnamese → VNI-Windows byte codes as Latin-1 characters (base letter + mark bytes)."""
    from ingest.legacy_fonts import VNI_TO_UNICODE

    encode = {uni: code for code, uni in sorted(VNI_TO_UNICODE.items(), key=lambda kv: -len(kv[0]))}
    return "".join(encode.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


class _Doc(FPDF):
    def __init__(self, header_text: str | None = None, transform=lambda s: s):
        super().__init__(format="A4", unit="mm")
        self.add_font("DejaVu", "", str(FONT))
        self.add_font("DejaVu", "B", str(FONT_BOLD))
        self.set_auto_page_break(True, margin=20)
        self.set_margins(20, 20, 20)
        self._header_text = header_text
        self._t = transform
        self.running = False

    def header(self):
        if self.running and self._header_text:
            self.set_font("DejaVu", "", 9)
            self.set_xy(20, 8)
            self.cell(120, 5, self._t(self._header_text))
            self.set_xy(170, 8)
            self.cell(20, 5, str(self.page_no()), align="R")
            self.set_xy(20, 20)

    def para(self, text: str, size: float = 11, bold: bool = False, align: str = "L", h: float = 6):
        self.set_font("DejaVu", "B" if bold else "", size)
        text = self._t(text)
        if "\u00ad" in text:
            # TCVN3 codes ư as byte 0xAD, which multi_cell would take for a soft hyphen and drop.
            for line in text.split("\n"):
                for part in textwrap.wrap(line, 70) or [""]:
                    self.cell(0, h, part, align=align, new_x="LMARGIN", new_y="NEXT")
            return
        self.multi_cell(0, h, text, align=align, new_x="LMARGIN", new_y="NEXT")


def letter_spaced(text: str) -> str:
    """``TIÊU CHUẨN`` → ``T I Ê U  C H U Ẩ N`` as printed on real covers."""
    return "  ".join(" ".join(word) for word in text.split())


def make_standard_pdf(
    path: Path,
    *,
    title: str = "Bê tông - Phương pháp xác định cường độ chịu nén",
    title_en: str | None = "Hardened concrete - Test method for compressive strength",
    code: str = "TCVN 3118:2022",
    edition: int | None = 3,
    foreword: str | None = DEFAULT_FOREWORD,
    clauses: list[tuple[str, str]] | None = None,
    heading: str = "TIÊU CHUẨN QUỐC GIA",
    city_year: str | None = None,
    nfd: bool = False,
    two_column: bool = False,
    tcvn3: bool = False,
    vni: bool = False,
    offpage_text: str | None = None,
) -> Path:
    """A national standard laid out like the real ones: letter-spaced cover heading, code, edition,
    upper-case title, English title; foreword page; body pages with a running header ``code`` + page.

    ``nfd`` writes every string decomposed (NFD); ``tcvn3`` / ``vni`` write the text layer as TCVN3 / VNI
    byte codes;
    ``two_column`` sets the clauses in two columns on the body page; ``offpage_text`` is drawn outside the
    visible page on the cover (it must not be read).
    """
    path = Path(path)
    clauses = DEFAULT_CLAUSES if clauses is None else clauses
    year = code.rsplit(":", 1)[-1] if ":" in code else "2022"

    def transform(s: str) -> str:
        s = unicodedata.normalize("NFD", s) if nfd else s
        if vni:
            return vni_bytes(s)
        return tcvn3_bytes(s) if tcvn3 else s

    pdf = _Doc(header_text=code, transform=transform)
    # Cover
    pdf.add_page()
    pdf.para(letter_spaced(heading), size=12, bold=True, align="C")
    pdf.ln(6)
    pdf.para(code, size=16, bold=True, align="R")
    if edition:
        pdf.para(f"Xuất bản lần {edition}", size=10, align="R")
    pdf.ln(30)
    pdf.para(title.upper(), size=14, bold=True, align="C", h=8)
    if title_en:
        pdf.ln(4)
        pdf.para(title_en, size=11, align="C")
    pdf.ln(60)
    pdf.para(city_year or f"HÀ NỘI – {year}", size=11, bold=True, align="C")
    if offpage_text:
        pdf.set_font("DejaVu", "", 11)
        pdf.text(-400, -300, transform(offpage_text))
    # Foreword
    pdf.running = True
    if foreword is not None:
        pdf.add_page()
        pdf.para("Lời nói đầu", size=13, bold=True)
        pdf.ln(2)
        pdf.para(foreword.format(code=code))
    # Body
    pdf.add_page()
    pdf.para(f"{letter_spaced(heading)}    {code}", size=11, bold=True)
    pdf.ln(2)
    pdf.para(title, size=13, bold=True)
    if title_en:
        pdf.para(title_en, size=11)
    pdf.ln(3)
    if two_column:
        _two_columns(pdf, clauses)
    else:
        for head, body in clauses:
            pdf.para(head, size=11, bold=True)
            pdf.para(body)
            pdf.ln(2)
    pdf.output(str(path))
    return path


def _two_columns(pdf: _Doc, clauses: list[tuple[str, str]]) -> None:
    half = (len(clauses) + 1) // 2
    top = pdf.get_y()
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 8) / 2
    for col, chunk in enumerate((clauses[:half], clauses[half:])):
        x = pdf.l_margin + col * (width + 8)
        pdf.set_xy(x, top)
        for head, body in chunk:
            pdf.set_x(x)
            pdf.set_font("DejaVu", "B", 10)
            pdf.multi_cell(width, 5, pdf._t(head), new_x="LEFT", new_y="NEXT")
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(width, 5, pdf._t(body), new_x="LEFT", new_y="NEXT")
            pdf.ln(2)


def make_text_pdf(path: Path, pages: list[str], *, size: float = 11) -> Path:
    """One page per string, plain layout."""
    pdf = _Doc()
    for text in pages:
        pdf.add_page()
        pdf.para(text, size=size)
    pdf.output(str(path))
    return Path(path)


def make_scan_pdf(path: Path, pages: int = 2) -> Path:
    """Pages with vector drawing only (a 'scan'): no text layer at all."""
    pdf = _Doc()
    for _ in range(pages):
        pdf.add_page()
        for i in range(30):
            pdf.line(20, 30 + i * 8, 190, 30 + i * 8)
    pdf.output(str(path))
    return Path(path)


def make_junk_text_pdf(path: Path, pages: int = 2) -> Path:
    """A scan whose text layer holds only junk stamps (file names, symbol soup)."""
    pdf = _Doc()
    for i in range(pages):
        pdf.add_page()
        pdf.set_font("DejaVu", "", 8)
        pdf.text(10, 10, f"TCVN {i + 1}.pdf")
        pdf.text(10, 280, "@#$%^&*~~ ||| ### ^^^ }{}{ <<>> ¤¤¤ §§ ¶¶ ©®")
        for j in range(30):
            pdf.line(20, 30 + j * 8, 190, 30 + j * 8)
    pdf.output(str(path))
    return Path(path)


def make_encrypted_pdf(path: Path, password: str = "secret") -> Path:
    pdf = _Doc()
    pdf.set_encryption(owner_password=password + "-owner", user_password=password)
    pdf.add_page()
    pdf.para("Tài liệu mật")
    pdf.output(str(path))
    return Path(path)


def make_truncated_pdf(path: Path, source: Path | None = None, keep: float = 0.5) -> Path:
    """The first ``keep`` share of a valid PDF's bytes (a cut-off download)."""
    if source is None:
        source = make_standard_pdf(Path(path).with_suffix(".full.pdf"))
    data = Path(source).read_bytes()
    Path(path).write_bytes(data[: max(16, int(len(data) * keep))])
    return Path(path)


def make_not_pdf(path: Path) -> Path:
    Path(path).write_bytes(b"<html><body>404 Not Found</body></html>\n")
    return Path(path)


def write_raw_pdf(path: Path, objects: list[bytes]) -> Path:
    """A PDF written object by object (object 1 is the catalogue), for shapes fpdf2 refuses to write."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    Path(path).write_bytes(bytes(out))
    return Path(path)


def make_zero_page_pdf(path: Path) -> Path:
    """A syntactically valid PDF whose page tree has no pages (fpdf2 refuses to write one)."""
    return write_raw_pdf(path, [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
