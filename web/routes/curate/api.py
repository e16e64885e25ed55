"""The curation JSON API: create, decide and edit mappings; revert a logged change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kb import audit, mappings, versioning
from kb.errors import BadInput
from kb.models import Mapping
from kb.versioning import StaleEdit
from web.auth import CuratorUser
from web.deps import get_kbase
from web.routes.curate._common import TAGS, Id

router = APIRouter(tags=TAGS)


def mapping_json(row: dict[str, Any]) -> dict[str, Any]:
    """A mapping row (``kb.mappings.mapping_row``) as JSON: the mapping's columns, its product and standard."""
    m: Mapping = row["mapping"]
    out = {k: audit.jsonable(v) for k, v in m.model_dump().items()}
    if row["product"] is not None:
        out["product"] = row["product"].name
    if row["standard"] is not None:
        out["standard"] = row["standard"].code
    return out


class MappingIn(BaseModel):
    product: str | int = Field(description="Tên hoặc mã số sản phẩm")
    standard: str = Field(max_length=200, description="Ký hiệu tiêu chuẩn, cách viết nào cũng được")
    type: str = Field(default="voluntary", max_length=40)
    rationale: str | None = Field(default=None, max_length=5000)
    legal_basis: str | None = Field(default=None, max_length=5000)


class MappingPatch(BaseModel):
    status: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=2000, description="Lý do (bắt buộc khi từ chối)")
    type: str | None = Field(default=None, max_length=40)
    rationale: str | None = Field(default=None, max_length=5000)
    legal_basis: str | None = Field(default=None, max_length=5000)
    version: int | None = Field(default=None, ge=1, description="Phiên bản đã đọc; lệch → 409")


@router.post("/api/mappings", status_code=201, summary="Tạo ánh xạ sản phẩm ↔ tiêu chuẩn (đã duyệt)")
def api_mapping_create(request: Request, body: MappingIn, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        m, created = mappings.create_mapping(session, body.product, body.standard, body.type, body.rationale,
                                             body.legal_basis, user.username)
        data = mapping_json(mappings.mapping_row(session, m))
    return JSONResponse(data, status_code=201 if created else 200)


@router.patch("/api/mappings/{mapping_id}", summary="Duyệt / từ chối / sửa ánh xạ")
def api_mapping_patch(request: Request, mapping_id: Id, body: MappingPatch, user: CuratorUser) -> Response:
    try:
        with get_kbase(request).session() as session:
            fields = body.model_dump(include={"type", "rationale", "legal_basis"}, exclude_unset=True)
            version = body.version
            if fields:
                m = mappings.update_mapping(session, mapping_id, mappings.parse_mapping_changes(fields), version,
                                            user.username)
                version = None if version is None else m.version
            if body.status is not None:
                m = mappings.decide_mapping(session, mapping_id, body.status, user.username, note=body.note,
                                            expected_version=version)
            elif not fields:
                raise BadInput("không có gì để sửa (status, type, rationale, legal_basis)")
            data = mapping_json(mappings.mapping_row(session, m))
    except StaleEdit as exc:
        return JSONResponse(exc.to_json(), status_code=409)
    return JSONResponse(data)


@router.post("/api/audit/{event_id}/revert", summary="Hoàn tác một thay đổi trong nhật ký")
def api_revert(request: Request, event_id: Id, user: CuratorUser) -> dict[str, Any]:
    with get_kbase(request).session() as session:
        versioning.revert_event(session, event_id, user.username)
    return {"reverted": event_id}
