"""A real SMTP server on localhost for the tests (aiosmtpd), recording what it receives.

It can refuse recipients for good (550) and run a hook when a message arrives (to kill the sender
between its send and its mark). Waiting for mail uses a condition variable, never a sleep.
"""

from __future__ import annotations

import email
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.policy import default as default_policy
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    to: list[str]
    message: Message

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        return str(body.get_content()) if body is not None else ""


@dataclass
class Inbox:
    refuse: set[str] = field(default_factory=set)
    on_data: Callable[[Received], None] | None = None
    received: list[Received] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 Khong co hop thu nay"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        got = Received(list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=default_policy))
        with self._cond:
            self.received.append(got)
            self._cond.notify_all()
        if self.on_data is not None:
            self.on_data(got)
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Block until ``count`` messages have arrived (fails the test after ``timeout`` seconds)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= count, timeout=timeout):
                raise AssertionError(f"{len(self.received)} thư đến thay vì {count} sau {timeout} s")
            return list(self.received)

    def wait_to(self, address: str, after: int = 0, timeout: float = 60) -> Received:
        """The first message to ``address`` among those after the first ``after`` (waits for it)."""
        def found() -> Received | None:
            return next((r for r in self.received[after:] if address in r.to), None)

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout=timeout):
                raise AssertionError(f"không có thư nào đến {address} sau {timeout} s")
            got = found()
            assert got is not None
            return got

    def message_ids(self) -> list[str]:
        with self._cond:
            return [r.message_id for r in self.received]


class Accounts:
    """An aiosmtpd authenticator accepting one login."""

    def __init__(self, user: str, password: str):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (self.user, self.password)
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """``with SmtpServer() as smtp:`` a server on a free port; ``smtp.url`` for ``KB_SMTP_URL``.

    ``tls``: an ``ssl.SSLContext`` offered through STARTTLS (then required), or from the first byte with
    ``implicit_tls``; ``login``: ``(user, password)`` the server requires (over TLS)."""

    def __init__(self, inbox: Inbox | None = None, tls: ssl.SSLContext | None = None, implicit_tls: bool = False,
                 login: tuple[str, str] | None = None):
        self.inbox = inbox or Inbox()
        self.port = free_port()
        self.scheme = "smtps" if implicit_tls else "smtp"
        self.login = login
        kw: dict[str, Any] = {}
        if tls is not None and implicit_tls:
            kw["ssl_context"] = tls
        elif tls is not None:
            kw.update(tls_context=tls, require_starttls=True)
        if login is not None:
            # aiosmtpd does not see implicit TLS as TLS and would hide AUTH (its auth_require_tls); it then
            # warns of AUTH without TLS on each connection, which a test using it ignores
            kw.update(authenticator=Accounts(*login), auth_required=True, auth_require_tls=not implicit_tls)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kw)

    @property
    def url(self) -> str:
        who = f"{quote(self.login[0], safe='')}:{quote(self.login[1], safe='')}@" if self.login else ""
        return f"{self.scheme}://{who}127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
