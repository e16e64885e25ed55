"""The curator workspace and lab self-service pages, end to end through HTML forms (parsed, not grepped)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from kb import labs, mappings, standards
from kb.models import CategoryRule, Lab, LabScope, LabScopeCreate, Mapping, MappingStatus, Product, ProductCreate, Standard, StandardCreate
from tests.support.accounts import client_for, make_app, seed
from tests.support.pdfs import make_standard_pdf

XSS = '<script>alert("x")</script>'


def html(r) -> LexborHTMLParser:
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return LexborHTMLParser(r.text)


def no_injected_script(page: LexborHTMLParser) -> None:
    assert not [s for s in page.css("script") if "alert" in (s.text() or "")]


@pytest.fixture
def world(kbase):
    return seed(kbase)


@pytest.fixture
def app(kbase, world):
    return make_app(kbase)


# --- From an uploaded PDF to an approved mapping on the public product page --------------------------


def test_pdf_upload_review_approve_and_map(app, kbase, world, tmp_path):
    c = client_for(app, "curator")
    pdf = make_standard_pdf(tmp_path / "tieu-chuan.pdf", code="TCVN 3118:2022")
    r = c.post("/curate/upload", data={"kind": "pdf"},
               files={"file": ("../../tieu chuẩn.pdf", pdf.read_bytes(), "application/pdf")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    # The curator lands on the run page; the background task ran (the test client waits for it).
    assert r.headers["location"].startswith("/curate/runs/")
    files = html(c.get(r.headers["location"]))
    rows = [[td.text().strip() for td in tr.css("td")] for tr in files.css("#files tbody tr")]
    assert [row[:2] for row in rows] == [["tieu chuẩn.pdf", "xong — đã nạp"]], rows
    page = html(c.get("/curate/upload"))
    assert page.css_first("#runs tbody a").attributes["href"] == r.headers["location"]
    assert not list((kbase.settings.uploads_dir).glob("*.pdf"))  # the upload copy is removed after ingest

    # The standard was known from an import under another title: the PDF waits as a proposed change.
    with kbase.session() as s:
        std = standards.require_standard(s, "TCVN 3118:2022")
        std_id, version = std.id, std.version
        assert std.title_vi == "Bê tông – Xác định cường độ nén"
    queue = html(c.get("/curate/review"))
    assert [th.text().strip() for th in queue.css("#proposal-queue tbody th")] == ["TCVN 3118:2022"]
    diff = html(c.get(queue.css_first("#proposal-queue tbody a").attributes["href"]))
    title = diff.css_first("#diff-title_vi")
    assert title.css_first(".current").text().strip() == "Bê tông – Xác định cường độ nén"
    assert title.css_first(".proposed").text().strip() == "Bê tông - Phương pháp xác định cường độ chịu nén"
    assert "trang" in title.css_first(".prov").text()
    form = diff.css_first("#accept-form")
    assert form.css_first("input[name=version]").attributes["value"] == str(version)
    ticked = [i.attributes["value"] for i in form.css("input[name=field]") if "checked" in i.attributes]
    assert "title_vi" in ticked
    r = c.post(form.attributes["action"], data={"version": str(version), "field": ticked}, follow_redirects=False)
    assert r.status_code == 303, r.text
    with kbase.session() as s:
        std = s.get(Standard, std_id)
        assert std.title_vi == "Bê tông - Phương pháp xác định cường độ chịu nén" and std.version == version + 1
        version = std.version
    item = html(c.get(f"/curate/review/{std_id}"))
    assert item.css_first("#field-title_vi .prov").text().strip()  # where the title was found
    r = c.post(f"/curate/review/{std_id}", data={"version": str(version), "title_vi": "Bê tông – Xác định cường độ nén",
                                                "status": "in_force"}, follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        std = s.get(Standard, std_id)
        assert std.title_vi == "Bê tông – Xác định cường độ nén"
        assert std.provenance["title_vi"]["verified"] is True and std.provenance["title_vi"]["by"] == "curator"
        assert all(p["verified"] for p in std.provenance.values())
        # A later ingest or import leaves the corrected field alone.
        standards.upsert_standard(s, StandardCreate(code="TCVN 3118:2022", title_vi="Tên khác"), actor="cli", source="import")
    with kbase.session() as s:
        assert s.get(Standard, std_id).title_vi == "Bê tông – Xác định cường độ nén"
    assert "TCVN 3118:2022" not in [th.text() for th in html(c.get("/curate/review")).css("#review tbody th")]

    r = c.post("/curate/mappings", data={"product": str(world.product), "standard": "TCVN 3118:2022",
                                         "type": "test_method", "rationale": "Thử cường độ", "legal_basis": ""},
               follow_redirects=False)
    assert r.status_code == 303
    product_page = html(client_for(app, None).get(f"/products/{world.product}"))
    assert "TCVN 3118:2022" in product_page.body.text()


def test_stale_review_form_conflicts(app, kbase, world):
    c = client_for(app, "curator")
    r = c.post(f"/curate/review/{world.new_std}", data={"version": "99", "title_vi": "x"})
    assert r.status_code == 409
    assert html(r).css_first("#conflict-title") is not None


# --- XSS --------------------------------------------------------------------------------------------


def test_script_in_titles_and_user_fields_renders_as_text(app, kbase, world):
    with kbase.session() as s:
        s.get(Standard, world.old_std).title_vi = XSS
        s.get(Product, world.product).name = f"Bánh {XSS}"
        lab = s.get(Lab, world.lab_a)
        lab.name = f"PTN {XSS}"
        labs.add_scope_row(s, lab, LabScopeCreate(test=XSS, material=XSS, method=XSS), "test")
        std = s.get(Standard, world.new_std)
        std.document_id = None
    curator, lab_user = client_for(app, "curator"), client_for(app, "lab_a")
    for client, url in [(curator, "/curate/suggestions"), (curator, "/curate/mappings?status=all"),
                        (curator, "/curate/impact"), (curator, "/curate/products"), (curator, "/lab"),
                        (curator, "/curate/audit"), (lab_user, f"/lab/{world.lab_a}")]:
        r = client.get(url)
        assert r.status_code == 200, url
        page = html(r)
        no_injected_script(page)
        assert XSS in page.body.text(), url
    # A failed login echoes the typed name as text only.
    r = client_for(app, None).post("/login", data={"username": XSS, "password": "x" * 12})
    no_injected_script(html(r))


# --- Lab self-service -------------------------------------------------------------------------------


def test_lab_user_lands_on_own_lab_and_cannot_open_another(app, world):
    c = client_for(app, "lab_a")
    r = c.get("/lab", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/lab/{world.lab_a}"
    assert c.get(f"/lab/{world.lab_b}").status_code == 403
    assert c.get("/curate").status_code == 403
    page = html(c.get(f"/lab/{world.lab_a}"))
    assert page.css_first("#verification form") is None  # only curators verify
    assert page.css_first("#profile-form input[name=version]").attributes["value"] == "1"


def test_scope_rows_add_edit_delete_and_superseded_method_flag(app, kbase, world):
    c = client_for(app, "lab_a")
    page = html(c.get(f"/lab/{world.lab_a}"))
    flag = page.css_first(f"#row-{world.row_a} .superseded-flag")
    assert flag is not None and "TCVN 3118:2022" in flag.text()  # the 1993 method was replaced

    r = c.post(f"/lab/{world.lab_a}/scope", data={"test": "Độ sụt", "material": "Bê tông", "method": "TCVN 3106:2022",
                                                  "accredited": "1"}, follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        new = [row for row in labs.scope_rows(s, s.get(Lab, world.lab_a)) if row.test == "Độ sụt"][0]
    form = html(c.get(f"/lab/{world.lab_a}?edit={new.id}")).css_first(f"#edit-{new.id} form")
    assert form.css_first("input[name=version]").attributes["value"] == "1"
    r = c.post(f"/lab/{world.lab_a}/scope/{new.id}", data={"test": "Độ sụt côn", "material": "Bê tông",
                                                          "version": "1"}, follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        row = s.get(LabScope, new.id)
        assert (row.test, row.accredited, row.version) == ("Độ sụt côn", False, 2)
    assert c.post(f"/lab/{world.lab_a}/scope", data={"test": ""}).status_code == 400
    r = c.post(f"/lab/{world.lab_a}/scope/{new.id}/delete", data={"version": "2"}, follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        assert s.get(LabScope, new.id) is None


def test_profile_and_validity_and_verification_flow(app, kbase, world):
    lab_user, curator = client_for(app, "lab_a"), client_for(app, "curator")
    r = lab_user.post(f"/lab/{world.lab_a}/profile", data={"version": "1", "name": "Phòng thí nghiệm A",
                                                          "valid_from": "2020-01-01", "valid_until": "2019-01-01"})
    assert r.status_code == 400 and "trước" in html(r).css_first("[role=alert]").text()
    r = lab_user.post(f"/lab/{world.lab_a}/profile", data={"version": "1", "name": "Phòng thí nghiệm A",
                                                          "valid_from": "2020-01-01", "valid_until": "2020-12-31",
                                                          "phone": "0222 3822 000"}, follow_redirects=False)
    assert r.status_code == 303
    page = html(lab_user.get(f"/lab/{world.lab_a}"))
    shown = page.css_first("#validity")
    assert shown.attributes["class"] == "validity-lapsed" and shown.text().startswith("Đã hết hạn")
    assert curator.post(f"/lab/{world.lab_a}/verify", follow_redirects=False).status_code == 303
    assert html(lab_user.get(f"/lab/{world.lab_a}")).css_first("#changed-since") is None
    lab_user.post(f"/lab/{world.lab_a}/profile", data={"version": "2", "name": "Phòng thí nghiệm A (mới)"})
    assert html(lab_user.get(f"/lab/{world.lab_a}")).css_first("#changed-since") is not None
    index = html(curator.get("/lab"))
    assert "Đã thay đổi từ khi xác minh" in index.css_first("#labs").text()


# --- Uploads ----------------------------------------------------------------------------------------

SCOPE_CSV = (
    "accreditation,material,test,range,method,accredited\n"
    "VILAS 1001,Bê tông,Cường độ nén,,TCVN 3118:2022,yes\n"
    "vilas 1001,Cát,Thành phần hạt,,TCVN 7572-2:2006,no\n"
)


def _upload(c, lab_id, name, content, ctype="text/csv"):
    return c.post(f"/lab/{lab_id}/upload", files={"file": (name, content, ctype)})


def test_scope_csv_upload_replaces_scope(app, kbase, world):
    c = client_for(app, "lab_a")
    r = _upload(c, world.lab_a, "pham-vi.csv", SCOPE_CSV.encode())
    assert r.status_code == 200, r.text
    assert "2 thêm mới" in html(r).css_first("#upload-report").text()
    with kbase.session() as s:
        rows = labs.scope_rows(s, s.get(Lab, world.lab_a))
        assert [(x.test, x.accredited) for x in rows] == [("Cường độ nén", True), ("Thành phần hạt", False)]
        assert s.get(LabScope, world.row_b) is not None


def test_scope_upload_naming_another_lab_is_refused_with_row_errors(app, kbase, world):
    c = client_for(app, "lab_a")
    bad = SCOPE_CSV + "VILAS 1002,Nước,pH,,TCVN 6492:2011,yes\n"
    r = _upload(c, world.lab_a, "pham-vi.csv", bad.encode())
    assert r.status_code == 200 and r.url.path.startswith(f"/lab/{world.lab_a}/jobs/")  # the job's page
    assert "chưa được áp dụng" in html(r).css_first("#upload-report").text()
    errors = [[td.text() for td in tr.css("td")] for tr in html(r).css("#upload-errors tbody tr")]
    assert errors == [["4", "dòng ghi số công nhận VILAS 1002, không phải VILAS 1001"]]
    with kbase.session() as s:
        assert [x.test for x in labs.scope_rows(s, s.get(Lab, world.lab_b))] == ["pH"]
        assert [x.test for x in labs.scope_rows(s, s.get(Lab, world.lab_a))] == ["Cường độ nén"]


def test_scope_upload_row_level_errors_from_the_importer(app, kbase, world):
    c = client_for(app, "lab_a")
    r = _upload(c, world.lab_a, "pham-vi.csv", (SCOPE_CSV + "VILAS 1001,Đá,Độ hút nước,,,có lẽ\n").encode())
    assert r.status_code == 200
    # A file with a bad line changes nothing: fixed and uploaded again, it replaces the scope whole.
    assert "chưa được áp dụng" in html(r).css_first("#upload-report").text()
    with kbase.session() as s:
        assert [x.test for x in labs.scope_rows(s, s.get(Lab, world.lab_a))] == ["Cường độ nén"]
    errors = [[td.text() for td in tr.css("td")] for tr in html(r).css("#upload-errors tbody tr")]
    assert len(errors) == 1 and errors[0][0] == "4" and "được công nhận" in errors[0][1]


def test_scope_xlsx_upload(app, kbase, world):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for line in SCOPE_CSV.strip().splitlines():
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    c = client_for(app, "lab_a")
    r = _upload(c, world.lab_a, "pham-vi.xlsx", buf.getvalue(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert r.status_code == 200, html(r).body.text()[:500]
    with kbase.session() as s:
        assert len(labs.scope_rows(s, s.get(Lab, world.lab_a))) == 2


@pytest.mark.parametrize("name, content", [
    ("pham-vi.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200),  # renamed .exe
    ("pham-vi.exe", SCOPE_CSV.encode()),  # right content, wrong name
    ("pham-vi.xlsx", b"PK\x03\x04" + b"\x00" * 100),  # a broken zip claiming to be XLSX
    ("pham-vi.pdf", b"%PDF-1.7\n%%EOF\n"),  # a PDF is not a scope table
    ("pham-vi.csv", b""),
])
def test_scope_upload_refuses_wrong_types(app, kbase, world, name, content):
    c = client_for(app, "lab_a")
    r = _upload(c, world.lab_a, name, content, "application/octet-stream")
    assert r.status_code == 400
    assert html(r).css_first("[role=alert]").text()
    with kbase.session() as s:
        assert [x.test for x in labs.scope_rows(s, s.get(Lab, world.lab_a))] == ["Cường độ nén"]
    assert not [p for p in kbase.settings.uploads_dir.rglob("*") if p.is_file()]


def test_scope_upload_size_limit(app, kbase, world, monkeypatch):
    from web.routes import lab_admin

    monkeypatch.setattr(lab_admin, "SCOPE_UPLOAD_MB", 1)
    big = SCOPE_CSV + ("VILAS 1001,Bê tông,Cường độ nén,,TCVN 3118:2022,yes\n" * 40_000)
    assert len(big) > 1024 * 1024 + 64 * 1024
    r = _upload(client_for(app, "lab_a"), world.lab_a, "pham-vi.csv", big.encode())
    assert r.status_code == 413
    assert "quá lớn" in html(r).css_first("[role=alert]").text()


def test_stored_names_are_generated_and_stay_inside(tmp_path):
    from starlette.datastructures import UploadFile

    from web.uploads import display_name, save_upload

    dest = tmp_path / "uploads"
    up = UploadFile(io.BytesIO(SCOPE_CSV.encode()), filename="../../../etc/cron.d/x.csv")
    stored = save_upload(up, dest, {"csv"}, 1024 * 1024)
    assert stored.path.parent == dest
    assert stored.path.name.startswith(stored.sha256[:16]) and stored.path.suffix == ".csv"
    assert stored.original_name == "x.csv"
    assert display_name("..\\..\\a\x00b.pdf") == "a b.pdf"
    assert Path(stored.path).read_text(encoding="utf-8") == SCOPE_CSV


def test_curator_upload_refuses_an_exe_named_pdf(app, kbase):
    c = client_for(app, "curator")
    r = c.post("/curate/upload", data={"kind": "pdf"},
               files={"file": ("tieu-chuan.pdf", b"MZ" + b"\x00" * 500, "application/pdf")})
    assert r.status_code == 400
    r = c.post("/curate/upload", data={"kind": "nonsense"}, files={"file": ("a.csv", b"a,b\n", "text/csv")})
    assert r.status_code == 400


@pytest.mark.parametrize(("data", "file", "message"), [
    ({"kind": "nonsense"}, ("a.csv", b"a,b\n", "text/csv"), "loại tệp 'nonsense' không hợp lệ"),
    ({"kind": "pdf"}, ("a.csv", b"a,b\n", "text/csv"), "nội dung không phải tệp được nhận (.pdf)"),
])
def test_a_refused_upload_shows_the_upload_page_again_with_its_error(app, kbase, data, file, message):
    c = client_for(app, "curator")
    r = c.post("/curate/upload", data=data, files={"file": file})
    assert r.status_code == 400
    page = html(r)
    assert page.css_first("#upload-form") is not None
    assert message in page.css_first("p.error[role=alert]").text()
    assert not [p for p in kbase.settings.uploads_dir.rglob("*") if p.is_file()]


# --- Mapping editor, rules, impact, audit -------------------------------------------------------------


def test_suggestion_queue_approve_and_reject_with_reason(app, kbase, world):
    c = client_for(app, "curator")
    page = html(c.get("/curate/suggestions"))
    card = page.css_first(f"#mapping-{world.mapping}")
    assert card is not None and "tên khớp" in card.text()
    r = c.post(f"/curate/mappings/{world.mapping}/decide", data={"status": "rejected", "version": "1"})
    assert r.status_code == 400  # a rejection needs a reason
    r = c.post(f"/curate/mappings/{world.mapping}/decide",
               data={"status": "rejected", "note": "sai nhóm sản phẩm", "version": "1"}, follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        m = s.get(Mapping, world.mapping)
        assert (m.status, m.decision_note, m.decided_by) == (MappingStatus.rejected, "sai nhóm sản phẩm", "curator")
    assert html(c.get("/curate/suggestions")).css_first(f"#mapping-{world.mapping}") is None


def test_category_rule_suggests_for_every_product_of_the_category(app, kbase, world):
    from kb import products

    with kbase.session() as s:
        products.upsert_product(s, ProductCreate(name="Kẹo lạc Đông Hồ", category="bánh kẹo"), "test")
        products.upsert_product(s, ProductCreate(name="Gạch men", category="Vật liệu xây dựng"), "test")
    c = client_for(app, "curator")
    r = c.post("/curate/rules", data={"category": "Bánh kẹo", "standard": "QCVN 8-1:2011/BYT", "type": "mandatory",
                                      "legal_basis": "Thông tư 02/2011/TT-BYT"}, follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        suggested = mappings.mapping_rows(s, MappingStatus.suggested)
        names = sorted(r["product"].name for r in suggested if r["standard"].code == "QCVN 8-1:2011/BYT")
        assert names == ["Bánh phu thê Đình Bảng", "Kẹo lạc Đông Hồ"]
    assert c.post("/curate/rules", data={"category": "Bánh kẹo", "standard": "QCVN 8-1:2011/BYT",
                                         "type": "mandatory"}).status_code == 409
    rule_id = html(c.get("/curate/rules")).css_first("#rules tbody form").attributes["action"].split("/")[3]
    with kbase.session() as s:  # a product added later is covered when the rule is applied again
        products.upsert_product(s, ProductCreate(name="Bánh cuốn", category="Bánh kẹo"), "test")
    assert c.post(f"/curate/rules/{rule_id}/apply", follow_redirects=False).status_code == 303
    with kbase.session() as s:
        assert len([r for r in mappings.mapping_rows(s, MappingStatus.suggested)
                    if r["standard"].code == "QCVN 8-1:2011/BYT"]) == 3
    assert c.post(f"/curate/rules/{rule_id}/delete", follow_redirects=False).status_code == 303
    with kbase.session() as s:
        assert s.get(CategoryRule, int(rule_id)) is None


def test_impact_view_and_one_click_repoint(app, kbase, world):
    c = client_for(app, "curator")
    page = html(c.get("/curate/impact"))
    card = page.css_first(f"#impact-{world.old_std}")
    assert card is not None
    assert "Phòng thí nghiệm A" in card.text()  # the scope row resting on the old method
    form = card.css_first("form")
    assert form.css_first("input[name=to]").attributes["value"] == "TCVN 3118:2022"
    r = c.post(form.attributes["action"], data={"to": "TCVN 3118:2022"}, follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        assert s.get(Mapping, world.mapping).standard_id == world.new_std


def test_audit_log_filters_and_reverts_creation_and_deletion(app, kbase, world):
    c = client_for(app, "lab_a")
    row = c.post(f"/api/labs/{world.lab_a}/scope", json={"test": "Độ ẩm"}).json()
    c.delete(f"/api/labs/{world.lab_a}/scope/{world.row_a}")
    cur = client_for(app, "curator")
    page = html(cur.get("/curate/audit?entity=lab_scope&actor=lab_a"))
    rows = page.css("#events li.audit-line")
    assert [li.attributes["data-action"] for li in rows] == ["delete", "create"]
    assert [li.css_first(".audit-sentence").text() for li in rows] == [
        "lab_a xóa khỏi phạm vi VILAS 1001: Cường độ nén", "lab_a thêm phép thử vào phạm vi VILAS 1001: Độ ẩm"]
    assert all("Phạm vi công nhận" in li.css_first(".audit-meta").text() for li in rows)
    delete_event, create_event = (int(li.attributes["id"].split("-")[1]) for li in rows)
    assert cur.post(f"/curate/audit/{delete_event}/revert", follow_redirects=False).status_code == 303
    assert cur.post(f"/curate/audit/{create_event}/revert", follow_redirects=False).status_code == 303
    with kbase.session() as s:
        assert s.get(LabScope, row["id"]) is None
        tests = [x.test for x in labs.scope_rows(s, s.get(Lab, world.lab_a))]
        assert tests == ["Cường độ nén"]
    reverts = html(cur.get("/curate/audit", params={"q": "Hoàn tác sự kiện"})).css("#events li.audit-line")
    assert [li.css_first(".audit-sentence").text().split(" (")[0] for li in reverts] == [
        f"curator hoàn tác sự kiện #{create_event}", f"curator hoàn tác sự kiện #{delete_event}"]
    assert cur.get("/curate/audit?days=0").status_code == 400


def test_products_create_and_edit_with_version(app, kbase):
    c = client_for(app, "curator")
    r = c.post("/curate/products", data={"name": "Tương Đình Tổ", "kind": "ocop", "ocop_stars": "4",
                                         "category": "Gia vị", "aliases": "tuong dinh to; Tương Thuận Thành"},
               follow_redirects=False)
    assert r.status_code == 303
    pid = int(r.headers["location"].split("/")[3].split("?")[0])
    form = html(c.get(f"/curate/products/{pid}")).css_first("#product-form")
    assert form.css_first("input[name=version]").attributes["value"] == "1"
    data = {"name": "Tương Đình Tổ", "kind": "ocop", "ocop_stars": "5", "version": "1"}
    assert c.post(f"/curate/products/{pid}", data=data, follow_redirects=False).status_code == 303
    stale = c.post(f"/curate/products/{pid}", data={**data, "ocop_stars": "3"})
    assert stale.status_code == 409
    with kbase.session() as s:
        p = s.get(Product, pid)
        assert (p.ocop_stars, p.version, p.aliases) == (5, 2, [])
    assert c.post("/curate/products", data={"name": "Tương Đình Tổ"}).status_code == 409
    assert c.post(f"/curate/products/{pid}", data={**data, "ocop_stars": "9", "version": "2"}).status_code == 400
    too_long = c.post("/curate/products", data={"name": "Tương " * 61})  # 366 characters > 300
    assert too_long.status_code == 400
    assert "name: dài quá 300 ký tự" in html(too_long).css_first("[role=alert]").text()
    edited = c.post(f"/curate/products/{pid}", data={**data, "name": "Tương " * 61, "version": "2"})
    assert edited.status_code == 400  # an edit is held to the column's length as a new product is
    assert "name: dài quá 300 ký tự" in html(edited).css_first("[role=alert]").text()


def test_workspace_pages_need_no_inline_style_or_script(app, world):
    c = client_for(app, "curator")
    for url in ("/curate", f"/lab/{world.lab_a}", "/curate/audit", "/login"):
        page = html(c.get(url))
        assert not page.css("style") and not page.css("[style]"), url
        assert all(s.attributes.get("src") for s in page.css("script")), url
    assert c.get("/static/curate.css").status_code == 200


def test_catalogue_upload_reports_its_outcome_on_the_upload_page(app, kbase):
    c = client_for(app, "curator")
    good = "name,category,kind\nMiến dong Việt Cường,Thực phẩm,ocop\n".encode()
    bad = b"ten,loai\nx,y\n"
    for content in (good, bad):
        r = c.post("/curate/upload", data={"kind": "products"}, files={"file": ("sp.csv", content, "text/csv")},
                   follow_redirects=False)
        assert r.status_code == 303
    items = [li.text() for li in html(c.get("/curate/upload")).css("main ul li")]
    assert any("1 mới" in t for t in items), items
    assert any("thất bại" in t and "name" in t for t in items), items
    with kbase.session() as s:
        assert s.exec(Product.__table__.select().where(Product.name == "Miến dong Việt Cường")).first() is not None
