"""Product groups: every group as a tree by kind, one group's page, and their JSON twins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from kb.read import groups
from web.deps import SessionDep, render
from web.schemas import GroupDetail, GroupList

router = APIRouter()

Slug = Annotated[str, Path(max_length=80, description="Địa chỉ của nhóm, ví dụ ruou-lang-van")]


@router.api_route("/groups", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def groups_page(request: Request, session: SessionDep) -> Response:
    return render(request, "groups/index.html", {"t": groups.group_tree(session)})


@router.api_route("/groups/{slug}", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def group_page(slug: Slug, request: Request, session: SessionDep) -> Response:
    return render(request, "groups/detail.html", {"g": groups.group_detail(session, slug)})


@router.get("/api/groups", response_model=GroupList, tags=["API"], summary="Các nhóm sản phẩm, theo loại")
def api_groups(session: SessionDep) -> dict[str, Any]:
    """Nhóm sản phẩm theo ngành nghề, chương mã HS và nhóm OCOP, mỗi loại là một cây (nhóm con trong
    ``children``), kèm số sản phẩm thành viên."""
    return groups.group_tree(session)


@router.get("/api/groups/{slug}", response_model=GroupDetail, tags=["API"], summary="Một nhóm sản phẩm")
def api_group(slug: Slug, session: SessionDep) -> dict[str, Any]:
    """Nhóm với nhóm cha, nhóm con, con đường chung cho loại sản phẩm này (``route``), nguồn, sản phẩm thành
    viên và các tiêu chuẩn áp dụng cho cả nhóm (``inherited_from``: nhóm cha mà ánh xạ được kế thừa từ đó)."""
    return groups.group_detail(session, slug)
