"""The curation JSON API: create, decide and edit mappings; answer whether a risk-list item applies to a
product; revert a logged change."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from kb import audit, mappings, products, risk_decisions, versioning
from kb.errors import BadInput
from kb.models import Mapping
from kb.versioning import StaleEdit
from web.auth import CuratorUser
from web.deps import MAX_ID, get_kbase
from web.routes.curate._common import TAGS, Id
from web.schemas import ApiError, BulkDecision, MappingList, RiskItemAnswer

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


#: The refusals every curator endpoint may answer, documented once.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "Tham số không hợp lệ (thông báo tiếng Việt trong ``detail``)"},
    401: {"model": ApiError, "description": "Chưa đăng nhập"},
    403: {"model": ApiError, "description": "Tài khoản không phải cán bộ biên tập hoặc quản trị; hoặc yêu cầu gửi từ "
                                            "trang web khác (CSRF)"},
}
FilterText = Annotated[str, Query(max_length=200)]


@router.get("/api/mappings", response_model=MappingList, responses=ERRORS,
            summary="Danh sách ánh xạ theo bộ lọc (cán bộ biên tập)")
def api_mappings(
    request: Request, user: CuratorUser,
    product: Annotated[str, Query(max_length=200, description="Mã số sản phẩm, hoặc một phần tên (không dấu được)")] = "",
    standard: Annotated[str, Query(max_length=200, description="Ký hiệu; không có năm: mọi lần ban hành")] = "",
    status: Annotated[str, Query(max_length=20, description="suggested, approved, rejected; trống: mọi trạng thái")] = "",
    type: Annotated[str, Query(max_length=40, description="Loại ánh xạ (mandatory, voluntary, test_method …)")] = "",
    min_score: Annotated[float | None, Query(ge=0, le=1, description="Điểm đề xuất tối thiểu")] = None,
    group: Annotated[str, Query(max_length=80, description="Nhóm sản phẩm (slug), kể cả các nhóm con")] = "",
    source: Annotated[str, Query(max_length=20, description="auto, curator hoặc import")] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=mappings.MAX_BULK)] = 100,
) -> dict[str, Any]:
    """Các ánh xạ khớp mọi bộ lọc đã cho, đề xuất điểm cao trước; mỗi ánh xạ kèm ``version`` để gửi lại khi
    quyết định (``POST /api/mappings/bulk``)."""
    with get_kbase(request).session() as session:
        f = mappings.parse_queue_filter(session, product=product, group=group, standard=standard, type=type,
                                        min_score=min_score, source=source, status=status)
        total = mappings.queue_count(session, f)
        rows = mappings.queue_rows(session, f, limit=per_page, offset=(page - 1) * per_page)
        items = [mapping_json(r) for r in rows]
    return {"total": total, "page": page, "per_page": per_page, "pages": max(1, -(-total // per_page)),
            "items": items}


class BulkIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        description=f"Mã số các ánh xạ (tối đa {mappings.MAX_BULK})", json_schema_extra={"maxItems": mappings.MAX_BULK})
    status: Literal["approved", "rejected"]
    note: str | None = Field(default=None, max_length=2000, description="Lý do (bắt buộc khi từ chối)")
    versions: dict[int, Annotated[int, Field(ge=1)]] | None = Field(
        default=None, description="Phiên bản đã đọc của từng ánh xạ ({id: version}); lệch → conflict cho id đó")


@router.post("/api/mappings/bulk", response_model=BulkDecision, responses=ERRORS,
             summary="Duyệt hoặc từ chối nhiều đề xuất ánh xạ một lần")
def api_mappings_bulk(request: Request, body: BulkIn, user: CuratorUser) -> dict[str, Any]:
    """Áp dụng từng id riêng (mỗi id một giao dịch con và một sự kiện nhật ký): ``ok`` khi đã áp dụng,
    ``conflict`` khi phiên bản đã cũ hoặc đề xuất đã được quyết định trước (giữ nguyên), ``not_found`` khi
    không có. Cả lô bị từ chối (400) khi không có id, quá ``MAX_BULK`` id, ``versions`` nêu id ngoài ``ids``
    hoặc từ chối mà không có lý do."""
    with get_kbase(request).session() as session:
        out = mappings.bulk_decide(session, body.ids, body.status, user.username, note=body.note,
                                   versions=body.versions)
    counts = {k: sum(1 for o in out if o.result == k) for k in ("ok", "conflict", "not_found")}
    return {"status": body.status, "counts": counts, "results": [asdict(o) for o in out]}


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
