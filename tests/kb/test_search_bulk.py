"""The bulk segment writer of full builds writes the segment whoosh's own writer writes, file for file."""

from __future__ import annotations

import pytest
from whoosh import index as windex
from whoosh.writing import SegmentWriter

from kb.config import Settings
from kb.core import KnowledgeBase
from kb.search import _index
from kb.search._bulk import BulkSegments, BulkSegmentWriter, commit_segments
from kb.search._schema import build_schema
from tests.support.search_world import build_world


class _Collect:
    def __init__(self) -> None:
        self.docs: list[dict] = []

    def add_document(self, **fields) -> None:
        self.docs.append(fields)


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> list[dict]:
    """The search world's documents (300 noise standards: terms over several 128-posting blocks), and documents
    that reach what the world does not: page documents, repeated words, English titles (positions), lists."""
    kb = KnowledgeBase(Settings(data_dir=tmp_path_factory.mktemp("bulk") / "var", secret_key="t"))
    kb.init()
    build_world(kb, noise_records=300)
    out = _Collect()
    with kb.session() as session:
        _index._add_all(out, session)
    kb.dispose()
    extra = []
    for i in range(300):
        extra.append({"key": f"standard:{10_000 + i}", "kind": "standard", "code": f"TCVN {i}",
                      "title": "Bê tông nặng", "title_f": "Bê tông nặng",
                      "body": "bê tông " * (i % 4 + 1) + f"mẫu {i} " * (i % 3), "body_f": "be tong " * (i % 5 + 1),
                      "title_en": "Heavyweight concrete - Testing methods", "title_en_stem": "testing tested tests",
                      "ics_all": "91.100.30,91.100.10", "status": "in_force", "year": str(1990 + i % 30)})
        extra.append({"key": f"page:{i}", "kind": "page", "parent": f"standard:{10_000 + i}", "page_no": i % 9,
                      "page_text": f"Trang {i}", "page_f": "xac dinh cuong do " * (i % 2 + 1)})
    extra.append({"key": "product:list", "kind": "product", "title": ["bánh", "phu thê"], "code_key": ["8516", "851660"]})
    return out.docs + extra


def _files(path) -> dict[str, bytes]:
    """Each file of the index's one segment, by its name without the segment's random id."""
    ix = windex.open_dir(str(path))
    (seg,) = ix._segments()
    storage = seg.open_compound_file(ix.storage) if seg.is_compound() else ix.storage
    files = {name.replace(seg.segment_id(), "SEG"): storage.open_file(name).read() for name in storage.list()}
    ix.close()
    return files


def test_the_bulk_writer_writes_the_segment_whoosh_writes(documents, tmp_path):
    assert len(documents) > 900
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "bulk").mkdir()
    for name, writer_class in (("whoosh", SegmentWriter), ("bulk", BulkSegmentWriter)):
        ix = windex.create_in(str(tmp_path / name), build_schema())
        writer = writer_class(ix)
        for doc in documents:
            writer.add_document(**doc)
        writer.commit(merge=False)
        ix.close()
    theirs, ours = _files(tmp_path / "whoosh"), _files(tmp_path / "bulk")
    assert "SEG.pst" in theirs and "SEG.trm" in theirs and "SEG._stored.col" in theirs
    assert sorted(ours) == sorted(theirs)
    different = [name for name in theirs if ours[name] != theirs[name]]
    assert different == []


def _postings(ix) -> set[tuple[str, bytes, str, float]]:
    with ix.searcher() as s:
        keys = {docnum: fields["key"] for docnum, fields in s.reader().iter_docs()}
        return {(field, term, keys[docnum], weight) for field, term in s.reader().all_terms()
                for docnum, weight in s.reader().postings(field, term).items_as("weight")}


def test_segments_are_closed_at_the_memory_limit_and_hold_every_posting(documents, tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    one = windex.create_in(str(tmp_path / "one"), build_schema())
    writer = BulkSegments(one, limit_mb=1024)
    for doc in documents:
        writer.add_document(**doc)
    commit_segments(one, writer.close())
    many = windex.create_in(str(tmp_path / "many"), build_schema())
    writer = BulkSegments(many, limit_mb=0)  # a segment per document
    for doc in documents[:120]:
        writer.add_document(**doc)
    commit_segments(many, writer.close())
    assert len(one._segments()) == 1
    assert len(many._segments()) == 120
    few = windex.create_in(str(tmp_path / "one"), build_schema(), indexname="FEW")
    writer = BulkSegments(few, limit_mb=1024)
    for doc in documents[:120]:
        writer.add_document(**doc)
    commit_segments(few, writer.close())
    assert _postings(many) == _postings(few)
    assert len(_postings(one)) > len(_postings(few))


def test_writers_of_one_index_close_their_segments_in_any_order(documents, tmp_path):
    """Two build processes fill segments of one index at once; the first to finish must not take away the
    temporary files the other is still writing (whoosh's writers share one temporary folder)."""
    ix = windex.create_in(str(tmp_path), build_schema())
    first, second = BulkSegments(ix, limit_mb=1024), BulkSegments(ix, limit_mb=1024)
    for i, doc in enumerate(documents):
        (first if i % 2 else second).add_document(**doc)
    segments = first.close() + second.close()
    commit_segments(ix, segments)
    assert ix.doc_count_all() == len(documents)
    assert not (tmp_path / "MAIN.tmp").exists()
    with ix.searcher() as s:
        assert len({fields["key"] for fields in s.all_stored_fields()}) == len(documents)


def test_the_bulk_writer_refuses_what_it_does_not_write(tmp_path):
    ix = windex.create_in(str(tmp_path), build_schema())
    writer = BulkSegmentWriter(ix)
    with pytest.raises(ValueError, match="boost"):
        writer.add_document(key="standard:1", title="Bê tông", _title_boost=2.0)
    writer.cancel()
