"""Suggestions and mappings: the suggestion queue, decisions, the mapping editor and bulk import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kb import audit, mappings
from kb.errors import KBError
from kb.models import MappingStatus
from web import auth, uploads
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, Id, back, ctx

router = APIRouter(tags=TAGS, include_in_schema=False)


@router.get("/curate/suggestions")
def suggestions(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        rows = mappings.mapping_rows(session, MappingStatus.suggested)
    return auth.render_private(request, "curate/suggestions.html", ctx(request, rows=rows))


@router.post("/curate/mappings/{mapping_id}/decide")
def decide_submit(
    request: Request, mapping_id: Id, user: CuratorUser,
    status: Annotated[str, Form(max_length=20)],
    version: Annotated[int, Form(ge=1)],
    note: Annotated[str, Form(max_length=2000)] = "",
    back_to: Annotated[str, Form(max_length=300)] = "/curate/suggestions",
) -> Response:
    return submit(
        request,
        lambda session: mappings.decide_mapping(session, mapping_id, status, user.username, note=note,
                                                expected_version=version).status.value,
        done=lambda decided: back(auth.safe_next(back_to, "/curate/suggestions"), decided),
        failed=lambda exc: _mapping_page(request, mapping_id, exc),
    )


def _mappings_list(request: Request, form: dict[str, str], exc: KBError | None = None, **extra: object) -> Response:
    with get_kbase(request).session() as session:
        rows = mappings.mapping_rows(session, MappingStatus.approved, limit=500)
    return render_form(request, "curate/mappings.html", ctx(request, rows=rows, status="approved", form=form, **extra),
                       exc)


@router.get("/curate/mappings")
def mappings_page(
    request: Request, user: CuratorUser,
    status: Annotated[str, Query(max_length=20)] = "approved",
) -> Response:
    wanted = None if status == "all" else MappingStatus(status) if status in MappingStatus._value2member_map_ else None
    with get_kbase(request).session() as session:
        rows = mappings.mapping_rows(session, wanted, limit=500)
    return auth.render_private(request, "curate/mappings.html", ctx(request, rows=rows, status=status, form={}))


@router.post("/curate/mappings")
def mapping_create_submit(
    request: Request, user: CuratorUser,
    product: Annotated[str, Form(max_length=300)] = "",
    standard: Annotated[str, Form(max_length=200)] = "",
    type: Annotated[str, Form(max_length=40)] = "voluntary",
    rationale: Annotated[str, Form(max_length=5000)] = "",
    legal_basis: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    form = {"product": product, "standard": standard, "type": type, "rationale": rationale, "legal_basis": legal_basis}
    return submit(
        request,
        lambda session: mappings.create_mapping(session, product, standard, type, rationale, legal_basis,
                                                user.username)[0].id,
        done=lambda mapping_id: back(f"/curate/mappings/{mapping_id}", "created"),
        failed=lambda exc: _mappings_list(request, form, exc),
    )


def _mapping_page(request: Request, mapping_id: int, exc: KBError | None = None) -> Response:
    with get_kbase(request).session() as session:
        row = mappings.mapping_row(session, mappings.require_mapping(session, mapping_id))
        c = ctx(request, m=row["mapping"], product=row["product"], std=row["standard"],
                history=audit.audit_events(session, entity="mapping", entity_id=mapping_id, limit=50))
    return render_form(request, "curate/mapping.html", c, exc)


@router.get("/curate/mappings/{mapping_id}")
def mapping_page(request: Request, mapping_id: Id, user: CuratorUser) -> Response:
    return _mapping_page(request, mapping_id)


@router.post("/curate/mappings/{mapping_id}")
def mapping_edit_submit(
    request: Request, mapping_id: Id, user: CuratorUser,
    version: Annotated[int, Form(ge=1)],
    type: Annotated[str, Form(max_length=40)] = "",
    rationale: Annotated[str, Form(max_length=5000)] = "",
    legal_basis: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    data = {"type": type, "rationale": rationale, "legal_basis": legal_basis}
    return submit(
        request,
        lambda session: mappings.update_mapping(session, mapping_id, mappings.parse_mapping_changes(data), version,
                                                user.username),
        done=lambda _: back(f"/curate/mappings/{mapping_id}", "saved"),
        failed=lambda exc: _mapping_page(request, mapping_id, exc),
    )


@router.post("/curate/import/mappings")
async def mappings_import_submit(request: Request, user: CuratorUser) -> Response:
    """Bulk import in the ``kb import mappings`` format."""
    from ingest.importers import import_file

    kbase = get_kbase(request)
    limit = kbase.settings.max_file_mb * 1024 * 1024
    report = None
    error = None
    try:
        async with uploads.read_form(request, limit) as form:
            stored = await run_in_threadpool(uploads.save_upload, form.get("file"),
                                             kbase.settings.uploads_dir / "import", {"csv", "xlsx"}, limit)
        try:
            report = (await run_in_threadpool(import_file, kbase, "mappings", stored.path, user.username)).to_json()
        finally:
            stored.path.unlink(missing_ok=True)
        report["file"] = stored.original_name
    except KBError as exc:
        error = exc
    return await run_in_threadpool(_mappings_list, request, {}, error, report=report)
