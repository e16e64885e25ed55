"""`kb notify` as cron runs it: a sender killed (SIGKILL) between the SMTP server's acceptance and its own
mark loses no mail and sends none as a second notice; two `kb notify` at once send each mail once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

from sqlmodel import select

from kb import outbox, subscriptions
from kb.models import FollowKind, MailKind, MailStatus, OutboxMail, Subscription
from tests.support.records import make_product
from tests.support.smtp import Received, SmtpServer

MAILS = 120


def _env(kb, smtp_url: str) -> dict[str, str]:
    s = kb.settings
    env = {**os.environ, "KB_DATA_DIR": str(s.data_dir), "KB_SECRET_KEY": s.secret_key, "KB_SMTP_URL": smtp_url,
           "KB_PUBLIC_URL": "https://tieuchuan.bacninh.example", "KB_NOTICE_HOLD_SECONDS": "0"}
    if s.database_url:
        env["KB_DATABASE_URL"] = s.database_url
    return env


def _queue_confirms(kb, n: int) -> set[str]:
    """``n`` confirmation mails waiting in the outbox; their Message-IDs."""
    with kb.session() as session:
        product = make_product(session, "Nước mắm cốt")
        tgt = subscriptions.target(session, FollowKind.product, str(product.id))
        for i in range(n):
            sub = Subscription(email=f"u{i}@example.vn", target_kind=tgt.kind, target_key=tgt.key,
                               target_label=tgt.label, nonce=f"n{i}")
            session.add(sub)
            session.flush()
            outbox.queue(session, sub, MailKind.confirm, [], "example")
    with kb.session() as session:
        return set(session.exec(select(OutboxMail.message_id)).all())


def _notify(kb, smtp_url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "web.cli", "notify"], env=_env(kb, smtp_url),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_sender_killed_between_send_and_mark_loses_nothing_and_repeats_nothing(any_kbase):
    kb = any_kbase
    queued = _queue_confirms(kb, MAILS)
    proc: list[subprocess.Popen] = []

    def kill_on_the_40th(got: Received) -> None:
        if len(smtp.inbox.received) == 40:  # the server has the mail; the sender has not marked it
            os.kill(proc[0].pid, signal.SIGKILL)

    with SmtpServer() as smtp:
        smtp.inbox.on_data = kill_on_the_40th
        proc.append(_notify(kb, smtp.url))
        proc[0].communicate(timeout=120)
        assert proc[0].returncode == -signal.SIGKILL
        with kb.session() as session:
            in_flight = session.exec(select(OutboxMail).where(OutboxMail.status == MailStatus.sending)).all()
            assert in_flight, "the kill left claimed mails behind"
        smtp.inbox.on_data = None
        again = _notify(kb, smtp.url)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        received = smtp.inbox.wait_for(MAILS)
    ids = Counter(r.message_id for r in received)
    assert set(ids) == queued  # none lost
    repeated = [i for i, n in ids.items() if n > 1]
    # Only the mail in flight at the kill went twice, with its one Message-ID: one message to its reader.
    assert len(repeated) <= 1 and all(ids[i] == 2 for i in repeated)
    with kb.session() as session:
        assert {m.status for m in session.exec(select(OutboxMail)).all()} == {MailStatus.sent}


def test_two_notify_processes_at_once_send_each_mail_once(any_kbase):
    kb = any_kbase
    queued = _queue_confirms(kb, MAILS)
    with SmtpServer() as smtp:
        procs = [_notify(kb, smtp.url) for _ in range(2)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        received = smtp.inbox.wait_for(MAILS)
    ids = [r.message_id for r in received]
    assert len(ids) == MAILS and set(ids) == queued


def test_notify_with_the_mail_server_down_says_so_in_one_line_and_keeps_the_mail(any_kbase):
    kb = any_kbase
    _queue_confirms(kb, 3)
    p = _notify(kb, "smtp://127.0.0.1:1")
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1
    assert err.count("\n") == 1 and "không kết nối được máy chủ thư" in err and "Traceback" not in err
    with kb.session() as session:
        assert {m.status for m in session.exec(select(OutboxMail)).all()} == {MailStatus.pending}


def test_a_bad_smtp_url_is_one_line(kbase):
    _queue_confirms(kbase, 1)
    p = _notify(kbase, "http://mail.example")
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1 and err.count("\n") == 1 and "KB_SMTP_URL" in err, err
