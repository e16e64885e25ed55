"""Review of an ingested document: every field a curator confirms named in Vietnamese (no raw keys, no English
methods), confidence per field with the least sure first, confirmation field by field, the PDF page beside
the form (rendered server-side, cached on disk, curators only)."""

from __future__ import annotations

import re
from dataclasses import fields as dc_fields

import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlmodel import select

from ingest.extract.confidence import METHOD_CONFIDENCE
from ingest.pipeline import ingest_paths
from kb import standards
from kb.models import RelationType, Standard, StandardRelation
from kb.records import ExtractedStandard
from tests.support.accounts import client_for, make_app, seed
from tests.support.pdfs import make_standard_pdf
from web import auth

#: Internal keys and English method words that must never reach a curator's screen.
RAW = re.compile(r"\b(doc_type|issuer_suffix|title_vi_normalised|scope_first_sentence|title_vi|title_en|"
                 r"normative_references|cover block|designation|foreword|approval chain|headings|scope clause|reference)\b")


def html(r) -> LexborHTMLParser:
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return LexborHTMLParser(r.text)


def visible(node) -> str:
    """Text a reader sees: the page without its scripts, and the values of the form's controls."""
    return node.text(separator=" ")


@pytest.fixture
def store(any_kbase):
    """Every test here on SQLite and on PostgreSQL (the review reads provenance JSON and proposals)."""
    return any_kbase


@pytest.fixture
def world(store):
    return seed(store)


@pytest.fixture
def app(store, world):
    return make_app(store)


@pytest.fixture
def ingested(store, world, tmp_path) -> int:
    """A standard new to the knowledge base, ingested from a generated PDF: stored at once, unverified."""
    pdf = make_standard_pdf(tmp_path / "4884.pdf", code="TCVN 4884-1:2015", title="Vi sinh vật trong chuỗi thực phẩm")
    [r] = ingest_paths(store, [pdf])
    assert r["status"] == "ingested", r
    with store.session() as s:
        std = standards.require_standard(s, "TCVN 4884-1:2015")
        assert std.document_id is not None
        return std.id


def test_every_extracted_key_is_a_review_field_or_follows_one():
    """A new extracted field must be named for curators (or said to follow one), else it is never confirmed."""
    keys = {f.name for f in dc_fields(ExtractedStandard) if f.name != "provenance"} | {"code"}
    stray = {k for k in keys if k not in standards.REVIEW_FIELDS and k not in standards.FOLLOWS}
    assert not stray
    assert all(f in auth.LABELS_VI["fields"] for f in standards.REVIEW_FIELDS)


def test_every_extraction_rule_has_a_vietnamese_description():
    for prefix, _ in METHOD_CONFIDENCE:
        assert auth.method_vi(prefix) not in ("cách tìm khác", ""), prefix
    assert auth.method_vi("cover block after designation") == "khối bìa, sau ký hiệu"
    assert auth.method_vi("ocr; scope clause").startswith("đọc từ ảnh quét (OCR)")
    assert auth.method_vi("a rule nobody described") == "cách tìm khác"


def test_queue_names_unconfirmed_fields_in_vietnamese(app, ingested):
    page = html(client_for(app, "curator").get("/curate/review"))
    [row] = [tr for tr in page.css("#review tbody tr") if "TCVN 4884-1:2015" in tr.text()]
    cell = visible(row.css_first(".unconfirmed"))
    m = re.match(r"(\d+) trường chưa xác nhận: (.+)", cell.strip())
    assert m, cell
    names = [n.strip() for n in m.group(2).split(",")]
    assert int(m.group(1)) == len(names) and "Tên tiếng Việt" in names and "Ký hiệu" in names
    assert not RAW.search(cell), cell


def test_form_covers_every_field_with_vietnamese_sources_and_confidence(app, store, ingested):
    page = html(client_for(app, "curator").get(f"/curate/review/{ingested}"))
    table = page.css_first("#fields")
    assert not RAW.search(visible(table)), visible(table)
    rows = {tr.attributes["id"].removeprefix("field-"): tr for tr in table.css("tbody tr")}
    with store.session() as s:
        std = s.get(Standard, ingested)
        prov = dict(std.provenance)
    # Every field the document gave, and every correctable one, has a row; no internal key does.
    assert {standards.review_field(k) for k in prov} <= set(rows)
    assert set(standards.CORRECTABLE_FIELDS) <= set(rows)
    assert not set(rows) & set(standards.FOLLOWS)
    for f in ("edition", "equivalence", "normative_references", "sections", "code"):
        if f in prov:
            assert rows[f].css_first(".confidence").text().strip(), f
    # The equivalence by its Vietnamese name (chosen in its select) beside its codes; sections as a count.
    eq = rows["equivalence"]
    assert eq.css_first("select[name=equivalence_relation] option[selected]").text() == "tham khảo"
    assert eq.css_first("input[name=equivalence]").attributes["value"].startswith("GOST 10180")
    assert rows["sections"].css_first(".value").text().strip().isdigit()
    # Titles and scope get wide text boxes.
    assert rows["title_vi"].css_first("textarea") is not None and rows["scope"].css_first("textarea") is not None
    # Confidence as a number and plain words; unconfirmed rows come first, least sure first.
    graded = [(f, prov[f].get("confidence")) for f in rows if f in prov]
    conf = [c if c is not None else -1 for _, c in graded]
    assert conf == sorted(conf)
    for f, c in graded:
        text = rows[f].css_first(".confidence").text()
        assert f"{c:.2f}" in text and any(w in text for w in ("chắc chắn", "khá chắc", "cần kiểm tra")), text
    # The title's source: a Vietnamese method and a link that shows its page.
    link = rows["title_vi"].css_first(".prov a.page-link")
    assert link is not None and link.attributes["href"] == f"?page={prov['title_vi']['page']}#page-view"
    assert "khối bìa, sau ký hiệu" in rows["title_vi"].css_first(".prov").text()


def test_confirming_one_field_verifies_it_and_what_follows_it(app, store, ingested):
    c = client_for(app, "curator")
    with store.session() as s:
        std = s.get(Standard, ingested)
        version = std.version
        before = standards.unconfirmed_fields(std)
    assert "code" in before and "title_vi" in before
    r = c.post(f"/curate/review/{ingested}", data={"version": str(version), "per_field": "1", "confirm": ["code"]},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    with store.session() as s:
        std = s.get(Standard, ingested)
        prov = std.provenance
        assert prov["code"]["verified"] and prov["year"]["verified"] and prov["doc_type"]["verified"]
        assert not prov["title_vi"].get("verified")
        assert standards.unconfirmed_fields(std) == [f for f in before if f != "code"]
        version = std.version
    # Confirming a field shown only (sections, equivalence ...) and correcting another in one go.
    target = next(f for f in before if f not in standards.CORRECTABLE_FIELDS and f != "code")
    r = c.post(f"/curate/review/{ingested}", data={"version": str(version), "per_field": "1", "confirm": [target],
                                                   "title_en": "Microbiology of the food chain"},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    with store.session() as s:
        std = s.get(Standard, ingested)
        assert std.provenance[target]["verified"] and std.provenance["title_en"]["verified"]
        assert std.title_en == "Microbiology of the food chain"
        version = std.version
    # An unknown field is refused in Vietnamese, not a 500.
    r = c.post(f"/curate/review/{ingested}", data={"version": str(version), "per_field": "1", "confirm": ["is_sample"]})
    assert r.status_code == 400 and "không xác nhận được trường" in r.text


# --- The PDF page beside the form ---------------------------------------------------------------------


def _doc(store, std_id: int):
    with store.session() as s:
        from kb.models import Document
        doc = s.get(Document, s.get(Standard, std_id).document_id)
        return doc.id, doc.sha256, doc.pages


def test_page_image_is_rendered_once_and_served_from_the_cache(app, store, ingested):
    import struct

    doc_id, sha, pages = _doc(store, ingested)
    c = client_for(app, "curator")
    r = c.get(f"/curate/documents/{doc_id}/pages/1.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", r.content[16:24])  # the IHDR chunk
    assert width == 900 and height > width  # an A4 page, portrait
    cached = store.settings.data_dir / "page-images" / f"{sha}-1-900.png"
    assert cached.read_bytes() == r.content
    stat = cached.stat()
    again = c.get(f"/curate/documents/{doc_id}/pages/1.png")
    assert again.content == r.content
    after = cached.stat()
    assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)  # not rendered again
    # A deleted cache file is rebuilt.
    cached.unlink()
    assert c.get(f"/curate/documents/{doc_id}/pages/1.png").content == r.content and cached.is_file()
    # Out of range: 404 (and nothing cached); not a number or zero: 4xx, never 500.
    assert c.get(f"/curate/documents/{doc_id}/pages/{pages + 1}.png").status_code == 404
    assert c.get(f"/curate/documents/{doc_id}/pages/0.png").status_code in (400, 404, 422)
    assert c.get(f"/curate/documents/{doc_id}/pages/x.png").status_code in (400, 404, 422)
    assert c.get("/curate/documents/99999/pages/1.png").status_code == 404
    assert sorted(p.name for p in cached.parent.iterdir()) == [cached.name]


def test_page_image_is_for_curators_only(app, store, ingested):
    doc_id, _, _ = _doc(store, ingested)
    url = f"/curate/documents/{doc_id}/pages/1.png"
    assert client_for(app, "lab_a").get(url).status_code == 403
    anon = client_for(app, None).get(url, follow_redirects=False)
    assert anon.status_code in (303, 401, 403), anon.status_code
    assert not (store.settings.data_dir / "page-images").exists()


def test_review_page_shows_the_page_of_the_first_field_to_check(app, store, ingested):
    doc_id, _, pages = _doc(store, ingested)
    c = client_for(app, "curator")
    page = html(c.get(f"/curate/review/{ingested}"))
    first = next(tr for tr in page.css("#fields tbody tr") if tr.css_first("input[name=confirm]") is not None
                 and tr.attributes.get("data-page"))
    view = page.css_first("#page-view")
    assert view.css_first("img").attributes["src"] == f"/curate/documents/{doc_id}/pages/{first.attributes['data-page']}.png"
    # The links switch pages without JavaScript; a page out of range falls back to the first field's.
    links = [a.attributes["href"] for a in view.css("nav a")]
    assert links and all(re.fullmatch(r"\?page=\d+#page-view", h) for h in links)
    other = html(c.get(f"/curate/review/{ingested}?page={pages}"))
    assert other.css_first("#page-view img").attributes["src"].endswith(f"/pages/{pages}.png")
    bad = html(c.get(f"/curate/review/{ingested}?page={pages + 5}"))
    assert bad.css_first("#page-view img").attributes["src"] == view.css_first("img").attributes["src"]
    assert page.css_first('script[src="/static/review.js"]') is not None


# --- Proposed changes from a later document, on the same review page ------------------------------------


def test_review_page_shows_the_changes_a_later_document_proposes(app, store, world, tmp_path):
    """The seeded TCVN 3118:2022 (an import) and a PDF of it with another title: the PDF waits as a proposal,
    shown as a diff on the standard's review page and, with its page image, on the proposal page."""
    [r] = ingest_paths(store, [make_standard_pdf(tmp_path / "3118.pdf")])
    assert "chờ biên tập viên duyệt" in r["error"]
    c = client_for(app, "curator")
    page = html(c.get(f"/curate/review/{world.new_std}"))
    section = page.css_first("#proposed")
    assert section is not None
    [table] = section.css("table.proposal-diff")
    title = table.css_first('tr[data-field="title_vi"]')
    assert title.css_first("th").text() == "Tên tiếng Việt"
    assert title.css_first(".current").text().strip() == "Bê tông – Xác định cường độ nén"
    assert title.css_first(".proposed").text().strip() == "Bê tông - Phương pháp xác định cường độ chịu nén"
    assert "khối bìa, sau ký hiệu" in title.css_first(".prov").text() or "tên dưới đề mục" in title.css_first(".prov").text()
    assert not RAW.search(visible(section)), visible(section)
    pid = table.attributes["id"].removeprefix("proposal-")
    link = section.css_first(f'a[href="/curate/proposals/{pid}"]')
    assert link is not None
    proposal = html(c.get(link.attributes["href"]))
    assert not RAW.search(visible(proposal.css_first("#diff"))), visible(proposal.css_first("#diff"))
    img = proposal.css_first("#page-view img")
    assert img is not None
    png = c.get(img.attributes["src"])
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_key_reread_after_review_reopens_its_field(app, store, ingested):
    """A verified title whose normalised form a later ingest re-read is listed again, with a checkbox: the
    queue and the form never disagree (a field listed as unconfirmed that the form cannot confirm)."""
    c = client_for(app, "curator")
    with store.session() as s:
        version = s.get(Standard, ingested).version
    assert c.post(f"/curate/review/{ingested}", data={"version": str(version)}, follow_redirects=False).status_code == 303
    with store.session() as s:
        std = s.get(Standard, ingested)
        assert standards.unconfirmed_fields(std) == []
        prov = {k: dict(p) for k, p in std.provenance.items()}
        prov["title_vi_normalised"]["verified"] = False
        std.provenance = prov
    page = html(c.get(f"/curate/review/{ingested}"))
    row = page.css_first("#field-title_vi")
    assert row.css_first("input[name=confirm]") is not None
    assert page.css("#fields tbody tr")[0].attributes["id"] == "field-title_vi"  # the only one to check
    queue = html(c.get("/curate/review"))
    assert "1 trường chưa xác nhận: Tên tiếng Việt" in visible(queue.css_first("#review tbody"))


# --- Correcting relation fields and the criteria table ---------------------------------------------------


def form_data(page: LexborHTMLParser) -> dict[str, list[str]]:
    """What the review form sends as a browser would: every named control's value (ticked boxes only)."""
    data: dict[str, list[str]] = {}
    form = page.css_first("#review-form")
    for node in form.css("input[name], textarea[name], select[name]"):
        name, attrs = node.attributes["name"], node.attributes
        if node.tag == "input" and attrs.get("type") == "checkbox":
            if "checked" not in attrs:
                continue
            value = attrs.get("value") or "on"
        elif node.tag == "textarea":
            value = node.text()
        elif node.tag == "select":
            chosen = node.css_first("option[selected]") or node.css_first("option")
            value = chosen.attributes.get("value") or ""
        else:
            value = attrs.get("value") or ""
        data.setdefault(name, []).append(value)
    return data


def test_form_offers_relation_fields_and_an_editable_criteria_table(app, store, ingested):
    page = html(client_for(app, "curator").get(f"/curate/review/{ingested}"))
    replaces = page.css_first("#field-replaces input[name=replaces]")
    assert replaces.attributes["value"] == "TCVN 3118:1993"
    assert page.css_first('#field-replaces label[for="f-replaces"]').text() == "Thay thế cho"
    refs = page.css_first("#field-normative_references input[name=normative_references]").attributes["value"]
    assert refs.split("; ")[0] == "TCVN 3105:2022"
    levels = [o.text() for o in page.css("#f-equivalence_relation option")]
    assert levels[1:] == ["tương đương hoàn toàn (IDT)", "có sửa đổi (MOD)", "không tương đương (NEQ)", "tham khảo"]
    # The criteria table: every column editable, three blank rows to add, inside a scrolling wrapper.
    table = page.css_first("#criteria-edit .table-wrap #criteria-table")
    assert [th.text() for th in table.css("thead th")] == ["TT", "Tên chỉ tiêu", "Mức yêu cầu", "Đơn vị",
                                                          "Phương pháp thử", "Xóa"]
    rows = table.css("tbody tr")
    assert len(rows) == 3 and all("new-row" in r.attributes["class"] for r in rows)
    assert page.css_first("input[name=criteria_rows]").attributes["value"] == "3"
    assert not RAW.search(visible(page.css_first("#review-form"))), visible(page.css_first("#review-form"))


def test_correcting_replaces_and_adding_a_criterion(app, store, ingested):
    c = client_for(app, "curator")
    data = form_data(html(c.get(f"/curate/review/{ingested}")))
    data["confirm"] = []
    data["replaces"] = ["tcvn 3118 1985"]
    data["crit-0-name"], data["crit-0-requirement"] = ["Tổng số vi sinh vật hiếu khí"], ["≤ 10⁴"]
    data["crit-0-unit"], data["crit-0-method"] = ["CFU/g"], ["tcvn 4884-1 2015"]
    r = c.post(f"/curate/review/{ingested}", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    with store.session() as s:
        std = s.get(Standard, ingested)
        assert std.extra["replaces"] == ["TCVN 3118:1985"]
        assert [(e.to_code, e.source) for e in s.exec(select(StandardRelation).where(
            StandardRelation.from_key == std.code_key, StandardRelation.relation == RelationType.replaces))] == [
            ("TCVN 3118:1985", "review")]
        [row] = standards.criteria_of(s, std)
        assert (row.name, row.requirement, row.unit, row.method, row.method_code) == (
            "Tổng số vi sinh vật hiếu khí", "≤ 10⁴", "CFU/g", "TCVN 4884-1:2015", "TCVN 4884-1:2015")
        for f in ("replaces", "criteria"):
            assert std.provenance[f]["verified"] and std.provenance[f]["method"] == "curator", f
        assert not std.provenance["title_vi"].get("verified")  # not ticked, not corrected
    # The log shows the edges and rows before and after, in Vietnamese, and offers no revert of them.
    log = html(c.get("/curate/audit", params={"entity": "standard", "entity_id": ingested, "action": "approve"}))
    [line] = log.css("#events li.audit-line")
    cells = {tr.css_first("th").text().replace(" (đã đổi)", ""): [td.text() for td in tr.css("td")]
             for tr in line.css("table.audit-diff tbody tr")}
    assert cells["Thay thế cho"] == ["TCVN 3118:1993", "TCVN 3118:1985"]
    assert cells["Bảng chỉ tiêu"] == ["—", "Tổng số vi sinh vật hiếu khí | ≤ 10⁴ | CFU/g | TCVN 4884-1:2015"]
    assert not line.css("form[action*=revert]") and not line.css("pre")
    # Shown again: the stored row with its code, then three blank rows; "Xóa" removes it.
    page = html(c.get(f"/curate/review/{ingested}"))
    assert page.css_first("#crit-0 .method-code").text() == "liên kết: TCVN 4884-1:2015"
    assert len(page.css("#criteria-table tbody tr.new-row")) == 3
    data = form_data(page)
    data["confirm"], data["crit-0-delete"] = [], ["1"]
    assert c.post(f"/curate/review/{ingested}", data=data, follow_redirects=False).status_code == 303
    with store.session() as s:
        assert standards.criteria_of(s, s.get(Standard, ingested)) == []


def test_an_unreadable_code_re_renders_the_form_with_what_was_typed(app, store, ingested):
    c = client_for(app, "curator")
    data = form_data(html(c.get(f"/curate/review/{ingested}")))
    with store.session() as s:
        version = s.get(Standard, ingested).version
    data["replaces"] = ["TCVN 3118:1985; bản cũ năm 1993"]
    data["title_en"] = ["Microbiology of the food chain"]
    data["crit-1-name"], data["crit-1-method"] = ["Độ ẩm"], ["TCVN 4326:2001"]
    r = c.post(f"/curate/review/{ingested}", data=data, follow_redirects=False)
    assert r.status_code == 400
    page = LexborHTMLParser(r.text)
    assert page.css_first("p.error").text().startswith("Thay thế cho: không đọc được ký hiệu “bản cũ năm 1993”")
    bad = page.css_first("#f-replaces")
    assert bad.attributes["aria-invalid"] == "true" and bad.attributes["value"] == "TCVN 3118:1985; bản cũ năm 1993"
    assert "“bản cũ năm 1993”" in page.css_first("#err-replaces").text()
    assert page.css_first("#f-title_en").text() == "Microbiology of the food chain"  # what was typed is kept
    assert page.css_first("input[name=crit-1-name]").attributes["value"] == "Độ ẩm"
    with store.session() as s:
        std = s.get(Standard, ingested)
        assert std.version == version and std.extra["replaces"] == ["TCVN 3118:1993"] and std.title_en != data["title_en"][0]
        assert standards.criteria_of(s, std) == []
    # A criterion with no name: the row is named, nothing saved either.
    data = form_data(html(c.get(f"/curate/review/{ingested}")))
    data["crit-2-requirement"] = ["≥ 5"]
    r = c.post(f"/curate/review/{ingested}", data=data, follow_redirects=False)
    assert r.status_code == 400 and "dòng chỉ tiêu thứ 3 thiếu tên chỉ tiêu" in LexborHTMLParser(r.text).css_first("p.error").text()
