"""Settings from the environment (prefix ``KB_``); injected everywhere, never a global."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

#: The site's name, on its pages, in its mails and feeds.
SITE_NAME = "Tra cứu tiêu chuẩn, quy chuẩn – Bắc Ninh"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

    #: Where the SQLite file, the search index, uploads and ingested source files live.
    data_dir: Path = Path("var")
    #: SQLAlchemy URL; overrides the SQLite file under ``data_dir``.
    database_url: str | None = None
    #: Signs session cookies. Must be set outside development.
    secret_key: str = "dev-insecure-change-me"
    #: ``development`` relaxes the Secure cookie flag; anything else is production.
    env: str = "development"
    #: Largest PDF or catalogue file accepted by ingest and uploads, in megabytes.
    max_file_mb: int = 100
    #: Caps on a spreadsheet (CSV or XLSX) read by ``kb import`` and uploads; past one, the file is refused with
    #: the line number. Data rows, columns holding data, characters in one cell.
    max_rows: int = 200_000
    max_columns: int = 200
    max_cell_chars: int = 20_000
    #: An XLSX is refused before it is unpacked when one part, or all of them, would unpack to more (MB).
    max_xlsx_part_mb: int = 100
    max_xlsx_total_mb: int = 200
    #: Memory (MB, on top of what it starts with) and CPU seconds of the process that parses a spreadsheet.
    sheet_worker_mb: int = 512
    sheet_timeout: int = 120
    #: Seconds one PDF may take before ingest gives up on it.
    ingest_timeout: int = 120
    #: Worker processes for ingest (0 = one per CPU).
    ingest_workers: int = 0
    #: Processes ``kb serve`` answers requests with (0 = one per CPU it may run on); ``--workers`` overrides it.
    workers: int = 0
    #: Largest size of the rendered PDF page cache (``page-images`` in the data dir), in megabytes; the least
    #: recently used pages are removed past it.
    page_cache_mb: float = 200
    #: The site's public address (``https://…``): every absolute link (share links, printed sources, mails,
    #: feeds) is built on it, never on a request's Host header; unset: ``http://127.0.0.1:8000``.
    public_url: str | None = None
    #: Where mail goes out: ``smtp://user:password@host:587`` (STARTTLS when the server offers it) or
    #: ``smtps://…:465``. Unset: mails wait in the outbox (feeds still work).
    smtp_url: str | None = None
    #: The sender of follow mails.
    mail_from: str = "Tra cứu tiêu chuẩn Bắc Ninh <no-reply@localhost>"
    #: Seconds a notice of change waits before it goes out: curators may hold or edit it meanwhile.
    notice_hold_seconds: int = 30
    #: Seconds between two rounds of the delivery loop ``kb serve`` runs (0: no loop; use ``kb notify``).
    notify_interval: int = 10

    #: Addresses (or networks, ``10.0.0.0/8``) of the reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` are believed, comma-separated. Empty (the default): no forwarded header is
    #: trusted and the login limiter counts the connecting address.
    trusted_proxies: str = ""
    #: Addresses or networks allowed to read ``/metrics``, comma-separated; others get 403. Empty: nobody.
    #: ``0.0.0.0/0,::/0`` opens it to all. A request forwarded by a proxy (``X-Forwarded-For``) is judged
    #: by the client's address, so it is refused unless ``KB_TRUSTED_PROXIES`` names that proxy.
    metrics_allow: str = "127.0.0.1,::1"

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def site_url(self) -> str:
        """The base of absolute links in mails and feeds: ``KB_PUBLIC_URL``, never a request's Host."""
        return (self.public_url or "http://127.0.0.1:8000").rstrip("/")

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kb.sqlite3').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"
