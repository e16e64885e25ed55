"""The curator workspace (``/curate``) and the curation JSON API (``/api/mappings``, revert), by feature.

Every route here needs a curator or an admin (``CuratorUser``); every change goes through the kb services
(``kb.mappings``, ``kb.rules``, ``kb.products``, ``kb.groups``, ``kb.procedures``, ``kb.legal``, ``kb.standards``,
``kb.versioning``), which lock optimistically and write the audit log. ``router`` holds every route of the package.
"""

from __future__ import annotations

from fastapi import APIRouter

from web.routes.curate import api, audit, groups, home, impact, legal, mappings, notices, procedures, products, review, rules, upload

router = APIRouter()
for _feature in (api, home, mappings, rules, products, groups, procedures, legal, review, impact, audit, upload, notices):
    router.include_router(_feature.router)
