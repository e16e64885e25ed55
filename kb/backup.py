"""Backup and restore of a knowledge base: the database and the uploaded and ingested source files in one file.

A backup is a gzip-compressed tar archive; its members, in this order:

``database/kb.sqlite3`` or ``database/kb.pgdump``
    SQLite: a consistent snapshot by SQLite's online backup API (one step, so it is one read transaction;
    in WAL mode writers go on meanwhile). PostgreSQL: ``pg_dump --format=custom`` of the knowledge base's
    schema, taken in the snapshot the row counts were read in (``pg_export_snapshot``).
``files/…``, ``uploads/…``
    The data dir's ingested source files (content-addressed, never rewritten) and uploads, copied after the
    database snapshot, so every file the snapshot names is there. The page-image cache and the search
    index are caches and are not kept: restore rebuilds the index.
``manifest.json``
    ``format``/``version`` (:data:`FORMAT`, :data:`VERSION`), ``created_at``, ``app_version``, the database
    (``kind`` sqlite|postgresql, ``alembic_revision``, PostgreSQL ``schema``), ``row_counts`` per table in
    the snapshot, and ``members``: the size and sha256 of every member above.
``manifest.sha256``
    The sha256 of ``manifest.json``'s bytes.

Beside ``FILE`` goes ``FILE.sha256`` (the whole file's sha256, ``sha256sum -c`` format). Both are written
under a temporary name and renamed into place, so ``FILE`` is never a half-written file.

Restore checks everything before it touches the knowledge base (archive readable, manifest ours, every
member's checksum, the sidecar's when present, database kind, revision known to this code, the snapshot's
revision and row counts), then replaces the database and the files, upgrades the schema to this code's head
and rebuilds the search index. The web server should be stopped meanwhile.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from kb import db
from kb.core import KnowledgeBase
from kb.errors import KBError

FORMAT = "bacninh-kb-backup"
VERSION = 1
#: Data-dir folders kept in a backup (``Settings.files_dir``, ``Settings.uploads_dir``).
FILE_DIRS = ("files", "uploads")
SQLITE_MEMBER = "database/kb.sqlite3"
PGDUMP_MEMBER = "database/kb.pgdump"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
#: gzip level: 6 (gzip's default) halves a demo backup; PDFs hardly shrink at any level.
COMPRESSLEVEL = 6
_CHUNK = 1 << 20
_MAX_MANIFEST = 64 << 20
_MEMBER_NAME = re.compile(r"(?:database/kb\.(?:sqlite3|pgdump)|(?:files|uploads)(?:/[^/\x00]+)+|manifest\.(?:json|sha256))")


@dataclass
class Manifest:
    created_at: str
    app_version: str
    kind: str
    revision: str | None
    row_counts: dict[str, int]
    members: dict[str, dict[str, Any]]
    schema: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())

    @property
    def files(self) -> int:
        return sum(1 for m in self.members if m.split("/", 1)[0] in FILE_DIRS)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "created_at": self.created_at, "app_version": self.app_version,
                "database": {"kind": self.kind, "alembic_revision": self.revision, "schema": self.schema, **self.extra},
                "row_counts": self.row_counts, "members": self.members}


@dataclass
class Result:
    """What ``backup`` wrote or ``restore`` put back."""

    path: Path
    size: int
    manifest: Manifest
    seconds: float
    revision_after: str | None = None
    index: dict[str, Any] | None = None

    def line(self, verb: str) -> str:
        m = self.manifest
        counts = ", ".join(f"{t} {m.row_counts[t]}" for t in ("standard", "product", "lab") if t in m.row_counts)
        upgraded = (f"; nâng cấp lược đồ {m.revision} → {self.revision_after}"
                    if self.revision_after and self.revision_after != m.revision else "")
        return (f"{verb} {self.path}: {_size_vi(self.size)}, {m.kind} (lược đồ {m.revision}), "
                f"{m.rows} bản ghi ({counts}), {m.files} tệp, tạo lúc {m.created_at}{upgraded}; {self.seconds:.1f} s")


def _size_vi(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".", ",")
    return f"{n} B"


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bacninh-standards-kb")
    except PackageNotFoundError:
        return "unknown"


def _kind(kbase: KnowledgeBase) -> str:
    backend = make_url(kbase.settings.db_url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise KBError(f"sao lưu chỉ hỗ trợ SQLite và PostgreSQL, không hỗ trợ {backend}")
    return backend


# --- backup -----------------------------------------------------------------------------------------


def backup(kbase: KnowledgeBase, path: Path) -> Result:
    """Write a backup of ``kbase`` to ``path`` (and ``path.sha256``) while the site may keep running."""
    started = time.perf_counter()
    path = Path(path)
    if path.is_dir():
        raise KBError(f"{path} là một thư mục; hãy cho tên tệp sao lưu, vd {path / 'kb-backup.tar.gz'}")
    if not path.parent.is_dir():
        raise KBError(f"không có thư mục {path.parent} để ghi tệp sao lưu")
    kind = _kind(kbase)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        if kind == "sqlite":
            dbfile, member = work / "kb.sqlite3", SQLITE_MEMBER
            info: dict[str, Any] = {}
            revision, counts = _sqlite_snapshot(kbase, dbfile)
        else:
            dbfile, member = work / "kb.pgdump", PGDUMP_MEMBER
            revision, counts, info = _pg_dump(kbase, dbfile)
        manifest = Manifest(created_at=datetime.now(UTC).isoformat(timespec="seconds"), app_version=app_version(),
                            kind=kind, revision=revision, row_counts=counts, members={},
                            schema=info.pop("schema", None), extra=info)
        tmp = work / "archive"
        whole = hashlib.sha256()
        with open(tmp, "wb") as raw:
            gz = gzip.GzipFile(filename="", fileobj=cast(IO[bytes], _HashingWriter(raw, whole)), mode="wb",
                               compresslevel=COMPRESSLEVEL, mtime=0)
            with gz, tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                _add_file(tar, member, dbfile, manifest)
                for d in FILE_DIRS:
                    _add_tree(tar, kbase.settings.data_dir / d, d, manifest)
                body = json.dumps(manifest.to_json(), ensure_ascii=False, indent=1, sort_keys=True).encode()
                _add_bytes(tar, MANIFEST, body)
                _add_bytes(tar, MANIFEST_SUM, f"{hashlib.sha256(body).hexdigest()}  {MANIFEST}\n".encode())
            raw.flush()
            os.fsync(raw.fileno())
        sidecar = work / "sha256"
        sidecar.write_text(f"{whole.hexdigest()}  {path.name}\n", encoding="utf-8")
        os.chmod(tmp, 0o600)  # it holds the accounts' password hashes and every unpublished record
        os.replace(tmp, path)
        os.replace(sidecar, path.with_name(path.name + ".sha256"))
        _fsync_dir(path.parent)
        return Result(path=path, size=path.stat().st_size, manifest=manifest, seconds=time.perf_counter() - started)
    except OSError as exc:
        raise KBError(f"không ghi được tệp sao lưu {path}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _HashingWriter:
    """A binary file that also feeds what is written into a hash (the whole archive's sha256)."""

    def __init__(self, raw: IO[bytes], digest: Any) -> None:
        self.raw, self.digest = raw, digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class _HashingReader:
    def __init__(self, raw: IO[bytes], digest: Any) -> None:
        self.raw, self.digest = raw, digest

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, name: str, src: Path, manifest: Manifest) -> None:
    with open(src, "rb") as fh:
        st = os.fstat(fh.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o644
        digest = hashlib.sha256()
        tar.addfile(info, _HashingReader(fh, digest))
    manifest.members[name] = {"size": info.size, "sha256": digest.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, name: str, body: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(body), int(time.time()), 0o644
    tar.addfile(info, io.BytesIO(body))


def _add_tree(tar: tarfile.TarFile, root: Path, prefix: str, manifest: Manifest) -> None:
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fname in sorted(filenames):
            src = Path(dirpath) / fname
            if src.is_symlink() or not src.is_file():
                continue  # only regular files: a link could point anywhere
            name = f"{prefix}/{src.relative_to(root).as_posix()}"
            if not _MEMBER_NAME.fullmatch(name) or fname.endswith((".part", ".tmp")):
                continue  # a copy being written (kb.documents.keep_file_copy renames it when complete)
            try:
                _add_file(tar, name, src, manifest)
            except FileNotFoundError:
                continue  # an upload finished (and was dropped) while the backup ran


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sqlite_path(kbase: KnowledgeBase) -> Path:
    database = make_url(kbase.settings.db_url).database
    if not database or database == ":memory:":
        raise KBError("cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được")
    return Path(database)


def _sqlite_snapshot(kbase: KnowledgeBase, dest: Path) -> tuple[str | None, dict[str, int]]:
    src_path = _sqlite_path(kbase)
    if not src_path.is_file():
        raise KBError(f"không có cơ sở dữ liệu {src_path}: chạy `kb init` trước")
    src = sqlite3.connect(str(src_path), timeout=db.LOCK_WAIT_SECONDS)
    dst = sqlite3.connect(str(dest))
    try:
        # pages=-1: one step, one read transaction, so the copy is one consistent state (a stepwise copy
        # restarts whenever another connection writes); in WAL mode writers are not blocked meanwhile.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file (kb sets WAL again on open)
        revision, counts = _sqlite_facts(dst)
    except sqlite3.Error as exc:
        raise KBError(f"không chụp được cơ sở dữ liệu SQLite {src_path}: {exc}") from exc
    finally:
        dst.close()
        src.close()
    return revision, counts


def _sqlite_facts(conn: sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables if t != "alembic_version"}
    revision = None
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return revision, counts


# --- PostgreSQL: pg_dump / pg_restore ----------------------------------------------------------------


def _conninfo(kbase: KnowledgeBase) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as a libpq connection string, and the environment carrying its password.

    ``postgresql+psycopg://user:pw@host:port/db?sslmode=require&options=-c…`` → ``host='host' port='port'
    user='user' dbname='db' sslmode='require' options='-c…'``; the password goes in ``PGPASSWORD`` so it
    is not on a command line.
    """
    url = make_url(kbase.settings.db_url)
    parts = {"host": url.host, "port": str(url.port) if url.port else None, "user": url.username,
             "dbname": url.database}
    for key, value in url.query.items():
        parts[key] = value if isinstance(value, str) else value[-1]

    def quote(v: str) -> str:
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"

    conninfo = " ".join(f"{k}={quote(v)}" for k, v in parts.items() if v)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise KBError(f"không tìm thấy {name}: cài gói postgresql-client cùng phiên bản chính với máy chủ PostgreSQL")
    return found


def _tool_failure(tool: str, stderr: str, server: str | None = None) -> KBError:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    said = "; ".join(ln.split("error:", 1)[-1].strip() for ln in lines if "error" in ln.lower() or "lỗi" in ln.lower())
    said = said or (lines[-1] if lines else "không rõ lý do")
    hint = ""
    if "version mismatch" in stderr:
        hint = (f" — phiên bản {tool} cũ hơn máy chủ{f' ({server})' if server else ''}: "
                "cài postgresql-client cùng phiên bản chính với máy chủ")
    return KBError(f"{tool} thất bại: {said[:400]}{hint}")


def _pg_counts(conn, schema: str) -> tuple[str | None, dict[str, int]]:
    tables = list(conn.execute(text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = :s AND table_type = 'BASE TABLE' "
        "ORDER BY table_name"), {"s": schema}).scalars())
    counts = {t: conn.execute(text(f'SELECT count(*) FROM "{schema}"."{t}"')).scalar_one()
              for t in tables if t != "alembic_version"}
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(text(f'SELECT version_num FROM "{schema}".alembic_version')).scalar()
    return revision, counts


def _pg_dump(kbase: KnowledgeBase, dest: Path) -> tuple[str | None, dict[str, int], dict[str, Any]]:
    tool = _pg_tool("pg_dump")
    conninfo, env = _conninfo(kbase)
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout.strip()
    engine = kbase.engine
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            server = conn.execute(text("SHOW server_version")).scalar_one()
            # pg_dump reads in this transaction's snapshot: the dump and the counts are the same state.
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision, counts = _pg_counts(conn, schema)
            proc = subprocess.run([tool, "--format=custom", f"--schema={schema}", f"--snapshot={snapshot}",
                                   "--no-owner", "--no-privileges", f"--file={dest}", f"--dbname={conninfo}"],
                                  env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise _tool_failure("pg_dump", proc.stderr, server)
    return revision, counts, {"schema": schema, "server_version": server, "pg_dump_version": version}


# --- reading and checking a backup -------------------------------------------------------------------


class _Refused(KBError):
    pass


def _refuse(path: Path, why: str) -> _Refused:
    return _Refused(f"không khôi phục từ {path}: {why}; không thay đổi gì")


def _read_archive(path: Path, staging: Path) -> Manifest:
    """Unpack ``path`` into ``staging``, checking every member against the manifest (see the module's docstring)."""
    if not path.is_file():
        raise KBError(f"không tìm thấy tệp sao lưu: {path}")
    try:
        path.open("rb").close()
    except OSError as exc:
        raise KBError(f"không đọc được tệp sao lưu {path}: {exc.strerror}") from None
    sidecar = path.with_name(path.name + ".sha256")
    whole = hashlib.sha256()
    seen: dict[str, dict[str, Any]] = {}
    manifest_body: bytes | None = None
    manifest_sum: bytes | None = None
    foreign = "không phải tệp sao lưu của kb (tar.gz có manifest.json)"
    try:
        with open(path, "rb") as raw, gzip.GzipFile(fileobj=cast(IO[bytes], _HashingReader(raw, whole))) as gz:
            with tarfile.open(fileobj=gz, mode="r|") as tar:
                for info in tar:
                    name = info.name
                    if not info.isfile() or not _MEMBER_NAME.fullmatch(name) or ".." in name.split("/") or name in seen:
                        raise _refuse(path, f"{foreign}: có mục lạ {name[:80]!r}")
                    src = tar.extractfile(info)
                    assert src is not None
                    if name in (MANIFEST, MANIFEST_SUM):
                        if info.size > _MAX_MANIFEST:
                            raise _refuse(path, f"{name} quá lớn")
                        body = src.read()
                        if name == MANIFEST:
                            manifest_body = body
                        else:
                            manifest_sum = body
                        seen[name] = {}
                        continue
                    if manifest_body is not None:
                        raise _refuse(path, f"{foreign}: {name} đứng sau manifest.json")
                    target = staging / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    digest = hashlib.sha256()
                    size = 0
                    try:
                        out = open(target, "wb")
                    except OSError as exc:
                        raise KBError(f"không ghi được vào {staging}: {exc.strerror}") from None
                    with out:
                        while chunk := src.read(_CHUNK):
                            digest.update(chunk)
                            size += len(chunk)
                            try:
                                out.write(chunk)
                            except OSError as exc:
                                raise KBError(f"không ghi được vào {staging}: {exc.strerror}") from None
                    seen[name] = {"size": size, "sha256": digest.hexdigest()}
            # To the end of the gzip stream: its length and CRC are checked there (a cut or flipped byte after
            # the tar's last block), and every byte counts in the whole-file checksum.
            while gz.read(_CHUNK):
                pass
            if raw.read(1):
                raise _refuse(path, "có dữ liệu thừa sau cuối tệp nén")
    except KBError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        # gzip's CRC, a truncated stream, a tar header's checksum, a zip or any other file
        raise _refuse(path, f"tệp hỏng, bị cắt cụt hoặc không phải tệp sao lưu ({type(exc).__name__}: {exc})") from None
    if sidecar.is_file():
        expected = sidecar.read_text("utf-8", errors="replace").split()[:1]
        if expected != [whole.hexdigest()]:
            raise _refuse(path, f"tổng kiểm sha256 của cả tệp không khớp {sidecar.name}: tệp đã bị thay đổi hoặc hỏng")
    if manifest_body is None:
        raise _refuse(path, f"{foreign}: thiếu manifest.json")
    if manifest_sum is None or manifest_sum.split()[:1] != [hashlib.sha256(manifest_body).hexdigest().encode()]:
        raise _refuse(path, "manifest.json không khớp tổng kiểm manifest.sha256: tệp hỏng")
    try:
        doc = json.loads(manifest_body)
        if doc.get("format") != FORMAT:
            raise _refuse(path, f"{foreign}: manifest.json có format {doc.get('format')!r}")
        if doc.get("version") != VERSION:
            raise _refuse(path, f"định dạng sao lưu phiên bản {doc.get('version')!r}, chương trình này đọc phiên bản {VERSION}")
        database = doc["database"]
        manifest = Manifest(created_at=str(doc["created_at"]), app_version=str(doc.get("app_version")),
                            kind=database["kind"], revision=database.get("alembic_revision"),
                            row_counts={str(k): int(v) for k, v in doc["row_counts"].items()},
                            members={str(k): dict(v) for k, v in doc["members"].items()},
                            schema=database.get("schema"),
                            extra={k: v for k, v in database.items() if k not in ("kind", "alembic_revision", "schema")})
    except _Refused:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _refuse(path, f"manifest.json không đọc được ({type(exc).__name__}: {exc})") from None
    data = {k: v for k, v in seen.items() if k not in (MANIFEST, MANIFEST_SUM)}
    if set(data) != set(manifest.members):
        missing = sorted(set(manifest.members) - set(data))
        extra = sorted(set(data) - set(manifest.members))
        raise _refuse(path, f"các mục không khớp manifest (thiếu {missing[:3]}, thừa {extra[:3]})")
    for name, got in data.items():
        want = manifest.members[name]
        if got.get("sha256") != want.get("sha256") or got.get("size") != want.get("size"):
            raise _refuse(path, f"tổng kiểm sha256 của {name} không khớp: tệp hỏng")
    expected_db = {"sqlite": SQLITE_MEMBER, "postgresql": PGDUMP_MEMBER}.get(manifest.kind)
    if expected_db is None or expected_db not in data:
        raise _refuse(path, f"không có cơ sở dữ liệu loại {manifest.kind!r} trong tệp")
    return manifest


def _known_revision(engine: Engine, revision: str | None, path: Path) -> None:
    """A backup from newer code (a revision this code's migrations do not know) is refused."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if revision is None:
        raise _refuse(path, "cơ sở dữ liệu trong tệp không có phiên bản lược đồ (alembic_version)")
    script = ScriptDirectory.from_config(db.alembic_config(engine))
    try:
        known = script.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise _refuse(path, f"lược đồ {revision} mới hơn chương trình này (đầu: {script.get_current_head()}); "
                            "cập nhật chương trình trước khi khôi phục")


# --- restore -----------------------------------------------------------------------------------------


def restore(kbase: KnowledgeBase, path: Path, confirm: Callable[[Manifest], bool] | None = None,
            check_only: bool = False) -> Result:
    """Put the knowledge base back as ``path`` holds it (see the module's docstring).

    Everything is checked first; ``confirm(manifest)`` is asked after the checks and before any change
    (False: nothing changes). ``check_only``: check and stop. The web server should be stopped meanwhile.
    """
    started = time.perf_counter()
    path = Path(path)
    kind = _kind(kbase)
    data_dir = kbase.settings.data_dir
    made_data_dir = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))  # same filesystem: renames are atomic
    changed = False
    try:
        manifest = _read_archive(path, staging)
        if manifest.kind != kind:
            raise _refuse(path, f"tệp chứa cơ sở dữ liệu {manifest.kind}, nơi khôi phục là {kind} "
                                "(đổi giữa SQLite và PostgreSQL không được hỗ trợ)")
        _known_revision(kbase.engine, manifest.revision, path)
        if kind == "sqlite":
            _check_sqlite(staging / SQLITE_MEMBER, manifest, path)
        else:
            _check_pg(kbase, staging / PGDUMP_MEMBER, manifest, path)
        if kind == "sqlite" and not check_only:
            _refuse_if_open_elsewhere(_sqlite_path(kbase), path)
        size = path.stat().st_size
        if check_only:
            return Result(path=path, size=size, manifest=manifest, seconds=time.perf_counter() - started)
        if confirm is not None and not confirm(manifest):
            raise KBError("đã hủy khôi phục; không thay đổi gì")
        changed = True
        kbase.dispose()
        if kind == "sqlite":
            _swap_sqlite(kbase, staging / SQLITE_MEMBER)
        else:
            _swap_pg(kbase, staging / PGDUMP_MEMBER, manifest)
        for d in FILE_DIRS:
            _swap_dir(staging / d, data_dir / d, staging)
        # A fresh engine on the restored database: upgrade an older backup's schema, rebuild the index.
        fresh = KnowledgeBase(kbase.settings)
        try:
            fresh.init()
            with fresh.engine.connect() as conn:
                after = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            from kb import search

            index = search.reindex(fresh)
        finally:
            fresh.dispose()
        return Result(path=path, size=size, manifest=manifest, seconds=time.perf_counter() - started,
                      revision_after=after, index=index)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if made_data_dir and not changed:
            try:
                data_dir.rmdir()
            except OSError:
                pass


def _check_sqlite(dbfile: Path, manifest: Manifest, path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{dbfile}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            if ok != "ok":
                raise _refuse(path, f"cơ sở dữ liệu trong tệp hỏng: {ok}")
            revision, counts = _sqlite_facts(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _refuse(path, f"cơ sở dữ liệu trong tệp không mở được: {exc}") from None
    if revision != manifest.revision or counts != manifest.row_counts:
        raise _refuse(path, "cơ sở dữ liệu trong tệp không khớp manifest (phiên bản lược đồ hoặc số bản ghi)")


def _processes_holding(files: list[Path]) -> list[str]:
    """Other processes with one of ``files`` open (Linux ``/proc``; others' fds need the same user or root),
    as ``pid (command)``. Best effort: nothing is found where ``/proc`` cannot be read."""
    wanted = {str(f.resolve()) for f in files}
    found = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        pid = fd_dir.parent.name
        if pid == str(os.getpid()):
            continue
        try:
            if any(os.readlink(fd) in wanted for fd in fd_dir.iterdir()):
                cmd = (fd_dir.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                found.append(f"pid {pid} ({cmd[:60]})")
        except OSError:
            continue
    return found


def _refuse_if_open_elsewhere(db_path: Path, path: Path) -> None:
    """A web server (or any process) with the SQLite file open would go on writing to the replaced file."""
    holders = _processes_holding([db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")])
    if holders:
        raise _refuse(path, f"cơ sở dữ liệu {db_path} đang được tiến trình khác mở ({', '.join(holders[:3])}); "
                            "hãy dừng trang web trước khi khôi phục")


def _swap_sqlite(kbase: KnowledgeBase, staged: Path) -> None:
    target = _sqlite_path(kbase)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        try:  # fold the old WAL into its file first, so nothing half-applied lingers if we stop midway
            old = sqlite3.connect(str(target), timeout=db.LOCK_WAIT_SECONDS)
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            old.close()
        except sqlite3.Error:
            pass
    # A stale -wal beside the new file would be replayed onto it: remove before the rename.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    if staged.parent.stat().st_dev != target.parent.stat().st_dev:
        # KB_DATABASE_URL names a file on another filesystem than the data dir: copy beside it, then rename
        beside = target.with_name(f".{target.name}.restore-{uuid.uuid4().hex[:8]}")
        shutil.copyfile(staged, beside)
        staged = beside
    with open(staged, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(staged, target)
    _fsync_dir(target.parent)


def _swap_dir(staged: Path, target: Path, staging: Path) -> None:
    staged.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        os.replace(target, staging / f"old-{target.name}-{uuid.uuid4().hex[:8]}")
    os.replace(staged, target)


def _check_pg(kbase: KnowledgeBase, dump: Path, manifest: Manifest, path: Path) -> None:
    tool = _pg_tool("pg_restore")
    proc = subprocess.run([tool, "--list", str(dump)], capture_output=True, text=True)
    if proc.returncode != 0:
        said = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise _refuse(path, f"bản pg_dump trong tệp không đọc được bằng {tool} (phiên bản cũ hơn bản đã ghi?): {said}")
    with kbase.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    if manifest.schema != schema:
        raise _refuse(path, f"bản sao lưu là của lược đồ PostgreSQL {manifest.schema!r}, nơi khôi phục dùng {schema!r}")


def _swap_pg(kbase: KnowledgeBase, dump: Path, manifest: Manifest) -> None:
    """Move the live schema aside, restore the dump in one transaction, check its row counts, drop the old one.

    Any failure puts the old schema back, so a failed restore leaves the database as it was.
    """
    schema = manifest.schema
    assert schema
    aside = f"{schema[:40]}_before_restore_{uuid.uuid4().hex[:8]}"
    conninfo, env = _conninfo(kbase)
    admin = create_engine(kbase.settings.db_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SET lock_timeout = '30s'"))
            exists = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
            if exists:
                conn.execute(text(f'ALTER SCHEMA "{schema}" RENAME TO "{aside}"'))
            try:
                proc = subprocess.run([_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
                                       "--exit-on-error", f"--dbname={conninfo}", str(dump)],
                                      env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise _tool_failure("pg_restore", proc.stderr)
                revision, counts = _pg_counts(conn, schema)
                if revision != manifest.revision or counts != manifest.row_counts:
                    raise KBError("cơ sở dữ liệu khôi phục không khớp manifest (phiên bản lược đồ hoặc số bản ghi)")
            except BaseException:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                if exists:
                    conn.execute(text(f'ALTER SCHEMA "{aside}" RENAME TO "{schema}"'))
                raise
            if exists:
                conn.execute(text(f'DROP SCHEMA "{aside}" CASCADE'))
    finally:
        admin.dispose()
