"""The "Quy chuẩn bắt buộc" section of a product or group page: it always has a state.

- ``regulations``: mandatory requirements apply (listed; they win over any review on record);
- ``none``: a curator reviewed and found none ("không có quy chuẩn bắt buộc (đã rà soát ngày …, bởi …)");
- ``unreviewed``: nobody has looked yet ("chưa rà soát"), which is not the same as "none".
"""

from __future__ import annotations

from typing import Any

from kb.models import MandatoryReview
from kb.reviews import is_mandatory


def mandatory_standards(standards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's standards (dicts with ``mapping_type`` and ``mandatory``) that are mandatory requirements."""
    return [s for s in standards if is_mandatory(s["mapping_type"], s["mandatory"])]


def mandatory_section(regulations: list[dict[str, Any]], reviewed: MandatoryReview | None) -> dict[str, Any]:
    """The section's state for a page whose standards are ``regulations`` (all of the page's standards,
    own and inherited: only the mandatory ones count) and whose review is on ``reviewed`` (a Product or a
    ProductGroup). The review fields are given only in the ``none`` state, the one where they are shown."""
    found = mandatory_standards(regulations)
    out: dict[str, Any] = {"state": "unreviewed", "regulations": [], "reviewed_at": None, "reviewed_by": None,
                           "note": None}
    if found:
        out["state"] = "regulations"
        out["regulations"] = [
            {k: s.get(k) for k in ("code", "title", "url", "status", "status_label", "mapping_type",
                                 "mapping_type_label", "inherited_from")}
            for s in found
        ]
        out["label"] = f"Phải đáp ứng {len(found)} quy chuẩn, tiêu chuẩn bắt buộc."
        return out
    when = reviewed.mandatory_reviewed_at if reviewed is not None else None
    if reviewed is None or when is None:
        out["label"] = "Chưa rà soát: chưa xác định có quy chuẩn bắt buộc nào áp dụng hay không."
        return out
    by = reviewed.mandatory_reviewed_by
    out.update(state="none", reviewed_at=when.isoformat(), reviewed_by=by, note=reviewed.mandatory_review_note)
    out["label"] = (f"Không có quy chuẩn bắt buộc (đã rà soát ngày {when:%d/%m/%Y}"
                    + (f", bởi {by})." if by else")."))
    return out
