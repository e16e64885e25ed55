"""The curator's procedures: the list of routes and one edit form per procedure (steps and documents one a
line). A save goes through ``kb.procedures`` (versioned, audited) and stamps the curator as its reviewer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kb import audit, contacts, procedures
from kb.errors import KBError, NotFound
from kb.models import Procedure
from kb.versioning import StaleEdit
from web import auth
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, back, ctx, form_version
from web.routes.curate.audit import describe as audit_lines

router = APIRouter(tags=TAGS, include_in_schema=False)

Key = Annotated[str, Path(max_length=40)]
#: The form's fields (reviewed_by/at are not among them: a save stamps the curator and the day).
FORM_FIELDS = ("title", "summary", "steps", "documents", "agency_key", "fees", "duration", "legal_basis", "source")


def _form_of(p: Procedure) -> dict[str, str]:
    def text(v: Any) -> str:
        return "\n".join(v) if isinstance(v, list) else v or ""

    return {f: text(getattr(p, f)) for f in FORM_FIELDS}


async def _read_form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=20)
    data = {f: str(form.get(f) or "")[:20000] for f in FORM_FIELDS}
    data["version"] = str(form.get("version") or "")[:20]
    return data


def _known(key: str) -> str:
    """A route's key, or 404: the product page knows these routes only (a curator cannot invent one)."""
    if key not in procedures.ROUTES:
        raise NotFound(f"Không có thủ tục {key[:40]!r}")
    return key


@router.get("/curate/procedures")
def procedures_page(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        stored = {p.key: p for p in procedures.list_procedures(session)}
    items = [(key, label, stored.get(key)) for key, label in procedures.ROUTES.items()]
    return auth.render_private(request, "curate/procedures.html", ctx(request, items=items))


def _edit(request: Request, key: str, form: dict[str, str], exc: KBError | None = None) -> Response:
    with get_kbase(request).session() as session:
        proc = procedures.get_procedure(session, key)
        c: dict[str, Any] = {
            "key": key, "route": procedures.ROUTES[key], "proc": proc, "form": form,
            "agencies": [(a.key, a.name) for a in contacts.list_agencies(session)],
            "history": audit_lines(session, audit.audit_events(session, entity="procedure", entity_id=proc.id, limit=50)) if proc else [],
        }
    return render_form(request, "curate/procedure.html", ctx(request, **c), exc)


@router.get("/curate/procedures/{key}")
def procedure_page(request: Request, key: Key, user: CuratorUser) -> Response:
    key = _known(key)
    with get_kbase(request).session() as session:
        proc = procedures.get_procedure(session, key)
        form = _form_of(proc) if proc else {"title": procedures.ROUTES[key]}
    return _edit(request, key, form)


@router.post("/curate/procedures/{key}")
async def procedure_submit(request: Request, key: Key, user: CuratorUser) -> Response:
    key = _known(key)
    form = await _read_form(request)

    def work(session: Any) -> str:
        parsed_key, fields = procedures.parse_procedure({"key": key, **{f: form[f] for f in FORM_FIELDS}})
        version = form_version(form["version"]) if form["version"] else None
        procedures.review_procedure(session, parsed_key, fields, user.username, version)
        return parsed_key

    return await run_in_threadpool(
        submit, request, work,
        done=lambda k: back(f"/curate/procedures/{k}", "saved"),
        failed=lambda exc: _edit(request, key, _current_form(request, key, form, exc), exc),
    )


def _current_form(request: Request, key: str, form: dict[str, str], exc: KBError) -> dict[str, str]:
    """After a stale edit the form shows what is stored now (the conflict box lists what differed);
    after any other refusal it keeps what the curator typed."""
    if not isinstance(exc, StaleEdit):
        return form
    with get_kbase(request).session() as session:
        proc = procedures.get_procedure(session, key)
        return _form_of(proc) if proc else form
