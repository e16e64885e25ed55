"""kb.backup: a backup taken while the knowledge base is written to restores to exactly what it held; a damaged,
foreign or too-new file is refused before anything changes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from kb import backup, db
from kb import search as kb_search
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import KBError
from kb.models import Product
from tests.support.records import build_world, make_product, make_standard


def table_rows(kbase: KnowledgeBase) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: what a round trip must give back."""
    rows = {}
    with kbase.engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            got = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            rows[table] = sorted(tuple(str(v) for v in r) for r in got)
    return rows


def tree(root: Path) -> dict[str, str]:
    """Relative path → sha256 of every regular file under ``root``."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def add_source_files(kbase: KnowledgeBase) -> dict[str, bytes]:
    """A content-addressed ingested PDF and a pending upload, as the data dir keeps them."""
    pdf = b"%PDF-1.4\n" + os.urandom(50_000)
    sha = hashlib.sha256(pdf).hexdigest()
    files = {f"files/{sha[:2]}/{sha}.pdf": pdf, "uploads/tải-lên-1.pdf": b"%PDF-1.4\n" + os.urandom(3000),
             "uploads/import/danh-mục.csv": "mã,tên\n1,Bánh phu thê\n".encode()}
    for rel, body in files.items():
        target = kbase.settings.data_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return files


def populate(kbase: KnowledgeBase) -> dict[str, bytes]:
    build_world(kbase)
    kb_search.reindex(kbase)
    return add_source_files(kbase)


def state(kbase: KnowledgeBase) -> tuple[dict, dict, dict]:
    data = kbase.settings.data_dir
    return table_rows(kbase), tree(data / "files"), tree(data / "uploads")


def titles(kbase: KnowledgeBase, query: str) -> list[str]:
    return [h.title for h in kb_search.search(kbase, query).hits]


# --- round trip ---------------------------------------------------------------------------------------


def test_round_trip_gives_back_the_database_files_and_index(any_kbase, tmp_path):
    kbase = any_kbase
    populate(kbase)
    before = state(kbase)
    result = backup.backup(kbase, tmp_path / "kb.tar.gz")
    assert result.path.is_file() and result.size == result.path.stat().st_size
    assert result.manifest.kind == kbase.engine.dialect.name
    assert result.manifest.row_counts["product"] == len(before[0]["product"])
    assert result.manifest.files == len(before[1]) + len(before[2])

    # Life goes on after the backup: records added and removed, files changed.
    with kbase.session() as s:
        make_product(s, "Rượu làng Vân sau sao lưu")
        make_standard(s, "TCVN 9999:2026", title_vi="Tiêu chuẩn thêm sau sao lưu")
    kb_search.reindex(kbase)
    assert titles(kbase, "Rượu làng Vân sau sao lưu")
    (kbase.settings.uploads_dir / "tải-lên-1.pdf").write_bytes(b"changed")
    (kbase.settings.uploads_dir / "mới.pdf").write_bytes(b"new")

    restored = backup.restore(kbase, result.path)
    assert restored.revision_after == result.manifest.revision
    assert restored.index and restored.index["product"] == result.manifest.row_counts["product"]
    fresh = KnowledgeBase(kbase.settings)
    try:
        assert state(fresh) == before
        # The index was rebuilt from the restored database: what came after the backup is gone from it.
        assert not any("sau sao lưu" in (t or "") for t in titles(fresh, "Rượu làng Vân sau sao lưu"))
        assert "Bánh phu thê Đình Bảng" in titles(fresh, "bánh phu thê")
    finally:
        fresh.dispose()


def test_restore_into_an_empty_data_dir(kbase, tmp_path):
    files = populate(kbase)
    result = backup.backup(kbase, tmp_path / "b.tar.gz")
    other = KnowledgeBase(Settings(data_dir=tmp_path / "elsewhere" / "var", secret_key="x"))
    try:
        backup.restore(other, result.path)
        assert table_rows(other) == table_rows(kbase)
        for rel, body in files.items():
            assert (other.settings.data_dir / rel).read_bytes() == body
        assert "Bánh phu thê Đình Bảng" in titles(other, "banh phu the")
        # Caches are not carried: no page images; the index is the one restore built.
        assert not (other.settings.data_dir / "page-images").exists()
    finally:
        other.dispose()


def test_manifest_and_sidecar_describe_the_file(kbase, tmp_path):
    populate(kbase)
    result = backup.backup(kbase, tmp_path / "b.tar.gz")
    sidecar = (tmp_path / "b.tar.gz.sha256").read_text()
    assert sidecar == f"{hashlib.sha256(result.path.read_bytes()).hexdigest()}  b.tar.gz\n"
    with tarfile.open(result.path) as tar:
        names = tar.getnames()
        body = tar.extractfile("manifest.json").read()
        manifest = json.loads(body)
        summed = tar.extractfile("manifest.sha256").read().decode().split()[0]
        for name, member in manifest["members"].items():
            assert hashlib.sha256(tar.extractfile(name).read()).hexdigest() == member["sha256"]
    assert names[0] == "database/kb.sqlite3" and names[-2:] == ["manifest.json", "manifest.sha256"]
    assert summed == hashlib.sha256(body).hexdigest()
    assert manifest["format"] == "bacninh-kb-backup" and manifest["version"] == 1
    assert manifest["database"] == {"kind": "sqlite", "alembic_revision": result.manifest.revision, "schema": None}
    assert not any(n.startswith(("index/", "page-images/")) for n in names)
    assert list(tmp_path.glob(".b.tar.gz*")) == []  # no temporary left beside it
    assert result.path.stat().st_mode & 0o777 == 0o600  # password hashes inside: the owner's only


# --- consistency under writes -------------------------------------------------------------------------


def test_backup_while_rows_are_written_is_one_consistent_state(any_kbase, tmp_path):
    """A writer commits pairs of products; every snapshot holds whole pairs and its manifest counts them
    (SQLite: one-step online backup; PostgreSQL: pg_dump in the snapshot the counts were read in)."""
    kbase = any_kbase
    build_world(kbase)
    with kbase.engine.connect() as conn:
        base = conn.execute(text("SELECT count(*) FROM product")).scalar()
    stop = threading.Event()
    committed = [0]
    errors: list[BaseException] = []

    def writer() -> None:
        w = KnowledgeBase(kbase.settings)
        try:
            i = 0
            while not stop.is_set():
                with w.session() as s:
                    s.add(Product(name=f"Ghi đồng thời {i} a", kind="key"))
                    s.add(Product(name=f"Ghi đồng thời {i} b", kind="key"))
                committed[0] = i = i + 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            w.dispose()

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 30
        while committed[0] < n and not errors:
            assert time.monotonic() < deadline, "writer made no progress"
            stop.wait(0.01)

    thread = threading.Thread(target=writer)
    thread.start()
    results = []
    try:
        for round_ in range(3):
            wait_for(committed[0] + 5)  # writes are happening around every backup
            results.append(backup.backup(kbase, tmp_path / f"b{round_}.tar.gz"))
        wait_for(committed[0] + 5)
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors
    seen = []
    for i, result in enumerate(results):
        # SQLite: each into a fresh data dir; PostgreSQL: back into the same schema, one after the other
        sqlite = kbase.engine.dialect.name == "sqlite"
        target = KnowledgeBase(Settings(data_dir=tmp_path / f"r{i}", secret_key="x")) if sqlite else kbase
        try:
            backup.restore(target, result.path)  # checks the restored row counts against the manifest
            with target.engine.connect() as conn:
                a = conn.execute(text("SELECT count(*) FROM product WHERE name LIKE 'Ghi đồng thời % a'")).scalar()
                b = conn.execute(text("SELECT count(*) FROM product WHERE name LIKE 'Ghi đồng thời % b'")).scalar()
                if sqlite:
                    assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        finally:
            if sqlite:
                target.dispose()
        assert a == b, "a snapshot cut a transaction in half"
        assert result.manifest.row_counts["product"] == base + a + b
        seen.append(a)
    assert seen == sorted(seen) and seen[-1] < committed[0]


# --- refusals: nothing changes ------------------------------------------------------------------------


@pytest.fixture
def backed_up(kbase, tmp_path):
    populate(kbase)
    result = backup.backup(kbase, tmp_path / "good.tar.gz")
    with kbase.session() as s:  # the live knowledge base differs from the backup, so a restore would show
        make_product(s, "Sản phẩm sau sao lưu")
    return kbase, result.path


def refused(kbase: KnowledgeBase, path: Path, fragment: str) -> str:
    before = state(kbase)
    listing = sorted(p.name for p in kbase.settings.data_dir.iterdir())
    with pytest.raises(KBError) as err:
        backup.restore(kbase, path)
    message = err.value.message
    assert "\n" not in message and "không thay đổi gì" in message and fragment in message, message
    assert state(kbase) == before
    assert sorted(p.name for p in kbase.settings.data_dir.iterdir()) == listing  # no staging left
    return message


def copy(src: Path, dst: Path, body: bytes | None = None) -> Path:
    dst.write_bytes(src.read_bytes() if body is None else body)
    return dst


@pytest.mark.parametrize("keep", [0.5, 0.98, -8, -1])
def test_truncated_backup_is_refused(backed_up, tmp_path, keep):
    kbase, good = backed_up
    body = good.read_bytes()
    cut = body[: int(len(body) * keep)] if keep > 0 else body[:keep]
    refused(kbase, copy(good, tmp_path / "cut.tar.gz", cut), "hỏng")


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9, -5])
def test_flipped_byte_is_refused_without_the_sidecar(backed_up, tmp_path, where):
    kbase, good = backed_up
    body = bytearray(good.read_bytes())
    at = int(len(body) * where) if where > 0 else len(body) + where  # -5: inside gzip's CRC
    body[at] ^= 0x10
    refused(kbase, copy(good, tmp_path / "flip.tar.gz", bytes(body)), "hỏng")


def test_sidecar_catches_any_change(backed_up, tmp_path):
    kbase, good = backed_up
    body = bytearray(good.read_bytes())
    body[4] ^= 0x01  # gzip header's mtime: gzip itself does not notice
    bad = copy(good, tmp_path / "b.tar.gz", bytes(body))
    copy(good.with_name("good.tar.gz.sha256"), tmp_path / "b.tar.gz.sha256",
         good.with_name("good.tar.gz.sha256").read_bytes().replace(b"good", b"b"))
    refused(kbase, bad, "sha256")


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def test_foreign_files_are_refused(backed_up, tmp_path):
    kbase, good = backed_up
    zip_path = tmp_path / "a.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("manifest.json", "{}")
    refused(kbase, zip_path, "không phải tệp sao lưu")
    refused(kbase, copy(good, tmp_path / "notes.tar.gz", _tar_gz({"notes/readme.txt": b"hello"})), "mục lạ")
    other = {"format": "some-other-tool", "version": 1}
    body = json.dumps(other).encode()
    refused(kbase, copy(good, tmp_path / "other.tar.gz", _tar_gz({
        "manifest.json": body, "manifest.sha256": hashlib.sha256(body).hexdigest().encode()})), "some-other-tool")
    refused(kbase, copy(good, tmp_path / "plain.tar.gz", gzip.compress(b"just text\n" * 100)), "không phải tệp sao lưu")
    refused(kbase, copy(good, tmp_path / "empty.tar.gz", b""), "không phải tệp sao lưu")
    refused(kbase, copy(good, tmp_path / "files-only.tar.gz", _tar_gz({"files/ab/x.pdf": b"%PDF"})), "thiếu manifest")


def _rewrite(good: Path, dst: Path, change_db=None, change_manifest=None) -> Path:
    """The good backup with its database or manifest changed and every checksum made right again, as a newer
    program (or an adversary who knows the format) would write it."""
    members: dict[str, bytes] = {}
    with tarfile.open(good) as tar:
        for info in tar:
            members[info.name] = tar.extractfile(info).read()
    manifest = json.loads(members["manifest.json"])
    if change_db:
        scratch = dst.with_suffix(".sqlite3")
        scratch.write_bytes(members["database/kb.sqlite3"])
        conn = sqlite3.connect(scratch)
        change_db(conn)
        conn.commit()
        conn.close()
        members["database/kb.sqlite3"] = scratch.read_bytes()
        scratch.unlink()
        manifest["members"]["database/kb.sqlite3"] = {
            "size": len(members["database/kb.sqlite3"]),
            "sha256": hashlib.sha256(members["database/kb.sqlite3"]).hexdigest()}
    if change_manifest:
        change_manifest(manifest)
    members["manifest.json"] = body = json.dumps(manifest).encode()
    members["manifest.sha256"] = f"{hashlib.sha256(body).hexdigest()}  manifest.json\n".encode()
    dst.write_bytes(_tar_gz(members))
    return dst


def test_backup_from_newer_code_is_refused(backed_up, tmp_path):
    kbase, good = backed_up

    def newer(conn):
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")

    def say_newer(m):
        m["database"]["alembic_revision"] = "9999_from_the_future"

    message = refused(kbase, _rewrite(good, tmp_path / "new.tar.gz", newer, say_newer), "mới hơn")
    assert "9999_from_the_future" in message


def test_manifest_that_lies_about_the_database_is_refused(backed_up, tmp_path):
    kbase, good = backed_up

    def more(m):
        m["row_counts"]["product"] += 1

    refused(kbase, _rewrite(good, tmp_path / "lie.tar.gz", change_manifest=more), "không khớp manifest")


def test_member_changed_after_the_manifest_is_refused(backed_up, tmp_path):
    kbase, good = backed_up
    members: dict[str, bytes] = {}
    with tarfile.open(good) as tar:
        for info in tar:
            members[info.name] = tar.extractfile(info).read()
    upload = next(n for n in members if n.startswith("uploads/"))
    members[upload] = b"swapped"
    refused(kbase, copy(good, tmp_path / "swap.tar.gz", _tar_gz(members)), upload)


def test_older_backup_is_upgraded_to_head(tmp_path):
    old = KnowledgeBase(Settings(data_dir=tmp_path / "old", secret_key="x"))
    command.upgrade(db.alembic_config(old.engine), "0011")
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO product (name, aliases, kind, is_sample, created_at, updated_at) VALUES "
                          "('Gạch cũ Bắc Ninh', '[]', 'key', 0, '2026-01-01', '2026-01-01')"))
    result = backup.backup(old, tmp_path / "old.tar.gz")
    old.dispose()
    assert result.manifest.revision == "0011"
    target = KnowledgeBase(Settings(data_dir=tmp_path / "new", secret_key="x"))
    try:
        restored = backup.restore(target, result.path)
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(db.alembic_config(target.engine)).get_current_head()
        assert restored.revision_after == head != "0011"
        assert "Gạch cũ Bắc Ninh" in titles(target, "gach cu")
    finally:
        target.dispose()


def test_declined_confirmation_changes_nothing(backed_up):
    kbase, good = backed_up
    before = state(kbase)
    asked = []
    with pytest.raises(KBError, match="đã hủy"):
        backup.restore(kbase, good, confirm=lambda m: asked.append(m) or False)
    assert asked and asked[0].rows > 0
    assert state(kbase) == before


def test_a_failed_backup_leaves_no_half_file(kbase, tmp_path, monkeypatch):
    """The archive is written under a temporary name: a failure midway keeps the previous FILE as it was."""
    populate(kbase)
    target = tmp_path / "daily.tar.gz"
    previous = backup.backup(kbase, target).path.read_bytes()
    real = backup._add_file

    def failing(tar, name, src, manifest):
        if name.startswith("uploads/"):
            raise OSError(28, "No space left on device")
        return real(tar, name, src, manifest)

    monkeypatch.setattr(backup, "_add_file", failing)
    with pytest.raises(KBError, match="không ghi được tệp sao lưu"):
        backup.backup(kbase, target)
    assert target.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".daily", "daily"))) == [
        "daily.tar.gz", "daily.tar.gz.sha256"]


def test_restore_refuses_while_another_process_has_the_database_open(backed_up):
    """A running web server keeps connections to kb.sqlite3: restoring under it would be lost or mixed."""
    kbase, good = backed_up
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                               "c.execute('select count(*) from product').fetchone(); print('open', flush=True); "
                               "sys.stdin.read()", str(kbase.settings.data_dir / "kb.sqlite3")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        message = refused(kbase, good, "đang được tiến trình khác mở")
        assert f"pid {holder.pid}" in message and "dừng trang web" in message
    finally:
        holder.communicate("", timeout=30)
    backup.restore(kbase, good)  # once it is closed


def test_backup_needs_a_writable_place(kbase, tmp_path):
    with pytest.raises(KBError, match="không có thư mục"):
        backup.backup(kbase, tmp_path / "no" / "such" / "b.tar.gz")
    with pytest.raises(KBError, match="thư mục"):
        backup.backup(kbase, tmp_path)


# --- PostgreSQL ---------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_sqlite_backup_is_refused_on_postgresql(kbase, pg_kbase, tmp_path):
    populate(kbase)
    result = backup.backup(kbase, tmp_path / "sqlite.tar.gz")
    refused(pg_kbase, result.path, "sqlite")


@pytest.mark.postgres
def test_postgresql_restore_onto_another_schema_is_refused(pg_kbase, postgres_url, tmp_path):
    populate(pg_kbase)
    result = backup.backup(pg_kbase, tmp_path / "pg.tar.gz")
    with pg_kbase.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
    assert result.manifest.schema == schema and result.manifest.extra["pg_dump_version"].startswith("pg_dump")
    other = KnowledgeBase(Settings(data_dir=tmp_path / "o", database_url=postgres_url, secret_key="x"))
    try:
        with pytest.raises(KBError, match="lược đồ PostgreSQL"):
            backup.restore(other, result.path)
    finally:
        other.dispose()


@pytest.mark.postgres
def test_missing_pg_dump_is_one_clear_line(pg_kbase, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(KBError, match="không tìm thấy pg_dump: cài gói postgresql-client"):
        backup.backup(pg_kbase, tmp_path / "pg.tar.gz")
    assert not (tmp_path / "pg.tar.gz").exists()


@pytest.mark.postgres
def test_failing_pg_dump_says_why(pg_kbase, tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n[ \"$1\" = --version ] && { echo 'pg_dump (PostgreSQL) 13.0'; exit 0; }\n"
                    "echo 'pg_dump: error: aborting because of server version mismatch' >&2\n"
                    "echo 'pg_dump: detail: server version: 15.20; pg_dump version: 13.0' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    with pytest.raises(KBError) as err:
        backup.backup(pg_kbase, tmp_path / "pg.tar.gz")
    assert "pg_dump thất bại" in err.value.message and "cùng phiên bản chính" in err.value.message
    assert not (tmp_path / "pg.tar.gz").exists()


@pytest.mark.postgres
def test_failed_pg_restore_puts_the_old_schema_back(pg_kbase, tmp_path, monkeypatch):
    populate(pg_kbase)
    result = backup.backup(pg_kbase, tmp_path / "pg.tar.gz")
    with pg_kbase.session() as s:
        make_product(s, "Sản phẩm chỉ có sau sao lưu")
    before = state(pg_kbase)
    real = backup._pg_tool("pg_restore")
    fake = tmp_path / "bin" / "pg_restore"
    fake.parent.mkdir()
    # checks pass (--list is the real one); the restore itself fails, after the live schema was moved aside
    fake.write_text(f"#!/bin/sh\n[ \"$1\" = --list ] && exec {real} \"$@\"\n"
                    "echo 'pg_restore: error: could not execute query: out of disk space' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    with pytest.raises(KBError, match="pg_restore thất bại: .*out of disk space"):
        backup.restore(pg_kbase, result.path)
    assert state(pg_kbase) == before
    with pg_kbase.engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%before_restore%'")).scalar()
    assert left == 0
