"""User accounts: argon2 password hashes, roles, and lab membership."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from kb import audit, labs
from kb.errors import BadInput, Conflict, NotFound
from kb.models import Role, User
from kb.text import clean

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự")
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


def set_password(session: Session, username: str, password: str, *, actor: str) -> User:
    """Change a password; every open session of the account ends."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự")
    user = _require_user(session, username)
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.add(user)
    audit.record(session, actor=actor, action="update", entity="user", entity_id=user.id,
                 summary=f"Đổi mật khẩu {user.username}")  # never log the hash
    return user


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
