"""The lab capability declaration and the catalogue of standards become usable records.

Generated files check the behaviour anywhere; the corpus files (skipped without ``../shared/corpus``)
are compared with their labels: 213 tests in 14 groups for LAS-XD 164, 575 catalogue rows.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlmodel import select

from ingest.catalogue import parse_catalogue, part_title, split_code_cell
from ingest.lab import parse_lab
from ingest.pdf import open_pdf, read_pdf
from ingest.pipeline import ingest_paths
from kb import codes, standards
from kb.models import Document, Lab, LabScope, RelationType, Standard, StandardRelation, StandardStatus
from kb.text import clean
from tests.support.ingest_pdfs import make_catalogue_pdf, make_lab_pdf, make_vilas_scope_pdf
from tests.support.pdfs import make_standard_pdf

LAB_PDF = "pdf/lab/Cong-bo-nang-luc-Phong-thi-nghiem-LAS 164.pdf"
CATALOGUE_PDF = "pdf/catalogue/3. Danh mục TC cho ĐSĐT - final.pdf"


def _find_codes(text: str) -> list[str]:
    return [d.format() for d in codes.find_all(text)]


# --- Generated documents ------------------------------------------------------------------------------


def test_lab_declaration_becomes_a_lab_with_scope_rows(kbase, tmp_path):
    result = ingest_paths(kbase, [make_lab_pdf(tmp_path / "lab.pdf")])[0]
    assert result["status"] == "ingested", result["error"]
    assert result["kind"] == "lab_scope"
    assert result["code"] is None
    with kbase.session() as s:
        lab = s.exec(select(Lab)).one()
        assert (lab.accreditation, lab.accreditation_body, lab.accreditation_number) == ("LAS-XD 999", "LAS-XD", "999")
        assert lab.name == "PHÒNG THÍ NGHIỆM VẬT LIỆU THỬ"
        assert lab.organization == "CÔNG TY CỔ PHẦN KIỂM ĐỊNH THỬ"
        assert lab.email == "lab@example.vn"
        rows = s.exec(select(LabScope).where(LabScope.lab_id == lab.id).order_by(LabScope.position)).all()
        assert [(r.material, r.test, r.method_codes) for r in rows] == [
            ("Thử nghiệm xi măng", "Xác định độ mịn", ["TCVN 4030:2003", "ASTM C204"]),
            ("Thử nghiệm xi măng", "Xác định cường độ", ["TCVN 6016:2011"]),
            ("Bê tông", "Xác định độ sụt", ["TCVN 3106:2022", "ASTM C143"]),
        ]
        assert s.exec(select(Document)).one().kind == "lab_scope"


def test_vilas_scope_with_a_material_spanning_rows(kbase, tmp_path):
    result = ingest_paths(kbase, [make_vilas_scope_pdf(tmp_path / "vilas.pdf")])[0]
    assert (result["status"], result["kind"]) == ("ingested", "lab_scope"), result["error"]
    with kbase.session() as s:
        lab = s.exec(select(Lab)).one()
        assert (lab.accreditation, lab.name) == ("VILAS 1234", "Phòng Thử nghiệm Hóa")
        rows = s.exec(select(LabScope).order_by(LabScope.position)).all()
        assert [(r.material, r.test, r.range, r.method_codes) for r in rows] == [
            ("Thực phẩm", "Xác định hàm lượng chì (Pb)", "0,01 mg/kg", ["TCVN 8126:2009"]),
            ("Thực phẩm", "Xác định hàm lượng cadimi (Cd)", "0,005 mg/kg", ["TCVN 8126:2009"]),
            ("Nước sạch", "Xác định pH", "2 ~ 12", ["TCVN 6492:2011"]),
        ]


def test_lab_without_a_printed_registration_gets_no_invented_number(kbase, tmp_path):
    result = ingest_paths(kbase, [make_lab_pdf(tmp_path / "lab.pdf", registration=None)])[0]
    assert result["status"] == "ingested"
    assert "số hiệu công nhận" in result["error"]
    with kbase.session() as s:
        assert s.exec(select(Lab)).all() == []
        assert s.exec(select(Document)).one().kind == "lab_scope"


def test_catalogue_rows_become_standards_with_shorthands_expanded(kbase, tmp_path):
    # A real document already gave TCVN 3118:2022 its title: the catalogue must not replace it.
    ingest_paths(kbase, [make_standard_pdf(tmp_path / "std.pdf")])
    pdf = make_catalogue_pdf(tmp_path / "cat.pdf", {
        "I Nhóm tiêu chuẩn đường ray": [
            ("TCVN 13937-1,2,3:2024", "Ứng dụng đường sắt - Đường ray: Phần 1: Yêu cầu chung, "
                                      "Phần 2: Thiết kế, Phần 3: Nghiệm thu"),
            ("TCVN 14560-1:2025 (ISO 5735-1:2024)", "Kết cấu hạ tầng đường sắt - Kiểm tra ray"),
        ],
        "II Nhóm khác": [("TCVN 3118:2022", "Bê tông - Cường độ nén (tên trong danh mục)")],
    })
    result = ingest_paths(kbase, [pdf])[0]
    assert result["status"] == "ingested", result["error"]
    assert result["kind"] == "catalogue"
    assert result["code"] is None
    assert result["sections"] == ["I Nhóm tiêu chuẩn đường ray", "II Nhóm khác"]
    with kbase.session() as s:
        by_code = {x.code: x for x in s.exec(select(Standard)).all()}
        for n, name in ((1, "Yêu cầu chung"), (2, "Thiết kế"), (3, "Nghiệm thu")):
            std = by_code[f"TCVN 13937-{n}:2024"]
            assert std.title_vi == f"Ứng dụng đường sắt - Đường ray - Phần {n}: {name}"
            assert std.status == StandardStatus.unknown
            assert std.extra["catalogue"]["code_as_printed"] == "TCVN 13937-1,2,3:2024"
        assert "ISO 5735-1:2024" not in by_code  # an adoption, not an entry
        rel = s.exec(select(StandardRelation).where(StandardRelation.relation == RelationType.equivalent,
                                                    StandardRelation.from_code == "TCVN 14560-1:2025")).one()
        assert rel.to_code == "ISO 5735-1:2024"
        assert by_code["TCVN 3118:2022"].title_vi == "Bê tông - Phương pháp xác định cường độ chịu nén"
        assert by_code["TCVN 3118:2022"].extra["catalogue"]["section"] == "II"


def test_code_cells_and_part_titles():
    primary, bracketed = split_code_cell("TCVN 13695-1 đến 3:2023 (BS EN 13146-1 đến 3:2019")
    assert [d.format() for d in primary] == ["TCVN 13695-1:2023", "TCVN 13695-2:2023", "TCVN 13695-3:2023"]
    assert [d.format() for d in bracketed] == ["BS EN 13146-1:2019", "BS EN 13146-2:2019", "BS EN 13146-3:2019"]
    primary, bracketed = split_code_cell("TCVN 13566:2022 (các phần 1-3)")
    assert [d.format() for d in primary] == ["TCVN 13566-1:2022", "TCVN 13566-2:2022", "TCVN 13566-3:2022"]
    assert bracketed == []
    assert part_title("Hàn ray: Phần 1: Hàn nhiệt nhôm, Phần 2: Hàn chảy", "2", several=True) == \
        "Hàn ray - Phần 2: Hàn chảy"
    assert part_title("Hàn ray", "2", several=True) == "Hàn ray"


# --- The corpus files ---------------------------------------------------------------------------------


@pytest.mark.corpus
def test_corpus_lab_declaration_matches_its_label(corpus_dir):
    pdf = corpus_dir / LAB_PDF
    label = json.loads((corpus_dir / "labels" / "lab" / (pdf.stem + ".json")).read_text())["lab"]
    with open_pdf(pdf) as opened:
        parsed = parse_lab(opened, read_pdf(pdf).pages, find_codes=_find_codes)
    assert parsed.lab.accreditation == label["registration"] == "LAS-XD 164"
    assert parsed.lab.name == label["name"]
    assert parsed.lab.organization == label["organization"]
    scope = parsed.scope
    assert len(scope) == label["tests_count"] == 213
    assert [r.position for r in scope] == list(range(1, 214))
    assert len(parsed.groups) == label["test_groups_count"] == 14
    expected_groups = [clean(g.split(" ", 1)[1]).lower() for g in label["test_groups"]]
    assert [g.lower() for g in parsed.groups] == expected_groups
    for sample in label["sample_rows"]:
        row = scope[int(sample["tt"]) - 1]
        assert row.test == sample["test"]
        assert row.material.lower() == clean(sample["group"].split(" ", 1)[1]).lower()
        wanted = [codes.parse(c) for c in sample["standards"]]
        assert [d.key for d in codes.find_all(row.method)] == [d.key for d in wanted], row.method
        assert row.page == 2


@pytest.mark.corpus
def test_corpus_catalogue_matches_its_label(corpus_dir):
    pdf = corpus_dir / CATALOGUE_PDF
    label = json.loads((corpus_dir / "labels" / "catalogue" / (pdf.stem + ".json")).read_text())
    with open_pdf(pdf) as opened:
        parsed = parse_catalogue(opened, read_pdf(pdf).pages)
    entries = parsed.entries
    assert len(entries) == label["rows_count"] == 575
    assert sum(e.code_raw.startswith("TCVN") for e in entries) == label["rows_count_tcvn"]
    assert dict(Counter(e.section for e in entries)) == label["rows_per_subsection"]
    assert parsed.sections == label["sections"]
    assert parsed.title == label["title_vi"]
    assert parsed.published_by == label["published_by"]
    for sample in label["catalogue_rows_sample"] + label["catalogue_rows_tricky_sample"]:
        match = [e for e in entries if e.stt == sample["stt"] and e.code_raw == sample["code"]
                 and e.section == sample.get("section", e.section)]
        assert match, sample
        assert match[0].title == sample["title"]
    shorthand = next(e for e in entries if e.code_raw == "TCVN 13937-1,2,3:2024")
    assert [c.code for c in shorthand.codes] == ["TCVN 13937-1:2024", "TCVN 13937-2:2024", "TCVN 13937-3:2024"]


@pytest.mark.corpus
def test_corpus_lab_and_catalogue_are_stored(kbase, corpus_dir, monkeypatch):
    from kb import search

    monkeypatch.setattr(search, "update", lambda *a, **k: None)  # indexing is the search tests' business
    results = ingest_paths(kbase, [corpus_dir / LAB_PDF, corpus_dir / CATALOGUE_PDF])
    assert [(r["status"], r["kind"]) for r in results] == [("ingested", "lab_scope"), ("ingested", "catalogue")]
    with kbase.session() as s:
        lab = s.exec(select(Lab)).one()
        assert lab.accreditation == "LAS-XD 164"
        assert len(s.exec(select(LabScope).where(LabScope.lab_id == lab.id)).all()) == 213
        std = standards.require_standard(s, "TCVN 13937-2:2024")
        assert std.status == StandardStatus.unknown and std.title_vi.startswith("Ứng dụng đường sắt")
        listed = s.exec(select(Standard)).all()
        assert len(listed) > 575  # shorthands expand to one record per part
        assert all(x.extra.get("catalogue") for x in listed)
