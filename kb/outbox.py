"""The mail outbox: mails owed to subscribers, stored before anything is sent.

Rows are queued in the transaction that makes them owed (a subscription, a released notice, a digest
period over), so a crash loses none. A sender claims a few due rows in a short transaction of its own
(:func:`claim`): the claim is a conditional update, so two senders (two processes, two servers) never
claim the same row. Each mail is marked sent in its own transaction right after the SMTP server accepted
it; a sender killed in between leaves its rows ``sending`` with its host and pid, and the next sender on
that host takes them back at once when that process is gone (:func:`recover`), or when their lease ends.
Such a mail is sent again with the Message-ID it was given when queued: the reader's mail program shows
the two copies as one message. SMTP offers nothing stronger.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, update
from sqlmodel import Session, col, select

from kb import noticeboard
from kb.models import (
    Delivery,
    Digest,
    FollowKind,
    MailKind,
    MailStatus,
    Notice,
    NoticeStatus,
    NoticeSubject,
    OutboxMail,
    Subscription,
    SubscriptionStatus,
    utcnow,
)
from kb.text import is_digits

#: How long a claim holds before another sender may take the mail back.
LEASE = timedelta(minutes=10)
#: Tries before a mail is given up (a server refusing for good stops at once).
MAX_ATTEMPTS = 8
DIGEST_PERIODS = {Digest.daily: timedelta(days=1), Digest.weekly: timedelta(days=7)}


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def queue(session: Session, sub: Subscription, kind: MailKind, notice_ids: list[int], domain: str,
          now: datetime | None = None) -> OutboxMail:
    mail = OutboxMail(subscription_id=sub.id or 0, kind=kind, notice_ids=notice_ids,
                      message_id=new_message_id(domain), due_at=now or utcnow())
    session.add(mail)
    return mail


def cancel_pending(session: Session, subscription_id: int) -> None:
    """Mails not yet claimed for an ended subscription are not sent."""
    session.execute(update(OutboxMail).where(col(OutboxMail.subscription_id) == subscription_id,
                                             col(OutboxMail.status) == MailStatus.pending)
                    .values(status=MailStatus.cancelled, last_error="đã hủy theo dõi"))


# --- What is owed: released notices to their followers, digests -----------------------------------------


def _followers(session: Session, subjects: list[tuple[FollowKind, str]]) -> list[tuple[int, Digest]]:
    """Confirmed subscriptions to any of ``subjects`` (an HS code follows the codes above and under it)."""
    by_kind: dict[FollowKind, set[str]] = defaultdict(set)
    for kind, key in subjects:
        by_kind[FollowKind(kind)].add(key)
    hs_keys = by_kind.pop(FollowKind.hs_code, set())
    conds: list[Any] = [(col(Subscription.target_kind) == k) & col(Subscription.target_key).in_(sorted(keys))
                        for k, keys in by_kind.items()]
    if hs_keys:
        followed = {k for key in hs_keys for k in noticeboard.hs_family(key)}
        conds.append((col(Subscription.target_kind) == FollowKind.hs_code)
                     & or_(col(Subscription.target_key).in_(sorted(followed)),
                           *(col(Subscription.target_key).startswith(k) for k in sorted(hs_keys))))
    if not conds:
        return []
    rows = session.exec(select(Subscription.id, Subscription.digest).where(
        Subscription.status == SubscriptionStatus.confirmed, or_(*conds))).all()
    return [(i, Digest(d)) for i, d in rows if i is not None]


def fan_out(session: Session, domain: str, now: datetime | None = None, limit: int = 50) -> int:
    """For released notices not yet fanned out: a delivery for each following subscription, and a mail at
    once for those that want one per change. Returns the mails queued."""
    now = now or utcnow()
    queued = 0
    todo = session.exec(select(Notice).where(Notice.status == NoticeStatus.released,
                                             col(Notice.fanned_out_at).is_(None))
                        .order_by(col(Notice.id)).limit(limit)).all()
    for notice in todo:
        subjects = [(FollowKind(k), key) for k, key in session.exec(
            select(NoticeSubject.kind, NoticeSubject.key).where(NoticeSubject.notice_id == notice.id)).all()]
        followers = _followers(session, subjects)
        if followers:
            session.execute(insert(Delivery), [
                {"subscription_id": sid, "notice_id": notice.id, "mailed": digest == Digest.immediate, "created_at": now}
                for sid, digest in followers])
            mails = [{"subscription_id": sid, "kind": MailKind.notice, "notice_ids": [notice.id],
                      "message_id": new_message_id(domain), "status": MailStatus.pending, "attempts": 0,
                      "due_at": now, "created_at": now}
                     for sid, digest in followers if digest == Digest.immediate]
            if mails:
                session.execute(insert(OutboxMail), mails)
            queued += len(mails)
        notice.fanned_out_at = now
        session.add(notice)
    return queued


def queue_digests(session: Session, domain: str, now: datetime | None = None) -> int:
    """One mail per digest subscription whose period is over and that is owed notices."""
    now = now or utcnow()
    owed: dict[int, list[int]] = defaultdict(list)
    for sid, nid in session.exec(select(Delivery.subscription_id, Delivery.notice_id).where(
            col(Delivery.mailed).is_(False)).order_by(col(Delivery.id))).all():
        owed[sid].append(nid)
    if not owed:
        return 0
    subs = session.exec(select(Subscription).where(col(Subscription.id).in_(owed),
                                                   Subscription.status == SubscriptionStatus.confirmed)).all()
    queued = 0
    for sub in subs:
        period = DIGEST_PERIODS.get(sub.digest)
        if period is not None and sub.last_digest_at is not None and sub.last_digest_at + period > now:
            continue
        queue(session, sub, MailKind.digest, owed[sub.id or 0], domain, now)
        session.execute(update(Delivery).where(col(Delivery.subscription_id) == sub.id,
                                               col(Delivery.notice_id).in_(owed[sub.id or 0])).values(mailed=True))
        sub.last_digest_at = now
        session.add(sub)
        queued += 1
    return queued


# --- Claims ----------------------------------------------------------------------------------------------


def worker_name() -> str:
    """Who claims: host and pid (so a dead sender on this host is recognised), and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(session: Session, now: datetime | None = None) -> int:
    """Take back mails claimed by a sender that is gone (dead on this host, or its lease over)."""
    now = now or utcnow()
    host = socket.gethostname()[:60]
    back = []
    for mail in session.exec(select(OutboxMail).where(OutboxMail.status == MailStatus.sending)).all():
        owner_host, _, rest = (mail.claimed_by or "").partition(":")
        pid = rest.partition(":")[0]
        dead_here = owner_host == host and is_digits(pid) and not _alive(int(pid))
        if dead_here or mail.lease_until is None or mail.lease_until < now:
            back.append(mail.id)
    if back:
        session.execute(update(OutboxMail).where(col(OutboxMail.id).in_(back), col(OutboxMail.status) == MailStatus.sending)
                        .values(status=MailStatus.pending, claimed_by=None, lease_until=None,
                                last_error="người gửi dừng giữa chừng; gửi lại với cùng Message-ID"))
    return len(back)


def claim(session: Session, worker: str, n: int, now: datetime | None = None) -> list[OutboxMail]:
    """Up to ``n`` due mails, now ``worker``'s. The caller commits at once: the claim is what keeps another
    sender off them."""
    now = now or utcnow()
    ids = session.exec(select(OutboxMail.id).where(OutboxMail.status == MailStatus.pending,
                                                   col(OutboxMail.due_at) <= now)
                       .order_by(col(OutboxMail.due_at), col(OutboxMail.id)).limit(n)).all()
    if not ids:
        return []
    # The status test is made again under the row lock: of two senders that read the same ids, the second
    # finds them taken (PostgreSQL re-reads a row updated meanwhile; SQLite has one writer at a time).
    session.execute(update(OutboxMail).where(col(OutboxMail.id).in_(ids), col(OutboxMail.status) == MailStatus.pending)
                    .values(status=MailStatus.sending, claimed_by=worker, lease_until=now + LEASE))
    return list(session.exec(select(OutboxMail).where(OutboxMail.claimed_by == worker,
                                                      OutboxMail.status == MailStatus.sending)
                             .order_by(col(OutboxMail.id))).all())


def mark_sent(session: Session, mail_id: int, worker: str, subject: str, now: datetime | None = None) -> None:
    session.execute(update(OutboxMail).where(col(OutboxMail.id) == mail_id, col(OutboxMail.claimed_by) == worker)
                    .values(status=MailStatus.sent, sent_at=now or utcnow(), subject=subject[:300],
                            attempts=OutboxMail.attempts + 1, lease_until=None))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the n-th failed try, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


def mark_failed(session: Session, mail_id: int, worker: str, error: str, *, permanent: bool,
                now: datetime | None = None) -> None:
    """A try that failed: again later with backoff, or never (refused for good, or out of tries). A
    recipient refused for good ends its subscription as bounced."""
    now = now or utcnow()
    mail = session.get(OutboxMail, mail_id)
    if mail is None or mail.claimed_by != worker:
        return
    mail.attempts += 1
    mail.last_error, mail.claimed_by, mail.lease_until = error[:2000], None, None
    if permanent or mail.attempts >= MAX_ATTEMPTS:
        mail.status = MailStatus.failed
        if permanent:
            sub = session.get(Subscription, mail.subscription_id)
            if sub is not None and sub.status in (SubscriptionStatus.pending, SubscriptionStatus.confirmed):
                sub.status, sub.ended_at = SubscriptionStatus.bounced, now
                session.add(sub)
    else:
        mail.status, mail.due_at = MailStatus.pending, now + backoff(mail.attempts)
    session.add(mail)


def release_claim(session: Session, mail_ids: list[int], worker: str, error: str, now: datetime | None = None) -> None:
    """Give back mails not tried (the server could not be reached): due again after a short wait."""
    if not mail_ids:
        return
    for mail_id in mail_ids:
        mark_failed(session, mail_id, worker, error, permanent=False, now=now)
