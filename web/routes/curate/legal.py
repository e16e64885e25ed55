"""The curator's legal documents: the list (filter by kind, status today and text), a form to add one and a
form to edit one with the documents it replaces, amends or guides; and their JSON twins (``POST /api/legal``,
``PATCH /api/legal/{code}``). Forms, API and ``kb import legal-documents`` share ``kb.legal``'s parser and
writer (versioned, audited); only the shape of the input differs here."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from kb import audit, legal
from kb.errors import BadInput, KBError, NotFound
from kb.models import LegalDocument
from kb.read import legal as read_legal
from kb.urls import legal_url
from kb.versioning import StaleEdit
from web import auth
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, back, ctx, form_version
from web.routes.curate.audit import describe as audit_lines

router = APIRouter(tags=TAGS)

Code = Annotated[str, Path(max_length=120, description="Số hiệu văn bản, viết kiểu nào cũng được")]
#: The form's fields, in page order: the document's columns, then the relations it declares.
FORM_FIELDS = (*legal.LEGAL_FIELDS, *legal.RELATIONS)
#: Names of the form's fields in the conflict box (the shared labels name other records' fields).


def _ctx(request: Request, **extra: Any) -> dict[str, Any]:
    c = ctx(request, **extra)
    c["vi"] = {**auth.LABELS_VI, "fields": {**auth.LABELS_VI["fields"], **auth.LEGAL_FIELD_LABELS_VI}}
    c.update(kinds=legal.KIND_LABELS_VI, statuses=legal.STATUS_LABELS_VI, relation_labels=legal.RELATION_LABELS_VI)
    return c


def _form_of(session: Session, doc: LegalDocument) -> dict[str, str]:
    def text(v: Any) -> str:
        return "" if v is None else v.isoformat() if isinstance(v, date) else str(getattr(v, "value", v))

    form = {f: text(getattr(doc, f)) for f in legal.LEGAL_FIELDS}
    form.update({r: "\n".join(lines) for r, lines in legal.relation_lines(session, doc.code_key).items()})
    return form


async def _read_form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=30)
    data = {f: str(form.get(f) or "")[:20000] for f in FORM_FIELDS}
    data["version"] = str(form.get("version") or "")[:20]
    return data


def _parsed(form: dict[str, str]) -> legal.LegalInput:
    return legal.parse_document({f: form[f] for f in FORM_FIELDS})


def _document(session: Session, code: str) -> LegalDocument:
    doc = legal.get_document(session, code)
    if doc is None:
        raise NotFound(f"Không có văn bản {code[:80]!r} trong cơ sở dữ liệu")
    return doc


def _edit_url(code: str) -> str:
    return "/curate" + legal_url(code)


@router.get("/curate/legal", include_in_schema=False)
def legal_list_page(request: Request, user: CuratorUser,
                    kind: Annotated[str, Query(max_length=20)] = "",
                    status: Annotated[str, Query(max_length=20)] = "",
                    q: Annotated[str, Query(max_length=200)] = "") -> Response:
    try:
        with get_kbase(request).session() as session:
            data = read_legal.curation_list(session, kind=kind, status=status, q=q)
    except BadInput as exc:  # a filter nobody offered: the whole list, with the reason
        with get_kbase(request).session() as session:
            data = read_legal.curation_list(session, q=q)
        return render_form(request, "curate/legal_list.html", _ctx(request, t=data), exc)
    return auth.render_private(request, "curate/legal_list.html", _ctx(request, t=data))


def _edit(request: Request, code: str | None, form: dict[str, str], exc: KBError | None = None) -> Response:
    """The form, for a new document (``code`` None) or a stored one with its history and what cites it."""
    c: dict[str, Any] = {"doc": None, "form": form, "history": [], "cited": None, "action": "/curate/legal/new"}
    if code is not None:
        with get_kbase(request).session() as session:
            doc = _document(session, code)
            c.update(doc=doc, action=_edit_url(doc.code), public_url=legal_url(doc.code),
                     history=audit_lines(session, audit.audit_events(session, entity="legal_document", entity_id=doc.id, limit=50)),
                     cited=read_legal.cited_by(session, doc.code_key, public=False))
    return render_form(request, "curate/legal_edit.html", _ctx(request, **c), exc)


@router.get("/curate/legal/new", include_in_schema=False)
def legal_new_page(request: Request, user: CuratorUser) -> Response:
    return _edit(request, None, {})


@router.post("/curate/legal/new", include_in_schema=False)
async def legal_create_submit(request: Request, user: CuratorUser) -> Response:
    form = await _read_form(request)
    return await run_in_threadpool(
        submit, request, lambda session: legal.create_document(session, _parsed(form), user.username).code,
        done=lambda code: back(_edit_url(code), "saved"),
        failed=lambda exc: _edit(request, None, form, exc),
    )


@router.get("/curate/legal/{code:path}", include_in_schema=False)
def legal_edit_page(request: Request, code: Code, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        doc = _document(session, code)
        if code != doc.code:  # another spelling of the number: the page has one address
            return RedirectResponse(_edit_url(doc.code), status_code=303)
        form = _form_of(session, doc)
    return _edit(request, doc.code, form)


@router.post("/curate/legal/{code:path}", include_in_schema=False)
async def legal_edit_submit(request: Request, code: Code, user: CuratorUser) -> Response:
    form = await _read_form(request)

    def handle() -> Response:
        with get_kbase(request).session() as session:
            doc = _document(session, code)
            key, canonical = doc.code_key, doc.code

        def work(session: Session) -> str:
            doc, _ = legal.update_document(session, key, _parsed(form), user.username, form_version(form["version"]))
            return doc.code

        def failed(exc: KBError) -> Response:
            if isinstance(exc, StaleEdit):  # the form shows what is stored now; the conflict box what differed
                with get_kbase(request).session() as session:
                    return _edit(request, canonical, _form_of(session, _document(session, key)), exc)
            return _edit(request, canonical, form, exc)

        return submit(request, work, done=lambda c: back(_edit_url(c), "saved"), failed=failed)

    return await run_in_threadpool(handle)


# --- JSON ---------------------------------------------------------------------------------------------


class _LegalFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str | None = Field(default=None, max_length=20,
                             description="law | decree | circular | decision | other; để trống: theo ký hiệu của số hiệu")
    title: str | None = Field(default=None, max_length=2000)
    issuer: str | None = Field(default=None, max_length=300)
    issued: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    effective_from: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    effective_until: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD, ngày cuối còn hiệu lực")
    status: str | None = Field(default=None, max_length=20,
                               description="in_force | not_yet | amended | replaced | expired | unknown (tình trạng ghi nhận)")
    source_url: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=5000)
    replaces: str | None = Field(default=None, max_length=5000, examples=["29/2025/TT-BKHCN@2026-07-01 (Điều 6 khoản 2)"],
                                 description="CODE@YYYY-MM-DD (căn cứ), cách nhau bằng ;")
    amends: str | None = Field(default=None, max_length=5000)
    guides: str | None = Field(default=None, max_length=5000)


class LegalIn(_LegalFields):
    """A legal document as the import's columns; relations as ``CODE@YYYY-MM-DD (căn cứ)`` separated by ``;``."""

    code: str = Field(max_length=120, description="Số hiệu, ví dụ 36/2026/TT-BKHCN (viết kiểu nào cũng được)")


class LegalPatch(_LegalFields):
    """Only the fields sent change (null or "" clears one); ``code`` may re-spell the number, not change it."""

    code: str | None = Field(default=None, max_length=120)
    version: int | None = Field(default=None, ge=1, description="Phiên bản đã đọc; lệch → 409")


def _input(body: BaseModel) -> dict[str, Any]:
    return {k: "" if v is None else v for k, v in body.model_dump(exclude_unset=True, exclude={"version"}).items()}


@router.post("/api/legal", status_code=201, summary="Thêm văn bản pháp luật",
             responses={400: {"description": "Dữ liệu không hợp lệ"}, 403: {"description": "Không có quyền"},
                        409: {"description": "Đã có văn bản mang số hiệu này"}})
def api_legal_create(request: Request, body: LegalIn, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        doc = legal.create_document(session, legal.parse_document(_input(body)), user.username)
        data = jsonable_encoder(read_legal.legal_detail(session, doc.code))
    return JSONResponse(data, status_code=201)


@router.patch("/api/legal/{code:path}", summary="Sửa văn bản pháp luật",
              responses={400: {"description": "Dữ liệu không hợp lệ"}, 403: {"description": "Không có quyền"},
                         404: {"description": "Không có văn bản"},
                         409: {"description": "Văn bản đã được người khác sửa (kèm bản hiện tại)"}})
def api_legal_patch(request: Request, code: Code, body: LegalPatch, user: CuratorUser) -> Response:
    fields = _input(body)
    try:
        with get_kbase(request).session() as session:
            doc = _document(session, code)
            if not fields:
                raise BadInput("không có gì để sửa")
            doc, _ = legal.update_document(session, doc.code_key, legal.parse_document({"code": doc.code, **fields}),
                                           user.username, body.version)
            data = jsonable_encoder(read_legal.legal_detail(session, doc.code))
    except StaleEdit as exc:
        return JSONResponse(exc.to_json(), status_code=409)
    return JSONResponse(data)
