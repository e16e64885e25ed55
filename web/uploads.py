"""Browser uploads: bounded size, content sniffed (the name is not trusted), stored under a generated name.

The request body is counted while it is received, so an oversized upload is refused before it fills the
disk; the stored name is derived from the content hash, never from what the client called the file.
"""

from __future__ import annotations

import hashlib
import re
import uuid
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from kb.errors import BadInput, KBError
from kb.text import clean

#: What each accepted kind may be called; content decides the kind, the name must agree with it.
EXTENSIONS = {"pdf": {".pdf"}, "xlsx": {".xlsx"}, "csv": {".csv", ".txt"}}
_SLACK = 64 * 1024  # multipart boundaries and the other form fields


class TooLarge(KBError):
    status = 413


@dataclass
class StoredUpload:
    path: Path
    kind: str
    original_name: str
    size: int
    sha256: str


def display_name(name: str | None) -> str:
    """The client's file name, for display only: last path part, no control characters, 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in clean(base) if c.isprintable())
    return base[:120] or "tệp"


def sniff(path: Path) -> str | None:
    """``pdf``, ``xlsx``, ``csv`` from the bytes, or None (executables, archives, images, anything else)."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return None
        return "xlsx" if "xl/workbook.xml" in names and "[Content_Types].xml" in names else None
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multibyte character cut by the 8 KB window is fine
            return None
    return "csv"


@asynccontextmanager
async def read_form(request: Request, max_bytes: int) -> AsyncIterator[FormData]:
    """``request.form()`` that stops receiving once the body exceeds ``max_bytes``; closes the spooled files."""
    limit = max_bytes + _SLACK
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise TooLarge(f"Tệp quá lớn (tối đa {max_bytes // (1024 * 1024)} MB).")
    received = 0
    receive = request.receive

    async def counted():
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise TooLarge(f"Tệp quá lớn (tối đa {max_bytes // (1024 * 1024)} MB).")
        return message

    form = await Request(request.scope, counted).form(max_files=1, max_fields=20)
    try:
        yield form
    finally:
        await form.close()


def save_upload(upload: UploadFile | str | None, dest: Path, allowed: set[str], max_bytes: int) -> StoredUpload:
    """Copy the upload under ``dest`` with a generated name after checking its size and its content."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadInput("Chưa chọn tệp.")
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / f".{uuid.uuid4().hex}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with tmp.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"Tệp quá lớn (tối đa {max_bytes // (1024 * 1024)} MB).")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise BadInput("Tệp rỗng.")
        kind = sniff(tmp)
        name = display_name(upload.filename)
        ext = Path(name).suffix.lower()
        accepted = ", ".join(sorted(e for k in allowed for e in EXTENSIONS[k]))
        if kind not in allowed:
            raise BadInput(f"{name}: nội dung không phải tệp được nhận ({accepted}).")
        if ext not in EXTENSIONS[kind]:
            raise BadInput(f"{name}: phần mở rộng không khớp nội dung tệp ({kind}).")
        sha = digest.hexdigest()
        final = dest / f"{sha[:16]}-{uuid.uuid4().hex[:8]}{sorted(EXTENSIONS[kind])[0]}"
        tmp.replace(final)
        return StoredUpload(path=final, kind=kind, original_name=name, size=size, sha256=sha)
    finally:
        tmp.unlink(missing_ok=True)
