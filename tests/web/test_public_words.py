"""Public pages speak to the public: no stored file names, no bare "JSON" links, the open API in the
footer beside DOST's contact (as data), printed pages with their date and address, a README that names
addresses the app serves."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import select

from kb import contacts
from kb.models import Document, Standard, utcnow
from kb.read.standards import source_document
from tests.conftest import REPO
from tests.support.records import html, texts


def _spans(node) -> list[str]:
    return [" ".join(n.text().split()) for n in node.css("span")]


def _public_pages(world) -> list[str]:
    return ["/", "/search?q=banh+phu+the", "/search?q=aflatoxin", f"/products/{world.product_id}",
            f"/standards/{world.voluntary}", f"/labs/{world.lab_id}", "/browse", "/coverage", "/api/docs"]


def test_the_source_of_a_standard_is_named_by_its_title_never_its_stored_name(client, kbase, world):
    with kbase.session() as s:
        std = s.exec(select(Standard).where(Standard.code == world.voluntary)).one()
        doc = Document(sha256="cd" * 32, file_name="73a8f0e1c2.pdf", title="Danh mục tiêu chuẩn ngành xây dựng", pages=12)
        s.add(doc)
        s.flush()
        std.document_id = doc.id
        std.updated_at = utcnow()  # as any edit does: the page cache sees the change
        s.add(std)
        same_title = Document(sha256="ef" * 32, file_name="x.pdf", title=std.title_vi, pages=0)
        assert source_document(same_title, std)["label"] == "văn bản gốc (PDF)"
    page = client.get(f"/standards/{world.voluntary}")
    assert html(page).css_first("p.source").text(strip=True) == "Nguồn: “Danh mục tiêu chuẩn ngành xây dựng” (PDF, 12 trang)."
    assert "73a8" not in page.text
    api = client.get(f"/api/standards/{world.voluntary}").json()
    assert "73a8" not in str(api) and api["document"]["label"].startswith("“Danh mục")


def test_no_bare_json_link_in_the_running_text_and_the_api_lives_in_the_footer(client, world):
    for path in _public_pages(world):
        tree = html(client.get(path))
        assert "/api/docs" not in [a.attributes.get("href") for a in tree.css("header nav a")], path
        assert "API mở cho lập trình viên" in texts(tree, "footer.site-footer a"), path
        bare = [a.attributes.get("href") for a in tree.css("main a, footer a") if a.text(strip=True).upper() == "JSON"]
        assert not bare, (path, bare)
    for path in (f"/products/{world.product_id}", f"/standards/{world.voluntary}", f"/labs/{world.lab_id}", "/coverage"):
        alternate = html(client.get(path)).css_first('head link[rel=alternate][type="application/json"]')
        assert alternate is not None and alternate.attributes["href"].startswith("/api/"), path
        assert client.get(alternate.attributes["href"]).status_code == 200


def test_footer_names_dost_with_exactly_the_details_that_are_set(client, kbase, world):
    assert html(client.get("/")).css_first("footer address.agency") is None  # nothing known, nothing shown
    with kbase.session() as s:
        key, fields = contacts.parse_agency({"key": "dost", "name": "Sở Khoa học và Công nghệ tỉnh Bắc Ninh",
                                             "phone": "0222 000 0000"})
        contacts.upsert_agency(s, key, fields, actor="test")
    for path in _public_pages(world):  # the page cache notices the new agency: no page keeps the old footer
        agency = html(client.get(path)).css_first("footer address.agency")
        assert agency is not None and agency.attributes["data-agency"] == "dost", path
    agency = html(client.get("/")).css_first("footer address.agency")
    assert agency.css_first("strong").text() == "Sở Khoa học và Công nghệ tỉnh Bắc Ninh"
    assert _spans(agency) == ["Điện thoại: 0222 000 0000"]  # no empty "E-mail:" or address line
    with kbase.session() as s:
        dost = contacts.get_agency(s, "dost")
        contacts.upsert_agency(s, "dost", {"email": "lienhe@example.vn", "phone": None}, actor="test",
                               expected_version=dost.version)
    agency = html(client.get("/")).css_first("footer address.agency")
    assert _spans(agency) == ["E-mail: lienhe@example.vn"]
    assert agency.css_first("a").attributes["href"] == "mailto:lienhe@example.vn"


def test_a_printed_page_carries_its_date_and_address(client, kbase, world):
    path = f"/products/{world.product_id}"
    line = html(client.get(path)).css_first("p.print-only.print-source")
    assert date.today().strftime("%d/%m/%Y") in line.text()
    # unset KB_PUBLIC_URL: the default site address, never the request's Host
    assert line.css_first(".page-address").text() == f"{kbase.settings.site_url}{path}"
    kbase.settings.public_url = "https://tieuchuan.example.gov.vn/"
    try:
        line = html(client.get(path + "?in=1")).css_first("p.print-source")
        assert line.css_first(".page-address").text() == f"https://tieuchuan.example.gov.vn{path}?in=1"
    finally:
        kbase.settings.public_url = None
    css = client.get("/static/site.css").text
    print_block = css[css.index("@media print"):]
    assert re.search(r"\.print-only\s*\{\s*display:\s*block", print_block)
    assert re.search(r"^\.print-only\s*\{\s*display:\s*none", css, re.MULTILINE)


def test_readme_names_the_api_docs_the_app_serves(client):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "`/api/docs`" in readme and "`/openapi.json`" in readme
    assert client.get("/api/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 404
    for line in readme.splitlines():  # /docs is only ever named as switched off
        if "`/docs`" in line:
            assert "switched off" in line, line


#: Notes a curator writes for curators (how a value was inferred, how a source words a name, what a demo
#: row is for); the public pages print the columns below as they are, so these belong in the data README.
CURATOR_NOTES = ("suy ra", "chủ thể ghi là", "dùng trong dữ liệu mẫu", "trong dữ liệu mẫu", "để trình diễn")
PUBLIC_COLUMNS = {"products.csv": ("name", "description"), "mappings.csv": ("rationale", "legal_basis"),
                  "standards.csv": ("title_vi", "scope"), "labs.csv": ("name", "organization", "address")}


def test_demo_data_shown_to_the_public_carries_no_curator_notes():
    import csv

    from ingest.demo import demo_dir

    for name, columns in PUBLIC_COLUMNS.items():
        with (demo_dir() / name).open(encoding="utf-8") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                for column in columns:
                    text = (row.get(column) or "").casefold()
                    found = [n for n in CURATOR_NOTES if n in text]
                    assert not found, f"{name}:{line} {column}: {found}"
