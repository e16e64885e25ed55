"""What the page of a spreadsheet upload job shows (``ingest.jobs``), for the lab's and the curator's routes.

A job is an ``IngestRun`` with a ``kind``; its page refreshes itself while the job works (a plain ``<meta
refresh>``: no JavaScript needed) and carries the form that asks the job to stop.
"""

from __future__ import annotations

from typing import Any

from kb import documents
from kb.core import KnowledgeBase
from kb.errors import NotFound
from kb.models import IngestRun, utcnow

STATES = {"running": "đang xử lý", "cancelling": "đang dừng…", "done": "xong", "failed": "thất bại",
          "cancelled": "đã dừng theo yêu cầu", "interrupted": "bị gián đoạn"}
PHASES = {"waiting": "đang chờ bắt đầu", "reading": "đang đọc và kiểm tra tệp", "writing": "đang ghi",
          "cleaning": "đang bỏ các dòng cũ không còn trong tệp"}
KIND_LABELS = {"lab-scope": "phạm vi phòng thí nghiệm", "standards": "danh mục tiêu chuẩn", "products": "sản phẩm",
               "labs": "phòng thí nghiệm", "mappings": "ánh xạ"}
#: Seconds between two refreshes of a working job's page.
REFRESH_SECONDS = 2


def _elapsed_vi(seconds: float) -> str:
    s = int(seconds)
    return f"{s} giây" if s < 60 else f"{s // 60} phút {s % 60:02d} giây"


def job_view(kbase: KnowledgeBase, run_id: int, lab_id: int | None = None) -> dict[str, Any]:
    """The job as its page shows it; NotFound when there is none (or, with ``lab_id``, not that lab's)."""
    documents.mark_interrupted(kbase, run_id)
    with kbase.session() as session:
        run = session.get(IngestRun, run_id)
        if run is None or run.kind is None or (lab_id is not None and run.lab_id != lab_id):
            raise NotFound(f"Không có lượt nhập #{run_id}")
        counts = dict(run.counts or {})
        if run.finished_at:
            state = "failed" if counts.get("phase") == "failed" else "done"
        elif run.interrupted_at:
            state = "cancelled" if run.cancel_requested_at else "interrupted"
        else:
            state = "cancelling" if run.cancel_requested_at else "running"
        end = run.finished_at or run.interrupted_at or utcnow()
        elapsed = max(0.0, (end - run.started_at).total_seconds())
        name = (run.planned or [{}])[0].get("name", "")
        return {
            "id": run.id, "kind": run.kind, "kind_label": KIND_LABELS.get(run.kind, run.kind), "lab_id": run.lab_id,
            "name": name, "actor": run.actor, "state": state, "state_label": STATES[state],
            "phase": counts.get("phase", "waiting"), "phase_label": PHASES.get(counts.get("phase", ""), ""),
            "read": counts.get("read", 0), "written": counts.get("written", 0), "total": counts.get("total"),
            "created": counts.get("created", 0), "updated": counts.get("updated", 0),
            "unchanged": counts.get("unchanged", 0), "deleted": counts.get("deleted", 0),
            "error_count": counts.get("error_count", 0), "errors": counts.get("errors", []),
            "applied": counts.get("applied"), "message": counts.get("message"),
            "elapsed_seconds": round(elapsed, 1), "elapsed_label": _elapsed_vi(elapsed),
            "working": state in ("running", "cancelling"), "can_cancel": state == "running",
        }
