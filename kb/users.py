"""User accounts: argon2 password hashes, roles, and lab membership."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from kb import audit, labs
from kb.errors import BadInput, Conflict, NotFound
from kb.models import Role, User
from kb.text import clean, nfc

MIN_PASSWORD_LENGTH = 10
#: The forms' limit too: argon2 hashes any length, but a megabyte "password" is only a way to burn CPU.
MAX_PASSWORD_LENGTH = 1000
#: Temporary passwords: no 0/O, 1/l/I, so they can be read out over the phone; 16 characters ≈ 80 bits.
_TEMP_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_hasher = PasswordHasher()


class WrongPassword(BadInput):
    """The current password given to change it is wrong (the web counts these against its limiter)."""


def hash_password(password: str) -> str:
    # One Vietnamese password can arrive composed or decomposed depending on the keyboard: hash one form.
    return _hasher.hash(nfc(password))


def verify_password(user: User, password: str) -> bool:
    candidates = [nfc(password)]
    if candidates[0] != password:  # a hash made before passwords were normalised
        candidates.append(password)
    for candidate in candidates:
        try:
            if _hasher.verify(user.password_hash, candidate):
                return True
        except (VerificationError, InvalidHashError):
            continue
    return False


def check_new_password(password: str, username: str) -> None:
    """The one rule for every new password (account creation, change, reset): long enough, not the name."""
    length = len(nfc(password))
    if length < MIN_PASSWORD_LENGTH:
        raise BadInput(f"mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự")
    if length > MAX_PASSWORD_LENGTH:
        raise BadInput(f"mật khẩu không được dài quá {MAX_PASSWORD_LENGTH} ký tự")
    if clean(password).casefold() == clean(username).casefold():
        raise BadInput("mật khẩu không được trùng với tên đăng nhập")


def temporary_password() -> str:
    """A random password for an admin to hand over once (``abcd-efgh-ijkm-npqr``)."""
    chars = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(16))
    return "-".join(chars[i:i + 4] for i in range(0, 16, 4))


# Verifying against a real hash when the account does not exist keeps the timing of both failures alike.
_DUMMY = User(username="", password_hash=hash_password(secrets.token_hex(16)), role=Role.lab)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The enabled account with this name and password, else None (the same work either way)."""
    user = session.exec(select(User).where(User.username == clean(username))).first()
    if user is None:
        verify_password(_DUMMY, password)
        return None
    if not verify_password(user, password) or user.disabled:
        return None
    return user


def signed_in(session: Session, user_id: int, session_version: int) -> User | None:
    """The account a session cookie names, if it is still enabled and the cookie still current."""
    user = session.get(User, user_id)
    if user is not None and not user.disabled and user.session_version == session_version:
        return user
    return None


def end_all_sessions(session: Session, user: User) -> None:
    """Void every cookie of this account (logout everywhere)."""
    fresh = session.get(User, user.id)
    if fresh is not None:
        fresh.session_version += 1
        session.add(fresh)


def add_user(
    session: Session, username: str, password: str, role: Role | str, *, lab: str | None = None, actor: str = "cli"
) -> User:
    username = clean(username)
    if not username or len(username) > 80:
        raise BadInput("tên đăng nhập phải có từ 1 đến 80 ký tự")
    role = Role(role)
    check_new_password(password, username)
    if role == Role.lab and not lab:
        raise BadInput("tài khoản phòng thí nghiệm cần --lab SỐ_CÔNG_NHẬN")
    if role != Role.lab and lab:
        raise BadInput("chỉ tài khoản vai trò lab mới gắn với một phòng thí nghiệm")
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"tên đăng nhập {username!r} đã tồn tại")
    lab_id = labs.require_by_accreditation(session, lab).id if lab else None
    user = User(username=username, password_hash=hash_password(password), role=role, lab_id=lab_id)
    session.add(user)
    session.flush()
    after = {"username": username, "role": role.value, "lab_id": lab_id}
    audit.record(session, actor=actor, action="create", entity="user", entity_id=user.id, after=after,
                 summary=f"Tạo tài khoản {username}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)).all())


def disable_user(session: Session, username: str, *, actor: str = "cli") -> User:
    user = _require_user(session, username)
    if not user.disabled:
        user.disabled = True
        user.session_version += 1  # ends every open session of this account
        session.add(user)
        audit.record(session, actor=actor, action="update", entity="user", entity_id=user.id,
                     before={"disabled": False}, after={"disabled": True}, summary=f"Khóa tài khoản {user.username}")
    return user


def require_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"Không có tài khoản #{user_id}")
    return user


def _require_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == clean(username))).first()
    if user is None:
        raise NotFound(f"không có tài khoản {username!r}")
    return user


def set_password(session: Session, username: str, password: str, *, actor: str, summary: str | None = None,
                 after: dict | None = None, must_change: bool = False) -> User:
    """Set a password (``kb users passwd``, an admin's reset); every open session of the account ends.
    ``must_change`` marks a temporary password the account must replace before it works again; any
    other change clears the mark. The audit event names who and whose, never the password or its hash."""
    user = _require_user(session, username)
    check_new_password(password, user.username)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.session_version += 1
    session.add(user)
    audit.record(session, actor=actor, action="update", entity="user", entity_id=user.id, after=after,
                 summary=summary or f"Đổi mật khẩu {user.username}")
    return user


def change_own_password(session: Session, user_id: int, current: str, new: str, repeat: str) -> User:
    """A signed-in user changes their own password: the current one first (:class:`WrongPassword`), then
    the new one twice, by the rule of :func:`check_new_password`. Every session of the account ends; the
    caller issues a fresh cookie for the one that asked."""
    user = require_user(session, user_id)
    if not verify_password(user, current):
        raise WrongPassword("Mật khẩu hiện tại không đúng.")
    if new != repeat:
        raise BadInput("Hai lần nhập mật khẩu mới không khớp nhau.")
    if verify_password(user, new):
        raise BadInput("Mật khẩu mới phải khác mật khẩu hiện tại.")
    return set_password(session, user.username, new, actor=user.username,
                        summary=f"{user.username} tự đổi mật khẩu của mình")


def reset_password(session: Session, user_id: int, password: str | None, *, actor: User) -> tuple[User, str | None]:
    """An admin sets another account's password, or a temporary one when ``password`` is empty (returned,
    to be shown once, and to be replaced by the account at its next sign-in). The admin's own password is
    changed with the current one, not reset."""
    target = require_user(session, user_id)
    if target.id == actor.id:
        raise BadInput("Đổi mật khẩu của chính bạn ở trang Đổi mật khẩu (cần mật khẩu hiện tại).")
    temporary = None if password else temporary_password()
    set_password(session, target.username, temporary or password or "", actor=actor.username,
                 summary=f"Đặt lại mật khẩu {target.username}", after={"temporary": temporary is not None},
                 must_change=temporary is not None)
    return target, temporary


def set_role(session: Session, username: str, role: Role | str, *, lab: str | None = None, actor: str) -> User:
    """Change role (and lab membership); every open session of the account ends."""
    role = Role(role)
    if role == Role.lab and not lab:
        raise BadInput("tài khoản phòng thí nghiệm cần số công nhận của phòng")
    user = _require_user(session, username)
    before = {"role": user.role.value, "lab_id": user.lab_id}
    user.role = role
    user.lab_id = labs.require_by_accreditation(session, lab).id if role == Role.lab and lab else None
    user.session_version += 1
    session.add(user)
    audit.record(session, actor=actor, action="update", entity="user", entity_id=user.id, before=before,
                 after={"role": role.value, "lab_id": user.lab_id}, summary=f"Đổi vai trò {user.username}")
    return user
