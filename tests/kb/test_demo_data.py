"""The bundled demo data: loads cleanly and idempotently, codes are canonical, facts match their sources,
and anything invented is marked as a sample. The products' HS codes are lines of the nomenclature and the
risk-list subset is exactly the shared rows for them (both checked when ../shared/regulatory is present)."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import re
import sys
from datetime import date
from pathlib import Path

import pypdfium2
import pytest
from sqlmodel import func, select

from ingest.demo import ORDER, RISK_LISTS, demo_dir, load_demo
from kb import codes, hscodes, labs, legal, products, standards
from kb.hs import normalize_hs
from kb.models import AuditEvent, Lab, Mapping, Product, RiskList, RiskListRow, Standard, StandardStatus
from kb.read.products import product_detail

DATA = demo_dir()
REPO = Path(__file__).resolve().parents[2]
REGULATORY = Path(os.environ.get("KB_REGULATORY_DIR", REPO.parent / "shared" / "regulatory"))
TODAY = date(2026, 12, 6)  # the session's today: every 2026 list in force
#: Accreditation schemes whose numbers a sample lab must never imitate.
REAL_SCHEMES = re.compile(r"^\s*(VILAS|LAS|VICAS|VIAS|VIRAS|VILAS MED|BOA|ISO)\b", re.I)


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def demo_codes() -> dict[str, list[str]]:
    """Product name → its HS codes (digits) as products.csv states them."""
    return {r["name"]: hscodes.parse_codes(r["hs_code"]) for r in rows("products.csv") if r["hs_code"]}


def risk_manifest() -> list[dict[str, str]]:
    return rows(str(RISK_LISTS))


@pytest.fixture(scope="module")
def nomenclature() -> dict[str, tuple[int, str]]:
    """The Vietnamese HS nomenclature: code (digits) → (row of the sheet, Vietnamese description)."""
    path = REGULATORY / "hs" / "HS_PBI_VN.xlsx"
    if not path.is_file():
        pytest.skip(f"HS nomenclature not found at {path} (set KB_REGULATORY_DIR)")
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {str(r[1]).replace(".", ""): (n, str(r[2]).strip().lstrip("- "))
                for n, r in enumerate(wb.active.iter_rows(values_only=True), start=1) if r[1]}
    finally:
        wb.close()


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
    lists = first["risk-lists"]
    assert (lists["created"], lists["errors"]) == (len(risk_manifest()), []), lists
    with kbase.session() as s:
        stored = {(rl.document_code, rl.effective_from.isoformat(), rl.rows) for rl in s.exec(select(RiskList)).all()}
        assert s.exec(select(func.count()).select_from(RiskListRow)).one() == sum(n for *_, n in stored)
    expected = set()
    for entry in risk_manifest():
        with (DATA / RISK_LISTS.parent / entry["file"]).open(encoding="utf-8", newline="") as fh:
            expected.add((entry["document"], entry["effective_from"], len(list(csv.DictReader(fh)))))
    assert stored == expected

    events = audit_count(kbase)
    second = load_demo(kbase)
    for kind in [k for k, _ in ORDER] + ["risk-lists"]:
        r = second[kind]
        assert (r["created"], r["updated"], r["deleted"], r["errors"]) == (0, 0, 0, []), (kind, r)
    assert [r["outcome"] for r in second["risk-lists"]["lists"]] == ["unchanged"] * len(risk_manifest())
    if not second["pdf"].get("skipped"):
        assert second["pdf"]["status"] == {"unchanged": second["pdf"]["files"]}, second["pdf"]
    assert audit_count(kbase) == events


def test_demo_readme_cites_sources():
    text = (DATA / "README.md").read_text(encoding="utf-8")
    assert "boa.gov.vn" in text
    for needle in ("labels", "MẪU-01", "TCCS 01:2026/DEMO", "is_sample"):
        assert needle in text, needle


# --- Product groups -----------------------------------------------------------------------------------


def test_groups_are_sourced_and_consistent():
    groups_rows = rows("product-groups.csv")
    slugs = [r["slug"] for r in groups_rows]
    assert len(slugs) == len(set(slugs))
    seen: set[str] = set()
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for r in groups_rows:
        assert r["sources"].strip(), r["slug"]  # every group cites where its facts come from
        assert not r["parent"] or r["parent"] in seen, r["slug"]  # parents come first
        seen.add(r["slug"])
        for src in (s.strip() for s in r["sources"].split(";")):
            if src.startswith("http"):
                assert src in readme, src
        assert r["is_sample"] == "no", r["slug"]
    kinds = {r["kind"] for r in groups_rows}
    assert kinds == {"trade", "hs_chapter", "ocop"}
    ocop_top = {r["name"] for r in groups_rows if r["kind"] == "ocop" and not r["parent"]}
    assert ocop_top == {"Thực phẩm", "Đồ uống", "Dược liệu và sản phẩm từ dược liệu", "Hàng thủ công mỹ nghệ",
                        "Sinh vật cảnh", "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch"}
    trades = {r["slug"] for r in groups_rows if r["kind"] == "trade"}
    assert {"gom-phu-lang", "do-go-dong-ky", "tranh-dong-ho", "giay-do", "ruou-lang-van", "my-chu",
            "vai-thieu-luc-ngan", "det-may", "dien-tu", "thep", "giay-tai-che"} <= trades
    # Group mappings point only at standards of the demo catalogue, and at groups of the file.
    codes_known = {r["code"] for r in rows("standards.csv")}
    for m in rows("group-mappings.csv"):
        assert m["group"] in seen and m["standard"] in codes_known, m


def test_hs_group_titles_are_the_nomenclature(nomenclature):
    titles = {code: title for code, (_, title) in nomenclature.items()}
    hs_rows = [r for r in rows("product-groups.csv") if r["kind"] == "hs_chapter"]
    assert len(hs_rows) >= 20
    for r in hs_rows:
        code = r["hs_codes"]
        assert r["slug"] == f"hs-{code}" and code in titles, r["slug"]
        assert r["description"].endswith(titles[code]), r["slug"]
        name = r["name"].split(": ", 1)[1]
        assert name == titles[code] or (name.endswith(" …") and titles[code].startswith(name[:-2])), r["slug"]


def test_demo_groups_place_products_and_pass_on_their_mappings(kbase):
    from kb import groups

    load_demo(kbase)
    with kbase.session() as s:
        def member_names(slug: str) -> set[str]:
            return {p.name for _, p in groups.members(s, groups.require_group(s, slug))}

        assert "Mỳ gạo Chũ Xuân Trường" in member_names("my-chu")
        assert {"Rượu Nếp cái hoa vàng", "Rượu Cúc hoa tửu"} <= member_names("ocop-do-uong-co-con")
        assert "Thép mạ kẽm nhúng nóng" in member_names("thep")
        assert "Vải thiều Lục Ngạn" in member_names("vai-thieu-luc-ngan")
        assert member_names("ocop-duoc-lieu") == {"Đông Trùng Hạ thảo khô", "Sâm nam núi Dành khô",
                                                  "Cao ngựa bạch Phong Vân"}
        assert "Bê tông thương phẩm" not in member_names("ocop-thuc-pham")
        wine = products.find_product(s, "Rượu Nếp cái hoa vàng")
        inherited = {(std.code, g.slug) for _, std, g in groups.inherited_mappings(s, wine)}
        assert ("QCVN 6-3:2010/BYT", "ocop-do-uong-co-con") in inherited


# --- HS codes and risk lists ----------------------------------------------------------------------------


def test_every_hs_code_is_a_nomenclature_line_recorded_in_the_readme(nomenclature):
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    table = [line for line in readme.splitlines() if line.startswith("| ") and "| `" in line]
    assert demo_codes()
    for name, product_codes in demo_codes().items():
        assert all(c in nomenclature for c in product_codes), (name, product_codes)
        # the README's table row for the product cites the sheet row of each of its codes
        [row] = [line for line in table if name in line.split(" | ")[0]]
        for code in product_codes:
            assert re.search(rf"\brows? (\d+ and )?{nomenclature[code][0]}\b", row), (name, code, nomenclature[code])


def _meets(row_code: str, codes: set[str]) -> bool:
    """Whether a list row's code covers a product code or lies under it (as the look-up matches them)."""
    return any(row_code.startswith(c) or c.startswith(row_code) for c in codes)


def test_risk_list_subsets_are_exactly_the_shared_rows_for_the_demo_codes():
    source_dir = REGULATORY / "risk_lists"
    sources = sorted(source_dir.glob("*.csv"))
    if len(sources) != 4:
        pytest.skip(f"shared risk lists not found at {source_dir} (set KB_REGULATORY_DIR)")
    codes_ = {c for product_codes in demo_codes().values() for c in product_codes}
    shipped = {e["file"] for e in risk_manifest()}
    assert shipped and all((DATA / RISK_LISTS.parent / f).is_file() for f in shipped)
    for src in sources:
        text = src.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        records = list(csv.reader(io.StringIO(text)))
        assert len(records) == len(lines), src.name  # one row per line, so a row is its line
        wanted = [line for line, rec in zip(lines[1:], records[1:], strict=True) if _meets(normalize_hs(rec[0]), codes_)]
        if not wanted:
            assert src.name not in shipped, f"{src.name}: no row names a demo product"
            continue
        assert src.name in shipped, f"{src.name}: rows for demo products not shipped"
        subset = (DATA / RISK_LISTS.parent / src.name).read_text(encoding="utf-8")
        ours = subset.splitlines(keepends=True)
        assert ours[0] == lines[0]
        assert all(line in lines[1:] for line in ours[1:]), [x for x in ours[1:] if x not in lines]  # verbatim
        assert subset == "".join([lines[0], *wanted]), src.name  # all of them, in the source's order


def test_risk_list_dates_are_those_of_the_legal_documents():
    """Each list's document and dates are its row of legal-documents.csv, which test_legal ties to the
    compilers' register entries."""
    documents = {legal.legal_key(r["code"]): r for r in rows("legal-documents.csv")}
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for entry in risk_manifest():
        doc = documents[legal.legal_key(entry["document"])]
        assert entry["effective_from"] and doc["effective_from"] == entry["effective_from"], entry
        assert doc["effective_until"] == entry["effective_until"], entry
        assert entry["document"] in readme and entry["file"] in readme
    sub_readme = (DATA / RISK_LISTS.parent / "README.md").read_text(encoding="utf-8")
    for needle in ("CC BY 4.0", "oz-wiki-plhq", "registry/28-2026-tt-bct.yaml"):
        assert needle in readme and needle in sub_readme, needle


def test_demo_products_answer_what_the_lists_require_on_a_date(kbase):
    load_demo(kbase)
    with kbase.session() as s:
        def answer(name: str, on: date) -> dict:
            return product_detail(s, products.find_product(s, name).id, on)["regulatory"]

        # On a list: the rows of 28/2026/TT-BCT that name its two rice-noodle lines, food-safety checks the
        # list does not grade, so the summary says it cannot tell rather than "low".
        noodles = answer("Mỳ gạo Chũ Xuân Trường", TODAY)
        assert {(r["document"], r["hs_code"], r["control"], r["risk"]) for r in noodles["requirements"]} == {
            ("28/2026/TT-BCT", "19021920", "food_safety_check", None),
            ("28/2026/TT-BCT", "19023020", "food_safety_check", None)}
        assert all(r["document_url"] == "/legal/28/2026/TT-BCT" and r["source_page"] == 23 for r in noodles["requirements"])
        # the list's title says whom it concerns (imported goods), from the legal documents
        assert all("nhập khẩu" in r["document_title"] for r in noodles["requirements"])
        assert noodles["risk"] == "unknown" and "không phân mức" in noodles["why_unknown"]
        # a 6-digit product code meets the 8-digit rows under it
        oil = answer("Đại An - Dầu mè đen", TODAY)
        assert sorted(r["hs_code"] for r in oil["requirements"]) == ["15155010", "15155020", "15155090"]
        # ... as candidates only: which of those lines the oil is, its 6-digit code does not say
        assert all(r["narrower"] and r["ambiguous"] for r in oil["requirements"])
        # a code on no list: low
        for name in ("Bê tông thương phẩm", "Vải thiều Lục Ngạn", "Mật ong hoa vải Hằng Hiếu"):
            assert (answer(name, TODAY)["risk"], answer(name, TODAY)["requirements"]) == ("low", []), name
        # no code: unknown, and the page says why
        plain = answer("Giò Gà", TODAY)
        assert (plain["risk"], plain["requirements"]) == ("unknown", []) and "chưa có mã HS" in plain["why_unknown"]
        # before the 2026 lists: the earlier lists are not imported, so nothing can be said
        for name in ("Mỳ gạo Chũ Xuân Trường", "Bê tông thương phẩm"):
            before = answer(name, date(2026, 6, 30))
            assert (before["risk"], before["requirements"]) == ("unknown", []), name
            assert "chưa được nhập" in before["why_unknown"], name
