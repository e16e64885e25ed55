"""Lab self-service: a lab's own accounts (and curators, admins) keep its profile and scope up to date.

HTML under ``/lab``, JSON under ``/api/labs/{id}/scope``. The permission is in each signature
(``LabEditor``: the lab's users, curators, admins; ``CuratorUser`` for verification).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from kb import audit, labs
from kb.errors import KBError
from kb.models import AuditEvent, IngestRun, Lab, LabScope, Role, pk
from kb.read.labs import validity
from kb.text import is_digits
from kb.versioning import StaleEdit
from web import auth, uploads
from web.auth import CuratorUser, CurrentUser, LabEditor
from web.deps import MAX_ID, LabId, get_kbase
from web.forms import render_form, submit
from web.jobs import REFRESH_SECONDS, job_view

router = APIRouter(tags=["Phòng thí nghiệm tự quản"])

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số dòng phạm vi")]
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số lượt nhập")]
EventId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số sự kiện xóa trong nhật ký")]
#: Scope files are small tables; a larger upload is a mistake or an attack.
SCOPE_UPLOAD_MB = 5

NOTICES = {
    "saved": "Đã lưu.",
    "added": "Đã thêm dòng phạm vi.",
    "deleted": "Đã xóa dòng phạm vi.",
    "restored": "Đã khôi phục dòng phạm vi vừa xóa.",
    "verified": "Đã xác minh thông tin phòng thí nghiệm.",
}
#: The scope file's name when downloaded, and the empty template's.
TEMPLATE_NAME = "mau-pham-vi-cong-nhan.csv"


class ScopeIn(BaseModel):
    material: str | None = Field(default=None, max_length=2000)
    test: str = Field(min_length=1, max_length=2000)
    range: str | None = Field(default=None, max_length=500)
    method: str | None = Field(default=None, max_length=2000)
    accredited: bool = True
    version: int | None = Field(default=None, ge=1, description="Phiên bản đã đọc; lệch → 409")


def scope_json(session: Session, row: LabScope) -> dict[str, Any]:
    """A scope row with its link status: ``links`` (each method code and the standard it reaches, if any),
    ``linked``, and ``unrecognised`` (method text that is no designation, kept as typed)."""
    flags = labs.method_flags(session, [row]).get(pk(row), {"links": [], "linked": False, "unrecognised": []})
    return {
        "id": row.id, "lab_id": row.lab_id, "material": row.material, "test": row.test, "range": row.range,
        "method": row.method, "accredited": row.accredited, "method_codes": row.method_codes,
        "links": [{k: m[k] for k in ("code", "linked", "standard", "url", "superseded")} for m in flags["links"]],
        "linked": flags["linked"], "unrecognised": flags["unrecognised"],
        "version": row.version, "updated_at": audit.jsonable(row.updated_at),
    }


def _conflict(exc: StaleEdit) -> JSONResponse:
    return JSONResponse(exc.to_json(), status_code=409)


# --- JSON API -------------------------------------------------------------------------------------


@router.get("/api/labs/{lab_id}/scope", summary="Phạm vi công nhận kèm trạng thái liên kết tiêu chuẩn")
def api_scope_list(request: Request, lab_id: LabId, user: LabEditor) -> dict[str, Any]:
    with get_kbase(request).session() as session:
        lab = labs.require_lab(session, lab_id)
        return {"lab_id": lab.id, "accreditation": lab.accreditation,
                "rows": [scope_json(session, r) for r in labs.scope_rows(session, lab)]}


# Public, like the scope on the lab's public page (/labs/{id}, /api/labs/{id}): the file holds nothing more,
# and enterprises and the department can take it into a spreadsheet.
@router.get("/api/labs/{lab_id}/scope.csv", summary="Tải phạm vi công nhận dạng CSV (định dạng nhập lại được)",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def api_scope_csv(request: Request, lab_id: LabId) -> Response:
    from ingest.importers import scope_csv

    with get_kbase(request).session() as session:
        lab = labs.require_lab(session, lab_id)
        body = scope_csv(labs.scope_export(session, lab))
        name = f"pham-vi-{lab.accreditation.replace(' ', '-').lower()}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/api/labs/{lab_id}/scope/restore/{event_id}", summary="Hoàn tác việc xóa một dòng phạm vi")
def api_scope_restore(request: Request, lab_id: LabId, event_id: EventId, user: LabEditor) -> dict[str, Any]:
    with get_kbase(request).session() as session:
        row = labs.restore_scope(session, labs.require_lab(session, lab_id), event_id, user.username)
        return scope_json(session, row)


@router.post("/api/labs/{lab_id}/scope", status_code=201, summary="Thêm dòng phạm vi công nhận")
def api_scope_add(request: Request, lab_id: LabId, body: ScopeIn, user: LabEditor) -> dict[str, Any]:
    with get_kbase(request).session() as session:
        lab = labs.require_lab(session, lab_id)
        row = labs.add_scope_row(session, lab, labs.parse_scope_row(body.model_dump(exclude={"version"})), user.username)
        return scope_json(session, row)


@router.put("/api/labs/{lab_id}/scope/{row_id}", summary="Sửa dòng phạm vi (gửi version để tránh ghi đè)")
def api_scope_update(request: Request, lab_id: LabId, row_id: RowId, body: ScopeIn, user: LabEditor) -> Response:
    try:
        with get_kbase(request).session() as session:
            lab = labs.require_lab(session, lab_id)
            row = labs.update_scope(session, lab, row_id, labs.parse_scope_row(body.model_dump(exclude={"version"})),
                                    body.version, user.username)
            return JSONResponse(scope_json(session, row))
    except StaleEdit as exc:
        return _conflict(exc)


@router.delete("/api/labs/{lab_id}/scope/{row_id}", status_code=204, summary="Xóa dòng phạm vi")
def api_scope_delete(
    request: Request, lab_id: LabId, row_id: RowId, user: LabEditor,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    try:
        with get_kbase(request).session() as session:
            lab = labs.require_lab(session, lab_id)
            event_id = labs.delete_scope(session, lab, row_id, version, user.username)
    except StaleEdit as exc:
        return _conflict(exc)
    # The deletion's audit event: POST .../scope/restore/{it} undoes it.
    return Response(status_code=204, headers={"X-Undo-Event": str(event_id)})


@router.post("/api/labs/{lab_id}/verify", summary="Xác minh thông tin phòng thí nghiệm (cán bộ)")
def api_verify(request: Request, lab_id: LabId, user: CuratorUser) -> dict[str, Any]:
    with get_kbase(request).session() as session:
        lab = labs.verify_lab(session, labs.require_lab(session, lab_id), user.username)
        return {"id": lab.id, "verified_at": audit.jsonable(lab.verified_at), "verified_by": lab.verified_by,
                "validity_verified": lab.validity_verified}


# --- HTML -----------------------------------------------------------------------------------------


def _messages(request: Request, session: Session, lab: Lab) -> dict[str, Any]:
    """What the redirect after a change says (``?ok=``): the notice, the row it concerns with its link
    status, and for a deletion the event to undo."""
    params = request.query_params
    out: dict[str, Any] = {"notice": NOTICES.get(params.get("ok", "")), "touched": None, "undo": None}
    row_id = params.get("row", "")
    if is_digits(row_id) and int(row_id) <= MAX_ID:
        row = session.get(LabScope, int(row_id))
        if row is not None and row.lab_id == lab.id:
            out["touched"] = row
    undo = params.get("undo", "")
    if params.get("ok") == "deleted" and is_digits(undo) and int(undo) <= MAX_ID:
        event = session.get(AuditEvent, int(undo))
        if event is not None and event.entity == "lab_scope" and (event.before or {}).get("lab_id") == lab.id:
            out["undo"] = {"id": event.id, "test": event.before["test"] if event.before else ""}
    return out


def lab_page_context(request: Request, session: Session, lab: Lab, **extra: Any) -> dict[str, Any]:
    rows = labs.scope_rows(session, lab)
    values: dict[str, Any] = {"error": None, "conflict": None, "edit_row": None, "form": None}
    values.update(extra)
    messages = _messages(request, session, lab)
    return auth.context(
        request,
        lab=lab,
        rows=rows,
        flags=labs.method_flags(session, rows),
        changed=labs.changed_since_verification(session, lab),
        validity=validity(lab.valid_until, verified=lab.validity_verified),
        lab_notice=messages["notice"], touched=messages["touched"], undo=messages["undo"],
        template_name=TEMPLATE_NAME,
        # The lab's recent uploads, to get back to one still working (its page says how it went).
        jobs=session.exec(select(IngestRun).where(IngestRun.lab_id == lab.id)
                          .order_by(col(IngestRun.id).desc()).limit(5)).all(),
        **values,
    )


def _render_lab(request: Request, lab_id: int, exc: KBError | None = None, status: int = 200, **extra: Any) -> Response:
    """The lab's page; after a refused form, with the error (or the stale edit) and its status."""
    with get_kbase(request).session() as session:
        lab = labs.require_lab(session, lab_id)
        ctx = lab_page_context(request, session, lab, **extra)
    return render_form(request, "lab/edit.html", ctx, exc, status)


def _back(lab_id: int, notice: str, **params: int | None) -> RedirectResponse:
    query = "".join(f"&{k}={v}" for k, v in params.items() if v is not None)
    return RedirectResponse(f"/lab/{lab_id}?ok={notice}{query}#messages", status_code=303)


@router.get("/lab/" + TEMPLATE_NAME, include_in_schema=False)
def scope_template() -> Response:
    """The scope file's header row and nothing else: what a lab fills in to upload its whole scope."""
    from ingest.importers import scope_csv

    return Response(scope_csv([]), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}"'})


@router.get("/lab", include_in_schema=False)
def lab_home(request: Request, user: CurrentUser) -> Response:
    if user.role == Role.lab:
        return RedirectResponse(f"/lab/{user.lab_id}", status_code=303)
    with get_kbase(request).session() as session:
        all_labs = labs.all_labs(session)
        items = [{"lab": lab, "changed": labs.changed_since_verification(session, lab),
                  "validity": validity(lab.valid_until, verified=lab.validity_verified)} for lab in all_labs]
    return auth.render_private(request, "lab/index.html", auth.context(request, items=items))


@router.get("/lab/{lab_id}", include_in_schema=False)
def lab_edit_page(request: Request, lab_id: LabId, user: LabEditor,
                  edit: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    return _render_lab(request, lab_id, edit_row=edit)


@router.post("/lab/{lab_id}/profile", include_in_schema=False)
def lab_profile_submit(
    request: Request, lab_id: LabId, user: LabEditor,
    version: Annotated[int, Form(ge=1)],
    name: Annotated[str, Form(max_length=300)] = "",
    organization: Annotated[str, Form(max_length=300)] = "",
    valid_from: Annotated[str, Form(max_length=20)] = "",
    valid_until: Annotated[str, Form(max_length=20)] = "",
    address: Annotated[str, Form(max_length=500)] = "",
    district: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=100)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
    website: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    data = {"name": name, "organization": organization, "valid_from": valid_from or None,
            "valid_until": valid_until or None, "address": address, "district": district, "phone": phone,
            "email": email, "website": website}
    return submit(
        request,
        lambda session: labs.update_lab_profile(session, labs.require_lab(session, lab_id),
                                                labs.parse_lab_profile(data), version, user.username,
                                                confirmed=user.role != Role.lab),
        done=lambda _: _back(lab_id, "saved"),
        failed=lambda exc: _render_lab(request, lab_id, exc),
    )


@router.post("/lab/{lab_id}/scope", include_in_schema=False)
def lab_scope_add_submit(
    request: Request, lab_id: LabId, user: LabEditor,
    test: Annotated[str, Form(max_length=2000)] = "",
    material: Annotated[str, Form(max_length=2000)] = "",
    range: Annotated[str, Form(max_length=500)] = "",
    method: Annotated[str, Form(max_length=2000)] = "",
    accredited: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    data = {"test": test, "material": material, "range": range, "method": method, "accredited": bool(accredited)}
    return submit(
        request,
        lambda session: labs.add_scope_row(session, labs.require_lab(session, lab_id), labs.parse_scope_row(data),
                                           user.username),
        done=lambda row: _back(lab_id, "added", row=row.id),
        failed=lambda exc: _render_lab(request, lab_id, exc, form=data),
    )


@router.post("/lab/{lab_id}/scope/{row_id}", include_in_schema=False)
def lab_scope_edit_submit(
    request: Request, lab_id: LabId, row_id: RowId, user: LabEditor,
    version: Annotated[int, Form(ge=1)],
    test: Annotated[str, Form(max_length=2000)] = "",
    material: Annotated[str, Form(max_length=2000)] = "",
    range: Annotated[str, Form(max_length=500)] = "",
    method: Annotated[str, Form(max_length=2000)] = "",
    accredited: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    data = {"test": test, "material": material, "range": range, "method": method, "accredited": bool(accredited)}
    return submit(
        request,
        lambda session: labs.update_scope(session, labs.require_lab(session, lab_id), row_id,
                                          labs.parse_scope_row(data), version, user.username),
        done=lambda row: _back(lab_id, "saved", row=row.id),
        failed=lambda exc: _render_lab(request, lab_id, exc, edit_row=row_id),
    )


@router.get("/lab/{lab_id}/scope/{row_id}/delete", include_in_schema=False)
def lab_scope_delete_confirm(request: Request, lab_id: LabId, row_id: RowId, user: LabEditor) -> Response:
    """The confirmation step of a deletion: a page of its own, so it needs no JavaScript."""
    with get_kbase(request).session() as session:
        lab = labs.require_lab(session, lab_id)
        row = labs.scope_row(session, lab, row_id)
        ctx = auth.context(request, lab=lab, row=row, flags=labs.method_flags(session, [row]).get(row_id))
    return render_form(request, "lab/delete.html", ctx)


@router.post("/lab/{lab_id}/scope/{row_id}/delete", include_in_schema=False)
def lab_scope_delete_submit(
    request: Request, lab_id: LabId, row_id: RowId, user: LabEditor, version: Annotated[int, Form(ge=1)],
) -> Response:
    return submit(
        request,
        lambda session: labs.delete_scope(session, labs.require_lab(session, lab_id), row_id, version, user.username),
        done=lambda event_id: _back(lab_id, "deleted", undo=event_id),
        failed=lambda exc: _render_lab(request, lab_id, exc),
    )


@router.post("/lab/{lab_id}/scope/restore/{event_id}", include_in_schema=False)
def lab_scope_restore_submit(request: Request, lab_id: LabId, event_id: EventId, user: LabEditor) -> Response:
    return submit(
        request,
        lambda session: labs.restore_scope(session, labs.require_lab(session, lab_id), event_id, user.username),
        done=lambda row: _back(lab_id, "restored", row=row.id),
        failed=lambda exc: _render_lab(request, lab_id, exc),
    )


@router.post("/lab/{lab_id}/verify", include_in_schema=False)
def lab_verify_submit(request: Request, lab_id: LabId, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        labs.verify_lab(session, labs.require_lab(session, lab_id), user.username)
    return _back(lab_id, "verified")


@router.post("/lab/{lab_id}/upload", include_in_schema=False)
async def lab_upload_submit(request: Request, lab_id: LabId, user: LabEditor, background: BackgroundTasks) -> Response:
    """Store the scope file and answer at once with its job's page; the job replaces the scope in the
    background (``ingest.jobs``): every line checked first, then written in short batches."""
    from ingest import jobs

    kbase = get_kbase(request)
    try:
        async with uploads.read_form(request, SCOPE_UPLOAD_MB * 1024 * 1024) as form:
            stored = await run_in_threadpool(
                uploads.save_upload, form.get("file"), kbase.settings.uploads_dir / "scope", {"csv", "xlsx"},
                SCOPE_UPLOAD_MB * 1024 * 1024)
    except KBError as exc:
        return await run_in_threadpool(_render_lab, request, lab_id, exc)
    if stored.kind != "csv":
        from ingest.sheets import check_upload

        try:  # a spreadsheet bomb is refused now, with its reason, rather than in the background
            await run_in_threadpool(check_upload, stored.path, kbase.settings, stored.original_name)
        except KBError as exc:
            stored.path.unlink(missing_ok=True)
            return await run_in_threadpool(_render_lab, request, lab_id, exc)
    run_id = await run_in_threadpool(jobs.start_job, kbase, user.username, "lab-scope", stored.path,
                                     stored.original_name, lab_id)
    background.add_task(jobs.run_job, kbase, run_id, stored.path, user.username)
    return RedirectResponse(f"/lab/{lab_id}/jobs/{run_id}", status_code=303)


@router.get("/lab/{lab_id}/jobs/{run_id}", include_in_schema=False)
def lab_job_page(request: Request, lab_id: LabId, run_id: RunId, user: LabEditor) -> Response:
    """An upload job of this lab (another lab's job is not found here, and LabEditor keeps a lab account
    to its own lab)."""
    from ingest.jobs import BATCH_ROWS

    job = job_view(get_kbase(request), run_id, lab_id=lab_id)
    return auth.render_private(request, "jobs/job.html", auth.context(
        request, job=job, refresh_seconds=REFRESH_SECONDS, batch_rows=BATCH_ROWS,
        cancel_url=f"/lab/{lab_id}/jobs/{run_id}/cancel", back_url=f"/lab/{lab_id}", back_label="Về trang phạm vi"))


@router.post("/lab/{lab_id}/jobs/{run_id}/cancel", include_in_schema=False)
def lab_job_cancel(request: Request, lab_id: LabId, run_id: RunId, user: LabEditor) -> Response:
    from ingest.jobs import request_cancel

    kbase = get_kbase(request)
    job_view(kbase, run_id, lab_id=lab_id)  # NotFound for another lab's job
    request_cancel(kbase, run_id)
    return RedirectResponse(f"/lab/{lab_id}/jobs/{run_id}", status_code=303)
