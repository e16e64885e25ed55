"""Legal documents: one key for any spelling of a number, numbers found in a legal basis, parsing with
Vietnamese errors, the legal-documents import (CSV and XLSX, idempotent, audited, line-numbered errors),
relations and the status on a date, what cites a document and the stale citations to re-point; on SQLite
and PostgreSQL. The seed data is checked against the compilers' register (skipped when it is absent)."""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import func, select

from ingest.demo import demo_dir
from ingest.importers import import_file
from kb import groups, legal, mappings, products, standards
from kb.errors import BadInput, NotFound
from kb.models import (
    AuditEvent,
    LegalKind,
    LegalRelation,
    LegalStatus,
    MappingSource,
    MappingStatus,
    ProductCreate,
    StandardCreate,
)
from kb.read import legal as read_legal
from kb.read.legal_basis import BasisLinker

REPO = Path(__file__).resolve().parents[2]
COLUMNS = ["code", "kind", "title", "issuer", "issued", "effective_from", "effective_until", "status", "replaces",
           "source_url"]


def events(kbase) -> int:
    with kbase.session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def row(code: str, **fields: str) -> list[str]:
    return [code, *(fields.get(c, "") for c in COLUMNS[1:])]


# --- numbers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", [
    "36/2026/TT-BKHCN", "36/2026/tt-bkhcn", "Thông tư 36/2026/TT-BKHCN", "Thông tư số 36 / 2026 / TT - BKHCN",
    "036/2026/TT-BKHCN", unicodedata.normalize("NFD", "Thông tư 36/2026/TT-BKHCN"),
])
def test_any_spelling_gives_one_key(spelling):
    assert legal.legal_key(spelling) == legal.legal_key("36/2026/TT-BKHCN")


def test_d_is_folded_and_symbols_stay_apart():
    assert legal.legal_key("15/2018/NĐ-CP") == legal.legal_key("15/2018/nđ-cp") == legal.legal_key("15/2018/ND-CP")
    assert legal.legal_key("15/2018/NĐ-CP") != legal.legal_key("15/2018/TT-BTTTT")
    assert legal.legal_key("1182/QĐ-BCT") == legal.legal_key("1182/qd-bct")


def test_no_number_or_two_numbers_is_bad_input():
    with pytest.raises(BadInput, match="code:.*số hiệu"):
        legal.legal_key("Luật An toàn thực phẩm")
    with pytest.raises(BadInput, match="nhiều hơn một"):
        legal.parse_code("55/2010/QH12; 15/2018/NĐ-CP")


def test_find_codes_in_a_legal_basis():
    found = legal.find_codes("Luật An toàn thực phẩm số 55/2010/QH12; Nghị định 15/2018/NĐ-CP")
    assert [c.code for c in found] == ["55/2010/QH12", "15/2018/NĐ-CP"]
    # Designations, dates and fractions are not document numbers; a number said twice is found once.
    assert legal.find_codes("QCVN 8-1:2011/BYT, TCCS 09:2024/CĐBVN ngày 02/6/2010, 1/2 kg") == []
    assert [c.code for c in legal.find_codes("Thông tư số 34/2010/TT-BYT ngày 02/6/2010 (34/2010/TT-BYT)")] == \
        ["34/2010/TT-BYT"]
    assert [c.code for c in legal.find_codes("QĐ 1182/QĐ-BCT và 58/2015/TTLT-BCT-BKHCN")] == \
        ["1182/QĐ-BCT", "58/2015/TTLT-BCT-BKHCN"]


@pytest.mark.parametrize(("code", "kind"), [
    ("55/2010/QH12", LegalKind.law), ("15/2018/NĐ-CP", LegalKind.decree), ("36/2026/TT-BKHCN", LegalKind.circular),
    ("58/2015/TTLT-BCT-BKHCN", LegalKind.circular), ("1182/QĐ-BCT", LegalKind.decision),
    ("12/2020/CT-TTg", LegalKind.other),
])
def test_kind_follows_the_symbol(code, kind):
    assert legal.kind_of(code) == kind
    assert legal.parse_document({"code": code, "kind": ""}).fields["kind"] == kind
    assert "kind" not in legal.parse_document({"code": code}).fields  # absent: a partial edit leaves it as stored


@pytest.mark.parametrize(("data", "message"), [
    ({"code": ""}, "code:"),
    ({"code": "36/2026/TT-BKHCN", "issued": "30/06/2026"}, "issued:.*YYYY-MM-DD"),
    ({"code": "36/2026/TT-BKHCN", "kind": "thong tu"}, "kind:"),
    ({"code": "36/2026/TT-BKHCN", "status": "sắp hết"}, "status:"),
    ({"code": "36/2026/TT-BKHCN", "source_url": "javascript:alert(1)"}, "source_url:"),
    ({"code": "36/2026/TT-BKHCN", "effective_from": "2026-07-01", "effective_until": "2026-06-01"}, "effective_until:"),
    ({"code": "36/2026/TT-BKHCN", "replaces": "29/2025/TT-BKHCN@2026-13-01"}, "replaces:.*YYYY-MM-DD"),
    ({"code": "36/2026/TT-BKHCN", "replaces": "Thông tư cũ"}, "replaces:"),
    ({"code": "36/2026/TT-BKHCN", "replaces": "36/2026/tt-bkhcn"}, "replaces:.*chính nó"),
])
def test_parse_names_the_field(data, message):
    with pytest.raises(BadInput, match=message):
        legal.parse_document(data)


# --- import, relations, status --------------------------------------------------------------------------

def test_import_is_idempotent_audited_and_reports_lines(any_kbase, tmp_path):
    path = write_csv(tmp_path / "legal.csv", [
        COLUMNS,
        row("36/2026/TT-BKHCN", title="Ban hành Danh mục …", issued="2026-06-30", effective_from="2026-07-01",
            replaces="29/2025/TT-BKHCN@2026-07-01; 01/2009/TT-BKHCN"),
        row("29/2025/TT-BKHCN"),
        row("không có số", title="x"),
        row("15/2018/NĐ-CP", issued="02/02/2018"),
    ])
    before = events(any_kbase)
    report = import_file(any_kbase, "legal-documents", path)
    assert (report.created, report.errors[0][0], report.errors[1][0]) == (2, 4, 5)
    assert "issued:" in report.errors[1][1]
    assert events(any_kbase) == before + 2
    again = import_file(any_kbase, "legal-documents", path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert events(any_kbase) == before + 2  # nothing changed, nothing logged
    with any_kbase.session() as s:
        doc = legal.get_document(s, "Thông tư 36/2026/tt-bkhcn")
        assert doc is not None and doc.kind == LegalKind.circular and doc.issued == date(2026, 6, 30)
        rels = {r.to_code: r.effective_from for r in s.exec(select(LegalRelation)).all()}
        assert rels == {"29/2025/TT-BKHCN": date(2026, 7, 1), "01/2009/TT-BKHCN": None}

    # Dropping one replaced document is an update with its own audit event; the relation goes.
    write_csv(path, [COLUMNS, row("36/2026/TT-BKHCN", title="Ban hành Danh mục …", issued="2026-06-30",
                                  effective_from="2026-07-01", replaces="29/2025/TT-BKHCN@2026-07-01")])
    third = import_file(any_kbase, "legal-documents", path)
    assert third.updated == 1 and events(any_kbase) == before + 3
    with any_kbase.session() as s:
        assert [r.to_code for r in s.exec(select(LegalRelation)).all()] == ["29/2025/TT-BKHCN"]


def test_import_xlsx(any_kbase, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(COLUMNS)
    ws.append(["55/2010/QH12", None, "Luật An toàn thực phẩm", "Quốc hội", date(2010, 6, 17), date(2011, 7, 1)])
    wb.save(tmp_path / "legal.xlsx")
    report = import_file(any_kbase, "legal-documents", tmp_path / "legal.xlsx")
    assert (report.created, report.errors) == (1, [])
    with any_kbase.session() as s:
        doc = legal.get_document(s, "55/2010/qh12")
        assert doc is not None and doc.kind == LegalKind.law and doc.effective_from == date(2011, 7, 1)


def _store(s, **rows: dict) -> None:
    for code, data in rows.items():
        legal.upsert_document(s, legal.parse_document({"code": code.replace("_", "/"), **data}), "t")


def test_status_on_a_date(any_kbase):
    with any_kbase.session() as s:
        legal.upsert_document(s, legal.parse_document({"code": "29/2025/TT-BKHCN", "effective_from": "2025-08-01"}), "t")
        legal.upsert_document(s, legal.parse_document({"code": "01/2009/TT-BKHCN", "status": "in_force"}), "t")
        legal.upsert_document(s, legal.parse_document({"code": "1182/QĐ-BCT", "effective_until": "2026-07-16"}), "t")
        legal.upsert_document(s, legal.parse_document({"code": "28/2012/TT-BKHCN", "effective_from": "2013-01-27"}), "t")
        legal.upsert_document(s, legal.parse_document({
            "code": "36/2026/TT-BKHCN", "effective_from": "2026-07-01",
            "replaces": "29/2025/TT-BKHCN@2026-07-01;01/2009/TT-BKHCN"}), "t")
        legal.upsert_document(s, legal.parse_document({
            "code": "02/2017/TT-BKHCN", "effective_from": "2017-05-15", "amends": "28/2012/TT-BKHCN"}), "t")

        def status(code: str, on: date) -> LegalStatus:
            doc = legal.get_document(s, code)
            assert doc is not None
            return legal.status_on(doc, on, legal.successors(s, [doc.code_key]).get(doc.code_key, []))

        assert status("29/2025/TT-BKHCN", date(2025, 7, 31)) == LegalStatus.not_yet
        assert status("29/2025/TT-BKHCN", date(2026, 6, 30)) == LegalStatus.in_force
        assert status("29/2025/TT-BKHCN", date(2026, 7, 1)) == LegalStatus.replaced
        # A plain code is replaced from the day the replacing document takes effect.
        assert status("01/2009/TT-BKHCN", date(2026, 6, 30)) == LegalStatus.in_force
        assert status("01/2009/TT-BKHCN", date(2026, 7, 1)) == LegalStatus.replaced
        # effective_until is the last day in force.
        assert status("1182/QĐ-BCT", date(2026, 7, 16)) == LegalStatus.unknown
        assert status("1182/QĐ-BCT", date(2026, 7, 17)) == LegalStatus.expired
        assert status("28/2012/TT-BKHCN", date(2017, 5, 14)) == LegalStatus.in_force
        assert status("28/2012/TT-BKHCN", date(2017, 5, 15)) == LegalStatus.amended
        assert status("36/2026/TT-BKHCN", date(2026, 12, 1)) == LegalStatus.in_force


def test_citations_linked_flagged_and_listed_for_re_pointing(any_kbase):
    basis = "Thông tư 29/2025/TT-BKHCN; Luật số 68/2006/QH11"
    with any_kbase.session() as s:
        legal.upsert_document(s, legal.parse_document({"code": "68/2006/QH11", "effective_from": "2007-01-01"}), "t")
        legal.upsert_document(s, legal.parse_document({"code": "29/2025/TT-BKHCN"}), "t")
        legal.upsert_document(s, legal.parse_document({"code": "36/2026/TT-BKHCN", "effective_from": "2026-07-01",
                                                       "replaces": "29/2025/TT-BKHCN@2026-07-01"}), "t")
        std = standards.upsert_standard(s, StandardCreate(code="QCVN 4:2009/BKHCN", title_vi="An toàn điện",
                                                          issuing_instrument="Thông tư số 36/2026/TT-BKHCN"),
                                        actor="t", source="import")[0]
        p = products.upsert_product(s, ProductCreate(name="Nồi cơm điện"), "t")[0]
        rejected = products.upsert_product(s, ProductCreate(name="Ấm điện"), "t")[0]
        mappings.upsert_mapping(s, p, std, "mandatory", "an toàn điện", basis, MappingStatus.approved,
                                MappingSource.curator, "t")
        mappings.upsert_mapping(s, rejected, std, "mandatory", None, basis, MappingStatus.rejected,
                                MappingSource.curator, "t")
        g = groups.upsert_group(s, groups.parse_group({"slug": "dien", "name": "Đồ điện", "kind": "trade"}), "t")[0]
        groups.upsert_group_mapping(s, g, std, "mandatory", None, "29/2025/TT-BKHCN", "t")

        parts = BasisLinker(s, date(2026, 7, 1)).parts(basis)
        assert [p["text"] for p in parts] == ["Thông tư ", "29/2025/TT-BKHCN", "; Luật số ", "68/2006/QH11"]
        assert parts[1]["stale"] and parts[1]["replaced_by"] == [
            {"code": "36/2026/TT-BKHCN", "url": "/legal/36/2026/TT-BKHCN", "relation": "replaces", "on": "2026-07-01"}]
        assert not parts[3]["stale"] and parts[3]["url"] == "/legal/68/2006/QH11"
        assert not BasisLinker(s, date(2026, 6, 30)).parts(basis)[1]["stale"]  # not yet replaced then

        cited = read_legal.legal_detail(s, "29/2025/tt-bkhcn", date(2026, 7, 1))["cited_by"]
        assert [m["product"]["name"] for m in cited["mappings"]] == ["Nồi cơm điện"]  # the rejected one is not public
        assert [m["group"]["slug"] for m in cited["group_mappings"]] == ["dien"]
        assert [x["code"] for x in read_legal.legal_detail(s, "36/2026/TT-BKHCN")["cited_by"]["standards"]] == \
            ["QCVN 4:2009/BKHCN"]

        impact = read_legal.legal_impact(s, date(2026, 7, 1))
        assert [d["code"] for d in impact["documents"]] == ["29/2025/TT-BKHCN"]
        assert [m["product"] for m in impact["documents"][0]["mappings"]] == ["Nồi cơm điện"]
        assert [m["group"]["slug"] for m in impact["documents"][0]["group_mappings"]] == ["dien"]
        assert read_legal.legal_impact(s, date(2026, 6, 30))["documents"] == []
        with pytest.raises(NotFound, match="Không có văn bản"):
            read_legal.legal_detail(s, "99/2099/TT-BKHCN")


# --- the seed data --------------------------------------------------------------------------------------

def _seed() -> dict[str, dict[str, str]]:
    with (demo_dir() / "legal-documents.csv").open(encoding="utf-8") as fh:
        return {legal.legal_key(r["code"]): r for r in csv.DictReader(fh)}


def test_seed_covers_every_legal_basis_the_demo_cites():
    seed = _seed()
    cited = set()
    for name, column in (("mappings.csv", "legal_basis"), ("group-mappings.csv", "legal_basis"),
                         ("standards.csv", "issuing_instrument")):
        with (demo_dir() / name).open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                cited |= {c.key for c in legal.find_codes(r.get(column))}
    assert cited and cited <= set(seed), cited - set(seed)


def _register(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """The top-level scalars of a register entry and its ``thay_the`` entries with a date (the files are
    plain YAML; the project has no YAML parser and needs none for this)."""
    top = {m[1]: m[2].strip("'") for m in re.finditer(r"^(\w+): (.+)$", text, re.MULTILINE)}
    block = re.search(r"^  thay_the:\n((?:    .*\n)+)", text, re.MULTILINE)
    dated = dict(re.findall(r"so_hieu: (\S+)\n\s+tu_ngay: '([\d-]+)'", block[1])) if block else {}
    return top, dated


def test_seed_agrees_with_the_register():
    registry = REPO.parent / "shared" / "regulatory" / "registry"
    files = sorted(registry.glob("*.yaml"))
    if not files:
        pytest.skip(f"register not found at {registry}")
    seed = _seed()
    for f in files:
        entry, dated_codes = _register(f.read_text(encoding="utf-8"))
        r = seed[legal.legal_key(entry["so_hieu"])]
        assert (r["title"], r["issued"], r["effective_from"]) == \
            (entry["ten"], entry["ngay_ban_hanh"], entry["hieu_luc_tu"]), f.name
        dated = {legal.legal_key(code): on for code, on in dated_codes.items()}
        ours = {x.code.key: x.on.isoformat() if x.on else None for x in legal.parse_relations(r["replaces"], "replaces")}
        assert {k: ours.get(k) for k in dated} == dated, f.name
