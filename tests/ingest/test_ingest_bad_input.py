"""Bad input: every broken file fails alone with a one-line reason; good files around it are stored.

The files are built here (not a PDF, cut off, encrypted, no pages, too large, page-tree and
decompression bombs); crashes and hangs are injected into the worker or the storage step.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlmodel import select

import ingest.pipeline as pipeline
from ingest import dispatch
from ingest.pipeline import ingest_paths
from kb import documents
from kb.models import Document, DocumentPage, IngestFile, Standard, StandardRelation
from tests.support.ingest_pdfs import make_page_bomb_pdf, make_stream_bomb_pdf
from tests.support.pdfs import (
    make_encrypted_pdf,
    make_not_pdf,
    make_standard_pdf,
    make_truncated_pdf,
    make_zero_page_pdf,
)


def _good(tmp_path: Path, name: str, number: int) -> Path:
    return make_standard_pdf(tmp_path / name, code=f"TCVN {number}:2022", foreword=None,
                             title=f"Bê tông - Phép thử số {number}")


def _assert_failed(result: dict, *words: str) -> None:
    assert result["status"] == "failed", result
    assert result["error"] and "\n" not in result["error"]
    assert "Traceback" not in result["error"]
    for w in words:
        assert w in result["error"].lower(), result["error"]


def _stored_files(kbase) -> dict[str, str]:
    with kbase.session() as s:
        return {Path(f.path).name: f.status.value for f in s.exec(select(IngestFile)).all()}


@pytest.mark.parametrize(
    ("maker", "words"),
    [
        (make_not_pdf, ("pdf",)),
        (lambda p: make_truncated_pdf(p, keep=0.5), ("hỏng",)),
        (make_encrypted_pdf, ("mã hoá",)),
        (make_zero_page_pdf, ("không có trang",)),
        (make_page_bomb_pdf, ("quá nhiều trang", "bomb")),
        (make_stream_bomb_pdf, ("bomb",)),
    ],
    ids=["not-a-pdf", "truncated", "encrypted", "zero-pages", "page-bomb", "stream-bomb"],
)
def test_bad_file_fails_alone_and_the_batch_goes_on(kbase, tmp_path, maker, words):
    before = _good(tmp_path, "1-good.pdf", 3105)
    bad = maker(tmp_path / "2-bad.pdf")
    after = _good(tmp_path, "3-good.pdf", 3106)
    results = ingest_paths(kbase, [before, bad, after])
    assert [r["status"] for r in results] == ["ingested", "failed", "ingested"]
    _assert_failed(results[1], *words)
    with kbase.session() as s:
        names = {d.file_name for d in s.exec(select(Document)).all()}
        assert names == {"1-good.pdf", "3-good.pdf"}
        failed = s.exec(select(IngestFile).where(IngestFile.path == str(bad))).one()
        assert failed.status.value == "failed" and failed.document_id is None and failed.message == results[1]["error"]


def test_file_over_the_size_limit_is_refused_before_reading(kbase, tmp_path, monkeypatch):
    kbase.settings.max_file_mb = 1
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10))
    monkeypatch.setattr(pipeline, "sha256_of", lambda p: pytest.fail("hashed a file over the limit"))
    result = ingest_paths(kbase, [big])[0]
    _assert_failed(result, "quá lớn", "1 mb")


def test_spinning_parser_is_killed_at_the_time_limit(kbase, tmp_path, monkeypatch):
    kbase.settings.ingest_timeout = 3  # generous for the good files on a busy machine
    spin = _good(tmp_path, "2-spin.pdf", 3107)
    real = dispatch.process_file

    def process(path, **kw):
        if Path(path).name == "2-spin.pdf":
            while True:  # a parser stuck in a loop on one page
                pass
        return real(path, **kw)

    monkeypatch.setattr(dispatch, "process_file", process)
    results = ingest_paths(kbase, [_good(tmp_path, "1.pdf", 3105), spin, _good(tmp_path, "3.pdf", 3106)], workers=2)
    assert [r["status"] for r in results] == ["ingested", "failed", "ingested"]
    _assert_failed(results[1], "quá thời gian")


def test_worker_killed_mid_file_loses_nothing_else(kbase, tmp_path, monkeypatch):
    real = dispatch.process_file

    def process(path, **kw):
        if Path(path).name == "2.pdf":
            os.kill(os.getpid(), signal.SIGKILL)  # pdfium aborting, the OOM killer, a segfault ...
        return real(path, **kw)

    monkeypatch.setattr(dispatch, "process_file", process)
    files = [_good(tmp_path, f"{i}.pdf", 3104 + i) for i in (1, 2, 3)]
    results = ingest_paths(kbase, files)
    assert [r["status"] for r in results] == ["ingested", "failed", "ingested"]
    _assert_failed(results[1], "dừng đột ngột")
    assert _stored_files(kbase) == {"1.pdf": "ingested", "2.pdf": "failed", "3.pdf": "ingested"}
    # The next run picks up the failed file (nothing of it was stored) and skips the others.
    monkeypatch.setattr(dispatch, "process_file", real)
    again = ingest_paths(kbase, files)
    assert [r["status"] for r in again] == ["unchanged", "ingested", "unchanged"]


def test_crash_while_storing_file_two_keeps_file_one_and_leaves_no_half_record(kbase, tmp_path, monkeypatch):
    real = documents._store_standard

    def store(session, result, document_id, actor):
        std = real(session, result, document_id, actor)  # standard, pages and relations are already in the session
        if result.path.name == "2.pdf":
            raise RuntimeError("disk full")
        return std

    monkeypatch.setattr(documents, "_store_standard", store)
    one = make_standard_pdf(tmp_path / "1.pdf", code="TCVN 3118:2022")
    two = make_standard_pdf(tmp_path / "2.pdf", code="TCVN 3119:2022", title="Bê tông - Cường độ kéo khi uốn")
    results = ingest_paths(kbase, [one, two])
    assert [r["status"] for r in results] == ["ingested", "failed"]
    _assert_failed(results[1], "lỗi khi lưu", "disk full")
    with kbase.session() as s:
        docs = s.exec(select(Document)).all()
        assert [d.file_name for d in docs] == ["1.pdf"]
        assert {p.document_id for p in s.exec(select(DocumentPage)).all()} == {docs[0].id}
        assert [x.code for x in s.exec(select(Standard)).all()] == ["TCVN 3118:2022"]
        assert all(r.from_code == "TCVN 3118:2022" for r in s.exec(select(StandardRelation)).all())
    monkeypatch.setattr(documents, "_store_standard", real)
    assert [r["status"] for r in ingest_paths(kbase, [one, two])] == ["unchanged", "ingested"]


def test_unexpected_error_in_the_reader_is_one_line(kbase, tmp_path, monkeypatch):
    def boom(pdf, **kw):
        raise ValueError("bad xref\nat offset 12")

    monkeypatch.setattr(dispatch, "read_text", boom)
    result = ingest_paths(kbase, [_good(tmp_path, "x.pdf", 3105)])[0]
    _assert_failed(result, "bad xref at offset 12")


def test_killing_the_batch_loses_nothing_reported_and_the_next_run_resumes(kbase, tmp_path):
    import json
    import subprocess
    import sys

    files = [_good(tmp_path, f"{i}.pdf", 3104 + i) for i in (1, 2, 3, 4)]
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from kb.config import Settings\n"
        "from kb.core import KnowledgeBase\n"
        "from ingest.pipeline import ingest_paths\n"
        "kb = KnowledgeBase(Settings(data_dir=Path(sys.argv[1])))\n"
        "def report(r):\n"
        "    print(json.dumps({'file': r['file'], 'status': r['status']}), flush=True)\n"
        "ingest_paths(kb, [Path(p) for p in sys.argv[2:]], progress=report, workers=1)\n"
    )
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", script, str(kbase.settings.data_dir), *map(str, files)],
                            cwd=repo, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stdout.readline()  # reported done = committed
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole batch: parent and its worker
        proc.wait()
        proc.stdout.close()
    assert line, "the ingest subprocess ended before reporting any file"
    first = json.loads(line)
    assert first["status"] == "ingested"

    with kbase.session() as s:
        docs = s.exec(select(Document)).all()
        stored = {d.file_name for d in docs}
        assert Path(first["file"]).name in stored
        for d in docs:  # whatever got in, got in whole
            assert len(s.exec(select(DocumentPage).where(DocumentPage.document_id == d.id)).all()) == d.pages
    results = ingest_paths(kbase, files)
    assert [r["status"] for r in results] == ["unchanged" if f.name in stored else "ingested" for f in files]
    with kbase.session() as s:
        assert len(s.exec(select(Standard)).all()) == 4
