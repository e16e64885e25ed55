"""No lost updates: two editors who loaded the same version cannot both save (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from kb import audit, labs, mappings
from kb.models import LabScope, LabScopeCreate, Mapping, MappingStatus
from kb.versioning import StaleEdit
from tests.support.accounts import client_for, make_app, seed


def test_stale_version_is_refused_and_says_what_changed(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        seen = s.get(LabScope, w.row_a).version  # both editors open the form at this version
    with any_kbase.session() as s:
        lab = labs.require_lab(s, w.lab_a)
        labs.update_scope(s, lab, w.row_a, LabScopeCreate(test="Cường độ nén (sửa A)", method="TCVN 3118:2022"),
                          seen, "lab_a")
    with pytest.raises(StaleEdit) as info, any_kbase.session() as s:
        lab = labs.require_lab(s, w.lab_a)
        labs.update_scope(s, lab, w.row_a, LabScopeCreate(test="Cường độ nén (sửa B)"), seen, "curator")
    assert info.value.status == 409
    assert info.value.current["test"] == "Cường độ nén (sửa A)"
    assert info.value.changed["test"] == {"yours": "Cường độ nén (sửa B)", "current": "Cường độ nén (sửa A)"}
    with any_kbase.session() as s:
        row = s.get(LabScope, w.row_a)
        assert (row.test, row.version, row.method_codes) == ("Cường độ nén (sửa A)", seen + 1, ["TCVN 3118:2022"])


def _race(n: int, work) -> list[str]:
    """Run ``work(i)`` in n threads released together; each returns "ok" or "stale"."""
    barrier = threading.Barrier(n)
    results: list[str] = [""] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
            results[i] = "ok"
        except StaleEdit:
            results[i] = "stale"
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            results[i] = f"error: {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_simultaneous_scope_edits_one_wins(any_kbase):
    w = seed(any_kbase)

    def edit(i: int) -> None:
        with any_kbase.session() as s:
            lab = labs.require_lab(s, w.lab_a)
            labs.update_scope(s, lab, w.row_a, LabScopeCreate(test=f"phiên bản của người {i}"), 1, f"editor{i}")

    results = _race(4, edit)
    assert sorted(results) == ["ok", "stale", "stale", "stale"], results
    winner = results.index("ok")
    with any_kbase.session() as s:
        row = s.get(LabScope, w.row_a)
        assert (row.test, row.version) == (f"phiên bản của người {winner}", 2)
        events = audit.audit_events(s, entity="lab_scope", entity_id=w.row_a, action="update")
        assert len(events) == 1 and events[0].actor == f"editor{winner}"


def test_simultaneous_approve_and_reject_one_wins(any_kbase):
    w = seed(any_kbase)
    decisions = [("approved", None), ("rejected", "không phù hợp")]

    def decide(i: int) -> None:
        status, note = decisions[i]
        with any_kbase.session() as s:
            mappings.decide_mapping(s, w.mapping, status, f"curator{i}", note=note, expected_version=1)

    results = _race(2, decide)
    assert sorted(results) == ["ok", "stale"], results
    with any_kbase.session() as s:
        m = s.get(Mapping, w.mapping)
        assert m.status == MappingStatus(decisions[results.index("ok")][0])
        assert m.version == 2


def test_two_editors_over_http(any_kbase):
    w = seed(any_kbase)
    app = make_app(any_kbase)
    lab_user, curator = client_for(app, "lab_a"), client_for(app, "curator")
    url = f"/api/labs/{w.lab_a}/scope/{w.row_a}"
    first = lab_user.put(url, json={"test": "Cường độ nén", "range": "đến 100 MPa", "version": 1})
    assert first.status_code == 200 and first.json()["version"] == 2
    second = curator.put(url, json={"test": "Cường độ nén", "range": "đến 80 MPa", "version": 1})
    assert second.status_code == 409
    body = second.json()
    assert body["current"]["range"] == "đến 100 MPa"
    assert body["changed"]["range"] == {"yours": "đến 80 MPa", "current": "đến 100 MPa"}
    # A stale delete is refused as well; with the current version it goes through.
    assert curator.delete(url, params={"version": 1}).status_code == 409
    assert curator.delete(url, params={"version": 2}).status_code == 204


def test_html_form_shows_the_conflict(any_kbase):
    from selectolax.lexbor import LexborHTMLParser

    w = seed(any_kbase)
    app = make_app(any_kbase)
    a, b = client_for(app, "lab_a"), client_for(app, "curator")
    form = {"test": "pH", "material": "Nước", "method": "TCVN 6492:2011", "accredited": "1"}
    url = f"/lab/{w.lab_b}/scope/{w.row_b}"
    assert b.post(url, data={**form, "range": "2–12", "version": "1"}, follow_redirects=False).status_code == 303
    client_b_lab = client_for(app, "lab_b")
    r = client_b_lab.post(url, data={**form, "range": "0–14", "version": "1"})
    assert r.status_code == 409
    page = LexborHTMLParser(r.text)
    rows = {tr.css_first("th").attributes["data-field"]: [td.text() for td in tr.css("td")] for tr in page.css("table.diff tbody tr")}
    assert rows["range"] == ["0–14", "2–12"]
    assert a.post(url, data={**form, "version": "2"}).status_code == 403  # lab A never edits lab B
