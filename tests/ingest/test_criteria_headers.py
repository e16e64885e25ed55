"""Criteria rows come only from a criteria header: "Chỉ tiêu" with "Mức / Yêu cầu / Giới hạn" and/or
"Phương pháp thử"; test lists and sampling tables are not criteria tables."""

from __future__ import annotations

import pytest

from ingest.criteria.roles import header_roles
from tests.support.unseen_pdfs import TEST_LIST_CRITERIA_WORDS, TEST_LIST_HEADER


@pytest.mark.parametrize("cells", [
    ("TT", "Tên chỉ tiêu", "Mức", "Phương pháp thử"),
    ("Chỉ tiêu", "Yêu cầu"),
    ("TT", "Tên chỉ tiêu", "Giới hạn tối đa", "Đơn vị"),
    ("Tên chỉ tiêu", "Phương pháp thử"),
])
def test_criteria_headers_are_recognised(cells):
    assert header_roles(list(cells)) is not None


@pytest.mark.parametrize("cells", [
    TEST_LIST_HEADER,
    TEST_LIST_CRITERIA_WORDS,  # "Yêu cầu lấy mẫu" is a sampling column, not a requirement
    ("TT", "Tên chỉ tiêu", "Đơn vị"),  # no value and no method
    ("TT", "Tên chỉ tiêu thí nghiệm", "Tiêu chuẩn kỹ thuật để thực hiện chỉ tiêu thí nghiệm", "Mức"),
])
def test_other_headers_are_not_criteria_headers(cells):
    assert header_roles(list(cells)) is None
