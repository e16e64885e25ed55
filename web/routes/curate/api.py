"""The curation JSON API: create, decide and edit mappings; answer whether a risk-list item applies to a
product; revert a logged change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kb import audit, mappings, products, risk_decisions, versioning
from kb.errors import BadInput
from kb.models import Mapping
from kb.versioning import StaleEdit
from web.auth import CuratorUser
from web.deps import get_kbase
from web.routes.curate._common import TAGS, Id
from web.schemas import RiskItemAnswer

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


class RiskItemIn(BaseModel):
    document: str = Field(max_length=80, description="Số hiệu văn bản của danh mục, viết kiểu nào cũng được")
    annex: str | None = Field(default=None, max_length=40, description="Phụ lục như danh mục ghi (trống: không có)")
    item: str | None = Field(default=None, max_length=40, description="Số mục như danh mục ghi (trống: không có)")
    hs_code: str = Field(max_length=20, description="Mã HS của dòng danh mục (8517.14 hay 851714)")
    applies: bool | None = Field(description="true: mục áp dụng cho sản phẩm; false: không áp dụng; null: bỏ câu trả lời")
    note: str | None = Field(default=None, max_length=2000)
    version: int | None = Field(default=None, ge=1, description="Phiên bản câu trả lời đã đọc (không gửi khi chưa có); "
                                                                "lệch → 409")


@router.post("/api/products/{product_id}/risk-items", response_model=RiskItemAnswer,
             summary="Xác nhận mục danh mục hàng hóa rủi ro có áp dụng cho sản phẩm hay không")
def api_risk_item(request: Request, product_id: Id, body: RiskItemIn, user: CuratorUser) -> Response:
    """Khi một mã HS của sản phẩm thuộc nhiều mục danh mục, người biên tập trả lời từng mục: áp dụng
    (``confirmed``) hoặc không (mục rời khỏi ``regulatory.requirements`` và mức rủi ro của sản phẩm)."""
    candidate = risk_decisions.Candidate(body.document, body.annex, body.item, body.hs_code)
    try:
        with get_kbase(request).session() as session:
            p = products.require_product(session, product_id)
            if body.applies is None:
                event = risk_decisions.clear(session, p, candidate, user.username, body.version)
            else:
                event = risk_decisions.decide(session, p, candidate, body.applies, body.note, user.username,
                                              body.version)
            d = risk_decisions.current(session, product_id, candidate)
            data = {**body.model_dump(include={"document", "annex", "item", "hs_code"}), "product_id": product_id,
                    "decision": risk_decisions.as_dict(d) if d is not None else None,
                    "event_id": event.id if event else None, "summary": event.summary if event else None}
    except StaleEdit as exc:
        return JSONResponse(exc.to_json(), status_code=409)
    return JSONResponse(data)


@router.post("/api/audit/{event_id}/revert", summary="Hoàn tác một thay đổi trong nhật ký")
def api_revert(request: Request, event_id: Id, user: CuratorUser) -> dict[str, Any]:
    with get_kbase(request).session() as session:
        versioning.revert_event(session, event_id, user.username)
    return {"reverted": event_id}
