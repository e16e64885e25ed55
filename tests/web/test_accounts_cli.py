"""`kb users passwd NAME --password-stdin` as an operator runs it: a real process, the password on stdin
only, one line on stderr and a non-zero exit on any refusal, the password never printed."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from kb.config import Settings
from kb.core import KnowledgeBase
from kb.models import AuditEvent, User
from kb.users import authenticate
from tests.web.test_cli import run_kb

OLD, NEW = "mật-khẩu-cũ-đủ-dài", "mật-khẩu-mới-đủ-dài"


@pytest.fixture
def account(settings):
    added = run_kb(settings, "users", "add", "curator1", "--role", "curator", "--password-stdin", stdin=f"{OLD}\n")
    assert added.returncode == 0, added.stderr
    return "curator1"


def _can_login(settings, username, password) -> bool:
    kbase = KnowledgeBase(Settings(data_dir=settings.data_dir, database_url=None, secret_key="test"))
    try:
        with kbase.session() as s:
            return authenticate(s, username, password) is not None
    finally:
        kbase.dispose()


def test_passwd_reads_stdin_changes_the_password_and_audits_without_it(settings, account):
    r = run_kb(settings, "users", "passwd", account, "--password-stdin", stdin=f"{NEW}\r\n")
    assert r.returncode == 0, r.stderr
    assert "curator1" in r.stdout and NEW not in r.stdout + r.stderr
    assert _can_login(settings, account, NEW) and not _can_login(settings, account, OLD)
    kbase = KnowledgeBase(Settings(data_dir=settings.data_dir, database_url=None, secret_key="test"))
    with kbase.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "user").order_by(AuditEvent.id.desc())).first()
        stored = s.exec(select(User).where(User.username == account)).one()
        assert stored.session_version == 2  # every session of the account ends
    kbase.dispose()
    assert event.actor == "cli" and "curator1" in event.summary
    dumped = json.dumps([event.before, event.after, event.summary], ensure_ascii=False)
    assert NEW not in dumped and stored.password_hash not in dumped


@pytest.mark.parametrize("args, stdin, fragment, code", [
    (("users", "passwd", "curator1"), f"{NEW}\n", "--password-stdin", 1),
    (("users", "passwd", "nobody", "--password-stdin"), f"{NEW}\n", "nobody", 1),
    (("users", "passwd", "curator1", "--password-stdin"), "ngắn\n", "ít nhất 10 ký tự", 1),
    (("users", "passwd", "curator1", "--password-stdin"), "", "ít nhất 10 ký tự", 1),
    (("users", "passwd", "curator1", "--password-stdin"), "CURATOR1\n", "ít nhất 10 ký tự", 1),
    (("users", "passwd", "curator1", "--password-stdin"), "curator1-x\n", None, 0),
    (("users", "passwd", "--password-stdin"), f"{NEW}\n", None, 2),  # no name: a usage error (typer's own)
])
def test_passwd_refusals_are_one_line_without_traceback(settings, account, args, stdin, fragment, code):
    r = run_kb(settings, *args, stdin=stdin)
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr and NEW not in r.stdout + r.stderr
    if code == 1:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("kb: ") and fragment in lines[0], r.stderr
        assert _can_login(settings, account, OLD)  # nothing changed
    elif fragment:
        assert fragment in r.stderr


def test_passwd_refuses_the_name_as_password(settings):
    added = run_kb(settings, "users", "add", "nguoidungdai", "--role", "curator", "--password-stdin", stdin=f"{OLD}\n")
    assert added.returncode == 0, added.stderr
    r = run_kb(settings, "users", "passwd", "nguoidungdai", "--password-stdin", stdin="NguoiDungDai\n")
    assert r.returncode == 1 and r.stderr.strip() == "kb: mật khẩu không được trùng với tên đăng nhập"
    assert _can_login(settings, "nguoidungdai", OLD)


def test_passwd_refuses_bytes_that_are_not_utf8_without_quoting_them(settings, account):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KB_DATA_DIR": str(settings.data_dir), "KB_SECRET_KEY": "test", "PYTHONIOENCODING": "utf-8"}
    env.pop("KB_DATABASE_URL", None)
    r = subprocess.run([sys.executable, "-m", "web.cli", "users", "passwd", account, "--password-stdin"],
                       input=b"secret\xff\xfe-password\n", capture_output=True, env=env, timeout=120)
    err = r.stderr.decode()
    assert r.returncode == 1 and err.strip() == "kb: mật khẩu đọc từ stdin không phải văn bản UTF-8"
    assert "secret" not in err


def test_passwd_lifts_the_temporary_password_mark(settings, account):
    """An operator setting the password by hand ends the wait for the user's own (no web round needed)."""
    from kb import users

    kbase = KnowledgeBase(Settings(data_dir=settings.data_dir, database_url=None, secret_key="test"))
    with kbase.session() as s:
        admin = users.add_user(s, "admin1", "quản-trị-đủ-dài", "admin")
        target = s.exec(select(User).where(User.username == account)).one()
        users.reset_password(s, target.id, None, actor=admin)
    with kbase.session() as s:
        assert s.exec(select(User).where(User.username == account)).one().must_change_password
    r = run_kb(settings, "users", "passwd", account, "--password-stdin", stdin=f"{NEW}\n")
    assert r.returncode == 0, r.stderr
    with kbase.session() as s:
        assert not s.exec(select(User).where(User.username == account)).one().must_change_password
    kbase.dispose()
