"""Home and search pages: one box; a code that names one standard, or the name of a product group, opens
it directly. Answers (hits) come first; partial matches apart below; with no answer, a way forward."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kb import contacts, metrics
from kb.core import KnowledgeBase
from kb.models import STATUS_LABELS_VI
from kb.read import browse, standards
from kb.text import clean
from kb.urls import group_url, standard_url
from web.deps import KBDep, SessionDep, render

if TYPE_CHECKING:
    from kb.search import SearchResults

router = APIRouter(tags=["Trang web"], include_in_schema=False)

Kind = Literal["standard", "product", "lab", "group"]
KIND_ORDER = ("group", "product", "standard", "lab")
KIND_LABELS = {"group": "Nhóm sản phẩm", "product": "Sản phẩm", "standard": "Tiêu chuẩn, quy chuẩn",
               "lab": "Phòng thí nghiệm"}
#: Facets a visitor can narrow by, in display order, with their Vietnamese names.
FACET_LABELS = {"kind": "Loại", "doc_type": "Loại văn bản", "status": "Trạng thái", "mandatory": "Bắt buộc",
                "district": "Huyện/thị xã", "year": "Năm", "ics": "ICS"}
FACET_VALUE_LABELS = {
    "kind": KIND_LABELS,
    "status": STATUS_LABELS_VI,
    "mandatory": {"mandatory": "Bắt buộc", "voluntary": "Tự nguyện"},
}
Q = Annotated[str, Query(max_length=500, description="Từ khóa, tên sản phẩm hoặc ký hiệu tiêu chuẩn")]
Limit = Annotated[int, Query(ge=1, le=100, description="Số kết quả tối đa")]
Filter = Annotated[str | None, Query(max_length=100, description="Lọc theo giá trị của bộ lọc cùng tên trong facets")]


#: Said above results answered from the database while the search index is rebuilt.
DEGRADED_NOTE = "Đang dựng lại chỉ mục, kết quả có thể chậm hơn."


def run_search(kbase: KnowledgeBase, q: str, kind: str | None, limit: int, filters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON shape of ``/api/search``, shared with the HTML page: with no hits, ``groups`` (the product
    groups that fit the words, else the top-level trades and OCOP groups with ``groups_fit`` false) and
    ``contact`` (DOST); ``degraded`` true when the answer came from the database while the index is rebuilt
    (see :func:`keep_out_of_caches`)."""
    from kb import search as kb_search  # whoosh loads only when somebody searches

    return _answer(kbase, q, kind, kb_search.search(kbase, q, kind=kind, limit=limit, filters=filters))


async def run_search_on_loop(kbase: KnowledgeBase, q: str, kind: str | None, limit: int,
                             filters: dict[str, Any] | None = None) -> dict[str, Any]:
    """:func:`run_search` from the event loop. The index's answer is computed right here: a few milliseconds
    of processor and no I/O, where a hand-off to a worker thread and back cost more than that, and sixteen
    threads of one process fought over the interpreter lock with the loop that reads and writes the
    connections (a third more answers a second with two workers, ``bench/workers.py``). What needs waiting or
    the database (the index rebuilt, a question with no hits) goes to a worker thread."""
    from kb import search as kb_search

    found = kb_search.search_now(kbase, q, kind=kind, limit=limit, filters=filters)
    if found is None:
        return await run_in_threadpool(run_search, kbase, q, kind, limit, filters)
    if _needs_way_forward(found):
        return await run_in_threadpool(_answer, kbase, q, kind, found)
    return _answer(kbase, q, kind, found)


def _needs_way_forward(found: SearchResults) -> bool:
    return not found.hits and bool(found.query)


def _answer(kbase: KnowledgeBase, q: str, kind: str | None, found: SearchResults) -> dict[str, Any]:
    from kb import search as kb_search

    res = found.to_json()
    metrics.searched(kind, res["degraded"])
    res.update(groups=[], groups_fit=False, contact=None)
    if _needs_way_forward(found):
        fit = kb_search.search(kbase, q, kind="group", limit=8)
        res["degraded"] = res["degraded"] or fit.degraded
        with kbase.session() as session:
            res.update(kb_search.way_forward(session, q, [h.id for h in fit.hits], [h.id for h in fit.near]))
    return res


def keep_out_of_caches(response: Response, results: dict[str, Any]) -> Response:
    """An answer of the slow path is not kept by the page cache, a proxy or the browser: once the index is
    back, the same question gets the index's answer."""
    if results.get("degraded"):
        response.headers["Cache-Control"] = "no-store"
    return response


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> Response:
    overview = browse.browse_overview(session)
    return render(request, "search/home.html", {"overview": overview, "q": ""})


@router.api_route("/search", methods=["GET", "HEAD"], response_class=HTMLResponse)
def search_page(
    request: Request,
    kbase: KBDep,
    session: SessionDep,
    q: Q = "",
    kind: Annotated[Kind | None, Query()] = None,
    limit: Limit = 30,
    doc_type: Filter = None,
    status: Filter = None,
    mandatory: Filter = None,
    district: Filter = None,
    year: Filter = None,
    ics: Filter = None,
) -> Response:
    q = clean(q)
    if not q:
        return RedirectResponse("/", status_code=303)
    filters = {k: v for k, v in {"doc_type": doc_type, "status": status, "mandatory": mandatory,
                                 "district": district, "year": year, "ics": ics}.items() if v}
    if not filters and kind in (None, "standard"):
        std = standards.resolve_code_query(session, q)
        if std is not None:
            return RedirectResponse(standard_url(std.code), status_code=303)
    if not filters and kind in (None, "group"):
        from kb.search import named_group

        group = named_group(session, q)
        if group is not None:
            return RedirectResponse(group_url(group.slug), status_code=303)
    results = run_search(kbase, q, kind, limit, filters)
    groups = []
    kind_counts = results.get("facets", {}).get("kind") or {}
    for k in KIND_ORDER:
        hits = [h for h in results["hits"] if h["kind"] == k]
        if hits:
            groups.append({"kind": k, "label": KIND_LABELS[k], "hits": hits,
                           "more": not kind and kind_counts.get(k, 0) > len(hits)})
    active = {"kind": kind, **filters}
    facets = []
    for name, label in FACET_LABELS.items():
        values = results.get("facets", {}).get(name) or {}
        if not values or (len(values) < 2 and not active.get(name)):
            continue  # a facet with one value narrows nothing
        facets.append({
            "name": name, "label": label,
            "values": [{"value": v, "count": n, "label": FACET_VALUE_LABELS.get(name, {}).get(v, v),
                        "active": active.get(name) == v,
                        "url": _facet_url(q, active, name, v)} for v, n in list(values.items())[:12]],
        })
    offered = {g["url"] for g in results.get("groups") or []}
    near = [h for h in results["near"] if h["url"] not in offered]  # a group offered above is not repeated
    contact = results.get("contact")
    contact_missing = contacts.missing_contact(contact)
    ctx = {"q": q, "kind": kind, "results": results, "groups": groups, "facets": facets,
           "near": near, "contact_missing": contact_missing,
           "active": {k: v for k, v in active.items() if v},
           "clear_url": _facet_url(q, {}, None, None), "degraded_note": DEGRADED_NOTE}
    return keep_out_of_caches(render(request, "search/results.html", ctx), results)


def _facet_url(q: str, active: dict[str, Any], name: str | None, value: str | None) -> str:
    from urllib.parse import urlencode

    params = {"q": q, **{k: v for k, v in active.items() if v}}
    if name is not None:
        if params.get(name) == value:
            params.pop(name)  # clicking an active facet clears it
        else:
            params[name] = value
    return "/search?" + urlencode(params)
