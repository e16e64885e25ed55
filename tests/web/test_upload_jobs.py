"""Spreadsheet uploads are background jobs: the request answers at once with the job's page, which shows the
rows read and written while the job works in batches, stops at the next batch when asked (keeping what it
wrote, and saying so), lists bad rows by line, and is seen and stopped only by its lab (SQLite, PostgreSQL)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser

from ingest import jobs
from kb import labs
from kb.models import IngestRun, Lab
from tests.support.accounts import PASSWORD, client_for, make_app, seed
from tests.support.server import seeded_server

HEADER = "số công nhận,vật liệu,phép thử,phạm vi đo,phương pháp,được công nhận\n"


def scope_file(n: int, acc: str = "VILAS 1001") -> str:
    return HEADER + "".join(f"{acc},Cát,Phép thử {i},,TCVN 7572-2:2006,có\n" for i in range(n))


def page(r) -> LexborHTMLParser:
    assert r.status_code == 200, r.text[:300]
    return LexborHTMLParser(r.text)


def status(p: LexborHTMLParser) -> dict[str, str]:
    s, prog = p.css_first("#job-status").attributes, p.css_first("#job-progress").attributes
    return {"state": s["data-state"], "read": prog["data-read"], "written": prog["data-written"]}


def words(node) -> str:
    return " ".join(node.text().split())


@pytest.fixture
def world(any_kbase):
    return seed(any_kbase)


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_ROWS", 3)


def test_a_large_scope_is_written_in_batches_and_reported(any_kbase, world, small_batches):
    lab_a = client_for(make_app(any_kbase), "lab_a")
    r = lab_a.post(f"/lab/{world.lab_a}/upload", files={"file": ("pv.csv", scope_file(8).encode(), "text/csv")},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/lab/{world.lab_a}/jobs/")
    p = page(lab_a.get(r.headers["location"]))  # the test client ran the job before answering
    assert status(p) == {"state": "done", "read": "8", "written": "8"}
    assert words(p.css_first("#upload-report")) == "Đã cập nhật phạm vi từ tệp: 8 thêm mới, 0 sửa, 0 giữ nguyên, 1 bỏ."
    assert p.css_first("meta[http-equiv=refresh]") is None and p.css_first("#cancel-form") is None
    with any_kbase.session() as s:
        assert [x.test for x in labs.scope_rows(s, s.get(Lab, world.lab_a))] == [f"Phép thử {i}" for i in range(8)]
    # The same file again changes nothing; a shorter one drops the rows past its end, batch by batch.
    p = page(lab_a.post(f"/lab/{world.lab_a}/upload", files={"file": ("pv.csv", scope_file(8).encode(), "text/csv")}))
    assert words(p.css_first("#upload-report")).endswith("0 thêm mới, 0 sửa, 8 giữ nguyên, 0 bỏ.")
    p = page(lab_a.post(f"/lab/{world.lab_a}/upload", files={"file": ("pv.csv", scope_file(4).encode(), "text/csv")}))
    assert words(p.css_first("#upload-report")).endswith("0 thêm mới, 0 sửa, 4 giữ nguyên, 4 bỏ.")
    with any_kbase.session() as s:
        assert len(labs.scope_rows(s, s.get(Lab, world.lab_a))) == 4
    listed = page(lab_a.get(f"/lab/{world.lab_a}")).css("#upload-jobs li")
    assert len(listed) == 3 and all("pv.csv" in words(li) and "xong" in words(li) for li in listed)
    assert page(client_for(make_app(any_kbase), "lab_b").get(f"/lab/{world.lab_b}")).css_first("#upload-jobs") is None


def test_bad_rows_are_reported_by_line_and_change_nothing(any_kbase, world, small_batches):
    lab_a = client_for(make_app(any_kbase), "lab_a")
    body = scope_file(5) + "VILAS 1001,Cát,,,TCVN 7570:2006,có\n" + scope_file(2, "VILAS 1002").removeprefix(HEADER)
    p = page(lab_a.post(f"/lab/{world.lab_a}/upload", files={"file": ("pv.csv", body.encode(), "text/csv")}))
    assert status(p) == {"state": "done", "read": "8", "written": "0"}
    rows = [[words(td) for td in tr.css("td")] for tr in p.css("#upload-errors tbody tr")]
    assert rows == [["7", "thiếu tên phép thử"], ["8", "dòng ghi số công nhận VILAS 1002, không phải VILAS 1001"],
                    ["9", "dòng ghi số công nhận VILAS 1002, không phải VILAS 1001"]]
    assert "chưa được áp dụng" in words(p.css_first("#upload-report"))
    with any_kbase.session() as s:
        assert [x.test for x in labs.scope_rows(s, s.get(Lab, world.lab_a))] == ["Cường độ nén"]


def test_progress_shows_while_it_works_and_a_stop_keeps_what_was_written(any_kbase, world, small_batches,
                                                                         monkeypatch, tmp_path):
    app = make_app(any_kbase)
    lab_a = client_for(app, "lab_a")
    upload = tmp_path / "pv.csv"
    upload.write_text(scope_file(8), encoding="utf-8")
    run_id = jobs.start_job(any_kbase, "lab_a", "lab-scope", upload, "pv.csv", world.lab_a)
    url = f"/lab/{world.lab_a}/jobs/{run_id}"
    seen = []
    real = jobs._batches

    def between_batches(items, size):
        """The job pulls its next batch after the previous one committed: look, then press stop."""
        for i, batch in enumerate(real(items, size)):
            if i == 1:
                p = page(lab_a.get(url))
                seen.append((status(p), p.css_first("meta[http-equiv=refresh]") is not None,
                             p.css_first("#cancel-form").attributes["action"]))
                assert lab_a.post(p.css_first("#cancel-form").attributes["action"], follow_redirects=False).status_code == 303
                seen.append(status(page(lab_a.get(url)))["state"])
            yield batch

    monkeypatch.setattr(jobs, "_batches", between_batches)
    jobs.run_job(any_kbase, run_id, upload, "lab_a")
    assert seen == [({"state": "running", "read": "8", "written": "3"}, True, f"{url}/cancel"), "cancelling"]
    p = page(lab_a.get(url))
    assert status(p) == {"state": "cancelled", "read": "8", "written": "3"}
    stopped = words(p.css_first("#job-stopped"))
    assert "sau khi ghi 3 / 8 dòng" in stopped and "vẫn được giữ" in stopped
    assert p.css_first("#cancel-form") is None and p.css_first("meta[http-equiv=refresh]") is None
    with any_kbase.session() as s:
        assert [x.test for x in labs.scope_rows(s, s.get(Lab, world.lab_a))] == ["Phép thử 0", "Phép thử 1", "Phép thử 2"]
    assert not upload.exists() and not upload.with_suffix(".rows").exists()


def test_a_lab_sees_and_stops_only_its_own_jobs(any_kbase, world, tmp_path):
    app = make_app(any_kbase)
    upload = tmp_path / "pv.csv"
    upload.write_text(scope_file(2), encoding="utf-8")
    run_id = jobs.start_job(any_kbase, "lab_a", "lab-scope", upload, "pv.csv", world.lab_a)
    lab_b, lab_a = client_for(app, "lab_b"), client_for(app, "lab_a")
    own, other = f"/lab/{world.lab_a}/jobs/{run_id}", f"/lab/{world.lab_b}/jobs/{run_id}"
    assert lab_b.get(own).status_code == 403 and lab_b.post(f"{own}/cancel").status_code == 403
    assert lab_b.get(other).status_code == 404 and lab_b.post(f"{other}/cancel").status_code == 404
    assert lab_a.get(f"/curate/jobs/{run_id}").status_code == 403
    assert client_for(app, None).get(own, follow_redirects=False).status_code == 303  # to the login form
    assert client_for(app, "curator").get(f"/curate/jobs/{run_id}").status_code == 200
    with any_kbase.session() as s:
        assert s.get(IngestRun, run_id).cancel_requested_at is None
    assert status(page(lab_a.get(own)))["state"] == "running"


def test_a_curator_catalogue_job_reports_rows_and_lines(any_kbase, world, small_batches):
    curator = client_for(make_app(any_kbase), "curator")
    body = "name,category,kind\n" + "".join(f"Sản phẩm {i},Thực phẩm,ocop\n" for i in range(6)) + "Lỗi,Thực phẩm,xyz\n"
    r = curator.post("/curate/upload", data={"kind": "products"}, files={"file": ("sp.csv", body.encode(), "text/csv")},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/curate/jobs/")
    p = page(curator.get(r.headers["location"]))
    assert status(p) == {"state": "done", "read": "7", "written": "6"}
    assert "6 mới" in words(p.css_first("#upload-report"))
    assert [words(tr.css("td")[0]) for tr in p.css("#upload-errors tbody tr")] == ["8"]
    listed = page(curator.get("/curate/upload")).css("#runs tbody tr a")
    assert listed[0].attributes["href"] == r.headers["location"]


def test_the_upload_answers_before_the_job_is_done(tmp_path_factory):
    """Through a real server: the 303 comes back at once; the job goes on after it (and shows progress)."""
    srv = seeded_server(tmp_path_factory, "upload-jobs")
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            assert c.post("/api/auth/login", json={"username": "lab_a", "password": PASSWORD}).status_code == 200
            body = scope_file(20_000, "VILAS 1002").encode()  # every line another lab's: read and checked, not written
            started = time.monotonic()
            r = c.post(f"/lab/{srv.world.lab_a}/upload", files={"file": ("pv.csv", body, "text/csv")})
            answered = time.monotonic() - started
            assert r.status_code == 303, r.text[:300]
            url = r.headers["location"]
            deadline = time.monotonic() + 120
            while (st := status(page(c.get(url))))["state"] == "running" and time.monotonic() < deadline:
                time.sleep(0.2)  # polling the page, as its meta refresh does
            p = page(c.get(url))
            assert status(p) == {"state": "done", "read": "20000", "written": "0"}
            took = float(p.css_first("#job-status").attributes["data-elapsed"])
            assert answered < took, (answered, took)
            assert words(p.css_first("#upload-errors caption")) == "Dòng lỗi (200 dòng đầu trong 20000)"
    finally:
        srv.stop()
    assert st["state"] == "done"
    assert not [f for f in Path(srv.data_dir).rglob("uploads/**/*") if f.is_file()]


def test_a_job_whose_server_died_says_so_and_how_far_it_got(any_kbase, world):
    import socket
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no longer runs
    with any_kbase.session() as s:
        run = IngestRun(actor="lab_a", kind="lab-scope", lab_id=world.lab_a, pid=gone.pid, host=socket.gethostname(),
                        planned=[{"path": "/nowhere/x.csv", "name": "pv.csv"}],
                        counts={"phase": "writing", "read": 9, "written": 6, "total": 9})
        s.add(run)
        s.flush()
        run_id = run.id
    p = page(client_for(make_app(any_kbase), "lab_a").get(f"/lab/{world.lab_a}/jobs/{run_id}"))
    assert status(p) == {"state": "interrupted", "read": "9", "written": "6"}
    text = words(p.css_first("#job-stopped"))
    assert "bị gián đoạn" in text and "sau khi ghi 6 / 9 dòng" in text and "Tải lại tệp" in text
    assert p.css_first("#cancel-form") is None and p.css_first("meta[http-equiv=refresh]") is None
