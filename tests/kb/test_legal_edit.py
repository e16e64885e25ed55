"""Editing legal documents through kb.legal, as curators' forms and the JSON API do: relations with their
date and article, dates that must agree with what is stored, a new number that must be new, and optimistic
locking that covers a change of relations alone (two editors at once: one wins), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlmodel import select

from kb import legal
from kb.errors import BadInput, Conflict, NotFound
from kb.models import AuditEvent, LegalKind, LegalRelation
from kb.read import legal as read_legal
from kb.versioning import StaleEdit


def _doc(s, code: str, **data: str):
    return legal.upsert_document(s, legal.parse_document({"code": code, **data}), "t")[0]


# --- parsing ---------------------------------------------------------------------------------------------

def test_relations_carry_a_date_and_an_article():
    items = legal.parse_relations("29/2025/TT-BKHCN@2026-07-01 (Điều 6 khoản 2 (điểm a))\n"
                                  "Thông tư 30/2011/tt-btttt ; 01/2009/TT-BKHCN (Điều 6)", "replaces")
    assert [(x.code.code, x.on, x.basis) for x in items] == [
        ("29/2025/TT-BKHCN", date(2026, 7, 1), "Điều 6 khoản 2 (điểm a)"),
        ("30/2011/TT-BTTTT", None, None),
        ("01/2009/TT-BKHCN", None, "Điều 6"),
    ]
    # what the form shows is what it reads back
    line = legal.format_relation("29/2025/TT-BKHCN", date(2026, 7, 1), "Điều 6 khoản 2")
    assert line == "29/2025/TT-BKHCN@2026-07-01 (Điều 6 khoản 2)"
    (again,) = legal.parse_relations(line, "replaces")
    assert (again.code.code, again.on, again.basis) == ("29/2025/TT-BKHCN", date(2026, 7, 1), "Điều 6 khoản 2")


@pytest.mark.parametrize(("data", "message"), [
    # a date after @ that is not ISO used to be dropped silently (the number alone was taken)
    ({"replaces": "29/2025/TT-BKHCN@01/07/2026"}, "replaces:.*sau @.*YYYY-MM-DD"),
    ({"amends": "28/2012/TT-BKHCN; 28/2012/tt-bkhcn"}, "amends:.*hai lần"),
    ({"replaces": "29/2025/TT-BKHCN (Điều 6)@2026-07-01"}, "replaces:.*ngoặc đặt ở cuối"),
    ({"guides": "36/2026/TT-BKHCN"}, "guides:.*tự hướng dẫn chính nó"),
    ({"issued": "0226-06-30"}, "issued:.*năm 226"),
    ({"issued": "2026-06-30", "effective_until": "2026-06-01"}, "effective_until:.*ngày ban hành"),
    ({"replaces": "29/2025/TT-BKHCN (" + "x" * 600 + ")"}, "replaces:.*500"),
])
def test_bad_input_names_the_field_in_vietnamese(data, message):
    with pytest.raises(BadInput, match=message):
        legal.parse_document({"code": "36/2026/TT-BKHCN", **data})


def test_in_force_before_issued_is_allowed():
    """The law lets a document act retroactively; the knowledge base records what the document says."""
    fields = legal.parse_document({"code": "36/2026/TT-BKHCN", "issued": "2026-06-30",
                                   "effective_from": "2026-06-01"}).fields
    assert fields["effective_from"] < fields["issued"]


# --- writing -----------------------------------------------------------------------------------------------

def test_partial_edit_checks_dates_against_what_is_stored_and_keeps_the_kind(any_kbase):
    with any_kbase.session() as s:
        _doc(s, "12/2020/CT-TTg", kind="decision", effective_from="2020-05-01")
    with pytest.raises(BadInput, match="effective_until:.*có hiệu lực"), any_kbase.session() as s:
        legal.update_document(s, legal.legal_key("12/2020/CT-TTg"),
                              legal.parse_document({"code": "12/2020/CT-TTg", "effective_until": "2020-04-30"}), "t", 1)
    with any_kbase.session() as s:
        doc, outcome = legal.update_document(s, legal.legal_key("12/2020/ct-ttg"),
                                             legal.parse_document({"code": "12/2020/CT-TTg", "title": "Chỉ thị"}), "t", 1)
        # a field the edit does not send is not reset: the kind stays the curator's, not the symbol's
        assert (outcome, doc.kind, doc.effective_until, doc.version) == ("updated", LegalKind.decision, None, 2)


def test_a_change_of_relations_alone_moves_the_version_and_is_audited(any_kbase):
    with any_kbase.session() as s:
        _doc(s, "29/2025/TT-BKHCN")
        doc = _doc(s, "36/2026/TT-BKHCN", effective_from="2026-07-01")
        key, version = doc.code_key, doc.version
    data = legal.parse_document({"code": "36/2026/TT-BKHCN", "effective_from": "2026-07-01",
                                 "replaces": "29/2025/TT-BKHCN@2026-07-01 (Điều 6 khoản 2 điểm a)"})
    with any_kbase.session() as s:
        doc, outcome = legal.update_document(s, key, data, "curator", version)
        assert (outcome, doc.version) == ("updated", version + 1)
    with any_kbase.session() as s:
        (rel,) = s.exec(select(LegalRelation)).all()
        assert (rel.to_code, rel.effective_from, rel.basis, rel.source) == \
            ("29/2025/TT-BKHCN", date(2026, 7, 1), "Điều 6 khoản 2 điểm a", "curator")
        event = s.exec(select(AuditEvent).where(AuditEvent.actor == "curator")).one()
        assert event.entity == "legal_document" and "36/2026/TT-BKHCN" in event.summary
        assert event.after == {"replaces": ["29/2025/TT-BKHCN@2026-07-01 (Điều 6 khoản 2 điểm a)"]}
        assert event.before == {"replaces": []}
        # the old document's page says who replaced it, from when, by which article
        (succ,) = read_legal.legal_detail(s, "29/2025/TT-BKHCN", date(2026, 7, 1))["successors"]
        assert (succ["code"], succ["on"], succ["basis"]) == ("36/2026/TT-BKHCN", "2026-07-01", "Điều 6 khoản 2 điểm a")
    # the same relation from a form loaded before that save is stale, and the conflict names the relation
    other = legal.parse_document({"code": "36/2026/TT-BKHCN", "replaces": "01/2009/TT-BKHCN"})
    with pytest.raises(StaleEdit) as info, any_kbase.session() as s:
        legal.update_document(s, key, other, "admin", version)
    assert info.value.changed["replaces"] == {"yours": "01/2009/TT-BKHCN",
                                              "current": "29/2025/TT-BKHCN@2026-07-01 (Điều 6 khoản 2 điểm a)"}
    with any_kbase.session() as s:  # unchanged input: nothing written, nothing logged, the version stays
        doc, outcome = legal.update_document(s, key, data, "curator", version + 1)
        assert (outcome, doc.version) == ("unchanged", version + 1)


def test_new_means_new_and_a_number_is_not_renamed(any_kbase):
    with any_kbase.session() as s:
        legal.create_document(s, legal.parse_document({"code": "15/2018/NĐ-CP"}), "curator")
    with pytest.raises(Conflict, match="Đã có văn bản 15/2018/NĐ-CP"), any_kbase.session() as s:
        legal.create_document(s, legal.parse_document({"code": "15/2018/nd-cp", "title": "khác"}), "curator")
    with pytest.raises(BadInput, match="code:.*văn bản khác"), any_kbase.session() as s:
        legal.update_document(s, legal.legal_key("15/2018/NĐ-CP"), legal.parse_document({"code": "16/2018/NĐ-CP"}),
                              "curator", 1)
    with pytest.raises(NotFound), any_kbase.session() as s:
        legal.update_document(s, legal.legal_key("16/2018/NĐ-CP"), legal.parse_document({"code": "16/2018/NĐ-CP"}),
                              "curator", 1)
    with any_kbase.session() as s:  # a re-spelling of the same number is an edit
        doc, _ = legal.update_document(s, legal.legal_key("15/2018/NĐ-CP"),
                                       legal.parse_document({"code": "Nghị định 15 / 2018 / NĐ-CP"}), "curator", 1)
        assert (doc.code, doc.version) == ("15/2018/NĐ-CP", 1)  # the canonical spelling: nothing changed


def _race(n: int, work) -> list[str]:
    barrier = threading.Barrier(n)
    results = [""] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
            results[i] = "ok"
        except StaleEdit:
            results[i] = "stale"
        except Conflict:
            results[i] = "conflict"
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            results[i] = f"error: {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_simultaneous_relation_edits_one_wins(any_kbase):
    with any_kbase.session() as s:
        for code in ("29/2025/TT-BKHCN", "30/2011/TT-BTTTT", "01/2009/TT-BKHCN"):
            _doc(s, code)
        key = _doc(s, "36/2026/TT-BKHCN").code_key
    targets = ["29/2025/TT-BKHCN", "30/2011/TT-BTTTT", "01/2009/TT-BKHCN"]

    def edit(i: int) -> None:
        with any_kbase.session() as s:
            legal.update_document(s, key, legal.parse_document({"code": "36/2026/TT-BKHCN", "replaces": targets[i]}),
                                  f"editor{i}", 1)

    results = _race(3, edit)
    assert sorted(results) == ["ok", "stale", "stale"], results
    with any_kbase.session() as s:
        assert [r.to_code for r in s.exec(select(LegalRelation)).all()] == [targets[results.index("ok")]]
        assert legal.get_document(s, "36/2026/TT-BKHCN").version == 2


def test_simultaneous_creates_one_wins(any_kbase):
    def create(i: int) -> None:
        with any_kbase.session() as s:
            legal.create_document(s, legal.parse_document({"code": "37/2026/NĐ-CP", "title": f"bản {i}"}), f"c{i}")

    results = _race(3, create)
    assert sorted(results) == ["conflict", "conflict", "ok"], results
    with any_kbase.session() as s:
        assert legal.get_document(s, "37/2026/nd-cp").title == f"bản {results.index('ok')}"
