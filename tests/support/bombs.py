"""Spreadsheet bombs built in seconds (no binary fixture is committed): a real workbook whose shared-strings
or sheet part is swapped for a huge one."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

from tests.ingest.test_importers import write_xlsx

MB = 1024 * 1024

SCOPE_HEADER = ["số công nhận", "vật liệu", "phép thử", "phạm vi đo", "phương pháp", "được công nhận"]
SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST = b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def swap_part(path: Path, rows: list[list], part: str, chunks: Iterable[bytes]) -> Path:
    """``rows`` as a real workbook at ``path``, with ``part`` written from ``chunks`` (streamed, deflated) and
    declared in ``[Content_Types].xml`` (only the shared strings need it: openpyxl reads those it finds there)."""
    plain = write_xlsx(path.with_suffix(".plain.xlsx"), rows)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml" and part.encode() not in data:  # openpyxl writes inline
                data = data.replace(b"</Types>", b'<Override PartName="/%s" ContentType="%s" /></Types>'
                                    % (part.encode(), SST_TYPE))  # strings: declare the part, so it is read
            if info.filename != part:
                out.writestr(info, data)
        with out.open(part, "w", force_zip64=True) as fh:
            for chunk in chunks:
                fh.write(chunk)
    plain.unlink()
    return path


def xlsx_bomb(path: Path, rows: list[list], unpacked_mb: int = 1024) -> Path:
    """``rows`` as a workbook whose shared strings unpack to ``unpacked_mb`` MB, deflated about 1000:1
    (1 GiB → about 1 MB), as in issue 15: one shared string that is a run of one byte."""
    block = b"A" * MB
    return swap_part(path, rows, "xl/sharedStrings.xml",
                     [SST + b"<si><t>", *(block for _ in range(unpacked_mb)), b"</t></si></sst>"])


def big_string(path: Path, rows: list[list], unpacked_mb: int) -> Path:
    """A workbook whose one shared string is ``unpacked_mb`` MB of text that packs about 25:1, under the ratio
    check: one letter in a hundred is random, and the pattern repeats past deflate's 32 KB window."""
    letters = bytes(97 + b % 26 for b in os.urandom(len(range(0, MB, 100))))
    block = bytearray(b"A" * MB)
    block[::100] = letters
    return swap_part(path, rows, "xl/sharedStrings.xml",
                     [SST + b"<si><t>", *(bytes(block) for _ in range(unpacked_mb)), b"</t></si></sst>"])


def many_cells(path: Path, rows: int, columns: int) -> Path:
    """A sheet of ``rows`` × ``columns`` distinct numbers: packs like real data (~7:1), costs CPU seconds."""
    out = io.BytesIO()
    n = 0
    for r in range(1, rows + 1):
        out.write(b'<row r="%d">' % r + b"".join(b"<c><v>%d</v></c>" % (n + c) for c in range(columns)) + b"</row>")
        n += columns
    head = (b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet '
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    return swap_part(path, [["x"]], "xl/worksheets/sheet1.xml", [head, out.getvalue(), b"</sheetData></worksheet>"])
