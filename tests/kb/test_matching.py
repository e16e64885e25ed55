"""Product → standard suggestions: quality over a suggestion set, the scorer choice, reasons, storage."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process
from sqlmodel import select

from kb import matching, search
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import NotFound
from kb.mappings import upsert_mapping
from kb.models import CategoryRule, Criterion, Mapping, MappingStatus, Product, Standard
from kb.standards import require_standard
from tests.kb.test_search_relevance import corpus_world  # noqa: F401 (a fixture: the world search is measured on)
from tests.support.search_world import build_world, make_product

RELEVANCE = Path(__file__).with_name("relevance")
SET = RELEVANCE / "suggestions.csv"
# Held back: written before the precision work of issue 11 and never tuned on.
MANDATORY_TYPES = {"mandatory", "hygiene"}  # what the product page files under "Quy chuẩn bắt buộc"
HELD_BACK = RELEVANCE / "suggestions_heldback.csv"
CORPUS_SET = RELEVANCE / "suggestions_corpus.csv"
CORPUS_HELD_BACK = RELEVANCE / "suggestions_corpus_heldback.csv"
# Thresholds for the held-back sets: a little below what they measured (they are not tuned on, so a
# change may move them either way; a drop beyond this is a regression to look at).
HELD_RECALL, HELD_PRECISION = 0.95, 0.9
# Held back: 1.000 / 0.817 measured on the suggestion rules alone; 0.857 / 0.822 once search kept partial matches
# apart (issue 11): one cable lost its standard from the first five (README, "Suggestions").
CORPUS_HELD_RECALL, CORPUS_HELD_PRECISION = 0.83, 0.75


def load_set(path: Path = SET) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def codes(cell: str | None) -> set[str]:
    return {c.strip() for c in (cell or "").split("|") if c.strip()}


def add_products(kb, rows: list[dict]) -> None:
    with kb.session() as s:
        for row in rows:
            aliases = [a for a in row["aliases"].split(";") if a]
            make_product(s, row["name"], aliases=aliases, category=row["category"] or None,
                         description=row["description"] or None)


@dataclass
class Quality:
    """Suggestion quality over a labelled set. Per product: recall@5 of the expected standards (those a
    curator must see), precision@5 of the first five against expected ∪ acceptable (a product shown fewer
    than five is judged on what it was shown; one shown nothing scores 1 when nothing applies, else 0),
    the reciprocal rank of the first expected standard within 10, and every standard suggested as
    mandatory that is not among the product's labelled in-scope regulations."""

    rows: list[tuple[str, float | None, float, float | None, list[str]]] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)

    @staticmethod
    def _mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else float("nan")

    @property
    def recall(self) -> float:
        return self._mean([r for _, r, _, _, _ in self.rows if r is not None])

    @property
    def precision(self) -> float:
        return self._mean([p for _, _, p, _, _ in self.rows])

    @property
    def mrr(self) -> float:
        return self._mean([rr for _, _, _, rr, _ in self.rows if rr is not None])

    def report(self, title: str) -> str:
        lines = [f"{title}: {len(self.rows)} products, recall@5 = {self.recall:.3f}, "
                 f"precision@5 = {self.precision:.3f}, MRR = {self.mrr:.3f}, "
                 f"mandatory outside scope = {len(self.out_of_scope)}"]
        for name, r, p, _, top in self.rows:
            lines.append(f"  {name:<36} R={'  - ' if r is None else f'{r:.2f}'} P={p:.2f}  {top}")
        lines += [f"  outside scope: {x}" for x in self.out_of_scope]
        return "\n".join(lines)


def measure(kb, rows: list[dict]) -> Quality:
    q = Quality()
    for row in rows:
        expected, in_scope = codes(row["expected"]), codes(row["in_scope"])
        right = expected | codes(row["acceptable"])
        got = matching.suggest(kb, row["name"], store=False)["suggestions"]
        top = [s["code"] for s in got[:5]]
        recall = len(set(top) & expected) / min(5, len(expected)) if expected else None
        precision = len(set(top) & right) / len(top) if top else (0.0 if expected else 1.0)
        rank = next((i for i, s in enumerate(got[:10], 1) if s["code"] in expected), None)
        q.rows.append((row["name"], recall, precision, (1 / rank if rank else 0.0) if expected else None,
                       [f"{s['code']} ({s['type']})" for s in got[:5]]))
        q.out_of_scope += [f"{row['name']}: {s['code']} as {s['type']}" for s in got
                           if s["type"] in MANDATORY_TYPES and s["code"] not in in_scope]
    return q


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The bundled demo knowledge base (its approved mappings are the curators' past work) plus the
    products of the suggestion sets, which have no mappings yet."""
    demo_mod = pytest.importorskip("ingest.demo")
    kb = KnowledgeBase(Settings(data_dir=tmp_path_factory.mktemp("match") / "var", secret_key="t"))
    kb.init()
    demo_mod.load_demo(kb)
    add_products(kb, load_set(SET) + load_set(HELD_BACK))
    search.reindex(kb)
    yield kb
    kb.dispose()


@pytest.fixture(scope="module")
def demo_quality(demo) -> dict[str, Quality]:
    return {"tuned": measure(demo, load_set(SET)), "held back": measure(demo, load_set(HELD_BACK))}


def test_suggestion_quality_on_the_demo_data(demo_quality):
    tuned, held = demo_quality["tuned"], demo_quality["held back"]
    print("\n" + tuned.report("suggestions, demo data (tuned on)"))
    print(held.report("suggestions, demo data, held back (never tuned on)"))
    assert all(r for _, r, _, _, _ in tuned.rows), "a product without any expected standard in its top 5"
    # a little below what was measured (README "Measured"), so that a regression fails
    assert tuned.recall >= 0.93 and tuned.precision >= 0.86 and tuned.mrr >= 0.97, tuned.report("tuned")
    assert held.recall >= HELD_RECALL and held.precision >= HELD_PRECISION, held.report("held back")


def test_no_regulation_is_suggested_as_mandatory_outside_its_scope(demo_quality):
    """Every product of both demo sets: each standard suggested as mandatory (or hygiene, which the product
    page also files under "Quy chuẩn bắt buộc") is one of the product's labelled in-scope regulations."""
    for name, q in demo_quality.items():
        assert not q.out_of_scope, f"{name}: {q.out_of_scope}"


@pytest.fixture(scope="module")
def corpus_products(request):
    kb = request.getfixturevalue("corpus_world")
    add_products(kb, load_set(CORPUS_SET) + load_set(CORPUS_HELD_BACK))
    search.reindex(kb)
    return kb


@pytest.fixture(scope="module")
def corpus_quality(corpus_products) -> dict[str, Quality]:
    return {"tuned": measure(corpus_products, load_set(CORPUS_SET)),
            "held back": measure(corpus_products, load_set(CORPUS_HELD_BACK))}


@pytest.mark.corpus
def test_suggestion_quality_on_the_corpus(corpus_quality):
    tuned, held = corpus_quality["tuned"], corpus_quality["held back"]
    print("\n" + tuned.report("suggestions, demo + corpus PDFs (tuned on)"))
    print(held.report("suggestions, demo + corpus PDFs, held back (never tuned on)"))
    assert tuned.recall >= 0.95 and tuned.precision >= 0.75 and tuned.mrr >= 0.97, tuned.report("tuned")
    assert held.recall >= CORPUS_HELD_RECALL and held.precision >= CORPUS_HELD_PRECISION, held.report("held back")


@pytest.mark.corpus
def test_no_regulation_is_suggested_as_mandatory_outside_its_scope_on_the_corpus(corpus_quality):
    for name, q in corpus_quality.items():
        assert not q.out_of_scope, f"{name}: {q.out_of_scope}"


@pytest.mark.corpus
def test_ready_mixed_concrete_is_not_told_an_urban_planning_regulation_is_mandatory(corpus_products):
    """Issue 11: "Bê tông thương phẩm" was offered QCXDVN 01:2008/BXD (quy hoạch xây dựng) as a mandatory
    regulation, found by words of its body."""
    for name in ("Bê tông thương phẩm Yên Phong", "Bê tông thương phẩm"):
        got = {s["code"]: s for s in matching.suggest(corpus_products, name, store=False, limit=50)["suggestions"]}
        assert "QCXDVN 01:2008/BXD" not in got
        assert not [c for c, s in got.items() if s["type"] in MANDATORY_TYPES], got.keys()


def _subject_rank(subjects: dict[str, str], scorer, names: list[str], code: str) -> float:
    best: dict[str, float] = {}
    for name in names:  # as matching does: the best of the name and its aliases
        for _, score, c in process.extract(name, subjects, scorer=scorer, processor=matching.fold_words, limit=None):
            best[c] = max(best.get(c, 0.0), score)
    # ties share the worst rank: a scorer that cannot tell two titles apart gains nothing from the tie
    rank = sum(1 for s in best.values() if s >= best[code])
    return 1.0 / rank


def test_scorer_choice_is_measured(demo):
    with demo.session() as s:
        subjects = {c: matching.title_subject(t) for c, t in s.exec(select(Standard.code, Standard.title_vi)) if t}
    pairs = [([r["name"], *[a for a in r["aliases"].split(";") if a]], r["title_match"])
             for r in load_set() if r["title_match"]]
    scorers = {
        "chosen (set+sort)/2": lambda a, b, **kw: matching.SCORER(a, b),
        "token_set_ratio": fuzz.token_set_ratio,
        "token_sort_ratio": fuzz.token_sort_ratio,
        "WRatio": fuzz.WRatio,
        "ratio": fuzz.ratio,
        "partial_ratio": fuzz.partial_ratio,
        "QRatio": fuzz.QRatio,
    }
    mrr = {n: sum(_subject_rank(subjects, sc, names, code) for names, code in pairs) / len(pairs)
           for n, sc in scorers.items()}
    print(f"\nscorer MRR over {len(pairs)} title-evident products (ties ranked last):")
    for n, v in sorted(mrr.items(), key=lambda kv: -kv[1]):
        print(f"  {n:<20} {v:.3f}")
    assert mrr["chosen (set+sort)/2"] >= max(mrr.values()) - 1e-9
    # why not the default: WRatio gives the same 90 to unrelated titles that contain a short word
    assert fuzz.WRatio("mam", "nuoc mam") == fuzz.WRatio("mam", "mam tom") == 90
    assert matching.SCORER("Nước mắm", "nước mắm") == 100  # accents folded by the processor


def test_title_subject_drops_boilerplate():
    assert matching.title_subject("Bê tông - Phương pháp xác định cường độ chịu nén") == "Bê tông"
    assert matching.title_subject(
        "Quy chuẩn kỹ thuật quốc gia đối với nước khoáng thiên nhiên và nước uống đóng chai"
    ) == "nước khoáng thiên nhiên và nước uống đóng chai"


# --- behaviour on a small world ----------------------------------------------------------------------


@pytest.fixture
def world(kbase):
    build_world(kbase, noise_records=30)
    return kbase


def test_suggestions_carry_readable_vietnamese_reasons_and_a_type(world):
    out = matching.suggest(world, "Nước mắm cá cơm Kinh Bắc", store=False)
    assert out["product"]["name"] == "Nước mắm cá cơm Kinh Bắc" and out["product"]["id"]
    first = out["suggestions"][0]
    assert first["code"] == "TCVN 5107:2018"
    assert set(first) >= {"code", "title", "score", "reasons", "type"}
    assert any("Nước mắm" in r for r in first["reasons"])
    by_code = {s["code"]: s for s in out["suggestions"]}
    rule = by_code["QCVN 8-1:2011/BYT"]
    assert "quy tắc: Thực phẩm → QCVN 8-1:2011/BYT" in rule["reasons"] and rule["type"] == "mandatory"
    assert by_code["TCVN 7087:2013"]["type"] == "labelling"
    scores = [s["score"] for s in out["suggestions"]]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)


def test_category_rules_match_a_segment_of_the_product_category(world):
    with world.session() as s:
        make_product(s, "Ổi sấy dẻo", category="Thực phẩm/Trái cây")
    codes = [x["code"] for x in matching.suggest(world, "Ổi sấy dẻo", store=False)["suggestions"]]
    assert {"QCVN 8-1:2011/BYT", "QCVN 8-2:2011/BYT", "TCVN 7087:2013"} <= set(codes)


def test_what_curators_approved_for_a_similar_product_is_suggested(world):
    from tests.support.search_world import approve

    approve(world, "Mỳ gạo Chũ Xuân Trường", "TCVN 11888:2017", "voluntary")
    with world.session() as s:
        make_product(s, "Mỳ gạo Chũ Hằng Hiếu", category="Thực phẩm")
    out = matching.suggest(world, "Mỳ gạo Chũ Hằng Hiếu", store=False)
    hit = next(x for x in out["suggestions"] if x["code"] == "TCVN 11888:2017")
    assert "đã duyệt cho sản phẩm tương tự 'Mỳ gạo Chũ Xuân Trường'" in hit["reasons"]


def test_store_writes_suggested_rows_and_never_overrides_a_curator(world):
    name = "Bê tông thương phẩm Bắc Ninh"
    with world.session() as s:
        p = s.exec(select(Product).where(Product.name == name)).one()
        approved_std = require_standard(s, "TCVN 3118:2022")
        rejected_std = require_standard(s, "TCVN 3106:2022")
        upsert_mapping(s, p, approved_std, "test_method", "curator", None, "approved", "curator", "cur")
        upsert_mapping(s, p, rejected_std, "test_method", None, None, "rejected", "curator", "cur")
    out = matching.suggest(world, p.id, store=True)
    codes = [x["code"] for x in out["suggestions"]]
    assert "TCVN 3106:2022" not in codes  # rejected: never suggested again
    with world.session() as s:
        rows = s.exec(select(Mapping).where(Mapping.product_id == p.id)).all()
        by_std = {r.standard_id: r for r in rows}
        assert by_std[approved_std.id].status == MappingStatus.approved and by_std[approved_std.id].source.value == "curator"
        assert by_std[rejected_std.id].status == MappingStatus.rejected
        suggested = [r for r in rows if r.status == MappingStatus.suggested]
        assert suggested and all(r.source.value == "auto" and r.score and r.reasons for r in suggested)
        n = len(rows)
    matching.suggest(world, str(p.id), store=True)  # again: updated in place, no duplicates
    with world.session() as s:
        assert len(s.exec(select(Mapping).where(Mapping.product_id == p.id)).all()) == n


def test_products_are_found_by_id_or_name_and_unknown_ones_raise(world):
    with world.session() as s:
        pid = s.exec(select(Product.id).where(Product.name == "Bông tắm xơ mướp")).one()
    assert matching.suggest(world, pid, store=False)["product"]["id"] == pid
    assert matching.suggest(world, "bong tam xo muop", store=False)["product"]["id"] == pid
    with pytest.raises(NotFound):
        matching.suggest(world, "Không có sản phẩm này")
    with pytest.raises(NotFound):
        matching.suggest(world, 99999)


def test_rules_pointing_outside_the_knowledge_base_are_ignored(world):
    with world.session() as s:
        s.add(CategoryRule(category="Hàng tiêu dùng", standard_code="TCVN 99999:2099", type="voluntary"))
    out = matching.suggest(world, "Bông tắm xơ mướp", store=False)
    assert all(x["code"] != "TCVN 99999:2099" for x in out["suggestions"])


def test_a_product_without_category_borrows_it_from_a_similar_product(world):
    with world.session() as s:
        make_product(s, "Nước mắm Cát Hải")  # no category, no description
    out = matching.suggest(world, "Nước mắm Cát Hải", store=False)
    codes = [x["code"] for x in out["suggestions"]]
    assert codes[0] == "TCVN 5107:2018"
    rule = next(x for x in out["suggestions"] if x["code"] == "QCVN 8-1:2011/BYT")
    assert "quy tắc: Thực phẩm → QCVN 8-1:2011/BYT" in rule["reasons"]


def test_regulation_coverage_is_read_from_the_title():
    cover = matching.regulation_coverage
    assert cover("Quy chuẩn kỹ thuật quốc gia đối với giới hạn ô nhiễm kim loại nặng trong thực phẩm") == ["thực phẩm"]
    assert cover("Quy chuẩn kỹ thuật quốc gia về sản phẩm, hàng hóa vật liệu xây dựng") == ["vật liệu xây dựng"]
    assert cover("Quy chuẩn kỹ thuật quốc gia đối với các sản phẩm đồ uống có cồn") == ["đồ uống có cồn"]
    assert cover("Quy chuẩn kỹ thuật quốc gia đối với nước khoáng thiên nhiên và nước uống đóng chai") == [
        "nước khoáng thiên nhiên", "nước uống đóng chai"]
    assert cover("Quy chuẩn xây dựng Việt Nam quy hoạch xây dựng") == ["quy hoạch xây dựng"]
    assert matching.title_subject("Thép cốt bê tông-Mối nối bằng ống ren - Phần 1: Các yêu cầu") == "Thép cốt bê tông"


def test_a_regulation_met_only_in_body_words_is_not_suggested(world):
    """The issue's example without the corpus: a planning regulation whose text mentions ready-mixed
    concrete (its criteria are indexed like a body) is neither mandatory for concrete nor suggested at all."""
    from tests.support.search_world import make_standard

    with world.session() as s:
        qc = make_standard(s, "QCXDVN 01:2008/BXD", "Quy chuẩn xây dựng Việt Nam quy hoạch xây dựng", mandatory=True)
        s.add(Criterion(standard_id=qc.id, name="Trạm trộn bê tông thương phẩm đặt ngoài khu dân cư"))
        make_product(s, "Bê tông thương phẩm Yên Phong", category="Vật liệu xây dựng")
    search.reindex(world)
    res = search.search(world, "Bê tông thương phẩm Yên Phong", kind="standard")
    assert [h.code for h in res.hits + res.near if h.code == "QCXDVN 01:2008/BXD"], \
        "the world no longer reproduces the issue"
    got = matching.suggest(world, "Bê tông thương phẩm Yên Phong", store=False, limit=50)["suggestions"]
    assert "QCXDVN 01:2008/BXD" not in {x["code"] for x in got}


def test_a_regulation_named_for_the_category_only_is_suggested_as_a_check_not_as_mandatory(world):
    from tests.support.search_world import make_standard

    with world.session() as s:
        make_standard(s, "QCVN 16:2023/BXD", "Quy chuẩn kỹ thuật quốc gia về sản phẩm, hàng hóa vật liệu xây dựng",
                      mandatory=True)
        make_product(s, "Gạch đất sét nung Quế Võ", category="Vật liệu xây dựng")
    got = {x["code"]: x for x in matching.suggest(world, "Gạch đất sét nung Quế Võ", store=False)["suggestions"]}
    qc = got["QCVN 16:2023/BXD"]
    assert qc["type"] == "other"
    assert qc["reasons"][0].startswith("quy chuẩn cho 'vật liệu xây dựng', nhóm của sản phẩm: chưa rõ")


def test_a_regulation_whose_title_names_the_product_is_mandatory(world):
    from tests.support.search_world import make_standard

    with world.session() as s:
        make_standard(s, "QCVN 6-1:2010/BYT",
                      "Quy chuẩn kỹ thuật quốc gia đối với nước khoáng thiên nhiên và nước uống đóng chai",
                      mandatory=True)
        make_product(s, "Nước uống đóng chai Yên Phong", category="Đồ uống")
    got = {x["code"]: x for x in matching.suggest(world, "Nước uống đóng chai Yên Phong", store=False)["suggestions"]}
    assert got["QCVN 6-1:2010/BYT"]["type"] == "mandatory"
    assert "phạm vi quy chuẩn nêu 'nước uống đóng chai'" in got["QCVN 6-1:2010/BYT"]["reasons"]


def test_letters_alike_are_not_products_alike(world):
    """``Tương Bần`` (a soybean sauce) is 75 % like ``Bê tông`` by letters; it shares no word with it."""
    from tests.support.search_world import approve

    approve(world, "Bê tông thương phẩm Bắc Ninh", "TCVN 3118:2022", "test_method")
    with world.session() as s:
        make_product(s, "Tương Bần", category="Thực phẩm")
    got = [x["code"] for x in matching.suggest(world, "Tương Bần", store=False)["suggestions"]]
    assert not [c for c in got if c.startswith("TCVN 31")], got
