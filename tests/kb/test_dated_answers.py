"""The per-period memo of a product's answer for a date (kb.read.dated) gives, for every date, exactly what a
fresh read gives: around every stored date (the day before, the day, the day after), far before and after,
whichever date of a period was asked first; and a change of the data is seen at once."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from kb import hscodes, labs, legal, products, risk
from kb.models import LabUpdate, ProductCreate
from kb.read.dated import DatedAnswers, period_bounds
from kb.read.products import product_answer, product_detail
from tests.support.records import build_world

ROW = {"mo_ta": "Nồi cơm điện", "nhom": "1", "phu_luc": "Phụ lục II", "dieu_kien": "", "dan_chieu": "",
       "trang": "12", "ma_hs": "8516.60", "loai_tac_dong": "CONG_BO_HOP_QUY", "muc_rui_ro": "TRUNG_BINH"}


@pytest.fixture
def dated_world(any_kbase):
    """The shared world (labs valid, expiring and lapsed) plus dated law: a legal basis replaced from a day
    and a risk list in force from a day, so every kind of stored date bounds some period."""
    w = build_world(any_kbase)
    with any_kbase.session() as s:
        # The world's mandatory mapping cites 02/2011/TT-BYT; the amending and replacing numbers are made up.
        for row in ({"code": "02/2011/TT-BYT", "effective_from": "2011-03-01", "status": "in_force"},
                    {"code": "90/2017/TT-BYT", "effective_from": "2017-06-01", "amends": "02/2011/TT-BYT"},
                    {"code": "91/2026/TT-BYT", "effective_from": "2026-09-15", "effective_until": "2027-03-31",
                     "replaces": "02/2011/TT-BYT@2026-10-01"}):
            legal.upsert_document(s, legal.parse_document(row), "t")
        hscodes.add_codes(s, products.require_product(s, w.product_id), ["85166010"], "t")
        risk.import_list(s, [(2, ROW)], document="36/2026/TT-BKHCN", effective_from=date(2026, 7, 1))
        w.extra = products.upsert_product(s, ProductCreate(name="Sản phẩm khác (mẫu)", is_sample=True), "t")[0].id
    return w


def _days(kbase) -> list[date]:
    with kbase.session() as s:
        bounds = period_bounds(s)
    days = {d + timedelta(days=k) for d in bounds for k in (-1, 0, 1)}
    return sorted(days | {date(2000, 1, 1), date.today(), date(2099, 12, 31)})


def test_every_date_gets_what_a_fresh_read_gives(any_kbase, dated_world):
    answers = DatedAnswers()
    days = _days(any_kbase)
    assert len(days) > 20  # labs, legal documents and the list all bound periods
    ids = [dated_world.product_id, dated_world.unmapped_product_id, dated_world.extra]
    asks = [(pid, d) for pid in ids for d in days]
    random.Random(7).shuffle(asks)  # whichever day of a period comes first builds its answer
    with any_kbase.session() as s:
        for pid, d in asks:
            assert product_answer(s, answers, pid, d) == product_detail(s, pid, d), (pid, d)
    assert answers.hits > answers.misses > 0  # periods were shared, not one answer per day


def test_days_left_count_from_the_day_asked(any_kbase, dated_world):
    answers = DatedAnswers()
    with any_kbase.session() as s:
        lab = labs.require_lab(s, dated_world.lab_id)
        assert lab.valid_until is not None
        start = lab.valid_until - timedelta(days=400)  # a long valid period, no bound in the next days
        first = product_answer(s, answers, dated_world.product_id, start)
        later = product_answer(s, answers, dated_world.product_id, start + timedelta(days=3))
    assert answers.hits == 1

    def days_left(answer):
        return {lab["id"]: lab["validity"]["days_left"] for std in answer["standards"] for lab in std["labs"]}

    assert days_left(first)[dated_world.lab_id] == days_left(later)[dated_world.lab_id] + 3
    assert later["regulatory"]["on"] == (start + timedelta(days=3)).isoformat()


def test_a_change_is_seen_at_once(any_kbase, dated_world):
    answers = DatedAnswers()
    day = date(2026, 12, 6)
    with any_kbase.session() as s:
        before = product_answer(s, answers, dated_world.product_id, day)
        lab = labs.require_lab(s, dated_world.lab_id)
        labs.update_lab_profile(s, lab, LabUpdate(valid_until=day - timedelta(days=1)), lab.version, "t")
    with any_kbase.session() as s:
        after = product_answer(s, answers, dated_world.product_id, day)
        assert after == product_detail(s, dated_world.product_id, day)
    states = {a["validity"]["state"] for a in (before, after) for std in a["standards"] for a in std["labs"]
              if a["id"] == dated_world.lab_id}
    assert "lapsed" in states and len(states) == 2


def test_a_kept_answer_is_served_without_the_database_only_for_its_data(any_kbase, dated_world):
    from kb.fingerprint import PAGES, fingerprint
    from kb.read.products import stored_product_answer

    answers = DatedAnswers()
    pid, day = dated_world.product_id, date(2026, 12, 6)
    with any_kbase.session() as s:
        version = fingerprint(s, PAGES)
        assert stored_product_answer(answers, pid, day, version) is None  # nothing kept yet
        product_answer(s, answers, pid, day - timedelta(days=1), version)  # same period, another day
        kept = stored_product_answer(answers, pid, day, version)
        assert kept == product_detail(s, pid, day)
        assert stored_product_answer(answers, pid, day, None) is None  # a request whose version is unknown
        assert stored_product_answer(answers, pid, day, {**version, "product": [0, "x"]}) is None  # other data
