"""Following a record by e-mail, without an account: double opt-in, signed links, one-click unsubscribe.

An address asks to follow a product, a group, a standard, a legal document or an HS code
(:func:`subscribe`); a confirmation mail goes out with a signed link, and nothing else is sent until it is
followed (:func:`confirm`). Every mail carries a signed unsubscribe link (:func:`unsubscribe`). The links
sign the subscription's id and a nonce with ``KB_SECRET_KEY``: a new nonce (a re-subscription) voids
every link sent before.

Nothing here tells a caller whether an address follows anything: :func:`subscribe` answers the same for
a new, a pending, a confirmed or a refused address, and the per-address limit drops requests silently.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, col, func, select

from kb import hs, outbox
from kb.errors import BadInput, NotFound
from kb.models import (
    Digest,
    FollowKind,
    MailKind,
    MailStatus,
    OutboxMail,
    Product,
    ProductGroup,
    Subscription,
    SubscriptionStatus,
    utcnow,
)
from kb.text import clean, is_digits, nfc
from kb.urls import group_url, legal_url, product_url, standard_url

#: Confirmation mails one address may be sent in an hour, whatever it asks to follow: a stranger cannot
#: flood someone's inbox through the form.
CONFIRMS_PER_HOUR = 5

KIND_LABELS_VI = {"product": "sản phẩm", "group": "nhóm sản phẩm", "standard": "tiêu chuẩn",
                  "legal_document": "văn bản pháp lý", "hs_code": "mã HS"}
DIGEST_LABELS_VI = {"immediate": "ngay khi có thay đổi", "daily": "tóm tắt hằng ngày", "weekly": "tóm tắt hằng tuần"}


@dataclass(frozen=True)
class Target:
    """A followable record: its kind, stored key, display label and page."""

    kind: FollowKind
    key: str
    label: str
    link: str


def parse_email(text: Any) -> str:
    """A deliverable-looking address, normalised (NFC, lower-cased: one person typing their address in two
    cases is one subscriber); BadInput otherwise."""
    raw = nfc(str(text or "")).strip()
    if not raw:
        raise BadInput("Cần nhập địa chỉ thư điện tử")
    if len(raw) > 254 or any(c in raw for c in "\r\n\0"):
        raise BadInput("Địa chỉ thư điện tử không hợp lệ")
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        raise BadInput("Địa chỉ thư điện tử không hợp lệ") from None
    return str(checked.normalized).lower()


def parse_digest(value: Any) -> Digest:
    try:
        return Digest(str(value or "immediate"))
    except ValueError:
        raise BadInput("Tần suất nhận thư phải là: ngay, hằng ngày hoặc hằng tuần") from None


def target(session: Session, kind: FollowKind | str, key: Any) -> Target:
    """The record ``key`` names (an id, a code in any spelling, HS digits with or without dots); NotFound
    when the knowledge base has no such record."""
    try:
        kind = FollowKind(kind)
    except ValueError:
        raise BadInput("Không theo dõi được loại bản ghi này") from None
    text = clean(str(key if key is not None else ""))[:120]
    if kind == FollowKind.group and not is_digits(text):  # a group may be named by its slug too
        from kb.groups import get_group

        found = get_group(session, text)
        if found is None:
            raise NotFound(f"Không có nhóm sản phẩm {text!r}")
        text = str(found.id)
    if kind in (FollowKind.product, FollowKind.group):
        if not text.isascii() or not text.isdigit():
            raise BadInput(f"Mã {KIND_LABELS_VI[kind.value]} phải là một số")
        missing = NotFound(f"Không có {KIND_LABELS_VI[kind.value]} #{text}")
        if kind == FollowKind.product:
            product = session.get(Product, int(text))
            if product is None:
                raise missing
            return Target(kind, text, product.name, product_url(int(text)))
        group = session.get(ProductGroup, int(text))
        if group is None:
            raise missing
        return Target(kind, text, group.name, group_url(group.slug))
    if kind == FollowKind.standard:
        from kb.standards import get_standard  # kb.standards imports the audit log, which imports kb.notices

        std = get_standard(session, text)
        if std is None:
            raise NotFound(f"Không có tiêu chuẩn {text!r}")
        return Target(kind, std.code_key, std.code, standard_url(std.code))
    if kind == FollowKind.legal_document:
        from kb.legal import get_document

        doc = get_document(session, text)
        if doc is None:
            raise NotFound(f"Không có văn bản {text!r}")
        return Target(kind, doc.code_key, doc.code, legal_url(doc.code))
    code = hs.normalize_hs(text)
    return Target(kind, code, f"mã HS {hs.dotted(code)}", f"/search?q={hs.dotted(code)}")


def lookup_key(sub: Subscription) -> str:
    """What finds the followed record again: ids and HS digits are their key; codes are their label."""
    if sub.target_kind in (FollowKind.standard, FollowKind.legal_document):
        return sub.target_label
    return sub.target_key


def followed(session: Session, sub: Subscription) -> Target | None:
    """The record ``sub`` follows as it is now; None when it is gone."""
    try:
        return target(session, sub.target_kind, lookup_key(sub))
    except (NotFound, BadInput):
        return None


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="kb-subscription")


def link_token(secret: str, sub: Subscription, action: str) -> str:
    """The signed token of ``action`` (``confirm`` or ``unsubscribe``) on ``sub``."""
    return str(_serializer(secret).dumps([action, sub.id, sub.nonce]))


def by_token(session: Session, secret: str, token: str, action: str) -> Subscription:
    """The subscription a link names; NotFound for a forged, altered or voided link (same answer for each)."""
    gone = NotFound("Liên kết không hợp lệ hoặc đã hết hiệu lực")
    try:
        got = _serializer(secret).loads(token[:400])
    except BadSignature:
        raise gone from None
    if not (isinstance(got, list) and len(got) == 3 and got[0] == action and isinstance(got[1], int)):
        raise gone
    sub = session.get(Subscription, got[1])
    if sub is None or not secrets.compare_digest(str(got[2]), sub.nonce):
        raise gone
    return sub


def _recent_confirms(session: Session, email: str, now: datetime) -> int:
    return session.exec(select(func.count()).select_from(OutboxMail).join(
        Subscription, col(Subscription.id) == OutboxMail.subscription_id).where(
        Subscription.email == email, OutboxMail.kind == MailKind.confirm,
        col(OutboxMail.created_at) >= now - timedelta(hours=1))).one()


def subscribe(session: Session, email: str, tgt: Target, digest: Digest, mail_domain: str,
              now: datetime | None = None) -> bool:
    """Ask ``email`` to confirm following ``tgt``; True when a confirmation mail was queued. A confirmed
    subscription is left as it is (its digest changes only through a confirmed link); the same answer
    goes back to the caller either way."""
    now = now or utcnow()
    sub = session.exec(select(Subscription).where(Subscription.email == email, Subscription.target_kind == tgt.kind,
                                                  Subscription.target_key == tgt.key)).first()
    if sub is not None and sub.status == SubscriptionStatus.confirmed:
        return False
    if _recent_confirms(session, email, now) >= CONFIRMS_PER_HOUR:
        return False
    if sub is None:
        sub = Subscription(email=email, target_kind=tgt.kind, target_key=tgt.key, nonce="")
    sub.target_label, sub.digest, sub.status = tgt.label[:300], digest, SubscriptionStatus.pending
    sub.nonce, sub.ended_at = secrets.token_urlsafe(24), None  # links sent before are void
    session.add(sub)
    session.flush()
    outbox.queue(session, sub, MailKind.confirm, [], mail_domain, now)
    return True


def confirm(session: Session, sub: Subscription, now: datetime | None = None) -> Subscription:
    """Follow the confirmation link: the subscription starts (again: a second click changes nothing)."""
    if sub.status == SubscriptionStatus.pending:
        now = now or utcnow()
        sub.status, sub.confirmed_at, sub.last_digest_at = SubscriptionStatus.confirmed, now, now
        session.add(sub)
    elif sub.status != SubscriptionStatus.confirmed:
        raise NotFound("Liên kết không hợp lệ hoặc đã hết hiệu lực")
    return sub


def unsubscribe(session: Session, sub: Subscription, now: datetime | None = None) -> Subscription:
    """End the subscription; mails not yet sent to it are cancelled. Idempotent."""
    if sub.status in (SubscriptionStatus.pending, SubscriptionStatus.confirmed):
        sub.status, sub.ended_at = SubscriptionStatus.unsubscribed, now or utcnow()
        session.add(sub)
        outbox.cancel_pending(session, sub.id or 0)
    return sub


def set_digest(session: Session, sub: Subscription, digest: Digest) -> Subscription:
    """Change how often a confirmed subscription is mailed (from a link in its own mail)."""
    if sub.status != SubscriptionStatus.confirmed:
        raise NotFound("Liên kết không hợp lệ hoặc đã hết hiệu lực")
    sub.digest = digest
    session.add(sub)
    return sub


def counts(session: Session) -> dict[str, int]:
    """Subscriptions by status, and mails waiting (for curators and metrics; no addresses)."""
    out = {s.value: 0 for s in SubscriptionStatus}
    for status, n in session.exec(select(Subscription.status, func.count()).group_by(Subscription.status)).all():
        out[status.value if hasattr(status, "value") else str(status)] = n
    out["mails_waiting"] = session.exec(select(func.count()).select_from(OutboxMail).where(
        col(OutboxMail.status).in_([MailStatus.pending, MailStatus.sending]))).one()
    return out
