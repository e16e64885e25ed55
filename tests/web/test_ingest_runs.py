"""The ingest run page and its JSON: files by name with their state, counts, refresh only while the run
works, the status for curators only (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from kb import documents
from kb.models import IngestStatus
from tests.support.accounts import client_for, make_app, seed
from tests.support.pdfs import make_standard_pdf


@pytest.fixture
def world(any_kbase):
    return seed(any_kbase)


def _rows(page: LexborHTMLParser) -> list[list[str]]:
    return [[td.text(deep=True).strip() for td in tr.css("td")] for tr in page.css("#files tbody tr")]


def _refresh(page: LexborHTMLParser, html: str) -> list[str]:
    """The meta refresh, which sits in <noscript> (so that with JavaScript only run.js asks again)."""
    return re.findall(r'<noscript><meta http-equiv="refresh" content="(\d+)"></noscript>', html)


def test_a_working_run_lists_each_file_by_name_and_refreshes_until_it_is_done(any_kbase, world, tmp_path):
    kbase = any_kbase
    files = [(str(tmp_path / "0a1b2c.pdf"), "Quy chuẩn nước mắm.pdf"), (str(tmp_path / "9f8e.pdf"), "tcvn 5107.pdf"),
             (str(tmp_path / "77aa.pdf"), "<b>chưa đọc</b>.pdf")]
    run_id = documents.start_run(kbase, "curator", files)
    documents.record_failure(kbase, run_id, Path(files[0][0]), None, "tệp không phải PDF")
    documents.beat(kbase, run_id, reading=[files[1][0]])
    curator = client_for(make_app(kbase), "curator")

    r = curator.get(f"/curate/runs/{run_id}")
    page = LexborHTMLParser(r.text)
    assert page.css_first("#run-state").text() == "đang xử lý"
    assert _rows(page) == [["Quy chuẩn nước mắm.pdf", "lỗi", "", "tệp không phải PDF"],
                           ["tcvn 5107.pdf", "đang đọc", "", ""],
                           ["<b>chưa đọc</b>.pdf", "đang chờ", "", ""]]  # a name is text, never markup
    counts = {s.attributes["data-count"]: s.text() for s in page.css("#run-summary [data-count]")}
    assert counts == {"total": "3", "done": "0", "failed": "1", "reading": "1", "waiting": "1"}
    assert _refresh(page, r.text) == ["3"]
    assert page.css_first("script[src='/static/run.js']") is not None
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"

    status = curator.get(f"/api/ingest-runs/{run_id}")
    assert status.status_code == 200 and status.headers["cache-control"] == "no-store"
    body = status.json()
    assert (body["state"], body["state_label"], body["counts"]["reading"]) == ("running", "đang xử lý", 1)
    assert [(f["name"], f["state"], f["message"]) for f in body["files"]] == [
        ("Quy chuẩn nước mắm.pdf", "failed", "tệp không phải PDF"), ("tcvn 5107.pdf", "reading", None),
        ("<b>chưa đọc</b>.pdf", "waiting", None)]
    assert body["elapsed_seconds"] >= 0 and body["elapsed_label"].endswith("giây")

    documents.record_failure(kbase, run_id, Path(files[1][0]), None, "x", status=IngestStatus.unchanged)
    documents.record_failure(kbase, run_id, Path(files[2][0]), None, "y", status=IngestStatus.unchanged)
    documents.finish_run(kbase, run_id, {})
    r = curator.get(f"/curate/runs/{run_id}")
    page = LexborHTMLParser(r.text)
    assert page.css_first("#run-state").text() == "xong"
    assert [row[1] for row in _rows(page)] == ["lỗi", "xong — đã có sẵn, không đổi", "xong — đã có sẵn, không đổi"]
    assert _refresh(page, r.text) == [] and page.css_first("meta[http-equiv=refresh]") is None
    assert page.css_first("script[src='/static/run.js']") is None
    assert page.css_first("#run-interrupted") is None
    assert curator.get(f"/api/ingest-runs/{run_id}").json()["state"] == "done"


def test_the_status_is_for_curators_only(any_kbase, world):
    run_id = documents.start_run(any_kbase, "cli", [("/x/a.pdf", "a.pdf")])
    app = make_app(any_kbase)
    url = f"/api/ingest-runs/{run_id}"
    assert client_for(app, None).get(url).status_code == 401  # as every curator endpoint: sign in first
    for lab in ("lab_a", "lab_b"):
        r = client_for(app, lab).get(url)
        assert r.status_code == 403 and "quyền" in r.json()["detail"]
    assert client_for(app, "lab_a").get(f"/curate/runs/{run_id}").status_code == 403
    assert client_for(app, "admin").get(url).status_code == 200
    missing = client_for(app, "curator").get("/api/ingest-runs/999999")
    assert missing.status_code == 404 and "#999999" in missing.json()["detail"]
    assert client_for(app, "curator").get("/api/ingest-runs/abc").status_code == 400


def test_a_rerun_is_refused_for_a_run_that_is_not_interrupted(any_kbase, world):
    run_id = documents.start_run(any_kbase, "cli", [("/x/a.pdf", "a.pdf")])
    r = client_for(make_app(any_kbase), "curator").post(f"/curate/runs/{run_id}/rerun", follow_redirects=False)
    assert r.status_code == 409
    assert "không bị gián đoạn" in LexborHTMLParser(r.text).css_first("p.error").text()


def test_an_upload_lands_on_its_run_page_under_its_own_name(any_kbase, world, tmp_path):
    pdf = make_standard_pdf(tmp_path / "x.pdf", code="TCVN 9010:2024", title="Gạch - Thử độ hút nước")
    curator = client_for(make_app(any_kbase), "curator")
    r = curator.post("/curate/upload", data={"kind": "pdf"},
                     files={"file": ("Gạch xây.pdf", pdf.read_bytes(), "application/pdf")}, follow_redirects=False)
    assert r.status_code == 303 and re.fullmatch(r"/curate/runs/\d+", r.headers["location"])
    page = LexborHTMLParser(curator.get(r.headers["location"]).text)  # the test client ran the background task
    assert page.css_first("#run-state").text() == "xong"
    [row] = _rows(page)
    assert row[:3] == ["Gạch xây.pdf", "xong — đã nạp", "TCVN 9010:2024 (3 trang)"]
    link = page.css_first("#files tbody a").attributes["href"]
    assert re.fullmatch(r"/curate/review/\d+", link) and curator.get(link).status_code == 200
    assert not list(any_kbase.settings.uploads_dir.glob("*.pdf"))  # the upload copy goes once its run is done
