"""The index built beside a large products import (``kb.search._prebuild``) is exactly the index a build after
the import makes: products changed again after they were read, by a later batch or by a curator, are read again;
products the import left alone are indexed too; a build process that fails leaves the usual rebuild."""

from __future__ import annotations

import csv
import json
import logging
import os
import select as io_select
import threading
from pathlib import Path

import pytest
from sqlmodel import select
from whoosh import index as windex

from ingest import importers
from ingest.importers import import_file
from kb import hscodes, products, search
from kb.errors import Conflict
from kb.models import Product, ProductUpdate
from kb.search import _index, _prebuild

HEADER = ["name", "category", "kind", "ocop_stars", "producer", "district", "hs_code", "description"]


def row(i: int, **over: str) -> list[str]:
    values = {"name": f"Chè xanh Tân Cương số {i}", "category": "Đồ uống", "kind": "ocop", "ocop_stars": "3",
              "producer": f"HTX chè {i % 4}", "district": "Tân Yên", "hs_code": "0902.10.10" if i % 3 else "",
              "description": f"Chè búp sao tay, mẻ {i}"} | over
    return [values[c] for c in HEADER]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def indexed(kbase) -> tuple[dict[str, dict], dict[str, float]]:
    """The live documents of the current generation by key (stored fields), and its average field lengths."""
    gen = _index.current_generation(Path(kbase.settings.index_dir))
    assert gen is not None
    ix = windex.open_dir(str(gen))
    try:
        with ix.reader() as reader:
            stored = {d["key"]: d for d in reader.all_stored_fields()}
    finally:
        ix.close()
    return stored, json.loads((gen / "lengths.json").read_text("utf-8"))


def assert_as_rebuilt(kbase) -> dict[str, dict]:
    """The index now holds what a build from the database makes (it is rebuilt to compare)."""
    got, got_lengths = indexed(kbase)
    search.reindex(kbase)
    want, want_lengths = indexed(kbase)
    assert got == want
    assert got_lengths == pytest.approx(want_lengths)
    return got


def _busy_for_others(kbase) -> bool:
    """Whether another thread (a server's catch-up, say) would find the index's maintenance taken."""
    found = []

    def probe():
        try:
            with _index.maintenance(Path(kbase.settings.index_dir), wait=False):
                found.append(False)
        except Conflict:
            found.append(True)

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    return found == [True]


@pytest.fixture
def small(monkeypatch):
    """A 'large' import of a few rows (rebuilt, not updated), each process taking blocks of two ids."""
    monkeypatch.setattr(importers, "REBUILD_OVER", 3)
    monkeypatch.setattr(_prebuild, "PART_BLOCK", 2)


def test_an_import_indexed_beside_its_batches_is_the_index_a_rebuild_makes(any_kbase, tmp_path, small, monkeypatch):
    import_file(any_kbase, "products", write_csv(tmp_path / "before.csv", [row(i) for i in range(1, 6)]), actor="test")
    search.reindex(any_kbase)
    started = []
    real = _prebuild.Prebuild.__init__
    monkeypatch.setattr(_prebuild.Prebuild, "__init__", lambda self, *a: (started.append(1), real(self, *a))[1])

    maintained_elsewhere = []

    def curator(report):  # after the second batch commits: an edit the build processes may or may not have read
        if report.committed == 8:
            maintained_elsewhere.append(_busy_for_others(any_kbase))
            with any_kbase.session() as s:
                p = products.find_product(s, "Chè xanh Tân Cương số 7")
                products.update_product(s, p.id, ProductUpdate(name="Chè móc câu Thái Nguyên"), None, "curator")
                hscodes.add_codes(s, products.find_product(s, "Chè xanh Tân Cương số 8"), ["2101.20"], "curator")
                s.commit()

    rows = [row(1), row(2, description="Chè đã đổi mô tả"),
            *(row(i, description="Chè ướp sen Quảng An") if i == 9 else row(i) for i in range(6, 16)),
            row(9, description="Chè sửa ở lô sau")]  # product 9 again, two batches later
    report = import_file(any_kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test", batch_rows=4,
                         after_batch=curator, procs=2)
    assert started == [1] and (report.created, report.updated, report.unchanged) == (10, 2, 1)
    assert maintained_elsewhere == [True]  # a server's catch-up waits instead of building beside it
    docs = assert_as_rebuilt(any_kbase)
    products_indexed = {k for k in docs if k.startswith("product:")}
    assert len(products_indexed) == 15  # the five the import left alone included, each once
    hits = search.search(any_kbase, "chè sửa ở lô sau", kind="product").hits
    assert [h.title for h in hits][:1] == ["Chè xanh Tân Cương số 9"]
    assert not search.search(any_kbase, "ướp sen Quảng An", kind="product").hits  # product 9's first version is gone
    assert [h.title for h in search.search(any_kbase, "chè móc câu", kind="product").hits] == ["Chè móc câu Thái Nguyên"]


def test_products_changed_after_they_were_read_are_read_again(any_kbase, tmp_path):
    """One build process, in this process: what it read, then changes, then the end of the import."""
    import_file(any_kbase, "products", write_csv(tmp_path / "p.csv", [row(i) for i in range(1, 9)]), actor="test")
    with any_kbase.session() as s:
        ids = sorted(p.id for p in s.exec(select(Product)))
    gen = _index.new_generation(Path(any_kbase.settings.index_dir))
    ix = windex.open_dir(str(gen))
    follower = _prebuild._Follower(ix, 64, part=0, parts=1)
    with any_kbase.session() as s:
        follower.add_products(s, ids[:6])
        follower.add_products(s, ids[:2])  # handed again (a later batch changed them): the first documents go
    assert follower.writer.added == 8
    with any_kbase.session() as s:
        products.update_product(s, ids[2], ProductUpdate(description="Mô tả của cán bộ"), None, "curator")
        hscodes.remove_code(s, s.get(Product, ids[3]), "09021010", "curator")  # only its HS code changes
        s.delete(s.get(Product, ids[5]))  # gone from the database
        s.commit()
    with any_kbase.session() as s:
        stamp = _index.db_stamp(s)
        filled = follower.finish(s)
    ix.close()
    assert filled.counts["product"] == 7
    assert sum(seg.deleted_count() for seg in filled.segments) == 5
    with _index.maintenance(Path(any_kbase.settings.index_dir)):
        _index.publish(any_kbase, gen, [filled], stamp)
    assert_as_rebuilt(any_kbase)


def test_a_build_process_that_dies_leaves_the_usual_rebuild(kbase, tmp_path, small, monkeypatch, caplog):
    monkeypatch.setattr(_prebuild._Follower, "add_products", lambda *a: os._exit(3))
    rows = [row(i) for i in range(1, 9)]
    with caplog.at_level(logging.ERROR, logger="ingest.importers"):
        import_file(kbase, "products", write_csv(tmp_path / "p.csv", rows), actor="test", batch_rows=3, procs=2)
    assert "build beside the import failed" in caplog.text and "exit code 3" in caplog.text
    docs = assert_as_rebuilt(kbase)
    assert sum(k.startswith("product:") for k in docs) == 8
    # the dead build's generation was removed: every one left was published (has a stamp)
    assert all((g / "stamp.json").exists() for g in Path(kbase.settings.index_dir).glob("gen-*"))


def test_a_reimport_that_changes_little_cancels_the_build_and_updates(kbase, tmp_path, small):
    path = write_csv(tmp_path / "p.csv", [row(i) for i in range(1, 9)])
    import_file(kbase, "products", path, actor="test", procs=2)
    root = Path(kbase.settings.index_dir)
    current = (root / "CURRENT").read_text()
    report = import_file(kbase, "products", path, actor="test", procs=2)  # every row unchanged
    assert report.unchanged == 8
    assert (root / "CURRENT").read_text() == current  # no rebuild: nothing changed
    assert all((g / "stamp.json").exists() for g in root.glob("gen-*"))  # the build's own generation removed
    assert_as_rebuilt(kbase)


def test_an_import_while_the_index_is_maintained_elsewhere_builds_it_after(kbase, tmp_path, small, caplog):
    search.reindex(kbase)
    held, release = threading.Event(), threading.Event()

    def maintainer():  # a server's catch-up, busy when the import starts, done after its first batch
        with _index.maintenance(Path(kbase.settings.index_dir)):
            held.set()
            release.wait(60)

    t = threading.Thread(target=maintainer)
    t.start()
    assert held.wait(60)
    with caplog.at_level(logging.INFO, logger="ingest.importers"):
        import_file(kbase, "products", write_csv(tmp_path / "p.csv", [row(i) for i in range(1, 9)]), actor="test",
                    batch_rows=3, after_batch=lambda report: release.set(), procs=2)
    t.join()
    assert "not beside it" in caplog.text
    assert sum(k.startswith("product:") for k in assert_as_rebuilt(kbase)) == 8


def test_an_import_killed_midway_leaves_the_index_unlocked_and_its_build_processes_end(kbase, monkeypatch):
    import multiprocessing

    monkeypatch.setattr(_prebuild, "PARENT_CHECK_EVERY", 0.2)
    root = Path(kbase.settings.index_dir)
    fork = multiprocessing.get_context("fork")
    told, tell = fork.Pipe(duplex=False)

    def killed_import():  # starts the build, says which processes it forked, and dies without cleaning up
        prebuild = _prebuild.Prebuild(kbase, 2)
        tell.send([proc.pid for proc, _, _ in prebuild._followers])
        os._exit(9)

    importer = fork.Process(target=killed_import)
    importer.start()
    pids = told.recv()
    importer.join(30)
    assert importer.exitcode == 9 and len(pids) == 2
    with _index.maintenance(root, wait=False):  # the lock went with the import: its processes never held it
        pass
    assert all(_ends_within(pid, 30) for pid in pids)


def _ends_within(pid: int, seconds: float) -> bool:
    """Whether a process that is not this one's child ends within ``seconds`` (a pidfd reads ready at its exit)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True  # ended and reaped already
    try:
        return bool(io_select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)
