"""What the curator pages share: the notices after a redirect, the template context, the record id path."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import RedirectResponse

from kb.errors import BadInput
from kb.models import MAPPING_TYPE_LABELS_VI, STATUS_LABELS_VI
from kb.text import is_digits
from web import auth
from web.deps import MAX_ID

#: The OpenAPI section of the curation routes (only the JSON API is listed).
TAGS: list[str | Enum] = ["Biên tập"]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

NOTICES = {
    "approved": "Đã duyệt ánh xạ.",
    "rejected": "Đã từ chối ánh xạ.",
    "suggested": "Đã đưa ánh xạ về hàng đề xuất.",
    "created": "Đã tạo ánh xạ.",
    "saved": "Đã lưu.",
    "rule": "Đã tạo quy tắc và các đề xuất.",
    "rule-deleted": "Đã xóa quy tắc.",
    "repointed": "Đã chuyển ánh xạ sang tiêu chuẩn thay thế.",
    "reverted": "Đã hoàn tác.",
    "reviewed": "Đã duyệt dữ liệu trích xuất.",
    "proposal-accepted": "Đã nhận đề xuất thay đổi.",
    "proposal-rejected": "Đã từ chối đề xuất thay đổi; bản ghi giữ nguyên.",
    "uploaded": "Đã nhận tệp; đang xử lý.",
    "mandatory-reviewed": "Đã ghi kết quả rà soát: không có quy chuẩn bắt buộc.",
    "mandatory-cleared": "Đã bỏ kết quả rà soát quy chuẩn bắt buộc.",
    "hs-added": "Đã thêm mã HS.",
    "hs-suggested": "Đã gợi ý mã HS từ danh mục; hãy duyệt hoặc loại từng mã.",
    "hs-approved": "Đã duyệt mã HS.",
    "hs-rejected": "Đã loại mã HS.",
    "hs-removed": "Đã xóa mã HS.",
    "risk-decided": "Đã ghi câu trả lời về mục danh mục.",
    "risk-unchanged": "Câu trả lời này đã có sẵn; không có gì thay đổi.",
}


def ctx(request: Request, **extra: Any) -> dict[str, Any]:
    return auth.context(request, notice=NOTICES.get(request.query_params.get("ok", "")),
                        type_labels=MAPPING_TYPE_LABELS_VI, status_labels=STATUS_LABELS_VI,
                        error=None, conflict=None, **extra)


def back(url: str, notice: str) -> RedirectResponse:
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}ok={notice}", status_code=303)


def form_version(text: str) -> int:
    """The record version a form was rendered from (optimistic locking); a form without one is refused."""
    if not is_digits(text):
        raise BadInput("thiếu phiên bản của biểu mẫu (version)")
    return int(text)
