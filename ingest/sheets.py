"""Reading uploaded and imported spreadsheets (CSV, XLSX) safely: caps checked before anything is built, and
the parsing done in a short-lived worker process that cannot grow the server.

Why this shape (issue 15, item 1): a 1 MB XLSX whose ``sharedStrings.xml`` expands to 1 GiB took the server
to 3.3 GB RSS, because size limits counted compressed bytes only and openpyxl loads the shared strings whole.

- :func:`check_xlsx` reads only the zip's directory: too many entries, a part or the total too large once
  unpacked, or an absurd compression ratio, and the file is refused with one line naming the part. The
  directory's sizes can be trusted: :mod:`zipfile` (which openpyxl reads through) stops a part's output at
  its declared size and then fails on the CRC, so a part cannot unpack to more than it declares.
- :func:`read_table` yields ``(line, values)`` while it checks the rows, columns and cell length caps
  (``KB_MAX_ROWS``, ``KB_MAX_COLUMNS``, ``KB_MAX_CELL_CHARS``), stopping with the line number at the first
  row past one.
- :func:`read_isolated` runs :func:`read_table` in a forked worker (the process helpers of
  :mod:`ingest.workers`, which read PDFs the same way) under an address-space limit (``RLIMIT_AS``) and a
  CPU-time limit (``RLIMIT_CPU``), and hands the rows to the parent in chunks through a pipe. The pipe
  paces the worker to the parent (it blocks while the parent is busy storing rows), so the parent holds one
  chunk at a time. A worker that dies (out of memory, out of CPU time, killed) is one line of error.
"""

from __future__ import annotations

import csv
import io
import resource
import signal
import zipfile
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from kb.config import Settings
from kb.errors import BadInput, KBError

#: More parts than a workbook of catalogue data ever has (a sheet, its strings, styles, a few rels).
MAX_ENTRIES = 1000
#: Bytes of the zip's central directory (the list of parts) read before anything else.
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024
#: Unpacked-to-packed ratio no real part above :data:`RATIO_FROM_BYTES` reaches (XML of real sheets
#: packs 5–30:1); deflate tops out near 1030:1, which is what bombs use.
MAX_RATIO = 100
RATIO_FROM_BYTES = 4 * 1024 * 1024
#: Rows per message from the worker, and characters: a chunk stays small whatever the rows hold.
CHUNK_ROWS = 500
CHUNK_CHARS = 1 << 20

MB = 1024 * 1024
#: No real sheet has a row past Excel's last; a ``<row r="999999999">`` would have openpyxl yield every
#: empty row before it.
EXCEL_ROWS = 1_048_576


@dataclass(frozen=True)
class Limits:
    """The caps one read works under (``kb.config.Settings``: ``KB_MAX_*`` and ``KB_SHEET_*``)."""

    rows: int = 200_000
    columns: int = 200
    cell_chars: int = 20_000
    part_mb: int = 100
    total_mb: int = 200
    memory_mb: int = 512
    seconds: int = 120

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(rows=settings.max_rows, columns=settings.max_columns, cell_chars=settings.max_cell_chars,
                   part_mb=settings.max_xlsx_part_mb, total_mb=settings.max_xlsx_total_mb,
                   memory_mb=settings.sheet_worker_mb, seconds=settings.sheet_timeout)


def is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def _mb(n: int) -> str:
    return f"{n / MB:.1f}".rstrip("0").rstrip(".") + " MB" if n >= MB / 10 else f"{n} byte"


def _part(name: str) -> str:
    shown = " ".join(name.split())[:80]
    return repr(shown)


# --- Before anything is built: the zip's directory ---------------------------------------------------


def _directory(fh: IO[bytes]) -> tuple[int, int] | None:
    """(entries, directory bytes) from the zip's end record, without reading the directory itself."""
    end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]  # the end record: stable since Python 2
    if end is None:
        return None
    return int(end[zipfile._ECD_ENTRIES_TOTAL]), int(end[zipfile._ECD_SIZE])  # type: ignore[attr-defined]


def check_xlsx(path: Path, limits: Limits, name: str | None = None) -> None:
    """Refuse an XLSX whose parts would unpack to too much, before openpyxl (or anything) unpacks them."""
    name = name or path.name
    try:
        with path.open("rb") as fh:
            directory = _directory(fh)
            if directory is None:
                raise BadInput(f"{name}: không phải tệp XLSX hợp lệ (không đọc được cấu trúc nén zip)")
            entries, size = directory
            if entries > MAX_ENTRIES or size > MAX_DIRECTORY_BYTES:
                raise BadInput(f"{name}: tệp XLSX có {entries} phần ({_mb(size)} danh mục), quá giới hạn "
                               f"{MAX_ENTRIES} phần; tệp bảng tính thật không có nhiều như vậy")
            with zipfile.ZipFile(fh) as zf:
                infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise BadInput(f"{name}: không đọc được tệp XLSX ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
                       ) from None
    total = 0
    for info in infos:
        if info.file_size > limits.part_mb * MB:
            raise BadInput(f"{name}: phần {_part(info.filename)} giải nén ra {_mb(info.file_size)}, quá giới hạn "
                           f"{limits.part_mb} MB mỗi phần (nghi là bom nén); tệp bị từ chối")
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise BadInput(f"{name}: phần {_part(info.filename)} nén {info.file_size // max(info.compress_size, 1)}:1 "
                           f"({_mb(info.compress_size)} → {_mb(info.file_size)}), tỉ lệ bất thường (nghi là bom nén); "
                           "tệp bị từ chối")
        total += info.file_size
    if total > limits.total_mb * MB:
        raise BadInput(f"{name}: tệp XLSX giải nén ra tổng cộng {_mb(total)}, quá giới hạn {limits.total_mb} MB "
                       "(nghi là bom nén); tệp bị từ chối")


def check_upload(path: Path, settings: Settings, name: str) -> None:
    """What an upload can be refused for at once, in its request: an XLSX bomb, told under the ``name`` it was
    uploaded as. (The row, column and cell caps are met while the rows are read, by the import.)"""
    if is_xlsx(path):
        check_xlsx(path, Limits.of(settings), name)


# --- Reading, with the row, column and cell caps --------------------------------------------------------


def _csv_raw(path: Path, limits: Limits, name: str) -> Generator[tuple[int, list[Any]], None, None]:
    """Physical line where each record starts (header = line 1) and its fields, streamed (never the whole text)."""
    # A field longer than the cap stops the C reader at once instead of growing one string without end.
    previous = csv.field_size_limit(limits.cell_chars + 1)
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
        line = 1
        try:
            # Excel in some locales saves ';'- or tab-separated "CSV": the header line tells which.
            first = fh.readline(1 << 20)
            fh.seek(0)
            delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))
            reader = csv.reader(fh, delimiter=delimiter)
            for row in reader:
                yield line, row
                line = reader.line_num + 1
        except UnicodeDecodeError:
            raise KBError(f"{name}, khoảng dòng {line}: không phải UTF-8; lưu lại tệp CSV dạng UTF-8") from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise BadInput(f"{name}, dòng {line}: có ô dài hơn giới hạn {limits.cell_chars} ký tự") from None
            raise KBError(f"{name}, dòng {reader.line_num}: CSV hỏng ({exc})") from None
        finally:
            csv.field_size_limit(previous)


def _xlsx_raw(path: Path, limits: Limits, name: str) -> Generator[tuple[int, list[Any]], None, None]:
    import openpyxl  # imported here: only XLSX reads pay for it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise KBError(f"{name}: không đọc được tệp XLSX ({type(exc).__name__}: "
                      f"{' '.join(str(exc).split())[:160]})") from None
    try:
        ws = wb.active
        # openpyxl pads every row to the width the sheet's dimension claims: one column past the cap is enough
        # to see a row that is too wide, and a dimension claiming 16,384 columns costs no more than that.
        width = min(ws.max_column or limits.columns + 1, limits.columns + 1)  # type: ignore[union-attr]
        rows = ws.iter_rows(values_only=True, max_col=width)  # type: ignore[union-attr]
        for line, row in enumerate(rows, start=1):
            yield line, list(row)
    finally:
        wb.close()


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if value is None or isinstance(value, (int, float, bool, date, datetime, time, timedelta)):
        return 0
    return len(str(value))


def read_table(path: Path, limits: Limits, name: str | None = None) -> Generator[tuple[int, list[Any]], None, None]:
    """``(line, values)`` of every row, trailing empty cells dropped, checked against the caps as it goes;
    messages name the file ``name`` (an upload's own name), else the path's."""
    name = name or path.name
    if is_xlsx(path):
        check_xlsx(path, limits, name)
        raw = _xlsx_raw(path, limits, name)
    else:
        raw = _csv_raw(path, limits, name)
    data_rows = 0
    with closing(raw):
        for line, values in raw:
            if line > EXCEL_ROWS:
                raise BadInput(f"{name}: bảng tính có dòng số {line}, quá số dòng tối đa của Excel ({EXCEL_ROWS})")
            if values.count(None) + values.count("") == len(values):  # C speed: a sheet may pad a million rows
                yield line, []
                continue
            end = len(values)
            while values[end - 1] in (None, ""):
                end -= 1
            if end > limits.columns:
                raise BadInput(f"{name}, dòng {line}: có dữ liệu ở cột {end}, quá giới hạn {limits.columns} cột")
            for col, value in enumerate(values[:end], start=1):
                if _size(value) > limits.cell_chars:
                    raise BadInput(f"{name}, dòng {line}, cột {col}: ô dài {_size(value)} ký tự, quá giới hạn "
                                   f"{limits.cell_chars} ký tự")
            if line > 1:
                data_rows += 1
                if data_rows > limits.rows:
                    raise BadInput(f"{name}, dòng {line}: quá giới hạn {limits.rows} dòng dữ liệu; "
                                   "chia tệp thành nhiều tệp nhỏ hơn")
            yield line, values[:end]


# --- The worker -------------------------------------------------------------------------------------------


def _limit_cpu(seconds: int) -> None:
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        want = seconds if hard == resource.RLIM_INFINITY else min(seconds, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (want, hard))  # SIGXCPU at the soft limit ends the worker
    except (OSError, ValueError):
        pass


def _worker(conn: Any, path: str, limits: Limits, name: str, parent: int | None) -> None:
    """Worker process body: the file's rows in chunks, then ``done`` (or one ``error`` line), exit."""
    from ingest.workers import _die_with_parent, _limit_memory, one_line

    _die_with_parent(parent)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    except ValueError:
        pass
    _limit_memory(limits.memory_mb)
    _limit_cpu(limits.seconds)
    try:
        chunk: list[tuple[int, list[Any]]] = []
        chars = 0
        for line, values in read_table(Path(path), limits, name):
            if not values:
                continue  # the parent skips empty rows anyway
            chunk.append((line, values))
            chars += sum(_size(v) for v in values) + len(values)
            if len(chunk) >= CHUNK_ROWS or chars >= CHUNK_CHARS:
                conn.send(("rows", chunk))
                chunk, chars = [], 0
        if chunk:
            conn.send(("rows", chunk))
        message: tuple[str, str | None] = ("done", None)
    except KBError as exc:
        message = ("error", one_line(exc))
    except MemoryError:
        message = ("error", f"{name}: vượt giới hạn bộ nhớ {limits.memory_mb} MB khi đọc bảng tính (nghi là bom nén); "
                            "tệp bị từ chối")
    except Exception as exc:  # noqa: BLE001 - a damaged file is one line, not a traceback
        message = ("error", f"{name}: không đọc được bảng tính ({one_line(exc)})")
    try:
        conn.send(message)
    finally:
        conn.close()


def _death(name: str, exitcode: int | None, limits: Limits) -> str:
    if exitcode == -signal.SIGXCPU:
        return f"{name}: đọc bảng tính quá {limits.seconds} giây CPU (nghi là bom nén); tệp bị từ chối"
    if exitcode == -signal.SIGKILL:
        return f"{name}: tiến trình đọc bảng tính bị dừng (có thể do hết bộ nhớ); tệp bị từ chối"
    return f"{name}: tiến trình đọc bảng tính dừng đột ngột (mã thoát {exitcode}); tệp bị từ chối"


def _sandbox_context() -> Any:
    """Workers forked from a small fork server, not from this process: a worker forked from a server that has
    freed a lot of memory would inherit that memory mapped, and read a bomb into it under its address-space
    limit (the limit is counted from what the worker has mapped when it starts)."""
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["openpyxl", "ingest.sheets"])
    return ctx


def read_isolated(path: Path, limits: Limits, name: str | None = None) -> Generator[tuple[int, list[Any]], None, None]:
    """:func:`read_table` in a worker process (non-empty rows only); a bomb is one :class:`KBError` line.

    Close the iterator (or run it to the end) to end the worker; it also dies with this process."""
    name = name or path.name
    if is_xlsx(path):
        check_xlsx(path, limits, name)  # in the parent too: a bomb is refused without forking at all
    ctx = _sandbox_context()
    parent = None  # a fork server's child: it dies with the server, which dies with this process
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(writer, str(path), limits, name, parent), daemon=True)
    proc.start()
    writer.close()
    try:
        while True:
            # The worker blocks while this process handles a chunk, so a wait here is the worker's own time. Its
            # CPU limit ends it first; this wall-clock backstop (room for a loaded machine) ends one that is stuck.
            if not reader.poll(limits.seconds * 2 + 30):
                raise KBError(f"{name}: đọc bảng tính quá {limits.seconds} giây; tệp bị từ chối")
            try:
                kind, payload = reader.recv()
            except (EOFError, OSError):
                proc.join(timeout=5)
                raise KBError(_death(name, proc.exitcode, limits)) from None
            if kind == "rows":
                yield from payload
            elif kind == "error":
                raise KBError(payload)
            else:
                return
    finally:
        reader.close()
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
