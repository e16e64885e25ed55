"""The bundled demo data: loads cleanly and idempotently, codes are canonical, facts match their sources,
and anything invented is marked as a sample."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path

import pypdfium2
import pytest
from sqlmodel import func, select

from ingest.demo import ORDER, demo_dir, load_demo
from kb import codes, labs, products, standards
from kb.models import AuditEvent, Lab, Mapping, Product, Standard, StandardStatus

DATA = demo_dir()
REPO = Path(__file__).resolve().parents[2]
#: Accreditation schemes whose numbers a sample lab must never imitate.
REAL_SCHEMES = re.compile(r"^\s*(VILAS|LAS|VICAS|VIAS|VIRAS|VILAS MED|BOA|ISO)\b", re.I)


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def audit_count(kbase) -> int:
    with kbase.session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


def test_demo_dir_is_the_checkout():
    assert DATA == REPO / "data" / "standards"
    for _, name in ORDER:
        assert (DATA / name).is_file(), name
    assert (DATA / "README.md").is_file()


def test_every_standard_code_is_canonical():
    for r in rows("standards.csv"):
        assert codes.canonical(r["code"]) == r["code"], r["code"]
        for col in ("replaces", "equivalent", "converted_from"):
            for item in filter(None, (x.strip() for x in r[col].split(";"))):
                code = re.sub(r"\s*\((IDT|MOD|NEQ|reference)\)$", "", item)
                assert codes.canonical(code) == code, (r["code"], col, item)
    for r in rows("mappings.csv"):
        assert codes.canonical(r["standard"]) == r["standard"], r


def test_titles_of_the_concrete_series_match_the_corpus_labels(corpus_dir):
    import json

    by_code = {r["code"]: r for r in rows("standards.csv")}
    labelled = sorted((corpus_dir / "labels" / "tcvn").glob("TCVN 31*-2022.json"))
    assert labelled
    for path in labelled:
        label = json.loads(path.read_text(encoding="utf-8"))
        r = by_code[label["code"]]
        assert r["title_vi"] == label["title_vi_normalised"], label["code"]
        assert r["title_en"] == label["title_en"], label["code"]
        assert r["replaces"] == "; ".join(label["replaces"]), label["code"]


def test_no_sample_lab_looks_real():
    for r in rows("labs.csv"):
        sample = r["is_sample"].strip().lower() in ("yes", "có", "true", "1")
        if sample:
            assert r["name"].startswith("Phòng thí nghiệm mẫu"), r
            assert r["accreditation"].startswith("MẪU-"), r
            assert not REAL_SCHEMES.match(r["accreditation"]), r
            assert not re.search(r"\d{3,}", r["accreditation"]), r
        else:
            assert re.fullmatch(r"(VILAS|LAS-XD) \d+", r["accreditation"]), r
    sample_accs = {r["accreditation"] for r in rows("labs.csv") if r["is_sample"] == "yes"}
    for r in rows("lab-scope.csv"):
        if r["accreditation"] in sample_accs:
            assert "minh họa" in r["material"], r  # sample scope rows say so


def test_real_labs_carry_the_facts_as_printed(corpus_dir):
    raw = {}
    with (corpus_dir / "raw" / "vilas_labs_sample_from_boa_pages.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            raw[r["accreditation_no"].split(" (")[0]] = r
    real = [r for r in rows("labs.csv") if r["is_sample"] != "yes"]
    assert {r["accreditation"] for r in real} == set(raw)
    for r in real:
        src = raw[r["accreditation"]]
        if r["accreditation"].startswith("VILAS"):
            assert (r["name"], r["organization"], r["address"]) == (
                src["lab_name_vi"], src["organization"], src["address"])
            validity = f"{r['valid_from']} – {r['valid_until']}" if r["valid_from"] else ""
            assert validity == src["validity"]
    # the sample scope row printed on each BoA page is carried verbatim
    printed = {(r["accreditation"], r["test"], r["method"]) for r in rows("lab-scope.csv")}
    for acc, src in raw.items():
        if acc.startswith("VILAS"):
            assert (acc, src["example_test"], src["example_method"]) in printed


def test_ocop_products_carry_the_source_facts(corpus_dir):
    with (corpus_dir / "raw" / "ocop_bacgiang_bacninh_from_news.csv").open(encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    demo = [r for r in rows("products.csv") if r["kind"] == "ocop"]
    by_name = {r["name"].casefold(): r for r in demo}
    for src in raw:
        r = by_name[src["product_name"].replace("(đổi tên)", "").strip().casefold()]
        assert r["district"] == src["district"]
        if r["source_url"] == src["source_url"]:
            assert r["producer"] == src["producer"]
            stars = re.match(r"\d", src["stars"])
            assert r["ocop_stars"] == (stars.group(0) if stars else "")
        else:  # a later evaluation of the same product, merged into its record with its own source cited
            assert src["source_url"] in r["description"], src["product_name"]
    assert len(demo) == 44  # 47 source rows, three of them later evaluations of the same product
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for url in {r["source_url"] for r in demo}:
        assert url in readme, url
    keys = [r for r in rows("products.csv") if r["kind"] == "key"]
    assert keys and all(not r["producer"] for r in keys)  # no invented producer


def test_demo_pdfs_are_marked_samples_and_up_to_date():
    pdfs = sorted((DATA / "pdf").glob("*.pdf"))
    assert 2 <= len(pdfs) <= 3
    for path in pdfs:
        assert path.stat().st_size < 200_000
        doc = pypdfium2.PdfDocument(path)
        try:
            texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
        finally:
            doc.close()
        assert all("TÀI LIỆU MẪU" in t for t in texts), path.name
        first = texts[0]
        assert "TIÊU CHUẨN QUỐC GIA" in first
        found = [d.format() for d in codes.find_all(first)]
        assert found and re.fullmatch(r"TCCS 0\d:2026/DEMO", found[0]), found
        body = "\n".join(texts)
        for needle in ("Lời nói đầu", "Phạm vi áp dụng", "Tài liệu viện dẫn", "Chỉ tiêu", "Phương pháp thử"):
            assert needle in body, (path.name, needle)

    spec = importlib.util.spec_from_file_location("make_demo_pdfs", REPO / "scripts" / "make_demo_pdfs.py")
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # dataclasses look their module up while the script is executed
    try:
        spec.loader.exec_module(script)
    finally:
        sys.modules.pop(spec.name, None)
    fonts = next((Path(d) for d in script.FONT_DIRS if d and (Path(d) / "DejaVuSans.ttf").is_file()), None)
    if fonts is None:
        pytest.skip("DejaVu fonts not installed (fonts-dejavu-core)")
    for doc in script.DOCS:
        assert (DATA / "pdf" / doc.file).read_bytes() == script.render(doc, fonts), f"re-run scripts/make_demo_pdfs.py ({doc.file})"


def test_demo_loads_links_and_is_idempotent(any_kbase):
    kbase = any_kbase
    first = load_demo(kbase)
    for kind, _ in ORDER:
        assert first[kind]["errors"] == [], (kind, first[kind]["errors"])
        assert first[kind]["created"] > 0
    with kbase.session() as s:
        n_std = s.exec(select(func.count()).select_from(Standard)).one()
        assert n_std >= len(rows("standards.csv"))
        assert s.exec(select(func.count()).select_from(Product)).one() == len(rows("products.csv"))
        assert s.exec(select(func.count()).select_from(Lab)).one() == len(rows("labs.csv"))
        assert s.exec(select(func.count()).select_from(Mapping)).one() == len(rows("mappings.csv"))
        for std in s.exec(select(Standard)).all():
            assert codes.canonical(std.code) == std.code
        old = standards.get_standard(s, "TCVN 3118:1993")
        assert old.status == StandardStatus.replaced
        assert standards.replaced_by_chain(s, old) == ["TCVN 3118:2022"]
        concrete = products.find_product(s, "Bê tông thương phẩm")
        by_method = standards.get_standard(s, "TCVN 3118:2022")
        assert "LAS-XD 164" in [lab.accreditation for lab in labs.labs_for_standard(s, by_method)]
        assert s.exec(select(Mapping).where(Mapping.product_id == concrete.id, Mapping.standard_id == by_method.id)).first()
        galv = standards.get_standard(s, "TCVN 5408:2007")
        assert "LAS-XD 164" in [lab.accreditation for lab in labs.labs_for_standard(s, galv)]
        for lab in s.exec(select(Lab).where(Lab.is_sample == True)).all():  # noqa: E712
            assert lab.name.startswith("Phòng thí nghiệm mẫu")
        for code in ("TCCS 01:2026/DEMO", "TCCS 02:2026/DEMO", "TCCS 03:2026/DEMO"):
            assert standards.get_standard(s, code).is_sample is True
    if not first["pdf"].get("skipped"):
        assert first["pdf"]["status"] == {"ingested": first["pdf"]["files"]}, first["pdf"]

    events = audit_count(kbase)
    second = load_demo(kbase)
    for kind, _ in ORDER:
        r = second[kind]
        assert (r["created"], r["updated"], r["deleted"], r["errors"]) == (0, 0, 0, []), (kind, r)
    if not second["pdf"].get("skipped"):
        assert second["pdf"]["status"] == {"unchanged": second["pdf"]["files"]}, second["pdf"]
    assert audit_count(kbase) == events


def test_demo_readme_cites_sources():
    text = (DATA / "README.md").read_text(encoding="utf-8")
    assert "boa.gov.vn" in text
    for needle in ("labels", "MẪU-01", "TCCS 01:2026/DEMO", "is_sample"):
        assert needle in text, needle
