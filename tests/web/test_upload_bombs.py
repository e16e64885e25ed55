"""Spreadsheet bombs through the web (issue 15, item 1): a lab account's scope upload and a curator's catalogue
upload answer 4xx with the one-line reason (never 500), in seconds, import nothing and keep no file."""

from __future__ import annotations

import csv
import io
import time

import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlmodel import func, select

from kb import labs
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.models import Lab, LabScope, Product
from tests.support.accounts import client_for, make_app, seed
from tests.support.bombs import SCOPE_HEADER, xlsx_bomb

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _capped(settings: Settings):
    """A knowledge base with small row and cell caps, so that files past them stay small."""
    kb = KnowledgeBase(settings.model_copy(update={"secret_key": "test-secret", "ingest_workers": 1, "max_rows": 20,
                                                   "max_cell_chars": 100}))
    kb.init()
    return kb


@pytest.fixture
def store(tmp_path):
    kb = _capped(Settings(data_dir=tmp_path / "var", database_url=None))
    yield kb
    kb.dispose()


@pytest.fixture
def world(store):
    return seed(store)


@pytest.fixture
def app(store, world):
    return make_app(store)


@pytest.fixture
def any_store(any_kbase):
    """Also on PostgreSQL (skipped cleanly when no server answers): the bomb tests."""
    kb = _capped(any_kbase.settings)
    yield kb
    kb.dispose()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    """1 MB packed, 120 MB unpacked: past KB_MAX_XLSX_PART_MB (100); built once for the module."""
    rows = [SCOPE_HEADER, ["VILAS 1001", "Cát", "Thành phần hạt", "", "", "có"]]
    return xlsx_bomb(tmp_path_factory.mktemp("bombs") / "bom.xlsx", rows, unpacked_mb=120).read_bytes()


def _alert(r) -> str:
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    node = LexborHTMLParser(r.text).css_first("[role=alert]")
    assert node is not None, r.text[:500]
    return " ".join(node.text().split())


def _count(store, model) -> int:
    with store.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _no_files_kept(store) -> None:
    assert not [p for p in store.settings.uploads_dir.rglob("*") if p.is_file()]


def _timed_post(c, url, **kwargs):
    started = time.monotonic()
    r = c.post(url, follow_redirects=False, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"{url} took {elapsed:.1f} s"
    return r


def _scope_csv(rows: int, cell: str = "Cát") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SCOPE_HEADER)
    for i in range(rows):
        writer.writerow(["VILAS 1001", cell, f"Phép thử {i}", "", "", "có"])
    return out.getvalue().encode()


def test_lab_scope_bomb_is_refused(any_store, bomb, tmp_path):
    store, world = any_store, seed(any_store)
    ratio = xlsx_bomb(tmp_path / "ratio.xlsx", [SCOPE_HEADER], unpacked_mb=10)  # under the caps, ~1000:1
    c = client_for(make_app(store), "lab_a")
    before = _count(store, LabScope)
    for content, reason in ((bomb, "giải nén ra 120 MB, quá giới hạn 100 MB"), (ratio.read_bytes(), "tỉ lệ bất thường")):
        r = _timed_post(c, f"/lab/{world.lab_a}/upload", files={"file": ("pham-vi.xlsx", content, XLSX)})
        assert r.status_code == 400
        message = _alert(r)
        assert message.startswith("pham-vi.xlsx: phần 'xl/sharedStrings.xml'") and reason in message, message
    assert _count(store, LabScope) == before
    _no_files_kept(store)


@pytest.mark.parametrize("body, reason", [(_scope_csv(21), "f.csv, dòng 22: quá giới hạn 20 dòng"),
                                          (_scope_csv(2, "x" * 101), "f.csv, dòng 2, cột 2: ô dài 101 ký tự")])
def test_lab_scope_past_the_caps_is_refused_with_the_line(app, store, world, body, reason):
    """Caps are met while the rows are read, in the upload's job: its page says which line, nothing changes."""
    c = client_for(app, "lab_a")
    r = _timed_post(c, f"/lab/{world.lab_a}/upload", files={"file": ("f.csv", body, "text/csv")})
    assert r.status_code == 303 and "/jobs/" in r.headers["location"]
    page = " ".join(LexborHTMLParser(c.get(r.headers["location"]).text).css_first("main").text().split())
    assert reason in page, page
    with store.session() as s:
        assert [x.test for x in labs.scope_rows(s, s.get(Lab, world.lab_a))] == ["Cường độ nén"]
    _no_files_kept(store)


def test_curator_upload_of_a_bomb_is_refused_in_the_request(any_store, bomb):
    store = any_store
    seed(store)
    c = client_for(make_app(store), "curator")
    before = (_count(store, Product), _count(store, LabScope))
    for kind in ("products", "lab-scope"):
        r = _timed_post(c, "/curate/upload", data={"kind": kind}, files={"file": ("san-pham.xlsx", bomb, XLSX)})
        assert r.status_code == 400
        message = _alert(r)
        assert message.startswith("san-pham.xlsx: phần 'xl/sharedStrings.xml' giải nén ra 120 MB"), message
    assert (_count(store, Product), _count(store, LabScope)) == before
    _no_files_kept(store)


def test_curator_upload_past_a_cap_fails_on_the_upload_page(app, store, world):
    """Row caps are met while the rows are read, after the response: the failure is on the upload page."""
    c = client_for(app, "curator")
    body = "name,category\n" + "".join(f"Sản phẩm {i},Thực phẩm\n" for i in range(21))
    before = _count(store, Product)
    r = _timed_post(c, "/curate/upload", data={"kind": "products"}, files={"file": ("sp.csv", body.encode(), "text/csv")})
    assert r.status_code == 303
    items = [" ".join(li.text().split()) for li in LexborHTMLParser(c.get("/curate/upload").text).css("main ul li")]
    assert any("thất bại" in t and "dòng 22: quá giới hạn 20 dòng" in t for t in items), items
    assert _count(store, Product) == before
    _no_files_kept(store)
