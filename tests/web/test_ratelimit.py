"""Login rate limit: 429 after 10 failures a minute per address, a growing delay per account that never locks
out the owner's known address, forwarded headers only from named proxies; generic message, no sleeps."""

from __future__ import annotations

from sqlmodel import select

from kb.models import LoginFailure
from tests.support.accounts import PASSWORD, TestClient, make_app, seed
from web.ratelimit import KEY_CHARS, KNOWN_PER_ACCOUNT, LoginLimiter, SlidingWindowLimiter, shared_login_limiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_forgets_old_failures():
    clock = Clock()
    lim = SlidingWindowLimiter(limit=3, window=60, clock=clock)
    for _ in range(3):
        assert not lim.blocked("k")
        lim.hit("k")
        clock.now += 10
    assert lim.blocked("k")
    assert lim.retry_after("k") == 31  # the first failure (t=1000) leaves the window at t=1060
    clock.now = 1060.5
    assert not lim.blocked("k")  # only two failures left in the window


def test_key_count_is_bounded():
    lim = SlidingWindowLimiter(limit=1, window=60, clock=Clock(), max_keys=100)
    for i in range(1000):
        lim.hit(f"k{i}")
    assert len(lim.store._times) == 100


def _login(c, user, password, ip_headers=None):
    return c.post("/api/auth/login", json={"username": user, "password": password}, headers=ip_headers or {})


def test_ten_failures_then_429_even_with_the_right_password(kbase):
    seed(kbase)
    clock = Clock()
    c = TestClient(make_app(kbase, limiter=LoginLimiter(clock=clock)))
    for _ in range(10):
        assert _login(c, "curator", "wrong-password-x").status_code == 401
    r = _login(c, "curator", PASSWORD)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert "thử lại" in r.json()["detail"]
    # Same generic answer for an account that does not exist: no hint which names are real.
    assert _login(c, "khong-ton-tai", "x" * 12).json() == r.json()
    clock.now += 61
    assert _login(c, "curator", PASSWORD).status_code == 200


def test_limit_per_account_across_addresses(kbase):
    seed(kbase)
    clock = Clock()
    app = make_app(kbase, limiter=LoginLimiter(clock=clock))
    # Each client comes from its own address (the test client's host is fixed, so vary the limiter key).
    limiter = app.state.login_limiter
    for i in range(10):
        limiter.failed(f"10.0.0.{i}", "lab_a")
    assert limiter.blocked("10.9.9.9", "lab_a")
    assert not limiter.blocked("10.9.9.9", "lab_b")
    c = TestClient(app)
    assert _login(c, "lab_a", PASSWORD).status_code == 429
    assert _login(c, "lab_b", PASSWORD).status_code == 200


def test_limit_per_address_across_accounts(kbase):
    seed(kbase)
    clock = Clock()
    c = TestClient(make_app(kbase, limiter=LoginLimiter(clock=clock)))
    for i in range(10):
        assert _login(c, f"guess{i}", "wrong-password-x").status_code == 401
    assert _login(c, "admin", PASSWORD).status_code == 429


def test_success_forgives_the_account_not_the_address(kbase):
    seed(kbase)
    lim = LoginLimiter(clock=Clock())
    c = TestClient(make_app(kbase, limiter=lim))
    for _ in range(9):
        _login(c, "admin", "wrong-password-x")
    assert _login(c, "admin", PASSWORD).status_code == 200
    assert lim.account_delay("10.1.1.1", "admin") == 0
    _login(c, "curator", "wrong-password-x")
    assert _login(c, "curator", PASSWORD).status_code == 429  # the address has 10 failures in the window


def test_html_form_is_limited_too(kbase):
    seed(kbase)
    c = TestClient(make_app(kbase, limiter=LoginLimiter(clock=Clock())))
    for _ in range(10):
        c.post("/login", data={"username": "curator", "password": "wrong-password-x"})
    r = c.post("/login", data={"username": "curator", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 429
    assert "Retry-After" in r.headers


def test_account_delay_doubles_and_is_capped():
    clock = Clock()
    lim = LoginLimiter(clock=clock)
    for i in range(9):
        lim.failed(f"10.0.0.{i}", "lab_a")
    assert lim.blocked("10.9.9.9", "lab_a") == 0  # nine failures from nine addresses: no delay yet
    waits = []
    for i in range(9, 20):
        lim.failed(f"10.0.1.{i}", "lab_a")
        waits.append(lim.blocked("10.9.9.9", "lab_a"))
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60]
    clock.now += 59
    assert lim.blocked("10.9.9.9", "lab_a") == 1
    clock.now += 1
    assert lim.blocked("10.9.9.9", "lab_a") == 0  # a minute after the last failure the next guess may come
    clock.now += 901
    lim.failed("10.0.2.1", "lab_a")
    assert lim.blocked("10.9.9.9", "lab_a") == 0  # old failures left the 15-minute window


def test_guessers_cannot_lock_the_owner_out(kbase):
    """Many addresses keep failing on an account: each new guess waits, the owner's known address gets in."""
    seed(kbase)
    clock = Clock()
    lim = LoginLimiter(clock=clock)
    app = make_app(kbase, limiter=lim)
    owner = TestClient(app, client=("192.0.2.10", 50000))
    guesser = TestClient(app, client=("198.51.100.7", 50000))
    assert _login(owner, "curator", PASSWORD).status_code == 200
    for round_ in range(30):
        for i in range(12):  # twelve other addresses, each well under its own per-address limit
            lim.failed(f"203.0.113.{i}", "curator")
        r = _login(guesser, "curator", "wrong-password-x")
        assert r.status_code == 429, round_
        assert int(r.headers["retry-after"]) >= 2
        assert _login(owner, "curator", PASSWORD).status_code == 200, round_
        clock.now += 30  # the per-address windows move on; the account stays under attack
    # The owner's successes forgive the account's count, but the guessers' new failures set it again.
    for i in range(12):
        lim.failed(f"203.0.113.{i}", "curator")
    assert _login(guesser, "curator", PASSWORD).status_code == 429


def test_forwarded_for_is_ignored_by_default(kbase):
    seed(kbase)
    c = TestClient(make_app(kbase, limiter=LoginLimiter(clock=Clock())), client=("127.0.0.1", 50000))
    for i in range(10):
        assert _login(c, f"guess{i}", "wrong-password-x", {"X-Forwarded-For": f"10.0.0.{i}"}).status_code == 401
    r = _login(c, "admin", PASSWORD, {"X-Forwarded-For": "10.0.0.99"})
    assert r.status_code == 429  # rotating the header does not make a new client


def test_forwarded_for_is_believed_from_a_named_proxy(kbase, settings):
    seed(kbase)
    from web.app import create_app

    kbase.settings.trusted_proxies = "127.0.0.1, 10.1.0.0/16"
    lim = LoginLimiter(clock=Clock())
    app = create_app(kbase=kbase, login_limiter=lim)
    proxy = TestClient(app, client=("10.1.2.3", 50000))
    for i in range(10):
        assert _login(proxy, f"guess{i}", "wrong-password-x", {"X-Forwarded-For": "192.0.2.1"}).status_code == 401
    assert _login(proxy, "admin", PASSWORD, {"X-Forwarded-For": "192.0.2.1"}).status_code == 429
    assert _login(proxy, "admin", PASSWORD, {"X-Forwarded-For": "192.0.2.2"}).status_code == 200  # another client
    # A client that is not a named proxy cannot pick its address.
    direct = TestClient(app, client=("192.0.2.1", 50000))
    assert _login(direct, "admin", PASSWORD, {"X-Forwarded-For": "192.0.2.77"}).status_code == 429


def _shared(kbase, clock: Clock) -> LoginLimiter:
    """What ``shared_login_limiter`` makes, on the test's clock."""
    lim = shared_login_limiter(kbase)
    lim.clock = clock
    return lim


def test_workers_on_one_database_count_the_same_failures(any_kbase):
    """Each process kept its own counts: with N workers an address could try N times as often."""
    clock = Clock()
    one, two = _shared(any_kbase, clock), _shared(any_kbase, clock)  # two workers, or two servers
    for i in range(10):
        assert not (one if i % 2 else two).blocked("10.0.0.7", "nobody")
        (one if i % 2 else two).failed("10.0.0.7", "nobody")
    assert one.blocked("10.0.0.7", "nobody") == two.blocked("10.0.0.7", "nobody") == 61
    clock.now += 61
    assert not one.blocked("10.0.0.7", "nobody") and not two.blocked("10.0.0.7", "nobody")


def test_the_owners_address_is_known_to_every_worker_and_old_failures_are_deleted(any_kbase):
    clock = Clock()
    one, two = _shared(any_kbase, clock), _shared(any_kbase, clock)
    one.succeeded("10.0.0.1", "Chủ")  # the owner signed in through one worker
    for i in range(12):  # someone elsewhere guesses the account through the other
        two.failed(f"10.1.0.{i}", "chu")
    assert two.account_delay("10.9.9.9", "chu") > 0
    assert two.account_delay("10.0.0.1", "CHU") == 0  # the owner's address, through the other worker
    for i in range(KNOWN_PER_ACCOUNT + 3):
        one.succeeded(f"10.2.0.{i}", "chu")
    assert len(two.store.known("user:chu")) == KNOWN_PER_ACCOUNT
    clock.now += 901  # past both windows: the next failure deletes the old rows
    two.failed("10.0.0.5", "x" * 1000)  # a username as long as anyone types is cut to the column
    with any_kbase.session() as s:
        left = s.exec(select(LoginFailure.key)).all()
    assert sorted(left) == sorted(["ip:10.0.0.5", ("user:" + "x" * 1000)[:KEY_CHARS]])
