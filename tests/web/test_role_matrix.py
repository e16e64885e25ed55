"""Who may do what, generated from the app's own route table.

Every unsafe route (POST/PUT/PATCH/DELETE) — including routes added later by anyone — must either be one
of the few public ones (login, logout) or declare its permission through a dependency of ``web.auth``
(``CuratorUser``, ``AdminUser``, ``LabEditor``, or ``CurrentUser`` for what any account does to itself).
Each is then called as anonymous, as the lab's own account, as another lab's account, as a curator and as
an admin.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from kb.config import Settings
from kb.core import KnowledgeBase
from tests.support.accounts import client_for, make_app, seed

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PUBLIC = {("POST", "/login"), ("POST", "/logout"), ("POST", "/api/auth/login"), ("POST", "/api/auth/logout"),
          # Following needs no account: rate-limited, and the unsubscribe link is authorised by its signature.
          ("POST", "/subscriptions"), ("POST", "/api/subscriptions"), ("POST", "/subscriptions/unsubscribe/{token}")}
CALLERS = ("anonymous", "lab_a", "lab_b", "curator", "admin")


def _roles(dependant) -> tuple[str, ...] | None:
    for dep in dependant.dependencies:
        roles = getattr(dep.call, "roles", None)
        if roles:
            return roles
        found = _roles(dep)
        if found:
            return found
    return None


def unsafe_routes(app) -> list[tuple[str, str, tuple[str, ...] | None]]:
    """Every (method, path, roles) the app serves; FastAPI ≥ 0.160 keeps included routers lazy, so walk
    them the way its OpenAPI generator does."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute):
            for method in sorted((ctx.methods or set()) & UNSAFE):
                out.append((method, ctx.path, _roles(ctx.dependant)))
    return out


def _route_table():
    with tempfile.TemporaryDirectory() as tmp:  # the app is only built, never connected
        app = make_app(KnowledgeBase(Settings(data_dir=Path(tmp), secret_key="x")))
        return unsafe_routes(app)


ROUTES = _route_table()


def test_every_unsafe_route_is_public_or_declares_who_may_call_it():
    undeclared = [f"{m} {p}" for m, p, roles in ROUTES if roles is None and (m, p) not in PUBLIC]
    assert not undeclared, f"routes without a permission dependency: {undeclared}"
    assert len(ROUTES) >= 20  # the curation and lab routes are all there


def expected(roles: tuple[str, ...], caller: str) -> str:
    if caller == "anonymous":
        return "401"
    if "signed-in" in roles:  # every account, on its own behalf (its password)
        return "ok"
    if caller == "lab_a":
        return "ok" if "lab:own" in roles else "403"
    if caller == "lab_b":  # every lab route below is addressed to lab A
        return "403"
    return "ok" if caller in roles else "403"


def fill(path: str, w) -> str:
    values = {"lab_id": w.lab_a, "row_id": w.row_a, "mapping_id": w.mapping, "standard_id": w.old_std,
              "product_id": w.product}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


@pytest.mark.parametrize("method, path, roles", [r for r in ROUTES if (r[0], r[1]) not in PUBLIC],
                         ids=[f"{m} {p}" for m, p, _ in ROUTES if (m, p) not in PUBLIC])
def test_role_matrix(kbase, method, path, roles):
    w = seed(kbase)
    app = make_app(kbase)
    url = fill(path, w)
    for caller in CALLERS:
        client = client_for(app, None if caller == "anonymous" else caller)
        r = client.request(method, url, follow_redirects=False,
                           headers={"Accept": "application/json"} if url.startswith("/api/") else {})
        want = expected(roles, caller)
        assert r.status_code < 500, (caller, r.status_code, r.text[:300])
        if want == "ok":
            assert r.status_code not in (401, 403), (caller, r.status_code, r.text[:300])
        else:
            assert r.status_code == int(want), (caller, r.status_code, r.text[:300])


JUNK = [
    {"json": {}},
    {"json": {"status": "<script>", "version": -1, "test": "x" * 3000, "product": None, "standard": 12}},
    {"json": [1, 2, 3]},
    {"data": {"version": "abc", "status": "approved", "note": "\x00", "to": "TCVN", "name": "", "ocop_stars": "9"}},
    {"data": {"version": str(2**40), "test": "đ", "valid_from": "31/02/2024", "kind": "nope"}},
    {"content": b"\xff\xfe not json", "headers": {"content-type": "application/json"}},
    {"files": {"file": ("x.csv", b"\x00\x01", "text/csv")}},
]


@pytest.mark.parametrize("method, path, roles", [r for r in ROUTES if (r[0], r[1]) not in PUBLIC],
                         ids=[f"{m} {p}" for m, p, _ in ROUTES if (m, p) not in PUBLIC])
def test_junk_never_gives_500(kbase, method, path, roles):
    w = seed(kbase)
    app = make_app(kbase)
    caller = "lab_a" if "lab:own" in roles and "curator" not in roles else ("admin" if "admin" in roles else "curator")
    client = client_for(app, caller)
    url = fill(path, w)
    for kwargs in JUNK:
        r = client.request(method, url, follow_redirects=False, **kwargs)
        assert r.status_code < 500, (kwargs, r.status_code, r.text[:300])
