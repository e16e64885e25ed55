"""Product groups: parsing, upsert with audit, automatic membership and the curator's changes to it, group
mappings and what a product inherits; the product-groups and group-mappings imports (CSV and XLSX), on SQLite
and PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from ingest.importers import import_file
from kb import groups, products, standards
from kb.errors import BadInput, NotFound
from kb.models import AuditEvent, GroupKind, ProductCreate, ProductGroupMember, ProductUpdate, StandardCreate

GROUP_COLUMNS = ["slug", "name", "kind", "parent", "aliases", "keywords", "hs_codes", "description", "route",
                 "sources", "is_sample"]


def events(kbase) -> int:
    with kbase.session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def add_product(s, name: str, **fields) -> int:
    return products.upsert_product(s, ProductCreate(name=name, **fields), "test")[0].id


def add_group(s, slug: str, name: str, **fields) -> int:
    return groups.upsert_group(s, groups.parse_group({"slug": slug, "name": name, **fields}), "test")[0].id


# --- parse_group ----------------------------------------------------------------------------------


def test_parse_group_cleans_and_normalises():
    g = groups.parse_group({"slug": " Ruou-Lang-Van ", "name": "Rượu  làng Vân", "kind": "Ngành nghề",
                            "parent": "ocop-do-uong", "aliases": "Vân hương mỹ tửu; ; vân hương mỹ tửu",
                            "keywords": "rượu làng Vân;rượu Vân", "hs_codes": "22.08; 2206 00 91, 19.02.30.20",
                            "sources": "https://a.example/1; Nghị định 15/2018/NĐ-CP", "is_sample": "không"})
    assert g.slug == "ruou-lang-van" and g.parent == "ocop-do-uong"
    assert g.fields["name"] == "Rượu làng Vân" and g.fields["kind"] == GroupKind.trade
    assert g.fields["aliases"] == ["Vân hương mỹ tửu"]
    assert g.fields["keywords"] == ["rượu làng Vân", "rượu Vân"]
    assert g.fields["hs_codes"] == ["2208", "22060091", "19023020"]
    assert g.fields["sources"] == "https://a.example/1\nNghị định 15/2018/NĐ-CP"
    assert g.fields["is_sample"] is False
    # Columns absent from the row are not touched; parent absent is not "no parent".
    assert "route" not in groups.parse_group({"slug": "a", "name": "A"}).fields
    assert groups.parse_group({"slug": "a", "name": "A"}).has_parent is False


@pytest.mark.parametrize("data, field", [
    ({"slug": "Gốm Phù Lãng", "name": "x"}, "slug"),
    ({"slug": "-gom", "name": "x"}, "slug"),
    ({"slug": "gom", "name": ""}, "name"),
    ({"slug": "gom", "name": "Gốm", "kind": "làng"}, "kind"),
    ({"slug": "gom", "name": "Gốm", "hs_codes": "691"}, "hs_codes"),
    ({"slug": "gom", "name": "Gốm", "hs_codes": "69.13; gốm"}, "hs_codes"),
    ({"slug": "gom", "name": "Gốm", "parent": "Nhóm cha"}, "parent"),
    ({"slug": "gom", "name": "Gốm", "parent": "gom"}, "parent"),
    ({"slug": "gom", "name": "G" * 201}, "name"),
    ({"slug": "gom", "name": "Gốm", "is_sample": "có lẽ"}, "is_sample"),
])
def test_parse_group_names_the_bad_field_in_vietnamese(data, field):
    with pytest.raises(BadInput) as exc:
        groups.parse_group(data)
    assert exc.value.message.startswith(field + ":"), exc.value.message


# --- upsert and audit -----------------------------------------------------------------------------


def test_upsert_is_audited_and_idempotent(any_kbase):
    kbase = any_kbase
    row = {"slug": "gom-phu-lang", "name": "Gốm Phù Lãng", "kind": "trade", "keywords": "gốm Phù Lãng",
           "route": "Đồ gốm chứa đựng thực phẩm: tự công bố.", "parent": ""}
    with kbase.session() as s:
        g, outcome = groups.upsert_group(s, groups.parse_group(row), "curator")
        assert outcome == "created" and g.parent_id is None and g.version == 1
    n = events(kbase)
    with kbase.session() as s:
        assert groups.upsert_group(s, groups.parse_group(row), "curator")[1] == "unchanged"
    assert events(kbase) == n
    with kbase.session() as s:
        g, outcome = groups.upsert_group(s, groups.parse_group({**row, "route": "", "keywords": ""}), "curator")
        assert outcome == "updated" and g.route is None and g.keywords == [] and g.version == 2
        ev = s.exec(select(AuditEvent).where(AuditEvent.entity == "product_group")
                    .order_by(AuditEvent.id.desc())).first()
        assert ev.before["route"] == "Đồ gốm chứa đựng thực phẩm: tự công bố." and ev.after["route"] is None


def test_parent_must_exist_and_no_cycles(any_kbase):
    with any_kbase.session() as s:
        with pytest.raises(BadInput, match="parent: chưa có nhóm 'thuc-pham'"):
            add_group(s, "che-bien", "Thực phẩm chế biến", parent="thuc-pham")
        add_group(s, "thuc-pham", "Thực phẩm", kind="ocop")
        add_group(s, "che-bien", "Thực phẩm chế biến", kind="ocop", parent="thuc-pham")
        add_group(s, "mi", "Mì", kind="ocop", parent="che-bien")
        with pytest.raises(BadInput, match="vòng"):
            add_group(s, "thuc-pham", "Thực phẩm", parent="mi")
        mi = groups.require_group(s, "mi")
        assert [a.slug for a in groups.ancestors(s, mi)] == ["che-bien", "thuc-pham"]
        assert [c.slug for c in groups.children(s, groups.require_group(s, "thuc-pham"))] == ["che-bien"]
        with pytest.raises(NotFound, match="Không có nhóm sản phẩm"):
            groups.require_group(s, "khong-co")


# --- membership -----------------------------------------------------------------------------------


def test_automatic_membership_by_words_hs_code_and_ocop_group(any_kbase):
    with any_kbase.session() as s:
        chum = add_product(s, "Chum sành", aliases=["Gốm Phù Lãng men da lươn"])
        bao_gom = add_product(s, "Bộ quà bao gồm bánh và chè")  # "gồm" is not "gốm"
        typed = add_product(s, "Lo hoa gom Phu Lang")  # typed without accents: still the group's words
        gomphu = add_product(s, "Gốmphù Lãng")  # not whole words
        mi = add_product(s, "Bún khô", hs_codes=["19023020"])
        other_hs = add_product(s, "Bánh quy", hs_codes=["19053100"])
        ruou = add_product(s, "Rượu nếp", kind="ocop", ocop_group="Đồ uống")
        add_group(s, "gom-phu-lang", "Gốm Phù Lãng", keywords="gốm Phù Lãng")
        add_group(s, "hs-1902", "Mã HS 19.02", kind="hs_chapter", hs_codes="19.02")
        add_group(s, "ocop-do-uong", "Đồ uống", kind="ocop")
        counts = groups.refresh_members(s, "test")
        got = {g.slug: {p.id for _, p in groups.members(s, g)} for g in groups.list_groups(s)}
    assert got == {"gom-phu-lang": {chum, typed}, "hs-1902": {mi}, "ocop-do-uong": {ruou}}
    assert bao_gom not in got["gom-phu-lang"] and gomphu not in got["gom-phu-lang"]
    assert other_hs not in got["hs-1902"]
    assert counts == {"added": 4, "removed": 0}
    # A second pass finds nothing to do and logs nothing.
    n = events(any_kbase)
    with any_kbase.session() as s:
        assert groups.refresh_members(s, "test") == {"added": 0, "removed": 0}
    assert events(any_kbase) == n


def test_curator_changes_survive_the_automatic_pass(any_kbase):
    with any_kbase.session() as s:
        a = add_product(s, "Chum gốm Phù Lãng")
        b = add_product(s, "Bình gốm Phù Lãng")
        hand = add_product(s, "Tượng đất nung")
        add_group(s, "gom-phu-lang", "Gốm Phù Lãng", keywords="gốm Phù Lãng")
        groups.refresh_members(s, "test")
        g = groups.require_group(s, "gom-phu-lang")
        assert groups.remove_member(s, g, products.require_product(s, a), "curator") == "removed"
        assert groups.add_member(s, g, products.require_product(s, hand), "curator") == "added"
        assert groups.add_member(s, g, products.require_product(s, hand), "curator") == "unchanged"
        groups.refresh_members(s, "test")
        assert {p.id for _, p in groups.members(s, g)} == {b, hand}
        excluded = [(m.source, m.excluded) for m, p in groups.members(s, g, include_excluded=True) if p.id == a]
        assert excluded == [("auto", True)]
        # The automatic member that stops matching leaves; the curator's member stays.
        products.update_product(s, b, ProductUpdate(name="Bình men lam"), None, "curator")
        products.update_product(s, hand, ProductUpdate(name="Tượng đất"), None, "curator")
        groups.refresh_members(s, "test", product_ids=[b, hand])
        assert {p.id for _, p in groups.members(s, g)} == {hand}
        # Putting an excluded product back lifts the exclusion; removing a hand-placed one deletes it.
        assert groups.add_member(s, g, products.require_product(s, a), "curator") == "added"
        assert groups.remove_member(s, g, products.require_product(s, hand), "curator") == "removed"
        assert {p.id for _, p in groups.members(s, g)} == {a}
        assert groups.remove_member(s, g, products.require_product(s, hand), "curator") == "unchanged"
        member_events = s.exec(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.entity == "group_member")).one()
        assert member_events == 4


def test_removing_a_product_the_rule_has_not_placed_yet_keeps_it_out(any_kbase):
    with any_kbase.session() as s:
        add_group(s, "gom-phu-lang", "Gốm Phù Lãng", keywords="gốm Phù Lãng")
        pid = add_product(s, "Chum gốm Phù Lãng")  # created after the group, no pass has run
        g = groups.require_group(s, "gom-phu-lang")
        assert groups.remove_member(s, g, products.require_product(s, pid), "curator") == "removed"
        groups.refresh_members(s, "test")
        assert groups.members(s, g) == []


# --- group mappings and inheritance ---------------------------------------------------------------


def test_group_mappings_and_what_a_product_inherits(any_kbase):
    with any_kbase.session() as s:
        qc = standards.upsert_standard(s, StandardCreate(code="QCVN 8-2:2011/BYT", title_vi="Kim loại nặng"),
                                       actor="t", source="import")[0]
        qc63 = standards.upsert_standard(s, StandardCreate(code="QCVN 6-3:2010/BYT", title_vi="Đồ uống có cồn"),
                                         actor="t", source="import")[0]
        add_group(s, "thuc-pham", "Thực phẩm", kind="ocop")
        add_group(s, "do-uong", "Đồ uống", kind="ocop", parent="thuc-pham")
        add_group(s, "ruou", "Đồ uống có cồn", kind="ocop", parent="do-uong", keywords="rượu")
        add_group(s, "ruou-lang-van", "Rượu làng Vân", keywords="rượu làng Vân")
        pid = add_product(s, "Rượu làng Vân Diêm Đăng")
        groups.refresh_members(s, "test")
        p = products.require_product(s, pid)
        got = [(g.slug, via.slug if via else None) for g, via in groups.groups_of_product(s, p)]
        assert got == [("ruou", None), ("ruou-lang-van", None), ("do-uong", "ruou"), ("thuc-pham", "ruou")]

        top = groups.require_group(s, "thuc-pham")
        m, outcome = groups.upsert_group_mapping(s, top, qc, "hygiene", "Giới hạn kim loại nặng", None, "curator")
        assert outcome == "created"
        assert groups.upsert_group_mapping(s, top, qc, "Vệ sinh, an toàn", "Giới hạn kim loại nặng", None,
                                           "curator")[1] == "unchanged"
        assert groups.upsert_group_mapping(s, top, qc, "hygiene", "Kim loại nặng", "Luật ATTP", "curator")[1] == "updated"
        for slug in ("ruou", "ruou-lang-van"):  # the same rule from two groups: inherited once, nearest first
            groups.upsert_group_mapping(s, groups.require_group(s, slug), qc63, "mandatory", None, None, "curator")
        inherited = [(gm.type.value, std.code, g.slug) for gm, std, g in groups.inherited_mappings(s, p)]
        assert inherited == [("mandatory", "QCVN 6-3:2010/BYT", "ruou"), ("hygiene", "QCVN 8-2:2011/BYT", "thuc-pham")]
        with pytest.raises(BadInput, match="loại ánh xạ"):
            groups.upsert_group_mapping(s, top, qc, "bắt buộc lắm", None, None, "curator")
        with pytest.raises(NotFound):  # another group's mapping is not this group's to delete
            groups.remove_group_mapping(s, m.id, None, "curator", group=groups.require_group(s, "ruou"))
        groups.remove_group_mapping(s, m.id, m.version, "curator", group=top)
        assert [std.code for _, std, _ in groups.inherited_mappings(s, p)] == ["QCVN 6-3:2010/BYT"]
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity == "group_mapping")
                         .order_by(AuditEvent.id)).all()
        assert actions == ["create", "update", "create", "create", "delete"]


# --- imports --------------------------------------------------------------------------------------


def test_import_product_groups_and_group_mappings(any_kbase, tmp_path):
    kbase = any_kbase
    with kbase.session() as s:
        standards.upsert_standard(s, StandardCreate(code="QCVN 6-3:2010/BYT"), actor="t", source="import")
        add_product(s, "Rượu nếp cái hoa vàng", kind="ocop", ocop_group="Đồ uống")
    rows = [GROUP_COLUMNS,
            ["ocop-do-uong", "Đồ uống", "ocop", "", "", "", "", "", "", "QĐ 148/QĐ-TTg", "no"],
            ["ocop-do-uong-co-con", "Đồ uống có cồn", "ocop", "ocop-do-uong", "", "rượu", "22.08; 2206", "", "", "", ""],
            ["Sai Slug", "Nhóm sai", "trade", "", "", "", "", "", "", "", ""],
            ["con-mo-coi", "Nhóm con", "trade", "khong-co-cha", "", "", "", "", "", "", ""],
            ["hs-sai", "Mã sai", "hs_chapter", "", "", "", "691", "", "", "", ""],
            ["", "", "", "", "", "", "", "", "", "", ""],
            ["thieu-loai", "Thiếu loại", "làng", "", "", "", "", "", "", "", ""]]
    path = write_csv(tmp_path / "groups.csv", rows)
    report = import_file(kbase, "product-groups", path)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert [line for line, _ in report.errors] == [4, 5, 6, 8]
    assert report.errors[0][1].startswith("slug:") and "khong-co-cha" in report.errors[1][1]
    assert report.errors[2][1].startswith("hs_codes:") and report.errors[3][1].startswith("kind:")
    with kbase.session() as s:
        sub = groups.require_group(s, "ocop-do-uong-co-con")
        assert sub.hs_codes == ["2208", "2206"] and sub.parent_id == groups.require_group(s, "ocop-do-uong").id
        # the import placed the product in both groups (OCOP group by name, subgroup by keyword)
        assert [p.name for _, p in groups.members(s, sub)] == ["Rượu nếp cái hoa vàng"]
        assert len(groups.members(s, groups.require_group(s, "ocop-do-uong"))) == 1
    n = events(kbase)
    again = import_file(kbase, "product-groups", path)
    assert (again.created, again.updated, again.unchanged, len(again.errors)) == (0, 0, 2, 4)
    assert events(kbase) == n

    gm = write_csv(tmp_path / "gm.csv", [
        ["group", "standard", "type", "rationale", "legal_basis"],
        ["ocop-do-uong-co-con", "qcvn 6-3 2010 byt", "mandatory", "Đồ uống có cồn", "Nghị định 15/2018/NĐ-CP"],
        ["khong-co", "QCVN 6-3:2010/BYT", "mandatory", "", ""],
        ["ocop-do-uong", "QCVN 99:2099/BYT", "mandatory", "", ""],
        ["ocop-do-uong", "không phải ký hiệu", "mandatory", "", ""],
        ["ocop-do-uong", "QCVN 6-3:2010/BYT", "kiểu lạ", "", ""],
    ])
    report = import_file(kbase, "group-mappings", gm)
    assert report.created == 1 and [line for line, _ in report.errors] == [3, 4, 5, 6]
    assert "nhập tệp product-groups trước" in report.errors[0][1]
    assert "chưa có trong cơ sở dữ liệu" in report.errors[1][1]
    assert "không nhận ra ký hiệu" in report.errors[2][1]
    assert "loại ánh xạ" in report.errors[3][1]
    n = events(kbase)
    assert import_file(kbase, "group-mappings", gm).unchanged == 1
    assert events(kbase) == n


def test_import_groups_from_xlsx_and_products_join_after_a_products_import(kbase, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(GROUP_COLUMNS)
    ws.append(["my-chu", "Mỳ Chũ", "trade", None, "Mì Chũ", "mỳ Chũ; mỳ gạo Chũ", 190230, None, None, None, "yes"])
    wb.save(tmp_path / "groups.xlsx")
    report = import_file(kbase, "product-groups", tmp_path / "groups.xlsx")
    assert report.created == 1 and report.errors == []
    write_csv(tmp_path / "products.csv", [["name", "category", "hs_code"],
                                           ["Mỳ gạo Chũ Xuân Trường", "Thực phẩm", ""],
                                           ["Bún khô", "Thực phẩm", "19023020"],
                                           ["Bánh đa", "Thực phẩm", ""]])
    import_file(kbase, "products", tmp_path / "products.csv")
    with kbase.session() as s:
        g = groups.require_group(s, "my-chu")
        assert g.is_sample is True and g.hs_codes == ["190230"]
        assert sorted(p.name for _, p in groups.members(s, g)) == ["Bún khô", "Mỳ gạo Chũ Xuân Trường"]
        assert s.exec(select(func.count()).select_from(ProductGroupMember)).one() == 2


def test_cli_import_product_groups(settings, tmp_path):
    from tests.web.test_cli import run_kb

    path = write_csv(tmp_path / "g.csv", [GROUP_COLUMNS, ["det-may", "Dệt may", "trade", "", "", "dệt may", "61; 62",
                                                          "", "", "", ""],
                                          ["Dệt May", "Sai", "trade", "", "", "", "", "", "", "", ""]])
    result = run_kb(settings, "import", "product-groups", str(path), "--json")
    assert result.returncode == 1  # one bad row: reported, the good one imported
    assert '"created": 1' in result.stdout and '"line": 3' in result.stdout and "Traceback" not in result.stderr
    missing = run_kb(settings, "import", "group-mappings", str(tmp_path / "nope.csv"))
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1


def test_group_edits_and_group_mappings_can_be_reverted(any_kbase):
    from kb.audit import revertable
    from kb.versioning import revert_event

    with any_kbase.session() as s:
        std = standards.upsert_standard(s, StandardCreate(code="QCVN 8-2:2011/BYT"), actor="t", source="import")[0]
        add_group(s, "thuc-pham", "Thực phẩm", kind="ocop", route="Tự công bố.")
        add_product(s, "Mỳ gạo", ocop_group="Thực phẩm", kind="ocop")
        groups.refresh_members(s, "test")
        g, _ = groups.upsert_group(s, groups.parse_group({"slug": "thuc-pham", "name": "Thực phẩm", "route": ""}), "curator")
        m, _ = groups.upsert_group_mapping(s, g, std, "hygiene", None, None, "curator")
        gid, mid = g.id, m.id
    with any_kbase.session() as s:
        evs = s.exec(select(AuditEvent).where(AuditEvent.entity.in_(["product_group", "group_mapping"]))
                     .order_by(AuditEvent.id)).all()
        auto_pass = [e for e in evs if e.after and "members_added" in e.after]
        assert auto_pass and not revertable(auto_pass[0])  # the automatic pass is re-run, not reverted
        edit = next(e for e in evs if e.entity == "product_group" and e.before and "route" in e.before)
        created = next(e for e in evs if e.entity == "group_mapping" and e.action == "create")
        assert revertable(edit) and revertable(created)
        revert_event(s, edit.id, "curator")
        revert_event(s, created.id, "curator")
    with any_kbase.session() as s:
        g = groups.require_group(s, "thuc-pham")
        assert g.id == gid and g.route == "Tự công bố." and groups.mappings_of_group(s, g) == []
        assert s.get(groups.GroupMapping, mid) is None


# --- the automatic pass's index answers what the rule says, product by product -------------------------------

_SYLLABLES = ["bánh", "banh", "bành", "chưng", "chung", "gốm", "gồm", "gom", "mật", "mat", "ong", "đa", "da", "nem"]


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.lists(st.lists(st.sampled_from(_SYLLABLES), max_size=5), min_size=1, max_size=3),
                   min_size=1, max_size=12),
    codes=st.lists(st.lists(st.sampled_from(["0409", "040900", "04090010", "1902", "19023020", "8516"]), max_size=2),
                   min_size=12, max_size=12),
    keywords=st.lists(st.lists(st.sampled_from(_SYLLABLES), min_size=1, max_size=3), max_size=4),
    rule_codes=st.lists(st.sampled_from(["04", "0409", "040900", "1902", "85166010", ""]), max_size=2),
)
def test_the_pass_index_finds_what_each_rule_matches(texts, codes, keywords, rule_codes):
    """``_Index.hits`` (lookups by word, spelling and code prefix) against ``_Rule.matches`` product by product:
    accents must agree where both are written (gốm is not gồm; gom matches both), phrases are whole words."""
    from types import SimpleNamespace

    prods = []
    for pid, parts in enumerate(texts, start=1):
        name, *aliases = [" ".join(words) for words in parts]
        row = SimpleNamespace(name=name, aliases=aliases, category=None, ocop_group=None)
        prods.append((pid, groups._Product.of(row, codes[pid - 1])))
    group = SimpleNamespace(name="Nhóm", aliases=[], kind=GroupKind.trade, keywords=[" ".join(k) for k in keywords],
                            hs_codes=rule_codes)
    rule = groups._Rule.of(group)
    assert groups._Index(prods).hits(rule) == {pid for pid, p in prods if rule.matches(p)}
