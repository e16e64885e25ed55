"""The JSON API: the same read models as the pages (``kb.read``), documented in /openapi.json."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from kb.read import browse, coverage, export, labs, products, standards
from web.deps import AnswersDep, KBDep, LabId, ProductId, SessionDep, data_version, render
from web.routes.browse import Page, Stars, Text
from web.routes.products import OnDate
from web.routes.search import Filter, Kind, Limit, Q, keep_out_of_caches, run_search_on_loop
from web.schemas import ExportedMapping, LabDetail, ProductDetail, SearchResponse, StandardDetail

router = APIRouter(prefix="/api", tags=["API"])


@router.get("/search", response_model=SearchResponse, summary="Tìm tiêu chuẩn, sản phẩm, phòng thí nghiệm")
async def api_search(
    kbase: KBDep,
    response: Response,
    q: Q = "",
    kind: Annotated[Kind | None, Query(description="Chỉ một loại: standard, product, lab hoặc group")] = None,
    limit: Limit = 10,
    doc_type: Filter = None,
    status: Filter = None,
    mandatory: Filter = None,
    district: Filter = None,
    year: Filter = None,
    ics: Filter = None,
) -> dict[str, Any]:
    """Kết quả xếp hạng của mọi loại (hoặc một loại ``kind``), kèm gợi ý chính tả ``did_you_mean`` và số đếm
    theo từng bộ lọc ``facets``. Gõ không dấu được (``banh phu the``); ký hiệu gõ tự do (``tcvn3118``,
    ``qcvn 8 1 2011``)."""
    filters = {k: v for k, v in {"doc_type": doc_type, "status": status, "mandatory": mandatory,
                                 "district": district, "year": year, "ics": ics}.items() if v}
    results = await run_search_on_loop(kbase, q, kind, limit, filters)
    keep_out_of_caches(response, results)
    return results


@router.get("/standards/{code:path}", response_model=StandardDetail, summary="Một tiêu chuẩn, quy chuẩn")
def api_standard(code: str, session: SessionDep) -> dict[str, Any]:
    """Văn bản có ký hiệu ``code`` (mã hóa URL, viết kiểu nào cũng được) với các quan hệ (``in_kb``: đầu kia
    có trong cơ sở dữ liệu hay không), sản phẩm (ánh xạ đã duyệt), phòng thí nghiệm (phạm vi công nhận viện
    dẫn văn bản làm phương pháp thử), chỉ tiêu và nguồn gốc của từng trường (trang, đã kiểm tra hay chưa)."""
    return standards.standard_detail(session, code)


@router.get("/products/{product_id}", response_model=ProductDetail, summary="Một sản phẩm và chuỗi tiêu chuẩn")
async def api_product(product_id: ProductId, request: Request, kbase: KBDep, answers: AnswersDep,
                      on: OnDate = None) -> dict[str, Any]:
    """Sản phẩm với các tiêu chuẩn đã duyệt; mỗi tiêu chuẩn kèm các phòng thí nghiệm có phạm vi công nhận
    viện dẫn nó làm phương pháp thử, các chỉ tiêu và việc cần làm tiếp theo (công bố hợp quy, hợp chuẩn);
    ``regulatory``: yêu cầu của các danh mục hàng hóa rủi ro có hiệu lực vào ngày ``on`` (mặc định hôm nay)
    đối với mã HS của sản phẩm."""
    # An answer kept for this data needs no database: served here, on the event loop, without the hand-offs
    # to a worker thread a database session would cost; otherwise read in a worker thread.
    version = data_version(request)
    kept = products.stored_product_answer(answers, product_id, on, version)
    if kept is not None:
        return kept

    def read() -> dict[str, Any]:
        with kbase.session() as session:
            return products.product_answer(session, answers, product_id, on, version)

    return await run_in_threadpool(read)


@router.get("/labs/{lab_id}", response_model=LabDetail, summary="Một phòng thí nghiệm và phạm vi công nhận")
def api_lab(lab_id: LabId, session: SessionDep, q: Annotated[str, Query(max_length=200)] = "") -> dict[str, Any]:
    return labs.lab_detail(session, lab_id, q=q)


@router.get("/browse", summary="Tổng quan để duyệt")
def api_browse(session: SessionDep) -> dict[str, Any]:
    return browse.browse_overview(session)


@router.get("/browse/products", summary="Duyệt sản phẩm theo loại, nhóm OCOP, số sao, huyện")
def api_browse_products(
    session: SessionDep, kind: Text = None, group: Text = None, stars: Stars = None, district: Text = None,
    page: Page = 1,
) -> dict[str, Any]:
    return browse.browse_products(session, kind=kind, group=group, stars=stars, district=district, page=page)


@router.get("/browse/standards", summary="Duyệt tiêu chuẩn theo loại, trạng thái, ICS")
def api_browse_standards(
    session: SessionDep, doc_type: Text = None, status: Text = None, ics: Text = None, page: Page = 1,
) -> dict[str, Any]:
    return browse.browse_standards(session, doc_type=doc_type, status=status, ics=ics, page=page)


@router.get("/coverage", summary="Độ phủ và các khoảng trống của cơ sở dữ liệu")
def api_coverage(session: SessionDep) -> dict[str, Any]:
    return coverage.coverage(session)


@router.get("/export/mappings.json", response_model=list[ExportedMapping],
            summary="Dữ liệu mở: ánh xạ sản phẩm – tiêu chuẩn đã duyệt (JSON)")
def export_mappings_json(session: SessionDep) -> list[dict[str, Any]]:
    return export.approved_mappings(session)


@router.get("/export/mappings.csv", summary="Dữ liệu mở: ánh xạ sản phẩm – tiêu chuẩn đã duyệt (CSV, UTF-8)",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_mappings_csv(session: SessionDep) -> Response:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=export.EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in export.approved_mappings(session):
        writer.writerow({k: _csv_safe(row[k]) for k in export.EXPORT_COLUMNS})
    # A BOM lets spreadsheet programs read the Vietnamese text as UTF-8.
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="mappings.csv"'})


def _csv_safe(value: Any) -> Any:
    # Cells starting with = + - @ run as formulas in spreadsheets: defuse them (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


#: A working example for each documented path (the docs page links them).
EXAMPLES = {
    "/api/search": "/api/search?q=banh+phu+the",
    "/api/standards/{code}": "/api/standards/QCVN%208-1:2011/BYT",
    "/api/coverage": "/api/coverage",
    "/api/browse": "/api/browse",
    "/api/browse/products": "/api/browse/products?kind=ocop&stars=4",
    "/api/browse/standards": "/api/browse/standards?doc_type=QCVN",
    "/api/export/mappings.csv": "/api/export/mappings.csv",
    "/api/export/mappings.json": "/api/export/mappings.json",
}


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request) -> Response:
    """The API reference rendered on the server from the OpenAPI document: no CDN, no script."""
    operations = []
    for path, methods in request.app.openapi()["paths"].items():
        for method, op in methods.items():
            params = []
            for p in op.get("parameters", []):
                schema = p.get("schema", {})
                kinds = [" | ".join(map(str, x["enum"])) if "enum" in x else x.get("type")
                         for x in schema.get("anyOf", [schema])]
                bounds = [f"{k} {schema[k]}" for k in ("minimum", "maximum", "maxLength") if k in schema]
                params.append({"name": p["name"], "where": {"query": "truy vấn", "path": "đường dẫn"}.get(p["in"], p["in"]),
                               "required": p.get("required", False),
                               "type": " | ".join(k for k in kinds if k and k != "null") + (f" ({', '.join(bounds)})" if bounds else ""),
                               "description": p.get("description") or schema.get("description") or ""})
            operations.append({"id": op.get("operationId", path), "method": method.upper(), "path": path,
                               "summary": op.get("summary"), "description": (op.get("description") or "").strip(),
                               "params": params, "example": EXAMPLES.get(path)})
    return render(request, "api/docs.html", {"operations": operations})
