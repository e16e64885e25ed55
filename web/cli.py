"""The ``kb`` command. It lives beside the web app because, like it, it is an interface on top of
``kb`` and ``ingest``; heavy modules are imported inside each command so ``kb --help`` stays fast.

A user error prints one line on stderr and exits non-zero; ``KB_DEBUG=1`` shows tracebacks.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import Conflict, KBError
from kb.text import is_digits

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Cơ sở dữ liệu tiêu chuẩn, quy chuẩn kỹ thuật cho sản phẩm tỉnh Bắc Ninh.",
)
users_app = typer.Typer(no_args_is_help=True, help="Quản lý tài khoản (admin, curator, lab).")
app.add_typer(users_app, name="users")

out = Console(highlight=False)


def _kb() -> KnowledgeBase:
    kbase = KnowledgeBase(Settings())
    kbase.init()
    return kbase


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()  # one line per file as it happens, also into a pipe (and none lost if killed)


@app.command()
def init() -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu (chạy lại nhiều lần không sao)."""
    kbase = _kb()
    out.print(f"Cơ sở dữ liệu sẵn sàng: {kbase.engine.url.render_as_string(hide_password=True)}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Tệp PDF hoặc thư mục (tìm *.pdf đệ quy).")],
    as_json: Annotated[bool, typer.Option("--json", help="Một đối tượng JSON mỗi tệp.")] = False,
    ocr: Annotated[bool, typer.Option("--ocr", help="Chạy OCR (ocrmypdf + tesseract-ocr-vie) cho bản quét.")] = False,
) -> None:
    """Nạp tệp PDF tiêu chuẩn, quy chuẩn, danh mục, năng lực phòng thí nghiệm."""
    from ingest.pipeline import ingest_paths
    from kb import documents

    kbase = _kb()
    documents.mark_interrupted(kbase)  # runs an earlier, killed ``kb ingest`` left open
    if as_json:
        results = ingest_paths(kbase, paths, ocr=ocr, progress=_print_json)
    else:
        results = _ingest_with_progress(kbase, paths, ocr)
    if any(r.get("status") == "failed" for r in results):
        raise typer.Exit(1)


def _ingest_with_progress(kbase: KnowledgeBase, paths: list[Path], ocr: bool) -> list[dict]:
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.pipeline import ingest_paths

    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True)) as bar:
        task = bar.add_task("Đang nạp", total=None)

        def tick(result: dict) -> None:
            bar.update(task, advance=1, description=f"{result.get('status', '')}: {Path(result.get('file', '')).name[:40]}")

        results = ingest_paths(kbase, paths, ocr=ocr, progress=tick)
    seconds = time.perf_counter() - started
    table = Table(title="Kết quả nạp tài liệu")
    for col in ("Trạng thái", "Số tệp", "Số trang"):
        table.add_column(col)
    labels = {"ingested": "Đã nạp", "unchanged": "Không đổi", "needs_ocr": "Cần OCR", "failed": "Lỗi"}
    for status, label in labels.items():
        group = [r for r in results if r.get("status") == status]
        table.add_row(label, str(len(group)), str(sum(r.get("pages") or 0 for r in group)))
    out.print(table)
    out.print(f"Thời gian: {seconds:.1f} s")
    for r in results:
        if r.get("status") in ("failed", "needs_ocr"):
            out.print(f"[{r['status']}] {r.get('file')}: {r.get('error') or ''}")
    return results


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help="Loại danh mục: standards, products, labs, lab-scope, mappings, risk-list, … "
                                                        "(danh sách đủ trong README; loại sai thì lệnh nói các loại hợp lệ).")],
    file: Annotated[Path, typer.Argument(help="Tệp CSV (UTF-8, có dòng tiêu đề) hoặc XLSX.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    document: Annotated[str | None, typer.Option(help="risk-list: số hiệu văn bản, vd 36/2026/TT-BKHCN.")] = None,
    effective_from: Annotated[str | None, typer.Option(help="risk-list: áp dụng từ ngày YYYY-MM-DD.")] = None,
    effective_until: Annotated[str | None, typer.Option(help="risk-list: áp dụng đến hết ngày YYYY-MM-DD.")] = None,
    replaces: Annotated[list[str] | None, typer.Option(
        help="risk-list: văn bản có danh mục bị thay thế (kết thúc ngày trước ngày áp dụng); lặp lại được.")] = None,
    full_priority: Annotated[bool, typer.Option(
        "--full-priority", help="Chạy với mức ưu tiên CPU thường (mặc định: nhường CPU cho trang web đang phục vụ; "
                                "máy rảnh thì nhanh như nhau).")] = False,
) -> None:
    """Nhập danh mục từ CSV/XLSX; dòng lỗi được báo kèm số dòng, các dòng tốt vẫn được nhập."""
    from ingest.importers import IMPORT_NICENESS, KINDS, import_file

    if kind not in (*KINDS, "risk-list"):
        raise KBError(f"loại nhập không hợp lệ {kind!r}; chọn một trong: {', '.join(KINDS)}, risk-list")
    if not file.is_file():
        raise KBError(f"không tìm thấy tệp: {file}")
    if kind == "risk-list":
        _import_risk_list(file, as_json, document, effective_from, effective_until, replaces or [])
        return
    if document or effective_from or effective_until or replaces:
        raise KBError("--document, --effective-from, --effective-until, --replaces chỉ dùng với risk-list")
    if not full_priority:
        os.nice(IMPORT_NICENESS)
    # The CLI may fork: a large import rebuilds the search index with two processes (ingest.importers).
    report = import_file(_kb(), kind, file, procs=2)
    if as_json:
        _print_json(report.to_json())
    else:
        out.print(f"Tạo mới {report.created}, cập nhật {report.updated}, không đổi {report.unchanged}, lỗi {len(report.errors)}")
        for line, message in report.errors:
            out.print(f"  dòng {line}: {message}")
    if report.errors:
        raise typer.Exit(1)


def _date_option(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise KBError(f"{option}: {value!r} không phải ngày dạng YYYY-MM-DD") from None


def _import_risk_list(file: Path, as_json: bool, document: str | None, effective_from: str | None,
                      effective_until: str | None, replaces: list[str]) -> None:
    from ingest.importers import import_risk_list

    start = _date_option(effective_from, "--effective-from")
    if not document or start is None:
        raise KBError("risk-list cần --document SỐ_HIỆU và --effective-from YYYY-MM-DD")
    report = import_risk_list(_kb(), file, document=document, effective_from=start,
                              effective_until=_date_option(effective_until, "--effective-until"), replaces=replaces)
    if as_json:
        _print_json(report.to_json())
    else:
        outcomes = {"created": "Tạo mới", "replaced": "Nhập lại (thay các dòng cũ)", "updated": "Cập nhật ngày",
                    "unchanged": "Không đổi"}
        out.print(f"{outcomes[report.outcome]} danh mục {report.document}: {report.rows} dòng, "
                  f"lỗi {len(report.errors)}")
        for label in report.ended:
            out.print(f"  kết thúc: {label}")
        for line, message in report.errors:
            out.print(f"  dòng {line}: {message}")
    if report.errors:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Tên sản phẩm, ký hiệu tiêu chuẩn, từ khóa (có dấu hoặc không dấu).")],
    kind: Annotated[str | None, typer.Option(help="standard | product | lab | group")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Tìm tiêu chuẩn, sản phẩm, phòng thí nghiệm, nhóm sản phẩm: câu trả lời trước, kết quả gần đúng sau."""
    from kb import search as kb_search

    if kind not in (None, *kb_search.KINDS):
        raise KBError(f"--kind phải là standard, product, lab hoặc group, không phải {kind!r}")
    kbase = _kb()
    try:  # a command does not live to see a background catch-up: the index is brought up to date first
        kb_search.ensure_index(kbase)
    except Conflict:
        pass  # another process maintains the index: search what it holds
    results = kb_search.search(kbase, query, kind=kind, limit=limit)
    if as_json:
        _print_json(results.to_json())
        return
    if results.hits:
        out.print(_hit_table(results.hits))
    else:
        out.print(f"Cơ sở tri thức chưa có câu trả lời cho «{results.query}»."
                  + (f" Có phải bạn muốn tìm: {results.did_you_mean}?" if results.did_you_mean else ""))
    if results.near:
        out.print(f"Kết quả gần đúng ({results.near_total}, không phải câu trả lời):")
        out.print(_hit_table(results.near, why=True))


def _hit_table(hits: list, why: bool = False) -> Table:
    table = Table()
    for col in ("Loại", "Mã / số hiệu", "Tên", "Trạng thái", *(["Vì sao gần đúng"] if why else [])):
        table.add_column(col)
    for h in hits:
        table.add_row(h.kind, h.code or h.accreditation or str(h.id), h.title or "", h.status or "",
                      *([h.why or ""] if why else []))
    return table


@app.command()
def suggest(
    product: Annotated[str, typer.Argument(help="Mã số hoặc tên chính xác của sản phẩm.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Gợi ý tiêu chuẩn cho một sản phẩm (lưu vào hàng chờ duyệt với trạng thái suggested)."""
    from kb.matching import suggest as kb_suggest

    ref: int | str = int(product) if is_digits(product) else product
    result = kb_suggest(_kb(), ref)
    if as_json:
        _print_json(result)
        return
    out.print(f"Gợi ý cho: {result['product']['name']}")
    table = Table()
    for col in ("Mã", "Tên", "Điểm", "Lý do"):
        table.add_column(col)
    for s in result["suggestions"]:
        table.add_row(s["code"], s.get("title") or "", f"{s['score']:.2f}", "; ".join(s.get("reasons", [])))
    out.print(table)


@app.command("suggest-hs")
def suggest_hs(
    product: Annotated[str, typer.Argument(help="Mã số hoặc tên chính xác của sản phẩm.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Gợi ý mã HS cho một sản phẩm từ danh mục HS (lưu với trạng thái suggested để người biên tập duyệt)."""
    from kb import hscodes, products

    with _kb().session() as session:
        p = products.find_product(session, product)
        found = hscodes.suggest(session, p)
        result = {"product": {"id": p.id, "name": p.name}, "suggestions": found}
    if as_json:
        _print_json(result)
        return
    out.print(f"Gợi ý mã HS cho: {p.name}")
    table = Table()
    for col in ("Mã HS", "Điểm", "Lý do"):
        table.add_column(col)
    for s in found:
        table.add_row(s["dotted"], f"{s['score']:.0f}", "; ".join(s["reasons"]))
    out.print(table)


@app.command("review-mandatory")
def review_mandatory(
    product: Annotated[str, typer.Argument(help="Mã số hoặc tên chính xác của sản phẩm.")],
    by: Annotated[str, typer.Option("--by", help="Người rà soát (hiện trên trang: \"đã rà soát …, bởi …\").")],
    note: Annotated[str | None, typer.Option(help="Ghi chú rà soát.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Bỏ kết quả rà soát.")] = False,
) -> None:
    """Ghi kết quả rà soát "không có quy chuẩn bắt buộc" cho một sản phẩm (hoặc bỏ nó với --clear)."""
    from kb import products, reviews

    with _kb().session() as session:
        p = products.find_product(session, product)
        if clear:
            changed = reviews.clear_mandatory_review(session, p, by)
            out.print(f"Đã bỏ kết quả rà soát của {p.name}" if changed else f"{p.name} chưa có kết quả rà soát",
                      soft_wrap=True)
        else:
            changed = reviews.record_mandatory_review(session, p, by, note)
            out.print(f"{p.name}: không có quy chuẩn bắt buộc (đã rà soát ngày "
                      f"{p.mandatory_reviewed_at:%d/%m/%Y}, bởi {p.mandatory_reviewed_by})"
                      + ("" if changed else "; đã ghi như vậy từ trước"), soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Số tiến trình phục vụ (mặc định: KB_WORKERS, không đặt thì bằng số CPU).")] = None,
) -> None:
    """Chạy trang web và API."""
    from web.serving import default_workers
    from web.serving import serve as run

    kbase = _kb()  # the database is created or upgraded once, here, before any worker starts
    run(kbase, host, port, workers or default_workers(kbase.settings))


@app.command()
def notify() -> None:
    """Gửi thư theo dõi đến hạn (cho cron): tìm thay đổi theo ngày, phát hành thông báo, gửi thư."""
    from kb import mailer

    r = mailer.run_once(_kb())
    out.print(r.line(), soft_wrap=True)
    if r.error:
        _fail(f"chưa gửi hết thư: {r.error}")


@app.command()
def reindex() -> None:
    """Dựng lại chỉ mục tìm kiếm từ cơ sở dữ liệu (đổi sang chỉ mục mới một cách nguyên tử)."""
    from kb import search as kb_search

    stats = kb_search.reindex(_kb())
    out.print(f"Đã dựng lại chỉ mục: {stats}")


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="Tệp sao lưu sẽ ghi, vd /srv/backup/kb-2026-12-06.tar.gz "
                                              "(kèm tệp FILE.sha256 bên cạnh).")],
) -> None:
    """Sao lưu cơ sở dữ liệu và tệp nguồn vào một tệp, trong khi trang web vẫn chạy."""
    from kb import backup as kb_backup

    kbase = KnowledgeBase(Settings())  # no init: a backup takes the database as it is, it never migrates it
    try:
        result = kb_backup.backup(kbase, file)
    finally:
        kbase.dispose()
    out.print(result.line("Đã sao lưu vào"), soft_wrap=True)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="Tệp do `kb backup` ghi.")],
    yes: Annotated[bool, typer.Option("--yes", help="Không hỏi lại trước khi ghi đè dữ liệu hiện có.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Chỉ kiểm tra tệp sao lưu, không thay đổi gì.")] = False,
) -> None:
    """Khôi phục từ tệp sao lưu (ghi đè dữ liệu hiện có; hãy dừng trang web trước), nâng cấp lược đồ, dựng lại
    chỉ mục."""
    from kb import backup as kb_backup

    kbase = KnowledgeBase(Settings())  # no init: an empty database made now would only be replaced

    def confirm(manifest: kb_backup.Manifest) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise KBError("khôi phục ghi đè dữ liệu hiện có: chạy lại với --yes; không thay đổi gì")
        return typer.confirm(f"Ghi đè cơ sở dữ liệu {kbase.engine.url.render_as_string(hide_password=True)} và tệp "
                             f"trong {kbase.settings.data_dir} bằng bản sao lưu lúc {manifest.created_at} "
                             f"({manifest.rows} bản ghi, {manifest.files} tệp)?", err=True)

    try:
        result = kb_backup.restore(kbase, file, confirm=confirm, check_only=check)
    finally:
        kbase.dispose()
    out.print(result.line("Tệp sao lưu hợp lệ:" if check else "Đã khôi phục từ"), soft_wrap=True)


@app.command()
def demo() -> None:
    """Nạp dữ liệu mẫu đi kèm (data/standards)."""
    from ingest.demo import load_demo

    counts = load_demo(_kb())
    table = Table(title="Dữ liệu mẫu")
    for col in ("Danh mục", "Tạo mới", "Cập nhật", "Không đổi", "Lỗi"):
        table.add_column(col)
    for kind, report in counts.items():
        if kind == "pdf":
            continue
        table.add_row(kind, str(report["created"]), str(report["updated"]), str(report["unchanged"]),
                      str(len(report["errors"])))
    out.print(table)
    pdf = counts.get("pdf", {})
    out.print(f"PDF mẫu: {pdf.get('files', 0)} tệp, {pdf.get('status', {})}")
    for kind, report in counts.items():
        for error in report.get("errors", []):
            where = f"dòng {error[0]}: {error[1]}" if isinstance(error, (list, tuple)) else error
            out.print(f"  lỗi {kind}: {where}")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Tên đăng nhập.")],
    role: Annotated[str, typer.Option(help="admin | curator | lab")],
    lab: Annotated[str | None, typer.Option(help="Số công nhận của phòng thí nghiệm (vai trò lab).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Đọc mật khẩu từ stdin.")] = False,
) -> None:
    """Tạo tài khoản."""
    from kb import users

    if not password_stdin:
        raise KBError("hãy truyền mật khẩu qua stdin với --password-stdin")
    if role not in ("admin", "curator", "lab"):
        raise KBError(f"--role phải là admin, curator hoặc lab, không phải {role!r}")
    password = _read_password("Mật khẩu: ")
    with _kb().session() as session:
        user = users.add_user(session, name, password, role, lab=lab)
        out.print(f"Đã tạo tài khoản {user.username} ({user.role.value})")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="Tên đăng nhập.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Đọc mật khẩu mới từ stdin (một dòng).")] = False,
) -> None:
    """Đặt mật khẩu mới cho một tài khoản và kết thúc mọi phiên đăng nhập của nó."""
    from kb import users

    if not password_stdin:
        raise KBError("hãy truyền mật khẩu mới qua stdin với --password-stdin")
    password = _read_password("Mật khẩu mới: ")
    with _kb().session() as session:
        user = users.set_password(session, name, password, actor="cli")
        out.print(f"Đã đổi mật khẩu tài khoản {user.username}; mọi phiên đăng nhập của tài khoản đã kết thúc.")


def _read_password(prompt: str) -> str:
    """One line from stdin; typed at a terminal it is not echoed."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    try:
        return sys.stdin.readline().rstrip("\r\n")
    except UnicodeDecodeError:  # its message would quote a byte of the password
        raise KBError("mật khẩu đọc từ stdin không phải văn bản UTF-8") from None


@users_app.command("list")
def users_list() -> None:
    """Liệt kê tài khoản."""
    from kb import users

    with _kb().session() as session:
        table = Table()
        for col in ("Tên", "Vai trò", "Phòng TN", "Khóa"):
            table.add_column(col)
        for u in users.list_users(session):
            table.add_row(u.username, u.role.value, str(u.lab_id or ""), "có" if u.disabled else "")
        out.print(table)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument()]) -> None:
    """Khóa tài khoản và kết thúc mọi phiên đăng nhập của nó."""
    from kb import users

    with _kb().session() as session:
        users.disable_user(session, name)
    out.print(f"Đã khóa tài khoản {name}")


def main() -> None:
    try:
        app(standalone_mode=True)
    except KBError as exc:
        _fail(exc.message)
    except KeyboardInterrupt:
        _fail("đã dừng theo yêu cầu")
    except Exception as exc:  # noqa: BLE001 - the contract is one line, never a traceback
        if os.environ.get("KB_DEBUG"):
            raise
        _fail(f"lỗi không mong đợi: {type(exc).__name__}: {exc} (đặt KB_DEBUG=1 để xem chi tiết)")


def _fail(message: str) -> None:
    sys.stderr.write(f"kb: {message.splitlines()[0] if message else 'lỗi'}\n")
    sys.exit(1)


if __name__ == "__main__":  # python -m web.cli, used by the tests
    main()
