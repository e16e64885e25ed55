"""The curator's queue of proposed changes: sorted by confidence, a diff per proposal, accept and reject
through CSRF-checked forms, and 4xx (never 500) for bad ids, stale versions and second decisions."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlmodel import select

from ingest.pipeline import ingest_paths
from kb import proposals
from kb.models import ProposalStatus, ProposedChange, Standard
from tests.support.accounts import client_for, make_app, seed
from tests.support.pdfs import make_standard_pdf


def html(r) -> LexborHTMLParser:
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return LexborHTMLParser(r.text)


@pytest.fixture
def world(kbase):
    return seed(kbase)


@pytest.fixture
def curator(kbase, world):
    return client_for(make_app(kbase), "curator")


@pytest.fixture
def proposal(kbase, world, tmp_path) -> int:
    """The seeded TCVN 3118:2022 (an import) and a PDF of it with another title and edition."""
    [r] = ingest_paths(kbase, [make_standard_pdf(tmp_path / "3118.pdf")])
    assert r["status"] == "ingested" and "chờ biên tập viên duyệt" in r["error"]
    with kbase.session() as s:
        [p] = proposals.pending(s)
        return p.id


def _std(kbase, world) -> Standard:
    with kbase.session() as s:
        return s.get(Standard, world.new_std)


def test_queue_lists_proposals_least_sure_first(kbase, world, curator):
    with kbase.session() as s:
        for target, conf in (("TCVN 1:2020", 0.9), ("TCVN 2:2020", None), ("TCVN 3:2020", 0.15)):
            proposals.propose(s, document_id=None, entity="standard", entity_id=None, target=target,
                              values={"fields": {"title_vi": "Tên"}}, rows=None,
                              diff=[{"field": "title_vi", "current": None, "proposed": "Tên"}], confidence=conf,
                              reason="độ tin cậy thấp", actor="test")
    page = html(curator.get("/curate/review"))
    rows = page.css("#proposal-queue tbody tr")
    assert [r.css_first("th").text().split()[0:2] for r in rows] == [["TCVN", "3:2020"], ["TCVN", "1:2020"],
                                                                     ["TCVN", "2:2020"]]
    assert [r.css_first(".confidence").text() for r in rows] == ["0.15", "0.90", "chưa chấm"]
    assert "Tên tiếng Việt" in rows[0].text()
    assert "3" in html(curator.get("/curate")).css_first("#counts").text()


def test_diff_shows_current_proposed_source_and_confidence(kbase, world, curator, proposal):
    page = html(curator.get(f"/curate/proposals/{proposal}"))
    edition = page.css_first("#diff-edition")
    assert edition.css_first(".current").text().strip() == "—"  # the import had no edition
    assert edition.css_first(".proposed").text().strip() == "3"
    assert edition.css_first(".confidence").text() == "0.90"  # the cover edition line, graded by kb.records
    title = page.css_first("#diff-title_vi")
    assert title.css_first(".current").text().strip() == "Bê tông – Xác định cường độ nén"
    assert "trang" in title.css_first(".prov").text()
    assert page.css_first("#reject-form") is not None


def test_accept_only_the_ticked_fields(kbase, world, curator, proposal):
    before = _std(kbase, world)
    r = curator.post(f"/curate/proposals/{proposal}/accept",
                     data={"version": str(before.version), "field": ["edition"]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/curate/review")
    after = _std(kbase, world)
    assert (after.edition, after.title_vi) == ("3", before.title_vi)
    assert after.version == before.version + 1
    page = html(curator.get(f"/curate/proposals/{proposal}"))
    assert page.css_first("#proposal-status").text() == "đã nhận" and page.css_first("#accept-form") is None
    again = curator.post(f"/curate/proposals/{proposal}/accept", data={"version": str(after.version),
                                                                       "field": ["title_vi"]})
    assert again.status_code == 409


def test_reject_keeps_the_record(kbase, world, curator, proposal):
    before = _std(kbase, world)
    r = curator.post(f"/curate/proposals/{proposal}/reject", follow_redirects=False)
    assert r.status_code == 303
    assert _std(kbase, world).version == before.version
    with kbase.session() as s:
        assert s.get(ProposedChange, proposal).status == ProposalStatus.rejected
    assert curator.post(f"/curate/proposals/{proposal}/reject").status_code == 409


def test_stale_version_shows_the_conflict(kbase, world, curator, proposal):
    before = _std(kbase, world)
    r = curator.post(f"/curate/proposals/{proposal}/accept", data={"version": str(before.version + 7),
                                                                   "field": ["edition"]})
    assert r.status_code == 409
    page = html(r)
    assert page.css_first("#conflict-title") is not None
    assert page.css_first("#accept-form input[name=version]").attributes["value"] == str(before.version)
    assert _std(kbase, world).edition is None


@pytest.mark.parametrize("method, url, data, status", [
    ("GET", "/curate/proposals/999999", None, 404),
    ("GET", "/curate/proposals/0", None, 400),
    ("GET", "/curate/proposals/abc", None, 400),
    ("POST", "/curate/proposals/999999/accept", {"version": "1", "field": "edition"}, 404),
    ("POST", "/curate/proposals/999999/reject", None, 404),
    ("POST", "/curate/proposals/{p}/accept", {"version": "abc", "field": "edition"}, 400),
    ("POST", "/curate/proposals/{p}/accept", {"version": "1", "field": "code"}, 400),
    ("POST", "/curate/proposals/{p}/accept", {"version": "1"}, 400),
])
def test_bad_ids_and_forms_answer_4xx(kbase, world, curator, proposal, method, url, data, status):
    r = curator.request(method, url.format(p=proposal), data=data, follow_redirects=False)
    assert r.status_code == status, r.text[:300]
    with kbase.session() as s:
        assert s.exec(select(ProposedChange)).one().status == ProposalStatus.pending


def test_only_curators_decide(kbase, world, proposal):
    app = make_app(kbase)
    assert client_for(app, "lab_a").post(f"/curate/proposals/{proposal}/accept", data={"version": "1"}).status_code == 403
    assert client_for(app, None).post(f"/curate/proposals/{proposal}/reject").status_code == 401
    cross = client_for(app, "curator").post(f"/curate/proposals/{proposal}/reject",
                                            headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    with kbase.session() as s:
        assert s.get(ProposedChange, proposal).status == ProposalStatus.pending
