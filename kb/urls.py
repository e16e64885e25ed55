"""URLs of the public pages: the one place that spells them (read models and search hits carry them).

A standard's URL keeps ``:`` and ``/`` readable (``/standards/QCVN%208-1:2011/BYT``) and escapes every other
reserved character; the standards route accepts any spelling and redirects to this one.
"""

from __future__ import annotations

from urllib.parse import quote


def standard_url(code: str) -> str:
    return "/standards/" + quote(code, safe=":/")


def product_url(product_id: int) -> str:
    return f"/products/{product_id}"


def lab_url(lab_id: int) -> str:
    return f"/labs/{lab_id}"


def group_url(slug: str) -> str:
    return "/groups/" + quote(slug, safe="")


def legal_url(code: str) -> str:
    """A legal document's page: its number keeps its slashes (``/legal/36/2026/TT-BKHCN``)."""
    return "/legal/" + quote(code, safe="/")


def feed_url(kind: str, key: str | int | None = None) -> str:
    """The Atom feed of a followed record (``product``, ``group``, ``standard``), or of every change."""
    if kind == "changes" or key is None:
        return "/feeds/changes.atom"
    plural = {"product": "products", "group": "groups", "standard": "standards"}[kind]
    return f"/feeds/{plural}/" + quote(str(key), safe=":/") + ".atom"
