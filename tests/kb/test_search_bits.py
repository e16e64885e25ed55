"""The bitset helpers of search ranking against plain set arithmetic."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kb.search._bits import Accumulator, Among, lowest

docnums = st.sets(st.integers(0, 5000), max_size=300)


def as_mask(docs: set[int]) -> int:
    m = 0
    for d in docs:
        m |= 1 << d
    return m


@given(docnums, st.integers(0, 400))
def test_lowest_is_the_first_document_numbers_in_order(docs, k):
    assert lowest(as_mask(docs), k) == sorted(docs)[:k]


@given(docnums, docnums)
def test_among_tells_which_candidates_a_mask_holds(candidates, other):
    among = Among(as_mask(candidates), sorted(candidates))
    assert among.members(as_mask(other)) == candidates & other
    assert among.members(0) == set()


@given(st.lists(st.tuples(docnums, st.integers(1, 40)), max_size=6), st.integers(1, 50))
def test_accumulator_top_keeps_the_largest_sums(adds, k):
    acc, sums = Accumulator(), {}
    for docs, weight in adds:
        acc.add(as_mask(docs), weight)
        for d in docs:
            sums[d] = sums.get(d, 0) + weight
    everyone = set(sums)
    top = acc.top(as_mask(everyone), k)
    chosen = {d for d in everyone if top >> d & 1}
    assert len(chosen) == min(k, len(everyone))
    if chosen and chosen != everyone:  # nobody left out has a larger sum than somebody kept
        assert min(sums[d] for d in chosen) >= max(sums[d] for d in everyone - chosen)
