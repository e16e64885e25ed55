"""Sending what the outbox holds: one round of the delivery loop, and the SMTP connection it uses.

A round (:func:`run_once`, what ``kb notify`` runs and ``kb serve`` repeats in the background) finds the
dated notices (``kb.notices.scan_dates``), releases the notices whose hold is over, owes them to their
followers (``kb.outbox.fan_out``), queues the digests that are due, then sends the due mails through
``KB_SMTP_URL``. Each step commits on its own, so a crash in one loses nothing of the others. With no
SMTP server configured, everything but the sending happens: the outbox fills and the feeds stay current.

Mails are rendered when sent, in Vietnamese, with absolute links built from ``KB_PUBLIC_URL``; each
carries a one-click unsubscribe link and the ``List-Unsubscribe`` headers (RFC 8058).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from html import escape
from urllib.parse import unquote, urlsplit

from sqlalchemy import update
from sqlmodel import Session, col, select

from kb import noticeboard, notices, outbox, subscriptions
from kb.config import SITE_NAME
from kb.core import KnowledgeBase
from kb.errors import BadInput
from kb.models import MailKind, MailStatus, Notice, NoticeStatus, OutboxMail, Subscription, SubscriptionStatus, utcnow

log = logging.getLogger(__name__)
#: Mails one sender claims at a time (one SMTP connection carries them).
BATCH = 50
SMTP_TIMEOUT = 30


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    user: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpConfig:
    """``smtp://[user:password@]host[:port]`` (STARTTLS when offered) or ``smtps://…`` (TLS from the start)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise BadInput("KB_SMTP_URL phải có dạng smtp://máy-chủ:cổng hoặc smtps://máy-chủ:cổng")
    try:
        port = parts.port
    except ValueError:
        raise BadInput("KB_SMTP_URL: cổng không hợp lệ") from None
    implicit = parts.scheme == "smtps"
    return SmtpConfig(parts.hostname, port or (465 if implicit else 25), implicit,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


def mail_domain(mail_from: str) -> str:
    """The domain Message-IDs are made under: the sender's."""
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


def _connect(cfg: SmtpConfig) -> smtplib.SMTP:
    context = ssl.create_default_context()
    conn: smtplib.SMTP
    if cfg.implicit_tls:
        conn = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=SMTP_TIMEOUT, context=context)
    else:
        conn = smtplib.SMTP(cfg.host, cfg.port, timeout=SMTP_TIMEOUT)
    try:
        if not cfg.implicit_tls:
            conn.ehlo()
            if conn.has_extn("starttls"):
                conn.starttls(context=context)
                conn.ehlo()
        if cfg.user:
            conn.login(cfg.user, cfg.password or "")
    except BaseException:
        conn.close()  # a refused login or handshake must not leave the socket open
        raise
    return conn


# --- Rendering ------------------------------------------------------------------------------------------


@dataclass
class Rendered:
    subject: str
    lines: list[str]
    items: list[tuple[str, str]] = field(default_factory=list)  # (sentence, absolute link)


def _links(secret: str, base: str, sub: Subscription) -> tuple[str, str]:
    return (f"{base}/subscriptions/confirm/{subscriptions.link_token(secret, sub, 'confirm')}",
            f"{base}/subscriptions/unsubscribe/{subscriptions.link_token(secret, sub, 'unsubscribe')}")


class Renderer:
    """Renders the mails of one batch in one session, reading each followed record and each set of notices
    once (ten thousand mails about one change share both)."""

    def __init__(self, session: Session, secret: str, base: str, mail_from: str):
        self.session, self.secret, self.base, self.mail_from = session, secret, base, mail_from
        self._targets: dict[tuple[str, str], str] = {}
        self._notices: dict[tuple[int, ...], list[Notice]] = {}

    def target_link(self, sub: Subscription) -> str:
        key = (sub.target_kind.value, sub.target_key)
        if key not in self._targets:
            tgt = subscriptions.followed(self.session, sub)
            self._targets[key] = self.base + (tgt.link if tgt is not None else "/")
        return self._targets[key]

    def notices(self, ids: list[int]) -> list[Notice]:
        key = tuple(sorted(ids))
        if key not in self._notices:
            self._notices[key] = list(self.session.exec(
                select(Notice).where(col(Notice.id).in_(key), Notice.status == NoticeStatus.released)
                .order_by(col(Notice.id))).all())
        return self._notices[key]

    def render(self, mail: OutboxMail, sub: Subscription | None = None) -> Outgoing | None:
        """The mail as it goes out now; None when it should not go (its subscription ended, its notices were
        withdrawn)."""
        sub = sub or self.session.get(Subscription, mail.subscription_id)
        if sub is None:
            return None
        confirm_url, unsub_url = _links(self.secret, self.base, sub)
        followed = f"{subscriptions.KIND_LABELS_VI[sub.target_kind.value]} {sub.target_label}"
        if mail.kind == MailKind.confirm:
            if sub.status != SubscriptionStatus.pending:
                return None
            r = Rendered(f"Xác nhận theo dõi {followed}", [
                f"Có người (có thể là bạn) đã đăng ký địa chỉ này để nhận thông báo khi có thay đổi về {followed} "
                f"trên trang {SITE_NAME}.",
                f"Để xác nhận, mở liên kết: {confirm_url}",
                "Nếu không phải bạn đăng ký, hãy bỏ qua thư này: bạn sẽ không nhận thêm thư nào."])
        else:
            items = self.notices(mail.notice_ids) if sub.status == SubscriptionStatus.confirmed else []
            if not items:
                return None
            subject = items[0].title if len(items) == 1 else f"{len(items)} thay đổi về {followed}"
            r = Rendered(subject, [f"Bạn đang theo dõi {followed}: {self.target_link(sub)}"],
                         [(n.sentence, self.base + n.link) for n in items])
        return _message(r, sub, mail.message_id, unsub_url, self.mail_from)


#: The classic policy with SMTP's CRLF line ends (smtplib sends bytes as they are), folding only past SMTP's
#: 998: a folded List-Unsubscribe would be read back with a leading space.
SMTP_LINES = compat32.clone(linesep="\r\n", max_line_length=998)


@dataclass(frozen=True)
class Outgoing:
    """A mail ready for the SMTP server: its envelope recipient, subject (for the outbox row) and bytes."""

    to: str
    subject: str
    data: bytes


def _message(r: Rendered, sub: Subscription, message_id: str, unsub_url: str, mail_from: str) -> Outgoing:
    # Built with the email package's classic API: the modern one re-parses and folds every header, which cost
    # 15 ms a mail here (10,000 followers, 2.5 minutes of CPU); this costs about 1 ms.
    footer = (f"Nhận thư: {subscriptions.DIGEST_LABELS_VI[sub.digest.value]}. "
              f"Ngừng theo dõi (một lần bấm): {unsub_url}")
    text = r.lines[:1] + [f"- {s}\n  {link}" for s, link in r.items] + r.lines[1:] + ["", footer]
    html_items = "".join(f'<li>{escape(s)} <a href="{escape(link)}">Xem</a></li>' for s, link in r.items)
    html = (f'<html lang="vi"><body><p>{"</p><p>".join(escape(x) for x in r.lines)}</p>'
            + (f"<ul>{html_items}</ul>" if html_items else "")
            + f'<p><small>{escape(footer)}</small></p></body></html>')
    msg = MIMEMultipart("alternative")
    name, address = parseaddr(mail_from)
    msg["From"] = formataddr((name, address), charset="utf-8")
    msg["To"] = sub.email
    msg["Subject"] = Header(r.subject, "utf-8", maxlinelen=998).encode()
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(utcnow())
    msg["Auto-Submitted"] = "auto-generated"
    msg["List-Unsubscribe"] = f"<{unsub_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.attach(MIMEText("\n\n".join(text), "plain", "utf-8"))
    msg.attach(MIMEText(html, "html", "utf-8"))
    return Outgoing(sub.email, r.subject, msg.as_bytes(policy=SMTP_LINES))


def render(session: Session, mail: OutboxMail, secret: str, base: str, mail_from: str) -> Outgoing | None:
    """One mail as it goes out now (see :class:`Renderer`)."""
    return Renderer(session, secret, base, mail_from).render(mail)


# --- One round ------------------------------------------------------------------------------------------


@dataclass
class Round:
    found: int = 0
    released: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    retry: int = 0
    cancelled: int = 0
    error: str | None = None  # why sending stopped (the server could not be reached)

    def line(self) -> str:
        said = (f"thông báo mới {self.found}, phát hành {self.released}, thư xếp hàng {self.queued}, "
                f"đã gửi {self.sent}, gửi lại sau {self.retry}, thất bại {self.failed}, bỏ {self.cancelled}")
        return said + (f"; lỗi: {self.error}" if self.error else "")


def prepare(kbase: KnowledgeBase, now: datetime | None = None) -> Round:
    """Everything but sending: dated notices, releases, fan-out, digests (each its own transaction)."""
    now = now or utcnow()
    settings = kbase.settings
    domain = mail_domain(settings.mail_from)
    r = Round()
    with kbase.session() as session:
        r.found = notices.scan_dates(session, now.date())
    with kbase.session() as session:
        r.released = len(noticeboard.release_due(session, now, timedelta(seconds=settings.notice_hold_seconds)))
    while True:  # in bounded transactions (each marks its notices done) until none is left
        with kbase.session() as session:
            r.queued += outbox.fan_out(session, domain, now)
            left = session.exec(select(Notice.id).where(Notice.status == NoticeStatus.released,
                                                        col(Notice.fanned_out_at).is_(None)).limit(1)).first()
        if left is None:
            break
    with kbase.session() as session:
        r.queued += outbox.queue_digests(session, domain, now)
    return r


def send_due(kbase: KnowledgeBase, r: Round, worker: str | None = None, limit: int | None = None,
             now: datetime | None = None) -> Round:
    """Send the mails due at ``now``, batch by batch, until none is left (or ``limit`` were tried)."""
    settings = kbase.settings
    if not settings.smtp_url:
        return r
    cfg = parse_smtp_url(settings.smtp_url)
    worker = worker or outbox.worker_name()
    sender = parseaddr(settings.mail_from)[1] or "no-reply@localhost"
    tried = 0
    with kbase.session() as session:
        outbox.recover(session, now)
    while limit is None or tried < limit:
        with kbase.session() as session:
            batch = outbox.claim(session, worker, BATCH if limit is None else min(BATCH, limit - tried), now)
        if not batch:
            break
        tried += len(batch)
        if not _send_batch(kbase, cfg, sender, worker, batch, r):
            break
    return r


def _send_batch(kbase: KnowledgeBase, cfg: SmtpConfig, sender: str, worker: str, batch: list[OutboxMail],
                r: Round) -> bool:
    """Send one claimed batch over one connection; False when the server could not be reached."""
    settings = kbase.settings
    pending = [m.id or 0 for m in batch]
    try:
        conn = _connect(cfg)
    except (OSError, smtplib.SMTPException) as exc:
        return _give_back(kbase, r, pending, worker,
                          f"không kết nối được máy chủ thư {cfg.host}:{cfg.port} ({type(exc).__name__})")
    with kbase.session() as session:
        renderer = Renderer(session, settings.secret_key, settings.site_url, settings.mail_from)
        subs = {sub.id: sub for sub in session.exec(select(Subscription).where(
            col(Subscription.id).in_({m.subscription_id for m in batch}))).all()}
        messages = [renderer.render(m, subs.get(m.subscription_id)) for m in batch]
        dropped = [m.id or 0 for m, msg in zip(batch, messages, strict=True) if msg is None]
        if dropped:
            session.execute(update(OutboxMail).where(col(OutboxMail.id).in_(dropped)).values(
                status=MailStatus.cancelled, last_error="không còn gì để gửi"))
            r.cancelled += len(dropped)
            pending = [i for i in pending if i not in dropped]
    try:
        for mail, msg in zip(batch, messages, strict=True):
            if msg is None:
                continue
            try:
                conn.sendmail(sender, [msg.to], msg.data)
            except smtplib.SMTPRecipientsRefused as exc:
                code, said = next(iter(exc.recipients.values()))
                _failed(kbase, mail, worker, f"{code} {_text(said)}", code >= 500, r)
            except smtplib.SMTPResponseException as exc:
                _failed(kbase, mail, worker, f"{exc.smtp_code} {_text(exc.smtp_error)}",
                        exc.smtp_code >= 500, r)
            else:
                with kbase.session() as session:
                    outbox.mark_sent(session, mail.id or 0, worker, msg.subject)
                r.sent += 1
            pending.remove(mail.id or 0)
    except (OSError, smtplib.SMTPException) as exc:
        return _give_back(kbase, r, pending, worker, f"mất kết nối máy chủ thư ({type(exc).__name__})")
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
    return True


def _give_back(kbase: KnowledgeBase, r: Round, pending: list[int], worker: str, error: str) -> bool:
    """The server could not be reached (or went away): the mails not tried wait for a later round."""
    r.error = error
    with kbase.session() as session:
        outbox.release_claim(session, pending, worker, error)
    r.retry += len(pending)
    return False


def _text(said: bytes | str) -> str:
    return said.decode(errors="replace") if isinstance(said, bytes) else said


def _failed(kbase: KnowledgeBase, mail: OutboxMail, worker: str, error: str, permanent: bool, r: Round) -> None:
    with kbase.session() as session:
        outbox.mark_failed(session, mail.id or 0, worker, error, permanent=permanent)
    if permanent:
        r.failed += 1
    else:
        r.retry += 1


def run_once(kbase: KnowledgeBase, now: datetime | None = None) -> Round:
    """One round of the delivery loop."""
    return send_due(kbase, prepare(kbase, now), now=now)


def loop(kbase: KnowledgeBase, stop: threading.Event) -> None:
    """``run_once`` every ``KB_NOTIFY_INTERVAL`` seconds until ``stop`` is set; a failed round is logged
    and the next one tries again (the outbox keeps what was owed)."""
    while not stop.is_set():
        try:
            r = run_once(kbase)
            if r.found or r.released or r.queued or r.sent or r.failed or r.error:
                log.info("thư theo dõi: %s", r.line())
        except Exception:  # a round must never end the loop: the next one retries from the outbox
            log.exception("vòng gửi thư theo dõi thất bại")
        stop.wait(max(kbase.settings.notify_interval, 1))
