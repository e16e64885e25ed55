"""What the risk lists require of a product's HS codes on a date (issue 12, item 4).

A list row matches a product code when one covers the other: a 6-digit row ``851714`` covers the product's
``85171400``, and a product code ``8517`` (every line under it) meets the rows under it. Only lists in force
on the date count. When one product code meets several items of the lists, the HS code alone does not say
which applies: all are returned as candidates (``ambiguous``) for a curator to confirm; a code that meets
one item only counts as matched "theo mã HS". A row narrower than the product's code (the product gives
``2208.90``, the row ``2208.90.30``) may or may not be the product's line: it is a candidate too
(``narrower``, ``ambiguous``) until the product has its 8-digit code or a curator answers.

Curators' answers (:mod:`kb.risk_decisions`, read when ``product_id`` is given), per item:

- "applies": the item is ``confirmed`` (``match`` says a curator confirmed it; ``decision`` carries who,
  when, the note and the version to change it at) and no longer ambiguous;
- "does not apply": the item leaves ``requirements`` (and so the summary ``risk`` and the next steps) and is
  listed under ``excluded`` instead, for curators and for clients who wonder where it went;
- an unanswered item stays ambiguous while its code still has another item not excluded; when curators
  have excluded every other item of its code, it is what the code leaves and counts like a single match
  ("theo mã HS", ``match`` saying the others were excluded), not confirmed. Confirming one item does not
  settle the others: two lists (two ministries) may both apply to one product, so each needs its answer.

Summary ``risk``: the highest grade among the requirements; ``low`` when codes are given and no list in
force names them (or curators excluded every item that does); ``unknown`` without codes, on a date no
imported list covers (before 01/07/2026 the older lists applied, which are not imported), or when only
lists that grade nothing (food-safety checks under 28/2026/TT-BCT) name them: the list does not say, and
the page must not claim "low".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from kb import hscodes, risk_decisions
from kb.hs import dotted, normalize_hs
from kb.matching import SCORER
from kb.models import LegalDocument, Product, RiskList, RiskListRow, pk
from kb.risk import RISK_ORDER, in_force
from kb.urls import legal_url

BY_HS = "theo mã HS"
AMBIGUOUS = "mã HS này thuộc nhiều mục: cán bộ Sở cần xác nhận mục nào áp dụng"
CONFIRMED = "đã được người biên tập xác nhận"
BY_ELIMINATION = "theo mã HS (người biên tập đã loại các mục khác cùng mã)"
EXCLUDED = "người biên tập xác nhận không áp dụng cho sản phẩm"
NARROWER = "có thể áp dụng: dòng này hẹp hơn mã HS của sản phẩm, cần mã HS 8 số hoặc cán bộ Sở xác nhận"


def _matching(product_code: str) -> Any:
    """Rows whose code covers ``product_code`` (its 2/4/6/8-digit prefixes) or lies under it (digit range)."""
    prefixes = [product_code[:n] for n in (2, 4, 6, 8) if n <= len(product_code)]
    under = and_(col(RiskListRow.hs_code) > product_code,
                 col(RiskListRow.hs_code) <= product_code + "9" * (8 - len(product_code)))
    return or_(col(RiskListRow.hs_code).in_(prefixes), under)


#: What the page says of each control and grade (the lists' own terms, in the visitor's words).
CONTROL_LABELS_VI = {"quality_inspection": "Kiểm tra chất lượng", "conformity_declaration": "Công bố hợp quy",
                     "food_safety_check": "Kiểm tra an toàn thực phẩm"}
RISK_LABELS_VI = {"high": "Rủi ro cao", "medium": "Rủi ro trung bình", "low": "Rủi ro thấp", "unknown": "Chưa xác định"}


def requirements_on(session: Session, hs_codes: list[str], on: date, *, text: str | None = None,
                    product_id: int | None = None) -> dict[str, Any]:
    """``{"on", "risk", "requirements": [...]}`` for the product codes ``hs_codes`` on ``on``.

    ``text`` (the product's name and description) scores each candidate of an ambiguous code against the
    row's description (``similarity``, 0–100, with a reason) so the curator sees the likeliest first.
    ``product_id``: apply that product's curators' answers (see the module docstring); the answer then also
    has ``excluded``, the items they said do not apply.
    """
    codes = list(dict.fromkeys(normalize_hs(c) for c in hs_codes if c))
    extra: dict[str, Any] = {} if product_id is None else {"excluded": []}
    if not codes:
        return {"on": on, "risk": "unknown", "requirements": [], **extra}
    # One query for the rows in force that match; a second, only when none do, to tell "low" from "unknown".
    # Plain rows, not ORM objects: this runs on every product page.
    row, rl = RiskListRow.__table__.c, RiskList.__table__.c  # type: ignore[attr-defined]
    found = session.connection().execute(
        sa_select(row.list_id, row.line, row.hs_code, row.description, row.item, row.annex, row.control, row.risk,
               row.conditions, row.page, rl.document_code, rl.document_key, rl.effective_from, rl.effective_until)
        .join_from(RiskListRow.__table__, RiskList.__table__, rl.id == row.list_id)  # type: ignore[attr-defined]
        .where(in_force(on)).where(or_(*(_matching(c) for c in codes)))
    ).all()
    # Answers are read only when some row matched: a product on no list pays nothing for them.
    decisions = risk_decisions.for_product(session, product_id) if product_id is not None and found else {}
    requirements: list[dict[str, Any]] = []
    for code in codes:
        kept, dropped = _for_code(code, [r for r in found if r.hs_code.startswith(code) or code.startswith(r.hs_code)],
                                  text, decisions)
        requirements += kept
        if product_id is not None:
            extra["excluded"] += dropped
    any_list = bool(found) or session.exec(select(RiskList.id).where(in_force(on)).limit(1)).first() is not None
    graded = [r["risk"] for r in requirements if r["risk"]]
    if graded:
        risk = max(graded, key=lambda g: RISK_ORDER[g])
    else:
        risk = "unknown" if requirements or not any_list else "low"
    # Stable: within one document the rows keep the file's order (item numbers do not sort as text); the
    # candidates of an ambiguous code likeliest first when the product's text is known.
    titles = _titles(session, {r.document_key for r in found})
    for reqs in (requirements, extra.get("excluded", [])):
        for r in reqs:
            r["document_title"] = titles.get(r.pop("document_key"))
        reqs.sort(key=lambda r: (-RISK_ORDER.get(r["risk"] or "", 0), -(r.get("similarity") or 0), r["document"]))
    return {"on": on, "risk": risk, "requirements": requirements, **extra}


def _titles(session: Session, keys: set[str]) -> dict[str, str | None]:
    """The legal documents' titles: what a list is about ("mặt hàng nhập khẩu …") is in its title, so the page
    shows it beside each row rather than the project guessing whom the list concerns."""
    if not keys:
        return {}
    return dict(session.exec(select(LegalDocument.code_key, LegalDocument.title)
                             .where(col(LegalDocument.code_key).in_(keys))).all())


def _for_code(code: str, rows: list[Any], text: str | None,
              decisions: dict[risk_decisions.Key, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The candidates ``rows`` of one product code: those that count, and those curators excluded."""
    def answer(r: Any) -> Any:
        return decisions.get(risk_decisions.key_of(r.document_key, r.annex, r.item, r.hs_code))

    items = {(r.list_id, r.annex, r.item) for r in rows}
    several = len(items) > 1
    # The items still in play: an item is out once curators excluded each of its rows under this code.
    open_items = {(r.list_id, r.annex, r.item) for r in rows if (d := answer(r)) is None or d.applies}
    seen: set[tuple] = set()
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    for r in sorted(rows, key=lambda r: (r.list_id, r.line)):
        key = (r.list_id, r.annex, r.item, r.hs_code, r.control, r.risk, r.description)
        if key in seen:
            continue
        seen.add(key)
        d = answer(r)
        narrower = len(r.hs_code) > len(code)
        if d is not None:
            match = CONFIRMED if d.applies else EXCLUDED
        elif len(open_items) > 1:
            match = AMBIGUOUS
        elif narrower:
            match = NARROWER
        else:
            match = BY_ELIMINATION if several else BY_HS
        req: dict[str, Any] = {
            "document": r.document_code,
            "document_key": r.document_key,
            "annex": r.annex,
            "item": r.item,
            "hs_code": r.hs_code,
            "product_hs_code": code,
            "control": r.control,
            "risk": r.risk,
            "description": r.description,
            "conditions": r.conditions,
            "source_page": r.page,
            "effective_from": r.effective_from,
            "effective_until": r.effective_until,
            "confirmed": d is not None and d.applies,
            "ambiguous": match in (AMBIGUOUS, NARROWER),
            "narrower": narrower,
            "match": match,
            "decision": risk_decisions.as_dict(d) if d is not None else None,
        }
        if several and text and r.description:
            score = round(SCORER(text, r.description))
            req["similarity"] = score
            req["reasons"] = [f"mô tả “{r.description}” giống tên, mô tả sản phẩm {score}%"]
        (dropped if match == EXCLUDED else kept).append(req)
    return kept, dropped


def for_curator(session: Session, product: Product, on: date) -> dict[str, Any]:
    """The curator's view of a product's risk-list items on ``on``: the answer with its excluded items, and
    the answers on record that name no item matched on that date (a list not in force then, a code since
    removed), so they can still be withdrawn."""
    answer = requirements_on(session, hscodes.product_codes(session, pk(product)), on,
                             text=" ".join(filter(None, [product.name, product.description])), product_id=pk(product))
    shown = {r["decision"]["id"] for r in answer["requirements"] + answer["excluded"] if r["decision"]}
    others = [d for d in risk_decisions.for_product(session, pk(product)).values() if d.id not in shown]
    names = dict(session.exec(select(RiskList.document_key, RiskList.document_code)
                              .where(col(RiskList.document_key).in_({d.document_key for d in others}))).all()) if others else {}
    answer["other_decisions"] = [{"document": names.get(d.document_key, d.document_key), "annex": d.annex,
                                  "item": d.item, "hs_code": d.hs_code, "decision": risk_decisions.as_dict(d)}
                                 for d in others]
    for r in answer["requirements"] + answer["excluded"] + answer["other_decisions"]:
        r["hs_dotted"], r["document_url"] = dotted(r["hs_code"]), legal_url(r["document"])
    return answer
