"""Bulk work runs the garbage collector less often, and puts the old setting back however it ends."""

from __future__ import annotations

import gc
import threading

import pytest

from kb import bulk
from kb.search import _index


@pytest.fixture
def default_threshold():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield (700, 10, 10)
    gc.set_threshold(*saved)


def test_collections_are_rarer_inside_and_as_before_after(default_threshold):
    with bulk.fewer_collections():
        assert gc.get_threshold()[0] == bulk.BULK_GC_THRESHOLD
        with bulk.fewer_collections():  # nested: an import's index update inside the import
            assert gc.get_threshold()[0] == bulk.BULK_GC_THRESHOLD
        assert gc.get_threshold()[0] == bulk.BULK_GC_THRESHOLD
    assert gc.get_threshold() == default_threshold


def test_an_error_puts_the_setting_back(default_threshold):
    with pytest.raises(RuntimeError), bulk.fewer_collections():
        raise RuntimeError("a bad row")
    assert gc.get_threshold() == default_threshold


def test_overlapping_users_in_threads_leave_the_old_setting(default_threshold):
    inside = threading.Barrier(2)
    leave_first = threading.Event()
    seen = []

    def first():
        with bulk.fewer_collections():
            inside.wait()
        leave_first.set()

    def second():
        with bulk.fewer_collections():
            inside.wait()
            leave_first.wait(timeout=10)
            seen.append(gc.get_threshold()[0])  # the first left: the second still runs with few collections

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert seen == [bulk.BULK_GC_THRESHOLD]
    assert gc.get_threshold() == default_threshold


def test_an_index_build_runs_with_fewer_collections(tmp_path, monkeypatch, default_threshold):
    from kb.config import Settings
    from kb.core import KnowledgeBase

    kb = KnowledgeBase(Settings(data_dir=tmp_path / "var", secret_key="t"))
    kb.init()
    during = []
    real = _index._fill

    def watched(*args, **kwargs):
        during.append(gc.get_threshold()[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(_index, "_fill", watched)
    _index.build(kb)
    kb.dispose()
    assert during == [bulk.BULK_GC_THRESHOLD]
    assert gc.get_threshold() == default_threshold
