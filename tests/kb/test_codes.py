"""Tests for kb.codes: the grammar of standard designations."""

from __future__ import annotations

import datetime
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.codes import DOC_TYPES, Designation, canonical, find_all, iter_matches, parse, parse_query

THIS_YEAR = datetime.date.today().year


def D(doc_type, number, part=None, year=None, issuer_suffix=None, prefix=None, amendment=None):
    return Designation(doc_type=doc_type, number=number, part=part, year=year,
                       issuer_suffix=issuer_suffix, prefix=prefix, amendment=amendment)


# --------------------------------------------------------------------------------------------
# Table: printed or typed form -> (canonical, fields)

CASES = [
    ("TCVN 3118:2022", "TCVN 3118:2022", D("TCVN", "3118", year="2022")),
    ("TCVN 14134-5:2024", "TCVN 14134-5:2024", D("TCVN", "14134", "5", "2024")),
    ("TCVN 14134-5", "TCVN 14134-5", D("TCVN", "14134", "5")),
    ("TCVN 6259-1:2003", "TCVN 6259-1:2003", D("TCVN", "6259", "1", "2003")),
    ("TCVN 2682-1992", "TCVN 2682:1992", D("TCVN", "2682", year="1992")),
    ("TCVN 1651-85", "TCVN 1651:1985", D("TCVN", "1651", year="1985")),
    ("TCVN 4449-87", "TCVN 4449:1987", D("TCVN", "4449", year="1987")),
    ("TCVN 7572-12", "TCVN 7572-12", D("TCVN", "7572", "12")),  # part: see rule 4
    ("TCVN 8860–10", "TCVN 8860-10", D("TCVN", "8860", "10")),
    ("TCVN 7496:05", "TCVN 7496:2005", D("TCVN", "7496", year="2005")),
    ("TCVN 7447-4-41", "TCVN 7447-4-41", D("TCVN", "7447", "4-41")),
    ("TCVN 5408 : 2007", "TCVN 5408:2007", D("TCVN", "5408", year="2007")),
    ("TCVN\u00a05408\u3000:\u00a02007", "TCVN 5408:2007", D("TCVN", "5408", year="2007")),
    ("ＴＣＶＮ ５４０８：２００７", "TCVN 5408:2007", D("TCVN", "5408", year="2007")),
    ("tcvn 5408:2007", "TCVN 5408:2007", D("TCVN", "5408", year="2007")),
    ("TCVN3736:1982", "TCVN 3736:1982", D("TCVN", "3736", year="1982")),
    ("TCVN 4195:95", "TCVN 4195:1995", D("TCVN", "4195", year="1995")),
    ("TCVN ISO 9001:2015", "TCVN ISO 9001:2015", D("TCVN", "9001", year="2015", prefix="ISO")),
    ("TCVN ISO/IEC 17025:2017", "TCVN ISO/IEC 17025:2017",
     D("TCVN", "17025", year="2017", prefix="ISO/IEC")),
    ("QCVN 8-1:2011/BYT", "QCVN 8-1:2011/BYT", D("QCVN", "8", "1", "2011", "BYT")),
    ("QCVN 01-1:2018/BYT", "QCVN 01-1:2018/BYT", D("QCVN", "01", "1", "2018", "BYT")),
    ("QCVN 32:2026/BXD", "QCVN 32:2026/BXD", D("QCVN", "32", year="2026", issuer_suffix="BXD")),
    ("qcvn 8–1:2011/byt", "QCVN 8-1:2011/BYT", D("QCVN", "8", "1", "2011", "BYT")),
    ("Sửa đổi 1:2016 QCVN 4:2009/BKHCN", "Sửa đổi 1:2016 QCVN 4:2009/BKHCN",
     D("QCVN", "4", year="2009", issuer_suffix="BKHCN", amendment="1:2016")),
    ("QCXDVN 01:2008/BXD", "QCXDVN 01:2008/BXD", D("QCXDVN", "01", year="2008", issuer_suffix="BXD")),
    ("TCXDVN 326:2004", "TCXDVN 326:2004", D("TCXDVN", "326", year="2004")),
    ("TCXDVN314:2005", "TCXDVN 314:2005", D("TCXDVN", "314", year="2005")),
    ("TCCS 09:2024/CĐBVN", "TCCS 09:2024/CĐBVN", D("TCCS", "09", year="2024", issuer_suffix="CĐBVN")),
    ("QCĐP 02:2019/BN", "QCĐP 02:2019/BN", D("QCĐP", "02", year="2019", issuer_suffix="BN")),
    ("qcdp 02:2019/bn", "QCĐP 02:2019/BN", D("QCĐP", "02", year="2019", issuer_suffix="BN")),
    ("22 TCN 272-05", "22 TCN 272-05", D("TCN", "272", year="2005", prefix="22")),
    ("22TCN 272:2005", "22 TCN 272-05", D("TCN", "272", year="2005", prefix="22")),
    ("ISO 1461:1999", "ISO 1461:1999", D("ISO", "1461", year="1999")),
    ("ISO 9001:2015", "ISO 9001:2015", D("ISO", "9001", year="2015")),
    ("ISO/IEC 17025:2017", "ISO/IEC 17025:2017", D("ISO/IEC", "17025", year="2017")),
    ("ISO 6892-1:2019", "ISO 6892-1:2019", D("ISO", "6892", "1", "2019")),
    ("IEC 60068-2-1:2007", "IEC 60068-2-1:2007", D("IEC", "60068", "2-1", "2007")),
    ("IEC 60364-4-41", "IEC 60364-4-41", D("IEC", "60364", "4-41")),
    ("EN 206:2013", "EN 206:2013", D("EN", "206", year="2013")),
    ("EN 15273-1:2013+A1:2016", "EN 15273-1:2013+A1:2016",
     D("EN", "15273", "1", "2013", amendment="+A1:2016")),
    ("EN ISO 18674-2:2016", "EN ISO 18674-2:2016", D("EN", "18674", "2", "2016", prefix="ISO")),
    ("BS EN 12390-3:2019", "BS EN 12390-3:2019", D("BS", "12390", "3", "2019", prefix="EN")),
    ("BS EN12390-3", "BS EN 12390-3", D("BS", "12390", "3", prefix="EN")),
    ("ASTM C39/C39M-21", "ASTM C39/C39M-21", D("ASTM", "C39/C39M", year="2021")),
    ("ASTM D1557-12", "ASTM D1557-12", D("ASTM", "D1557", year="2012")),
    ("ASTM C231/C231M-17a", "ASTM C231/C231M-17a", D("ASTM", "C231/C231M", year="2017", amendment="a")),
    ("ASTM D1586/D1586M-18e1", "ASTM D1586/D1586M-18e1",
     D("ASTM", "D1586/D1586M", year="2018", amendment="e1")),
    ("astm d 1557", "ASTM D1557", D("ASTM", "D1557")),
    ("AASHTO T 96-02", "AASHTO T 96-02", D("AASHTO", "T96", year="2002")),
    ("AASHTO T96", "AASHTO T96", D("AASHTO", "T96")),
    ("AASHTO M 231", "AASHTO M 231", D("AASHTO", "M231")),
    ("GOST 10180-2012", "GOST 10180-2012", D("GOST", "10180", year="2012")),
    ("GOST 12730.1-2020", "GOST 12730.1-2020", D("GOST", "12730.1", year="2020")),
    ("GOST 310.2-76", "GOST 310.2-76", D("GOST", "310.2", year="1976")),
    ("GOST 10180:12", "GOST 10180-2012", D("GOST", "10180", year="2012")),
    ("ГОСТ Р 57208-2016", "GOST R 57208-2016", D("GOST", "57208", year="2016", prefix="R")),
    ("CODEX STAN 192-1995", "CODEX STAN 192-1995", D("CODEX", "192", year="1995", prefix="STAN")),
    ("CXS 192-1995", "CODEX STAN 192-1995", D("CODEX", "192", year="1995", prefix="STAN")),
    ("CAC/GL 21-1997", "CAC/GL 21-1997", D("CODEX", "21", year="1997", prefix="GL")),
    ("DIN 1048", "DIN 1048", D("DIN", "1048")),
    ("JIS A 1108", "JIS A 1108", D("JIS", "A1108")),
    ("GB/T 44413-2024", "GB/T 44413-2024", D("GB/T", "44413", year="2024")),
    ("GB/T 50308:2017", "GB/T 50308:2017", D("GB/T", "50308", year="2017")),
    ("IEEE 1474.1-2025", "IEEE 1474.1-2025", D("IEEE", "1474.1", year="2025")),
    ("TCVN 3118:2022.", "TCVN 3118:2022", D("TCVN", "3118", year="2022")),
]


@pytest.mark.parametrize(("text", "expected", "fields"), CASES, ids=[c[0] for c in CASES])
def test_parse_table(text, expected, fields):
    d = parse(text)
    assert d == fields
    assert d.format() == expected == str(d)
    assert canonical(text) == expected
    assert canonical(expected) == expected
    assert parse(expected).key == d.key


@pytest.mark.parametrize("text", [
    "", "   ", "nuoc mam", "TCVN", "TCVN bê tông", "ISO", "3118", "Điều 5", "TCVN 3118:2022 và TCVN 3119:2022",
    "TCVN 13937-1,2,3:2024", "TCVN 13695-1 đến 10:2023", "TCVN 6284:1997 (các phần 1, 2)",
    "ASTM Z99", "TCVN 3118 ABC",
])
def test_parse_rejects(text):
    assert parse(text) is None
    assert canonical(text) is None


def test_doc_types_cover_parsed_families():
    for _, _, d in CASES:
        assert d.doc_type in DOC_TYPES or all(
            part in DOC_TYPES for part in d.doc_type.split("/")), d.doc_type
    assert {"TCVN", "QCVN", "QCĐP", "TCCS", "TCXDVN", "QCXDVN", "ISO", "IEC", "CODEX", "ASTM",
            "GOST", "AASHTO", "EN", "other"} <= set(DOC_TYPES)


def test_two_digit_year_pivot():
    yy = THIS_YEAR % 100
    # abbreviated years after ':' and in 2-digit-year families: 20NN up to this year, else 19NN
    assert parse(f"TCVN 1651:{yy:02d}").year == str(2000 + yy)
    assert parse(f"22 TCN 272-{yy:02d}").year == str(2000 + yy)
    assert parse(f"GOST 10180:{yy:02d}").year == str(2000 + yy)
    if yy < 99:
        assert parse(f"TCVN 1651:{yy + 1:02d}").year == str(1900 + yy + 1)
        assert parse(f"TCVN 1651-{yy + 1:02d}").year == str(1900 + yy + 1)
    # a lone Vietnamese -NN that would be 20NN is a part (TCVN 7572-12), never for ISO/IEC
    assert parse(f"TCVN 1651-{yy:02d}").part == f"{yy:02d}"
    assert parse("IEC 60364-4-85").part == "4-85"
    assert parse("TCVN 7447-4-85").part == "4-85"
    # 4-digit dash groups are years only inside the plausible window
    assert parse(f"TCVN 9999-{THIS_YEAR + 1}").year == str(THIS_YEAR + 1)
    assert parse(f"TCVN 9999-{THIS_YEAR + 2}").part == str(THIS_YEAR + 2)
    assert parse("TCVN 9999-1949").part == "1949"


def test_keys_fold_spelling_not_edition():
    a, b, c = parse("TCCS 09:2024/CĐBVN"), parse("tccs 9 : 2024 / cdbvn"), parse("TCCS 09:2023/CĐBVN")
    assert a.key == b.key == "tccs9:2024/cdbvn"
    assert a.series_key == c.series_key == "tccs9/cdbvn"
    assert a.key != c.key
    assert parse("TCVN 3118:2022").key == "tcvn3118:2022"
    assert parse("TCVN 3118:2022").series_key == parse("TCVN 3118-1993").series_key == "tcvn3118"
    assert parse("AASHTO T 96").key == parse("AASHTO T96").key
    assert parse("AASHTO T 96") == parse("AASHTO T96")  # same edition; spacing is style only
    assert parse("22 TCN 272-05").key == "22tcn272:2005"
    assert parse("QCĐP 1:2020/BN").key.isascii()


def test_undated():
    d = parse("Sửa đổi 1:2016 QCVN 4:2009/BKHCN")
    assert d.undated().format() == "QCVN 4/BKHCN"
    assert parse("TCVN 6259-1:2003").undated() == parse("TCVN 6259-1")
    assert parse("ASTM C39/C39M-21").undated().format() == "ASTM C39/C39M"


# --------------------------------------------------------------------------------------------
# find_all

FIND = [
    ("TCVN 3118:2022 thay thế TCVN 3118:1993.", ["TCVN 3118:2022", "TCVN 3118:1993"]),
    ("TCVN 5408:2007 hoàn toàn tương đương ISO 1461:1999.", ["TCVN 5408:2007", "ISO 1461:1999"]),
    ("TCVN 5408:2007 (ISO 1461:1999)", ["TCVN 5408:2007", "ISO 1461:1999"]),
    ("TCVN 3118:2022 được xây dựng trên cơ sở tham khảo GOST 10180-2012.",
     ["TCVN 3118:2022", "GOST 10180-2012"]),
    ("TCVN 13937-1,2,3:2024", ["TCVN 13937-1:2024", "TCVN 13937-2:2024", "TCVN 13937-3:2024"]),
    ("TCVN 13695-1 đến 10:2023", [f"TCVN 13695-{i}:2023" for i in range(1, 11)]),
    ("TCVN 14552-1.2:2025", ["TCVN 14552-1:2025", "TCVN 14552-2:2025"]),
    ("TCVN 13566:2022 (các phần 1-6)", [f"TCVN 13566-{i}:2022" for i in range(1, 7)]),
    ("TCVN 9386:2025 (các phần 1, 5)", ["TCVN 9386-1:2025", "TCVN 9386-5:2025"]),
    ("TCVN 14560-1:2025 (ISO 5735-\n1:2024)", ["TCVN 14560-1:2025", "ISO 5735-1:2024"]),
    ("TCVN 14560-1:2025 (ISO 5735- 1:2024)", ["TCVN 14560-1:2025", "ISO 5735-1:2024"]),
    ("EN 15273-1:2013+A1:2016, EN 15273-2:2025", ["EN 15273-1:2013+A1:2016", "EN 15273-2:2025"]),
    ("theo GOST\n12730.1-2020 và GOST 12730.0:20", ["GOST 12730.1-2020", "GOST 12730.0-2020"]),
    ("TCVN 5408 : 2007; TCXDVN314:2005", ["TCVN 5408:2007", "TCXDVN 314:2005"]),
    ("QCVN 8-1/8-2:2011/BYT", ["QCVN 8-1:2011/BYT", "QCVN 8-2:2011/BYT"]),
    ("Sửa đổi 1:2016 QCVN 4:2009/BKHCN có hiệu lực", ["Sửa đổi 1:2016 QCVN 4:2009/BKHCN"]),
    ("ASTM C143, C172; AASHTO T99,T180", ["ASTM C143", "ASTM C172", "AASHTO T99", "AASHTO T180"]),
    ("TCVN 3109:2022 ASTM C232", ["TCVN 3109:2022", "ASTM C232"]),
    ("22 TCN 272-05 – Tiêu chuẩn thiết kế cầu", ["22 TCN 272-05"]),
    ("TCVN 3105:2022 Hỗn hợp bê tông và bê tông - Lấy mẫu", ["TCVN 3105:2022"]),
    ("TCVN 1651-1:2008, Thép cốt bê tông – Phần 1", ["TCVN 1651-1:2008"]),
    ("EN 50128/ EN 50716:2023", ["EN 50128", "EN 50716:2023"]),
    ("TCVN 5408:2007/ISO 1461:1999", ["TCVN 5408:2007", "ISO 1461:1999"]),
    ("DIN EN 1997-2/NA", ["DIN EN 1997-2"]),
    ("Sàng 5 mm, cân 10 kg, en 206, tb 5 mẫu, TB0001, TB 12", []),
    ("TCVN 8096 (các phần 107, 200,\r\n202)", ["TCVN 8096-107", "TCVN 8096-200", "TCVN 8096-202"]),
    ("TCVN 14494-1, 2, 3-1, 3-2, 3-\r\n3:2025",
     [f"TCVN 14494-{p}:2025" for p in ("1", "2", "3-1", "3-2", "3-3")]),
]


@pytest.mark.parametrize(("text", "expected"), FIND, ids=[f[0][:40] for f in FIND])
def test_find_all_table(text, expected):
    assert [d.format() for d in find_all(text)] == expected


def test_find_all_offsets_point_at_codes():
    text = "Xem TCVN 3118:2022 và ISO 1461:1999."
    spans = [(text[s:e], [d.format() for d in ds]) for s, e, ds in iter_matches(text)]
    assert spans == [("TCVN 3118:2022", ["TCVN 3118:2022"]), ("ISO 1461:1999", ["ISO 1461:1999"])]


def test_find_all_is_linear_enough():
    import time

    chunk = "Bê tông được thử theo TCVN 3118:2022, ASTM C39/C39M-21 và GOST 10180-2012. " * 20
    text = chunk * 200  # ~ 300 pages of prose
    t0 = time.perf_counter()
    found = find_all(text)
    elapsed = time.perf_counter() - t0
    assert len(found) == 3 * 20 * 200
    assert elapsed < 5


# --------------------------------------------------------------------------------------------
# parse_query

QUERIES = [
    ("tcvn3118", ["TCVN 3118"]),
    ("3118-2022", ["TCVN 3118:2022", "QCVN 3118:2022"]),
    ("3118–2022", ["TCVN 3118:2022", "QCVN 3118:2022"]),
    ("TCVN 3118 : 2022", ["TCVN 3118:2022"]),
    ("tcvn 3118 2022", ["TCVN 3118:2022"]),
    ("qcvn 8 1 2011", ["QCVN 8-1:2011"]),
    ("qcvn 8-1/byt", ["QCVN 8-1/BYT"]),
    ("ISO 1461", ["ISO 1461"]),
    ("8-1:2011/byt", ["QCVN 8-1:2011/BYT", "TCVN 8-1:2011/BYT"]),
    ("iso 1461:1999", ["ISO 1461:1999"]),
    ("TCVN 1651-85", ["TCVN 1651:1985", "TCVN 1651-85"]),
    ("astm c39", ["ASTM C39"]),
    ("TCVN 3118 bê tông", ["TCVN 3118"]),
    ("nuoc mam", []),
    ("", []),
    ("bê tông 28 ngày", []),
]


@pytest.mark.parametrize(("text", "expected"), QUERIES, ids=[q[0] or "empty" for q in QUERIES])
def test_parse_query(text, expected):
    got = parse_query(text)
    assert [d.format() for d in got] == expected
    if "/" not in text:
        assert all(d.issuer_suffix is None for d in got)


# --------------------------------------------------------------------------------------------
# Properties

_digits = st.integers(min_value=1, max_value=99999).map(str)
_small = st.integers(min_value=1, max_value=30).map(str)
_parts = st.lists(_small, min_size=0, max_size=2).map(lambda ps: "-".join(ps) or None)
_year = st.integers(min_value=1950, max_value=THIS_YEAR).map(str)
_opt_year = st.none() | _year
_issuer = st.sampled_from(["BYT", "BXD", "BKHCN", "CĐBVN", "BGTVT", "BN"])


def _vn():
    return st.builds(
        Designation,
        doc_type=st.sampled_from(["TCVN", "QCVN", "QCĐP", "TCCS", "TCXDVN", "QCXDVN", "TCXD"]),
        number=_digits | st.integers(1, 9).map(lambda n: f"0{n}"),
        part=_parts, year=_opt_year,
        issuer_suffix=st.none() | _issuer,
        prefix=st.none(),
        amendment=st.none() | st.builds(lambda n, y: f"{n}:{y}", st.integers(1, 5), _year),
    ).filter(lambda d: d.issuer_suffix is None or d.doc_type in {"QCVN", "QCĐP", "QCXDVN", "TCCS"})


def _tcvn_adopted():
    return st.builds(Designation, doc_type=st.just("TCVN"), number=_digits, part=_parts,
                     year=_opt_year, prefix=st.sampled_from(["ISO", "ISO/IEC", "IEC", "ISO/TS"]))


_ADOPTIONS = {"ISO": [None], "IEC": [None], "ISO/IEC": [None], "EN": [None, "ISO"],
              "BS": [None, "EN", "ISO", "EN ISO"], "DIN": [None, "EN", "EN ISO"], "NF": [None, "EN"]}


def _intl():
    return st.sampled_from(sorted(_ADOPTIONS)).flatmap(lambda body: st.builds(
        Designation,
        doc_type=st.just(body),
        number=_digits, part=_parts, year=_opt_year,
        prefix=st.sampled_from(_ADOPTIONS[body]),
        amendment=st.none() | st.builds(lambda j, n, y: f"{j}A{n}:{y}", st.sampled_from("+/"),
                                        st.integers(1, 12), _year),
    )).filter(lambda d: d.year or not d.amendment)  # amendments belong to a dated edition


def _letter():
    astm = st.builds(
        Designation, doc_type=st.just("ASTM"),
        number=st.builds(lambda letter, n, m: f"{letter}{n}" + (f"/{letter}{n}M" if m else ""),
                         st.sampled_from("ABCDEFG"), _digits, st.booleans()),
        year=st.none() | st.integers(1960, THIS_YEAR).map(str),
        amendment=st.none() | st.sampled_from(["a", "b", "e1", "a" + "e1"]),
    ).filter(lambda d: d.year or not d.amendment)
    aashto = st.builds(
        Designation, doc_type=st.just("AASHTO"),
        number=st.builds(lambda letter, n: f"{letter}{n}", st.sampled_from(["T", "M", "R", "PP"]), _digits),
        year=st.none() | st.integers(1960, THIS_YEAR).map(str),
        style=st.sampled_from(["", " "]))
    return astm | aashto


def _others():
    gost = st.builds(Designation, doc_type=st.just("GOST"),
                     number=st.builds(lambda a, b: a + (f".{b}" if b else ""), _digits, st.none() | _small),
                     year=_opt_year, prefix=st.none() | st.just("R"))
    codex = st.builds(Designation, doc_type=st.just("CODEX"), number=_digits, year=_opt_year,
                      prefix=st.sampled_from(["STAN", "GL", "RCP"]))
    tcn = st.builds(Designation, doc_type=st.just("TCN"), number=_digits,
                    year=st.none() | st.integers(1960, THIS_YEAR).map(str),
                    prefix=st.integers(10, 99).map(str))
    # Chinese numbers have 3+ digits and no leading zero (shorter ones are equipment ids, rule 8)
    gb = st.builds(Designation, doc_type=st.sampled_from(["GB", "GB/T", "TB", "CJJ/T", "IEEE"]),
                   number=st.integers(100, 99999).map(str), year=_year, style=st.sampled_from([":", "-"]))
    return gost | codex | tcn | gb


def _unambiguous(d: Designation) -> bool:
    # Rule 4 makes some undated parts unwritable: a lone 2-digit Vietnamese part, or any
    # part that looks like a plausible year. Such codes cannot be printed unambiguously.
    if d.year is None and d.part:
        last = d.part.split("-")[-1]
        if d.doc_type in {"TCVN", "QCVN", "QCĐP", "TCCS", "TCXDVN", "QCXDVN", "TCXD"} \
                and "-" not in d.part and len(last) == 2 and int(last) > THIS_YEAR % 100:
            return False
    return True


designations = (_vn() | _tcvn_adopted() | _intl() | _letter() | _others()).filter(_unambiguous)


@settings(max_examples=400, deadline=None)
@given(designations)
def test_roundtrip(d):
    text = d.format()
    assert parse(text) == d, text
    assert canonical(text) == text
    assert canonical(canonical(text)) == canonical(text)
    assert parse(text.lower()) == d  # lower-case input accepted
    assert parse(text).key == d.key


@settings(max_examples=200, deadline=None)
@given(designations, st.sampled_from(["", " ", "  "]))
def test_spacing_variants_share_key(d, sp):
    text = d.format().replace(":", f"{sp}:{sp}" if sp else ":", 1)
    if re.search(r":\d{2}(?!\d)", d.format()):
        return
    assert parse(text).key == d.key


_PROSE = st.lists(st.sampled_from(
    ["bê tông", "xi măng", "được", "thử", "theo", "và", "hoặc", "mẫu", "phương pháp", "của",
     "quy định", "trong", "áp dụng", "Lời nói đầu", "tiêu chuẩn", "kỹ thuật"]), min_size=1, max_size=4
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(designations, _PROSE), min_size=1, max_size=6), _PROSE)
def test_find_all_in_prose(items, lead):
    text = lead + " " + " ".join(f"{d.format()} {p}" for d, p in items) + "."
    assert find_all(text) == [d for d, _ in items]
    # and across line breaks after the body
    split = re.sub(r"\b(GOST|ISO) (?=\d)", "\\1\n", text)
    assert find_all(split) == [d for d, _ in items]


# --------------------------------------------------------------------------------------------
# Labelled corpus

def _corpus_dir() -> Path:
    env = os.environ.get("KB_CORPUS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


# Keys whose string values are designations (single codes) or table cells of codes.
CODE_KEYS = {"code", "replaces", "converted_from", "codes", "normative_references",
             "other_codes_cited", "equivalent", "adopted_designation_printed", "subject_codes",
             "standards", "standards_raw"}


def _label_files():
    labels = _corpus_dir() / "labels"
    if not labels.is_dir():
        pytest.skip(f"corpus labels not found at {labels}")
    return sorted(labels.rglob("*.json"))


def _walk(value, key=None):
    """Yield (key, string) for every string under a designation key, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    elif isinstance(value, str) and key in CODE_KEYS:
        yield key, value


def _printed_noise(label: dict) -> str:
    """Labels keep some codes as printed and quote them in notes/hazards as extraction hazards
    (abbreviated years, missing spaces): those only need to parse, not to be canonical."""
    return json.dumps([label.get("notes"), label.get("hazards")], ensure_ascii=False)


def test_label_codes_roundtrip():
    checked = 0
    for path in _label_files():
        label = json.loads(path.read_text(encoding="utf-8"))
        noise = _printed_noise(label)
        for key, s in _walk(label):
            d = parse(s)
            if d is None:
                # A table cell holding several codes or a shorthand: every code must be found.
                found = find_all(s)
                assert found, (path.name, key, s)
                for f in found:
                    assert canonical(f.format()) == f.format()
            elif key == "standards_raw" or f"'{s}'" in noise:
                assert canonical(d.format()) == d.format(), (path.name, s)
            else:
                assert canonical(s) == s, (path.name, key, s)
            checked += 1
    assert checked > 50


def test_label_fields_match_code():
    for path in _label_files():
        label = json.loads(path.read_text(encoding="utf-8"))
        if not label.get("code") or label.get("kind") not in ("standard", "regulation"):
            continue
        d = parse(label["code"])
        assert d is not None, label["code"]
        assert d.doc_type == label["doc_type"]
        assert d.number == label["number"]
        assert d.part == (str(label["part"]) if label.get("part") is not None else None)
        assert d.year == (str(label["year"]) if label.get("year") is not None else None)
        assert d.issuer_suffix == label.get("issuer_suffix")


def test_label_catalogue_shorthands():
    cells = {}
    for path in _label_files():
        label = json.loads(path.read_text(encoding="utf-8"))
        for row in label.get("catalogue_rows_tricky_sample", []):
            cells[row["code"]] = [d.format() for d in find_all(row["code"])]
    if not cells:
        pytest.skip("no catalogue labels")
    assert cells["TCVN 13937-1,2,3:2024"] == [f"TCVN 13937-{i}:2024" for i in (1, 2, 3)]
    assert cells["TCVN 13566:2022 (các phần 1-6)"] == [f"TCVN 13566-{i}:2022" for i in range(1, 7)]
    assert cells["TCVN 13695-1 đến 10:2023 (BS EN 13146-1 đến 10:2019"] == (
        [f"TCVN 13695-{i}:2023" for i in range(1, 11)] + [f"BS EN 13146-{i}:2019" for i in range(1, 11)])
    assert cells["TCVN 14560-1:2025 (ISO 5735-1:2024)"] == ["TCVN 14560-1:2025", "ISO 5735-1:2024"]
    assert cells["TCVN 14552-1.2:2025"] == ["TCVN 14552-1:2025", "TCVN 14552-2:2025"]
    assert cells["TB10001:2016"] == ["TB 10001:2016"]
    assert cells["EN 15273-1:2013+A1:2016, EN 15273-2:2025"] == [
        "EN 15273-1:2013+A1:2016", "EN 15273-2:2025"]


def test_raw_catalogue_and_lab_cells_yield_codes():
    """The noisy research CSVs: every cell that starts with a known body yields a code."""
    import csv

    raw = _corpus_dir() / "raw"
    files = {"danh_muc_tieu_chuan_DSDT_2026_extracted.csv": "code_raw",
             "LAS-XD164_danh_muc_chi_tieu_thi_nghiem_extracted.csv": "standards"}
    if not all((raw / f).is_file() for f in files):
        pytest.skip("raw CSVs not present")
    misses = []
    total = 0
    for name, col in files.items():
        with open(raw / name, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for cell in row[col].split(";"):
                    cell = cell.strip()
                    if re.match(r"(TCVN|QCVN|ISO|IEC|EN|BS|GOST)\s*\d|(ASTM|AASHTO)\s*[A-Z]\s?\d", cell):
                        total += 1
                        if not find_all(cell):
                            misses.append(cell)
    assert total > 500
    assert misses == []
