"""The curator's product groups: list, create, edit, members placed or taken out by hand, group mappings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from kb import audit, groups, products, reviews, standards
from kb.errors import BadInput, KBError
from kb.models import GroupKind, ProductGroup, pk
from web import auth
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, Id, back, ctx, form_version
from web.routes.curate.audit import describe as audit_lines

router = APIRouter(tags=TAGS, include_in_schema=False)

Slug = Annotated[str, Path(max_length=80)]
GROUP_FORM_FIELDS = ("slug", "name", "kind", "parent", "aliases", "keywords", "hs_codes", "description", "route",
                     "sources")


async def _group_form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=40)
    data = {f: str(form.get(f) or "")[:5000] for f in GROUP_FORM_FIELDS}
    data["is_sample"] = "yes" if form.get("is_sample") else "no"  # an unticked box is not sent at all
    data["version"] = str(form.get("version") or "")
    return data


def _form_of(g: ProductGroup, parent: ProductGroup | None) -> dict[str, str]:
    def text(v: Any) -> str:
        return "; ".join(v) if isinstance(v, list) else "" if v is None else str(getattr(v, "value", v))

    return {**{f: text(getattr(g, f)) for f in GROUP_FORM_FIELDS if f not in ("parent", "sources")},
            "parent": parent.slug if parent else "", "sources": g.sources or "",
            "is_sample": "yes" if g.is_sample else "no"}


def _saved(session: Session, data: dict[str, str], actor: str, *, new: bool) -> str:
    parsed = groups.parse_group({k: v for k, v in data.items() if k != "version"})
    if new:
        groups.ensure_unused_slug(session, parsed.slug)
        group, _ = groups.upsert_group(session, parsed, actor)
    else:
        group, _ = groups.upsert_group(session, parsed, actor, expected_version=form_version(data["version"]))
    groups.refresh_members(session, actor, group_ids=[pk(group)])  # its keywords or codes may have changed
    return group.slug


@router.get("/curate/groups")
def groups_page(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        items = [(g, len(groups.members(session, g))) for g in groups.list_groups(session)]
        by_id = {g.id: g for g, _ in items}
    return auth.render_private(request, "curate/groups.html", ctx(request, items=items, by_id=by_id))


def _group_edit(request: Request, slug: str | None, form: dict[str, str], exc: KBError | None = None,
                review_note: str = "") -> Response:
    c: dict[str, Any] = {"form": form, "kinds": list(GroupKind), "group": None, "review_note": review_note}
    with get_kbase(request).session() as session:
        all_groups = groups.list_groups(session)
        if slug is not None:
            g = groups.require_group(session, slug)
            c.update(group=g, members=groups.members(session, g, include_excluded=True), mappings=groups.mappings_of_group(session, g),
                     history=audit_lines(session, audit.audit_events(session, entity="product_group", entity_id=g.id, limit=50)),
                     applies=reviews.mandatory_codes(session, g))
        c["parents"] = [g.slug for g in all_groups if g.slug != slug]
    return render_form(request, "curate/group.html", ctx(request, **c), exc)


@router.get("/curate/groups/new")
def group_new_page(request: Request, user: CuratorUser) -> Response:
    return _group_edit(request, None, {"kind": "trade"})


@router.post("/curate/groups")
async def group_create_submit(request: Request, user: CuratorUser) -> Response:
    form = await _group_form(request)
    return await run_in_threadpool(
        submit, request, lambda session: _saved(session, form, user.username, new=True),
        done=lambda slug: back(f"/curate/groups/{slug}", "saved"),
        failed=lambda exc: _group_edit(request, None, form, exc),
    )


@router.get("/curate/groups/{slug}")
def group_edit_page(request: Request, slug: Slug, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        g = groups.require_group(session, slug)
        form = _form_of(g, session.get(ProductGroup, g.parent_id) if g.parent_id else None)
    return _group_edit(request, slug, form)


@router.post("/curate/groups/{slug}")
async def group_edit_submit(request: Request, slug: Slug, user: CuratorUser) -> Response:
    form = await _group_form(request)
    form["slug"] = slug  # the address is the group's identity: a new one is a new group
    return await run_in_threadpool(
        submit, request, lambda session: _saved(session, form, user.username, new=False),
        done=lambda slug: back(f"/curate/groups/{slug}", "saved"),
        failed=lambda exc: _group_edit(request, slug, form, exc),
    )


def _group_action(request: Request, slug: str, work: Any, *, notice: str = "saved", review_note: str = "") -> Response:
    """A member, mapping or review change on the group's page: done → back to it, refused → the page with the
    error."""
    def failed(exc: KBError) -> Response:
        with get_kbase(request).session() as session:
            g = groups.require_group(session, slug)
            form = _form_of(g, session.get(ProductGroup, g.parent_id) if g.parent_id else None)
        return _group_edit(request, slug, form, exc, review_note=review_note)

    return submit(request, lambda session: work(session, groups.require_group(session, slug)),
                  done=lambda _: back(f"/curate/groups/{slug}", notice), failed=failed)


@router.post("/curate/groups/{slug}/members")
def member_add_submit(request: Request, slug: Slug, user: CuratorUser,
                      product: Annotated[str, Form(max_length=300)] = "") -> Response:
    def work(session: Session, g: ProductGroup) -> str:
        if not product.strip():
            raise BadInput("thiếu sản phẩm (tên chính xác hoặc mã số)")
        return groups.add_member(session, g, products.find_product(session, product), user.username)

    return _group_action(request, slug, work)


@router.post("/curate/groups/{slug}/members/{product_id}/remove")
def member_remove_submit(request: Request, slug: Slug, product_id: Id, user: CuratorUser) -> Response:
    return _group_action(request, slug, lambda session, g: groups.remove_member(
        session, g, products.require_product(session, product_id), user.username))


@router.post("/curate/groups/{slug}/mappings")
def group_mapping_submit(
    request: Request, slug: Slug, user: CuratorUser,
    standard: Annotated[str, Form(max_length=200)] = "",
    type: Annotated[str, Form(max_length=40)] = "voluntary",
    rationale: Annotated[str, Form(max_length=5000)] = "",
    legal_basis: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    def work(session: Session, g: ProductGroup) -> str:
        std = standards.get_standard(session, standard) if standard.strip() else None
        if std is None:
            raise BadInput(f"tiêu chuẩn {standard.strip()[:120]!r} chưa có trong cơ sở dữ liệu")
        return groups.upsert_group_mapping(session, g, std, type, rationale, legal_basis, user.username)[1]

    return _group_action(request, slug, work)


@router.post("/curate/groups/{slug}/mappings/{mapping_id}/remove")
def group_mapping_remove_submit(request: Request, slug: Slug, mapping_id: Id, user: CuratorUser,
                                version: Annotated[int, Form(ge=1)]) -> Response:
    def work(session: Session, g: ProductGroup) -> int:
        mapping = groups.remove_group_mapping(session, mapping_id, version, user.username, group=g)
        return pk(mapping)

    return _group_action(request, slug, work)


@router.post("/curate/groups/{slug}/mandatory-review")
def group_review_submit(request: Request, slug: Slug, user: CuratorUser, version: Annotated[str, Form(max_length=20)] = "",
                        note: Annotated[str, Form(max_length=5000)] = "") -> Response:
    return _group_action(request, slug, lambda session, g: reviews.record_mandatory_review(
        session, g, user.username, note, form_version(version)), notice="mandatory-reviewed", review_note=note)


@router.post("/curate/groups/{slug}/mandatory-review/clear")
def group_review_clear(request: Request, slug: Slug, user: CuratorUser,
                       version: Annotated[str, Form(max_length=20)] = "") -> Response:
    return _group_action(request, slug, lambda session, g: reviews.clear_mandatory_review(
        session, g, user.username, form_version(version)), notice="mandatory-cleared")
