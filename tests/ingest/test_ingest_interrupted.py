"""A ``kb ingest`` killed with SIGKILL: its worker dies with it, the run is marked interrupted on the next
look, and a curator's re-run reads only the files it did not finish (SQLite and PostgreSQL).

The batch is held at a known point without sleeping: the last "PDF" is a named pipe, so ``kb ingest``
blocks hashing it until the test writes (the open returns exactly when it arrives), and then its worker
blocks opening it again, for good, since no writer comes. The test waits for that worker to show up.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlmodel import col
from sqlmodel import select as sql_select

from kb import documents
from kb.models import AuditEvent, IngestFile, IngestRun
from tests.support.accounts import client_for, make_app, seed
from tests.support.pdfs import make_standard_pdf

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"),
                                reason="needs Linux (named pipes, /proc, pidfd)")

KB = Path(sys.executable).with_name("kb")
TIMEOUT = 60.0


def _env(kbase) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATA_DIR=str(kbase.settings.data_dir), KB_INGEST_WORKERS="1", KB_SECRET_KEY="test-secret")
    if kbase.settings.database_url:
        env["KB_DATABASE_URL"] = kbase.settings.database_url
    return env


def _open_writer(fifo: Path, proc: subprocess.Popen) -> int:
    """Open the pipe for writing: returns once a reader has opened it (or fails after TIMEOUT)."""
    box: dict[str, int] = {}
    opener = threading.Thread(target=lambda: box.setdefault("fd", os.open(fifo, os.O_WRONLY)), daemon=True)
    opener.start()
    opener.join(TIMEOUT)
    if "fd" not in box:  # nobody came: let the opener through, then say what the process printed
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        opener.join(5)
        os.close(box["fd"])
        proc.kill()
        out, err = proc.communicate(timeout=10)
        pytest.fail(f"kb ingest never read {fifo.name}\nstdout: {out}\nstderr: {err}")
    return box["fd"]


def _reading(kbase) -> tuple[list[str] | None, int]:
    """What the run says it is reading, and how many files it has stored."""
    with kbase.session() as s:
        run = s.exec(sql_select(IngestRun)).first()
        return (run.reading if run else None), len(s.exec(sql_select(IngestFile)).all())


def _wait_for(found, proc: subprocess.Popen, what: str):
    """Ask ``found()`` until it gives something (a condition, checked every 20 ms) or TIMEOUT passes."""
    deadline = time.monotonic() + TIMEOUT
    tick = threading.Event()
    while not (value := found()):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            out, err = proc.communicate(timeout=10)
            pytest.fail(f"no {what} within {TIMEOUT} s\nstdout: {out}\nstderr: {err}")
        tick.wait(0.02)
    return value


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _exits_within(pidfd: int, timeout: float) -> bool:
    """A pidfd turns readable when its process ends (zombie or reaped)."""
    ready, _, _ = select.select([pidfd], [], [], timeout)
    return bool(ready)


def _rows(page: LexborHTMLParser) -> list[list[str]]:
    return [[td.text(deep=True).strip() for td in tr.css("td")] for tr in page.css("#files tbody tr")]


def test_kill_9_leaves_no_worker_and_the_rerun_reads_only_the_rest(any_kbase, tmp_path):
    kbase = any_kbase
    world = seed(kbase)
    assert world
    src = tmp_path / "src"
    src.mkdir()
    # Biggest first: the two standards are read before the pipe (size 0).
    first = make_standard_pdf(src / "Tiêu chuẩn bê tông.pdf", code="TCVN 9001:2020", title="Bê tông - Thử nghiệm một")
    second = make_standard_pdf(src / "b.pdf", code="TCVN 9002:2021", title="Bê tông - Thử nghiệm hai")
    third = make_standard_pdf(tmp_path / "c-real.pdf", code="TCVN 9003:2022", title="Bê tông - Thử nghiệm ba")
    fifo = src / "c.pdf"
    os.mkfifo(fifo)

    proc = subprocess.Popen([str(KB), "ingest", "--json", str(first), str(second), str(fifo)], env=_env(kbase),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pidfds: list[int] = []
    try:
        hashing = _open_writer(fifo, proc)  # kb ingest is hashing the pipe: the two PDFs are done and stored
        os.write(hashing, third.read_bytes())
        os.close(hashing)
        # Then a worker is started on the pipe (and blocks opening it), the run says it is reading it, and
        # the second PDF, whose outcome is stored while the next worker starts, is stored.
        workers = _wait_for(lambda: _children(proc.pid) if _reading(kbase) == ([str(fifo)], 2) else None, proc,
                            "a worker reading the pipe")
        pidfds = [os.pidfd_open(pid) for pid in workers]  # before the kill: no confusion with a reused pid
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(TIMEOUT) == -signal.SIGKILL
        survivors = [pid for pid, fd in zip(workers, pidfds, strict=True) if not _exits_within(fd, TIMEOUT)]
        for pid in survivors:  # clean up first: a survivor holds kb's output open
            os.kill(pid, signal.SIGKILL)
        assert not survivors, f"worker {survivors} outlived kb ingest"
        out = proc.stdout.read() if proc.stdout else ""
    finally:
        for fd in pidfds:
            os.close(fd)
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["ingested", "ingested"]

    with kbase.session() as s:
        run = s.exec(sql_select(IngestRun)).one()
        run_id = run.id
        assert run.finished_at is None and run.interrupted_at is None  # nobody has looked yet
        assert run.pid == proc.pid and run.reading == [str(fifo)]

    # Opening the run page notices the dead process; the page lists each file by name and what became of it.
    app = make_app(kbase)
    curator = client_for(app, "curator")
    page = LexborHTMLParser(curator.get(f"/curate/runs/{run_id}").text)
    assert page.css_first("#run-state").text() == "bị gián đoạn"
    assert page.css_first("meta[http-equiv=refresh]") is None and page.css_first("script[src='/static/run.js']") is None
    rows = _rows(page)
    assert [r[:3] for r in rows] == [
        ["Tiêu chuẩn bê tông.pdf", "xong — đã nạp", "TCVN 9001:2020 (3 trang)"],
        ["b.pdf", "xong — đã nạp", "TCVN 9002:2021 (3 trang)"],
        ["c.pdf", "chưa xong (lượt bị gián đoạn)", ""],
    ]
    assert [a.attributes["href"] for a in page.css("#files tbody a")][0].startswith("/curate/review/")
    assert "c.pdf" in page.css_first("#run-interrupted").text()
    status = curator.get(f"/api/ingest-runs/{run_id}").json()
    assert status["state"] == "interrupted" and status["counts"] == {
        "total": 3, "done": 2, "failed": 0, "reading": 0, "waiting": 0, "unfinished": 1}

    # The re-run reads the one file left, now a real PDF at the same place.
    fifo.unlink()
    fifo.write_bytes(third.read_bytes())
    form = page.css_first("#run-interrupted form")
    r = curator.post(form.attributes["action"], follow_redirects=False)
    assert r.status_code == 303, r.text
    new_page = LexborHTMLParser(curator.get(r.headers["location"]).text)  # the background task has run
    assert new_page.css_first("#run-state").text() == "xong"
    assert [row[:3] for row in _rows(new_page)] == [["c.pdf", "xong — đã nạp", "TCVN 9003:2022 (3 trang)"]]
    with kbase.session() as s:
        rerun = s.exec(sql_select(IngestRun).where(IngestRun.rerun_of == run_id)).one()
        assert [f.path for f in s.exec(sql_select(IngestFile).where(IngestFile.run_id == rerun.id))] == [
            str(fifo.absolute())]
        event = s.exec(sql_select(AuditEvent).where(AuditEvent.action == "rerun")).one()
        assert (event.actor, event.entity, event.entity_id) == ("curator", "ingest_run", run_id)
        assert event.after == {"run": rerun.id, "files": ["c.pdf"]}
    old_page = LexborHTMLParser(curator.get(f"/curate/runs/{run_id}").text)
    assert old_page.css_first("#run-interrupted form") is None  # re-run once only
    assert [a.attributes["href"] for a in old_page.css("main p a")][-1] == f"/curate/runs/{rerun.id}"
    again = curator.post(f"/curate/runs/{run_id}/rerun", follow_redirects=False)
    assert again.status_code == 409
    assert "đã được chạy lại" in LexborHTMLParser(again.text).css_first("p.error").text()


def _dead_pid() -> int:
    """The pid of a real process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


def _open_run(kbase, pid: int) -> int:
    """A run as a process that died mid-batch leaves it: open, one file done, one not."""
    run_id = documents.start_run(kbase, "cli", [("/data/a.pdf", "a.pdf"), ("/data/b.pdf", "b.pdf")])
    documents.record_failure(kbase, run_id, Path("/data/a.pdf"), None, "không đọc được tệp")
    documents.finish_run(kbase, run_id, {})  # leave this process's list of its own runs ...
    with kbase.session() as s:  # ... then reopen it as the dead process's
        run = s.get(IngestRun, run_id)
        run.finished_at, run.pid = None, pid
        s.add(run)
    return run_id


def test_the_app_start_marks_runs_of_dead_processes_interrupted(any_kbase):
    dead = _open_run(any_kbase, _dead_pid())
    alive = _open_run(any_kbase, os.getppid())  # pytest's parent: alive, and not this process
    with client_for(make_app(any_kbase), None):  # entering runs the app's startup
        pass
    with any_kbase.session() as s:
        runs = {r.id: r for r in s.exec(sql_select(IngestRun).where(col(IngestRun.id).in_([dead, alive])))}
        assert runs[dead].interrupted_at is not None and runs[dead].reading == []
        assert runs[alive].interrupted_at is None and runs[alive].finished_at is None


def test_kb_ingest_start_marks_runs_of_dead_processes_interrupted(kbase, tmp_path):
    dead = _open_run(kbase, _dead_pid())
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([str(KB), "ingest", "--json", str(empty)], env=_env(kbase), capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    with kbase.session() as s:
        assert s.get(IngestRun, dead).interrupted_at is not None


def test_a_silent_run_is_interrupted_even_when_its_process_cannot_be_checked(kbase):
    run_id = _open_run(kbase, _dead_pid())
    with kbase.session() as s:
        run = s.get(IngestRun, run_id)
        run.host = "another-host"  # a pid on another machine says nothing here
        s.add(run)
    assert documents.mark_interrupted(kbase) == []
    with kbase.session() as s:
        run = s.get(IngestRun, run_id)
        run.heartbeat_at = run.heartbeat_at - documents.STALE_AFTER * 2
        s.add(run)
    assert documents.mark_interrupted(kbase) == [run_id]
