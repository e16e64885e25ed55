"""Atom feeds (RFC 4287) of released notices of change: one per product, group and standard, and one of
every change (``/feeds/changes.atom``). Built with ElementTree, never by pasting strings; every absolute
link comes from ``KB_PUBLIC_URL`` (``settings.site_url``), never from the request's Host header.

Feeds are public GET pages: the page cache keeps one while the data fingerprint is unchanged, and a
notice released (even by the background loop, with no web request) moves that fingerprint.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from kb.config import SITE_NAME
from kb.errors import NotFound
from kb.models import FollowKind, Notice, Product, ProductGroup
from kb.noticeboard import released
from kb.notices import KIND_LABELS_VI
from kb.standards import get_standard
from kb.urls import feed_url, group_url, product_url, standard_url
from web.deps import ProductId, SessionDep

router = APIRouter(tags=["Trang web"], include_in_schema=False)

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
LIMIT = 50
#: The year in the feeds' ``tag:`` ids (RFC 4151): fixed, so an id never changes.
TAG_YEAR = "2026"
GroupId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Mã số nhóm sản phẩm")]

ET.register_namespace("", ATOM)


def _q(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _stamp(moment: datetime) -> str:
    """RFC 3339 in UTC (the database keeps naive UTC times)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tag(site: str, specific: str) -> str:
    """A ``tag:`` URI on the site's host: stable whatever path or scheme the site moves to."""
    host = urlsplit(site).hostname or "localhost"
    return f"tag:{host},{TAG_YEAR}:{specific}"


def _sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, _q(name), attrs)
    if text is not None:
        el.text = text
    return el


def atom(request: Request, *, key: str, title: str, path: str, page: str, notices: Sequence[Notice],
         updated: datetime | None) -> Response:
    """The feed ``path`` (a site path, its id keyed on ``key``) of ``notices``, about the page ``page``."""
    site = request.app.state.settings.site_url
    feed = ET.Element(_q("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": "vi"})
    _sub(feed, "id", _tag(site, f"feeds/{key}"))
    _sub(feed, "title", title)
    newest = max((n.released_at for n in notices if n.released_at), default=None) or updated
    _sub(feed, "updated", _stamp(newest or datetime(2026, 1, 1)))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=site + path)
    _sub(feed, "link", rel="alternate", type="text/html", href=site + page)
    author = _sub(feed, "author")
    _sub(author, "name", SITE_NAME)
    _sub(author, "uri", site + "/")
    for n in notices:
        entry = _sub(feed, "entry")
        _sub(entry, "id", _tag(site, f"notices/{n.id}"))
        _sub(entry, "title", n.title)
        when = _stamp(n.released_at or n.updated_at)
        _sub(entry, "updated", when)
        _sub(entry, "published", when)
        _sub(entry, "summary", n.sentence, type="text")
        _sub(entry, "link", rel="alternate", type="text/html", href=site + n.link)
        _sub(entry, "category", term=n.kind, label=KIND_LABELS_VI.get(n.kind, n.kind))
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type=MEDIA_TYPE)


@router.api_route("/feeds/changes.atom", methods=["GET", "HEAD"])
def changes_feed(request: Request, session: SessionDep) -> Response:
    return atom(request, key="changes", title=f"Thay đổi mới – {SITE_NAME}", path=feed_url("changes"), page="/",
                notices=released(session, limit=LIMIT), updated=None)


@router.api_route("/feeds/products/{product_id}.atom", methods=["GET", "HEAD"])
def product_feed(request: Request, product_id: ProductId, session: SessionDep) -> Response:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"Không có sản phẩm #{product_id}")
    return atom(request, key=f"products/{product.id}", title=f"Thay đổi về sản phẩm {product.name}",
                path=feed_url("product", product_id), page=product_url(product_id),
                notices=released(session, subject=(FollowKind.product, str(product_id)), limit=LIMIT),
                updated=product.updated_at)


@router.api_route("/feeds/groups/{group_id}.atom", methods=["GET", "HEAD"])
def group_feed(request: Request, group_id: GroupId, session: SessionDep) -> Response:
    group = session.get(ProductGroup, group_id)
    if group is None:
        raise NotFound(f"Không có nhóm sản phẩm #{group_id}")
    return atom(request, key=f"groups/{group.id}", title=f"Thay đổi về nhóm sản phẩm {group.name}",
                path=feed_url("group", group_id), page=group_url(group.slug),
                notices=released(session, subject=(FollowKind.group, str(group_id)), limit=LIMIT),
                updated=group.updated_at)


@router.api_route("/feeds/standards/{code:path}.atom", methods=["GET", "HEAD"])
def standard_feed(request: Request, code: str, session: SessionDep) -> Response:
    std = get_standard(session, code[:200])
    if std is None:
        raise NotFound(f"Không có tiêu chuẩn {code[:80]!r}")
    return atom(request, key=f"standards/{std.code_key}", title=f"Thay đổi về {std.code}" + (f" – {std.title_vi}" if std.title_vi else ""),
                path=feed_url("standard", std.code), page=standard_url(std.code),
                notices=released(session, subject=(FollowKind.standard, std.code_key), limit=LIMIT),
                updated=std.updated_at)
