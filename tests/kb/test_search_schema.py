"""The index schema's one-pass term counting (``_schema._Counted``) gives exactly the postings whoosh's own
analyzer chain would: the analyzers still parse queries, so the two must never disagree."""

from __future__ import annotations

import random

import pytest
from whoosh.formats import Frequency

from kb.search._schema import build_schema

TEXTS = [
    "Mỳ gạo Lục Ngạn số 12 ; Mỳ gạo Bắc Ninh",
    "Kỹ thuật LÝ HÓA — Phương pháp xác định cường độ chịu nén (phần 3) TCVN 3118:2022",
    "ĐƯỜNG đường Đường đuờng_x 3,5% co2 H₂O ½ İstanbul ß straße",
    "tcvn_3118 tcvn_3118 iso_9001\tqcvn_8-1\r\nso_12 mi_gao",
    "",
    "   ",
]


def _random_texts(n: int) -> list[str]:
    rnd = random.Random(7)
    alphabet = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạýỳỹỷỵÝỲĐÂ0123456789_-., ;\t\n/:()%"
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 80))) for _ in range(n)]


@pytest.mark.parametrize("name", [n for n, f in build_schema().items() if isinstance(f.format, Frequency)])
def test_counted_terms_are_the_analyzers(name: str) -> None:
    field = build_schema()[name]
    plain = Frequency(field_boost=field.format.field_boost)
    for text in TEXTS + _random_texts(300):
        got = sorted(field.format.word_values(text, field.analyzer, mode="index"))
        want = sorted(plain.word_values(text, field.analyzer, mode="index"))
        assert got == want, (name, text)


def test_text_fields_count_their_own_terms() -> None:
    """Not vacuous: the fast path is what the main text fields use."""
    schema = build_schema()
    assert {n for n in ("title", "title_f", "text_f", "body_f", "pairs", "bigrams", "code_key")
            if type(schema[n].format) is not Frequency} == {"title", "title_f", "text_f", "body_f", "pairs",
                                                              "bigrams", "code_key"}
