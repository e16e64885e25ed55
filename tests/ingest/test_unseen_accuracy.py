"""Field accuracy on generated documents the corpus does not contain (``tests/support/unseen_docs.py``):
the tuning part the rules were developed against and the held-back part they never were. Both numbers
are printed; each must reach the floor below."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.extract.fields import extract_fields
from ingest.pdf import read_pdf
from kb.text import clean
from tests.support.accuracy import Tally, score_fields
from tests.support.unseen_docs import HELD_BACK, HELD_BACK_FRESH, TUNING, build

# Floors this suite reaches today (a regression fails it); the goal for unseen documents is 0.98.
FLOORS = {"tuning": 0.98, "held-back": 0.95}


def _score(docs: list[dict], tmp: Path) -> Tally:
    tally = Tally()
    for doc in docs:
        pages = read_pdf(build(tmp / f"{doc['name']}.pdf", doc)).pages
        tally.add(doc["name"], score_fields(doc["label"], extract_fields(pages)))
    return tally


@pytest.mark.parametrize("part, docs", [("tuning", TUNING), ("held-back", HELD_BACK)])
def test_accuracy_on_generated_documents(part, docs, tmp_path, capsys):
    tally = _score(docs, tmp_path)
    with capsys.disabled():
        print(f"\nField accuracy on generated documents, {part} part ({len(docs)} documents)\n" + tally.table())
        if tally.misses:
            print("Misses:\n  " + "\n  ".join(tally.misses))
    assert tally.accuracy >= FLOORS[part], "\n".join(tally.misses)


# HELD_BACK_FRESH was written blind to the extraction rules and committed before its first measurement
# (commit eff760e). Its floor is the issue goal, which that single measurement reached;
# it is never tuned against, so it stays the honest estimate of accuracy on unseen documents.
FRESH_FLOOR = 0.98  # first and only measurement: 159/161 = 98.8 %, 0 invented designations


def _invented(docs: list[dict], tmp: Path) -> list[str]:
    """Documents given a designation they do not state: the extracted code is set and is not the label's code
    (label ``None`` with any extracted code, or a different code). A missed code (label set, nothing
    extracted) is a miss in the field table, not an invention."""
    out = []
    for doc in docs:
        got = extract_fields(read_pdf(build(tmp / f"{doc['name']}.pdf", doc)).pages).code
        expected = doc["label"].get("code")
        if got is not None and clean(got) != (clean(expected) if expected else None):
            out.append(f"{doc['name']}: label {expected!r}, extracted {got!r}")
    return out


def test_accuracy_on_fresh_held_back_documents(tmp_path, capsys):
    tally = _score(HELD_BACK_FRESH, tmp_path)
    invented = _invented(HELD_BACK_FRESH, tmp_path)
    with capsys.disabled():
        print(f"\nField accuracy on generated documents, fresh held-back part ({len(HELD_BACK_FRESH)} documents)\n"
              + tally.table())
        if tally.misses:
            print("Misses:\n  " + "\n  ".join(tally.misses))
        print(f"Invented designations: {len(invented)}" + "".join(f"\n  {line}" for line in invented))
    assert tally.accuracy >= FRESH_FLOOR, "\n".join(tally.misses)
    assert not invented, "\n".join(invented)
