"""A lab's listing that links itself (issue 13, item 5), through the lab's own pages, its JSON and the public
pages: loosely typed methods normalised and linked, add at the top, delete with confirmation and undo,
export → re-import unchanged, Vietnamese headers, and validity a lab sets itself shown as unverified."""

from __future__ import annotations

import csv
import io

import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlmodel import func, select

from kb import labs, mappings, standards
from kb.models import AuditEvent, LabScope, MappingSource, MappingStatus, Product, StandardCreate
from tests.support.accounts import client_for, make_app, seed

VI_HEADER = "số công nhận,vật liệu,phép thử,phạm vi đo,phương pháp,được công nhận"


def html(r) -> LexborHTMLParser:
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return LexborHTMLParser(r.text)


def words(node) -> str:
    return " ".join(node.text().split())


@pytest.fixture
def world(kbase):
    w = seed(kbase)
    with kbase.session() as s:
        std, _ = standards.upsert_standard(s, StandardCreate(code="TCVN 7570:2006", title_vi="Cốt liệu cho bê tông và vữa"),
                                           actor="test", source="import")
        product = s.get(Product, w.product)
        mappings.upsert_mapping(s, product, std, "test_method", None, None, MappingStatus.approved,
                                MappingSource.curator, "test")
    return w


@pytest.fixture
def app(kbase, world):
    return make_app(kbase)


def _add(c, lab_id, **fields):
    data = {"test": "Thành phần hạt", "material": "Cát xây dựng", "range": "", "method": "", "accredited": "1", **fields}
    return c.post(f"/lab/{lab_id}/scope", data=data, follow_redirects=False)


def _audit_count(kbase) -> int:
    with kbase.session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


def _lab_ids(items) -> set[int]:
    return {lab["id"] for lab in items}


# --- 1. loosely typed methods: normalised, linked, and found by public pages ------------------------------


def test_a_loosely_typed_method_is_saved_canonical_and_public_pages_find_the_lab(app, kbase, world):
    public = client_for(app, None)
    before = public.get(f"/api/products/{world.product}").json()
    assert all(world.lab_a not in _lab_ids(s["labs"]) for s in before["standards"] if s["code"] == "TCVN 7570:2006")

    c = client_for(app, "lab_a")
    r = _add(c, world.lab_a, method="tcvn 7570 2006")
    assert r.status_code == 303, r.text
    with kbase.session() as s:
        row = s.exec(select(LabScope).where(LabScope.lab_id == world.lab_a, LabScope.test == "Thành phần hạt")).one()
        assert row.method == "TCVN 7570:2006" and row.method_codes == ["TCVN 7570:2006"]
        assert row.method_series == "|tcvn7570|"  # what kb.read.labs.LabFinder matches on

    # The message at the top names the row and says it is linked, with a link to the standard's page.
    page = html(c.get(r.headers["location"]))
    notice = page.css_first("#messages #lab-notice")
    assert "Thành phần hạt" in words(notice)
    linked = notice.css_first("li.linked")
    assert words(linked) == "Đã liên kết với TCVN 7570:2006"
    assert linked.css_first("a").attributes["href"] == "/standards/TCVN%207570:2006"
    first_heading = [n.attributes.get("id") for n in page.css("main h2, main h3")]
    assert first_heading.index("add-title") < first_heading.index("file-title")  # the add form above the rows
    assert page.css_first("#add-row").attributes["action"] == f"/lab/{world.lab_a}/scope"

    # Public pages: the product's standard and the standard page list the lab now; so does their JSON.
    after = public.get(f"/api/products/{world.product}").json()
    std = next(s for s in after["standards"] if s["code"] == "TCVN 7570:2006")
    assert world.lab_a in _lab_ids(std["labs"])
    assert world.lab_a in _lab_ids(public.get("/api/standards/TCVN 7570:2006").json()["labs"])
    product_page = html(public.get(f"/products/{world.product}"))
    assert product_page.css_first(f'li.lab[data-lab-id="{world.lab_a}"]') is not None


@pytest.mark.parametrize("typed", ["tcvn 7570 2006", "TCVN7570:2006", "tcvn 7570-2006", "TCVN 7570 : 2006"])
def test_every_loose_spelling_links_through_the_api(app, kbase, world, typed):
    c = client_for(app, "lab_a")
    r = c.post(f"/api/labs/{world.lab_a}/scope", json={"test": "Khối lượng riêng", "method": typed})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["method"] == "TCVN 7570:2006" and body["linked"] is True and body["unrecognised"] == []
    assert body["links"] == [{"code": "TCVN 7570:2006", "linked": True, "standard": "TCVN 7570:2006",
                              "url": "/standards/TCVN%207570:2006", "superseded": False}]


def test_several_methods_kept_and_text_that_is_no_designation_is_kept_and_flagged(app, kbase, world):
    c = client_for(app, "lab_a")
    r = c.post(f"/api/labs/{world.lab_a}/scope",
               json={"test": "Độ ẩm", "method": "tcvn 7570 2006; TCVN 9999:2020\nTheo hướng dẫn nội bộ HD-01"})
    body = r.json()
    assert body["method"] == "TCVN 7570:2006; TCVN 9999:2020; Theo hướng dẫn nội bộ HD-01"
    assert [(m["code"], m["linked"]) for m in body["links"]] == [("TCVN 7570:2006", True), ("TCVN 9999:2020", False)]
    assert body["unrecognised"] == ["Theo hướng dẫn nội bộ HD-01"]
    listing = c.get(f"/api/labs/{world.lab_a}/scope").json()
    assert [r["linked"] for r in listing["rows"]] == [True, True]  # the seed row cites TCVN 3118:1993

    row = html(c.get(f"/lab/{world.lab_a}")).css_first(f"#row-{body['id']}")
    assert words(row.css_first("li.unlinked")) == \
        "Chưa liên kết TCVN 9999:2020: không tìm thấy tiêu chuẩn này trong cơ sở dữ liệu"
    assert "Theo hướng dẫn nội bộ HD-01" in words(row.css_first("li.unrecognised"))

    # An edit through the form goes through the same normalisation.
    r = c.post(f"/lab/{world.lab_a}/scope/{body['id']}",
               data={"version": str(body["version"]), "test": "Độ ẩm", "method": "tcvn 9999-2020"}, follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        assert s.get(LabScope, body["id"]).method == "TCVN 9999:2020"


def test_the_public_lab_json_says_which_rows_are_linked(app, kbase, world):
    c = client_for(app, "lab_a")
    c.post(f"/api/labs/{world.lab_a}/scope", json={"test": "Tạp chất", "method": "SMEWW 3111B"})
    scope = client_for(app, None).get(f"/api/labs/{world.lab_a}").json()["scope"]
    by_test = {r["test"]: r for r in scope}
    assert by_test["Cường độ nén"]["linked"] is True and by_test["Cường độ nén"]["unrecognised"] == []
    assert by_test["Tạp chất"]["linked"] is False and by_test["Tạp chất"]["unrecognised"] == ["SMEWW 3111B"]


# --- 2. delete with a confirmation step, and undo --------------------------------------------------------


def test_delete_asks_first_then_undo_restores_the_row_once(app, kbase, world):
    c = client_for(app, "lab_a")
    page = html(c.get(f"/lab/{world.lab_a}"))
    link = page.css_first(f"#row-{world.row_a} a.delete-link")
    confirm = c.get(link.attributes["href"])  # a page, not a deletion
    with kbase.session() as s:
        assert s.get(LabScope, world.row_a) is not None
        before = s.get(LabScope, world.row_a).model_dump(exclude={"updated_at", "created_at"})
    form = html(confirm).css_first("#confirm-delete")
    assert "Cường độ nén" in words(html(confirm).css_first("#delete-row"))
    r = c.post(form.attributes["action"], data={"version": form.css_first("input[name=version]").attributes["value"]},
               follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        assert s.get(LabScope, world.row_a) is None
    page = html(c.get(r.headers["location"]))
    assert words(page.css_first("#lab-notice p")) == "Đã xóa dòng phạm vi."
    undo = page.css_first("#undo-form")
    assert "Cường độ nén" in words(undo) and undo.css_first("button").text() == "Hoàn tác"

    r = c.post(undo.attributes["action"], follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        rows = labs.scope_rows(s, labs.require_lab(s, world.lab_a))
        assert len(rows) == 1
        restored = rows[0].model_dump(exclude={"updated_at", "created_at"})
        assert {k: v for k, v in restored.items() if k != "id"} == {k: v for k, v in before.items() if k != "id"}
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "lab_scope").order_by(AuditEvent.id)).all()
        assert [e.action for e in events][-2:] == ["delete", "create"]
        assert events[-1].actor == "lab_a" and events[-1].summary.startswith(f"Hoàn tác sự kiện #{events[-2].id}")
    assert "Đã khôi phục" in words(html(c.get(r.headers["location"])).css_first("#lab-notice"))

    again = c.post(undo.attributes["action"])  # a second undo would duplicate the row
    assert again.status_code == 409 and "đã được khôi phục" in words(html(again).css_first("[role=alert]"))
    # Another lab cannot undo this lab's deletion, nor see its confirmation page.
    other = client_for(app, "lab_b")
    assert other.post(undo.attributes["action"]).status_code == 403
    assert other.get(link.attributes["href"]).status_code == 403


def test_undo_only_takes_this_labs_deletions(app, kbase, world):
    c = client_for(app, "curator")
    r = c.delete(f"/api/labs/{world.lab_b}/scope/{world.row_b}")
    assert r.status_code == 204
    event_id = int(r.headers["x-undo-event"])
    with kbase.session() as s:
        assert s.exec(select(AuditEvent.id).where(AuditEvent.action == "delete")).one() == event_id
    assert c.post(f"/api/labs/{world.lab_a}/scope/restore/{event_id}").status_code == 404
    r = c.post(f"/api/labs/{world.lab_b}/scope/restore/{event_id}")
    assert r.status_code == 200 and r.json()["test"] == "pH"


# --- 3. export, template, round trip ------------------------------------------------------------------


def test_export_is_public_excel_ready_and_reimports_without_any_change(app, kbase, world):
    lab_user = client_for(app, "lab_a")
    for method in ("tcvn 7570 2006; Theo hướng dẫn, nội bộ", "ASTM C143, C172"):
        lab_user.post(f"/api/labs/{world.lab_a}/scope",
                      json={"test": "Độ sụt, “côn” Abrams", "material": "Bê tông\ntươi", "range": "-20 đến 50 °C",
                            "method": method, "accredited": False})
    lab_user.post(f"/api/labs/{world.lab_a}/scope", json={"test": "=HYPERLINK(\"x\")", "range": "+5"})
    r = client_for(app, None).get(f"/api/labs/{world.lab_a}/scope.csv")  # public, like the lab's page
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == VI_HEADER.split(",")
    assert rows[1][0] == "VILAS 1001" and rows[1][5] == "có" and rows[2][5] == "không"
    assert rows[4][2] == "'=HYPERLINK(\"x\")" and rows[4][3] == "'+5"  # no formula for a spreadsheet to run

    events = _audit_count(kbase)
    with kbase.session() as s:
        stored = [r.model_dump() for r in labs.scope_rows(s, labs.require_lab(s, world.lab_a))]
    up = lab_user.post(f"/lab/{world.lab_a}/upload", files={"file": ("pham-vi.csv", r.content, "text/csv")})
    assert up.status_code == 200, up.text
    assert words(html(up).css_first("#upload-report")) == \
        "Đã cập nhật phạm vi từ tệp: 0 thêm mới, 0 sửa, 4 giữ nguyên, 0 bỏ."
    assert _audit_count(kbase) == events  # nothing changed, nothing logged
    with kbase.session() as s:
        assert [r.model_dump() for r in labs.scope_rows(s, labs.require_lab(s, world.lab_a))] == stored


def test_the_empty_template_has_the_headers_and_the_page_explains_it(app, world):
    c = client_for(app, "lab_a")
    page = html(c.get(f"/lab/{world.lab_a}"))
    href = page.css_first("#template-link").attributes["href"]
    r = c.get(href)
    assert r.status_code == 200 and r.content.decode("utf-8-sig").strip() == VI_HEADER
    assert "số công nhận, vật liệu, phép thử" in words(page.css_first("#scope-section"))
    assert page.css_first("#export-link").attributes["href"] == f"/api/labs/{world.lab_a}/scope.csv"


# --- 4. Vietnamese headers, errors in Vietnamese with line numbers ----------------------------------------


@pytest.mark.parametrize("header", [VI_HEADER, "SO CONG NHAN;Vat lieu;PHÉP THỬ;phạm vi đo;Phuong phap;được công nhận",
                                    "accreditation,material,test,range,method,accredited"],
                         ids=["vi", "vi-loose", "en"])
def test_vietnamese_headers_with_or_without_accents_any_case(app, kbase, world, header):
    sep = ";" if ";" in header else ","
    body = header + "\n" + sep.join(["vilas 1001", "Cát", "Thành phần hạt", "", "tcvn 7570 2006", "có"]) + "\n"
    r = client_for(app, "lab_a").post(f"/lab/{world.lab_a}/upload", files={"file": ("f.csv", body.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    with kbase.session() as s:
        rows = labs.scope_rows(s, labs.require_lab(s, world.lab_a))
        assert [(r.test, r.method, r.method_series) for r in rows] == [("Thành phần hạt", "TCVN 7570:2006", "|tcvn7570|")]


def test_missing_column_named_in_vietnamese_and_bad_rows_by_line(app, kbase, world):
    c = client_for(app, "lab_a")
    r = c.post(f"/lab/{world.lab_a}/upload",
               files={"file": ("f.csv", "vật liệu,phương pháp\nCát,TCVN 7570:2006\n".encode(), "text/csv")})
    assert r.status_code == 200 and html(r).css_first("#job-status").attributes["data-state"] == "failed"
    alert = words(html(r).css_first("[role=alert]"))
    assert "thiếu cột bắt buộc số công nhận, phép thử" in alert and "accreditation" not in alert
    body = (VI_HEADER + "\nVILAS 1001,Cát,Thành phần hạt,,tcvn 7570 2006,có\n"
            "VILAS 1001,Cát,,,TCVN 7570:2006,có\nVILAS 1001,Cát,Độ ẩm,,,chắc\n")
    r = c.post(f"/lab/{world.lab_a}/upload", files={"file": ("f.csv", body.encode(), "text/csv")})
    errors = [[words(td) for td in tr.css("td")] for tr in html(r).css("#upload-errors tbody tr")]
    assert errors == [["3", "thiếu tên phép thử"], ["4", "được công nhận: 'chắc' không phải yes/no (có/không)"]]
    report = html(r).css_first("#upload-report")
    assert report.parent.attributes.get("id") == "job-status"  # on the upload's own page


# --- 5. validity a lab sets itself -----------------------------------------------------------------------


def test_validity_set_by_the_lab_is_unverified_until_a_curator_confirms(app, kbase, world):
    lab_user, curator, public = client_for(app, "lab_a"), client_for(app, "curator"), client_for(app, None)
    assert public.get(f"/api/labs/{world.lab_a}").json()["validity"]["verified"] is True
    r = lab_user.post(f"/lab/{world.lab_a}/profile", data={"version": "1", "name": "Phòng thí nghiệm A",
                                                          "valid_until": "2099-12-31"}, follow_redirects=False)
    assert r.status_code == 303
    lab = public.get(f"/api/labs/{world.lab_a}").json()
    assert lab["valid_until"] == "2099-12-31"
    assert lab["validity"]["verified"] is False and lab["validity"]["label"] == "Còn hiệu lực (chưa xác minh)"
    page = html(public.get(f"/labs/{world.lab_a}"))
    badge = page.css_first("dd .badge[data-validity]")
    assert badge.attributes["data-verified"] == "false" and "chưa xác minh" in words(badge)
    assert "tự khai, Sở chưa xác minh" in words(page.css_first("#validity-unverified"))
    # The lab's standard page entry says so too (the lab is found through its scope row's method).
    entry = next(x for x in public.get("/api/standards/TCVN 3118:1993").json()["labs"] if x["id"] == world.lab_a)
    assert entry["validity"]["verified"] is False
    assert html(lab_user.get(f"/lab/{world.lab_a}")).css_first("#validity-claim") is not None

    r = curator.post(f"/api/labs/{world.lab_a}/verify")
    assert r.status_code == 200 and r.json()["validity_verified"] is True
    lab = public.get(f"/api/labs/{world.lab_a}").json()
    assert lab["validity"]["verified"] is True and lab["validity"]["label"] == "Còn hiệu lực"
    with kbase.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "verify")).one()
        assert event.actor == "curator" and event.before["validity_verified"] is False
        assert event.after["validity_verified"] is True
    assert html(lab_user.get(f"/lab/{world.lab_a}")).css_first("#changed-since") is None

    # A curator's own edit of the dates is a confirmation; a lab's next edit is a claim again.
    curator.post(f"/lab/{world.lab_a}/profile", data={"version": "2", "name": "Phòng thí nghiệm A",
                                                     "valid_until": "2030-06-30"})
    assert public.get(f"/api/labs/{world.lab_a}").json()["validity"]["verified"] is True
    lab_user.post(f"/lab/{world.lab_a}/profile", data={"version": "3", "name": "Phòng thí nghiệm A",
                                                      "valid_until": "2030-06-30", "phone": "0222 3822 000"})
    assert public.get(f"/api/labs/{world.lab_a}").json()["validity"]["verified"] is True  # dates unchanged
    lab_user.post(f"/lab/{world.lab_a}/profile", data={"version": "4", "name": "Phòng thí nghiệm A",
                                                      "valid_from": "2020-01-01", "valid_until": "2030-06-30"})
    assert public.get(f"/api/labs/{world.lab_a}").json()["validity"]["verified"] is False


def test_no_english_from_the_site_on_the_lab_pages(app, kbase, world):
    c = client_for(app, "lab_a")
    _add(c, world.lab_a, method="tcvn 7570 2006; Theo hướng dẫn")
    r = c.post(f"/lab/{world.lab_a}/upload", files={"file": ("f.csv", b"material\nx\n", "text/csv")})
    pages = [html(c.get(f"/lab/{world.lab_a}?ok=added&row={world.row_a}")),
             html(c.get(f"/lab/{world.lab_a}/scope/{world.row_a}/delete")), html(r)]
    english = {"accreditation", "material", "test", "range", "method", "accredited", "linked", "delete", "undo",
               "yes", "no", "scope", "upload", "verified", "error"}
    for page in pages:
        shown = words(page.css_first("main")).lower()
        found = {w for w in english if f" {w} " in f" {shown} "}
        assert not found, found


def test_a_refused_row_keeps_what_was_typed_and_says_why_at_the_top(app, kbase, world):
    c = client_for(app, "lab_a")
    r = _add(c, world.lab_a, test="  ", method="tcvn 7570 2006")
    assert r.status_code == 400
    page = html(r)
    assert words(page.css_first("[role=alert]")) == "dòng phạm vi thiếu tên phép thử"
    assert page.css_first("#new-method").attributes["value"] == "tcvn 7570 2006"
    assert page.css_first("#new-material").attributes["value"] == "Cát xây dựng"
    with kbase.session() as s:
        assert len(labs.scope_rows(s, labs.require_lab(s, world.lab_a))) == 1


def test_another_edition_links_to_the_series_the_same_way_everywhere(app, kbase, world):
    c = client_for(app, "lab_a")
    body = c.post(f"/api/labs/{world.lab_a}/scope", json={"test": "Độ hút nước", "method": "tcvn 7570 2022"}).json()
    assert body["method"] == "TCVN 7570:2022"
    assert [(m["code"], m["linked"], m["standard"]) for m in body["links"]] == [("TCVN 7570:2022", True, "TCVN 7570:2006")]
    row = next(r for r in client_for(app, None).get(f"/api/labs/{world.lab_a}").json()["scope"] if r["id"] == body["id"])
    assert row["linked"] is True
    assert world.lab_a in _lab_ids(client_for(app, None).get("/api/standards/TCVN 7570:2006").json()["labs"])
