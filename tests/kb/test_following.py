"""Following records by e-mail: notices born with the changes, double opt-in, delivery through a real SMTP
server on localhost (aiosmtpd), refusals, a server that is down, two senders at once, digests."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from kb import mailer, noticeboard, notices, outbox, subscriptions
from kb.errors import BadInput, Conflict, NotFound
from kb.models import (
    Digest,
    FollowKind,
    MailStatus,
    Notice,
    NoticeStatus,
    OutboxMail,
    Subscription,
    SubscriptionStatus,
    utcnow,
)
from tests.support.records import make_lab, make_mapping, make_product, make_scope, make_standard
from tests.support.smtp import SmtpServer

SECRET = "test-secret"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def kb(any_kbase, smtp):
    """A knowledge base that mails through the test's SMTP server, releasing notices at once."""
    s = any_kbase.settings
    s.smtp_url, s.public_url, s.notice_hold_seconds = smtp.url, "https://tieuchuan.bacninh.example", 0
    s.mail_from = "Tra cứu tiêu chuẩn <no-reply@tieuchuan.bacninh.example>"
    return any_kbase


def _follow(kb, email: str, kind: FollowKind, key: str, digest: Digest = Digest.immediate) -> Subscription:
    with kb.session() as session:
        tgt = subscriptions.target(session, kind, key)
        assert subscriptions.subscribe(session, subscriptions.parse_email(email), tgt, digest, "example")
    with kb.session() as session:
        return session.exec(select(Subscription).where(Subscription.email == email.lower(),
                                                       Subscription.target_key == tgt.key)).one()


def _confirmed(kb, smtp, email: str, kind: FollowKind, key: str, digest: Digest = Digest.immediate) -> Subscription:
    """Subscribe, receive the confirmation mail, follow its link."""
    before = len(smtp.inbox.received)
    _follow(kb, email, kind, key, digest)
    mailer.run_once(kb)
    mail = smtp.inbox.wait_for(before + 1)[-1]
    token = re.search(r"/subscriptions/confirm/(\S+)", mail.text()).group(1)
    with kb.session() as session:
        sub = subscriptions.confirm(session, subscriptions.by_token(session, SECRET, token, "confirm"))
    return sub


def _world(kb):
    with kb.session() as session:
        product = make_product(session, "Bánh phu thê Đình Bảng")
        std = make_standard(session, "TCVN 7087:2013", title_vi="Ghi nhãn thực phẩm bao gói sẵn")
        other = make_standard(session, "QCVN 8-2:2011/BYT", title_vi="Giới hạn ô nhiễm kim loại nặng trong thực phẩm")
        make_mapping(session, product, std, type="labelling")
        return product.id, std.id, other.id


def test_confirmation_mail_is_the_only_mail_until_the_link_is_followed(kb, smtp):
    pid, _, other_id = _world(kb)
    mailer.run_once(kb)  # the world's own notices go out to nobody
    _follow(kb, "Nguoi.Dung@Example.VN", FollowKind.product, str(pid))
    mailer.run_once(kb)
    [mail] = smtp.inbox.wait_for(1)
    assert mail.to == ["nguoi.dung@example.vn"]
    assert mail.message["Subject"] == "Xác nhận theo dõi sản phẩm Bánh phu thê Đình Bảng"
    body = mail.text()
    assert "https://tieuchuan.bacninh.example/subscriptions/confirm/" in body
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.message["List-Unsubscribe"].startswith("<https://tieuchuan.bacninh.example/subscriptions/unsubscribe/")

    # A change before confirming sends nothing.
    with kb.session() as session:
        from kb.models import Product, Standard
        make_mapping(session, session.get(Product, pid), session.get(Standard, other_id), type="mandatory")
    r = mailer.run_once(kb)
    assert r.released >= 1 and r.queued == 0 and len(smtp.inbox.received) == 1


def test_a_new_approved_mapping_reaches_the_follower_in_plain_vietnamese(kb, smtp):
    pid, _, other_id = _world(kb)
    mailer.run_once(kb)
    _confirmed(kb, smtp, "an@example.vn", FollowKind.product, str(pid))
    with kb.session() as session:
        from kb.models import Product, Standard
        make_mapping(session, session.get(Product, pid), session.get(Standard, other_id), type="mandatory")
    r = mailer.run_once(kb)
    assert (r.queued, r.sent) == (1, 1), r.line()
    mail = smtp.inbox.wait_for(2)[-1]
    assert mail.message["Subject"] == "Bánh phu thê Đình Bảng: thêm QCVN 8-2:2011/BYT"
    body = mail.text()
    assert "Bánh phu thê Đình Bảng có thêm yêu cầu QCVN 8-2:2011/BYT" in body
    assert f"https://tieuchuan.bacninh.example/products/{pid}" in body
    # A second round owes nothing more: no mail twice.
    assert mailer.run_once(kb).sent == 0


def test_standard_replaced_reaches_followers_of_the_standard_and_of_products_mapped_to_it(kb, smtp):
    pid, std_id, _ = _world(kb)
    mailer.run_once(kb)
    _confirmed(kb, smtp, "sp@example.vn", FollowKind.product, str(pid))
    _confirmed(kb, smtp, "tc@example.vn", FollowKind.standard, "tcvn 7087-2013")
    with kb.session() as session:
        new = make_standard(session, "TCVN 7087:2025", title_vi="Ghi nhãn thực phẩm bao gói sẵn")
        from kb.standards import add_relation
        add_relation(session, new.code, "replaces", "TCVN 7087:2013", actor="cur1")
    r = mailer.run_once(kb)
    assert r.sent == 2, r.line()
    got = {m.to[0]: m for m in smtp.inbox.wait_for(4)[-2:]}
    for m in got.values():
        assert "TCVN 7087:2013 (Ghi nhãn thực phẩm bao gói sẵn) đã bị thay thế bởi TCVN 7087:2025." in m.text()
    assert set(got) == {"sp@example.vn", "tc@example.vn"}


def test_unsubscribe_link_ends_it_and_cancels_what_was_waiting(kb, smtp):
    pid, _, other_id = _world(kb)
    mailer.run_once(kb)
    sub = _confirmed(kb, smtp, "an@example.vn", FollowKind.product, str(pid))
    with kb.session() as session:
        from kb.models import Product, Standard
        make_mapping(session, session.get(Product, pid), session.get(Standard, other_id), type="mandatory")
    kb.settings.smtp_url = None  # queued, not sent
    assert mailer.run_once(kb).queued == 1
    with kb.session() as session:
        token = subscriptions.link_token(SECRET, sub, "unsubscribe")
        subscriptions.unsubscribe(session, subscriptions.by_token(session, SECRET, token, "unsubscribe"))
    with kb.session() as session:
        statuses = {m.kind.value: m.status for m in session.exec(select(OutboxMail)).all()}
        assert statuses["notice"] == MailStatus.cancelled
        assert session.get(Subscription, sub.id).status == SubscriptionStatus.unsubscribed
        # The same link again is harmless; a forged or altered one is refused like an unknown one.
        subscriptions.unsubscribe(session, subscriptions.by_token(session, SECRET, token, "unsubscribe"))
        with pytest.raises(NotFound):
            subscriptions.by_token(session, SECRET, token[:-2] + "xx", "unsubscribe")
        with pytest.raises(NotFound):
            subscriptions.by_token(session, SECRET, token, "confirm")  # a link does one thing only
        with pytest.raises(NotFound):
            subscriptions.by_token(session, "another-secret", token, "unsubscribe")


def test_resubscribing_voids_old_links_and_a_confirmed_address_learns_nothing(kb, smtp):
    pid, _, _ = _world(kb)
    sub = _confirmed(kb, smtp, "an@example.vn", FollowKind.product, str(pid))
    with kb.session() as session:
        tgt = subscriptions.target(session, FollowKind.product, str(pid))
        # Asking again for a confirmed subscription queues nothing and changes nothing.
        assert not subscriptions.subscribe(session, "an@example.vn", tgt, Digest.weekly, "example")
        assert session.get(Subscription, sub.id).digest == Digest.immediate
    old = subscriptions.link_token(SECRET, sub, "unsubscribe")
    with kb.session() as session:
        subscriptions.unsubscribe(session, subscriptions.by_token(session, SECRET, old, "unsubscribe"))
    _follow(kb, "an@example.vn", FollowKind.product, str(pid))
    with kb.session() as session:
        with pytest.raises(NotFound):
            subscriptions.by_token(session, SECRET, old, "unsubscribe")


@pytest.mark.parametrize("bad", ["", "khong-phai-thu", "a@b", "an@example.vn\r\nBcc: x@y.vn", "a" * 300 + "@x.vn"])
def test_bad_addresses_are_refused_with_a_vietnamese_reason(bad):
    with pytest.raises(BadInput) as exc:
        subscriptions.parse_email(bad)
    assert "thư điện tử" in str(exc.value)


def test_unknown_targets_are_not_followed(kb):
    with kb.session() as session:
        for kind, key in [(FollowKind.product, "999"), (FollowKind.standard, "TCVN 99999:2099"),
                          (FollowKind.legal_document, "1/2099/TT-BKHCN"), (FollowKind.group, "77")]:
            with pytest.raises(NotFound):
                subscriptions.target(session, kind, key)
        with pytest.raises(BadInput):
            subscriptions.target(session, FollowKind.product, "²")
        assert subscriptions.target(session, FollowKind.hs_code, "8516.60.10").key == "85166010"


def test_per_address_limit_drops_requests_silently(kb):
    pid, _, _ = _world(kb)
    for _ in range(subscriptions.CONFIRMS_PER_HOUR):
        _follow(kb, "flood@example.vn", FollowKind.product, str(pid))
    with kb.session() as session:
        tgt = subscriptions.target(session, FollowKind.product, str(pid))
        assert not subscriptions.subscribe(session, "flood@example.vn", tgt, Digest.immediate, "example")
        assert len(session.exec(select(OutboxMail)).all()) == subscriptions.CONFIRMS_PER_HOUR


def test_a_refused_recipient_fails_for_good_and_the_others_still_go(kb, smtp):
    pid, _, other_id = _world(kb)
    mailer.run_once(kb)
    for who in ("a@example.vn", "b@example.vn"):
        _confirmed(kb, smtp, who, FollowKind.product, str(pid))
    smtp.inbox.refuse.add("a@example.vn")
    with kb.session() as session:
        from kb.models import Product, Standard
        make_mapping(session, session.get(Product, pid), session.get(Standard, other_id), type="mandatory")
    r = mailer.run_once(kb)
    assert (r.sent, r.failed) == (1, 1), r.line()
    with kb.session() as session:
        subs = {s.email: s for s in session.exec(select(Subscription)).all()}
        assert subs["a@example.vn"].status == SubscriptionStatus.bounced
        failed = session.exec(select(OutboxMail).where(OutboxMail.status == MailStatus.failed)).one()
        assert failed.last_error.startswith("550")
    assert mailer.run_once(kb).sent == 0  # never retried


def test_a_server_that_is_down_keeps_the_mail_for_later(kb, smtp):
    pid, _, _ = _world(kb)
    _follow(kb, "an@example.vn", FollowKind.product, str(pid))
    kb.settings.smtp_url = "smtp://127.0.0.1:1"  # nothing listens there
    r = mailer.run_once(kb)
    assert r.sent == 0 and r.retry == 1 and "không kết nối được" in (r.error or "")
    with kb.session() as session:
        mail = session.exec(select(OutboxMail)).one()
        assert mail.status == MailStatus.pending and mail.attempts == 1 and mail.due_at > utcnow()
        mail.due_at = utcnow()  # the backoff is over
        session.add(mail)
    kb.settings.smtp_url = smtp.url
    assert mailer.run_once(kb).sent == 1
    assert len(smtp.inbox.wait_for(1)) == 1


def test_two_senders_at_once_send_each_mail_once(kb, smtp):
    pid, _, _ = _world(kb)
    kb.settings.smtp_url = None
    with kb.session() as session:
        tgt = subscriptions.target(session, FollowKind.product, str(pid))
        for i in range(120):
            sub = Subscription(email=f"u{i}@example.vn", target_kind=tgt.kind, target_key=tgt.key, nonce=f"n{i}")
            session.add(sub)
            session.flush()
            outbox.queue(session, sub, outbox.MailKind.confirm, [], "example")
    kb.settings.smtp_url = smtp.url
    rounds: list[mailer.Round] = []
    start = threading.Barrier(2)

    def sender():
        start.wait()
        rounds.append(mailer.send_due(kb, mailer.Round()))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = smtp.inbox.wait_for(120)
    ids = [m.message_id for m in got]
    assert len(ids) == len(set(ids)) == 120
    assert sum(r.sent for r in rounds) == 120


def test_held_and_edited_notices(kb, smtp):
    pid, _, other_id = _world(kb)
    mailer.run_once(kb)
    _confirmed(kb, smtp, "an@example.vn", FollowKind.product, str(pid))
    kb.settings.notice_hold_seconds = 3600
    with kb.session() as session:
        from kb.models import Product, Standard
        make_mapping(session, session.get(Product, pid), session.get(Standard, other_id), type="mandatory")
    with kb.session() as session:
        pending = noticeboard.unreleased(session)
        mine = next(n for n in pending if n.kind == "mapping_approved" and "QCVN 8-2" in n.title)
        noticeboard.decide(session, mine.id, "hold", "cur1", mine.version)
    kb.settings.notice_hold_seconds = 0
    assert mailer.run_once(kb).queued == 0  # held: not released by time
    with kb.session() as session:
        held = session.get(Notice, mine.id)
        assert held.status == NoticeStatus.held
        with pytest.raises(Conflict):
            noticeboard.decide(session, mine.id, "edit", "cur2", held.version - 1, title="x", sentence="y")
    with kb.session() as session:
        held = session.get(Notice, mine.id)
        noticeboard.decide(session, mine.id, "edit", "cur1", held.version, title="Yêu cầu bắt buộc mới",
                       sentence="Bánh phu thê phải đáp ứng QCVN 8-2:2011/BYT từ nay.")
    with kb.session() as session:
        shown = session.get(Notice, mine.id).version
        noticeboard.decide(session, mine.id, "release", "cur1", shown)
    with kb.session() as session:  # the same curator who held it releases it: audited and versioned all the same
        from kb.models import AuditEvent
        actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "notice",
                                                                           AuditEvent.entity_id == mine.id))]
        assert actions == ["hold", "edit", "release"]
        assert session.get(Notice, mine.id).version == shown + 1
    assert mailer.run_once(kb).sent == 1
    mail = smtp.inbox.wait_for(2)[-1]
    assert mail.message["Subject"] == "Yêu cầu bắt buộc mới"
    assert "Bánh phu thê phải đáp ứng QCVN 8-2:2011/BYT từ nay." in mail.text()
    with kb.session() as session:
        with pytest.raises(Conflict):  # released: too late to change
            noticeboard.decide(session, mine.id, "cancel", "cur1", None)


def test_a_daily_digest_carries_every_change_of_the_day_in_one_mail(kb, smtp):
    pid, _, other_id = _world(kb)
    mailer.run_once(kb)
    sub = _confirmed(kb, smtp, "an@example.vn", FollowKind.product, str(pid), Digest.daily)
    with kb.session() as session:
        from kb.models import Product, Standard
        product = session.get(Product, pid)
        make_mapping(session, product, session.get(Standard, other_id), type="mandatory")
        make_mapping(session, product, make_standard(session, "TCVN 5107:2018", title_vi="Nước mắm"), type="voluntary")
    assert mailer.run_once(kb).queued == 0  # the day is not over
    later = utcnow() + timedelta(days=1, minutes=1)
    r = mailer.run_once(kb, later)
    assert (r.queued, r.sent) == (1, 1), r.line()
    mail = smtp.inbox.wait_for(2)[-1]
    assert mail.message["Subject"] == "2 thay đổi về sản phẩm Bánh phu thê Đình Bảng"
    assert "QCVN 8-2:2011/BYT" in mail.text() and "TCVN 5107:2018" in mail.text()
    with kb.session() as session:
        assert session.get(Subscription, sub.id).last_digest_at is not None


def test_labs_lapsing_and_lapsed_are_announced_once_to_followers_of_products_they_test(kb, smtp):
    with kb.session() as session:
        product = make_product(session, "Bê tông thương phẩm")
        std = make_standard(session, "TCVN 3118:2022", title_vi="Bê tông - Phương pháp xác định cường độ nén")
        make_mapping(session, product, std, type="test_method")
        lab = make_lab(session, "VILAS 9999", valid_until=(date.today() + timedelta(days=40)).isoformat(),
                       name="Phòng thử nghiệm mẫu")
        make_scope(session, lab, method="TCVN 3118:2022")
        pid = product.id
    mailer.run_once(kb)
    _confirmed(kb, smtp, "an@example.vn", FollowKind.product, str(pid))
    with kb.session() as session:
        assert notices.scan_dates(session, date.today()) == 0  # already found by the round above
        lapsing = session.exec(select(Notice).where(Notice.kind == "lab_lapsing")).one()
        assert "còn 40 ngày" in lapsing.sentence
        assert (FollowKind.product, str(pid)) in noticeboard.subjects(session, lapsing)
    r = mailer.run_once(kb, utcnow() + timedelta(days=41))
    assert r.found == 1 and r.sent == 1, r.line()
    assert "đã hết hạn" in smtp.inbox.wait_for(2)[-1].text()


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://host:notaport", "smtps:///x"])
def test_bad_smtp_urls_are_refused_in_vietnamese(url):
    with pytest.raises(BadInput, match="KB_SMTP_URL"):
        mailer.parse_smtp_url(url)


def test_smtp_urls():
    assert mailer.parse_smtp_url("smtps://thu%40so:m%E1%BA%ADt@mail.example") == mailer.SmtpConfig(
        "mail.example", 465, True, "thu@so", "mật")
    assert mailer.parse_smtp_url("smtp://mail.example:587").port == 587


# --- What each kind of change announces, and whom it concerns ------------------------------------------


def _released(kb) -> dict[str, tuple[Notice, set]]:
    """Release everything now; kind → (the newest notice of that kind, its subjects)."""
    mailer.prepare(kb)
    with kb.session() as session:
        out = {}
        for n in session.exec(select(Notice).where(Notice.status == NoticeStatus.released).order_by(Notice.id)).all():
            out[n.kind] = (n, {(k.value, key) for k, key in noticeboard.subjects(session, n)})
        return out


def test_a_withdrawn_standard_concerns_its_followers_products_and_groups(kb):
    from kb import groups, standards
    from kb.models import ProductGroupMember
    with kb.session() as s:
        product = make_product(s, "Gạch đặc đất sét nung")
        other = make_product(s, "Gạch rỗng")
        std = make_standard(s, "TCVN 1451:1998", title_vi="Gạch đặc đất sét nung")
        make_mapping(s, product, std, type="voluntary")
        group, _ = groups.upsert_group(s, groups.parse_group({"slug": "gach", "name": "Gạch xây", "kind": "trade"}), "t")
        s.add(ProductGroupMember(group_id=group.id, product_id=other.id, source="curator"))
        groups.upsert_group_mapping(s, group, std, "voluntary", None, None, "t")
        ids = product.id, other.id, group.id
    first = _released(kb)
    assert first["group_mapping_added"][0].sentence.startswith("Các sản phẩm thuộc nhóm Gạch xây có thêm yêu cầu TCVN 1451:1998")
    with kb.session() as s:
        std = standards.get_standard(s, "TCVN 1451:1998")
        standards.upsert_standard(s, standards.StandardCreate(code=std.code, status="withdrawn"), actor="cur1",
                                  source="import")
    n, subjects = _released(kb)["standard_withdrawn"]
    assert n.sentence == "TCVN 1451:1998 (Gạch đặc đất sét nung) đã bị hủy bỏ, không còn hiệu lực."
    assert {("standard", "tcvn1451:1998"), ("product", str(ids[0])), ("product", str(ids[1])),
            ("group", str(ids[2]))} <= subjects


def test_a_legal_document_replaced_is_announced_once(kb):
    from kb import legal
    with kb.session() as s:
        legal.upsert_document(s, legal.parse_document({"code": "28/2012/TT-BKHCN", "title": "Công bố hợp chuẩn, hợp quy"}), "t")
    with kb.session() as s:
        legal.upsert_document(s, legal.parse_document({
            "code": "36/2026/TT-BKHCN", "title": "Công bố hợp chuẩn, hợp quy (thay thế)",
            "replaces": "28/2012/TT-BKHCN@2026-07-01"}), "t")
    n, subjects = _released(kb)["legal_replaced"]
    assert n.sentence == "28/2012/TT-BKHCN (Công bố hợp chuẩn, hợp quy) đã bị thay thế bởi 36/2026/TT-BKHCN."
    assert ("legal_document", legal.legal_key("28/2012/TT-BKHCN")) in subjects
    with kb.session() as s:  # the same relation stated again announces nothing new
        legal.upsert_document(s, legal.parse_document({"code": "36/2026/TT-BKHCN",
                                                       "replaces": "28/2012/TT-BKHCN@2026-07-01"}), "t")
        assert len(s.exec(select(Notice).where(Notice.kind == "legal_replaced")).all()) == 1


def test_a_risk_list_is_announced_when_published_and_again_ahead_of_its_date(kb):
    from kb import hscodes, risk
    from kb.models import Product, RiskList
    with kb.session() as s:
        p = make_product(s, "Nồi cơm điện")
        hscodes.add_codes(s, s.get(Product, p.id), ["8516.60.10"], "t")
        pid = p.id
        start = date.today() + timedelta(days=90)
        rep = risk.import_list(s, [(2, {"ma_hs": "8516", "loai_tac_dong": "KIEM_TRA_CHAT_LUONG", "mo_ta": "Dụng cụ điện"})],
                               document="99/2026/TT-BCT", effective_from=start)
        assert rep.outcome == "created", rep.errors
    n, subjects = _released(kb)["risk_list_published"]
    assert f"sẽ có hiệu lực từ ngày {start:%d/%m/%Y}" in n.sentence
    assert {("hs_code", "8516"), ("product", str(pid))} <= subjects
    with kb.session() as s:  # published long before: 30 days ahead there is a reminder, once
        rl = s.exec(select(RiskList)).one()
        rl.created_at = utcnow() - timedelta(days=10)
        s.add(rl)
    later = start - timedelta(days=20)
    with kb.session() as s:
        assert notices.scan_dates(s, later) == 1
        assert notices.scan_dates(s, later) == 0
        ahead = s.exec(select(Notice).where(Notice.kind == "risk_list_ahead")).one()
        assert "(còn 20 ngày)" in ahead.sentence


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1, trusted by this test's TLS clients (``SSL_CERT_FILE``)."""
    import shutil
    import subprocess
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, cert


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "smtps"])
def test_tls_and_login_from_the_url(kbase, certificate, monkeypatch, implicit):
    import ssl
    key, cert = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    pid, _, _ = _world(kbase)
    with SmtpServer(tls=server_tls, implicit_tls=implicit, login=("thu@so", "mat khau:dai/1")) as smtp:
        kbase.settings.smtp_url, kbase.settings.notice_hold_seconds = smtp.url, 0
        _follow(kbase, "an@example.vn", FollowKind.product, str(pid))
        r = mailer.run_once(kbase)
        assert r.sent == 1, r.line()
        assert smtp.inbox.wait_to("an@example.vn").message["Subject"].startswith("Xác nhận theo dõi")
        kbase.settings.smtp_url = smtp.url.replace("dai", "sai")  # a wrong password: kept for later, said why
        _follow(kbase, "hai@example.vn", FollowKind.product, str(pid))
        r = mailer.run_once(kbase)
        assert r.sent == 0 and r.retry == 1 and r.error
