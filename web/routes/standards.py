"""Standard pages: any spelling of a code redirects to the canonical URL."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from kb import codes
from kb.errors import NotFound
from kb.models import Document, Standard
from kb.read import standards
from kb.text import fold
from web.deps import DocId, SessionDep, render

router = APIRouter(tags=["Trang web"], include_in_schema=False)


@router.api_route("/standards/{code:path}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def standard_page(code: str, request: Request, session: SessionDep) -> Response:
    try:
        data = standards.standard_detail(session, code)
    except NotFound as exc:
        # Same error path; the 404 page also offers the editions of this series that we do have.
        exc.context = {"suggestions": standards.standard_suggestions(session, code)}
        raise
    if code != data["code"]:
        # Another spelling of the same edition moves for good; an undated code follows the edition in force.
        d, canonical = codes.parse(code), codes.parse(data["code"])
        same_edition = d is not None and canonical is not None and d.key == canonical.key
        return RedirectResponse(data["url"], status_code=301 if same_edition else 307)
    return render(request, "standards/detail.html", {"s": data})


@router.get("/documents/{doc_id}/file")
def document_file(doc_id: DocId, request: Request, session: SessionDep) -> Response:
    """The source PDF, only when a curator marked it as showable (``Document.may_show``)."""
    doc = session.get(Document, doc_id)
    if doc is None or not doc.may_show or not doc.stored_path:
        raise NotFound(f"Không có tệp gốc #{doc_id} để tải về")
    root = request.app.state.settings.data_dir.resolve()
    path = (root / doc.stored_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():  # a stored path never leaves the data dir
        raise NotFound(f"Không có tệp gốc #{doc_id} để tải về")
    # Named after the standard it holds: the stored name may be a content hash, which means nothing to a reader.
    code = session.exec(select(Standard.code).where(Standard.document_id == doc.id)).first()
    name = re.sub(r"[^0-9A-Z]+", "-", fold(code).upper()).strip("-") if code else f"van-ban-goc-{doc.id}"
    return FileResponse(path, media_type="application/pdf", filename=f"{name}.pdf",
                        content_disposition_type="inline")
