"""The audit log: every change as a sentence, filtered in Vietnamese, its before/after as a table, and
"Hoàn tác" only on the changes that can still be undone (``kb.versioning.revertable``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kb import audit, urls, versioning
from kb.errors import KBError, NotFound
from kb.models import AuditEvent
from kb.read import audit as audit_read
from kb.text import is_digits
from web import auth
from web.auth import CuratorUser
from web.deps import MAX_ID, get_kbase
from web.routes.curate._common import TAGS, Id, back, ctx

router = APIRouter(tags=TAGS, include_in_schema=False)

PAGE_SIZE = 50
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _day(text: str, what: str, errors: list[str]) -> date | None:
    """A date from the filter: 2026-12-06 (what the date picker sends) or 06/12/2026 (typed by hand)."""
    text = text.strip()
    if not text:
        return None
    try:
        if m := _DMY.match(text):
            return date(int(m[3]), int(m[2]), int(m[1]))
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{what} “{text[:20]}” không phải một ngày (viết 06/12/2026 hoặc 2026-12-06)")
        return None


def describe(session: Any, events: list[AuditEvent]) -> list[audit_read.AuditLine]:
    """The page's rows: sentences, before/after under the forms' own field names, and whether each can be
    undone (``kb.versioning.revert_blocks``)."""
    lines = audit_read.describe(session, events, auth.LABELS_VI["fields"],
                                {"legal_document": auth.LEGAL_FIELD_LABELS_VI})
    blocks = versioning.revert_blocks(session, events)
    for line in lines:
        line.revert_block = blocks.get(line.event.id or 0, line.revert_block)
    return lines


def record_links(entity: str, entity_id: int | None) -> list[tuple[str, str]]:
    """(label, url) of the pages of the record an event changed: its history in the log, its page."""
    if entity_id is None:
        return []
    links = [("Lịch sử của bản ghi này", f"/curate/audit?entity={entity}&entity_id={entity_id}")]
    page = {"mapping": f"/curate/mappings/{entity_id}", "product": f"/curate/products/{entity_id}",
            "lab": urls.lab_url(entity_id)}.get(entity)
    if page:
        links.append((f"Trang {audit_read.entity_label(entity)}", page))
    return links


@router.get("/curate/audit")
def audit_page(
    request: Request, user: CuratorUser,
    entity: Annotated[str, Query(max_length=40)] = "",
    actor: Annotated[str, Query(max_length=80)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    days: Annotated[int | None, Query(ge=1, le=3650)] = None,
    since: Annotated[str, Query(max_length=20, alias="from")] = "",
    until: Annotated[str, Query(max_length=20, alias="to")] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    errors: list[str] = []
    start, end = _day(since, "Từ ngày", errors), _day(until, "Đến ngày", errors)
    if start and end and start > end:
        errors.append("“Từ ngày” phải trước hoặc bằng “Đến ngày”")
    text = unicodedata.normalize("NFC", q).strip()
    actor = unicodedata.normalize("NFC", actor).strip()
    with get_kbase(request).session() as session:
        entities, actions, actors = audit.facets(session)
        if entity and entity not in {*entities, *audit_read.ENTITY_LABELS}:
            errors.append("Không có loại bản ghi này trong nhật ký")
        if action and action not in {*actions, *audit_read.ACTION_VERBS}:
            errors.append("Không có thao tác này trong nhật ký")
        events: list[AuditEvent] = [] if errors else audit.audit_events(
            session, entity=entity or None, actor=actor or None,
            action=audit_read.same_action(action) if action else None, entity_id=entity_id, days=days,
            since=start, until=end, text=text or None, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        more = len(events) > PAGE_SIZE
        lines = describe(session, events[:PAGE_SIZE])
    filters = {"entity": entity, "actor": actor, "action": action, "entity_id": entity_id or "", "days": days or "",
               "from": since.strip(), "to": until.strip(), "q": text}
    query = "&".join(f"{k}={v}" for k, v in _encoded(filters).items() if v)
    c = ctx(request, lines=lines, filters=filters, query=query, errors=errors, page=page, more=more,
            entities=audit_read.entity_choices(entities), actions=audit_read.action_choices(actions), actors=actors)
    done = request.query_params.get("event", "")
    if c["notice"] and is_digits(done):
        c["notice"] = f"Đã hoàn tác sự kiện #{done}."
    return auth.render_private(request, "curate/audit.html", c, status_code=400 if errors else 200)


def _encoded(filters: dict[str, Any]) -> dict[str, str]:
    return {k: quote(str(v), safe="") for k, v in filters.items()}


@router.post("/curate/audit/{event_id}/revert")
def revert_submit(request: Request, event_id: Id, user: CuratorUser) -> Response:
    try:
        with get_kbase(request).session() as session:
            versioning.revert_event(session, event_id, user.username)
    except KBError as exc:
        # the refusal says why and leads back to the log and the record, not to the home page
        with get_kbase(request).session() as session:
            event = session.get(AuditEvent, event_id)
            line = describe(session, [event])[0] if event else None
        return auth.render_private(request, "curate/audit_refused.html", ctx(
            request, message=exc.message, line=line, event_id=event_id,
            links=record_links(event.entity, event.entity_id) if event else []),
            status_code=404 if isinstance(exc, NotFound) else exc.status)
    return back(f"/curate/audit?event={event_id}", "reverted")
