"""Schemathesis over /openapi.json against the ASGI app: valid and invalid requests for every operation, as an
anonymous visitor and as a curator, on SQLite and PostgreSQL. Fails on any 5xx and on any status the document
does not declare for the operation (issue 15). The number of examples per operation is bounded so that the
whole file stays well under a minute; `bench/` is the place for long runs."""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.support.accounts import PASSWORD, TestClient, make_app, seed

#: Examples per operation and generation mode (valid, invalid); KB_SCHEMATHESIS_EXAMPLES raises it for a longer run.
EXAMPLES = int(os.environ.get("KB_SCHEMATHESIS_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance]


def _cookie_of(app, username: str | None) -> dict[str, str]:
    if username is None:
        return {}
    c = TestClient(app)
    r = c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in c.cookies.items())}


def test_every_operation_answers_what_it_declares(any_kbase):
    seed(any_kbase)
    app = make_app(any_kbase)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for username in (None, "curator"):  # one world for both: seeding (password hashes) is the slow part
        failures += _run_all(schema, _cookie_of(app, username), username or "anonymous")
    assert not failures, "\n\n".join(failures)


def _run_all(schema, headers: dict[str, str], who: str) -> list[str]:
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy(generation_mode=mode))
            def run(case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # no invalid request exists for an operation without parameters
                pass
            except (Exception, FailureGroup) as exc:  # noqa: BLE001 — every operation is tried; all reported together
                failures.append(f"{who}: {op.method.upper()} {op.path} ({mode.value}): {str(exc)[:1500]}")
    assert operations >= 30
    return failures
