"""The curator's page images stay under KB_PAGE_CACHE_MB: a new render pushes the least recently used out,
and a page pushed out is rendered again when asked for (on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import time

import pytest
from sqlmodel import col, select

from ingest.pipeline import ingest_paths
from kb.models import Document
from tests.support.accounts import client_for, make_app, seed
from tests.support.pdfs import make_standard_pdf


@pytest.fixture
def docs(any_kbase, tmp_path):
    seed(any_kbase)
    paths = [make_standard_pdf(tmp_path / f"{n}.pdf", code=f"TCVN {n}:2015", title=f"Tiêu chuẩn thử {n}")
             for n in (4884, 4885)]
    ingest_paths(any_kbase, paths)
    with any_kbase.session() as s:
        rows = s.exec(select(Document).order_by(col(Document.id))).all()
        return [(d.id, d.sha256) for d in rows]


def test_a_new_page_pushes_the_least_recently_used_one_out(any_kbase, docs):
    (first_id, first_sha), (second_id, second_sha) = docs
    app = make_app(any_kbase)
    c = client_for(app, "curator")
    first = c.get(f"/curate/documents/{first_id}/pages/1.png")
    assert first.status_code == 200
    cache = any_kbase.settings.data_dir / "page-images"
    first_png = cache / f"{first_sha}-1-900.png"
    # A cap smaller than one page; the first page was last used an hour ago.
    any_kbase.settings.page_cache_mb = len(first.content) * 1.5 / (1024 * 1024)
    hour_ago = time.time() - 3600
    os.utime(first_png, (hour_ago, hour_ago))
    second = c.get(f"/curate/documents/{second_id}/pages/1.png")
    assert second.status_code == 200
    assert sorted(p.name for p in cache.iterdir()) == [f"{second_sha}-1-900.png"]
    # Pushed out is not lost: asked again, it is rendered again, the same picture.
    again = c.get(f"/curate/documents/{first_id}/pages/1.png")
    assert again.status_code == 200 and again.content == first.content
    assert first_png.is_file()
