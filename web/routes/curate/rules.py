"""Category rules: "every product of this category falls under this standard", as suggestions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from kb import products, rules
from kb.errors import KBError
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, Id, back, ctx

router = APIRouter(tags=TAGS, include_in_schema=False)


def _rules_page(request: Request, exc: KBError | None = None, form: dict[str, str] | None = None) -> Response:
    with get_kbase(request).session() as session:
        items = rules.list_rules(session)
        categories = products.categories(session)
    return render_form(request, "curate/rules.html", ctx(request, rules=items, categories=categories, form=form or {}),
                       exc)


@router.get("/curate/rules")
def rules_page(request: Request, user: CuratorUser) -> Response:
    return _rules_page(request)


@router.post("/curate/rules")
def rule_create_submit(
    request: Request, user: CuratorUser,
    category: Annotated[str, Form(max_length=200)] = "",
    standard: Annotated[str, Form(max_length=200)] = "",
    type: Annotated[str, Form(max_length=40)] = "mandatory",
    rationale: Annotated[str, Form(max_length=5000)] = "",
    legal_basis: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    form = {"category": category, "standard": standard, "type": type, "rationale": rationale,
            "legal_basis": legal_basis}
    return submit(
        request,
        lambda session: rules.add_rule(session, category, standard, type, rationale, legal_basis, user.username),
        done=lambda _: back("/curate/rules", "rule"),
        failed=lambda exc: _rules_page(request, exc, form),
    )


@router.post("/curate/rules/{rule_id}/apply")
def rule_apply_submit(request: Request, rule_id: Id, user: CuratorUser) -> Response:
    """Run a rule again, for products added to its category since it was made."""
    with get_kbase(request).session() as session:
        rules.apply_rule(session, rules.require_rule(session, rule_id), user.username)
    return back("/curate/rules", "rule")


@router.post("/curate/rules/{rule_id}/delete")
def rule_delete_submit(request: Request, rule_id: Id, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        rules.delete_rule(session, rule_id, user.username)
    return back("/curate/rules", "rule-deleted")
